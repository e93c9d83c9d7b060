/* chan-forward.c: "direct-tcpip" channels (ssh -L, ssh -W) to a port of
 * the session's environment through the backend's port-forward stream:
 * the target check (only the environment itself is reachable), policy,
 * the open held until the stream is connected, and the end of a forwarded
 * connection. Bytes are relayed by channel.c like any other channel.
 *
 * Kubernetes' port-forward (v4.channel.k8s.io) says nothing when the
 * kubelet's connection to the port succeeds, only when it fails (a text
 * on the error channel right after the upgrade). So an open is answered
 * when the port's first bytes arrive, when the stream fails (refused), or
 * after a quiet time as long as the upgrade itself took (clamped), which
 * covers the kubelet's dial inside the pod. */
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libssh/libssh.h>
#include <libssh/server.h>

#include "common/err.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "dns/dns-conf.h"
#include "gateway/channel.h"
#include "gateway/envcache.h"
#include "gateway/session.h"
#include "gateway/worker.h"

struct chan_fwd {
	struct channel		*c;		/* parent, not owned */
	ssh_message		 msg;		/* the open, until answered */
	char			 host[CHAN_FORWARD_HOST_MAX + 1];
	uint16_t		 port;
	struct loop_timer	*settle;	/* quiet time after upgrade */
	uint64_t		 start_ms;	/* portforward() was called */
	int			 ws_open;	/* the stream is upgraded */
	int			 settled;	/* quiet long enough: accept */
	int			 failed;	/* refuse: see why */
	int			 retried;	/* looked the pod up again */
	char			 why[256];	/* for the log */
};

/* Pure: does host name the environment itself? */
int
chan_forward_target_ok(const char *host, const char *env, const char *zone)
{
	unsigned char a[sizeof(struct in6_addr)];
	size_t hl, el, zl;

	if (host == NULL || env == NULL || *env == '\0' ||
	    (hl = strlen(host)) == 0 || hl > CHAN_FORWARD_HOST_MAX)
		return 0;
	/* One trailing dot: an absolute name. */
	if (host[hl - 1] == '.')
		hl--;
	if (hl == 9 && strncasecmp(host, "localhost", 9) == 0)
		return 1;
	if (inet_pton(AF_INET, host, a) == 1)
		return memcmp(a, "\177\0\0\1", 4) == 0;
	if (inet_pton(AF_INET6, host, a) == 1)
		return memcmp(a, &in6addr_loopback, sizeof(in6addr_loopback))
		    == 0;
	el = strlen(env);
	if (hl == el && strncasecmp(host, env, el) == 0)
		return 1;
	if (zone == NULL || (zl = strlen(zone)) == 0)
		return 0;
	return hl == el + 1 + zl && strncasecmp(host, env, el) == 0 &&
	    host[el] == '.' && strncasecmp(host + el + 1, zone, zl) == 0;
}

/* Pure: how long to wait for the kubelet's word after the upgrade. */
uint64_t
chan_forward_settle_ms(uint64_t upgrade_ms)
{
	if (upgrade_ms < CHAN_FORWARD_SETTLE_MIN)
		return CHAN_FORWARD_SETTLE_MIN;
	if (upgrade_ms > CHAN_FORWARD_SETTLE_MAX)
		return CHAN_FORWARD_SETTLE_MAX;
	return upgrade_ms;
}

static int
cf_count(struct session *s)
{
	struct channel *c;
	int n = 0;

	TAILQ_FOREACH(c, &s->channels, entry)
		if (c->fwd != NULL)
			n++;
	return n;
}

static const char *
cf_zone(struct session *s, char *buf, size_t len)
{
	const struct dns_config *dc = s->w->cf->dns;

	if (dc == NULL || dc->zone == NULL ||
	    dns_conf_zone(dc, buf, len) != 0)
		return NULL;
	return buf;
}

/* Refuse the open at once (nothing was started). */
static void
cf_refuse_now(struct session *s, ssh_message msg, const char *target,
    const char *why)
{
	int id = s->next_chan++;

	session_log(s, LOG_L_INFO, "channel %d: forward to %s refused: %s",
	    id, target, why);
	auth_audit_channel_open(s->w->auth, &s->peer, id, AUTH_CHAN_FORWARD,
	    target, why);
	ssh_message_reply_default(msg);
	ssh_message_free(msg);
}

static void
cf_fail(struct chan_fwd *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
cf_fail(struct chan_fwd *f, const char *fmt, ...)
{
	va_list ap;

	if (f->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(f->why, sizeof(f->why), fmt, ap);
	va_end(ap);
	f->failed = 1;
	session_schedule_pump(f->c->s);
}

/* Stream callbacks (record, ask for a pump). */

static void
cf_settle_cb(void *arg)
{
	struct chan_fwd *f = arg;

	f->settled = 1;
	session_schedule_pump(f->c->s);
}

static void
cf_bs_open(void *arg)
{
	struct channel *c = arg;
	struct chan_fwd *f = c->fwd;
	uint64_t took = loop_clock_ms() - f->start_ms;

	f->ws_open = 1;
	loop_timer_start(f->settle, chan_forward_settle_ms(took));
}

static void
cf_bs_exit(void *arg, const struct bstream_exit *ex)
{
	struct channel *c = arg;

	(void)ex;
	c->bs_ended = 1;
	if (c->ch != NULL)
		c->exit_ready = 1;
	/* Before the answer: pending decides (data to deliver, or not). */
	session_schedule_pump(c->s);
}

static int cf_start(struct channel *);

/* The last ": "-separated part of a kubelet message, trimmed. */
static const char *
cf_dial_error(const char *reason, char *buf, size_t len)
{
	const char *p = reason != NULL ? strrchr(reason, ':') : NULL;
	size_t n;

	if (p == NULL || p[1] == '\0')
		return reason != NULL ? reason : "";
	p += strspn(p + 1, " ") + 1;
	n = strlen(p);
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\n'))
		n--;
	snprintf(buf, len, "%.*s", (int)n, p);
	return buf;
}

static void
cf_retry_found(void *arg, int err, const struct env_info *info)
{
	struct channel *c = arg;
	struct session *s = c->s;
	int r;

	c->eop = NULL;
	if (err != 0 || info->phase != ENV_RUNNING) {
		cf_fail(c->fwd, "%s on a second look-up", err != 0 ?
		    dg_strerror(err) : "the environment stopped");
		return;
	}
	s->info = *info;
	c->bs_ended = 0;
	if ((r = cf_start(c)) != 0)
		cf_fail(c->fwd, "port-forward: %s", dg_strerror(r));
}

static void
cf_bs_error(void *arg, int err, const char *reason)
{
	struct channel *c = arg;
	struct chan_fwd *f = c->fwd;
	struct session *s = c->s;
	char buf[128];

	c->bs_ended = 1;
	if (c->ch != NULL) {
		/* After the answer: the connection ends (the Close that
		 * stood for the client's EOF may be answered by a hang-up). */
		if (c->stdin_closed)
			session_log(s, LOG_L_VERBOSE, "channel %d: forward "
			    "closed after EOF (%s)", c->id, reason);
		else
			session_log(s, LOG_L_INFO, "channel %d: forward to "
			    "port %u lost: %s (%s)", c->id, f->port, reason,
			    dg_strerror(err));
		c->exit_ready = 1;
		session_schedule_pump(s);
		return;
	}
	/* Refused before the upgrade, possibly for a pod that was replaced
	 * while its old instance was cached: look it up once more. Not for
	 * a refusal of the credentials themselves (401/403). */
	if (!f->ws_open && !f->retried && err != DG_ERR_DENIED &&
	    err != DG_ERR_AUTH) {
		f->retried = 1;
		session_log(s, LOG_L_VERBOSE, "channel %d: port-forward "
		    "refused: %s (%s); looking %s up again", c->id, reason,
		    dg_strerror(err), s->env);
		bstream_close(c->bs);
		c->bs = NULL;
		envcache_forget(s->w->envcache, s->env);
		if (envcache_find(s->w->envcache, s->env, s->owner,
		    cf_retry_found, c, &c->eop) == 0)
			return;
		c->eop = NULL;
	}
	if (!f->ws_open) {
		envcache_forget(s->w->envcache, s->env);
		cf_fail(f, "port-forward refused: %s (%s)", reason,
		    dg_strerror(err));
		return;
	}
	/* The kubelet's text names the pod and its uid and ends with the
	 * dial's error ("...: connect: connection refused"): log it whole,
	 * refuse with the end. */
	session_log(s, LOG_L_VERBOSE, "channel %d: %s", c->id, reason);
	cf_fail(f, "connect failed: %s", cf_dial_error(reason, buf,
	    sizeof(buf)));
}

static const struct bstream_cbs cf_bs_cbs = {
	cf_bs_open, channel_stream_data, channel_stream_drain, cf_bs_exit,
	cf_bs_error,
};

static int
cf_start(struct channel *c)
{
	struct session *s = c->s;

	c->fwd->start_ms = loop_clock_ms();
	c->fwd->ws_open = 0;
	return backend_portforward(s->w->backend, s->info.instance,
	    c->fwd->port, &cf_bs_cbs, c, &c->bs);
}

void
chan_forward_open(struct session *s, ssh_message msg)
{
	const char *host = ssh_message_channel_request_open_destination(msg);
	int port = ssh_message_channel_request_open_destination_port(msg);
	struct auth_chan_req req;
	struct channel *c;
	struct chan_fwd *f;
	char target[CHAN_FORWARD_HOST_MAX + 16], zone[256];
	const char *why = NULL;
	int r;

	snprintf(target, sizeof(target), "%.*s:%d", CHAN_FORWARD_HOST_MAX,
	    host != NULL ? host : "?", port);
	if (host == NULL || strlen(host) > CHAN_FORWARD_HOST_MAX ||
	    port <= 0 || port > 65535) {
		cf_refuse_now(s, msg, target, "bad target");
		return;
	}
	if (s->env_state != SENV_READY) {
		cf_refuse_now(s, msg, target, s->env_msg[0] != '\0' ?
		    s->env_msg : "no environment");
		return;
	}
	memset(&req, 0, sizeof(req));
	req.kind = AUTH_CHAN_FORWARD;
	req.host = host;
	req.port = port;
	req.nsessions = s->nsessions;
	if (auth_may_open(&s->authc, &s->peer, s->grant, session_env_acl(s),
	    &req, &why) != 0) {
		cf_refuse_now(s, msg, target, why != NULL ? why :
		    "not allowed");
		return;
	}
	/* A pod's port-forward reaches only the pod's own network
	 * namespace: the target must name the environment itself. */
	if (!chan_forward_target_ok(host, s->env, cf_zone(s, zone,
	    sizeof(zone)))) {
		cf_refuse_now(s, msg, target, "only the environment itself "
		    "(localhost, its name or DNS name) can be reached");
		return;
	}
	if (cf_count(s) >= CHAN_FORWARD_MAX) {
		cf_refuse_now(s, msg, target, "too many forwarded "
		    "connections on this connection");
		return;
	}
	c = channel_create(s, AUTH_CHAN_FORWARD);
	c->detail = xstrdup(target);
	f = c->fwd = xcalloc(1, sizeof(*f));
	f->c = c;
	f->msg = msg;
	snprintf(f->host, sizeof(f->host), "%s", host);
	f->port = (uint16_t)port;
	f->settle = loop_timer_new(s->w->loop, cf_settle_cb, f);
	if ((r = cf_start(c)) != 0) {
		c->bs = NULL;
		cf_fail(f, "port-forward: %s", dg_strerror(r));
		return;
	}
	session_log(s, LOG_L_VERBOSE, "channel %d: forward to %s (port %d "
	    "of %s)", c->id, target, port, s->info.instance);
}

int
chan_forward_pending(struct channel *c)
{
	struct chan_fwd *f = c->fwd;
	struct session *s = c->s;
	ssh_channel ch;

	if (f->failed) {
		session_log(s, LOG_L_INFO, "channel %d: forward to %s "
		    "refused: %s", c->id, c->detail, f->why);
		auth_audit_channel_open(s->w->auth, &s->peer, c->id,
		    AUTH_CHAN_FORWARD, c->detail, f->why);
		/* libssh (0.10 to 0.12) answers a refused open only with
		 * "administratively prohibited". */
		ssh_message_reply_default(f->msg);
		ssh_message_free(f->msg);
		f->msg = NULL;
		return -1;
	}
	if (bufq_empty(&c->out)) {
		if (c->bs_ended) {
			cf_fail(f, "the environment closed the connection "
			    "at once");
			return 0;
		}
		if (!f->settled)
			return 0;
	}
	/* Connected: the port's first bytes came, or it stayed quiet. */
	loop_timer_stop(f->settle);
	ch = ssh_message_channel_request_open_reply_accept(f->msg);
	ssh_message_free(f->msg);
	f->msg = NULL;
	if (ch == NULL) {
		session_log(s, LOG_L_ERROR, "channel %d: cannot accept the "
		    "forward: %s", c->id, ssh_get_error(s->ssh));
		return -1;
	}
	channel_attach(c, ch);
	c->bs_open = 1;
	if (c->bs_ended)
		c->exit_ready = 1;	/* deliver what came, then close */
	auth_audit_channel_open(s->w->auth, &s->peer, c->id,
	    AUTH_CHAN_FORWARD, c->detail, NULL);
	session_log(s, LOG_L_VERBOSE, "channel %d: forward to %s open "
	    "(%llu ms)", c->id, c->detail,
	    (unsigned long long)(loop_clock_ms() - f->start_ms));
	return 1;
}

void
chan_forward_free(struct channel *c)
{
	struct chan_fwd *f = c->fwd;

	if (f == NULL)
		return;
	if (f->msg != NULL)
		ssh_message_free(f->msg);
	loop_timer_free(f->settle);
	free(f);
	c->fwd = NULL;
}
