/* bufq.h: a bounded byte queue of chunks allocated on demand and released
 * when drained, with high/low water marks for backpressure. */
#ifndef DG_BUFQ_H
#define DG_BUFQ_H

#include <stddef.h>

struct bufq_chunk;

struct bufq {
	struct bufq_chunk *head, *tail;
	size_t		   len;		/* bytes queued */
	size_t		   max;		/* never hold more than this */
	size_t		   high;	/* above: ask the producer to pause */
	size_t		   low;		/* below: let it resume */
	size_t		   chunk;	/* chunk payload size */
};

/* max bounds the queue; high/low default to max and max/4 when 0. */
void	 bufq_init(struct bufq *, size_t max, size_t high, size_t low);
/* Payload size of chunks allocated from now on (default 16 KB): larger
 * chunks give consumers longer contiguous runs (bufq_peek). */
void	 bufq_set_chunk(struct bufq *, size_t);
/* Release all memory; the queue is empty and usable afterwards. */
void	 bufq_clear(struct bufq *);
/* Append up to len bytes; returns how many were taken (less when full). */
size_t	 bufq_write(struct bufq *, const void *, size_t);
/* Writable room at the tail, for producers that fill in place (no extra
 * copy): up to *lenp contiguous bytes (a chunk is allocated when the tail
 * is full), or NULL with *lenp 0 when the queue holds max bytes. Nothing
 * is queued until bufq_commit(). */
void	*bufq_reserve(struct bufq *, size_t *lenp);
/* Queue n bytes written at bufq_reserve()'s pointer (n <= its length). */
void	 bufq_commit(struct bufq *, size_t n);
/* Pointer to the first contiguous run of queued bytes and its length. */
const void *bufq_peek(const struct bufq *, size_t *lenp);
/* Drop n bytes from the front (n <= bufq_len). */
void	 bufq_consume(struct bufq *, size_t n);
/* Copy up to len bytes from the front without dropping them (several
 * chunks into one buffer); returns the count. */
size_t	 bufq_copyout(const struct bufq *, void *, size_t len);
/* Copy out and drop up to len bytes; returns the count. */
size_t	 bufq_read(struct bufq *, void *, size_t);
size_t	 bufq_len(const struct bufq *);
size_t	 bufq_space(const struct bufq *);
int	 bufq_empty(const struct bufq *);
/* At or above the high water mark: the producer should pause. */
int	 bufq_full(const struct bufq *);
/* At or below the low water mark: a paused producer may resume. */
int	 bufq_low(const struct bufq *);

#endif
