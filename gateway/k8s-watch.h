/* k8s-watch.h: a pod watch kept current: list, then watch from the list's
 * resourceVersion with bookmarks; 410 Expired/Gone → list again;
 * reconnect with backoff. */
#ifndef DG_K8S_WATCH_H
#define DG_K8S_WATCH_H

#include "gateway/backend.h"
#include "gateway/k8s-json.h"

struct k8s_api;
struct k8s_watch;

/* Besides K8S_WATCH_ADDED/MODIFIED/DELETED (k8s-json.h) with a pod: */
#define K8S_WATCH_RESET	100	/* a full list follows (as ADDED): forget
				   what you knew */
#define K8S_WATCH_SYNCED 101	/* the list is complete */

typedef void k8s_watch_cb(void *arg, int type, const struct env_info *);

struct k8s_watch_stats {
	unsigned	 lists;		/* list requests that succeeded */
	unsigned	 watches;	/* watch requests started */
	unsigned	 expired;	/* 410 / Expired / Gone seen */
	unsigned	 errors;	/* failed requests */
	unsigned	 bookmarks;
};

/* Watch the pods matching selector in the API's namespace; each watch
 * request asks the server to end after timeout_s seconds. */
int	 k8s_watch_new(struct k8s_api *, const char *selector, int timeout_s,
	    k8s_watch_cb *, void *arg, struct k8s_watch **);
void	 k8s_watch_free(struct k8s_watch *);
/* The last resourceVersion seen ("" before the first list). */
const char *k8s_watch_rv(const struct k8s_watch *);
const struct k8s_watch_stats *k8s_watch_stats(const struct k8s_watch *);

#endif
