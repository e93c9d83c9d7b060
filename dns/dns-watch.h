/* dns-watch.h: keeps the registry current on the loop: the zone file
 * (DNSRegistry file:PATH, re-read when it changes) and/or the zone from
 * the primary (signed AXFR when the SOA serial changes, polled every
 * DNSRefreshInterval without blocking), rebuilt into a new registry
 * snapshot and announced through a callback. Usable in any process. */
#ifndef DG_DNS_WATCH_H
#define DG_DNS_WATCH_H

#include <stddef.h>

struct loop;
struct dns_config;
struct dns_registry;
struct dns_watch;

/* A new registry (borrowed: dns_registry_ref() to keep it). */
typedef void dns_watch_cb(void *arg, struct dns_registry *);

/*
 * DNSRegistry file:PATH reads the file; with a TSIGKeyFile the addresses
 * come from the primary's zone (where devgate publishes them). axfr reads
 * everything from the primary. none: no registry (the callback never
 * runs). cfg is copied.
 */
int	 dns_watch_new(struct loop *, const struct dns_config *,
	    dns_watch_cb *, void *arg, struct dns_watch **, char *err,
	    size_t errlen);
void	 dns_watch_free(struct dns_watch *);
/* The current snapshot (borrowed), NULL before the first. */
struct dns_registry *dns_watch_registry(const struct dns_watch *);
/* Check the sources now rather than at the next interval. */
void	 dns_watch_poll(struct dns_watch *);

/*
 * Check now, and call cb once a check that began after this call has
 * ended (the new registry, if any, already announced; also when the check
 * failed). Concurrent callers share a check. 0 and *wait (cancel it until
 * cb runs; cb frees it), or DG_ERR_NOTSUP without a registry.
 */
struct dns_watch_wait;
typedef void dns_watch_done_cb(void *arg);
int	 dns_watch_check(struct dns_watch *, dns_watch_done_cb *, void *arg,
	    struct dns_watch_wait **);
void	 dns_watch_check_cancel(struct dns_watch_wait *);

#endif
