/* k8s-upgrade.c: the HTTP/1.1 upgrade of a stream to WebSocket: request
 * with credentials, 101 validation, Status of a refusal, one retry after
 * a 401 with a re-read token. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bufq.h"
#include "common/err.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "gateway/k8s-api.h"
#include "gateway/k8s-config.h"
#include "gateway/k8s-conn.h"
#include "gateway/k8s-json.h"
#include "gateway/k8s-stream-int.h"
#include "gateway/k8s-stream.h"
#include "gateway/k8s-target.h"
#include "gateway/ws.h"

static void
kup_send_request(struct k8s_stream *s)
{
	ssize_t w;

	while (s->reqoff < s->reqlen) {
		w = k8s_conn_write(s->conn, s->req + s->reqoff,
		    s->reqlen - s->reqoff);
		if (w == DG_ERR_AGAIN)
			break;
		if (w < 0) {
			k8s_stream_fail(s, DG_ERR_UNAVAIL,
			    k8s_conn_error(s->conn));
			return;
		}
		s->reqoff += (size_t)w;
	}
	if (s->reqoff == s->reqlen) {
		freezero(s->req, s->reqlen);
		s->req = NULL;
		k8s_conn_want(s->conn, 1, 0);
	} else
		k8s_conn_want(s->conn, 1, 1);
}

void
k8s_upgrade_start(struct k8s_stream *s)
{
	struct ws_req q;
	int r;

	memset(&q, 0, sizeof(q));
	if ((r = ws_key_new(s->key)) != 0) {
		k8s_stream_fail(s, r, "no randomness for the WebSocket key");
		return;
	}
	q.host = s->target->host_header;
	q.path = s->path;
	q.key = s->key;
	q.protocols = s->protocols;
	/* client-go sends credentials only over TLS. */
	q.auth = s->target->cfg->tls ? k8s_target_auth(s->target) : NULL;
	q.user_agent = "devgate/" PACKAGE_VERSION;
	if ((r = ws_request_build(&q, &s->req, &s->reqlen)) != 0) {
		k8s_stream_fail(s, r, "cannot build the upgrade request");
		return;
	}
	s->reqoff = 0;
	s->state = KS_UPGRADE;
	kup_send_request(s);
}

/* Undo Transfer-Encoding: chunked in place; returns the body length. */
static size_t
kup_dechunk(char *b, size_t len)
{
	size_t in = 0, out = 0, n;
	char *end;

	while (in < len) {
		n = strtoul(b + in, &end, 16);
		if (end == b + in || (end = memchr(end, '\n',
		    len - (size_t)(end - b))) == NULL)
			break;
		in = (size_t)(end - b) + 1;
		if (n == 0 || n > len - in)
			break;
		memmove(b + out, b + in, n);
		out += n;
		in += n + 2;
	}
	return out;
}

static void
kup_refused(struct k8s_stream *s)
{
	char msg[400], why[480];
	char *body = s->head + s->resp.header_len;
	size_t blen = s->headlen - s->resp.header_len;
	int err;

	if (s->resp.chunked)
		blen = kup_dechunk(body, blen);
	err = k8s_status_error(s->resp.status, body, blen, msg, sizeof(msg),
	    NULL);
	if (err == 0 || s->resp.status == 101)
		err = DG_ERR_PROTO;
	if (err == DG_ERR_AUTH && !s->retried && k8s_target_reauth(s->target)) {
		/* The token was rotated: try once more with the new one. */
		s->retried = 1;
		k8s_conn_free(s->conn);
		s->conn = NULL;
		free(s->head);
		s->head = NULL;
		s->headlen = 0;
		s->state = KS_CONNECTING;
		if ((err = k8s_stream_connect(s)) == 0)
			return;
		k8s_stream_fail(s, err, "cannot reconnect to the API server");
		return;
	}
	snprintf(why, sizeof(why), "upgrade refused: %s", msg);
	k8s_stream_fail(s, err, why);
}

static void
kup_opened(struct k8s_stream *s)
{
	const char *why;
	size_t extra;
	int r;

	if ((r = ws_response_check(s->head, &s->resp, s->key, s->protocols,
	    &why)) != 0) {
		k8s_stream_fail(s, r, why);
		return;
	}
	snprintf(s->proto, sizeof(s->proto), "%s", s->resp.protocol);
	s->v5 = strcmp(s->proto, "v5.channel.k8s.io") == 0;
	extra = s->headlen - s->resp.header_len;
	if (extra > 0)
		k8s_stream_stash(s, (uint8_t *)s->head + s->resp.header_len,
		    extra);
	free(s->head);
	s->head = NULL;
	k8s_stream_opened(s);
}

static void
kup_read_head(struct k8s_stream *s)
{
	size_t room, max;
	ssize_t n;
	int r;

	if (s->head == NULL) {
		s->headcap = 1024;	/* a 101 is ~200 bytes */
		s->head = xmalloc(s->headcap);
		s->headlen = 0;
	}
	for (;;) {
		max = s->state == KS_UPGRADE ? KS_HEAD_MAX :
		    KS_HEAD_MAX + KS_BODY_MAX;
		if (s->headlen + 1 == s->headcap && s->headcap < max + 1) {
			s->headcap = s->headcap * 2 > max + 1 ? max + 1 :
			    s->headcap * 2;
			s->head = xreallocarray(s->head, s->headcap, 1);
		}
		room = s->headcap - s->headlen - 1;
		if (room == 0)
			break;
		n = k8s_conn_read(s->conn, s->head + s->headlen, room);
		if (n == DG_ERR_AGAIN)
			return;
		if (n <= 0) {
			if (s->state == KS_ERRBODY) {
				kup_refused(s);
				return;
			}
			k8s_stream_fail(s, n == 0 ? DG_ERR_CLOSED : (int)n,
			    n == 0 ? "API server closed the connection during "
			    "the upgrade" : k8s_conn_error(s->conn));
			return;
		}
		s->headlen += (size_t)n;
		s->head[s->headlen] = '\0';
		if (s->state == KS_UPGRADE) {
			r = ws_response_parse(s->head, s->headlen, KS_HEAD_MAX,
			    &s->resp);
			if (r == DG_ERR_AGAIN)
				continue;
			if (r != 0) {
				k8s_stream_fail(s, DG_ERR_PROTO,
				    "malformed HTTP response to the upgrade");
				return;
			}
			if (s->resp.status == 101) {
				kup_opened(s);
				return;
			}
			s->state = KS_ERRBODY;
		}
		if (s->resp.content_length >= 0 &&
		    s->headlen - s->resp.header_len >=
		    (size_t)s->resp.content_length)
			break;
		if (s->resp.chunked && s->headlen >= 5 &&
		    memcmp(s->head + s->headlen - 5, "0\r\n\r\n", 5) == 0)
			break;
	}
	if (s->state == KS_ERRBODY || s->headlen >= KS_HEAD_MAX)
		kup_refused(s);
	else
		k8s_stream_fail(s, DG_ERR_PROTO, "HTTP response head too long");
}

void
k8s_upgrade_event(struct k8s_stream *s, int events)
{
	if (s->state == KS_UPGRADE && (events & K8S_CONN_WRITABLE) &&
	    s->req != NULL) {
		kup_send_request(s);
		if (s->dead || s->state != KS_UPGRADE)
			return;
	}
	if (events & K8S_CONN_READABLE)
		kup_read_head(s);
}
