/* envcache.h: a worker's short-lived cache of backend find() answers: one
 * request in flight per (environment, owner) however many sessions ask,
 * and its answer reused for a moment (a burst of connections, FileZilla's
 * parallel logins, a retry loop) instead of one API call each. */
#ifndef DG_ENVCACHE_H
#define DG_ENVCACHE_H

#include <stdint.h>

#include "gateway/backend.h"

#define ENVCACHE_TTL_MS		2000	/* answers are reused this long */
#define ENVCACHE_MAX		4096	/* entries kept */

struct envcache;
struct envcache_op;

struct envcache *envcache_new(struct loop *, struct backend *,
	    uint64_t ttl_ms);
/* Cancels every pending op (no callbacks). */
void	 envcache_free(struct envcache *);
/* As backend find(): 0 and *opp, the callback later (never before this
 * returns), or a DG_ERR_* and no callback. */
int	 envcache_find(struct envcache *, const char *env, const char *owner,
	    backend_info_cb *, void *arg, struct envcache_op **opp);
/* No callback after this. NULL is fine. */
void	 envcache_cancel(struct envcache_op *);
/* Forget what is known about env (an exec found it gone). */
void	 envcache_forget(struct envcache *, const char *env);

#endif
