/* http.c: non-blocking HTTP(S) requests with libcurl's multi interface,
 * driven by the event loop; host names optionally resolved by a hook
 * (c-ares in the gateway) instead of libcurl. */
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "http.h"
#include "log.h"
#include "loop.h"
#include "xmalloc.h"

#define HTTP_DEFAULT_LIMIT	(8u << 20)
#define HTTP_DEFAULT_TIMEOUT	30000L

struct http {
	struct loop		*loop;	/* not owned */
	CURLM			*multi;
	struct loop_timer	*timer;
	size_t			 pending;
	struct http_req		*reqs;	/* started requests */
	struct http_resolver	 resolver;	/* start NULL: none */
};

struct http_sock {
	struct loop_fd	*reg;
};

struct http_req {
	struct http		*http;	/* parent, not owned */
	CURL			*easy;
	struct curl_slist	*headers;
	char			*body;	/* request body */
	char			*resp;	/* response body */
	size_t			 resplen, respcap, limit;
	int			 toobig;
	char			 content_type[128];
	long			 retry_after;
	char			 errbuf[CURL_ERROR_SIZE];
	http_done_cb		*done;
	http_chunk_cb		*chunk;
	void			*arg;
	int			 started;
	char			*host;		/* of the URL, to resolve */
	long			 port;
	struct curl_slist	*resolve;	/* CURLOPT_RESOLVE */
	void			*rop;		/* lookup in flight */
	int			 resolving;
	int			 in_done;	/* inside its done callback */
	struct http_req		*next, **prevp;	/* in http->reqs */
};

static void http_check_done(void *);

static void
http_fd_ready(int fd, int events, void *arg)
{
	struct http *h = arg;
	int flags = 0, running;

	if (events & LOOP_READ)
		flags |= CURL_CSELECT_IN;
	if (events & LOOP_WRITE)
		flags |= CURL_CSELECT_OUT;
	if (events & LOOP_ERROR)
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(h->multi, fd, flags, &running);
	http_check_done(h);
}

static int
http_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
    void *sockp)
{
	struct http *h = userp;
	struct http_sock *s = sockp;
	int events;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			loop_fd_del(s->reg);
			free(s);
			curl_multi_assign(h->multi, fd, NULL);
		}
		return 0;
	}
	events = 0;
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= LOOP_READ;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= LOOP_WRITE;
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->reg = loop_fd_add(h->loop, fd, events, http_fd_ready, h);
		if (s->reg == NULL) {
			free(s);
			return -1;
		}
		curl_multi_assign(h->multi, fd, s);
	} else
		loop_fd_set(s->reg, events);
	return 0;
}

static void
http_timer_fired(void *arg)
{
	struct http *h = arg;
	int running;

	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	http_check_done(h);
}

static int
http_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct http *h = userp;

	(void)multi;
	if (timeout_ms < 0)
		loop_timer_stop(h->timer);
	else
		loop_timer_start(h->timer, (uint64_t)timeout_ms);
	return 0;
}

struct http *
http_new(struct loop *loop)
{
	struct http *h = xcalloc(1, sizeof(*h));

	h->loop = loop;
	if ((h->multi = curl_multi_init()) == NULL) {
		free(h);
		return NULL;
	}
	h->timer = loop_timer_new(loop, http_timer_fired, h);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, http_socket_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, http_timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	/* Keep a few connections per host for REST calls. */
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 8L);
	return h;
}

static void
http_req_destroy(struct http_req *r)
{
	if (r == NULL)
		return;
	if (r->resolving) {
		r->http->resolver.cancel(r->http->resolver.ctx, r->rop);
		r->resolving = 0;
		r->http->pending--;
	}
	if (r->started) {
		curl_multi_remove_handle(r->http->multi, r->easy);
		r->http->pending--;
		r->started = 0;
	}
	if (r->prevp != NULL) {
		if (r->next != NULL)
			r->next->prevp = r->prevp;
		*r->prevp = r->next;
	}
	curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	curl_slist_free_all(r->resolve);
	free(r->host);
	free(r->body);
	free(r->resp);
	free(r);
}

void
http_set_resolver(struct http *h, const struct http_resolver *res)
{
	if (res != NULL)
		h->resolver = *res;
	else
		memset(&h->resolver, 0, sizeof(h->resolver));
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	while (h->reqs != NULL)
		http_req_destroy(h->reqs);
	curl_multi_cleanup(h->multi);
	loop_timer_free(h->timer);
	free(h);
}

static size_t
http_write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct http_req *r = userp;
	size_t len = size * nmemb, cap;

	if (r->chunk != NULL)
		return r->chunk(r->arg, data, len) == 0 ? len : 0;
	if (len > r->limit - r->resplen) {
		r->toobig = 1;
		return 0;
	}
	if (r->resplen + len + 1 > r->respcap) {
		cap = r->respcap ? r->respcap : 4096;
		while (cap < r->resplen + len + 1)
			cap *= 2;
		r->resp = xreallocarray(r->resp, cap, 1);
		r->respcap = cap;
	}
	memcpy(r->resp + r->resplen, data, len);
	r->resplen += len;
	r->resp[r->resplen] = '\0';
	return len;
}

static size_t
http_header_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct http_req *r = userp;
	size_t len = size * nmemb;
	const char *name = "Retry-After:";
	char buf[32];
	size_t n = strlen(name), k;

	if (len > n && strncasecmp(data, name, n) == 0) {
		k = len - n < sizeof(buf) - 1 ? len - n : sizeof(buf) - 1;
		memcpy(buf, data + n, k);
		buf[k] = '\0';
		r->retry_after = strtol(buf, NULL, 10);
	}
	return len;
}

/* The URL's host when it is a name (for the resolver), and its port. */
static void
http_url_host(struct http_req *r, const char *url)
{
	unsigned char a[sizeof(struct in6_addr)];
	char *host = NULL, *port = NULL;
	CURLU *u;

	if ((u = curl_url()) == NULL)
		return;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
	    CURLUE_OK && host[0] != '[' && inet_pton(AF_INET, host, a) != 1) {
		r->host = xstrdup(host);
		r->port = strtol(port, NULL, 10);
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
}

struct http_req *
http_req_new(struct http *h, const char *method, const char *url)
{
	struct http_req *r = xcalloc(1, sizeof(*r));

	r->http = h;
	r->limit = HTTP_DEFAULT_LIMIT;
	r->retry_after = -1;
	if ((r->easy = curl_easy_init()) == NULL) {
		free(r);
		return NULL;
	}
	curl_easy_setopt(r->easy, CURLOPT_URL, url);
	curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, http_write_cb);
	curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_HEADERFUNCTION, http_header_cb);
	curl_easy_setopt(r->easy, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, HTTP_DEFAULT_TIMEOUT);
	curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(r->easy, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(r->easy, CURLOPT_FOLLOWLOCATION, 0L);
	if (strcmp(method, "GET") != 0)
		curl_easy_setopt(r->easy, CURLOPT_CUSTOMREQUEST, method);
	http_url_host(r, url);
	return r;
}

CURL *
http_req_easy(struct http_req *r)
{
	return r->easy;
}

void
http_req_header(struct http_req *r, const char *line)
{
	struct curl_slist *l = curl_slist_append(r->headers, line);

	if (l == NULL) {
		fprintf(stderr, "devgate: out of memory\n");
		abort();
	}
	r->headers = l;
}

void
http_req_body(struct http_req *r, const void *data, size_t len,
    const char *content_type)
{
	char *h;

	free(r->body);
	r->body = xmalloc(len + 1);
	memcpy(r->body, data, len);
	r->body[len] = '\0';
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)len);
	if (content_type != NULL) {
		h = xasprintf("Content-Type: %s", content_type);
		http_req_header(r, h);
		free(h);
	}
}

void
http_req_limit(struct http_req *r, size_t max)
{
	r->limit = max;
}

void
http_req_timeout(struct http_req *r, long ms)
{
	curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, ms);
}

void
http_req_stream(struct http_req *r, http_chunk_cb *cb)
{
	r->chunk = cb;
}

static void
http_req_link(struct http_req *r)
{
	r->http->pending++;
	r->next = r->http->reqs;
	if (r->next != NULL)
		r->next->prevp = &r->next;
	r->prevp = &r->http->reqs;
	r->http->reqs = r;
}

static void
http_req_unlink(struct http_req *r)
{
	r->http->pending--;
	if (r->next != NULL)
		r->next->prevp = r->prevp;
	*r->prevp = r->next;
	r->prevp = NULL;
}

/* The resolver answered: hand curl every address, or end the request. */
static void
http_resolved(void *arg, int err, const char *const *addrs, size_t n)
{
	struct http_req *r = arg;
	struct http_resp resp;
	char *entry, *p, errbuf[300];
	size_t i;

	r->resolving = 0;
	r->rop = NULL;
	if (err == 0 && n == 0)
		err = DG_ERR_NOTFOUND;
	if (err == 0) {
		entry = xasprintf("%s:%ld:", r->host, r->port);
		for (i = 0; i < n; i++) {
			p = xasprintf("%s%s%s%s%s", entry, i > 0 ? "," : "",
			    strchr(addrs[i], ':') != NULL ? "[" : "", addrs[i],
			    strchr(addrs[i], ':') != NULL ? "]" : "");
			free(entry);
			entry = p;
		}
		r->resolve = curl_slist_append(NULL, entry);
		free(entry);
		if (r->resolve == NULL) {
			fprintf(stderr, "devgate: out of memory\n");
			abort();
		}
		curl_easy_setopt(r->easy, CURLOPT_RESOLVE, r->resolve);
		if (curl_multi_add_handle(r->http->multi, r->easy) ==
		    CURLM_OK) {
			r->started = 1;
			return;
		}
		err = DG_ERR_INTERNAL;
	}
	memset(&resp, 0, sizeof(resp));
	snprintf(errbuf, sizeof(errbuf), "cannot resolve %s: %s", r->host,
	    dg_strerror(err));
	resp.error = errbuf;
	resp.retry_after = -1;
	resp.body = r->chunk != NULL ? NULL : "";
	http_req_unlink(r);
	r->in_done = 1;
	r->done(r->arg, err, &resp);
	r->in_done = 0;
	http_req_destroy(r);
}

int
http_req_start(struct http_req *r, http_done_cb *done, void *arg)
{
	struct http *h = r->http;
	int err;

	r->done = done;
	r->arg = arg;
	if (r->headers != NULL)
		curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers);
	if (h->resolver.start != NULL && r->host != NULL) {
		http_req_link(r);
		r->resolving = 1;
		if ((err = h->resolver.start(h->resolver.ctx, r->host,
		    http_resolved, r, &r->rop)) != 0) {
			r->resolving = 0;
			http_req_unlink(r);
			return err;
		}
		return 0;
	}
	if (curl_multi_add_handle(h->multi, r->easy) != CURLM_OK)
		return DG_ERR_INTERNAL;
	r->started = 1;
	http_req_link(r);
	return 0;
}

void
http_req_cancel(struct http_req *r)
{
	/* Inside its own callback the request is freed on return. */
	if (r != NULL && !r->in_done)
		http_req_destroy(r);
}

size_t
http_pending(const struct http *h)
{
	return h->pending;
}

static int
http_curl_err(CURLcode c)
{
	switch (c) {
	case CURLE_OPERATION_TIMEDOUT:
		return DG_ERR_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		return DG_ERR_UNAVAIL;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		return DG_ERR_TLS;
	case CURLE_ABORTED_BY_CALLBACK:
		return DG_ERR_CANCELLED;
	default:
		return DG_ERR_PROTO;
	}
}

static void
http_check_done(void *arg)
{
	struct http *h = arg;
	struct http_resp resp;
	struct http_req *r;
	CURLMsg *msg;
	char *ct;
	int left, err;

	while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		r = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &r);
		if (r == NULL)
			continue;
		memset(&resp, 0, sizeof(resp));
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE,
		    &resp.status);
		ct = NULL;
		curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ct);
		if (ct != NULL)
			snprintf(r->content_type, sizeof(r->content_type),
			    "%s", ct);
		resp.content_type = ct != NULL ? r->content_type : NULL;
		resp.body = r->chunk != NULL ? NULL : (r->resp ? r->resp : "");
		resp.len = r->resplen;
		resp.retry_after = r->retry_after;
		err = 0;
		if (msg->data.result != CURLE_OK) {
			err = r->toobig ? DG_ERR_TOOBIG :
			    http_curl_err(msg->data.result);
			resp.error = r->errbuf[0] ? r->errbuf :
			    curl_easy_strerror(msg->data.result);
		}
		curl_multi_remove_handle(h->multi, r->easy);
		r->started = 0;
		h->pending--;
		r->in_done = 1;
		r->done(r->arg, err, &resp);
		r->in_done = 0;
		http_req_destroy(r);
	}
}

