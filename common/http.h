/* http.h: non-blocking HTTP(S) requests with libcurl's multi interface,
 * driven by the event loop. */
#ifndef DG_HTTP_H
#define DG_HTTP_H

#include <curl/curl.h>
#include <stddef.h>

struct loop;
struct http;
struct http_req;

struct http_resp {
	long		 status;	/* HTTP status, 0 if none arrived */
	const char	*body;		/* NUL-terminated; NULL when streamed */
	size_t		 len;
	const char	*content_type;	/* may be NULL */
	const char	*error;		/* curl's text when err != 0 */
	long		 retry_after;	/* seconds from Retry-After, or -1 */
};

/* err is 0 when a response arrived (any status), else a DG_ERR_*. */
typedef void http_done_cb(void *arg, int err, const struct http_resp *);
/* Streaming body: return 0 to continue, non-zero to abort the transfer. */
typedef int http_chunk_cb(void *arg, const char *data, size_t len);

struct http *http_new(struct loop *);
/* Cancels every pending request without calling back. */
void	 http_free(struct http *);

/*
 * Name resolution (optional). With a resolver set, a request whose URL
 * names a host (not an IP address) first asks the resolver for its
 * addresses and hands them all to curl (CURLOPT_RESOLVE), so libcurl
 * never resolves by itself: its threaded resolver joins its thread when a
 * request is cancelled or times out, which would block the loop. TLS
 * still verifies the URL's name. A failed lookup ends the request with
 * the resolver's DG_ERR_* and resp.error "cannot resolve HOST: ...". Not
 * for requests that set CURLOPT_CONNECT_TO or CURLOPT_RESOLVE themselves.
 */
/* addrs: numeric IPv4 / IPv6 addresses (no brackets), n > 0 when err is
 * 0; valid during the call. */
typedef void http_resolved_cb(void *arg, int err, const char *const *addrs,
    size_t n);
struct http_resolver {
	/* Start looking host up: 0 and *opp (cancellable until cb runs),
	 * or a DG_ERR_* and no callback. cb never runs inside this call. */
	int	(*start)(void *ctx, const char *host, http_resolved_cb *cb,
		    void *arg, void **opp);
	/* No callback after this. */
	void	(*cancel)(void *ctx, void *op);
	void	*ctx;
};
/* Copied; NULL: libcurl resolves (the default). Applies to requests
 * started afterwards. */
void	 http_set_resolver(struct http *, const struct http_resolver *);

struct http_req *http_req_new(struct http *, const char *method,
	    const char *url);
/* The easy handle, for TLS and auth options; do not set WRITEFUNCTION,
 * PRIVATE, HTTPHEADER, POSTFIELDS or HEADERFUNCTION on it. */
CURL	*http_req_easy(struct http_req *);
void	 http_req_header(struct http_req *, const char *line);
/* Request body (copied). */
void	 http_req_body(struct http_req *, const void *, size_t,
	    const char *content_type);
/* Refuse bodies larger than max bytes (DG_ERR_TOOBIG); default 8 MiB. */
void	 http_req_limit(struct http_req *, size_t max);
/* Whole-request timeout in ms (0 = none, for watches); default 30 s. */
void	 http_req_timeout(struct http_req *, long ms);
/* Deliver the body through cb as it arrives instead of buffering it. */
void	 http_req_stream(struct http_req *, http_chunk_cb *);
/* Starts the request; the request is freed after done() returns. */
int	 http_req_start(struct http_req *, http_done_cb *, void *arg);
/* Abort a started (or not started) request; no callback follows. */
void	 http_req_cancel(struct http_req *);
/* Number of requests in flight. */
size_t	 http_pending(const struct http *);

#endif
