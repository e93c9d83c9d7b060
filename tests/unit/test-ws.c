/* test-ws.c: unit tests for gateway/ws.c: handshake (RFC 6455 vectors),
 * response validation, frame headers, masking, the incremental parser
 * (lengths, fragmentation, interleaved control frames, limits, errors). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "gateway/ws.h"

static void
t_accept_vector(void **state)
{
	char out[WS_ACCEPT_LEN + 1];

	(void)state;
	/* RFC 6455 section 1.3. */
	ws_accept_for("dGhlIHNhbXBsZSBub25jZQ==", out);
	assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	/* RFC 6455 section 4.2.2 sample handshake key. */
	ws_accept_for("x3JJHMbDL1EzLkh9GBhXDw==", out);
	assert_string_equal(out, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
}

static void
t_key_new(void **state)
{
	char a[WS_KEY_LEN + 1], b[WS_KEY_LEN + 1];

	(void)state;
	assert_int_equal(ws_key_new(a), 0);
	assert_int_equal(ws_key_new(b), 0);
	assert_int_equal(strlen(a), 24);
	assert_string_equal(a + 22, "==");
	assert_string_not_equal(a, b);
}

static void
t_request(void **state)
{
	struct ws_req q = { "10.96.0.1:443", "/api/v1/x?command=ls",
	    "dGhlIHNhbXBsZSBub25jZQ==", "v5.channel.k8s.io, v4.channel.k8s.io",
	    "Bearer abc", "devgate/1" };
	char *s;
	size_t n;

	(void)state;
	assert_int_equal(ws_request_build(&q, &s, &n), 0);
	assert_int_equal(strlen(s), n);
	assert_non_null(strstr(s, "GET /api/v1/x?command=ls HTTP/1.1\r\n"));
	assert_non_null(strstr(s, "\r\nHost: 10.96.0.1:443\r\n"));
	assert_non_null(strstr(s, "\r\nAuthorization: Bearer abc\r\n"));
	assert_non_null(strstr(s, "\r\nUpgrade: websocket\r\n"));
	assert_non_null(strstr(s, "\r\nConnection: Upgrade\r\n"));
	assert_non_null(strstr(s, "\r\nSec-WebSocket-Version: 13\r\n"));
	assert_non_null(strstr(s, "\r\nSec-WebSocket-Protocol: v5.channel"));
	assert_int_equal(memcmp(s + n - 4, "\r\n\r\n", 4), 0);
	free(s);
	q.auth = "Bearer x\r\nEvil: 1";
	assert_int_equal(ws_request_build(&q, &s, &n), DG_ERR_INVAL);
	q.auth = NULL;
	q.path = "/a b";
	assert_int_equal(ws_request_build(&q, &s, &n), DG_ERR_INVAL);
}

#define KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define OFFER "v5.channel.k8s.io, v4.channel.k8s.io"

static int
t_check_resp(const char *text, const char **why)
{
	struct ws_resp r;
	int e;

	if ((e = ws_response_parse(text, strlen(text), 16384, &r)) != 0)
		return e;
	return ws_response_check(text, &r, KEY, OFFER, why);
}

static void
t_response(void **state)
{
	const char *ok = "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	    "Sec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n\x82\x01\x01";
	struct ws_resp r;
	const char *why = NULL;
	char buf[512];

	(void)state;
	assert_int_equal(ws_response_parse(ok, strlen(ok), 16384, &r), 0);
	assert_int_equal(r.status, 101);
	assert_string_equal(r.protocol, "v4.channel.k8s.io");
	assert_int_equal(r.header_len, strlen(ok) - 3);
	assert_int_equal(ws_response_check(ok, &r, KEY, OFFER, &why), 0);
	/* Incomplete, then too big. */
	assert_int_equal(ws_response_parse(ok, 40, 16384, &r), DG_ERR_AGAIN);
	assert_int_equal(ws_response_parse(ok, 40, 40, &r), DG_ERR_TOOBIG);
	assert_int_equal(ws_response_parse("SSH-2.0-x\r\n\r\n", 13, 100, &r),
	    DG_ERR_PROTO);
	/* Wrong accept key. */
	snprintf(buf, sizeof(buf), "%s", ok);
	memcpy(strstr(buf, "s3pP"), "AAAA", 4);
	assert_int_equal(t_check_resp(buf, &why), DG_ERR_PROTO);
	assert_non_null(strstr(why, "Accept"));
	/* A subprotocol we did not offer, or none at all. */
	snprintf(buf, sizeof(buf), "HTTP/1.1 101 OK\r\nUpgrade: WebSocket\r\n"
	    "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Accept: "
	    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: "
	    "channel.k8s.io\r\n\r\n");
	assert_int_equal(t_check_resp(buf, &why), DG_ERR_PROTO);
	assert_non_null(strstr(why, "subprotocol"));
	snprintf(buf, sizeof(buf), "HTTP/1.1 101 OK\r\nUpgrade: WebSocket\r\n"
	    "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Accept: "
	    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
	assert_int_equal(t_check_resp(buf, &why), DG_ERR_PROTO);
	/* Case-insensitive header values and a token list in Connection. */
	snprintf(buf, sizeof(buf), "HTTP/1.1 101 OK\r\nupgrade: WebSocket\r\n"
	    "connection: keep-alive, Upgrade\r\nsec-websocket-accept: "
	    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nsec-websocket-protocol: "
	    "v5.channel.k8s.io\r\n\r\n");
	assert_int_equal(t_check_resp(buf, &why), 0);
	/* An extension forced on us. */
	snprintf(buf, sizeof(buf), "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Accept: "
	    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: "
	    "v5.channel.k8s.io\r\nSec-WebSocket-Extensions: "
	    "permessage-deflate\r\n\r\n");
	assert_int_equal(t_check_resp(buf, &why), DG_ERR_PROTO);
	/* Missing Upgrade. */
	snprintf(buf, sizeof(buf), "HTTP/1.1 101 OK\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	    "Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n");
	assert_int_equal(t_check_resp(buf, &why), DG_ERR_PROTO);
	/* A refusal with a body: parsed, not accepted. */
	snprintf(buf, sizeof(buf), "HTTP/1.1 403 Forbidden\r\nContent-Type: "
	    "application/json\r\nContent-Length: 12\r\n\r\n{\"code\":403}");
	assert_int_equal(ws_response_parse(buf, strlen(buf), 16384, &r), 0);
	assert_int_equal(r.status, 403);
	assert_int_equal(r.content_length, 12);
	assert_string_equal(r.reason, "Forbidden");
	assert_int_equal(t_check_resp(buf, &why), DG_ERR_PROTO);
	snprintf(buf, sizeof(buf), "HTTP/1.1 500 X\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n");
	assert_int_equal(ws_response_parse(buf, strlen(buf), 16384, &r), 0);
	assert_true(r.chunked);
	snprintf(buf, sizeof(buf), "HTTP/1.1 200 X\r\nContent-Length: -5\r\n"
	    "\r\n");
	assert_int_equal(ws_response_parse(buf, strlen(buf), 16384, &r),
	    DG_ERR_PROTO);
}

static void
t_frame_header(void **state)
{
	const uint8_t mask[4] = { 1, 2, 3, 4 };
	uint8_t h[WS_HDR_MAX];

	(void)state;
	assert_int_equal(ws_frame_header(h, WS_OP_BINARY, 1, 125, mask), 6);
	assert_int_equal(h[0], 0x82);
	assert_int_equal(h[1], 0x80 | 125);
	assert_memory_equal(h + 2, mask, 4);
	assert_int_equal(ws_frame_header(h, WS_OP_BINARY, 1, 126, mask), 8);
	assert_int_equal(h[1], 0x80 | 126);
	assert_int_equal(h[2], 0);
	assert_int_equal(h[3], 126);
	assert_int_equal(ws_frame_header(h, WS_OP_CONT, 0, 65535, mask), 8);
	assert_int_equal(h[0], 0x00);
	assert_int_equal(h[2], 0xff);
	assert_int_equal(h[3], 0xff);
	assert_int_equal(ws_frame_header(h, WS_OP_BINARY, 1, 65536, mask), 14);
	assert_int_equal(h[1], 0x80 | 127);
	assert_int_equal(h[2] | h[3] | h[4] | h[5] | h[6], 0);
	assert_int_equal(h[7], 1);
	assert_int_equal(h[8] | h[9], 0);
	assert_memory_equal(h + 10, mask, 4);
}

static void
t_mask(void **state)
{
	const uint8_t mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
	uint8_t src[100], a[100], b[100];
	size_t len, off, i, next;

	(void)state;
	for (i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 3);
	for (len = 0; len < sizeof(src); len++)
		for (off = 0; off < 4; off++) {
			next = ws_mask_copy(a, src, len, mask, off);
			assert_int_equal(next, (off + len) & 3);
			for (i = 0; i < len; i++)
				assert_int_equal(a[i],
				    src[i] ^ mask[(off + i) & 3]);
			ws_mask_copy(b, a, len, mask, off);
			assert_memory_equal(b, src, len);
		}
	/* RFC 6455 5.7: masked "Hello". */
	ws_mask_copy(a, (const uint8_t *)"Hello", 5, mask, 0);
	assert_memory_equal(a, "\x7f\x9f\x4d\x51\x58", 5);
	/* Split masking continues where it stopped. */
	off = ws_mask_copy(a, src, 7, mask, 0);
	ws_mask_copy(a + 7, src + 7, 50, mask, off);
	ws_mask_copy(b, src, 57, mask, 0);
	assert_memory_equal(a, b, 57);
}

/* Feed buf to a parser in pieces of step bytes; collect data and events. */
struct t_out {
	uint8_t		 data[200000];
	size_t		 len;
	int		 starts, ends, pings, pongs, closes, close_code;
	char		 close_reason[64];
	int		 err;
};

static void
t_feed(struct ws_rx *rx, const uint8_t *buf, size_t len, size_t step,
    struct t_out *o)
{
	struct ws_ev ev;
	size_t pos = 0, n, k;
	ssize_t r;

	memset(o, 0, sizeof(*o));
	while (pos < len) {
		n = len - pos < step ? len - pos : step;
		k = 0;
		for (;;) {
			r = ws_rx_parse(rx, buf + pos + k, n - k, &ev);
			if (r < 0) {
				o->err = (int)r;
				return;
			}
			k += (size_t)r;
			if (ev.type == WS_EV_NONE)
				break;
			switch (ev.type) {
			case WS_EV_DATA:
				memcpy(o->data + o->len, ev.data, ev.len);
				o->len += ev.len;
				o->starts += ev.msg_start;
				o->ends += ev.msg_end;
				break;
			case WS_EV_PING:
				o->pings++;
				break;
			case WS_EV_PONG:
				o->pongs++;
				break;
			case WS_EV_CLOSE:
				o->closes++;
				o->close_code = ev.close_code;
				snprintf(o->close_reason,
				    sizeof(o->close_reason), "%.*s",
				    (int)ev.len, ev.data);
				break;
			default:
				break;
			}
			if (k == n && ev.type != WS_EV_DATA)
				break;
		}
		pos += n;
	}
}

static size_t
t_frame(uint8_t *out, int b0, const void *payload, uint64_t len)
{
	size_t n = 0;
	int i;

	out[n++] = (uint8_t)b0;
	if (len < 126)
		out[n++] = (uint8_t)len;
	else if (len <= 0xffff) {
		out[n++] = 126;
		out[n++] = (uint8_t)(len >> 8);
		out[n++] = (uint8_t)len;
	} else {
		out[n++] = 127;
		for (i = 7; i >= 0; i--)
			out[n++] = (uint8_t)(len >> (8 * i));
	}
	if (payload != NULL)
		memcpy(out + n, payload, (size_t)len);
	return n + (size_t)len;
}

static struct t_out T;

static void
t_rx_lengths(void **state)
{
	static uint8_t buf[200000], pl[70000];
	struct ws_rx rx;
	size_t n, i, steps[] = { 1, 3, 7, 4096, 200000 }, s;
	uint64_t lens[] = { 0, 1, 125, 126, 65535, 65536, 69999 };

	(void)state;
	for (i = 0; i < sizeof(pl); i++)
		pl[i] = (uint8_t)(i * 13);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		for (s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
			ws_rx_init(&rx, 0);
			n = t_frame(buf, 0x82, pl, lens[i]);
			t_feed(&rx, buf, n, steps[s], &T);
			assert_int_equal(T.err, 0);
			assert_int_equal(T.len, lens[i]);
			assert_memory_equal(T.data, pl, lens[i]);
			assert_int_equal(T.starts, 1);
			assert_int_equal(T.ends, 1);
		}
}

static void
t_rx_fragments(void **state)
{
	uint8_t buf[512];
	struct ws_rx rx;
	size_t n = 0, s;

	(void)state;
	/* "\x01ab" + ping + "cd" + pong + "ef" (FIN): one message. */
	n += t_frame(buf + n, 0x02, "\x01" "ab", 3);
	n += t_frame(buf + n, 0x89, "hi", 2);
	n += t_frame(buf + n, 0x00, "cd", 2);
	n += t_frame(buf + n, 0x8a, NULL, 0);
	n += t_frame(buf + n, 0x80, "ef", 2);
	n += t_frame(buf + n, 0x82, "\x02" "x", 2);
	for (s = 1; s <= n; s++) {
		ws_rx_init(&rx, 0);
		t_feed(&rx, buf, n, s, &T);
		assert_int_equal(T.err, 0);
		assert_int_equal(T.len, 9);
		assert_memory_equal(T.data, "\x01" "abcdef" "\x02" "x", 9);
		assert_int_equal(T.starts, 2);
		assert_int_equal(T.ends, 2);
		assert_int_equal(T.pings, 1);
		assert_int_equal(T.pongs, 1);
	}
}

static int
t_rx_one(const uint8_t *buf, size_t n, uint64_t max)
{
	struct ws_rx rx;

	ws_rx_init(&rx, max);
	t_feed(&rx, buf, n, n, &T);
	return T.err;
}

static void
t_rx_errors(void **state)
{
	uint8_t buf[512], big[200];
	size_t n;

	(void)state;
	memset(big, 'x', sizeof(big));
	/* Text frames are refused. */
	n = t_frame(buf, 0x81, "hi", 2);
	assert_int_equal(t_rx_one(buf, n, 0), DG_ERR_PROTO);
	/* Reserved opcodes and RSV bits. */
	n = t_frame(buf, 0x83, "hi", 2);
	assert_int_equal(t_rx_one(buf, n, 0), DG_ERR_PROTO);
	n = t_frame(buf, 0x8b, NULL, 0);
	assert_int_equal(t_rx_one(buf, n, 0), DG_ERR_PROTO);
	n = t_frame(buf, 0xc2, "hi", 2);
	assert_int_equal(t_rx_one(buf, n, 0), DG_ERR_PROTO);
	/* A masked frame from the server. */
	n = t_frame(buf, 0x82, "hi", 2);
	buf[1] |= 0x80;
	assert_int_equal(t_rx_one(buf, n, 0), DG_ERR_PROTO);
	/* Control frames: too long, fragmented, one-byte close. */
	n = t_frame(buf, 0x89, big, 126);
	assert_int_equal(t_rx_one(buf, n, 0), DG_ERR_PROTO);
	n = t_frame(buf, 0x09, "a", 1);
	assert_int_equal(t_rx_one(buf, n, 0), DG_ERR_PROTO);
	n = t_frame(buf, 0x88, "\x03", 1);
	assert_int_equal(t_rx_one(buf, n, 0), DG_ERR_PROTO);
	/* Continuation without a message; new message inside one. */
	n = t_frame(buf, 0x80, "a", 1);
	assert_int_equal(t_rx_one(buf, n, 0), DG_ERR_PROTO);
	n = t_frame(buf, 0x02, "a", 1);
	n += t_frame(buf + n, 0x82, "b", 1);
	assert_int_equal(t_rx_one(buf, n, 0), DG_ERR_PROTO);
	/* 64-bit length with the top bit set. */
	n = t_frame(buf, 0x82, NULL, 0);
	buf[1] = 127;
	memset(buf + 2, 0xff, 8);
	assert_int_equal(t_rx_one(buf, 10, 0), DG_ERR_PROTO);
	/* Over the message limit, also across fragments. */
	n = t_frame(buf, 0x82, big, 101);
	assert_int_equal(t_rx_one(buf, n, 100), DG_ERR_TOOBIG);
	n = t_frame(buf, 0x02, big, 60);
	n += t_frame(buf + n, 0x80, big, 41);
	assert_int_equal(t_rx_one(buf, n, 100), DG_ERR_TOOBIG);
	n = t_frame(buf, 0x02, big, 60);
	n += t_frame(buf + n, 0x80, big, 40);
	assert_int_equal(t_rx_one(buf, n, 100), 0);
}

static void
t_rx_close(void **state)
{
	uint8_t buf[256], pl[WS_CTRL_MAX];
	size_t n;

	(void)state;
	n = ws_close_payload(pl, WS_CLOSE_NORMAL, "bye");
	assert_int_equal(n, 5);
	n = t_frame(buf, 0x88, pl, n);
	assert_int_equal(t_rx_one(buf, n, 0), 0);
	assert_int_equal(T.closes, 1);
	assert_int_equal(T.close_code, 1000);
	assert_string_equal(T.close_reason, "bye");
	n = t_frame(buf, 0x88, NULL, 0);
	assert_int_equal(t_rx_one(buf, n, 0), 0);
	assert_int_equal(T.close_code, WS_CLOSE_NO_STATUS);
	n = t_frame(buf, 0x88, "\x03\xf3", 2);
	assert_int_equal(t_rx_one(buf, n, 0), 0);
	assert_int_equal(T.close_code, 1011);
}

static void
t_control_frame(void **state)
{
	const uint8_t mask[4] = { 9, 8, 7, 6 };
	uint8_t out[WS_HDR_MAX + WS_CTRL_MAX], un[8];

	(void)state;
	assert_int_equal(ws_control_frame(out, WS_OP_PONG, "ping", 4, mask),
	    10);
	assert_int_equal(out[0], 0x8a);
	assert_int_equal(out[1], 0x84);
	ws_mask_copy(un, out + 6, 4, mask, 0);
	assert_memory_equal(un, "ping", 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_accept_vector),
		cmocka_unit_test(t_key_new),
		cmocka_unit_test(t_request),
		cmocka_unit_test(t_response),
		cmocka_unit_test(t_frame_header),
		cmocka_unit_test(t_mask),
		cmocka_unit_test(t_rx_lengths),
		cmocka_unit_test(t_rx_fragments),
		cmocka_unit_test(t_rx_errors),
		cmocka_unit_test(t_rx_close),
		cmocka_unit_test(t_control_frame),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
