/* k8s-channel.c: the Kubernetes channel protocol inside WebSocket
 * messages: exec (stdout, stderr, status) and port-forward (port prefix,
 * data, error text), and the request paths. */
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

/* Append to the status / error text; 0 or DG_ERR_TOOBIG. */
static int
kch_acc(struct k8s_stream *s, const uint8_t *p, size_t n)
{
	if (n == 0)
		return 0;
	if (n > KS_BODY_MAX - s->acclen)
		return DG_ERR_TOOBIG;
	if (s->acc == NULL)
		s->acc = xmalloc(KS_BODY_MAX + 1);
	memcpy(s->acc + s->acclen, p, n);
	s->acclen += n;
	s->acc[s->acclen] = '\0';
	return 0;
}

static void
kch_exec_status(struct k8s_stream *s)
{
	char msg[512];
	int code, r;

	r = k8s_exec_status((char *)s->acc, s->acclen, &code, msg,
	    sizeof(msg));
	if (r != 0) {
		k8s_stream_fail(s, DG_ERR_PROTO,
		    "unreadable exec status from the API server");
		return;
	}
	k8s_stream_exit(s, code, code < 0 ? msg : NULL);
}

/* Bytes of the current message. Returns 0 to go on, -1 to stop. */
int
k8s_channel_payload(struct k8s_stream *s, const uint8_t *p, size_t n,
    int msg_end)
{
	size_t k;
	int ch;

	if (s->channel < 0 && n > 0) {
		s->channel = p[0];
		p++;
		n--;
	}
	ch = s->channel;
	if (msg_end)
		s->channel = -1;
	if (ch < 0)
		return 0;
	if (s->kind == KS_PF) {
		/* The first two bytes of each channel: our port, LE. */
		for (k = 0; ch <= 1 && s->pf_prefix[ch] > 0 && k < n; k++) {
			if (p[k] != (uint8_t)(s->port >> (8 *
			    (2 - s->pf_prefix[ch])))) {
				k8s_stream_fail(s, DG_ERR_PROTO,
				    "port-forward: the answer is for another "
				    "port");
				return -1;
			}
			s->pf_prefix[ch]--;
		}
		p += k;
		n -= k;
		if (ch == 0 && n > 0)
			s->cbs.data(s->arg, 1, p, n);
		else if (ch == 1) {
			if (kch_acc(s, p, n) != 0) {
				k8s_stream_fail(s, DG_ERR_TOOBIG,
				    "port-forward error message too long");
				return -1;
			}
			if (msg_end && s->acclen > 0) {
				k8s_stream_fail(s, DG_ERR_UNAVAIL,
				    (char *)s->acc);
				return -1;
			}
		}
	} else {
		if ((ch == 1 || ch == 2) && n > 0)
			s->cbs.data(s->arg, ch, p, n);
		else if (ch == 3) {
			if (kch_acc(s, p, n) != 0) {
				k8s_stream_fail(s, DG_ERR_TOOBIG,
				    "exec status too long");
				return -1;
			}
			if (msg_end && s->acclen > 0) {
				kch_exec_status(s);
				return -1;
			}
		}
	}
	return s->dead || s->state == KS_DONE ? -1 : 0;
}

void
k8s_channel_close(struct k8s_stream *s, const struct ws_ev *ev)
{
	char why[200];

	if (s->kind == KS_PF) {
		k8s_stream_exit(s, 0, NULL);
		return;
	}
	snprintf(why, sizeof(why), "API server closed the stream (code %d"
	    "%s%.*s) without an exit status", ev->close_code,
	    ev->len > 0 ? ": " : "", (int)ev->len, (const char *)ev->data);
	k8s_stream_goodbye(s);	/* answer the Close */
	k8s_stream_fail(s, DG_ERR_CLOSED, why);
}

static char *
kch_pod_path(const char *ns, const char *pod, const char *sub)
{
	char *ens = k8s_url_escape(ns), *epod = k8s_url_escape(pod), *p;

	p = xasprintf("/api/v1/namespaces/%s/pods/%s/%s", ens, epod, sub);
	free(ens);
	free(epod);
	return p;
}

char *
k8s_channel_exec_path(const char *ns, const char *pod,
    const struct bexec_spec *spec)
{
	char *base, *q, *e, *n, *path;
	size_t i;

	base = kch_pod_path(ns, pod, "exec");
	q = xstrdup("");
	for (i = 0; spec->argv[i] != NULL; i++) {
		e = k8s_url_escape(spec->argv[i]);
		n = xasprintf("%s%scommand=%s", q, i ? "&" : "", e);
		free(e);
		free(q);
		q = n;
	}
	if (spec->container != NULL && spec->container[0] != '\0') {
		e = k8s_url_escape(spec->container);
		n = xasprintf("%s&container=%s", q, e);
		free(e);
		free(q);
		q = n;
	}
	/* With a terminal the kubelet merges stderr into stdout. */
	path = xasprintf("%s?%s&stdin=true&stdout=true&stderr=%s&tty=%s",
	    base, q, spec->tty ? "false" : "true",
	    spec->tty ? "true" : "false");
	free(base);
	free(q);
	return path;
}

char *
k8s_channel_pf_path(const char *ns, const char *pod, uint16_t port)
{
	char *base = kch_pod_path(ns, pod, "portforward"), *path;

	path = xasprintf("%s?ports=%u", base, port);
	free(base);
	return path;
}
