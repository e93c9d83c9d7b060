/* session-auth.c: user authentication of one SSH connection, handed to
 * auth/: the user name split (alice+gpu), the effective config (Match),
 * publickey (query and signed), keyboard-interactive through PAM, the PAM
 * account check, AuthenticationMethods, MaxAuthTries, audit and
 * penalties. Auth answers asynchronously: the message is held meanwhile. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libssh/libssh.h>
#include <libssh/server.h>

#include "auth/auth-wire.h"
#include "common/err.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "gateway/session.h"
#include "gateway/worker.h"

/* libssh 0.10 marks the publickey getters deprecated but has no others. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#define SA_PUBKEY	"publickey"
#define SA_KBDINT	"keyboard-interactive"

static void sa_method_ok(struct session *, ssh_message, const char *method,
    struct auth_grant *);
static void sa_dispatch(struct session *, ssh_message);

/* The effective configuration: copies of the gateway and auth areas with
 * the Match blocks that fit this connection applied. */
static void
sa_conf_free(struct session *s)
{
	void *copies[CONF_MAX_AREAS] = { &s->gwc, &s->authc };

	if (s->have_conf)
		auth_config_for_free(&s->w->cf->conf, copies);
	else
		conf_area_free(&gateway_conf_table, &s->gwc);
	memset(&s->gwc, 0, sizeof(s->gwc));
	memset(&s->authc, 0, sizeof(s->authc));
	s->have_conf = 0;
}

void
session_conf_free(struct session *s)
{
	sa_conf_free(s);
}

int
session_conf_apply(struct session *s, const char *env)
{
	struct auth_match_ctx m;
	void *copies[CONF_MAX_AREAS] = { &s->gwc, &s->authc };
	char err[512];
	int r;

	sa_conf_free(s);
	memset(&m, 0, sizeof(m));
	m.user = s->ru.login;
	m.groups = (const char *const *)s->groups;
	m.ngroups = s->ngroups;
	m.addr = s->addr;
	m.laddr = s->laddr;
	m.lport = s->lport;
	m.env = env;
	err[0] = '\0';
	if ((r = auth_config_for(&s->w->cf->conf, &m, copies, err,
	    sizeof(err))) != 0) {
		session_log(s, LOG_L_ERROR, "Match: %s", err);
		/* Fall back to the global settings, never to nothing. */
		conf_area_copy(&gateway_conf_table, &s->gwc, s->w->gw);
		return r;
	}
	s->have_conf = 1;
	s->peer.conf = &s->authc;
	return 0;
}

static int
sa_ssh_methods(const char *list)
{
	int m = 0;

	if (strstr(list, SA_PUBKEY) != NULL)
		m |= SSH_AUTH_METHOD_PUBLICKEY;
	if (strstr(list, SA_KBDINT) != NULL)
		m |= SSH_AUTH_METHOD_INTERACTIVE;
	return m;
}

static const char *
sa_enabled(const struct session *s)
{
	const struct auth_config *a = &s->authc;
	int pk = !s->have_conf || a->pubkey_authentication;
	int kbd = s->have_conf && a->use_pam && a->kbd_interactive;

	if (pk && kbd)
		return SA_PUBKEY "," SA_KBDINT;
	return kbd ? SA_KBDINT : SA_PUBKEY;
}

static void
sa_advertise(struct session *s)
{
	char next[128];

	if (s->methods == NULL) {
		ssh_set_auth_methods(s->ssh, sa_ssh_methods(sa_enabled(s)));
		return;
	}
	auth_methods_next(s->methods, sa_enabled(s), next, sizeof(next));
	ssh_set_auth_methods(s->ssh, sa_ssh_methods(next));
}

/* One failed attempt: count it (MaxAuthTries), reply failure. */
static void
sa_fail(struct session *s, ssh_message msg, int counts, const char *why)
{
	if (why != NULL)
		snprintf(s->fail_reason, sizeof(s->fail_reason), "%s", why);
	if (counts) {
		if (s->auth_attempted >= 0)
			s->auth_attempted = 1;
		s->auth_tries++;
	}
	sa_advertise(s);
	ssh_message_reply_default(msg);
	ssh_message_free(msg);
	if (counts && s->auth_tries >= s->w->gw->max_auth_tries) {
		snprintf(s->fail_reason, sizeof(s->fail_reason),
		    "too many authentication failures");
		session_close(s, "too many authentication failures");
	}
}

/* The user's groups are known: the peer, Match, AuthenticationMethods;
 * then the request that named the user goes on. */
static void
sa_groups_cb(void *arg, int result, char **groups, size_t n,
    const char *reason)
{
	struct session *s = arg;
	ssh_message msg = s->held;
	char line[512];

	s->aop = NULL;
	s->held = NULL;
	if (result != 0) {
		/* Without its groups a Match Group restriction could be
		 * missed: refuse rather than guess. */
		session_log(s, LOG_L_ERROR, "%s", reason != NULL ? reason :
		    dg_strerror(result));
		sa_fail(s, msg, 1, "the user's groups are unknown");
		session_pump(s);
		return;
	}
	s->user_ok = 1;
	s->groups = groups;
	s->ngroups = n;
	s->peer.session = s->id;
	s->peer.user = s->ru.login;
	s->peer.groups = (const char *const *)s->groups;
	s->peer.ngroups = s->ngroups;
	s->peer.env = s->ru.env[0] != '\0' ? s->ru.env : NULL;
	s->peer.addr = s->addr;
	s->peer.port = s->port;
	s->peer.laddr = s->laddr;
	s->peer.lport = s->lport;
	session_conf_apply(s, s->peer.env);
	if (auth_methods_new(s->authc.authentication_methods, &s->methods,
	    line, sizeof(line)) != 0) {
		session_log(s, LOG_L_ERROR, "AuthenticationMethods: %s", line);
		s->methods = NULL;
	}
	sa_advertise(s);
	sa_dispatch(s, msg);
	session_pump(s);
}

/* The first request names the user: split it, learn the groups (NSS, on
 * a helper thread: the request waits, held), apply Match. A bad name gets
 * a banner saying which forms exist. 0: go on with msg; DG_ERR_AGAIN:
 * held until the groups come; else msg was answered. */
static int
sa_user(struct session *s, ssh_message msg)
{
	const char *user = ssh_message_auth_user(msg);
	char line[512];
	ssh_string banner;
	int r;

	if (user == NULL)
		user = "";
	if (s->user_ok) {
		if (strcmp(user, s->ssh_user) == 0)
			return 0;
		ssh_message_free(msg);
		session_close(s, "user name changed during authentication");
		return DG_ERR_PROTO;
	}
	snprintf(s->ssh_user, sizeof(s->ssh_user), "%s", user);
	if (strlen(user) >= sizeof(s->ssh_user) ||
	    (r = route_parse_user(user, &s->ru)) != 0) {
		route_refusal(DG_ERR_INVAL, NULL, s->ssh_user, line,
		    sizeof(line));
		strncat(line, "\r\n", sizeof(line) - strlen(line) - 1);
		if (s->auth_tries == 0 &&
		    (banner = ssh_string_from_char(line)) != NULL) {
			ssh_send_issue_banner(s->ssh, banner);
			ssh_string_free(banner);
		}
		log_info("%s %s: invalid user name \"%.64s\"", s->id, s->addr,
		    s->ssh_user);
		sa_fail(s, msg, 1, "invalid user name");
		return DG_ERR_INVAL;
	}
	s->held = msg;
	if ((r = auth_user_groups_start(s->w->auth, s->ru.login, sa_groups_cb,
	    s, &s->aop)) != 0) {
		s->held = NULL;
		s->aop = NULL;
		session_log(s, LOG_L_ERROR, "cannot look up the groups of %s: "
		    "%s", s->ru.login, dg_strerror(r));
		sa_fail(s, msg, 1, "the user's groups are unknown");
		return r;
	}
	return DG_ERR_AGAIN;
}

static void
sa_pk_cb(void *arg, int result, struct auth_grant *grant, const char *reason)
{
	struct session *s = arg;
	ssh_message msg = s->held;
	int verified;

	s->aop = NULL;
	s->held = NULL;
	verified = ssh_message_auth_publickey_state(msg) ==
	    SSH_PUBLICKEY_STATE_VALID;
	if (result != 0) {
		session_log(s, LOG_L_VERBOSE, "publickey refused: %s",
		    reason != NULL ? reason : dg_strerror(result));
		sa_fail(s, msg, 1, reason);
	} else if (!verified) {
		/* "Would you accept this key?": yes, now sign with it. */
		auth_grant_free(grant);
		ssh_message_auth_reply_pk_ok_simple(msg);
		ssh_message_free(msg);
	} else
		sa_method_ok(s, msg, SA_PUBKEY, grant);
	session_pump(s);
}

static void
sa_publickey(struct session *s, ssh_message msg)
{
	enum ssh_publickey_state_e st;
	ssh_key key;
	char *b64 = NULL;
	unsigned char *blob = NULL;
	size_t blen = 0;
	const char *algo;
	int r;

	if (s->methods != NULL && !auth_methods_allowed(s->methods,
	    SA_PUBKEY)) {
		sa_fail(s, msg, 0, NULL);
		return;
	}
	st = ssh_message_auth_publickey_state(msg);
	key = ssh_message_auth_pubkey(msg);
	if (st == SSH_PUBLICKEY_STATE_WRONG || key == NULL) {
		session_log(s, LOG_L_VERBOSE, "publickey: bad signature");
		sa_fail(s, msg, 1, "bad signature");
		return;
	}
	algo = ssh_key_type_to_char(ssh_key_type(key));
	if (ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK ||
	    auth_b64_decode(b64, strlen(b64), &blob, &blen) != 0) {
		ssh_string_free_char(b64);
		sa_fail(s, msg, 1, "unreadable key");
		return;
	}
	ssh_string_free_char(b64);
	s->held = msg;
	r = auth_publickey(s->w->auth, &s->peer, algo != NULL ? algo : "",
	    blob, blen, st == SSH_PUBLICKEY_STATE_VALID, sa_pk_cb, s, &s->aop);
	free(blob);
	if (r != 0) {
		s->held = NULL;
		session_log(s, LOG_L_ERROR, "publickey check failed: %s",
		    dg_strerror(r));
		sa_fail(s, msg, 1, dg_strerror(r));
	}
}

/* After a method: PAM account for publickey logins, then the methods. */
static void
sa_account_cb(void *arg, int result, const char *reason)
{
	struct session *s = arg;
	ssh_message msg = s->held;
	struct auth_grant *g = s->pending_grant;

	s->aop = NULL;
	s->held = NULL;
	s->pending_grant = NULL;
	if (result != 0) {
		session_log(s, LOG_L_INFO, "refused by PAM account: %s",
		    reason != NULL ? reason : dg_strerror(result));
		auth_grant_free(g);
		sa_fail(s, msg, 1, reason);
	} else {
		s->account_ok = 1;
		sa_method_ok(s, msg, SA_PUBKEY, g);
	}
	session_pump(s);
}

static void
sa_authenticated(struct session *s)
{
	struct worker *w = s->w;
	const struct auth_grant *g = s->grant;

	s->state = SESS_OPEN;
	loop_timer_stop(s->grace);
	if (s->gwc.alive_interval > 0)
		loop_timer_start(s->alive,
		    (uint64_t)s->gwc.alive_interval * 1000);
	worker_unauth_changed(w, -1);
	auth_penalty_record(w->auth, (struct sockaddr *)&s->peer_ss,
	    s->peer_len, AUTH_PENALTY_SUCCESS);
	auth_audit_login(w->auth, &s->peer, g, 1, s->methods_done, NULL);
	session_log(s, LOG_L_INFO, "accepted %s%s%s%s", s->methods_done,
	    g != NULL && g->fingerprint[0] ? " key " : "",
	    g != NULL ? g->fingerprint : "",
	    g != NULL && g->cert_key_id != NULL ? " (certificate)" : "");
	session_env_start(s);
}

static void
sa_method_ok(struct session *s, ssh_message msg, const char *method,
    struct auth_grant *grant)
{
	enum auth_methods_state st = AUTH_METHODS_DONE;

	/* A publickey login still needs PAM's account check. */
	if (strcmp(method, SA_PUBKEY) == 0 && s->authc.use_pam &&
	    !s->account_ok) {
		s->held = msg;
		s->pending_grant = grant;
		if (auth_pam_account(s->w->auth, &s->peer, sa_account_cb, s,
		    &s->aop) == 0)
			return;
		s->held = NULL;
		s->pending_grant = NULL;
		auth_grant_free(grant);
		sa_fail(s, msg, 1, "PAM account check failed");
		return;
	}
	if (s->methods != NULL)
		st = auth_methods_complete(s->methods, method);
	if (st == AUTH_METHODS_DENIED) {
		auth_grant_free(grant);
		sa_fail(s, msg, 0, NULL);
		return;
	}
	if (s->methods_done[0] != '\0')
		strncat(s->methods_done, ",", sizeof(s->methods_done) -
		    strlen(s->methods_done) - 1);
	strncat(s->methods_done, method, sizeof(s->methods_done) -
	    strlen(s->methods_done) - 1);
	/* The publickey grant (key options) is the one that restricts. */
	if (grant != NULL) {
		auth_grant_free(s->grant);
		s->grant = grant;
	}
	if (st == AUTH_METHODS_PARTIAL) {
		sa_advertise(s);
		ssh_message_auth_reply_success(msg, 1);
		ssh_message_free(msg);
		return;
	}
	ssh_message_auth_reply_success(msg, 0);
	ssh_message_free(msg);
	sa_authenticated(s);
}

/* Keyboard-interactive through PAM. */

static void
sa_prompt_cb(void *arg, const struct auth_prompts *p)
{
	struct session *s = arg;
	ssh_message msg = s->held;

	s->held = NULL;
	if (msg == NULL)
		return;
	ssh_message_auth_interactive_request(msg, p->name != NULL ? p->name :
	    "", p->instruction != NULL ? p->instruction : "", p->n,
	    (const char **)(uintptr_t)p->prompts, (char *)(uintptr_t)p->echo);
	ssh_message_free(msg);
	session_pump(s);
}

static void
sa_kbd_done(void *arg, int result, const char *reason)
{
	struct session *s = arg;
	ssh_message msg = s->held;

	s->held = NULL;
	auth_kbdint_free(s->kbd);
	s->kbd = NULL;
	if (msg == NULL)
		return;
	if (result != 0) {
		session_log(s, LOG_L_INFO, "keyboard-interactive refused: %s",
		    reason != NULL ? reason : dg_strerror(result));
		sa_fail(s, msg, 1, reason);
	} else {
		/* PAM ran the account check itself. */
		s->account_ok = 1;
		sa_method_ok(s, msg, SA_KBDINT, NULL);
	}
	session_pump(s);
}

static void
sa_kbdint(struct session *s, ssh_message msg)
{
	const char *answers[64];
	int i, n;

	if (ssh_message_auth_kbdint_is_response(msg)) {
		n = ssh_userauth_kbdint_getnanswers(s->ssh);
		if (s->kbd == NULL || n < 0 || n > 64) {
			sa_fail(s, msg, 1, "unexpected answers");
			return;
		}
		for (i = 0; i < n; i++)
			answers[i] = ssh_userauth_kbdint_getanswer(s->ssh,
			    (unsigned)i);
		s->held = msg;
		if (auth_kbdint_answer(s->kbd, (unsigned)n, answers) != 0) {
			s->held = NULL;
			auth_kbdint_free(s->kbd);
			s->kbd = NULL;
			sa_fail(s, msg, 1, "bad answers");
		}
		return;
	}
	if ((s->methods != NULL && !auth_methods_allowed(s->methods,
	    SA_KBDINT)) || s->kbd != NULL) {
		sa_fail(s, msg, 0, NULL);
		return;
	}
	s->held = msg;
	if (auth_kbdint_start(s->w->auth, &s->peer, sa_prompt_cb, sa_kbd_done,
	    s, &s->kbd) != 0) {
		s->held = NULL;
		s->kbd = NULL;
		sa_fail(s, msg, 0, NULL);
	}
}

void
session_auth_message(struct session *s, ssh_message msg)
{
	/* An INFO_RESPONSE carries no user name: it continues the
	 * conversation the named request started. */
	if (ssh_message_subtype(msg) == SSH_AUTH_METHOD_INTERACTIVE &&
	    ssh_message_auth_kbdint_is_response(msg) && s->user_ok) {
		sa_kbdint(s, msg);
		return;
	}
	if (sa_user(s, msg) != 0)
		return;
	sa_dispatch(s, msg);
}

/* A request of a known user. */
static void
sa_dispatch(struct session *s, ssh_message msg)
{
	switch (ssh_message_subtype(msg)) {
	case SSH_AUTH_METHOD_PUBLICKEY:
		sa_publickey(s, msg);
		break;
	case SSH_AUTH_METHOD_INTERACTIVE:
		sa_kbdint(s, msg);
		break;
	default:
		/* none, password, hostbased: not offered. */
		sa_fail(s, msg, ssh_message_subtype(msg) !=
		    SSH_AUTH_METHOD_NONE, NULL);
		break;
	}
}

void
session_auth_cancel(struct session *s)
{
	auth_op_cancel(s->aop);
	s->aop = NULL;
	auth_kbdint_free(s->kbd);
	s->kbd = NULL;
	if (s->held != NULL) {
		ssh_message_free(s->held);
		s->held = NULL;
	}
}
