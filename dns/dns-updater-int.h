/* dns-updater-int.h: the updater's state, shared by dns-updater.c (the
 * loop: primary, view, steps) and dns-batch.c (building, sending and
 * answering UPDATE messages). Internal to those two files. */
#ifndef DG_DNS_UPDATER_INT_H
#define DG_DNS_UPDATER_INT_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "dns/dns-owner.h"
#include "dns/dns-tsig.h"
#include "dns/dns-updater.h"

struct dns_pool;
struct dns_primary;
struct dns_qentry;
struct dns_queue;
struct dns_send;
struct dns_update;
struct dns_xfr;
struct dns_zone;
struct loop;
struct loop_timer;

#define DNS_UPD_INFLIGHT	4	/* messages at once */
#define DNS_UPD_BASE_MS		1000	/* first retry delay */
#define DNS_UPD_MAX_CONFLICTS	3	/* failed prerequisites per name */

struct dns_batch_item {
	struct dns_qentry *e;
	uint64_t	 seq;		/* of the state planned */
	int64_t		 claimed;	/* pool index, -1 */
	int		 del;		/* a delete */
	char		 text[256];
};

struct dns_batch {
	struct dns_updater *u;		/* parent, not owned */
	struct dns_update *msg;
	struct dns_batch_item *items;
	size_t		 n, cap, ndel;
	struct dns_send	*send;
	struct dns_tsig_verify v;
	struct dns_batch *next;
};

struct dns_updater {
	struct loop	*loop;		/* not owned */
	struct dns_owner_ctx ctx;
	char		*zone;
	char		*owner_id;
	struct dns_pool	*pool;
	struct dns_tsig_key *key;
	struct dns_queue *q;
	struct dns_primary *primary;
	const struct sockaddr *addr;	/* of the primary, when known */
	socklen_t	 addrlen;
	int		 fudge, timeout_ms, batch, delete_batch;
	/* A server that does not answer in time gets one smaller message
	 * at a time (PowerDNS applies deletes slowly in large zones); the
	 * sizes grow back with each success. */
	int		 inflight_max, batch_cur, delete_cur;
	size_t		 max_message;
	uint64_t	 retry_max_ms;

	struct dns_zone	*view;
	int		 view_stale;
	struct dns_xfr	*xfr;
	int		 view_attempts;
	uint64_t	 view_not_before;

	struct dns_batch *batches;	/* in flight */
	size_t		 ninflight;
	int		 server_attempts;	/* consecutive failures */
	uint64_t	 server_not_before;
	char		*last_error;

	struct loop_timer *timer;
	int		 step_pending;
	int		 dead;		/* freed; the deferred step frees u */
	int		 idle_said;
	dns_updater_cb	*cb;
	void		*cbarg;
	struct dns_updater_stats stats;
};

uint64_t dns_updater_backoff(struct dns_updater *, int attempt);
void	 dns_updater_event(struct dns_updater *, enum dns_updater_event,
	    const char *name, const char *text);
/* Run the next step on the loop (deferred). */
void	 dns_updater_kick(struct dns_updater *);

/* Build and send batches while there is room; returns the earliest time a
 * postponed entry becomes ready (0: none). */
uint64_t dns_batch_pump(struct dns_updater *);
/* Cancel it if in flight; its entries are no longer in flight. */
void	 dns_batch_free(struct dns_batch *);

#endif
