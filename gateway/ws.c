/* ws.c: RFC 6455 WebSocket client framing over buffers (pure, no I/O). */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/xmalloc.h"
#include "gateway/ws.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

int
ws_key_new(char key[WS_KEY_LEN + 1])
{
	unsigned char raw[16];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return DG_ERR_CRYPTO;
	EVP_EncodeBlock((unsigned char *)key, raw, sizeof(raw));
	key[WS_KEY_LEN] = '\0';
	return 0;
}

void
ws_accept_for(const char *key, char out[WS_ACCEPT_LEN + 1])
{
	unsigned char md[SHA_DIGEST_LENGTH];
	EVP_MD_CTX *ctx;
	unsigned int mdlen = 0;

	memset(md, 0, sizeof(md));
	if ((ctx = EVP_MD_CTX_new()) != NULL) {
		if (EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
		    EVP_DigestUpdate(ctx, key, strlen(key)) == 1 &&
		    EVP_DigestUpdate(ctx, WS_GUID, strlen(WS_GUID)) == 1)
			EVP_DigestFinal_ex(ctx, md, &mdlen);
		EVP_MD_CTX_free(ctx);
	}
	EVP_EncodeBlock((unsigned char *)out, md, sizeof(md));
	out[WS_ACCEPT_LEN] = '\0';
}

static int
ws_has_crlf(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") != NULL;
}

int
ws_request_build(const struct ws_req *q, char **out, size_t *lenp)
{
	char *s;
	int n;

	if (q->host == NULL || q->path == NULL || q->key == NULL ||
	    q->path[0] != '/' || ws_has_crlf(q->host) || ws_has_crlf(q->path) ||
	    ws_has_crlf(q->key) || ws_has_crlf(q->protocols) ||
	    ws_has_crlf(q->auth) || ws_has_crlf(q->user_agent) ||
	    strchr(q->path, ' ') != NULL)
		return DG_ERR_INVAL;
	n = asprintf(&s,
	    "GET %s HTTP/1.1\r\n"
	    "Host: %s\r\n"
	    "%s%s%s"
	    "%s%s%s"
	    "Connection: Upgrade\r\n"
	    "Upgrade: websocket\r\n"
	    "Sec-WebSocket-Version: 13\r\n"
	    "Sec-WebSocket-Key: %s\r\n"
	    "%s%s%s"
	    "\r\n",
	    q->path, q->host,
	    q->user_agent ? "User-Agent: " : "",
	    q->user_agent ? q->user_agent : "", q->user_agent ? "\r\n" : "",
	    q->auth ? "Authorization: " : "", q->auth ? q->auth : "",
	    q->auth ? "\r\n" : "",
	    q->key,
	    q->protocols ? "Sec-WebSocket-Protocol: " : "",
	    q->protocols ? q->protocols : "", q->protocols ? "\r\n" : "");
	if (n < 0)
		return DG_ERR_NOMEM;
	*out = s;
	*lenp = (size_t)n;
	return 0;
}

/* Iterate over header lines of a response head. */
struct ws_hdr_it {
	const char	*p, *end;
};

static int
ws_hdr_next(struct ws_hdr_it *it, const char **name, size_t *nlen,
    const char **val, size_t *vlen)
{
	const char *eol, *colon, *v, *ve;

	for (;;) {
		if (it->p >= it->end)
			return 0;
		eol = memchr(it->p, '\n', (size_t)(it->end - it->p));
		if (eol == NULL)
			eol = it->end;
		ve = eol;
		if (ve > it->p && ve[-1] == '\r')
			ve--;
		colon = memchr(it->p, ':', (size_t)(ve - it->p));
		if (colon == NULL || colon == it->p) {
			it->p = eol + 1;
			continue;
		}
		*name = it->p;
		*nlen = (size_t)(colon - it->p);
		v = colon + 1;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		*val = v;
		*vlen = (size_t)(ve - v);
		it->p = eol + 1;
		return 1;
	}
}

static int
ws_name_is(const char *name, size_t nlen, const char *want)
{
	return strlen(want) == nlen && strncasecmp(name, want, nlen) == 0;
}

/* Does the comma-separated list contain token (case-insensitive)? */
static int
ws_list_has(const char *list, size_t len, const char *token)
{
	size_t tl = strlen(token), i = 0, s, e;

	while (i < len) {
		while (i < len && (list[i] == ' ' || list[i] == '\t' ||
		    list[i] == ','))
			i++;
		s = i;
		while (i < len && list[i] != ',')
			i++;
		e = i;
		while (e > s && (list[e - 1] == ' ' || list[e - 1] == '\t'))
			e--;
		if (e - s == tl && strncasecmp(list + s, token, tl) == 0)
			return 1;
	}
	return 0;
}

static void
ws_copy_field(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

int
ws_response_parse(const char *buf, size_t len, size_t max,
    struct ws_resp *resp)
{
	struct ws_hdr_it it;
	const char *end = NULL, *p, *sp, *eol, *name, *val;
	size_t i, scan = len < max ? len : max, nlen, vlen;
	struct ws_resp r;
	long long cl;
	int code;

	for (i = 3; i < scan; i++)
		if (buf[i] == '\n' && buf[i - 1] == '\r' &&
		    buf[i - 2] == '\n' && buf[i - 3] == '\r') {
			end = buf + i + 1;
			break;
		}
	if (end == NULL)
		return len >= max ? DG_ERR_TOOBIG : DG_ERR_AGAIN;
	memset(&r, 0, sizeof(r));
	r.header_len = (size_t)(end - buf);
	r.content_length = -1;
	eol = memchr(buf, '\r', r.header_len);
	if (r.header_len < 12 || strncmp(buf, "HTTP/1.", 7) != 0 ||
	    (buf[7] != '0' && buf[7] != '1') || buf[8] != ' ')
		return DG_ERR_PROTO;
	code = 0;
	for (p = buf + 9; p < buf + 12; p++) {
		if (*p < '0' || *p > '9')
			return DG_ERR_PROTO;
		code = code * 10 + (*p - '0');
	}
	if (code < 100 || (p < eol && *p != ' '))
		return DG_ERR_PROTO;
	r.status = code;
	sp = p < eol ? p + 1 : eol;
	ws_copy_field(r.reason, sizeof(r.reason), sp, (size_t)(eol - sp));
	it.p = eol + 2;
	it.end = end - 2;
	while (ws_hdr_next(&it, &name, &nlen, &val, &vlen)) {
		if (ws_name_is(name, nlen, "Sec-WebSocket-Protocol"))
			ws_copy_field(r.protocol, sizeof(r.protocol), val,
			    vlen);
		else if (ws_name_is(name, nlen, "Transfer-Encoding"))
			r.chunked = ws_list_has(val, vlen, "chunked");
		else if (ws_name_is(name, nlen, "Content-Length")) {
			cl = 0;
			if (vlen == 0 || vlen > 15)
				return DG_ERR_PROTO;
			for (i = 0; i < vlen; i++) {
				if (val[i] < '0' || val[i] > '9')
					return DG_ERR_PROTO;
				cl = cl * 10 + (val[i] - '0');
			}
			r.content_length = cl;
		}
	}
	*resp = r;
	return 0;
}

int
ws_response_check(const char *buf, const struct ws_resp *r, const char *key,
    const char *offered, const char **why)
{
	char accept[WS_ACCEPT_LEN + 1];
	struct ws_hdr_it it;
	const char *name, *val;
	size_t nlen, vlen;
	int up = 0, conn = 0, acc = 0;

	if (r->status != 101) {
		*why = "not 101 Switching Protocols";
		return DG_ERR_PROTO;
	}
	ws_accept_for(key, accept);
	it.p = memchr(buf, '\n', r->header_len);
	it.p = it.p != NULL ? it.p + 1 : buf + r->header_len;
	it.end = buf + r->header_len - 2;
	while (ws_hdr_next(&it, &name, &nlen, &val, &vlen)) {
		if (ws_name_is(name, nlen, "Upgrade"))
			up = vlen == 9 && strncasecmp(val, "websocket", 9) == 0;
		else if (ws_name_is(name, nlen, "Connection"))
			conn = ws_list_has(val, vlen, "upgrade");
		else if (ws_name_is(name, nlen, "Sec-WebSocket-Accept"))
			acc = vlen == WS_ACCEPT_LEN &&
			    memcmp(val, accept, WS_ACCEPT_LEN) == 0;
		else if (ws_name_is(name, nlen, "Sec-WebSocket-Extensions") &&
		    vlen > 0) {
			*why = "server selected an extension we did not offer";
			return DG_ERR_PROTO;
		}
	}
	if (!up) {
		*why = "missing Upgrade: websocket";
		return DG_ERR_PROTO;
	}
	if (!conn) {
		*why = "missing Connection: Upgrade";
		return DG_ERR_PROTO;
	}
	if (!acc) {
		*why = "wrong Sec-WebSocket-Accept";
		return DG_ERR_PROTO;
	}
	if (offered != NULL && (r->protocol[0] == '\0' ||
	    strchr(r->protocol, ',') != NULL ||
	    !ws_list_has(offered, strlen(offered), r->protocol))) {
		*why = "server chose a subprotocol we did not offer";
		return DG_ERR_PROTO;
	}
	return 0;
}

size_t
ws_frame_header(uint8_t out[WS_HDR_MAX], int opcode, int fin, uint64_t len,
    const uint8_t mask[4])
{
	size_t n = 2;
	int i;

	out[0] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0f));
	if (len < 126)
		out[1] = 0x80 | (uint8_t)len;
	else if (len <= 0xffff) {
		out[1] = 0x80 | 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		n = 4;
	} else {
		out[1] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
		n = 10;
	}
	memcpy(out + n, mask, 4);
	return n + 4;
}

size_t
ws_mask_copy(uint8_t *dst, const uint8_t *src, size_t len,
    const uint8_t mask[4], size_t off)
{
	uint8_t m8[8];
	uint64_t m, w;
	size_t i = 0;
	int k;

	off &= 3;
	/* Rotate so that m8[0] applies to the next byte. */
	for (k = 0; k < 8; k++)
		m8[k] = mask[(off + (size_t)k) & 3];
	memcpy(&m, m8, sizeof(m));
	for (; i + 32 <= len; i += 32) {
		uint64_t w0, w1, w2, w3;

		memcpy(&w0, src + i, 8);
		memcpy(&w1, src + i + 8, 8);
		memcpy(&w2, src + i + 16, 8);
		memcpy(&w3, src + i + 24, 8);
		w0 ^= m;
		w1 ^= m;
		w2 ^= m;
		w3 ^= m;
		memcpy(dst + i, &w0, 8);
		memcpy(dst + i + 8, &w1, 8);
		memcpy(dst + i + 16, &w2, 8);
		memcpy(dst + i + 24, &w3, 8);
	}
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, src + i, sizeof(w));
		w ^= m;
		memcpy(dst + i, &w, sizeof(w));
	}
	for (; i < len; i++)
		dst[i] = src[i] ^ m8[i & 7];
	return (off + len) & 3;
}

size_t
ws_control_frame(uint8_t out[WS_HDR_MAX + WS_CTRL_MAX], int opcode,
    const void *payload, size_t len, const uint8_t mask[4])
{
	size_t h;

	if (len > WS_CTRL_MAX)
		len = WS_CTRL_MAX;
	h = ws_frame_header(out, opcode, 1, len, mask);
	if (len > 0)
		ws_mask_copy(out + h, payload, len, mask, 0);
	return h + len;
}

size_t
ws_close_payload(uint8_t out[WS_CTRL_MAX], int code, const char *reason)
{
	size_t n = reason != NULL ? strlen(reason) : 0;

	out[0] = (uint8_t)(code >> 8);
	out[1] = (uint8_t)code;
	if (n > WS_CTRL_MAX - 2)
		n = WS_CTRL_MAX - 2;
	if (n > 0)
		memcpy(out + 2, reason, n);
	return n + 2;
}

void
ws_rx_init(struct ws_rx *rx, uint64_t max_msg)
{
	memset(rx, 0, sizeof(*rx));
	rx->max_msg = max_msg;
}

static ssize_t
ws_rx_fail(struct ws_rx *rx, int err, int code, const char *why)
{
	rx->error = why;
	rx->error_code = code;
	return err;
}

/* The header in rx->hdr is complete: validate and set up the frame. */
static ssize_t
ws_rx_frame_begin(struct ws_rx *rx)
{
	uint8_t b0 = rx->hdr[0], b1 = rx->hdr[1];
	uint64_t len = b1 & 0x7f;
	int op = b0 & 0x0f, i;

	if (b0 & 0x70)
		return ws_rx_fail(rx, DG_ERR_PROTO, WS_CLOSE_PROTOCOL,
		    "reserved bits set");
	if (len == 126)
		len = (uint64_t)rx->hdr[2] << 8 | rx->hdr[3];
	else if (len == 127) {
		len = 0;
		for (i = 0; i < 8; i++)
			len = len << 8 | rx->hdr[2 + i];
		if (len >> 63)
			return ws_rx_fail(rx, DG_ERR_PROTO, WS_CLOSE_PROTOCOL,
			    "64-bit length with the top bit set");
	}
	rx->opcode = (uint8_t)op;
	rx->fin = (b0 & 0x80) != 0;
	rx->left = len;
	rx->clen = 0;
	switch (op) {
	case WS_OP_CLOSE:
	case WS_OP_PING:
	case WS_OP_PONG:
		if (!rx->fin)
			return ws_rx_fail(rx, DG_ERR_PROTO, WS_CLOSE_PROTOCOL,
			    "fragmented control frame");
		if (len > WS_CTRL_MAX)
			return ws_rx_fail(rx, DG_ERR_PROTO, WS_CLOSE_PROTOCOL,
			    "control frame too long");
		if (op == WS_OP_CLOSE && len == 1)
			return ws_rx_fail(rx, DG_ERR_PROTO, WS_CLOSE_PROTOCOL,
			    "one-byte close payload");
		return 0;
	case WS_OP_TEXT:
		return ws_rx_fail(rx, DG_ERR_PROTO, WS_CLOSE_UNSUPPORTED,
		    "text frame (only binary messages are allowed)");
	case WS_OP_BINARY:
		if (rx->in_msg)
			return ws_rx_fail(rx, DG_ERR_PROTO, WS_CLOSE_PROTOCOL,
			    "new message inside a fragmented one");
		rx->in_msg = 1;
		rx->at_msg_start = 1;
		rx->msg_len = 0;
		break;
	case WS_OP_CONT:
		if (!rx->in_msg)
			return ws_rx_fail(rx, DG_ERR_PROTO, WS_CLOSE_PROTOCOL,
			    "continuation without a message");
		break;
	default:
		return ws_rx_fail(rx, DG_ERR_PROTO, WS_CLOSE_PROTOCOL,
		    "reserved opcode");
	}
	if (rx->max_msg != 0 && len > rx->max_msg - rx->msg_len)
		return ws_rx_fail(rx, DG_ERR_TOOBIG, WS_CLOSE_TOO_BIG,
		    "message larger than the limit");
	rx->msg_len += len;
	return 0;
}

static size_t
ws_rx_hdr_need(const struct ws_rx *rx)
{
	size_t n = 2;

	if (rx->hlen < 2)
		return 2;
	if ((rx->hdr[1] & 0x7f) == 126)
		n += 2;
	else if ((rx->hdr[1] & 0x7f) == 127)
		n += 8;
	return n;
}

static void
ws_rx_control_done(struct ws_rx *rx, struct ws_ev *ev)
{
	ev->data = rx->ctrl;
	ev->len = rx->clen;
	switch (rx->opcode) {
	case WS_OP_PING:
		ev->type = WS_EV_PING;
		break;
	case WS_OP_PONG:
		ev->type = WS_EV_PONG;
		break;
	default:
		ev->type = WS_EV_CLOSE;
		ev->close_code = WS_CLOSE_NO_STATUS;
		if (rx->clen >= 2) {
			ev->close_code = rx->ctrl[0] << 8 | rx->ctrl[1];
			ev->data = rx->ctrl + 2;
			ev->len = rx->clen - 2;
		}
		rx->closed = 1;
		break;
	}
	rx->hlen = 0;
}

ssize_t
ws_rx_parse(struct ws_rx *rx, const uint8_t *buf, size_t len,
    struct ws_ev *ev)
{
	size_t pos = 0, n;
	ssize_t r;

	memset(ev, 0, sizeof(*ev));
	for (;;) {
		if (rx->hlen < WS_HDR_MAX && (rx->hlen < 2 ||
		    rx->hlen < ws_rx_hdr_need(rx))) {
			/* Collect the header. */
			while (pos < len && rx->hlen < ws_rx_hdr_need(rx))
				rx->hdr[rx->hlen++] = buf[pos++];
			if (rx->hlen < ws_rx_hdr_need(rx))
				return (ssize_t)pos;
			if (rx->hdr[1] & 0x80)
				return ws_rx_fail(rx, DG_ERR_PROTO,
				    WS_CLOSE_PROTOCOL,
				    "masked frame from the server");
			if ((r = ws_rx_frame_begin(rx)) < 0)
				return r;
			/* Mark the header as complete. */
			rx->hlen = WS_HDR_MAX;
		}
		if (rx->opcode >= WS_OP_CLOSE) {
			n = rx->left < len - pos ? (size_t)rx->left :
			    len - pos;
			memcpy(rx->ctrl + rx->clen, buf + pos, n);
			rx->clen += (uint8_t)n;
			rx->left -= n;
			pos += n;
			if (rx->left > 0)
				return (ssize_t)pos;
			ws_rx_control_done(rx, ev);
			return (ssize_t)pos;
		}
		/* Data frame payload: hand out what we have. */
		n = rx->left < len - pos ? (size_t)rx->left : len - pos;
		if (n == 0 && rx->left > 0)
			return (ssize_t)pos;
		ev->type = WS_EV_DATA;
		ev->data = buf + pos;
		ev->len = n;
		ev->msg_start = rx->at_msg_start;
		rx->at_msg_start = 0;
		rx->left -= n;
		pos += n;
		if (rx->left == 0) {
			rx->hlen = 0;
			if (rx->fin) {
				ev->msg_end = 1;
				rx->in_msg = 0;
			}
		}
		/* Skip empty slices that neither start nor end a message. */
		if (n == 0 && !ev->msg_start && !ev->msg_end) {
			memset(ev, 0, sizeof(*ev));
			if (pos == len)
				return (ssize_t)pos;
			continue;
		}
		return (ssize_t)pos;
	}
}
