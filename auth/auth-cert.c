/* auth-cert.c: OpenSSH certificates (PROTOCOL.certkeys): parsing, CA
 * signature verification with OpenSSL, critical options and extensions,
 * and the TrustedUserCAKeys list. Pure: never logs. */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "auth/auth-cert.h"
#include "auth/auth-file.h"
#include "auth/auth-keys.h"
#include "auth/auth-match.h"
#include "auth/auth-wire.h"
#include "common/err.h"
#include "common/xmalloc.h"

#define AUTH_CERT_MAX_ID	4096
#define AUTH_CERT_MAX_NAME	1024

void
auth_cert_free(struct auth_cert *c)
{
	size_t i;

	if (c == NULL)
		return;
	free(c->key_blob);
	free(c->key_id);
	for (i = 0; i < c->nprincipals; i++)
		free(c->principals[i]);
	free(c->principals);
	free(c->ca_blob);
	free(c->force_command);
	free(c->source_address);
	free(c->bad_option);
	free(c);
}

static int
auth_cert_err(char *err, size_t errlen, int r, const char *what)
{
	snprintf(err, errlen, "%s", what);
	return r;
}

/* A data field holding exactly one string without NULs. */
static int
auth_cert_opt_string(const unsigned char *p, size_t n, char **out)
{
	struct auth_rd rd;

	auth_rd_init(&rd, p, n);
	if (auth_rd_cstring(&rd, out, 65536) != 0)
		return DG_ERR_PARSE;
	if (rd.len != 0) {
		free(*out);
		*out = NULL;
		return DG_ERR_PARSE;
	}
	return 0;
}

/* Names must be unique within a list. */
static int
auth_cert_seen(char ***seen, size_t *n, const char *name)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*seen)[i], name) == 0)
			return 1;
	*seen = xreallocarray(*seen, *n + 1, sizeof(**seen));
	(*seen)[(*n)++] = xstrdup(name);
	return 0;
}

static int
auth_cert_options(struct auth_cert *c, struct auth_rd *rd, int critical,
    char *err, size_t errlen)
{
	const unsigned char *p;
	char *name = NULL, **seen = NULL;
	size_t n, nseen = 0, i;
	int r = DG_ERR_PARSE;

	while (rd->len > 0) {
		if (auth_rd_cstring(rd, &name, AUTH_CERT_MAX_NAME) != 0 ||
		    auth_rd_string(rd, &p, &n) != 0) {
			auth_cert_err(err, errlen, 0, critical ?
			    "malformed critical options" :
			    "malformed extensions");
			goto out;
		}
		if (auth_cert_seen(&seen, &nseen, name)) {
			snprintf(err, errlen, "duplicate certificate %s \"%s\"",
			    critical ? "option" : "extension", name);
			goto out;
		}
		if (critical) {
			if (strcmp(name, "force-command") == 0) {
				if (auth_cert_opt_string(p, n,
				    &c->force_command) != 0) {
					snprintf(err, errlen, "malformed "
					    "force-command");
					goto out;
				}
			} else if (strcmp(name, "source-address") == 0) {
				if (auth_cert_opt_string(p, n,
				    &c->source_address) != 0 ||
				    auth_match_cidr_list(NULL,
				    c->source_address) == -1) {
					snprintf(err, errlen, "invalid "
					    "source-address");
					goto out;
				}
			} else if (c->bad_option == NULL) {
				/* verify-required too: user verification of
				 * FIDO keys cannot be checked here. */
				c->bad_option = xstrdup(name);
			}
		} else {
			if (strcmp(name, "permit-pty") == 0)
				c->perms |= AUTH_PERM_PTY;
			else if (strcmp(name, "permit-port-forwarding") == 0)
				c->perms |= AUTH_PERM_PORT_FWD;
			else if (strcmp(name, "permit-agent-forwarding") == 0)
				c->perms |= AUTH_PERM_AGENT_FWD;
			else if (strcmp(name, "permit-X11-forwarding") == 0)
				c->perms |= AUTH_PERM_X11_FWD;
			else if (strcmp(name, "permit-user-rc") == 0)
				c->perms |= AUTH_PERM_USER_RC;
			/* Unknown extensions are ignored, as sshd does. */
		}
		free(name);
		name = NULL;
	}
	r = 0;
out:
	free(name);
	for (i = 0; i < nseen; i++)
		free(seen[i]);
	free(seen);
	return r;
}

int
auth_cert_parse(const unsigned char *blob, size_t len, const char *allowed,
    struct auth_cert **cp, char *err, size_t errlen)
{
	struct auth_cert *c = xcalloc(1, sizeof(*c));
	struct auth_rd rd, sub, crit, ext;
	const unsigned char *p, *keystart, *ca, *sig;
	const char *plain;
	size_t n, keylen, signed_len, calen, siglen, plen;
	EVP_PKEY *capk = NULL;
	int is_cert, r = DG_ERR_PARSE;
	char *s;

	if (auth_blob_type(blob, len, c->type, sizeof(c->type)) != 0) {
		auth_cert_err(err, errlen, 0, "malformed key blob");
		goto out;
	}
	c->kt = auth_sig_ktype(c->type, &is_cert);
	if (c->kt == AUTH_KT_UNKNOWN || !is_cert) {
		r = auth_cert_err(err, errlen, DG_ERR_NOTSUP,
		    "not a supported certificate type");
		goto out;
	}
	auth_rd_init(&rd, blob, len);
	(void)auth_rd_string(&rd, &p, &n);		/* type */
	if (auth_rd_string(&rd, &p, &n) != 0) {		/* nonce */
		auth_cert_err(err, errlen, 0, "truncated certificate");
		goto out;
	}
	keystart = rd.p;
	if ((r = auth_sig_read_key(&rd, c->kt, NULL)) != 0) {
		auth_cert_err(err, errlen, r, "invalid certified key");
		if (r != DG_ERR_NOTSUP)
			r = DG_ERR_INVAL;
		goto out;
	}
	r = DG_ERR_PARSE;
	keylen = (size_t)(rd.p - keystart);
	plain = auth_sig_ktype_name(c->kt);
	plen = strlen(plain);
	c->key_bloblen = 4 + plen + keylen;
	c->key_blob = xmalloc(c->key_bloblen);
	c->key_blob[0] = (unsigned char)(plen >> 24);
	c->key_blob[1] = (unsigned char)(plen >> 16);
	c->key_blob[2] = (unsigned char)(plen >> 8);
	c->key_blob[3] = (unsigned char)plen;
	memcpy(c->key_blob + 4, plain, plen);
	memcpy(c->key_blob + 4 + plen, keystart, keylen);

	if (auth_rd_u64(&rd, &c->serial) != 0 ||
	    auth_rd_u32(&rd, &c->cert_type) != 0 ||
	    auth_rd_cstring(&rd, &c->key_id, AUTH_CERT_MAX_ID) != 0 ||
	    auth_rd_sub(&rd, &sub) != 0) {
		auth_cert_err(err, errlen, 0, "malformed certificate fields");
		goto out;
	}
	if (c->cert_type != AUTH_CERT_USER && c->cert_type != AUTH_CERT_HOST) {
		auth_cert_err(err, errlen, 0, "unknown certificate type");
		goto out;
	}
	while (sub.len > 0) {
		if (c->nprincipals == AUTH_CERT_MAX_PRINCIPALS) {
			auth_cert_err(err, errlen, 0, "too many principals");
			goto out;
		}
		if (auth_rd_cstring(&sub, &s, AUTH_CERT_MAX_NAME) != 0) {
			auth_cert_err(err, errlen, 0, "malformed principals");
			goto out;
		}
		c->principals = xreallocarray(c->principals,
		    c->nprincipals + 1, sizeof(*c->principals));
		c->principals[c->nprincipals++] = s;
	}
	if (auth_rd_u64(&rd, &c->valid_after) != 0 ||
	    auth_rd_u64(&rd, &c->valid_before) != 0 ||
	    auth_rd_sub(&rd, &crit) != 0 || auth_rd_sub(&rd, &ext) != 0 ||
	    auth_rd_string(&rd, &p, &n) != 0) {		/* reserved */
		auth_cert_err(err, errlen, 0, "malformed certificate fields");
		goto out;
	}
	/* The signature covers everything up to and including the CA key. */
	if (auth_rd_string(&rd, &ca, &calen) != 0) {
		auth_cert_err(err, errlen, 0, "malformed certificate CA key");
		goto out;
	}
	signed_len = (size_t)(rd.p - blob);
	if (auth_rd_string(&rd, &sig, &siglen) != 0 || rd.len != 0) {
		auth_cert_err(err, errlen, 0, "malformed certificate "
		    "signature");
		goto out;
	}
	if ((r = auth_cert_options(c, &crit, 1, err, errlen)) != 0 ||
	    (r = auth_cert_options(c, &ext, 0, err, errlen)) != 0)
		goto out;
	r = auth_sig_key_blob(ca, calen, &c->ca_kt, &capk);
	if (r != 0) {
		auth_cert_err(err, errlen, 0, r == DG_ERR_NOTSUP ?
		    "unsupported CA key type" : "invalid CA key");
		r = r == DG_ERR_NOTSUP ? DG_ERR_NOTSUP : DG_ERR_INVAL;
		goto out;
	}
	c->ca_blob = xmalloc(calen);
	memcpy(c->ca_blob, ca, calen);
	c->ca_bloblen = calen;
	r = auth_sig_verify(capk, c->ca_kt, sig, siglen, blob, signed_len,
	    allowed, c->sig_alg, sizeof(c->sig_alg));
	if (r == DG_ERR_DENIED) {
		snprintf(err, errlen, "CA signature algorithm %s is not in "
		    "CASignatureAlgorithms", c->sig_alg);
		goto out;
	}
	if (r != 0) {
		r = auth_cert_err(err, errlen, DG_ERR_CRYPTO,
		    "CA signature does not verify");
		goto out;
	}
	*cp = c;
	c = NULL;
	r = 0;
out:
	EVP_PKEY_free(capk);
	auth_cert_free(c);
	return r;
}

void
auth_cert_fmt_time(uint64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt;

	if (t == UINT64_MAX) {
		snprintf(buf, len, "forever");
		return;
	}
	if (t == 0) {
		snprintf(buf, len, "always");
		return;
	}
	if (t > (uint64_t)INT64_MAX / 2) {
		snprintf(buf, len, "%llu", (unsigned long long)t);
		return;
	}
	tt = (time_t)t;
	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
auth_cert_check_time(const struct auth_cert *c, int64_t now, int skew,
    char *err, size_t errlen)
{
	uint64_t n = now < 0 ? 0 : (uint64_t)now, s = skew < 0 ? 0 :
	    (uint64_t)skew;
	char t[64];

	if (n + s < c->valid_after) {
		auth_cert_fmt_time(c->valid_after, t, sizeof(t));
		snprintf(err, errlen, "certificate not yet valid (valid from "
		    "%s)", t);
		return DG_ERR_EXPIRED;
	}
	if (c->valid_before != UINT64_MAX && (n < s ? 0 : n - s) >=
	    c->valid_before) {
		auth_cert_fmt_time(c->valid_before, t, sizeof(t));
		snprintf(err, errlen, "certificate expired at %s", t);
		return DG_ERR_EXPIRED;
	}
	return 0;
}

int
auth_cert_has_principal(const struct auth_cert *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nprincipals; i++)
		if (strcmp(c->principals[i], name) == 0)
			return 1;
	return 0;
}

/* TrustedUserCAKeys. */

struct auth_cas {
	unsigned char	**blobs;
	size_t		 *lens;
	size_t		  n;
	char		 *path;
	struct stat	  st;
};

void
auth_cas_free(struct auth_cas *cas)
{
	size_t i;

	if (cas == NULL)
		return;
	for (i = 0; i < cas->n; i++)
		free(cas->blobs[i]);
	free(cas->blobs);
	free(cas->lens);
	free(cas->path);
	free(cas);
}

/* One CA key line: a plain key, whose blob the set takes. */
static int
auth_cas_add(void *arg, struct auth_keyline *kl, char *why, size_t whylen)
{
	struct auth_cas *cas = arg;
	enum auth_ktype kt;

	if (auth_sig_key_blob(kl->blob, kl->bloblen, &kt, NULL) != 0)
		return dg_errf(why, whylen, DG_ERR_PARSE,
		    "not a plain CA key (%s)", kl->type);
	cas->blobs = xreallocarray(cas->blobs, cas->n + 1,
	    sizeof(*cas->blobs));
	cas->lens = xreallocarray(cas->lens, cas->n + 1, sizeof(*cas->lens));
	cas->blobs[cas->n] = kl->blob;
	cas->lens[cas->n] = kl->bloblen;
	cas->n++;
	kl->blob = NULL;
	return 0;
}

int
auth_cas_parse(const char *text, size_t len, struct auth_cas **casp,
    char *err, size_t errlen)
{
	struct auth_cas *cas = xcalloc(1, sizeof(*cas));
	int r;

	if ((r = auth_keys_parse_text(text, len, auth_cas_add, cas, err,
	    errlen)) != 0) {
		auth_cas_free(cas);
		return r;
	}
	*casp = cas;
	return 0;
}

static int
auth_cas_read(const char *path, struct auth_cas **casp, struct stat *st,
    char *err, size_t errlen)
{
	char *text = NULL, why[512];
	size_t len;
	int r;

	why[0] = '\0';
	if ((r = auth_file_read(path, NULL, 0, &text, &len, why,
	    sizeof(why))) != 0) {
		snprintf(err, errlen, "TrustedUserCAKeys %s: %s", path,
		    r == DG_ERR_NOTFOUND ? "no such file" : why);
		return r;
	}
	if (stat(path, st) != 0)
		memset(st, 0, sizeof(*st));
	r = auth_cas_parse(text, len, casp, why, sizeof(why));
	free(text);
	if (r != 0)
		snprintf(err, errlen, "TrustedUserCAKeys %s: %s", path, why);
	return r;
}

int
auth_cas_load(const char *path, struct auth_cas **casp, char *err,
    size_t errlen)
{
	struct stat st;
	int r;

	if ((r = auth_cas_read(path, casp, &st, err, errlen)) != 0)
		return r;
	(*casp)->path = xstrdup(path);
	(*casp)->st = st;
	return 0;
}

int
auth_cas_refresh(struct auth_cas *cas, char *err, size_t errlen)
{
	struct auth_cas *n;
	struct stat st;
	int r;

	if (cas->path == NULL || stat(cas->path, &st) != 0)
		return 0;	/* keep what we have */
	if (st.st_ino == cas->st.st_ino && st.st_dev == cas->st.st_dev &&
	    st.st_size == cas->st.st_size &&
	    st.st_mtim.tv_sec == cas->st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == cas->st.st_mtim.tv_nsec)
		return 0;
	if ((r = auth_cas_read(cas->path, &n, &st, err, errlen)) != 0)
		return r;
	/* Swap contents, keep the path. */
	{
		struct auth_cas tmp = *cas;

		cas->blobs = n->blobs;
		cas->lens = n->lens;
		cas->n = n->n;
		cas->st = st;
		n->blobs = tmp.blobs;
		n->lens = tmp.lens;
		n->n = tmp.n;
	}
	auth_cas_free(n);
	return 0;
}

int
auth_cas_trusted(const struct auth_cas *cas, const unsigned char *blob,
    size_t len)
{
	size_t i;

	if (cas == NULL)
		return 0;
	for (i = 0; i < cas->n; i++)
		if (auth_blob_eq(cas->blobs[i], cas->lens[i], blob, len))
			return 1;
	return 0;
}

size_t
auth_cas_count(const struct auth_cas *cas)
{
	return cas != NULL ? cas->n : 0;
}
