/* auth-pubkey.c: may this user log in with this public key or certificate:
 * AuthorizedKeysFile(s), AuthorizedKeysURL, TrustedUserCAKeys or
 * cert-authority lines, principals, validity, RevokedKeys, critical
 * options and extensions, key options; the decision is logged and
 * audited here. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/auth-cert.h"
#include "auth/auth-int.h"
#include "auth/auth-file.h"
#include "auth/auth-keys.h"
#include "auth/auth-keysrv.h"
#include "auth/auth-krl.h"
#include "auth/auth-match.h"
#include "auth/auth-sig.h"
#include "auth/auth-wire.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"

struct auth_pk {
	char			 type[64];	/* blob key type */
	char			 fp[64];	/* of the (certified) key */
	int			 is_cert;
	struct auth_cert	*cert;
	int			 want_ca;	/* searching cert-authority */
	const unsigned char	*search;	/* blob searched for */
	size_t			 searchlen;
	struct auth_keysrv_req	*fetch;
	char			 tried[768];	/* where we looked */
	int			 refused;	/* first specific refusal */
	char			 refused_why[512];
};

void
auth_pubkey_cleanup(struct auth_op *op)
{
	if (op->pk == NULL)
		return;
	auth_keysrv_cancel(op->pk->fetch);
	auth_cert_free(op->pk->cert);
	free(op->pk);
	op->pk = NULL;
}

void
auth_pubkey_cancel(struct auth_op *op)
{
	if (op->pk != NULL) {
		auth_keysrv_cancel(op->pk->fetch);
		op->pk->fetch = NULL;
	}
}

static void
auth_pk_tried(struct auth_pk *pk, const char *what)
{
	size_t n = strlen(pk->tried);

	snprintf(pk->tried + n, sizeof(pk->tried) - n, "%s%.300s",
	    n ? ", " : "", what);
}

static void
auth_pk_refusal(struct auth_pk *pk, int r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
auth_pk_refusal(struct auth_pk *pk, int r, const char *fmt, ...)
{
	va_list ap;

	if (pk->refused != 0)
		return;
	pk->refused = r;
	va_start(ap, fmt);
	vsnprintf(pk->refused_why, sizeof(pk->refused_why), fmt, ap);
	va_end(ap);
}

/* Log, audit and deliver the decision. */
static void
auth_pk_done(struct auth_op *op, int r, struct auth_grant *g,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
auth_pk_done(struct auth_op *op, int r, struct auth_grant *g,
    const char *fmt, ...)
{
	const struct auth_peer *p = &op->peer.view;
	struct auth_pk *pk = op->pk;
	char reason[512];
	va_list ap;

	reason[0] = '\0';
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(reason, sizeof(reason), fmt, ap);
		va_end(ap);
	}
	/* A "would you accept" query that passes is decided (and audited)
	 * when the signature follows. The caller logs the outcome with the
	 * reason; the details (key, source) are logged here at debug. */
	if (op->verified || r != 0) {
		log_debug("%s %s@%s: publickey %s %s %s: %s", p->session,
		    p->user, p->addr, pk->type, pk->fp, r == 0 ? "accepted" :
		    "refused", r == 0 ? (g->source != NULL ? g->source : "") :
		    reason);
		auth_audit_auth(op->ctx, p, "publickey", op->verified ?
		    "signature" : "query", g != NULL ? g : NULL, pk->type,
		    pk->fp, r, reason);
	}
	auth_op_finish(op, r, g, "%s", reason);
}

/* PermitUserEnvironment: yes, no, or a pattern list of names. */
static int
auth_pk_env_ok(const struct auth_config *c, const char *nv)
{
	const char *pue = c->permit_user_environment;
	char name[256];
	size_t n = strcspn(nv, "=");

	if (pue == NULL || strcasecmp(pue, "no") == 0)
		return 0;
	if (strcasecmp(pue, "yes") == 0)
		return 1;
	if (n >= sizeof(name))
		return 0;
	memcpy(name, nv, n);
	name[n] = '\0';
	return auth_match_pattern_list(name, pue, 0) == 1;
}

static struct auth_grant *
auth_pk_grant(struct auth_op *op, const struct auth_keyopts *o,
    const char *source)
{
	const struct auth_config *c = auth_op_conf(op);
	struct auth_pk *pk = op->pk;
	struct auth_grant *g = xcalloc(1, sizeof(*g));
	size_t i;

	g->method = AUTH_METHOD_PUBLICKEY;
	snprintf(g->key_type, sizeof(g->key_type), "%s", pk->type);
	snprintf(g->fingerprint, sizeof(g->fingerprint), "%s", pk->fp);
	g->source = xstrdup(source);
	g->perms = o->perms;
	g->force_command = o->command != NULL ? xstrdup(o->command) : NULL;
	g->expiry = o->expiry;
	if (o->npermitopen > 0) {
		g->permitopen = xcalloc(o->npermitopen, sizeof(char *));
		for (i = 0; i < o->npermitopen; i++)
			g->permitopen[i] = xstrdup(o->permitopen[i]);
		g->npermitopen = o->npermitopen;
	}
	for (i = 0; i < o->nenv; i++) {
		if (!auth_pk_env_ok(c, o->env[i]))
			continue;
		g->environment = xreallocarray(g->environment,
		    g->nenvironment + 1, sizeof(char *));
		g->environment[g->nenvironment++] = xstrdup(o->env[i]);
	}
	return g;
}

/* from= and expiry-time= of a key or principals line. */
static int
auth_pk_line_ok(struct auth_op *op, const struct auth_keyopts *o,
    const char *source, char *why, size_t whylen)
{
	const char *addr = op->peer.view.addr;
	int m;

	if (o->from != NULL) {
		m = auth_match_from(addr, o->from);
		if (m != 1) {
			snprintf(why, whylen, "%s: %s", source, m < 0 ?
			    "invalid from= patterns" : "client address not "
			    "permitted by from=");
			return DG_ERR_DENIED;
		}
	}
	if (o->expiry != 0 && (int64_t)time(NULL) >= o->expiry) {
		snprintf(why, whylen, "%s: key expired (expiry-time)", source);
		return DG_ERR_EXPIRED;
	}
	return 0;
}

static void auth_pk_cert_found(struct auth_op *, struct auth_keyopts *,
    const char *);

/* A line for the key (or its CA) was found. */
static void
auth_pk_found(struct auth_op *op, struct auth_keyline *kl, const char *source)
{
	struct auth_grant *g;
	char why[512];
	int r;

	if (op->pk->want_ca) {
		auth_pk_cert_found(op, &kl->opts, source);
		return;
	}
	/* principals= means nothing for a plain key: ignored, as sshd. */
	if ((r = auth_pk_line_ok(op, &kl->opts, source, why,
	    sizeof(why))) != 0) {
		auth_pk_done(op, r, NULL, "%s", why);
		return;
	}
	g = auth_pk_grant(op, &kl->opts, source);
	auth_pk_done(op, 0, g, NULL);
}

static void
auth_pk_notfound(struct auth_op *op)
{
	struct auth_pk *pk = op->pk;

	if (pk->refused != 0) {
		auth_pk_done(op, pk->refused, NULL, "%s", pk->refused_why);
		return;
	}
	if (pk->want_ca) {
		char cafp[64];

		auth_fingerprint(pk->search, pk->searchlen, cafp, sizeof(cafp));
		auth_pk_done(op, DG_ERR_AUTH, NULL, "certificate CA %s is not "
		    "trusted (not in TrustedUserCAKeys, no cert-authority line "
		    "in %s)", cafp, pk->tried[0] ? pk->tried : "any keys file");
		return;
	}
	auth_pk_done(op, DG_ERR_AUTH, NULL, "key not found in %s",
	    pk->tried[0] ? pk->tried : "any keys file (none configured)");
}

/* Search one text; 1 when a usable line was found (and handled). */
static int
auth_pk_search_text(struct auth_op *op, const char *text, size_t len,
    const char *where)
{
	struct auth_pk *pk = op->pk;
	struct auth_keyline kl;
	char why[512], source[1100];
	int line, r;

	why[0] = '\0';
	r = auth_keys_find(text, len, pk->search, pk->searchlen, pk->want_ca,
	    &kl, &line, why, sizeof(why));
	if (r == DG_ERR_NOTFOUND)
		return 0;
	if (r != 0) {
		auth_pk_refusal(pk, DG_ERR_DENIED, "%s %s", where, why);
		return 0;
	}
	snprintf(source, sizeof(source), "%s:%d", where, line);
	auth_pk_found(op, &kl, source);
	auth_keyline_clear(&kl);
	return 1;
}

/* AuthorizedKeysFile(s); 1 when handled. */
static int
auth_pk_search_files(struct auth_op *op)
{
	const struct auth_config *c = auth_op_conf(op);
	const struct conf_list *l = &c->authorized_keys_file;
	const char *user = op->peer.view.user;
	struct auth_pk *pk = op->pk;
	char *path, *text, why[512];
	size_t i, len;
	int r, found;

	for (i = 0; i < l->n; i++) {
		if (strcasecmp(l->v[i], "none") == 0)
			continue;
		r = auth_file_expand(l->v[i], user, &path);
		if (r == DG_ERR_INVAL) {
			auth_pk_refusal(pk, DG_ERR_DENIED, "unsafe user name "
			    "for AuthorizedKeysFile %s", l->v[i]);
			continue;
		}
		if (r != 0)
			continue;	/* no passwd entry for %h/relative */
		auth_pk_tried(pk, path);
		why[0] = '\0';
		r = auth_file_read(path, user, c->strict_modes, &text,
		    &len, why, sizeof(why));
		if (r == DG_ERR_NOTFOUND) {
			free(path);
			continue;
		}
		if (r != 0) {
			auth_pk_refusal(pk, DG_ERR_DENIED, "%s", why);
			free(path);
			continue;
		}
		found = auth_pk_search_text(op, text, len, path);
		free(text);
		free(path);
		if (found)
			return 1;
	}
	return 0;
}

static void
auth_pk_keysrv_cb(void *arg, int err, char *text, size_t len, int stale,
    const char *why)
{
	struct auth_op *op = arg;
	struct auth_pk *pk = op->pk;
	char where[1100];
	char *url;

	pk->fetch = NULL;
	url = auth_keysrv_url(auth_op_conf(op)->authorized_keys_url,
	    op->peer.view.user);
	snprintf(where, sizeof(where), "%s%s", url, err == 0 && stale ?
	    " (cached)" : "");
	auth_pk_tried(pk, where);
	if (err == 0) {
		if (stale)
			log_verbose("%s: keys for %s from the cache (%s)",
			    op->peer.view.session, op->peer.view.user,
			    why != NULL ? why : "key server failing");
		if (!auth_pk_search_text(op, text, len, where))
			auth_pk_notfound(op);
	} else if (err == DG_ERR_NOTFOUND) {
		auth_pk_notfound(op);
	} else {
		if (pk->refused == 0)
			auth_pk_done(op, DG_ERR_UNAVAIL, NULL, "%s%s%s",
			    why != NULL ? why : "key server unavailable",
			    pk->tried[0] ? "; also not in " : "", pk->tried);
		else
			auth_pk_notfound(op);
	}
	free(url);
	free(text);
}

/* Files, then the key server. */
static void
auth_pk_search(struct auth_op *op)
{
	const struct auth_config *c = auth_op_conf(op);
	struct auth_pk *pk = op->pk;
	char *text = NULL;
	size_t len;
	int stale, r;

	if (auth_pk_search_files(op))
		return;
	if (c->authorized_keys_url == NULL || op->ctx->keysrv == NULL) {
		auth_pk_notfound(op);
		return;
	}
	r = auth_keysrv_get(op->ctx->keysrv, op->peer.view.user, &text, &len,
	    &stale, auth_pk_keysrv_cb, op, &pk->fetch);
	if (r == DG_ERR_AGAIN)
		return;		/* auth_pk_keysrv_cb continues */
	pk->fetch = NULL;
	auth_pk_keysrv_cb(op, r, text, len, stale, r == DG_ERR_UNAVAIL ?
	    "key server unavailable" : stale ? "the key server failed "
	    "moments ago or is busy" : NULL);
}

/*
 * Certificates.
 */

static int
auth_pk_principals_file(struct auth_op *op, struct auth_keyopts *o,
    char **matchp, char *source, size_t sourcelen, char *why, size_t whylen)
{
	const struct auth_config *c = auth_op_conf(op);
	const char *user = op->peer.view.user;
	struct auth_cert *cert = op->pk->cert;
	char *path, *text;
	size_t len;
	int line, r;

	if ((r = auth_file_expand(c->authorized_principals_file, user,
	    &path)) != 0) {
		snprintf(why, whylen, "AuthorizedPrincipalsFile %s cannot be "
		    "expanded for %s", c->authorized_principals_file, user);
		return DG_ERR_AUTH;
	}
	r = auth_file_read(path, user, c->strict_modes, &text, &len, why,
	    whylen);
	if (r != 0) {
		if (r == DG_ERR_NOTFOUND)
			snprintf(why, whylen, "no principals file %s", path);
		free(path);
		return DG_ERR_AUTH;
	}
	r = auth_keys_find_principal(text, len, cert->principals,
	    cert->nprincipals, matchp, o, &line, why, whylen);
	free(text);
	if (r == DG_ERR_NOTFOUND)
		snprintf(why, whylen, "no principal of the certificate is "
		    "listed in %s", path);
	else if (r != 0) {
		char tmp[512];

		snprintf(tmp, sizeof(tmp), "%s %s", path, why);
		snprintf(why, whylen, "%s", tmp);
		r = DG_ERR_DENIED;
	} else
		snprintf(source, sourcelen, "%s:%d", path, line);
	free(path);
	return r == DG_ERR_NOTFOUND ? DG_ERR_AUTH : r;
}

/* principals= of a cert-authority line: exact names, comma-separated. */
static int
auth_pk_principals_opt(const struct auth_cert *cert, const char *list,
    char **matchp)
{
	char *copy, *p, *name;
	size_t i;

	for (i = 0; i < cert->nprincipals; i++) {
		copy = p = xstrdup(list);
		while ((name = strsep(&p, ",")) != NULL) {
			if (strcmp(name, cert->principals[i]) == 0) {
				free(copy);
				*matchp = xstrdup(cert->principals[i]);
				return 1;
			}
		}
		free(copy);
	}
	return 0;
}

static void
auth_pk_principal_list(const struct auth_cert *cert, char *buf, size_t len)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < cert->nprincipals && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "," : "",
		    cert->principals[i]);
}

/*
 * The CA is trusted (TrustedUserCAKeys: o NULL, or a cert-authority line
 * with options o found at source). Check principals, options, validity,
 * source-address; grant.
 */
static void
auth_pk_cert_found(struct auth_op *op, struct auth_keyopts *lineopts,
    const char *source)
{
	const struct auth_config *c = auth_op_conf(op);
	const char *user = op->peer.view.user;
	struct auth_cert *cert = op->pk->cert;
	struct auth_keyopts po, *o = lineopts;
	struct auth_grant *g = NULL;
	char why[512], psource[1100], plist[256], *principal = NULL;
	unsigned perms;
	int r, m;

	memset(&po, 0, sizeof(po));
	po.perms = AUTH_PERM_ALL;
	snprintf(psource, sizeof(psource), "%s", source);
	/* Principals. */
	if (lineopts == NULL && c->authorized_principals_file != NULL) {
		why[0] = '\0';
		if ((r = auth_pk_principals_file(op, &po, &principal, psource,
		    sizeof(psource), why, sizeof(why))) != 0) {
			auth_pk_done(op, r, NULL, "%s", why);
			goto out;
		}
		o = &po;
	} else if (lineopts != NULL && lineopts->principals != NULL) {
		if (!auth_pk_principals_opt(cert, lineopts->principals,
		    &principal)) {
			auth_pk_principal_list(cert, plist, sizeof(plist));
			auth_pk_done(op, DG_ERR_AUTH, NULL, "certificate "
			    "principals (%s) not in principals=\"%s\" of %s",
			    plist, lineopts->principals, source);
			goto out;
		}
	} else if (lineopts == NULL && cert->nprincipals == 0) {
		auth_pk_done(op, DG_ERR_AUTH, NULL, "certificate lacks a "
		    "principal list");
		goto out;
	} else if (cert->nprincipals > 0) {
		if (!auth_cert_has_principal(cert, user)) {
			auth_pk_principal_list(cert, plist, sizeof(plist));
			auth_pk_done(op, DG_ERR_AUTH, NULL, "certificate "
			    "principals (%s) do not include %s", plist, user);
			goto out;
		}
		principal = xstrdup(user);
	}
	if (o == NULL)
		o = &po;
	/* Critical options devgate cannot honour. */
	if (cert->bad_option != NULL) {
		auth_pk_done(op, DG_ERR_DENIED, NULL, "certificate critical "
		    "option \"%s\" is not supported", cert->bad_option);
		goto out;
	}
	/* Validity. */
	if ((r = auth_cert_check_time(cert, (int64_t)time(NULL),
	    c->certificate_clock_skew, why, sizeof(why))) != 0) {
		auth_pk_done(op, r, NULL, "%s", why);
		goto out;
	}
	if (cert->source_address != NULL) {
		m = auth_match_cidr_list(op->peer.view.addr,
		    cert->source_address);
		if (m != 1) {
			auth_pk_done(op, DG_ERR_DENIED, NULL, "%s", m < 0 ?
			    "invalid certificate source-address" :
			    "client address not in certificate source-address");
			goto out;
		}
	}
	if ((r = auth_pk_line_ok(op, o, psource, why, sizeof(why))) != 0) {
		auth_pk_done(op, r, NULL, "%s", why);
		goto out;
	}
	/* Merge: both the line and the certificate must permit. */
	if (o->command != NULL && cert->force_command != NULL &&
	    strcmp(o->command, cert->force_command) != 0) {
		auth_pk_done(op, DG_ERR_DENIED, NULL, "forced commands of the "
		    "certificate and of %s differ", psource);
		goto out;
	}
	perms = o->perms & cert->perms;
	g = auth_pk_grant(op, o, psource);
	g->perms = perms;
	if (g->force_command == NULL && cert->force_command != NULL)
		g->force_command = xstrdup(cert->force_command);
	g->is_cert = 1;
	g->cert_key_id = xstrdup(cert->key_id);
	g->cert_serial = cert->serial;
	g->cert_principal = principal;
	principal = NULL;
	auth_fingerprint(cert->ca_blob, cert->ca_bloblen, g->ca_fingerprint,
	    sizeof(g->ca_fingerprint));
	if (cert->valid_before != UINT64_MAX && cert->valid_before <
	    (uint64_t)INT64_MAX - 86400 * 365) {
		int64_t vb = (int64_t)cert->valid_before +
		    c->certificate_clock_skew;

		if (g->expiry == 0 || vb < g->expiry)
			g->expiry = vb;
	}
	auth_pk_done(op, 0, g, NULL);
out:
	free(principal);
	auth_keyopts_clear(&po);
}

static void
auth_pk_cert(struct auth_op *op)
{
	const struct auth_config *c = auth_op_conf(op);
	struct auth_ctx *ctx = op->ctx;
	struct auth_pk *pk = op->pk;
	struct auth_cert *cert;
	char err[512], cafp[64];
	int r;

	err[0] = '\0';
	r = auth_cert_parse(op->blob, op->bloblen, c->ca_signature_algorithms,
	    &pk->cert, err, sizeof(err));
	if (r != 0) {
		auth_pk_done(op, r, NULL, "bad certificate: %s", err);
		return;
	}
	cert = pk->cert;
	auth_fingerprint(cert->key_blob, cert->key_bloblen, pk->fp,
	    sizeof(pk->fp));
	auth_fingerprint(cert->ca_blob, cert->ca_bloblen, cafp, sizeof(cafp));
	if (ctx->krl != NULL) {
		if (auth_krl_refresh(ctx->krl, err, sizeof(err)) != 0)
			log_error("%s: %s: refusing keys until it is fixed",
			    op->peer.view.session, err);
		if (auth_krl_key_revoked(ctx->krl, cert->key_blob,
		    cert->key_bloblen) || auth_krl_cert_revoked(ctx->krl,
		    cert->ca_blob, cert->ca_bloblen, cert->serial,
		    cert->key_id)) {
			auth_pk_done(op, DG_ERR_REVOKED, NULL, "certificate "
			    "revoked (RevokedKeys): id \"%s\" serial %llu",
			    cert->key_id, (unsigned long long)cert->serial);
			return;
		}
		if (auth_krl_key_revoked(ctx->krl, cert->ca_blob,
		    cert->ca_bloblen)) {
			auth_pk_done(op, DG_ERR_REVOKED, NULL, "certificate "
			    "CA %s revoked (RevokedKeys)", cafp);
			return;
		}
	}
	if (cert->cert_type != AUTH_CERT_USER) {
		auth_pk_done(op, DG_ERR_AUTH, NULL, "host certificate "
		    "presented for user authentication (id \"%s\")",
		    cert->key_id);
		return;
	}
	if (ctx->cas != NULL) {
		if (auth_cas_refresh(ctx->cas, err, sizeof(err)) != 0)
			log_error("%s: %s (keeping the previous CA list)",
			    op->peer.view.session, err);
		if (auth_cas_trusted(ctx->cas, cert->ca_blob,
		    cert->ca_bloblen)) {
			auth_pk_cert_found(op, NULL, "TrustedUserCAKeys");
			return;
		}
		auth_pk_tried(pk, "TrustedUserCAKeys");
	}
	/* cert-authority lines in the user's keys. */
	pk->want_ca = 1;
	pk->search = cert->ca_blob;
	pk->searchlen = cert->ca_bloblen;
	auth_pk_search(op);
}

void
auth_pubkey_start(struct auth_op *op)
{
	const struct auth_config *c = auth_op_conf(op);
	struct auth_ctx *ctx = op->ctx;
	struct auth_pk *pk;
	enum auth_ktype kt;
	char err[256];
	int cert;
	size_t n;

	pk = op->pk = xcalloc(1, sizeof(*pk));
	if (auth_blob_type(op->blob, op->bloblen, pk->type,
	    sizeof(pk->type)) != 0) {
		snprintf(pk->type, sizeof(pk->type), "unknown");
		auth_fingerprint(op->blob, op->bloblen, pk->fp, sizeof(pk->fp));
		auth_pk_done(op, DG_ERR_INVAL, NULL, "malformed key blob");
		return;
	}
	auth_fingerprint(op->blob, op->bloblen, pk->fp, sizeof(pk->fp));
	kt = auth_sig_ktype(pk->type, &cert);
	pk->is_cert = cert;
	/* The algorithm must name the blob's type; RSA keys may be used with
	 * the SHA-2 signature algorithms. */
	n = strlen(op->algo);
	if (strcmp(op->algo, pk->type) != 0 && !(kt == AUTH_KT_RSA &&
	    ((!cert && (strcmp(op->algo, "rsa-sha2-256") == 0 ||
	    strcmp(op->algo, "rsa-sha2-512") == 0)) ||
	    (cert && (strcmp(op->algo,
	    "rsa-sha2-256-cert-v01@openssh.com") == 0 ||
	    strcmp(op->algo, "rsa-sha2-512-cert-v01@openssh.com") == 0))))) {
		auth_pk_done(op, DG_ERR_INVAL, NULL, "algorithm %.*s does not "
		    "match key type %s", (int)(n > 64 ? 64 : n), op->algo,
		    pk->type);
		return;
	}
	if (!c->pubkey_authentication) {
		auth_pk_done(op, DG_ERR_DENIED, NULL, "public key "
		    "authentication disabled (PubkeyAuthentication)");
		return;
	}
	if (kt == AUTH_KT_UNKNOWN) {
		auth_pk_done(op, DG_ERR_NOTSUP, NULL, "unsupported key type");
		return;
	}
	if (cert) {
		auth_pk_cert(op);
		return;
	}
	if (auth_sig_key_blob(op->blob, op->bloblen, &kt, NULL) != 0) {
		auth_pk_done(op, DG_ERR_INVAL, NULL, "invalid %s key",
		    pk->type);
		return;
	}
	if (ctx->krl != NULL) {
		if (auth_krl_refresh(ctx->krl, err, sizeof(err)) != 0)
			log_error("%s: %s: refusing keys until it is fixed",
			    op->peer.view.session, err);
		if (auth_krl_key_revoked(ctx->krl, op->blob, op->bloblen)) {
			auth_pk_done(op, DG_ERR_REVOKED, NULL, "key revoked "
			    "(RevokedKeys)");
			return;
		}
	}
	pk->search = op->blob;
	pk->searchlen = op->bloblen;
	auth_pk_search(op);
}
