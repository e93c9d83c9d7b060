/* dns-sync.h: reconciling the zone with the environments that exist:
 * the desired state of every name from the registry and the names devgate
 * owns, planned against the zone as it is. Pure. */
#ifndef DG_DNS_SYNC_H
#define DG_DNS_SYNC_H

#include <stddef.h>

#include "dns/dns-owner.h"

struct dns_registry;
struct dns_zone;

/* One name's desired state and what it takes to get there. */
typedef void dns_sync_fn(void *arg, const struct dns_want *,
    const struct dns_plan *);

struct dns_sync_counts {
	size_t		 envs;		/* environments that exist */
	size_t		 add, change, del;	/* planned changes */
	size_t		 same;		/* already as desired */
	size_t		 conflict;	/* not devgate's: left alone */
	size_t		 failed;	/* cannot be written (pool full...) */
	size_t		 broken;	/* _env records that do not parse */
};

/*
 * An environment exists when the registry has a valid NAME._env record.
 * Its name NAME gets an address from the pool (ctx->pool) or a CNAME to
 * gateway (canonical, no dot). A name devgate owns (our _devgate marker)
 * that is a single label and no _env record names any more (valid or
 * not: a typo never deletes) is to be absent. Each want is planned
 * against view, pool claims of earlier wants counted, and given to fn.
 */
void	 dns_sync_plan(const struct dns_owner_ctx *, const char *gateway,
	    const struct dns_registry *, const struct dns_zone *view,
	    dns_sync_fn *, void *arg, struct dns_sync_counts *);
/* The desired state of environment name into *w (cleared by the caller
 * with dns_want_clear): an address from the pool, or a CNAME to target
 * ("gw.dev.corp.", with the dot). */
void	 dns_sync_env_want(const struct dns_owner_ctx *, const char *name,
	    const char *target, struct dns_want *w);

#endif
