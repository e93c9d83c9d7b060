/* k8s-api.h: Kubernetes REST calls over common/http.h (curl multi, kept-
 * alive connections): pods list/get/create/delete/patch, PodMetrics,
 * events, and raw requests for the watch helper. */
#ifndef DG_K8S_API_H
#define DG_K8S_API_H

#include <stddef.h>

#include "gateway/backend.h"
#include "gateway/k8s-json.h"

struct loop;
struct k8s_target;
struct k8s_api;
struct k8s_req;

struct k8s_resp {
	int		 err;		/* 0 for 2xx, else a DG_ERR_* */
	long		 status;	/* HTTP status, 0 if none */
	const char	*body;		/* NUL-terminated (buffered calls) */
	size_t		 len;
	const char	*message;	/* Status message / curl error, logs */
	long		 retry_after;	/* seconds, -1 if none */
};

typedef void k8s_resp_cb(void *arg, const struct k8s_resp *);
/* Streamed body of a 200 answer; non-zero aborts. */
typedef int k8s_chunk_cb(void *arg, const char *, size_t);

/* The API client holds a reference on the target. */
int	 k8s_api_new(struct loop *, struct k8s_target *, struct k8s_api **);
/* Cancels every request without calling back. */
void	 k8s_api_free(struct k8s_api *);
const char *k8s_api_namespace(const struct k8s_api *);
struct loop *k8s_api_loop(const struct k8s_api *);

/*
 * One request: path is below the server URL ("/api/v1/..."), body may be
 * NULL. On 401 the token file is re-read and, if it changed, the request
 * is sent once more. chunk non-NULL streams a 200 body (watches; no
 * overall timeout). timeout_ms 0 = the default (30 s).
 */
int	 k8s_api_call(struct k8s_api *, const char *method, const char *path,
	    const char *body, const char *content_type, long timeout_ms,
	    k8s_chunk_cb *chunk, k8s_resp_cb *, void *, struct k8s_req **);
/* Abort; no callback follows. NULL is fine. */
void	 k8s_req_cancel(struct k8s_req *);

/* Typed calls on pods of the configured namespace. msg is for logs. */
typedef void k8s_pods_cb(void *arg, int err, const char *msg,
	    const struct env_info *, size_t n, const char *rv);
typedef void k8s_pod_cb(void *arg, int err, const char *msg,
	    const struct env_info *);
typedef void k8s_done_cb(void *arg, int err, const char *msg);
typedef void k8s_metrics_cb(void *arg, int err, const char *msg,
	    const struct env_metrics *);
typedef void k8s_events_cb(void *arg, int err, const char *msg,
	    const struct k8s_event *, size_t n);

int	 k8s_api_pods_list(struct k8s_api *, const char *selector,
	    k8s_pods_cb *, void *, struct k8s_req **);
int	 k8s_api_pod_get(struct k8s_api *, const char *name, k8s_pod_cb *,
	    void *, struct k8s_req **);
/* POST a Pod manifest (JSON text): DG_ERR_EXISTS on 409. */
int	 k8s_api_pod_create(struct k8s_api *, const char *json, k8s_pod_cb *,
	    void *, struct k8s_req **);
/* DELETE with gracePeriodSeconds (< 0: the pod's own); 404 succeeds. */
int	 k8s_api_pod_delete(struct k8s_api *, const char *name, int grace,
	    k8s_done_cb *, void *, struct k8s_req **);
/* JSON merge patch (RFC 7386), e.g. {"metadata":{"annotations":{...}}}. */
int	 k8s_api_pod_patch(struct k8s_api *, const char *name,
	    const char *patch, k8s_pod_cb *, void *, struct k8s_req **);
/* metrics.k8s.io PodMetrics: DG_ERR_AGAIN on 404 (a young pod has no
 * metrics yet), DG_ERR_UNAVAIL when the metrics API is down. */
int	 k8s_api_pod_metrics(struct k8s_api *, const char *name,
	    k8s_metrics_cb *, void *, struct k8s_req **);
/* Events whose involvedObject is the pod, oldest first. */
int	 k8s_api_pod_events(struct k8s_api *, const char *name,
	    k8s_events_cb *, void *, struct k8s_req **);

/* Percent-encode s for a URL path segment or query value. */
char	*k8s_url_escape(const char *s);
/* "devgate.dev/env=ENV,devgate.dev/owner=OWNER" (either may be NULL);
 * DG_ERR_INVAL when a value is not a valid label value. */
int	 k8s_selector(const char *env, const char *owner, char **out);

#endif
