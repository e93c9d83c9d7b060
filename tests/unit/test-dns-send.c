/* test-dns-send.c: unit tests for dns/dns-send.c: a reply matched by id
 * (stray datagrams ignored), TCP streams, timeouts, refused connections,
 * a server closing mid-stream, cancelling from the callback. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/loop.h"
#include "dns/dns-send.h"
#include "tests/unit/dns-fake.h"

enum mode { ECHO, STRAY_FIRST, SILENT, THREE, CLOSE_MID };

static enum mode mode;

static int
fake_fn(void *arg, int tcp, const uint8_t *req, size_t len, uint8_t **out,
    size_t *outlen, int max)
{
	int i, n = 1;

	(void)arg;
	(void)max;
	if (mode == SILENT)
		return 0;
	if (mode == THREE && tcp)
		n = 3;
	for (i = 0; i < n; i++) {
		memcpy(out[i], req, len);
		out[i][2] |= 0x80;	/* QR */
		out[i][3] = (uint8_t)i;	/* rcode: message number */
		outlen[i] = len;
	}
	if (mode == STRAY_FIRST && !tcp) {
		/* The fake answers one datagram: make it a stray one. */
		out[0][0] ^= 0xff;
	}
	if (mode == CLOSE_MID && tcp)
		return 1 | DNS_FAKE_CLOSE;
	return n;
}

struct got {
	int	 calls;
	int	 err;
	int	 rcodes[8];
	int	 want_more;
	struct dns_send *self;
	int	 cancel_in_cb;
};

static int
got_cb(void *arg, int err, const uint8_t *msg, size_t len)
{
	struct got *g = arg;

	if (err == 0 && len >= 4 && g->calls < 8)
		g->rcodes[g->calls] = msg[3] & 0xf;
	g->calls++;
	g->err = err;
	if (g->cancel_in_cb) {
		dns_send_cancel(g->self);
		return 1;
	}
	return err == 0 && g->want_more-- > 0;
}

static const uint8_t query[] = { 0x12, 0x34, 0x00, 0x00, 0, 1, 0, 0, 0, 0,
	0, 0, 3, 'd', 'e', 'v', 4, 'c', 'o', 'r', 'p', 0, 0, 6, 0, 1 };

static void
exchange(int port, int flags, struct got *g, int timeout)
{
	struct loop *l = loop_new();
	struct sockaddr_in sin;
	uint64_t end;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	assert_int_equal(dns_send_start(l, (struct sockaddr *)&sin,
	    sizeof(sin), flags, query, sizeof(query), timeout, got_cb, g,
	    &g->self), 0);
	end = loop_clock_ms() + 3000;
	while (loop_clock_ms() < end && (g->calls == 0 || (g->err == 0 &&
	    g->want_more >= 0 && !g->cancel_in_cb)))
		loop_run_once(l, 20);
	loop_run_once(l, 0);
	loop_free(l);
}

static void
test_send(void **state)
{
	struct dns_fake *f = dns_fake_start(fake_fn, NULL);
	int port = dns_fake_port(f), dead;
	struct got g;

	(void)state;
	mode = ECHO;
	memset(&g, 0, sizeof(g));
	exchange(port, 0, &g, 1000);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.err, 0);
	/* Over UDP a datagram with another id is ignored: only a timeout. */
	mode = STRAY_FIRST;
	memset(&g, 0, sizeof(g));
	exchange(port, 0, &g, 300);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.err, DG_ERR_TIMEOUT);
	mode = SILENT;
	memset(&g, 0, sizeof(g));
	exchange(port, DNS_SEND_TCP, &g, 300);
	assert_true(g.err == DG_ERR_CLOSED || g.err == DG_ERR_TIMEOUT);
	/* A transfer: three messages on one connection. */
	mode = THREE;
	memset(&g, 0, sizeof(g));
	g.want_more = 2;
	exchange(port, DNS_SEND_TCP | DNS_SEND_STREAM, &g, 1000);
	assert_int_equal(g.calls, 3);
	assert_int_equal(g.rcodes[2], 2);
	/* Closed in the middle of a transfer. */
	mode = CLOSE_MID;
	memset(&g, 0, sizeof(g));
	g.want_more = 5;
	exchange(port, DNS_SEND_TCP | DNS_SEND_STREAM, &g, 1000);
	assert_int_equal(g.calls, 2);
	assert_int_equal(g.err, DG_ERR_CLOSED);
	/* Cancel from inside the callback: no further call. */
	mode = THREE;
	memset(&g, 0, sizeof(g));
	g.cancel_in_cb = 1;
	exchange(port, DNS_SEND_TCP | DNS_SEND_STREAM, &g, 1000);
	assert_int_equal(g.calls, 1);
	dns_fake_stop(f);
	/* Nobody listening. */
	dead = port;
	memset(&g, 0, sizeof(g));
	exchange(dead, DNS_SEND_TCP, &g, 1000);
	assert_int_equal(g.err, DG_ERR_UNAVAIL);
	assert_string_equal(dns_send_strerror(DG_ERR_UNAVAIL),
	    "connection refused");
}

static void
test_send_refuses(void **state)
{
	struct loop *l = loop_new();
	struct sockaddr_in sin;
	struct got g;

	(void)state;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	assert_int_equal(dns_send_start(l, (struct sockaddr *)&sin,
	    sizeof(sin), DNS_SEND_STREAM, query, sizeof(query), 100, got_cb,
	    &g, NULL), DG_ERR_INVAL);	/* a stream needs TCP */
	assert_int_equal(dns_send_start(l, (struct sockaddr *)&sin,
	    sizeof(sin), 0, query, 5, 100, got_cb, &g, NULL), DG_ERR_INVAL);
	loop_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_send),
		cmocka_unit_test(test_send_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
