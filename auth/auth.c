/* auth.c: the auth facade: the per-worker context, pending operations and
 * their delivery on the loop, grants, and the audit records of logins and
 * channels. */
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auditlog.h"
#include "auth/auth-cert.h"
#include "auth/auth-int.h"
#include "auth/auth-keysrv.h"
#include "auth/auth-krl.h"
#include "auth/auth-penalty.h"
#include "common/err.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"

/* Peers. */

void
auth_peer_copy(struct auth_peer_copy *c, const struct auth_peer *p)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	c->session = xstrdup(p->session != NULL ? p->session : "-");
	c->user = xstrdup(p->user != NULL ? p->user : "");
	c->env = p->env != NULL ? xstrdup(p->env) : NULL;
	c->addr = xstrdup(p->addr != NULL ? p->addr : "");
	c->laddr = p->laddr != NULL ? xstrdup(p->laddr) : NULL;
	if (p->groups != NULL && p->ngroups > 0) {
		c->groups = xcalloc(p->ngroups, sizeof(*c->groups));
		for (i = 0; i < p->ngroups; i++)
			c->groups[i] = xstrdup(p->groups[i] != NULL ?
			    p->groups[i] : "");
		c->ngroups = p->ngroups;
	}
	c->view = *p;
	c->view.session = c->session;
	c->view.user = c->user;
	c->view.env = c->env;
	c->view.addr = c->addr;
	c->view.laddr = c->laddr;
	c->view.groups = (const char *const *)c->groups;
	c->view.ngroups = c->ngroups;
}

void
auth_peer_clear(struct auth_peer_copy *c)
{
	size_t i;

	free(c->session);
	free(c->user);
	free(c->env);
	free(c->addr);
	free(c->laddr);
	for (i = 0; i < c->ngroups; i++)
		free(c->groups[i]);
	free(c->groups);
	memset(c, 0, sizeof(*c));
}

/* Grants. */

static void
auth_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static char **
auth_strv_dup(char *const *v, size_t n)
{
	char **out;
	size_t i;

	if (n == 0)
		return NULL;
	out = xcalloc(n, sizeof(*out));
	for (i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

void
auth_grant_free(struct auth_grant *g)
{
	if (g == NULL)
		return;
	free(g->cert_key_id);
	free(g->cert_principal);
	free(g->source);
	free(g->force_command);
	auth_strv_free(g->permitopen, g->npermitopen);
	auth_strv_free(g->environment, g->nenvironment);
	free(g);
}

static char *
auth_strdup0(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

struct auth_grant *
auth_grant_dup(const struct auth_grant *g)
{
	struct auth_grant *d;

	if (g == NULL)
		return NULL;
	d = xmalloc(sizeof(*d));
	*d = *g;
	d->cert_key_id = auth_strdup0(g->cert_key_id);
	d->cert_principal = auth_strdup0(g->cert_principal);
	d->source = auth_strdup0(g->source);
	d->force_command = auth_strdup0(g->force_command);
	d->permitopen = auth_strv_dup(g->permitopen, g->npermitopen);
	d->environment = auth_strv_dup(g->environment, g->nenvironment);
	return d;
}

/* Context. */

struct auth_ctx_res {
	struct auth_cas	*cas;
	struct auth_krl	*krl;
	struct auditlog	*audit;
};

static int
auth_ctx_load(const struct auth_config *c, struct auth_ctx_res *res,
    char *err, size_t errlen)
{
	int r;

	memset(res, 0, sizeof(*res));
	if (c->trusted_user_ca_keys != NULL &&
	    (r = auth_cas_load(c->trusted_user_ca_keys, &res->cas, err,
	    errlen)) != 0)
		goto fail;
	if (c->revoked_keys != NULL &&
	    (r = auth_krl_load(c->revoked_keys, &res->krl, err, errlen)) != 0)
		goto fail;
	if ((r = auditlog_open(c->audit_log, &res->audit, err, errlen)) != 0)
		goto fail;
	return 0;
fail:
	auth_cas_free(res->cas);
	auth_krl_free(res->krl);
	auditlog_close(res->audit);
	memset(res, 0, sizeof(*res));
	return r;
}

struct auth_ctx *
auth_ctx_new(struct loop *loop, const struct auth_config *c, char *err,
    size_t errlen)
{
	struct auth_ctx *ctx;
	struct auth_ctx_res res;

	if (auth_ctx_load(c, &res, err, errlen) != 0)
		return NULL;
	ctx = xcalloc(1, sizeof(*ctx));
	ctx->loop = loop;
	ctx->gwait_tail = &ctx->gwait;
	auth_config_copy(&ctx->conf, c);
	ctx->cas = res.cas;
	ctx->krl = res.krl;
	ctx->audit = res.audit;
	ctx->keysrv = auth_keysrv_new(loop, &ctx->conf);
	return ctx;
}

static void
auth_ctx_cancel_all(struct auth_ctx *ctx)
{
	while (ctx->ops != NULL)
		auth_op_cancel(ctx->ops);
	while (ctx->kbs != NULL)
		auth_kbdint_ctx_gone(ctx->kbs);
	auth_groups_ctx_gone(ctx);
}

void
auth_ctx_free(struct auth_ctx *ctx)
{
	if (ctx == NULL)
		return;
	auth_ctx_cancel_all(ctx);
	auth_keysrv_free(ctx->keysrv);
	auth_cas_free(ctx->cas);
	auth_krl_free(ctx->krl);
	auditlog_close(ctx->audit);
	if (ctx->penalty_own)
		auth_penalty_free(ctx->penalty);
	auth_config_free(&ctx->conf);
	free(ctx);
}

int
auth_ctx_reload(struct auth_ctx *ctx, const struct auth_config *c, char *err,
    size_t errlen)
{
	struct auth_ctx_res res;
	struct auth_config old;
	int r;

	if ((r = auth_ctx_load(c, &res, err, errlen)) != 0)
		return r;
	auth_cas_free(ctx->cas);
	auth_krl_free(ctx->krl);
	auditlog_close(ctx->audit);
	ctx->cas = res.cas;
	ctx->krl = res.krl;
	ctx->audit = res.audit;
	old = ctx->conf;
	auth_config_copy(&ctx->conf, c);
	/* The key server keeps its cache when the URL did not change. */
	auth_keysrv_reconfigure(ctx->keysrv, &ctx->conf);
	auth_config_free(&old);
	return 0;
}

void
auth_ctx_set_resolver(struct auth_ctx *ctx, const struct http_resolver *res)
{
	auth_keysrv_set_resolver(ctx->keysrv, res);
}

const struct auth_config *
auth_ctx_config(const struct auth_ctx *ctx)
{
	return &ctx->conf;
}

/* Operations. */

struct auth_op *
auth_op_new(struct auth_ctx *ctx, enum auth_op_kind kind,
    const struct auth_peer *peer)
{
	struct auth_op *op = xcalloc(1, sizeof(*op));

	op->ctx = ctx;
	op->kind = kind;
	auth_peer_copy(&op->peer, peer);
	op->next = ctx->ops;
	if (ctx->ops != NULL)
		ctx->ops->prevp = &op->next;
	op->prevp = &ctx->ops;
	ctx->ops = op;
	return op;
}

const struct auth_config *
auth_op_conf(const struct auth_op *op)
{
	if (op->peer.view.conf != NULL)
		return op->peer.view.conf;
	return &op->ctx->conf;
}

static void
auth_op_unlink(struct auth_op *op)
{
	if (op->prevp != NULL) {
		*op->prevp = op->next;
		if (op->next != NULL)
			op->next->prevp = op->prevp;
		op->prevp = NULL;
		op->next = NULL;
	}
}

static void
auth_op_destroy(struct auth_op *op)
{
	auth_op_unlink(op);
	auth_pubkey_cleanup(op);
	auth_grant_free(op->grant);
	auth_user_groups_free(op->groups, op->ngroups);
	auth_peer_clear(&op->peer);
	free(op->algo);
	free(op->blob);
	free(op);
}

static void
auth_op_deliver(void *arg)
{
	struct auth_op *op = arg;
	struct auth_grant *g;

	op->queued = 0;
	if (op->cancelled) {
		auth_op_destroy(op);
		return;
	}
	auth_op_unlink(op);
	switch (op->kind) {
	case AUTH_OP_PUBKEY:
		g = op->grant;
		op->grant = NULL;
		op->pk_cb(op->arg, op->result, g,
		    op->result == 0 ? NULL : op->reason);
		break;
	case AUTH_OP_PAM_ACCOUNT:
		op->done_cb(op->arg, op->result,
		    op->result == 0 ? NULL : op->reason);
		break;
	case AUTH_OP_GROUPS:
		op->groups_cb(op->arg, op->result, op->groups, op->ngroups,
		    op->result == 0 ? NULL : op->reason);
		op->groups = NULL;
		op->ngroups = 0;
		break;
	}
	auth_op_destroy(op);
}

void
auth_op_finish(struct auth_op *op, int result, struct auth_grant *g,
    const char *fmt, ...)
{
	va_list ap;

	op->result = result;
	auth_grant_free(op->grant);
	op->grant = g;
	op->reason[0] = '\0';
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(op->reason, sizeof(op->reason), fmt, ap);
		va_end(ap);
	}
	if (result != 0 && op->reason[0] == '\0')
		snprintf(op->reason, sizeof(op->reason), "%s",
		    dg_strerror(result));
	op->queued = 1;
	loop_defer(op->ctx->loop, auth_op_deliver, op);
}

void
auth_op_cancel(struct auth_op *op)
{
	if (op == NULL || op->cancelled)
		return;
	op->cancelled = 1;
	switch (op->kind) {
	case AUTH_OP_PUBKEY:
		auth_pubkey_cancel(op);
		break;
	case AUTH_OP_PAM_ACCOUNT:
		auth_pam_cancel(op);
		break;
	case AUTH_OP_GROUPS:
		auth_groups_cancel(op);
		break;
	}
	auth_op_unlink(op);
	op->ctx = NULL;
	/* A queued delivery frees it; a PAM thread still running owns it
	 * until its post arrives (auth_pam_cancel took care of that). */
	if (!op->queued && op->pam == NULL)
		auth_op_destroy(op);
}

/* Public keys. */

int
auth_publickey(struct auth_ctx *ctx, const struct auth_peer *peer,
    const char *algo, const unsigned char *blob, size_t len,
    int signature_verified, auth_pubkey_cb *cb, void *arg,
    struct auth_op **opp)
{
	struct auth_op *op;

	if (ctx == NULL || peer == NULL || algo == NULL || blob == NULL ||
	    cb == NULL || opp == NULL || len == 0 || len > 65536)
		return DG_ERR_INVAL;
	op = auth_op_new(ctx, AUTH_OP_PUBKEY, peer);
	op->algo = xstrdup(algo);
	op->blob = xmalloc(len);
	memcpy(op->blob, blob, len);
	op->bloblen = len;
	op->verified = signature_verified != 0;
	op->pk_cb = cb;
	op->arg = arg;
	*opp = op;
	auth_pubkey_start(op);
	return 0;
}

/* PAM account. */

int
auth_pam_account(struct auth_ctx *ctx, const struct auth_peer *peer,
    auth_done_cb *cb, void *arg, struct auth_op **opp)
{
	struct auth_op *op;
	int r;

	if (ctx == NULL || peer == NULL || cb == NULL || opp == NULL)
		return DG_ERR_INVAL;
	op = auth_op_new(ctx, AUTH_OP_PAM_ACCOUNT, peer);
	op->done_cb = cb;
	op->arg = arg;
	if ((r = auth_pam_account_start(op)) != 0) {
		auth_op_unlink(op);
		auth_op_destroy(op);
		return r;
	}
	*opp = op;
	return 0;
}

/* Groups. */

int
auth_user_groups_start(struct auth_ctx *ctx, const char *user,
    auth_groups_cb *cb, void *arg, struct auth_op **opp)
{
	struct auth_peer peer;
	struct auth_op *op;

	if (ctx == NULL || user == NULL || cb == NULL || opp == NULL)
		return DG_ERR_INVAL;
	memset(&peer, 0, sizeof(peer));
	peer.user = user;
	op = auth_op_new(ctx, AUTH_OP_GROUPS, &peer);
	op->groups_cb = cb;
	op->arg = arg;
	*opp = op;
	auth_groups_start(op);
	return 0;
}

/* Penalties. */

void
auth_ctx_set_penalty(struct auth_ctx *ctx, struct auth_penalty *p)
{
	if (ctx->penalty_own)
		auth_penalty_free(ctx->penalty);
	ctx->penalty = p;
	ctx->penalty_own = 0;
}

static struct auth_penalty *
auth_ctx_penalty(struct auth_ctx *ctx)
{
	if (ctx->penalty == NULL) {
		ctx->penalty = auth_penalty_new(&ctx->conf, 0);
		ctx->penalty_own = 1;
	}
	return ctx->penalty;
}

int
auth_penalty_check(struct auth_ctx *ctx, const struct sockaddr *sa,
    socklen_t salen, unsigned *delay_msp, const char **reasonp)
{
	struct auth_penalty *p = auth_ctx_penalty(ctx);

	if (p == NULL) {
		*delay_msp = 0;
		return 0;
	}
	return auth_penalty_check_at(p, &ctx->conf, sa, salen,
	    loop_clock_ms(), delay_msp, reasonp);
}

void
auth_penalty_record(struct auth_ctx *ctx, const struct sockaddr *sa,
    socklen_t salen, enum auth_penalty_event ev)
{
	struct auth_penalty *p = auth_ctx_penalty(ctx);

	if (p != NULL)
		auth_penalty_record_at(p, &ctx->conf, sa, salen, ev,
		    loop_clock_ms());
}

/* Audit. */

static void
auth_audit_peer(struct auditlog_rec *r, const struct auth_peer *p)
{
	auditlog_rec_str(r, "session", p->session);
	auditlog_rec_str(r, "user", p->user);
	auditlog_rec_str(r, "env", p->env);
	auditlog_rec_str(r, "src", p->addr);
	if (p->port > 0)
		auditlog_rec_int(r, "src_port", p->port);
	auditlog_rec_str(r, "dst", p->laddr);
	if (p->lport > 0)
		auditlog_rec_int(r, "dst_port", p->lport);
}

static void
auth_audit_grant(struct auditlog_rec *r, const struct auth_grant *g)
{
	if (g == NULL)
		return;
	if (g->is_cert) {
		auditlog_rec_str(r, "cert_id", g->cert_key_id);
		auditlog_rec_uint(r, "cert_serial", g->cert_serial);
		auditlog_rec_str(r, "ca_fingerprint", g->ca_fingerprint);
		auditlog_rec_str(r, "principal", g->cert_principal);
	}
	auditlog_rec_str(r, "key_source", g->source);
	auditlog_rec_str(r, "force_command", g->force_command);
}

void
auth_audit_auth(struct auth_ctx *ctx, const struct auth_peer *p,
    const char *method, const char *stage, const struct auth_grant *g,
    const char *key_type, const char *fp, int result, const char *reason)
{
	struct auditlog_rec r;

	if (ctx->audit == NULL)
		return;
	auditlog_rec_init(&r, "auth");
	auth_audit_peer(&r, p);
	auditlog_rec_str(&r, "method", method);
	auditlog_rec_str(&r, "stage", stage);
	auditlog_rec_str(&r, "key_type", key_type);
	auditlog_rec_str(&r, "fingerprint", fp);
	auth_audit_grant(&r, g);
	auditlog_rec_str(&r, "decision", result == 0 ? "accept" : "refuse");
	auditlog_rec_str(&r, "reason", result == 0 ? NULL : reason);
	auditlog_rec_write(ctx->audit, &r);
}

void
auth_audit_login(struct auth_ctx *ctx, const struct auth_peer *p,
    const struct auth_grant *g, int success, const char *methods,
    const char *reason)
{
	struct auditlog_rec r;

	if (ctx == NULL || ctx->audit == NULL)
		return;
	auditlog_rec_init(&r, "login");
	auth_audit_peer(&r, p);
	auditlog_rec_str(&r, "methods", methods);
	if (g != NULL) {
		auditlog_rec_str(&r, "key_type", g->key_type[0] ? g->key_type :
		    NULL);
		auditlog_rec_str(&r, "fingerprint", g->fingerprint[0] ?
		    g->fingerprint : NULL);
	}
	auth_audit_grant(&r, g);
	auditlog_rec_str(&r, "decision", success ? "accept" : "refuse");
	auditlog_rec_str(&r, "reason", reason);
	auditlog_rec_write(ctx->audit, &r);
}

void
auth_audit_reach(struct auth_ctx *ctx, const struct auth_peer *p,
    const char *env, enum auth_reach why)
{
	struct auditlog_rec r;

	if (ctx == NULL || ctx->audit == NULL)
		return;
	auditlog_rec_init(&r, "reach");
	auth_audit_peer(&r, p);
	if (p->env == NULL || env == NULL || strcmp(p->env, env) != 0)
		auditlog_rec_str(&r, "target", env);
	auditlog_rec_str(&r, "decision", why >= AUTH_REACH_OWNER ? "accept" :
	    "refuse");
	auditlog_rec_str(&r, why >= AUTH_REACH_OWNER ? "as" : "reason",
	    auth_reach_name(why));
	auditlog_rec_write(ctx->audit, &r);
}

void
auth_audit_channel_open(struct auth_ctx *ctx, const struct auth_peer *p,
    int channel, enum auth_chan kind, const char *detail,
    const char *refused)
{
	struct auditlog_rec r;

	if (ctx == NULL || ctx->audit == NULL)
		return;
	auditlog_rec_init(&r, "channel_open");
	auth_audit_peer(&r, p);
	auditlog_rec_int(&r, "channel", channel);
	auditlog_rec_str(&r, "kind", auth_chan_name(kind));
	auditlog_rec_str(&r, "detail", detail);
	auditlog_rec_str(&r, "decision", refused == NULL ? "accept" : "refuse");
	auditlog_rec_str(&r, "reason", refused);
	auditlog_rec_write(ctx->audit, &r);
}

void
auth_audit_channel_close(struct auth_ctx *ctx, const struct auth_peer *p,
    int channel, enum auth_chan kind, uint64_t bytes_in, uint64_t bytes_out,
    uint64_t duration_ms, int exit_status)
{
	struct auditlog_rec r;

	if (ctx == NULL || ctx->audit == NULL)
		return;
	auditlog_rec_init(&r, "channel_close");
	auth_audit_peer(&r, p);
	auditlog_rec_int(&r, "channel", channel);
	auditlog_rec_str(&r, "kind", auth_chan_name(kind));
	auditlog_rec_uint(&r, "bytes_in", bytes_in);
	auditlog_rec_uint(&r, "bytes_out", bytes_out);
	auditlog_rec_uint(&r, "duration_ms", duration_ms);
	if (exit_status >= 0)
		auditlog_rec_int(&r, "exit_status", exit_status);
	auditlog_rec_write(ctx->audit, &r);
}
