/* k8s-stream.c: pods/exec and pods/portforward streams over WebSocket:
 * life cycle, framing of what we send, reading, backpressure, pings. */
#include <openssl/rand.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bufq.h"
#include "common/err.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "gateway/k8s-api.h"
#include "gateway/k8s-conn.h"
#include "gateway/k8s-json.h"
#include "gateway/k8s-stream-int.h"
#include "gateway/k8s-stream.h"
#include "gateway/k8s-target.h"
#include "gateway/ws.h"

/* One read from a socket (the loop is single-threaded). */
static uint8_t ks_rbuf[KS_READ_SIZE];

static void ks_conn_event(void *, int);
static int ks_connect_addr(struct k8s_stream *);
static void ks_flush_deferred(void *);

void
k8s_stream_opts_default(struct k8s_stream_opts *o)
{
	o->ping_ms = 30000;
	o->connect_ms = 15000;
	o->sendq_max = 256 * 1024;
	o->max_msg = 16u << 20;
	o->exec_v4_only = 0;
}

static struct k8s_stream *
ks_of(struct bstream *b)
{
	return (struct k8s_stream *)b;
}

const char *
k8s_stream_protocol(const struct bstream *b)
{
	return ((const struct k8s_stream *)b)->proto;
}

static void
ks_free(struct k8s_stream *s)
{
	loop_timer_free(s->timer);
	k8s_conn_free(s->conn);
	bufq_clear(&s->sendq);
	free(s->path);
	if (s->req != NULL)
		freezero(s->req, s->reqlen);
	free(s->head);
	free(s->acc);
	free(s->stash);
	k8s_target_unref(s->target);
	free(s);
}

static void
ks_deferred_done(void *arg)
{
	struct k8s_stream *s = arg;

	if (--s->deferred == 0 && s->dead)
		ks_free(s);
}

/* Schedule fn on the loop, keeping s alive until it ran. */
void
k8s_stream_defer(struct k8s_stream *s, loop_cb *fn)
{
	s->deferred++;
	loop_defer(s->target->loop, fn, s);
}

/* Drop the connection and everything only it needs. */
static void
ks_disconnect(struct k8s_stream *s)
{
	k8s_conn_free(s->conn);
	s->conn = NULL;
	loop_timer_stop(s->timer);
	bufq_clear(&s->sendq);
	if (s->req != NULL)
		freezero(s->req, s->reqlen);
	s->req = NULL;
	free(s->head);
	s->head = NULL;
	free(s->stash);
	s->stash = NULL;
	s->stashlen = s->stashoff = 0;
}

void
k8s_stream_fail(struct k8s_stream *s, int err, const char *reason)
{
	char why[512];

	if (s->state == KS_DONE || s->dead)
		return;
	/* The reason may live in what we are about to free. */
	snprintf(why, sizeof(why), "%s", reason != NULL ? reason : "");
	s->state = KS_DONE;
	ks_disconnect(s);
	if (s->cbs.error != NULL)
		s->cbs.error(s->arg, err, why);
}

/* Send a Close (1000) if the socket takes it right away. */
void
k8s_stream_goodbye(struct k8s_stream *s)
{
	uint8_t frame[WS_HDR_MAX + WS_CTRL_MAX], pl[WS_CTRL_MAX], mask[4];
	size_t n;

	if (s->conn == NULL || s->sent_close || s->state != KS_OPEN ||
	    !bufq_empty(&s->sendq))
		return;
	memcpy(mask, &s->prng, sizeof(mask));
	n = ws_close_payload(pl, WS_CLOSE_NORMAL, NULL);
	n = ws_control_frame(frame, WS_OP_CLOSE, pl, n, mask);
	(void)k8s_conn_write(s->conn, frame, n);
	s->sent_close = 1;
}

void
k8s_stream_exit(struct k8s_stream *s, int status, const char *message)
{
	struct bstream_exit ex;

	if (s->state == KS_DONE || s->dead)
		return;
	k8s_stream_goodbye(s);
	s->state = KS_DONE;
	ks_disconnect(s);
	ex.status = status;
	ex.message = message;
	if (s->cbs.exit != NULL)
		s->cbs.exit(s->arg, &ex);
}

static void
ks_next_mask(struct k8s_stream *s, uint8_t mask[4])
{
	uint64_t v;

	/* xorshift64*, seeded from RAND_bytes. */
	s->prng ^= s->prng >> 12;
	s->prng ^= s->prng << 25;
	s->prng ^= s->prng >> 27;
	v = s->prng * 0x2545F4914F6CDD1DULL;
	memcpy(mask, (uint8_t *)&v + 2, 4);
}

static void
ks_schedule_flush(struct k8s_stream *s)
{
	if (s->flush_queued || s->conn == NULL)
		return;
	s->flush_queued = 1;
	k8s_stream_defer(s, ks_flush_deferred);
}

/* Queue one binary message: channel byte + data, masked. The caller has
 * checked the room. */
static void
ks_queue_msg(struct k8s_stream *s, int channel, const void *data,
    size_t len)
{
	uint8_t hdr[WS_HDR_MAX + 1], mask[4], *dst;
	const uint8_t *p = data;
	size_t h, off, n, room, done = 0;

	ks_next_mask(s, mask);
	h = ws_frame_header(hdr, WS_OP_BINARY, 1, (uint64_t)len + 1, mask);
	hdr[h] = (uint8_t)channel ^ mask[0];
	bufq_write(&s->sendq, hdr, h + 1);
	off = 1;
	/* Mask straight into the queue: one pass over the data. */
	while (done < len &&
	    (dst = bufq_reserve(&s->sendq, &room)) != NULL) {
		n = len - done < room ? len - done : room;
		off = ws_mask_copy(dst, p + done, n, mask, off);
		bufq_commit(&s->sendq, n);
		done += n;
	}
	ks_schedule_flush(s);
}

void
k8s_stream_queue_control(struct k8s_stream *s, int opcode, const void *data,
    size_t len)
{
	uint8_t frame[WS_HDR_MAX + WS_CTRL_MAX], mask[4];
	size_t n;

	ks_next_mask(s, mask);
	n = ws_control_frame(frame, opcode, data, len, mask);
	bufq_write(&s->sendq, frame, n);
	ks_schedule_flush(s);
}

void
k8s_stream_flush(struct k8s_stream *s)
{
	const void *p;
	size_t n;
	ssize_t w;

	if (s->conn == NULL || s->state != KS_OPEN)
		return;
	while ((p = bufq_peek(&s->sendq, &n)) != NULL) {
		w = k8s_conn_write(s->conn, p, n);
		if (w == DG_ERR_AGAIN)
			break;
		if (w < 0) {
			k8s_stream_fail(s, (int)w, k8s_conn_error(s->conn));
			return;
		}
		bufq_consume(&s->sendq, (size_t)w);
	}
	k8s_conn_want(s->conn, !s->paused, !bufq_empty(&s->sendq));
	if (s->want_drain && bufq_low(&s->sendq)) {
		s->want_drain = 0;
		if (s->cbs.drain != NULL)
			s->cbs.drain(s->arg);
	}
}

static void
ks_flush_deferred(void *arg)
{
	struct k8s_stream *s = arg;

	s->flush_queued = 0;
	if (!s->dead)
		k8s_stream_flush(s);
	ks_deferred_done(s);
}

static void
ks_send_resize(struct k8s_stream *s)
{
	char json[64];
	int n;

	n = snprintf(json, sizeof(json), "{\"Width\":%u,\"Height\":%u}\n",
	    s->cols, s->rows);
	ks_queue_msg(s, 4, json, (size_t)n);
}

/* v4 port-forward has no half-close: the end of our input is a Close,
 * queued behind the data so that it goes out first; what the server sends
 * until its own Close is still delivered. */
static void
ks_pf_close(struct k8s_stream *s)
{
	uint8_t pl[WS_CTRL_MAX];
	size_t n;

	if (s->stdin_closed)
		return;
	s->stdin_closed = 1;
	n = ws_close_payload(pl, WS_CLOSE_NORMAL, NULL);
	k8s_stream_queue_control(s, WS_OP_CLOSE, pl, n);
	s->sent_close = 1;
}

void
k8s_stream_send_eof(struct k8s_stream *s)
{
	uint8_t zero = 0;

	ks_queue_msg(s, 255, &zero, 1);
}

/* Parse and dispatch; returns the bytes consumed (less than len only
 * when the stream was paused). */
static size_t
ks_consume(struct k8s_stream *s, const uint8_t *buf, size_t len)
{
	struct ws_ev ev;
	size_t pos = 0;
	ssize_t r;

	while (pos < len) {
		r = ws_rx_parse(&s->rx, buf + pos, len - pos, &ev);
		if (r < 0) {
			k8s_stream_fail(s, (int)r, s->rx.error);
			return len;
		}
		pos += (size_t)r;
		switch (ev.type) {
		case WS_EV_NONE:
			if (r == 0)
				return len;
			continue;
		case WS_EV_DATA:
			if (k8s_channel_payload(s, ev.data, ev.len,
			    ev.msg_end) < 0)
				return len;
			break;
		case WS_EV_PING:
			if (bufq_space(&s->sendq) >= WS_HDR_MAX + WS_CTRL_MAX)
				k8s_stream_queue_control(s, WS_OP_PONG, ev.data,
				    ev.len);
			break;
		case WS_EV_PONG:
			break;
		case WS_EV_CLOSE:
			k8s_channel_close(s, &ev);
			return len;
		}
		if (s->dead || s->state != KS_OPEN)
			return len;
		if (s->paused)
			return pos;
	}
	return pos;
}

void
k8s_stream_stash(struct k8s_stream *s, const uint8_t *p, size_t n)
{
	uint8_t *b;

	if (n == 0)
		return;
	b = xmalloc(s->stashlen - s->stashoff + n);
	if (s->stash != NULL)
		memcpy(b, s->stash + s->stashoff, s->stashlen - s->stashoff);
	memcpy(b + s->stashlen - s->stashoff, p, n);
	s->stashlen = s->stashlen - s->stashoff + n;
	s->stashoff = 0;
	free(s->stash);
	s->stash = b;
}

static void
ks_read(struct k8s_stream *s)
{
	size_t used, budget = 0;
	ssize_t n;

	if (s->stash != NULL) {
		/* Older bytes wait in the stash: they go first. */
		if (!s->paused && !s->resume_queued) {
			s->resume_queued = 1;
			k8s_stream_defer(s, k8s_stream_resume_deferred);
		}
		return;
	}
	while (!s->paused && !s->dead && s->state == KS_OPEN) {
		if (budget >= KS_READ_BUDGET) {
			/* Let others run; TLS may hold data that epoll will
			 * not report, so come back explicitly. */
			if (!s->resume_queued) {
				s->resume_queued = 1;
				k8s_stream_defer(s, k8s_stream_resume_deferred);
			}
			break;
		}
		n = k8s_conn_read(s->conn, ks_rbuf, sizeof(ks_rbuf));
		if (n == DG_ERR_AGAIN)
			break;
		if (n <= 0) {
			k8s_stream_fail(s, DG_ERR_CLOSED, n == 0 ?
			    "API server closed the connection" :
			    k8s_conn_error(s->conn));
			return;
		}
		s->last_rx = loop_now(s->target->loop);
		budget += (size_t)n;
		used = ks_consume(s, ks_rbuf, (size_t)n);
		if (s->dead || s->state != KS_OPEN)
			return;
		if (used < (size_t)n) {
			k8s_stream_stash(s, ks_rbuf + used, (size_t)n - used);
			break;
		}
	}
	if (s->conn != NULL && !s->dead && s->state == KS_OPEN)
		k8s_conn_want(s->conn, !s->paused, !bufq_empty(&s->sendq));
}

void
k8s_stream_resume_deferred(void *arg)
{
	struct k8s_stream *s = arg;
	size_t n, used;

	s->resume_queued = 0;
	if (!s->dead && !s->paused && s->state == KS_OPEN) {
		if (s->stash != NULL) {
			n = s->stashlen - s->stashoff;
			used = ks_consume(s, s->stash + s->stashoff, n);
			if (!s->dead && s->state == KS_OPEN) {
				s->stashoff += used;
				if (s->stashoff == s->stashlen) {
					free(s->stash);
					s->stash = NULL;
					s->stashlen = s->stashoff = 0;
				}
			}
		}
		if (!s->dead && !s->paused && s->state == KS_OPEN &&
		    s->stash == NULL)
			ks_read(s);
	}
	ks_deferred_done(s);
}

/* The upgrade succeeded (s->proto is set): start the session. */
void
k8s_stream_opened(struct k8s_stream *s)
{
	log_debug2("kubernetes: stream %s open (%s, TLS session %s)",
	    s->path, s->proto, k8s_conn_resumed(s->conn) ? "resumed" : "new");
	s->state = KS_OPEN;
	s->last_rx = loop_now(s->target->loop);
	loop_timer_stop(s->timer);
	if (s->opts.ping_ms > 0)
		loop_timer_start(s->timer, (uint64_t)s->opts.ping_ms);
	if (s->eof_pending && s->kind == KS_PF)
		ks_pf_close(s);
	else if (s->eof_pending && s->v5) {
		k8s_stream_send_eof(s);
		s->stdin_closed = 1;
	}
	s->eof_pending = 0;
	if (s->cbs.open != NULL)
		s->cbs.open(s->arg);
	if (s->dead || s->state != KS_OPEN)
		return;
	k8s_stream_flush(s);
	if (!s->dead && s->state == KS_OPEN && !s->resume_queued) {
		s->resume_queued = 1;
		k8s_stream_defer(s, k8s_stream_resume_deferred);
	}
}

static void
ks_conn_event(void *arg, int events)
{
	struct k8s_stream *s = arg;
	const char *e;

	if (s->dead || s->state == KS_DONE)
		return;
	if (events & K8S_CONN_FAILED) {
		if (k8s_conn_failed_tcp(s->conn) &&
		    s->addr_tries + 1 < s->target->addrs.n) {
			/* Another address of the server may answer. */
			k8s_conn_free(s->conn);
			s->conn = NULL;
			s->addr_tries++;
			s->addr_idx = (s->addr_idx + 1) % s->target->addrs.n;
			if (ks_connect_addr(s) == 0)
				return;
		}
		e = s->conn != NULL ? k8s_conn_error(s->conn) :
		    "cannot connect to any address of the API server";
		k8s_stream_fail(s, strstr(e, "TLS") != NULL ? DG_ERR_TLS :
		    DG_ERR_UNAVAIL, e);
		return;
	}
	if (events & K8S_CONN_CONNECTED) {
		s->target->preferred = s->addr_idx;
		k8s_upgrade_start(s);
		return;
	}
	switch (s->state) {
	case KS_UPGRADE:
	case KS_ERRBODY:
		k8s_upgrade_event(s, events);
		break;
	case KS_OPEN:
		if (events & K8S_CONN_WRITABLE) {
			k8s_stream_flush(s);
			if (s->dead || s->state != KS_OPEN)
				return;
		}
		if (events & K8S_CONN_READABLE)
			ks_read(s);
		break;
	default:
		break;
	}
}

static void
ks_timer(void *arg)
{
	struct k8s_stream *s = arg;
	uint64_t now = loop_now(s->target->loop);

	if (s->dead || s->state == KS_DONE)
		return;
	if (s->state != KS_OPEN) {
		k8s_stream_fail(s, DG_ERR_TIMEOUT,
		    "timed out connecting to the API server");
		return;
	}
	if (!s->paused && now - s->last_rx > 3 * (uint64_t)s->opts.ping_ms) {
		k8s_stream_fail(s, DG_ERR_TIMEOUT,
		    "API server stopped answering WebSocket pings");
		return;
	}
	/* (Nothing may follow a Close.) */
	if (!s->sent_close && bufq_space(&s->sendq) >= WS_HDR_MAX + WS_CTRL_MAX)
		k8s_stream_queue_control(s, WS_OP_PING, NULL, 0);
	loop_timer_start(s->timer, (uint64_t)s->opts.ping_ms);
}

/* Connect to the current address, or the next ones that refuse at once. */
static int
ks_connect_addr(struct k8s_stream *s)
{
	struct k8s_target *t = s->target;
	int r = DG_ERR_UNAVAIL;

	while (s->addr_tries < t->addrs.n) {
		r = k8s_conn_new(t->loop, t->tls,
		    (struct sockaddr *)&t->addrs.sa[s->addr_idx],
		    t->addrs.len[s->addr_idx], t->verify_name, ks_conn_event,
		    s, &s->conn);
		if (r != DG_ERR_UNAVAIL)
			break;
		s->addr_tries++;
		s->addr_idx = (s->addr_idx + 1) % t->addrs.n;
	}
	return r;
}

int
k8s_stream_connect(struct k8s_stream *s)
{
	struct k8s_target *t = s->target;
	int r;

	s->addr_idx = t->preferred < t->addrs.n ? t->preferred : 0;
	s->addr_tries = 0;
	if ((r = ks_connect_addr(s)) != 0)
		return r;
	if (s->opts.connect_ms > 0)
		loop_timer_start(s->timer, (uint64_t)s->opts.connect_ms);
	return 0;
}

static struct k8s_stream *
ks_new(struct k8s_target *t, const struct k8s_stream_opts *opts,
    const struct backend_ops *ops, const struct bstream_cbs *cbs, void *arg)
{
	struct k8s_stream *s = xcalloc(1, sizeof(*s));

	s->base.ops = ops;
	s->target = t;
	k8s_target_ref(t);
	if (opts != NULL)
		s->opts = *opts;
	else
		k8s_stream_opts_default(&s->opts);
	s->cbs = *cbs;
	s->arg = arg;
	s->channel = -1;
	s->timer = loop_timer_new(t->loop, ks_timer, s);
	ws_rx_init(&s->rx, s->opts.max_msg);
	bufq_init(&s->sendq, s->opts.sendq_max + KS_CTRL_ROOM,
	    s->opts.sendq_max, s->opts.sendq_max / 4);
	if (RAND_bytes((unsigned char *)&s->prng, sizeof(s->prng)) != 1 ||
	    s->prng == 0)
		s->prng = loop_clock_ms() | 1;
	return s;
}

static int
ks_start(struct k8s_stream *s, struct bstream **out)
{
	int r;

	if ((r = k8s_stream_connect(s)) != 0) {
		s->dead = 1;
		ks_free(s);
		return r;
	}
	*out = &s->base;
	return 0;
}

int
k8s_stream_exec(struct k8s_target *t, const struct k8s_stream_opts *opts,
    const struct backend_ops *ops, const char *ns, const char *pod,
    const struct bexec_spec *spec, const struct bstream_cbs *cbs, void *arg,
    struct bstream **out)
{
	struct k8s_stream *s;

	if (spec->argv == NULL || spec->argv[0] == NULL || pod[0] == '\0' ||
	    cbs->data == NULL)
		return DG_ERR_INVAL;
	s = ks_new(t, opts, ops, cbs, arg);
	s->kind = KS_EXEC;
	s->tty = spec->tty != 0;
	s->protocols = s->opts.exec_v4_only ? "v4.channel.k8s.io" :
	    K8S_EXEC_PROTOCOLS;
	s->path = k8s_channel_exec_path(ns, pod, spec);
	if (s->tty) {
		s->cols = spec->cols ? spec->cols : 80;
		s->rows = spec->rows ? spec->rows : 24;
		ks_send_resize(s);
	}
	return ks_start(s, out);
}

int
k8s_stream_portforward(struct k8s_target *t,
    const struct k8s_stream_opts *opts, const struct backend_ops *ops,
    const char *ns, const char *pod, uint16_t port,
    const struct bstream_cbs *cbs, void *arg, struct bstream **out)
{
	struct k8s_stream *s;

	if (port == 0 || pod[0] == '\0' || cbs->data == NULL)
		return DG_ERR_INVAL;
	s = ks_new(t, opts, ops, cbs, arg);
	s->kind = KS_PF;
	s->port = port;
	s->pf_prefix[0] = s->pf_prefix[1] = 2;
	s->protocols = K8S_PF_PROTOCOLS;
	s->path = k8s_channel_pf_path(ns, pod, port);
	return ks_start(s, out);
}

ssize_t
k8s_stream_write(struct bstream *b, const void *buf, size_t len)
{
	struct k8s_stream *s = ks_of(b);
	const uint8_t *p = buf;
	size_t space, done = 0, n;

	if (s->dead || s->state == KS_DONE)
		return DG_ERR_CLOSED;
	if (s->eof_pending || s->stdin_closed)
		return DG_ERR_INVAL;
	while (done < len) {
		space = bufq_len(&s->sendq) < s->opts.sendq_max ?
		    s->opts.sendq_max - bufq_len(&s->sendq) : 0;
		if (space <= WS_HDR_MAX + 1)
			break;
		n = space - WS_HDR_MAX - 1;
		if (n > KS_FRAME_MAX)
			n = KS_FRAME_MAX;
		if (n > len - done)
			n = len - done;
		ks_queue_msg(s, 0, p + done, n);
		done += n;
	}
	if (done < len)
		s->want_drain = 1;
	return (ssize_t)done;
}

int
k8s_stream_close_stdin(struct bstream *b)
{
	struct k8s_stream *s = ks_of(b);

	if (s->dead || s->state == KS_DONE)
		return DG_ERR_CLOSED;
	if (s->kind == KS_PF && s->state == KS_OPEN) {
		ks_pf_close(s);
		return 0;
	}
	if (s->state != KS_OPEN) {
		s->eof_pending = 1;
		return 0;
	}
	if (!s->v5)
		return DG_ERR_NOTSUP;
	if (!s->stdin_closed)
		k8s_stream_send_eof(s);
	s->stdin_closed = 1;
	return 0;
}

int
k8s_stream_resize(struct bstream *b, unsigned cols, unsigned rows)
{
	struct k8s_stream *s = ks_of(b);

	if (s->dead || s->state == KS_DONE)
		return DG_ERR_CLOSED;
	if (s->kind != KS_EXEC || !s->tty)
		return 0;
	if (cols == 0 || rows == 0 || cols > 65535 || rows > 65535)
		return DG_ERR_RANGE;
	if (cols == s->cols && rows == s->rows)
		return 0;
	s->cols = cols;
	s->rows = rows;
	ks_send_resize(s);
	return 0;
}

void
k8s_stream_pause(struct bstream *b, int paused)
{
	struct k8s_stream *s = ks_of(b);

	paused = paused != 0;
	if (s->dead || s->paused == paused)
		return;
	s->paused = paused;
	if (s->state != KS_OPEN || s->conn == NULL)
		return;
	k8s_conn_want(s->conn, !paused, !bufq_empty(&s->sendq));
	if (!paused) {
		s->last_rx = loop_now(s->target->loop);
		if (!s->resume_queued) {
			s->resume_queued = 1;
			k8s_stream_defer(s, k8s_stream_resume_deferred);
		}
	}
}

void
k8s_stream_close(struct bstream *b)
{
	struct k8s_stream *s;

	if (b == NULL)
		return;
	s = ks_of(b);
	if (s->dead)
		return;
	s->dead = 1;
	if (s->state == KS_OPEN)
		k8s_stream_goodbye(s);
	ks_disconnect(s);
	s->deferred++;
	loop_defer(s->target->loop, ks_deferred_done, s);
}
