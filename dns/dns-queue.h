/* dns-queue.h: the persistent queue of desired DNS states, one entry per
 * name (the latest wins), kept in a state file plus an append-only
 * journal with a checksum per line, fsync'd, compacted by atomic rename;
 * survives outages and restarts. Also the retry backoff. */
#ifndef DG_DNS_QUEUE_H
#define DG_DNS_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "dns/dns-owner.h"

struct dns_queue;

struct dns_qentry {
	struct dns_want	 want;		/* desired state of want.name */
	uint64_t	 seq;		/* when it was last set */
	/* Runtime only, not persisted. */
	int		 attempts;	/* failed sends so far */
	uint64_t	 not_before;	/* loop ms; 0: now */
	int		 inflight;	/* in a message being sent */
	struct dns_qentry *prev, *next;	/* queue order (by seq) */
	struct dns_qentry *hnext;	/* hash chain */
};

#define DNS_QUEUE_RDONLY 0x1	/* read only: no lock, no writes */

/*
 * Open (creating dir 0700 if needed) and load the queue. Without
 * DNS_QUEUE_RDONLY the directory is locked (DG_ERR_EXISTS when another
 * process, or another open in this one, holds it; forked children do not
 * inherit the lock) and the queue is compacted. dir NULL: a queue in
 * memory only (nothing persists). A torn or corrupt line
 * ends the journal (what follows is dropped). err gets the reason.
 */
int	 dns_queue_open(const char *dir, size_t limit, int flags,
	    struct dns_queue **, char *err, size_t errlen);
void	 dns_queue_close(struct dns_queue *);

/* Set the desired state of want->name (replacing a pending one), written
 * to the journal; durable after dns_queue_flush. DG_ERR_LIMIT when full. */
int	 dns_queue_put(struct dns_queue *, const struct dns_want *,
	    uint64_t *seqp);
/* The entry for name reached its state: drop it if it is still seq. */
int	 dns_queue_done(struct dns_queue *, const char *name, uint64_t seq);
/* fdatasync the journal; compact when it has grown. */
int	 dns_queue_flush(struct dns_queue *);
int	 dns_queue_compact(struct dns_queue *);

struct dns_qentry *dns_queue_first(struct dns_queue *);
struct dns_qentry *dns_queue_next(struct dns_qentry *);
struct dns_qentry *dns_queue_find(struct dns_queue *, const char *name);
size_t	 dns_queue_len(const struct dns_queue *);

/* Exponential backoff with jitter: base * 2^attempt capped at max, then
 * a random point in its upper half (rnd: any 32-bit random value). */
uint64_t dns_backoff_ms(int attempt, uint64_t base_ms, uint64_t max_ms,
	    uint32_t rnd);

#endif
