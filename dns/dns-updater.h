/* dns-updater.h: the loop-driven DNS publisher: takes desired states per
 * name into the persistent queue, reads the zone (signed AXFR) to know
 * what is there, and sends batches of prerequisite-guarded UPDATEs over
 * TCP, signed afresh per attempt, with replies verified; retries with
 * backoff; finds the primary (DNSUpdateServer or the SOA MNAME) with
 * c-ares. Never blocks the loop. */
#ifndef DG_DNS_UPDATER_H
#define DG_DNS_UPDATER_H

#include <stddef.h>

#include "dns/dns-owner.h"

struct loop;
struct dns_config;
struct dns_zone;
struct dns_updater;

enum dns_updater_event {
	DNS_UPD_APPLIED,	/* a name reached its state (text: what) */
	DNS_UPD_UNCHANGED,	/* it already was */
	DNS_UPD_CONFLICT,	/* not devgate's: left alone (text: why) */
	DNS_UPD_DROPPED,	/* cannot be written (text: why) */
	DNS_UPD_RETRY,		/* sending failed for a passing reason
				   (timeout, refused connection, SERVFAIL);
				   will retry (text: why) */
	DNS_UPD_FAILED,		/* failed for a reason only an operator
				   fixes (key, policy, full pool); retried
				   at the longest backoff (text: why) */
	DNS_UPD_IDLE,		/* nothing pending, nothing in flight */
	DNS_UPD_VIEW,		/* the zone was (re)read */
	DNS_UPD_VIEW_FAILED,	/* reading the zone failed (text: why) */
};

/* name is NULL for events that are not about one name. */
typedef void dns_updater_cb(void *arg, enum dns_updater_event,
    const char *name, const char *text);

/*
 * cfg is copied (it may be freed afterwards). queue_dir: the persistent
 * queue's directory, or NULL for a queue in memory (one-shot commands).
 * 0 or DG_ERR_* with err (bad key file, queue locked or corrupt).
 */
int	 dns_updater_new(struct loop *, const struct dns_config *,
	    const char *queue_dir, struct dns_updater **, char *err,
	    size_t errlen);
/* Not from inside its own callback. NULL is fine. */
void	 dns_updater_free(struct dns_updater *);
void	 dns_updater_set_cb(struct dns_updater *, dns_updater_cb *, void *);

/* Queue a desired state (durable once the loop turns). 0, DG_ERR_INVAL
 * (not a name or records devgate writes), DG_ERR_LIMIT (queue full). */
int	 dns_updater_want(struct dns_updater *, const struct dns_want *);
/* Is exactly this state already waiting for want->name? */
int	 dns_updater_queued(const struct dns_updater *, const struct dns_want *);
/* Read the zone again before the next batch. */
void	 dns_updater_refresh(struct dns_updater *);
/* The zone as last read plus the changes applied since; NULL before the
 * first transfer. */
const struct dns_zone *dns_updater_view(const struct dns_updater *);
const struct dns_owner_ctx *dns_updater_ctx(const struct dns_updater *);
/* Queued names (in flight included). */
size_t	 dns_updater_pending(const struct dns_updater *);
/* "127.0.0.1#5300", or "(unresolved)". */
const char *dns_updater_server(const struct dns_updater *);

/* Counters since start, for metrics and benchmarks. */
struct dns_updater_stats {
	unsigned long	 messages;	/* UPDATE messages answered NOERROR */
	unsigned long	 records;	/* update-section records in them */
	unsigned long	 failures;	/* messages that failed */
	unsigned long	 prereq;	/* messages whose prerequisites failed */
	unsigned long	 transfers;	/* zone transfers completed */
};
void	 dns_updater_stats(const struct dns_updater *,
	    struct dns_updater_stats *);

#endif
