/* k8s-json.h: decoding Kubernetes JSON (pods, lists, Status errors, exec
 * status, PodMetrics, watch events, events) into devgate structures
 * (pure: no I/O, no logging). Every field is optional and type-checked. */
#ifndef DG_K8S_JSON_H
#define DG_K8S_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "gateway/backend.h"

#define K8S_LABEL_ENV	"devgate.dev/env"
#define K8S_LABEL_OWNER	"devgate.dev/owner"

/* Parse a JSON text of at most len bytes; NULL if malformed. */
cJSON	*k8s_json_parse(const char *, size_t);

/*
 * Map an HTTP error (and its Status body, if any) to a DG_ERR_*: 401 AUTH,
 * 403 DENIED, 404 NOTFOUND, 409 EXISTS (AlreadyExists) or CONFLICT, 410
 * GONE, 400/422 INVAL, 429/5xx UNAVAIL, 504 TIMEOUT. msg receives the
 * Status message (or the HTTP status) for logs; *retry_after the delay in
 * seconds from details.retryAfterSeconds, or is left alone.
 */
int	 k8s_status_error(long http_status, const char *body, size_t len,
	    char *msg, size_t msglen, long *retry_after);
/* The reason field of a Status object, or NULL. */
const char *k8s_status_reason(const cJSON *status);

/*
 * The exec status message (channel 3): *code is the exit code (0 for
 * Success, the ExitCode cause for NonZeroExitCode), or -1 with msg set
 * for other failures. DG_ERR_PARSE if it is not a Status.
 */
int	 k8s_exec_status(const char *body, size_t len, int *code, char *msg,
	    size_t msglen);

/* RFC 3339 time ("2025-06-01T10:00:03Z", fractions and offsets) to unix
 * seconds; 0 on error. */
int64_t	 k8s_time_parse(const char *);

/* A Pod object → env_info (readiness and fail-fast reasons, section
 * 4.3 of the protocol notes). DG_ERR_PARSE if it is not a Pod. */
int	 k8s_pod_info(const cJSON *pod, struct env_info *);
/* A PodList: every item (n may be 0) and the list's resourceVersion
 * (may be NULL). The array is malloc'd. */
int	 k8s_pod_list(const char *body, size_t len, struct env_info **items,
	    size_t *n, char *rv, size_t rvlen);
/* A PodMetrics: CPU and memory summed over containers. */
int	 k8s_pod_metrics(const char *body, size_t len, struct env_metrics *);

/* Rank a pod for "which one to use": higher is better (Running+Ready,
 * then pending, then failed, then stopping). */
int	 k8s_pod_rank(const struct env_info *);

enum k8s_watch_type {
	K8S_WATCH_ADDED = 1,
	K8S_WATCH_MODIFIED,
	K8S_WATCH_DELETED,
	K8S_WATCH_BOOKMARK,
	K8S_WATCH_ERROR,
};

/* One watch event line: its type, the object (owned by *root, free with
 * cJSON_Delete) and the object's resourceVersion ("" if none). */
int	 k8s_watch_event(const char *line, size_t len,
	    enum k8s_watch_type *type, cJSON **root, const cJSON **object,
	    char *rv, size_t rvlen);

struct k8s_event {
	char		 type[16];	/* Normal, Warning */
	char		 reason[64];	/* Scheduled, Pulling, Failed ... */
	char		 message[256];
	int64_t		 time;		/* unix seconds of the last time */
	int		 count;
};

/* An EventList, oldest first. */
int	 k8s_event_list(const char *body, size_t len, struct k8s_event **,
	    size_t *n);

#endif
