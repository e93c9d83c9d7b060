/* auth-krl.h: RevokedKeys: a plain list of public keys, or an OpenSSH key
 * revocation list (KRL, as made by ssh-keygen -k: certificate serials,
 * serial ranges and bitmaps, key ids, explicit keys, SHA1 and SHA256 key
 * hashes). Parsing and lookups are pure. */
#ifndef DG_AUTH_KRL_H
#define DG_AUTH_KRL_H

#include <stddef.h>
#include <stdint.h>

struct auth_krl;

/* Parse a revocation list from memory: KRL when it starts with the KRL
 * magic, else authorized_keys-style lines. 0 or DG_ERR_PARSE with err. */
int	 auth_krl_parse(const unsigned char *, size_t, struct auth_krl **,
	    char *err, size_t errlen);
/* Read and parse a file; remembers it so auth_krl_refresh() can pick up
 * changes. */
int	 auth_krl_load(const char *path, struct auth_krl **, char *err,
	    size_t errlen);
/* Re-read the file if it changed (inode, size or mtime). 0 if current or
 * reloaded; DG_ERR_* when it changed but cannot be read or parsed (then
 * the list is marked broken and every key counts as revoked, as sshd
 * refuses keys when it cannot check them). */
int	 auth_krl_refresh(struct auth_krl *, char *err, size_t errlen);
void	 auth_krl_free(struct auth_krl *);

/* Is this plain key blob revoked (explicit key, SHA1, SHA256)? */
int	 auth_krl_key_revoked(const struct auth_krl *, const unsigned char *,
	    size_t);
/* Is this certificate revoked by serial or key id for its CA (ca_blob), or
 * by a CA-less section? serial 0 is never matched by serial, as sshd. */
int	 auth_krl_cert_revoked(const struct auth_krl *,
	    const unsigned char *ca_blob, size_t ca_len, uint64_t serial,
	    const char *key_id);
/* Number of entries, for logs and tests. */
size_t	 auth_krl_count(const struct auth_krl *);

#endif
