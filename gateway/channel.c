/* channel.c: the SSH channels of a session: open and request dispatch,
 * the relay between an SSH channel and a backend stream with bounded
 * buffers both ways, and the end of a channel in sshd's order (output,
 * exit-status or exit-signal, EOF, close).
 *
 * Callbacks from libssh and from the stream only record what happened and
 * ask for a pump; the pump (session_pump, outside every callback) moves
 * bytes and ends channels, so neither library is re-entered from its own
 * callback. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "gateway/channel.h"
#include "gateway/envcache.h"
#include "gateway/session.h"
#include "gateway/worker.h"

static struct channel *
channel_find(struct session *s, ssh_channel ch)
{
	struct channel *c;

	TAILQ_FOREACH(c, &s->channels, entry)
		if (c->ch == ch)
			return c;
	return NULL;
}

/* libssh callbacks: record, do not act. */

static int
ch_ssh_data(ssh_session ssh, ssh_channel ch, void *data, uint32_t len,
    int is_stderr, void *arg)
{
	struct channel *c = arg;
	ssize_t n;

	(void)ssh;
	(void)ch;
	if (is_stderr || c->bs_ended || c->done)
		return (int)len;	/* nobody reads it: drop */
	if (c->bs == NULL || c->in_blocked || c->inlen > 0)
		return 0;		/* stays in libssh: no window */
	n = bstream_write(c->bs, data, len);
	if (n < 0)
		return (int)len;	/* the stream failed; error() follows */
	c->bytes_in += (uint64_t)n;
	if ((size_t)n < len)
		c->in_blocked = 1;
	return (int)n;
}

static void
ch_ssh_eof(ssh_session ssh, ssh_channel ch, void *arg)
{
	struct channel *c = arg;

	(void)ssh;
	(void)ch;
	c->ssh_eof = 1;
	session_schedule_pump(c->s);
}

static void
ch_ssh_close(ssh_session ssh, ssh_channel ch, void *arg)
{
	struct channel *c = arg;

	(void)ssh;
	(void)ch;
	c->ssh_closed = 1;
	session_schedule_pump(c->s);
}

static void
ch_ssh_signal(ssh_session ssh, ssh_channel ch, const char *sig, void *arg)
{
	struct channel *c = arg;

	(void)ssh;
	(void)ch;
	snprintf(c->pending_sig, sizeof(c->pending_sig), "%s", sig);
	session_schedule_pump(c->s);
}

static int
ch_ssh_wontblock(ssh_session ssh, ssh_channel ch, uint32_t bytes, void *arg)
{
	struct channel *c = arg;

	(void)ssh;
	(void)ch;
	(void)bytes;
	/* Only output waiting for room needs a pass (this fires after
	 * every flush; a pass for nothing would spin). */
	if (!bufq_empty(&c->out) || !bufq_empty(&c->err))
		session_schedule_pump(c->s);
	return 0;
}

/* Stream callbacks: record, queue output, ask for a pump. */

static void
ch_queue(struct channel *c, int fd, const void *buf, size_t len)
{
	struct bufq *q = fd == 2 ? &c->err : &c->out;

	if (len == 0 || c->ssh_closed)
		return;
	if (bufq_write(q, buf, len) != len)
		session_log(c->s, LOG_L_ERROR, "channel %d: output queue "
		    "overflow (the stream ignored pause)", c->id);
	if (!c->out_paused && bufq_len(&c->out) + bufq_len(&c->err) >=
	    CHANNEL_OUT_HIGH && c->bs != NULL && !c->bs_ended) {
		bstream_pause(c->bs, 1);
		c->out_paused = 1;
	}
}

static void
ch_bs_open(void *arg)
{
	struct channel *c = arg;

	c->bs_open = 1;
	c->in_drain = 1;	/* what the client sent before the start */
	session_schedule_pump(c->s);
}

static void
ch_bs_data(void *arg, int fd, const void *buf, size_t len)
{
	struct channel *c = arg;
	struct iovec seg[2];
	int i, n;

	c->bytes_out += len;
	if (!c->filtering || fd != 1) {
		ch_queue(c, fd, buf, len);
	} else {
		n = execwrap_filter_feed(&c->filter, buf, len, seg);
		for (i = 0; i < n; i++)
			ch_queue(c, 1, seg[i].iov_base, seg[i].iov_len);
		if (c->filter.done) {
			c->filtering = 0;
			c->pid = c->filter.pid;
		}
	}
	session_schedule_pump(c->s);
}

static void
ch_bs_drain(void *arg)
{
	struct channel *c = arg;

	c->in_blocked = 0;
	c->in_drain = 1;
	session_schedule_pump(c->s);
}

static void
ch_flush_filter(struct channel *c)
{
	struct iovec seg[1];

	if (c->filtering && execwrap_filter_flush(&c->filter, seg) == 1)
		ch_queue(c, 1, seg[0].iov_base, seg[0].iov_len);
	c->filtering = 0;
}

/* A process killed by a signal we did not send: was it the environment
 * going away under the session? Tell the user so in one line. */
static void
ch_env_checked(void *arg, int err, const struct env_info *info)
{
	struct channel *c = arg;
	struct session *s = c->s;

	c->eop = NULL;
	if (err == DG_ERR_NOTFOUND ||
	    (err == 0 && info->phase != ENV_RUNNING)) {
		session_log(s, LOG_L_INFO, "channel %d: the environment went "
		    "away under the session (%s)", c->id, err != 0 ?
		    "no instance" : env_phase_name(info->phase));
		if (c->final_msg == NULL)
			c->final_msg = xasprintf("devgate: %s stopped while "
			    "this session ran", s->env);
	}
	c->exit_ready = 1;
	session_schedule_pump(s);
}

static void
ch_bs_exit(void *arg, const struct bstream_exit *ex)
{
	struct channel *c = arg;
	struct session *s = c->s;

	c->bs_ended = 1;
	ch_flush_filter(c);
	if (ex->status >= 0) {
		c->exit_status = ex->status;
		c->exit_signal = execwrap_exit_signal(ex->status,
		    c->delivered_sig);
		if (ex->status > 128 && c->exit_signal == NULL) {
			envcache_forget(s->w->envcache, s->env);
			if (envcache_find(s->w->envcache, s->env, s->owner,
			    ch_env_checked, c, &c->eop) == 0)
				return;
			c->eop = NULL;
		}
	} else {
		/* The backend could not run it (no such shell, ...). */
		session_log(c->s, LOG_L_INFO, "channel %d: %s", c->id,
		    ex->message != NULL ? ex->message : "no exit status");
		c->exit_status = 255;
		if (!c->bs_open && c->final_msg == NULL)
			c->final_msg = xstrdup("devgate: the command could "
			    "not be started in the environment");
	}
	c->exit_ready = 1;
	session_schedule_pump(c->s);
}

static const struct bstream_cbs ch_bs_cbs;

static int
ch_exec(struct channel *c)
{
	struct session *s = c->s;
	struct bexec_spec spec;

	memset(&spec, 0, sizeof(spec));
	spec.argv = c->argv;
	spec.tty = c->pty;
	spec.cols = c->cols;
	spec.rows = c->rows;
	spec.container = s->gwc.container;
	execwrap_filter_init(&c->filter);
	return backend_exec(s->w->backend, s->info.instance, &spec,
	    &ch_bs_cbs, c, &c->bs);
}

static void ch_stream_failed(struct channel *, int, const char *);

/* The stream was refused before it opened, with nothing of the client's
 * sent yet: the cached instance may be stale (pod replaced), or the API
 * server blinked. Look the environment up afresh and try once more. */
static void
ch_retry_found(void *arg, int err, const struct env_info *info)
{
	struct channel *c = arg;
	struct session *s = c->s;
	int r;

	c->eop = NULL;
	if (err != 0 || info->phase != ENV_RUNNING) {
		ch_stream_failed(c, err != 0 ? err : DG_ERR_NOTFOUND,
		    err != 0 ? "lookup failed on retry" :
		    "the environment stopped");
		return;
	}
	s->info = *info;
	c->bs_ended = 0;
	c->filtering = c->kind != AUTH_CHAN_SFTP;
	if ((r = ch_exec(c)) != 0) {
		c->bs = NULL;
		ch_stream_failed(c, r, "exec on retry");
	}
}

static void
ch_bs_error(void *arg, int err, const char *reason)
{
	struct channel *c = arg;
	struct session *s = c->s;

	/* (Not when the API server refused devgate's credentials: 401 was
	 * already retried with a re-read token, 403 will not change.) */
	if (!c->bs_open && !c->retried && c->argv != NULL && c->bytes_in == 0 &&
	    !c->ssh_closed && err != DG_ERR_DENIED && err != DG_ERR_AUTH) {
		c->retried = 1;
		session_log(s, LOG_L_VERBOSE, "channel %d: stream refused: %s "
		    "(%s); looking %s up again", c->id, reason != NULL ?
		    reason : "", dg_strerror(err), s->env);
		bstream_close(c->bs);
		c->bs = NULL;
		envcache_forget(s->w->envcache, s->env);
		if (envcache_find(s->w->envcache, s->env, s->owner,
		    ch_retry_found, c, &c->eop) == 0)
			return;
		c->eop = NULL;
	}
	ch_stream_failed(c, err, reason);
}

static void
ch_stream_failed(struct channel *c, int err, const char *reason)
{
	struct session *s = c->s;

	c->bs_ended = 1;
	ch_flush_filter(c);
	/* Whatever we knew about the environment may be stale now. */
	envcache_forget(s->w->envcache, s->env);
	session_log(s, LOG_L_INFO, "channel %d: %s stream %s: %s (%s)", c->id,
	    auth_chan_name(c->kind), c->bs_open ? "lost" : "refused",
	    reason != NULL ? reason : "", dg_strerror(err));
	if (c->final_msg == NULL && !c->bs_open && err == DG_ERR_DENIED)
		c->final_msg = xasprintf("devgate: cannot start a session in "
		    "%s: the cluster does not permit it; please tell your "
		    "administrator", s->env);
	else if (c->final_msg == NULL)
		c->final_msg = xasprintf(c->bs_open ?
		    "devgate: the connection to %s was lost" :
		    "devgate: cannot start a session in %s right now; try "
		    "again later", s->env);
	c->exit_status = 255;
	c->exit_ready = 1;
	session_schedule_pump(s);
}

static const struct bstream_cbs ch_bs_cbs = {
	ch_bs_open, ch_bs_data, ch_bs_drain, ch_bs_exit, ch_bs_error,
};

void
channel_stream_data(void *arg, int fd, const void *buf, size_t len)
{
	ch_bs_data(arg, fd, buf, len);
}

void
channel_stream_drain(void *arg)
{
	ch_bs_drain(arg);
}

/* Open and dispatch. */

void
channel_open_message(struct session *s, ssh_message msg)
{
	struct auth_chan_req req;
	struct channel *c;
	const char *why = NULL;
	ssh_channel ch;

	if (ssh_message_subtype(msg) == SSH_CHANNEL_DIRECT_TCPIP) {
		chan_forward_open(s, msg);
		return;
	}
	if (ssh_message_subtype(msg) != SSH_CHANNEL_SESSION) {
		session_log(s, LOG_L_VERBOSE, "channel open of type %d "
		    "refused: not supported", ssh_message_subtype(msg));
		ssh_message_reply_default(msg);
		ssh_message_free(msg);
		return;
	}
	memset(&req, 0, sizeof(req));
	req.kind = AUTH_CHAN_SESSION;
	req.nsessions = s->nsessions;
	if (auth_may_open(&s->authc, &s->peer, s->grant, session_env_acl(s),
	    &req, &why) == DG_ERR_LIMIT) {
		session_log(s, LOG_L_INFO, "session channel refused: %s",
		    why != NULL ? why : "MaxSessions");
		ssh_message_reply_default(msg);
		ssh_message_free(msg);
		return;
	}
	if ((ch = ssh_message_channel_request_open_reply_accept(msg)) == NULL) {
		ssh_message_free(msg);
		return;
	}
	ssh_message_free(msg);
	c = channel_create(s, AUTH_CHAN_SESSION);
	c->counted = 1;
	s->nsessions++;
	channel_attach(c, ch);
}

struct channel *
channel_create(struct session *s, enum auth_chan kind)
{
	struct channel *c = xcalloc(1, sizeof(*c));

	c->s = s;
	c->id = s->next_chan++;
	c->kind = kind;
	c->cols = 80;
	c->rows = 24;
	c->exit_status = -1;
	c->started_ms = loop_clock_ms();
	bufq_init(&c->out, CHANNEL_OUT_MAX, CHANNEL_OUT_HIGH, CHANNEL_OUT_LOW);
	/* Bulk output (SFTP reads, cat) is written from the queue in place,
	 * in runs of up to a chunk; allocated only while output waits. */
	bufq_set_chunk(&c->out, CHANNEL_OUT_CHUNK);
	bufq_init(&c->err, CHANNEL_OUT_MAX, CHANNEL_OUT_HIGH, CHANNEL_OUT_LOW);
	TAILQ_INSERT_TAIL(&s->channels, c, entry);
	return c;
}

void
channel_attach(struct channel *c, ssh_channel ch)
{
	c->ch = ch;
	ssh_callbacks_init(&c->cb);
	c->cb.userdata = c;
	c->cb.channel_data_function = ch_ssh_data;
	c->cb.channel_eof_function = ch_ssh_eof;
	c->cb.channel_close_function = ch_ssh_close;
	c->cb.channel_signal_function = ch_ssh_signal;
	c->cb.channel_write_wontblock_function = ch_ssh_wontblock;
	ssh_set_channel_callbacks(ch, &c->cb);
}

void
channel_request_message(struct session *s, ssh_message msg)
{
	struct channel *c;

	c = channel_find(s, ssh_message_channel_request_channel(msg));
	/* direct-tcpip channels take no requests. */
	if (c == NULL || c->done || c->ssh_closed || c->fwd != NULL) {
		ssh_message_reply_default(msg);
		ssh_message_free(msg);
		return;
	}
	chan_session_request(c, msg);
}

/* Start and finish. */

int
channel_start(struct channel *c, ssh_message msg, enum auth_chan kind,
    char **argv, int filter)
{
	struct session *s = c->s;
	size_t n, i;
	int r;

	c->kind = kind;
	c->started = 1;
	c->filtering = filter;
	/* Kept for one retry (see ch_bs_error). */
	for (n = 0; argv[n] != NULL; n++)
		;
	c->argv = xcalloc(n + 1, sizeof(char *));
	for (i = 0; i < n; i++)
		c->argv[i] = xstrdup(argv[i]);
	r = ch_exec(c);
	if (r != 0) {
		c->bs = NULL;
		session_log(s, LOG_L_ERROR, "channel %d: exec: %s", c->id,
		    dg_strerror(r));
		ssh_message_channel_request_reply_success(msg);
		ssh_message_free(msg);
		channel_fail(c, "devgate: cannot start a session in the "
		    "environment right now; try again later", 255);
		return r;
	}
	/* Nothing else of this session moves until the stream answers. */
	s->chan_held = msg;
	s->chan_held_c = c;
	return 0;
}

void
channel_fail(struct channel *c, const char *line, int status)
{
	c->started = 1;
	free(c->final_msg);
	c->final_msg = line != NULL ? xstrdup(line) : NULL;
	c->exit_status = status;
	c->exit_ready = 1;
	session_schedule_pump(c->s);
}

/* Pump. */

/* Queued output into the SSH window. Several queue chunks go out in one
 * write (libssh cuts packets and flushes once per write, which polls). */
static void
ch_write_q(struct channel *c, struct bufq *q, int is_stderr)
{
	static unsigned char gather[CHANNEL_WRITE_GATHER];
	const void *p;
	uint32_t win;
	size_t len, take, got;
	int n;

	while (!bufq_empty(q) && (win = ssh_channel_window_size(c->ch)) > 0) {
		p = bufq_peek(q, &len);
		take = win < sizeof(gather) ? win : sizeof(gather);
		if (len < take && len < CHANNEL_WRITE_RUN &&
		    bufq_len(q) > len) {
			/* A short run: copy out (not consume) up to take
			 * bytes, rather than send a short packet. */
			got = bufq_copyout(q, gather, take);
			p = gather;
			len = got;
		} else if (len > take)
			len = take;
		n = is_stderr ? ssh_channel_write_stderr(c->ch, p,
		    (uint32_t)len) : ssh_channel_write(c->ch, p, (uint32_t)len);
		if (n <= 0)
			break;
		bufq_consume(q, (size_t)n);
	}
}

static void
ch_drain_in(struct channel *c)
{
	ssize_t n;
	int r;

	c->in_drain = 0;
	if (c->bs == NULL || !c->bs_open || c->bs_ended)
		return;
	if (c->inbuf == NULL)
		c->inbuf = xmalloc(CHANNEL_IN_CHUNK);
	while (!c->in_blocked) {
		if (c->inlen > 0) {
			n = bstream_write(c->bs, c->inbuf, c->inlen);
			if (n < 0)
				return;
			c->bytes_in += (uint64_t)n;
			if ((size_t)n < c->inlen) {
				memmove(c->inbuf, c->inbuf + n, c->inlen -
				    (size_t)n);
				c->inlen -= (size_t)n;
				c->in_blocked = 1;
				return;
			}
			c->inlen = 0;
		}
		r = ssh_channel_read_nonblocking(c->ch, c->inbuf,
		    CHANNEL_IN_CHUNK, 0);
		if (r <= 0)
			break;
		c->inlen = (size_t)r;
	}
}

static void
ch_finish(struct channel *c)
{
	const char *sig = c->exit_signal;

	if (sig != NULL)
		ssh_channel_request_send_exit_signal(c->ch, sig, 0, "", "");
	else if (c->exit_status >= 0)
		ssh_channel_request_send_exit_status(c->ch,
		    c->exit_status);
	ssh_channel_send_eof(c->ch);
	ssh_channel_close(c->ch);
	c->done = 1;
	session_log(c->s, LOG_L_VERBOSE, "channel %d %s%s%s ended: %s %d, "
	    "%llu bytes in, %llu out", c->id, auth_chan_name(c->kind),
	    c->detail != NULL ? " " : "", c->detail != NULL ? c->detail : "",
	    sig != NULL ? "signal" : "exit",
	    sig != NULL ? c->delivered_sig : c->exit_status,
	    (unsigned long long)c->bytes_in, (unsigned long long)c->bytes_out);
}

static void
ch_release(struct channel *c)
{
	struct session *s = c->s;
	int i;

	/* (A forward refused before it opened has nothing to close.) */
	if (c->kind != AUTH_CHAN_SESSION && c->ch != NULL)
		auth_audit_channel_close(s->w->auth, &s->peer, c->id, c->kind,
		    c->bytes_in, c->bytes_out, loop_clock_ms() - c->started_ms,
		    c->exit_status);
	bstream_close(c->bs);
	c->bs = NULL;
	envcache_cancel(c->eop);
	c->eop = NULL;
	chan_session_close_signals(c);
	chan_forward_free(c);
	if (s->chan_held_c == c) {
		ssh_message_free(s->chan_held);
		s->chan_held = NULL;
		s->chan_held_c = NULL;
	}
	if (c->ch != NULL) {
		ssh_remove_channel_callbacks(c->ch, &c->cb);
		ssh_channel_free(c->ch);
		c->ch = NULL;
	}
	if (c->counted)
		s->nsessions--;
	TAILQ_REMOVE(&s->channels, c, entry);
	bufq_clear(&c->out);
	bufq_clear(&c->err);
	for (i = 0; i < c->nenv; i++)
		free(c->env[i]);
	execwrap_argv_free(c->argv);
	free(c->inbuf);
	free(c->final_msg);
	free(c->detail);
	free(c);
}

static void
ch_pump(struct channel *c)
{
	struct session *s = c->s;

	/* A forward whose open is not answered yet (chan-forward.c). */
	if (c->fwd != NULL && c->ch == NULL) {
		switch (chan_forward_pending(c)) {
		case 0:
			return;
		case -1:
			ch_release(c);
			return;
		}
	}
	if (c->ssh_closed) {
		/* The client is gone: nothing more to say to it. */
		if (!c->done && c->bs != NULL)
			session_log(s, LOG_L_VERBOSE, "channel %d closed by "
			    "the client", c->id);
		if (!c->done && c->ch != NULL)
			ssh_channel_close(c->ch);
		c->done = 1;
		ch_release(c);
		return;
	}
	if (c->pending_sig[0] != '\0')
		chan_session_deliver_signal(c);
	if (c->final_msg != NULL && c->exit_ready && bufq_empty(&c->out)) {
		bufq_write(&c->err, c->final_msg, strlen(c->final_msg));
		/* A terminal wants CR LF; a pipe wants a plain line. */
		if (c->pty)
			bufq_write(&c->err, "\r\n", 2);
		else
			bufq_write(&c->err, "\n", 1);
		free(c->final_msg);
		c->final_msg = NULL;
	}
	ch_write_q(c, &c->err, 1);
	ch_write_q(c, &c->out, 0);
	if (c->out_paused && c->bs != NULL && !c->bs_ended &&
	    bufq_len(&c->out) + bufq_len(&c->err) <= CHANNEL_OUT_LOW) {
		bstream_pause(c->bs, 0);
		c->out_paused = 0;
	}
	if (c->bs_open && (c->in_drain || (!c->in_blocked && c->inlen == 0 &&
	    c->ssh_eof && !c->stdin_closed)))
		ch_drain_in(c);
	if (c->ssh_eof && !c->stdin_closed && c->bs != NULL && c->bs_open &&
	    !c->bs_ended && c->inlen == 0 && !c->in_blocked &&
	    ssh_channel_poll(c->ch, 0) == SSH_EOF) {
		bstream_close_stdin(c->bs);
		c->stdin_closed = 1;
	}
	if (c->exit_ready && !c->done && c->final_msg == NULL &&
	    bufq_empty(&c->out) && bufq_empty(&c->err))
		ch_finish(c);
}

void
channel_pump_all(struct session *s)
{
	struct channel *c, *next;

	/* A held request whose stream answered: reply, release the hold. */
	if (s->chan_held != NULL && (s->chan_held_c->bs_open ||
	    s->chan_held_c->bs_ended)) {
		ssh_message_channel_request_reply_success(s->chan_held);
		ssh_message_free(s->chan_held);
		s->chan_held = NULL;
		s->chan_held_c = NULL;
		s->pump_again = 1;
	}
	for (c = TAILQ_FIRST(&s->channels); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (s->closing)
			return;
		ch_pump(c);
	}
}

void
channel_env_ready(struct session *s)
{
	session_schedule_pump(s);
}

void
channel_notify_all(struct session *s, const char *msg)
{
	struct channel *c;

	TAILQ_FOREACH(c, &s->channels, entry) {
		if (c->done || c->ssh_closed || c->ch == NULL || !c->started ||
		    c->fwd != NULL)
			continue;
		ch_write_q(c, &c->err, 1);
		ssh_channel_write_stderr(c->ch, msg, (uint32_t)strlen(msg));
		ssh_channel_write_stderr(c->ch, c->pty ? "\r\n" : "\n",
		    c->pty ? 2 : 1);
		ssh_channel_request_send_exit_status(c->ch, 255);
		ssh_channel_send_eof(c->ch);
		ssh_channel_close(c->ch);
		c->done = 1;
	}
}

void
channel_close_all(struct session *s)
{
	struct channel *c;

	TAILQ_FOREACH(c, &s->channels, entry) {
		bstream_close(c->bs);
		c->bs = NULL;
		envcache_cancel(c->eop);
		c->eop = NULL;
		chan_session_close_signals(c);
	}
}

void
channel_free_all(struct session *s)
{
	struct channel *c;

	while ((c = TAILQ_FIRST(&s->channels)) != NULL)
		ch_release(c);
}
