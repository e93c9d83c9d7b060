/* chan-session.c: the requests of a "session" channel: pty-req,
 * window-change, env, shell, exec (through the user's shell, with
 * ForceCommand and SSH_ORIGINAL_COMMAND), the sftp subsystem (the image's
 * sftp-server, bytes relayed unparsed by channel.c), and signal delivery
 * through a second exec. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libssh/libssh.h>
#include <libssh/server.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "gateway/channel.h"
#include "gateway/session.h"
#include "gateway/worker.h"

/* libssh 0.10's pty getters are marked deprecated, with no replacement. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#define CS_ENV_VALUE_MAX	4096

/* One exec that delivers a signal; its output is ignored. */
struct channel_sig {
	struct channel		*c;	/* parent, not owned */
	struct bstream		*bs;
	int			 done;
	struct channel_sig	*next;
};

static void
cs_reply(ssh_message msg, int ok)
{
	if (ok)
		ssh_message_channel_request_reply_success(msg);
	else
		ssh_message_reply_default(msg);
	ssh_message_free(msg);
}

static int
cs_may(struct channel *c, enum auth_chan kind, const char *host,
    const char **whyp)
{
	struct session *s = c->s;
	struct auth_chan_req req;

	memset(&req, 0, sizeof(req));
	req.kind = kind;
	req.host = host;
	req.nsessions = s->nsessions - 1;	/* this one is open */
	return auth_may_open(&s->authc, &s->peer, s->grant,
	    session_env_acl(s), &req, whyp);
}

static int
cs_env_accepted(struct channel *c, const char *name)
{
	if (strcmp(name, "LANG") == 0 || strncmp(name, "LC_", 3) == 0 ||
	    strcmp(name, "TERM") == 0)
		return 1;
	return servconf_accept_env(&c->s->gwc.accept_env, name);
}

static void
cs_env(struct channel *c, ssh_message msg)
{
	const char *name = ssh_message_channel_request_env_name(msg);
	const char *value = ssh_message_channel_request_env_value(msg);
	int i, ok = 0;

	if (name == NULL || value == NULL || c->started ||
	    !execwrap_valid_env_name(name) ||
	    strlen(value) > CS_ENV_VALUE_MAX ||
	    !cs_env_accepted(c, name) || cs_may(c, AUTH_CHAN_ENV, name,
	    NULL) != 0) {
		session_log(c->s, LOG_L_VERBOSE, "channel %d: env %.64s "
		    "refused", c->id, name != NULL ? name : "?");
		cs_reply(msg, 0);
		return;
	}
	/* A name given again replaces the earlier value. */
	for (i = 0; i < c->nenv; i++)
		if (strncmp(c->env[i], name, strlen(name)) == 0 &&
		    c->env[i][strlen(name)] == '=')
			break;
	if (i < c->nenv) {
		free(c->env[i]);
		c->env[i] = xasprintf("%s=%s", name, value);
		ok = 1;
	} else if (c->nenv < CHANNEL_MAX_ENV) {
		c->env[c->nenv++] = xasprintf("%s=%s", name, value);
		ok = 1;
	}
	cs_reply(msg, ok);
}

static void
cs_pty(struct channel *c, ssh_message msg)
{
	const char *term = ssh_message_channel_request_pty_term(msg);
	const char *why = NULL;
	int w = ssh_message_channel_request_pty_width(msg);
	int h = ssh_message_channel_request_pty_height(msg);

	if (c->started || c->pty || cs_may(c, AUTH_CHAN_PTY, NULL, &why) != 0) {
		session_log(c->s, LOG_L_VERBOSE, "channel %d: pty refused%s%s",
		    c->id, why != NULL ? ": " : "", why != NULL ? why : "");
		cs_reply(msg, 0);
		return;
	}
	c->pty = 1;
	snprintf(c->term, sizeof(c->term), "%s", term != NULL && *term ?
	    term : "vt100");
	c->cols = w > 0 && w < 10000 ? (unsigned)w : 80;
	c->rows = h > 0 && h < 10000 ? (unsigned)h : 24;
	cs_reply(msg, 1);
}

static void
cs_window_change(struct channel *c, ssh_message msg)
{
	int w = ssh_message_channel_request_pty_width(msg);
	int h = ssh_message_channel_request_pty_height(msg);

	if (w > 0 && w < 10000 && h > 0 && h < 10000) {
		c->cols = (unsigned)w;
		c->rows = (unsigned)h;
		if (c->pty && c->bs != NULL && !c->bs_ended)
			bstream_resize(c->bs, c->cols, c->rows);
	}
	cs_reply(msg, 1);
}

/* The environment of the command: sshd's variables, the key's
 * environment= options, then what the client sent and we accepted. */
static const char **
cs_environ(struct channel *c, const char *original, char **own, int *nown)
{
	struct session *s = c->s;
	const char **env;
	size_t i, n = 0, max;

	max = 8 + (s->grant != NULL ? s->grant->nenvironment : 0) +
	    (size_t)c->nenv;
	env = xcalloc(max + 1, sizeof(char *));
	*nown = 0;
	own[(*nown)++] = xasprintf("SSH_CONNECTION=%s %d %s %d", s->addr,
	    s->port, s->laddr, s->lport);
	own[(*nown)++] = xasprintf("SSH_CLIENT=%s %d %d", s->addr, s->port,
	    s->lport);
	own[(*nown)++] = xasprintf("DEVGATE_ENVIRONMENT=%s", s->env);
	if (c->pty)
		own[(*nown)++] = xasprintf("TERM=%s", c->term);
	if (original != NULL)
		own[(*nown)++] = xasprintf("SSH_ORIGINAL_COMMAND=%s", original);
	for (i = 0; i < (size_t)*nown; i++)
		env[n++] = own[i];
	for (i = 0; s->grant != NULL && i < s->grant->nenvironment; i++)
		env[n++] = s->grant->environment[i];
	for (i = 0; i < (size_t)c->nenv; i++)
		env[n++] = c->env[i];
	env[n] = NULL;
	return env;
}

static void
cs_start(struct channel *c, ssh_message msg, enum auth_chan kind)
{
	struct session *s = c->s;
	struct execwrap_spec spec;
	const char *cmd = NULL, *forced, *why = NULL, **env;
	char **argv = NULL, *own[8];
	int nown = 0, i, r;

	if (c->started) {
		cs_reply(msg, 0);
		return;
	}
	if (kind == AUTH_CHAN_EXEC)
		cmd = ssh_message_channel_request_command(msg);
	c->kind = kind;
	c->detail = xstrdup(kind == AUTH_CHAN_EXEC && cmd != NULL ? cmd :
	    auth_chan_name(kind));
	if (s->env_state != SENV_READY) {
		/* Say why in the session itself: one line, a status. Nothing
		 * runs, so there is nothing to authorize. */
		cs_reply(msg, 1);
		channel_fail(c, s->env_msg, s->env_exit);
		return;
	}
	if (cs_may(c, kind, NULL, &why) != 0) {
		session_log(s, LOG_L_INFO, "channel %d: %s refused: %s", c->id,
		    auth_chan_name(kind), why != NULL ? why : "not allowed");
		auth_audit_channel_open(s->w->auth, &s->peer, c->id, kind, cmd,
		    why != NULL ? why : "not allowed");
		cs_reply(msg, 0);
		return;
	}
	forced = auth_forced_command(&s->authc, s->grant);
	memset(&spec, 0, sizeof(spec));
	if (forced != NULL) {
		spec.mode = EXECWRAP_EXEC;
		spec.command = forced;
	} else if (kind == AUTH_CHAN_EXEC) {
		spec.mode = EXECWRAP_EXEC;
		spec.command = cmd != NULL ? cmd : "";
	} else if (kind == AUTH_CHAN_SFTP)
		spec.mode = EXECWRAP_SFTP;
	else
		spec.mode = EXECWRAP_SHELL;
	env = cs_environ(c, forced != NULL ? (cmd != NULL ? cmd :
	    (kind == AUTH_CHAN_SFTP ? "internal-sftp" : NULL)) : NULL, own,
	    &nown);
	spec.env = env;
	r = execwrap_argv(&spec, &argv);
	free(env);
	for (i = 0; i < nown; i++)
		free(own[i]);
	if (r != 0) {
		cs_reply(msg, 1);
		channel_fail(c, "devgate: this command cannot be run", 1);
		return;
	}
	auth_audit_channel_open(s->w->auth, &s->peer, c->id, kind, c->detail,
	    NULL);
	session_log(s, LOG_L_VERBOSE, "channel %d: %s%s%s%s", c->id,
	    auth_chan_name(kind), cmd != NULL ? " " : "", cmd != NULL ? cmd :
	    "", forced != NULL ? " (forced command)" : "");
	channel_start(c, msg, kind, argv, spec.mode != EXECWRAP_SFTP);
	execwrap_argv_free(argv);
}

void
chan_session_request(struct channel *c, ssh_message msg)
{
	const char *sub;

	switch (ssh_message_subtype(msg)) {
	case SSH_CHANNEL_REQUEST_PTY:
		cs_pty(c, msg);
		break;
	case SSH_CHANNEL_REQUEST_WINDOW_CHANGE:
		cs_window_change(c, msg);
		break;
	case SSH_CHANNEL_REQUEST_ENV:
		cs_env(c, msg);
		break;
	case SSH_CHANNEL_REQUEST_SHELL:
		cs_start(c, msg, AUTH_CHAN_SHELL);
		break;
	case SSH_CHANNEL_REQUEST_EXEC:
		cs_start(c, msg, AUTH_CHAN_EXEC);
		break;
	case SSH_CHANNEL_REQUEST_SUBSYSTEM:
		sub = ssh_message_channel_request_subsystem(msg);
		if (sub != NULL && strcmp(sub, "sftp") == 0) {
			cs_start(c, msg, AUTH_CHAN_SFTP);
			break;
		}
		session_log(c->s, LOG_L_VERBOSE, "channel %d: subsystem "
		    "%.32s refused", c->id, sub != NULL ? sub : "?");
		cs_reply(msg, 0);
		break;
	default:
		/* x11-req and unknown requests. */
		cs_reply(msg, 0);
		break;
	}
}

/* Signals. */

static void
cs_sig_open(void *arg)
{
	(void)arg;
}

static void
cs_sig_data(void *arg, int fd, const void *buf, size_t len)
{
	(void)arg;
	(void)fd;
	(void)buf;
	(void)len;
}

static void
cs_sig_drain(void *arg)
{
	(void)arg;
}

static void
cs_sig_exit(void *arg, const struct bstream_exit *ex)
{
	struct channel_sig *cs = arg;

	if (ex->status != 0)
		session_log(cs->c->s, LOG_L_INFO, "channel %d: signal "
		    "delivery exited with %d", cs->c->id, ex->status);
	cs->done = 1;
	session_schedule_pump(cs->c->s);
}

static void
cs_sig_error(void *arg, int err, const char *reason)
{
	struct channel_sig *cs = arg;

	session_log(cs->c->s, LOG_L_INFO, "channel %d: signal delivery "
	    "failed: %s (%s)", cs->c->id, reason != NULL ? reason : "",
	    dg_strerror(err));
	cs->done = 1;
	session_schedule_pump(cs->c->s);
}

static const struct bstream_cbs cs_sig_cbs = {
	cs_sig_open, cs_sig_data, cs_sig_drain, cs_sig_exit, cs_sig_error,
};

void
chan_session_deliver_signal(struct channel *c)
{
	struct session *s = c->s;
	struct channel_sig *cs, **pp;
	struct bexec_spec spec;
	char **argv = NULL, sig[16];
	int n = 0, r;

	/* Reap finished deliveries first. */
	for (pp = &c->sigs; (cs = *pp) != NULL;) {
		if (cs->done) {
			*pp = cs->next;
			bstream_close(cs->bs);
			free(cs);
		} else {
			pp = &cs->next;
			n++;
		}
	}
	if (c->pending_sig[0] == '\0')
		return;
	snprintf(sig, sizeof(sig), "%s", c->pending_sig);
	c->pending_sig[0] = '\0';
	if (c->bs == NULL || c->bs_ended || c->pid <= 0 || n >= 4) {
		session_log(s, LOG_L_INFO, "channel %d: signal %s ignored: %s",
		    c->id, sig, c->pid <= 0 ? "the process id is not known" :
		    c->bs == NULL || c->bs_ended ? "nothing runs" :
		    "too many deliveries in flight");
		return;
	}
	if ((r = execwrap_signal_argv(sig, c->pid, &argv)) != 0) {
		session_log(s, LOG_L_INFO, "channel %d: signal %.15s is not "
		    "one SSH defines", c->id, sig);
		return;
	}
	cs = xcalloc(1, sizeof(*cs));
	cs->c = c;
	memset(&spec, 0, sizeof(spec));
	spec.argv = argv;
	spec.container = s->gwc.container;
	r = backend_exec(s->w->backend, s->info.instance, &spec, &cs_sig_cbs,
	    cs, &cs->bs);
	execwrap_argv_free(argv);
	if (r != 0) {
		session_log(s, LOG_L_INFO, "channel %d: signal %s: %s", c->id,
		    sig, dg_strerror(r));
		free(cs);
		return;
	}
	c->delivered_sig = execwrap_signal_number(sig);
	cs->next = c->sigs;
	c->sigs = cs;
	session_log(s, LOG_L_VERBOSE, "channel %d: signal %s to pid %ld",
	    c->id, sig, c->pid);
}

void
chan_session_close_signals(struct channel *c)
{
	struct channel_sig *cs;

	while ((cs = c->sigs) != NULL) {
		c->sigs = cs->next;
		bstream_close(cs->bs);
		free(cs);
	}
}
