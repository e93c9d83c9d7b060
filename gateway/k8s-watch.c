/* k8s-watch.c: a pod watch kept current: list → watch from the list's
 * resourceVersion, bookmarks, 410 → relist, reconnect with backoff. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "gateway/k8s-api.h"
#include "gateway/k8s-json.h"
#include "gateway/k8s-watch.h"

#define KW_LINE_MAX	(4u << 20)	/* one event */
#define KW_BACKOFF_MIN	500
#define KW_BACKOFF_MAX	30000

struct k8s_watch {
	struct k8s_api		*api;		/* not owned */
	char			*selector;
	int			 timeout_s;
	k8s_watch_cb		*cb;
	void			*arg;
	struct k8s_req		*req;		/* list or watch in flight */
	struct loop_timer	*timer;		/* backoff */
	char			 rv[128];	/* last resourceVersion */
	int			 listing;	/* req is a list */
	int			 need_relist;	/* set by an ERROR event */
	int			 backoff_ms;
	char			*line;		/* partial event line */
	size_t			 linelen;
	int			 depth;		/* calling the owner */
	int			 dead;		/* freed from a callback */
	struct k8s_watch_stats	 stats;
};

static void kw_list(struct k8s_watch *);
static void kw_watch(struct k8s_watch *);
static void kw_destroy(struct k8s_watch *);

/* Call the owner; returns non-zero when it freed the watch meanwhile. */
static int
kw_emit(struct k8s_watch *w, int type, const struct env_info *info)
{
	w->depth++;
	w->cb(w->arg, type, info);
	w->depth--;
	return w->dead;
}

static void
kw_retry(struct k8s_watch *w)
{
	w->backoff_ms = w->backoff_ms == 0 ? KW_BACKOFF_MIN :
	    w->backoff_ms * 2 > KW_BACKOFF_MAX ? KW_BACKOFF_MAX :
	    w->backoff_ms * 2;
	loop_timer_start(w->timer, (uint64_t)w->backoff_ms);
}

static void
kw_timer(void *arg)
{
	struct k8s_watch *w = arg;

	if (w->rv[0] == '\0')
		kw_list(w);
	else
		kw_watch(w);
}

static void
kw_listed(void *arg, int err, const char *msg, const struct env_info *items,
    size_t n, const char *rv)
{
	struct k8s_watch *w = arg;
	size_t i;

	w->req = NULL;
	w->listing = 0;
	if (err != 0) {
		w->stats.errors++;
		log_error("kubernetes: watch %s: list failed: %s (%s)",
		    w->selector, dg_strerror(err), msg ? msg : "");
		w->rv[0] = '\0';
		kw_retry(w);
		return;
	}
	w->stats.lists++;
	snprintf(w->rv, sizeof(w->rv), "%s", rv != NULL ? rv : "");
	w->depth++;	/* keep w while we go through the list */
	if (kw_emit(w, K8S_WATCH_RESET, NULL))
		goto dead;
	for (i = 0; i < n; i++)
		if (kw_emit(w, K8S_WATCH_ADDED, &items[i]))
			goto dead;
	if (kw_emit(w, K8S_WATCH_SYNCED, NULL))
		goto dead;
	w->depth--;
	if (w->rv[0] == '\0') {
		/* A server without list versions: poll by listing. */
		kw_retry(w);
		return;
	}
	kw_watch(w);
	return;
dead:
	if (--w->depth == 0)
		kw_destroy(w);
}

static void
kw_list(struct k8s_watch *w)
{
	int err;

	w->listing = 1;
	w->need_relist = 0;
	w->linelen = 0;
	err = k8s_api_pods_list(w->api, w->selector, kw_listed, w, &w->req);
	if (err != 0) {
		w->listing = 0;
		w->req = NULL;
		w->stats.errors++;
		kw_retry(w);
	}
}

/* One complete event line. Returns non-zero to abort the stream. */
static int
kw_event(struct k8s_watch *w, const char *line, size_t len)
{
	enum k8s_watch_type type;
	const cJSON *obj;
	const char *reason;
	struct env_info info;
	char rv[128];
	cJSON *root;

	if (len == 0)
		return 0;
	if (k8s_watch_event(line, len, &type, &root, &obj, rv,
	    sizeof(rv)) != 0) {
		log_error("kubernetes: watch %s: malformed event",
		    w->selector);
		return 0;
	}
	switch (type) {
	case K8S_WATCH_ERROR:
		reason = k8s_status_reason(obj);
		if (reason != NULL && (strcmp(reason, "Expired") == 0 ||
		    strcmp(reason, "Gone") == 0))
			w->stats.expired++;
		else
			w->stats.errors++;
		/* Whatever the error, the safe way on is a fresh list. */
		w->need_relist = 1;
		cJSON_Delete(root);
		return 1;
	case K8S_WATCH_BOOKMARK:
		w->stats.bookmarks++;
		break;
	default:
		if (k8s_pod_info(obj, &info) == 0 &&
		    kw_emit(w, (int)type, &info)) {
			cJSON_Delete(root);
			return 1;
		}
		break;
	}
	if (rv[0] != '\0')
		snprintf(w->rv, sizeof(w->rv), "%s", rv);
	cJSON_Delete(root);
	return 0;
}

static int
kw_chunk(void *arg, const char *data, size_t len)
{
	struct k8s_watch *w = arg;
	const char *nl;
	size_t n;

	if (w->dead)
		return 1;
	w->backoff_ms = 0;
	while (len > 0) {
		nl = memchr(data, '\n', len);
		n = nl != NULL ? (size_t)(nl - data) : len;
		if (n > KW_LINE_MAX - w->linelen) {
			log_error("kubernetes: watch %s: event larger than "
			    "%u bytes", w->selector, KW_LINE_MAX);
			w->need_relist = 1;
			return 1;
		}
		if (nl == NULL || w->linelen > 0) {
			w->line = xreallocarray(w->line, w->linelen + n + 1, 1);
			memcpy(w->line + w->linelen, data, n);
			w->linelen += n;
		}
		if (nl == NULL)
			return 0;
		if (w->linelen > 0) {
			if (kw_event(w, w->line, w->linelen) != 0)
				goto stop;
			w->linelen = 0;
		} else if (kw_event(w, data, n) != 0)
			goto stop;
		data += n + 1;
		len -= n + 1;
	}
	return 0;
stop:
	/* The owner freed the watch from its callback: its request is
	 * cancelled and will not call us again. */
	if (w->dead)
		kw_destroy(w);
	return 1;
}

static void
kw_watch_done(void *arg, const struct k8s_resp *resp)
{
	struct k8s_watch *w = arg;

	w->req = NULL;
	w->linelen = 0;
	if (w->need_relist || resp->err == DG_ERR_GONE) {
		if (resp->err == DG_ERR_GONE)
			w->stats.expired++;
		log_verbose("kubernetes: watch %s: resourceVersion %s "
		    "expired, listing again", w->selector, w->rv);
		w->rv[0] = '\0';
		kw_list(w);
		return;
	}
	if (resp->err == 0) {
		/* The server ended the watch (timeoutSeconds): go on. */
		kw_watch(w);
		return;
	}
	w->stats.errors++;
	log_error("kubernetes: watch %s: %s (%s); retrying", w->selector,
	    dg_strerror(resp->err), resp->message ? resp->message : "");
	kw_retry(w);
}

static void
kw_watch(struct k8s_watch *w)
{
	char *sel, *ns, *rv, *path;
	int err;

	sel = k8s_url_escape(w->selector);
	ns = k8s_url_escape(k8s_api_namespace(w->api));
	rv = k8s_url_escape(w->rv);
	path = xasprintf("/api/v1/namespaces/%s/pods?watch=1&"
	    "resourceVersion=%s&allowWatchBookmarks=true&labelSelector=%s&"
	    "timeoutSeconds=%d", ns, rv, sel, w->timeout_s);
	free(sel);
	free(ns);
	free(rv);
	w->linelen = 0;
	w->need_relist = 0;
	err = k8s_api_call(w->api, "GET", path, NULL, NULL, 0, kw_chunk,
	    kw_watch_done, w, &w->req);
	free(path);
	if (err != 0) {
		w->req = NULL;
		w->stats.errors++;
		kw_retry(w);
		return;
	}
	w->stats.watches++;
}

int
k8s_watch_new(struct k8s_api *api, const char *selector, int timeout_s,
    k8s_watch_cb *cb, void *arg, struct k8s_watch **out)
{
	struct k8s_watch *w = xcalloc(1, sizeof(*w));

	w->api = api;
	w->selector = xstrdup(selector);
	w->timeout_s = timeout_s > 0 ? timeout_s : 300;
	w->cb = cb;
	w->arg = arg;
	w->timer = loop_timer_new(k8s_api_loop(api), kw_timer, w);
	kw_list(w);
	*out = w;
	return 0;
}

static void
kw_destroy(struct k8s_watch *w)
{
	k8s_req_cancel(w->req);
	loop_timer_free(w->timer);
	free(w->selector);
	free(w->line);
	free(w);
}

void
k8s_watch_free(struct k8s_watch *w)
{
	if (w == NULL)
		return;
	if (w->depth > 0) {
		/* From inside our callback: finish when it returns. */
		w->dead = 1;
		k8s_req_cancel(w->req);
		w->req = NULL;
		loop_timer_stop(w->timer);
		return;
	}
	kw_destroy(w);
}

const char *
k8s_watch_rv(const struct k8s_watch *w)
{
	return w->rv;
}

const struct k8s_watch_stats *
k8s_watch_stats(const struct k8s_watch *w)
{
	return &w->stats;
}
