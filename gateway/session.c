/* session.c: one SSH connection: accept, key exchange, the message queue,
 * limits before authentication (LoginGraceTime, ClientAlive), the pump
 * that drives libssh from the worker's loop, and teardown. */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh/libssh.h>
#include <libssh/server.h>

#include "common/err.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "gateway/channel.h"
#include "gateway/listen.h"
#include "gateway/session.h"
#include "gateway/worker.h"

static void session_start(struct session *);

void
session_log(struct session *s, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!log_enabled((enum log_level)level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg(level, "%s %s@%s%s%s: %s", s->id,
	    s->user_ok ? s->ru.login : (s->ssh_user[0] ? s->ssh_user : "-"),
	    s->addr, s->env[0] ? " env=" : "", s->env, msg);
}

static void
session_update_io(struct session *s)
{
	int want = LOOP_READ;

	if (s->closing || s->reg == NULL)
		return;
	if (ssh_get_poll_flags(s->ssh) & SSH_WRITE_PENDING)
		want |= LOOP_WRITE;
	if (want != s->io_events) {
		loop_fd_set(s->reg, want);
		s->io_events = want;
	}
}

static void
session_dispatch(struct session *s, ssh_message msg)
{
	const char *svc;

	switch (ssh_message_type(msg)) {
	case SSH_REQUEST_SERVICE:
		svc = ssh_message_service_service(msg);
		if (svc != NULL && strcmp(svc, "ssh-userauth") == 0 &&
		    s->state == SESS_KEX) {
			s->state = SESS_AUTH;
			ssh_message_service_reply_success(msg);
		} else
			ssh_message_reply_default(msg);
		ssh_message_free(msg);
		break;
	case SSH_REQUEST_AUTH:
		if (s->state == SESS_OPEN) {
			/* Already in: RFC 4252 says ignore; answer yes. */
			ssh_message_auth_reply_success(msg, 0);
			ssh_message_free(msg);
			break;
		}
		session_auth_message(s, msg);
		break;
	case SSH_REQUEST_CHANNEL_OPEN:
		if (s->state != SESS_OPEN) {
			ssh_message_reply_default(msg);
			ssh_message_free(msg);
			break;
		}
		channel_open_message(s, msg);
		break;
	case SSH_REQUEST_CHANNEL:
		if (s->state != SESS_OPEN) {
			ssh_message_reply_default(msg);
			ssh_message_free(msg);
			break;
		}
		channel_request_message(s, msg);
		break;
	default:
		/* Global requests (keepalive, tcpip-forward): refused. */
		ssh_message_reply_default(msg);
		ssh_message_free(msg);
		break;
	}
}

static int
session_may_pop(struct session *s)
{
	if (s->closing || s->held != NULL || s->chan_held != NULL)
		return 0;
	/* Requests after login wait until the environment is known. */
	if (s->state == SESS_OPEN && s->env_state == SENV_PENDING)
		return 0;
	return 1;
}

void
session_pump(struct session *s)
{
	ssh_message msg;
	int rc, st;

	if (s->closing)
		return;
	if (s->in_pump) {
		s->pump_again = 1;
		return;
	}
	s->in_pump = 1;
	do {
		s->pump_again = 0;
		/*
		 * Before login, acknowledge at once: the client sends
		 * KEXINIT and its key-exchange message back to back, and
		 * with its Nagle holding the second until the first is
		 * acknowledged, a delayed ACK here costs ~40 ms per
		 * connection. Linux resets the flag itself, so before every
		 * read, the first one (from session_start) included.
		 */
		if (s->state != SESS_OPEN) {
			int one = 1;

			(void)setsockopt(ssh_get_fd(s->ssh), IPPROTO_TCP,
			    TCP_QUICKACK, &one, sizeof(one));
		}
		rc = ssh_event_dopoll(s->ev, 0);
		st = ssh_get_status(s->ssh);
		if (rc == SSH_ERROR || (st & (SSH_CLOSED | SSH_CLOSED_ERROR))) {
			s->in_pump = 0;
			session_close(s, s->state == SESS_OPEN ?
			    "connection closed" : ssh_get_error(s->ssh));
			return;
		}
		while (session_may_pop(s) &&
		    (msg = ssh_message_get(s->ssh)) != NULL)
			session_dispatch(s, msg);
		if (!s->closing)
			channel_pump_all(s);
	} while (s->pump_again && !s->closing);
	s->in_pump = 0;
	if (s->closing)
		return;
	if (ssh_get_status(s->ssh) & (SSH_CLOSED | SSH_CLOSED_ERROR)) {
		session_close(s, "connection closed");
		return;
	}
	session_update_io(s);
}

static void
session_io(int fd, int events, void *arg)
{
	struct session *s = arg;

	if (events & LOOP_READ) {
		s->last_rx_ms = loop_now(s->w->loop);
		s->alive_missed = 0;
	}
	(void)fd;
	session_pump(s);
}

static void
session_grace_cb(void *arg)
{
	struct session *s = arg;

	if (s->state == SESS_OPEN || s->closing)
		return;
	if (s->w->auth != NULL)
		auth_penalty_record(s->w->auth, (struct sockaddr *)&s->peer_ss,
		    s->peer_len, AUTH_PENALTY_GRACE);
	s->auth_attempted = -1;	/* recorded */
	session_close(s, "login grace time exceeded");
}

static void
session_alive_cb(void *arg)
{
	struct session *s = arg;
	uint64_t now = loop_clock_ms(), ival;
	int count;

	if (s->closing)
		return;
	ival = (uint64_t)s->gwc.alive_interval * 1000;
	count = s->gwc.alive_count;
	if (ival == 0)
		return;
	if (now - s->last_rx_ms >= ival) {
		if (++s->alive_missed > count) {
			session_close(s, "client not responding "
			    "(ClientAliveCountMax)");
			return;
		}
		/* Twice: the first call may only finish the previous one. */
		s->in_pump = 1;
		ssh_send_keepalive(s->ssh);
		ssh_send_keepalive(s->ssh);
		s->in_pump = 0;
		session_pump(s);
		if (s->closing)
			return;
	}
	loop_timer_start(s->alive, ival);
}

static void
session_delay_cb(void *arg)
{
	session_start(arg);
}

int
session_new(struct worker *w, int fd, const struct sockaddr *sa,
    socklen_t salen, unsigned delay_ms)
{
	struct sockaddr_storage ls;
	socklen_t llen = sizeof(ls);
	struct session *s;

	s = xcalloc(1, sizeof(*s));
	s->w = w;
	s->refs = 1;
	s->fd = fd;
	TAILQ_INIT(&s->channels);
	memcpy(&s->peer_ss, sa, salen);
	s->peer_len = salen;
	listen_addr_text(sa, s->addr, sizeof(s->addr), &s->port);
	if (getsockname(fd, (struct sockaddr *)&ls, &llen) == 0)
		listen_addr_text((struct sockaddr *)&ls, s->laddr,
		    sizeof(s->laddr), &s->lport);
	else
		strcpy(s->laddr, "unknown");
	snprintf(s->id, sizeof(s->id), "s%ld.%llu", (long)getpid(),
	    (unsigned long long)++w->next_id);
	s->started_ms = s->last_rx_ms = loop_clock_ms();
	/* Until Match is applied per user, the global settings hold. */
	conf_area_copy(&gateway_conf_table, &s->gwc, w->gw);
	if ((s->ssh = ssh_new()) == NULL) {
		close(fd);
		conf_area_free(&gateway_conf_table, &s->gwc);
		free(s);
		return DG_ERR_NOMEM;
	}
	if (ssh_bind_accept_fd(w->bind, s->ssh, fd) != SSH_OK) {
		log_error("%s %s: cannot start SSH: %s", s->id, s->addr,
		    ssh_get_error(w->bind));
		ssh_free(s->ssh);	/* closes fd */
		conf_area_free(&gateway_conf_table, &s->gwc);
		free(s);
		return DG_ERR_INTERNAL;
	}
	ssh_set_blocking(s->ssh, 0);
	TAILQ_INSERT_TAIL(&w->sessions, s, entry);
	w->nsessions++;
	worker_unauth_changed(w, 1);
	s->grace = loop_timer_new(w->loop, session_grace_cb, s);
	s->alive = loop_timer_new(w->loop, session_alive_cb, s);
	s->delay = loop_timer_new(w->loop, session_delay_cb, s);
	log_verbose("%s connection from %s port %d on %s port %d", s->id,
	    s->addr, s->port, s->laddr, s->lport);
	if (w->gw->login_grace > 0)
		loop_timer_start(s->grace, (uint64_t)w->gw->login_grace * 1000);
	if (delay_ms > 0)
		loop_timer_start(s->delay, delay_ms);
	else
		session_start(s);
	return 0;
}

static void
session_start(struct session *s)
{
	int rc;

	if (s->closing)
		return;
	rc = ssh_handle_key_exchange(s->ssh);
	if (rc == SSH_ERROR) {
		session_close(s, ssh_get_error(s->ssh));
		return;
	}
	if ((s->ev = ssh_event_new()) == NULL ||
	    ssh_event_add_session(s->ev, s->ssh) != SSH_OK) {
		session_close(s, "cannot create the SSH event");
		return;
	}
	s->reg = loop_fd_add(s->w->loop, ssh_get_fd(s->ssh), LOOP_READ,
	    session_io, s);
	if (s->reg == NULL) {
		session_close(s, "cannot watch the socket");
		return;
	}
	s->io_events = LOOP_READ;
	/* ClientAlive starts after login: a client refuses global requests
	 * during authentication. */
	session_pump(s);
}

static void
session_unref(struct session *s)
{
	if (--s->refs == 0)
		session_free(s);
}

static void
session_free_cb(void *arg)
{
	session_unref(arg);
}

static void
session_scheduled_cb(void *arg)
{
	struct session *s = arg;

	s->pump_scheduled = 0;
	if (!s->closing)
		session_pump(s);
	session_unref(s);
}

void
session_schedule_pump(struct session *s)
{
	if (s->closing)
		return;
	if (s->in_pump) {
		s->pump_again = 1;
		return;
	}
	if (s->pump_scheduled)
		return;
	s->pump_scheduled = 1;
	s->refs++;
	loop_defer(s->w->loop, session_scheduled_cb, s);
}

void
session_close(struct session *s, const char *reason)
{
	struct worker *w = s->w;

	if (s->closing)
		return;
	s->closing = 1;
	if (s->state == SESS_OPEN)
		session_log(s, LOG_L_INFO, "closed: %s", reason);
	else {
		log_info("%s %s port %d%s%s: closed before login: %s", s->id,
		    s->addr, s->port, s->user_ok ? " user " : "",
		    s->user_ok ? s->ru.login : "", reason);
		if (w->auth != NULL && s->auth_attempted >= 0)
			auth_penalty_record(w->auth,
			    (struct sockaddr *)&s->peer_ss, s->peer_len,
			    s->auth_attempted ? AUTH_PENALTY_AUTHFAIL :
			    AUTH_PENALTY_NOAUTH);
		if (w->auth != NULL && s->user_ok && s->auth_attempted > 0)
			auth_audit_login(w->auth, &s->peer, NULL, 0,
			    s->methods_done, s->fail_reason[0] ?
			    s->fail_reason : reason);
		worker_unauth_changed(w, -1);
	}
	session_auth_cancel(s);
	session_env_cancel(s);
	channel_close_all(s);
	loop_fd_del(s->reg);
	s->reg = NULL;
	loop_timer_stop(s->grace);
	loop_timer_stop(s->alive);
	loop_timer_stop(s->delay);
	s->state = SESS_CLOSED;
	TAILQ_REMOVE(&w->sessions, s, entry);
	w->nsessions--;
	/* libssh may be on the stack: free from the loop, later. */
	loop_defer(w->loop, session_free_cb, s);
	worker_session_gone(w, s);
}

void
session_shutdown(struct session *s, const char *msg)
{
	if (s->closing)
		return;
	channel_notify_all(s, msg);
	session_close(s, "devgate is stopping");
}

void
session_free(struct session *s)
{
	if (s == NULL)
		return;
	channel_free_all(s);
	if (s->held != NULL)
		ssh_message_free(s->held);
	if (s->chan_held != NULL)
		ssh_message_free(s->chan_held);
	if (s->ssh != NULL) {
		/* Sends SSH_MSG_DISCONNECT if still connected, closes fd. */
		ssh_disconnect(s->ssh);
		if (s->ev != NULL)
			ssh_event_remove_session(s->ev, s->ssh);
		ssh_free(s->ssh);
	}
	if (s->ev != NULL)
		ssh_event_free(s->ev);
	loop_timer_free(s->grace);
	loop_timer_free(s->alive);
	loop_timer_free(s->delay);
	session_env_free(s);
	auth_grant_free(s->grant);
	auth_grant_free(s->pending_grant);
	auth_methods_free(s->methods);
	session_conf_free(s);
	auth_user_groups_free(s->groups, s->ngroups);
	free(s);
}
