/* dns-send.c: one DNS exchange over UDP or TCP on the event loop, with
 * replies matched to the request by id and a deadline. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "dns/dns-send.h"
#include "dns/dns-wire.h"

#define DNS_SEND_MAX 65535

struct dns_send {
	struct loop	 *loop;		/* not owned */
	int		  fd;
	int		  flags;
	struct loop_fd	 *reg;
	struct loop_timer *timer;
	int		  timeout_ms;
	dns_send_cb	 *cb;
	void		 *arg;
	uint8_t		 *req;		/* UDP: message; TCP: length-prefixed */
	size_t		  reqlen, sent;
	uint16_t	  id;
	int		  opcode;
	int		  connected;	/* TCP connect finished */
	uint8_t		 *in;		/* TCP input buffer */
	size_t		  inlen;
	int		  in_cb;
	int		  dead;
};

const char *
dns_send_strerror(int err)
{
	switch (err) {
	case DG_ERR_UNAVAIL:
		return "connection refused";
	case DG_ERR_TIMEOUT:
		return "no answer (timeout)";
	case DG_ERR_CLOSED:
		return "connection closed before the answer ended";
	case DG_ERR_PROTO:
		return "an answer that does not match the request";
	default:
		return dg_strerror(err);
	}
}

void
dns_send_addr_text(const struct sockaddr *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s#%u", a, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]#%u", a, ntohs(s6->sin6_port));
	} else {
		snprintf(buf, len, "?");
	}
}

static void
dns_send_free(struct dns_send *x)
{
	loop_fd_del(x->reg);
	loop_timer_free(x->timer);
	if (x->fd >= 0)
		close(x->fd);
	free(x->req);
	free(x->in);
	free(x);
}

/* Deliver to the caller; returns 1 when the exchange should go on. */
static int
dns_send_deliver(struct dns_send *x, int err, const uint8_t *msg,
    size_t len)
{
	int more;

	if (x->dead)
		return 0;
	x->in_cb = 1;
	more = x->cb(x->arg, err, msg, len);
	x->in_cb = 0;
	if (x->dead || err != 0 || !more) {
		x->dead = 1;
		return 0;
	}
	return 1;
}

static void
dns_send_fail(struct dns_send *x, int err)
{
	dns_send_deliver(x, err, NULL, 0);
	dns_send_free(x);
}

static void
dns_send_on_timer(void *arg)
{
	dns_send_fail(arg, DG_ERR_TIMEOUT);
}

static int
dns_send_errno(int e)
{
	switch (e) {
	case ECONNREFUSED:
	case ECONNRESET:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EPIPE:
		return DG_ERR_UNAVAIL;
	default:
		return DG_ERR_SYSTEM;
	}
}

/* Is msg a reply to our request? */
static int
dns_send_matches(const struct dns_send *x, const uint8_t *msg, size_t len)
{
	struct dns_wire_hdr h;

	return dns_wire_header(msg, len, &h) == 0 && h.qr && h.id == x->id &&
	    h.opcode == x->opcode;
}

static void
dns_send_udp_read(struct dns_send *x)
{
	uint8_t buf[DNS_SEND_MAX];
	ssize_t n;

	for (;;) {
		n = recv(x->fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			dns_send_fail(x, dns_send_errno(errno));
			return;
		}
		/* Stray or forged datagrams are dropped; keep waiting. */
		if (!dns_send_matches(x, buf, (size_t)n))
			continue;
		dns_send_deliver(x, 0, buf, (size_t)n);
		dns_send_free(x);
		return;
	}
}

static void
dns_send_tcp_read(struct dns_send *x)
{
	size_t mlen;
	ssize_t n;

	for (;;) {
		if (x->in == NULL)
			x->in = xmalloc(2 + DNS_SEND_MAX);
		n = read(x->fd, x->in + x->inlen, 2 + DNS_SEND_MAX - x->inlen);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			dns_send_fail(x, dns_send_errno(errno));
			return;
		}
		if (n == 0) {
			dns_send_fail(x, DG_ERR_CLOSED);
			return;
		}
		x->inlen += (size_t)n;
		while (x->inlen >= 2) {
			mlen = (size_t)x->in[0] << 8 | x->in[1];
			if (x->inlen < 2 + mlen)
				break;
			if (!dns_send_matches(x, x->in + 2, mlen)) {
				dns_send_fail(x, DG_ERR_PROTO);
				return;
			}
			if (!dns_send_deliver(x, 0, x->in + 2, mlen)) {
				dns_send_free(x);
				return;
			}
			memmove(x->in, x->in + 2 + mlen, x->inlen - 2 - mlen);
			x->inlen -= 2 + mlen;
			loop_timer_start(x->timer, (uint64_t)x->timeout_ms);
		}
	}
}

static void
dns_send_write(struct dns_send *x)
{
	ssize_t n;
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (!x->connected) {
		if (getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 ||
		    soerr != 0) {
			dns_send_fail(x, dns_send_errno(soerr ? soerr : errno));
			return;
		}
		x->connected = 1;
	}
	while (x->sent < x->reqlen) {
		n = send(x->fd, x->req + x->sent, x->reqlen - x->sent,
		    MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			dns_send_fail(x, dns_send_errno(errno));
			return;
		}
		x->sent += (size_t)n;
	}
	loop_fd_set(x->reg, LOOP_READ);
}

static void
dns_send_on_fd(int fd, int events, void *arg)
{
	struct dns_send *x = arg;

	(void)fd;
	if (x->sent < x->reqlen) {
		if (events & (LOOP_WRITE | LOOP_ERROR))
			dns_send_write(x);
		return;
	}
	if (events & (LOOP_READ | LOOP_ERROR)) {
		if (x->flags & DNS_SEND_TCP)
			dns_send_tcp_read(x);
		else
			dns_send_udp_read(x);
	}
}

int
dns_send_start(struct loop *loop, const struct sockaddr *sa, socklen_t salen,
    int flags, const uint8_t *req, size_t len, int timeout_ms,
    dns_send_cb *cb, void *arg, struct dns_send **xp)
{
	struct dns_send *x;
	struct dns_wire_hdr h;
	int type;

	if (len > DNS_SEND_MAX || dns_wire_header(req, len, &h) != 0 ||
	    cb == NULL || timeout_ms <= 0 ||
	    ((flags & DNS_SEND_STREAM) && !(flags & DNS_SEND_TCP)))
		return DG_ERR_INVAL;
	type = (flags & DNS_SEND_TCP) ? SOCK_STREAM : SOCK_DGRAM;
	x = xcalloc(1, sizeof(*x));
	x->loop = loop;
	x->flags = flags;
	x->cb = cb;
	x->arg = arg;
	x->id = h.id;
	x->opcode = h.opcode;
	x->timeout_ms = timeout_ms;
	if (flags & DNS_SEND_TCP) {
		x->req = xmalloc(len + 2);
		x->req[0] = (uint8_t)(len >> 8);
		x->req[1] = (uint8_t)len;
		memcpy(x->req + 2, req, len);
		x->reqlen = len + 2;
	} else {
		x->req = xmalloc(len);
		memcpy(x->req, req, len);
		x->reqlen = len;
		x->connected = 1;
	}
	if ((x->fd = socket(sa->sa_family, type | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0) {
		x->fd = -1;
		dns_send_free(x);
		return DG_ERR_SYSTEM;
	}
	if (connect(x->fd, sa, salen) != 0 && errno != EINPROGRESS) {
		dns_send_free(x);
		return errno == ECONNREFUSED ? DG_ERR_UNAVAIL : DG_ERR_SYSTEM;
	}
	x->timer = loop_timer_new(loop, dns_send_on_timer, x);
	loop_timer_start(x->timer, (uint64_t)timeout_ms);
	if ((x->reg = loop_fd_add(loop, x->fd, LOOP_WRITE, dns_send_on_fd,
	    x)) == NULL) {
		dns_send_free(x);
		return DG_ERR_SYSTEM;
	}
	if (xp != NULL)
		*xp = x;
	return 0;
}

void
dns_send_cancel(struct dns_send *x)
{
	if (x == NULL)
		return;
	if (x->in_cb) {
		x->dead = 1;	/* freed when the callback returns */
		return;
	}
	dns_send_free(x);
}
