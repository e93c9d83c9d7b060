/* auth-cert.h: OpenSSH certificates (PROTOCOL.certkeys): parsing, CA
 * signature verification with OpenSSL, critical options and extensions,
 * and the TrustedUserCAKeys list. Pure: never logs. */
#ifndef DG_AUTH_CERT_H
#define DG_AUTH_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "auth/auth-sig.h"

#define AUTH_CERT_USER		1
#define AUTH_CERT_HOST		2
#define AUTH_CERT_MAX_PRINCIPALS 256	/* as OpenSSH */

struct auth_cert {
	char		 type[64];	/* "ssh-ed25519-cert-v01@openssh.com" */
	enum auth_ktype	 kt;		/* of the certified key */
	unsigned char	*key_blob;	/* the certified key as a plain blob */
	size_t		 key_bloblen;
	uint64_t	 serial;
	uint32_t	 cert_type;	/* AUTH_CERT_USER / AUTH_CERT_HOST */
	char		*key_id;
	char	       **principals;
	size_t		 nprincipals;
	uint64_t	 valid_after;
	uint64_t	 valid_before;
	unsigned char	*ca_blob;	/* the signature key */
	size_t		 ca_bloblen;
	enum auth_ktype	 ca_kt;
	char		 sig_alg[64];	/* algorithm of the CA signature */

	/* From critical options and extensions. */
	char		*force_command;
	char		*source_address;
	unsigned	 perms;		/* AUTH_PERM_* granted by extensions */
	char		*bad_option;	/* first critical option devgate
					   cannot honour, or NULL */
};

/*
 * Parse a certificate blob and verify its CA signature over everything
 * before the signature field. allowed_algs is CASignatureAlgorithms.
 * Returns 0, DG_ERR_PARSE/DG_ERR_INVAL (malformed; err says where),
 * DG_ERR_CRYPTO (signature does not verify), DG_ERR_DENIED (signature
 * algorithm not allowed), DG_ERR_NOTSUP (key type). Unknown critical
 * options do not fail parsing: they are reported in bad_option so the
 * refusal can name them.
 */
int	 auth_cert_parse(const unsigned char *, size_t, const char *allowed_algs,
	    struct auth_cert **, char *err, size_t errlen);
void	 auth_cert_free(struct auth_cert *);

/* The validity window check with skew seconds of slack on both ends: 0,
 * or DG_ERR_EXPIRED with err ("expired at ...", "not valid before ..."). */
int	 auth_cert_check_time(const struct auth_cert *, int64_t now, int skew,
	    char *err, size_t errlen);
/* Does the certificate name this principal? */
int	 auth_cert_has_principal(const struct auth_cert *, const char *);

/* TrustedUserCAKeys: plain public keys, one per line (authorized_keys
 * format; options are ignored). */
struct auth_cas;
int	 auth_cas_load(const char *path, struct auth_cas **, char *err,
	    size_t errlen);
int	 auth_cas_parse(const char *text, size_t len, struct auth_cas **,
	    char *err, size_t errlen);
/* Re-read the file if it changed; on failure keep the old list. */
int	 auth_cas_refresh(struct auth_cas *, char *err, size_t errlen);
int	 auth_cas_trusted(const struct auth_cas *, const unsigned char *,
	    size_t);
size_t	 auth_cas_count(const struct auth_cas *);
void	 auth_cas_free(struct auth_cas *);

/* "2024-05-01T10:00:00Z" (or "forever" / "always") into buf. */
void	 auth_cert_fmt_time(uint64_t, char *, size_t);

#endif
