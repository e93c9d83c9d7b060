/* auth-keys.h: the authorized_keys format of sshd(8) (key options, keys,
 * comments) and AuthorizedPrincipalsFile lines; searching them for a key
 * or a CA; reading such files safely. Pure parsing never logs. */
#ifndef DG_AUTH_KEYS_H
#define DG_AUTH_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_KEYS_MAX_LINE	(64 * 1024)	/* longer lines are skipped */

/* Options of one line, as sshd's sshauthopt. */
struct auth_keyopts {
	unsigned	 perms;		/* AUTH_PERM_*, after restrict/no-* */
	int		 restricted;	/* "restrict" was given */
	int		 cert_authority;
	char		*command;	/* command= */
	char		*principals;	/* principals= (comma list) */
	char		*from;		/* from= patterns */
	int64_t		 expiry;	/* expiry-time=, unix s; 0 none */
	char	       **env;		/* environment= "NAME=value" */
	size_t		 nenv;
	char	       **permitopen;	/* permitopen= "host:port" */
	size_t		 npermitopen;
};

/* One parsed authorized_keys line. */
struct auth_keyline {
	struct auth_keyopts	 opts;
	char			 type[64];	/* key type as written */
	unsigned char		*blob;		/* decoded key blob */
	size_t			 bloblen;
};

/*
 * Parse key options ("no-pty,command=\"ls\"") up to the first unquoted
 * blank. *endp (may be NULL) gets the position after them. Options that
 * devgate cannot honour (tunnel=, permitlisten=, no-touch-required,
 * verify-required, unknown ones) give DG_ERR_NOTSUP; malformed text
 * DG_ERR_PARSE; err says which.
 */
int	 auth_keyopts_parse(const char *, const char **endp,
	    struct auth_keyopts *, char *err, size_t errlen);
void	 auth_keyopts_clear(struct auth_keyopts *);

/*
 * Parse one authorized_keys line (no newline needed). Returns 0, or
 * DG_ERR_NOTFOUND for a blank or comment line, DG_ERR_PARSE (bad
 * base64, unknown key type, type mismatch between text and blob, bad key),
 * DG_ERR_NOTSUP (options devgate cannot honour), with err set.
 */
int	 auth_keys_parse_line(const char *line, struct auth_keyline *,
	    char *err, size_t errlen);
void	 auth_keyline_clear(struct auth_keyline *);

/*
 * Every key line of a text in authorized_keys format, strictly (CA keys, a
 * plain-text KRL): blank lines and comments are skipped, each other line must
 * parse and is handed to fn, which may take kl->blob (set it to NULL) and
 * returns 0, or a DG_ERR_* with why set to refuse the line; kl is cleared
 * after fn. Returns 0, or DG_ERR_PARSE with "line N: why" in err for the
 * first line that does not parse or that fn refuses.
 */
typedef int auth_keys_each_fn(void *arg, struct auth_keyline *kl, char *why,
	    size_t whylen);
int	 auth_keys_parse_text(const char *text, size_t len,
	    auth_keys_each_fn *fn, void *arg, char *err, size_t errlen);

/*
 * One AuthorizedPrincipalsFile line: "[options] principal". Returns 0 with
 * the principal (copied) and options, DG_ERR_NOTFOUND for blank/comment,
 * or DG_ERR_PARSE / DG_ERR_NOTSUP.
 */
int	 auth_keys_parse_principal(const char *line, char **principalp,
	    struct auth_keyopts *, char *err, size_t errlen);

/*
 * Search text (a whole file) for a key.
 * - want_ca 0: a line whose key equals blob and that is not a
 *   cert-authority line.
 * - want_ca 1: a cert-authority line whose key equals blob (the CA of a
 *   certificate).
 * Returns 0 with *out (clear it after) and *linep, DG_ERR_NOTFOUND, or
 * DG_ERR_NOTSUP / DG_ERR_PARSE when the only lines holding the key have
 * options devgate refuses or cannot parse (why says which line and why).
 * Lines that do not parse are skipped, as sshd does.
 */
int	 auth_keys_find(const char *text, size_t len, const unsigned char *blob,
	    size_t bloblen, int want_ca, struct auth_keyline *out, int *linep,
	    char *why, size_t whylen);

/*
 * Search principals text for any of the certificate's principals. Returns
 * 0 with the matching principal (copied) and its options, or
 * DG_ERR_NOTFOUND / DG_ERR_NOTSUP like auth_keys_find.
 */
int	 auth_keys_find_principal(const char *text, size_t len,
	    char *const *principals, size_t nprincipals, char **matchp,
	    struct auth_keyopts *, int *linep, char *why, size_t whylen);

/* Parse "YYYYMMDD[HHMM[SS]][Z]" (Z: UTC, else local time). */
int	 auth_keys_parse_time(const char *, int64_t *);

#endif
