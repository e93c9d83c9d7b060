/* bufq.c: a bounded byte queue of chunks allocated on demand and released
 * when drained, with high/low water marks for backpressure. */
#include <stdlib.h>
#include <string.h>

#include "bufq.h"
#include "xmalloc.h"

#define BUFQ_CHUNK 16384

struct bufq_chunk {
	struct bufq_chunk *next;
	size_t		   off;	/* first unread byte */
	size_t		   end;	/* one past the last written byte */
	size_t		   cap;
	unsigned char	   data[];
};

void
bufq_init(struct bufq *q, size_t max, size_t high, size_t low)
{
	memset(q, 0, sizeof(*q));
	q->max = max;
	q->high = high ? high : max;
	q->low = low ? low : max / 4;
	if (q->high > q->max)
		q->high = q->max;
	if (q->low > q->high)
		q->low = q->high;
	q->chunk = max < BUFQ_CHUNK ? (max ? max : 1) : BUFQ_CHUNK;
}

void
bufq_set_chunk(struct bufq *q, size_t n)
{
	if (n > q->max)
		n = q->max;
	q->chunk = n ? n : 1;
}

void
bufq_clear(struct bufq *q)
{
	struct bufq_chunk *c;

	while ((c = q->head) != NULL) {
		q->head = c->next;
		free(c);
	}
	q->tail = NULL;
	q->len = 0;
}

/* The tail chunk if it has room, else a new empty one appended. */
static struct bufq_chunk *
bufq_tail_room(struct bufq *q)
{
	struct bufq_chunk *c = q->tail;

	if (c == NULL || c->end == c->cap) {
		c = xmalloc(sizeof(*c) + q->chunk);
		c->next = NULL;
		c->off = c->end = 0;
		c->cap = q->chunk;
		if (q->tail != NULL)
			q->tail->next = c;
		else
			q->head = c;
		q->tail = c;
	}
	return c;
}

size_t
bufq_write(struct bufq *q, const void *data, size_t len)
{
	const unsigned char *p = data;
	struct bufq_chunk *c;
	size_t n, done = 0;

	if (len > q->max - q->len)
		len = q->max - q->len;
	while (done < len) {
		c = bufq_tail_room(q);
		n = c->cap - c->end;
		if (n > len - done)
			n = len - done;
		memcpy(c->data + c->end, p + done, n);
		c->end += n;
		done += n;
	}
	q->len += done;
	return done;
}

void *
bufq_reserve(struct bufq *q, size_t *lenp)
{
	struct bufq_chunk *c;
	size_t n;

	if (q->len >= q->max) {
		*lenp = 0;
		return NULL;
	}
	c = bufq_tail_room(q);
	n = c->cap - c->end;
	if (n > q->max - q->len)
		n = q->max - q->len;
	*lenp = n;
	return c->data + c->end;
}

void
bufq_commit(struct bufq *q, size_t n)
{
	if (q->tail == NULL || n > q->tail->cap - q->tail->end)
		return;
	q->tail->end += n;
	q->len += n;
}

const void *
bufq_peek(const struct bufq *q, size_t *lenp)
{
	/* (An empty chunk may sit here after an uncommitted reserve.) */
	if (q->head == NULL || q->len == 0) {
		*lenp = 0;
		return NULL;
	}
	*lenp = q->head->end - q->head->off;
	return q->head->data + q->head->off;
}

void
bufq_consume(struct bufq *q, size_t n)
{
	struct bufq_chunk *c;
	size_t k;

	if (n > q->len)
		n = q->len;
	q->len -= n;
	while (n > 0 && (c = q->head) != NULL) {
		k = c->end - c->off;
		if (k > n)
			k = n;
		c->off += k;
		n -= k;
		if (c->off == c->end) {
			q->head = c->next;
			if (q->head == NULL)
				q->tail = NULL;
			free(c);
		}
	}
}

size_t
bufq_copyout(const struct bufq *q, void *out, size_t len)
{
	const struct bufq_chunk *c;
	unsigned char *p = out;
	size_t n, done = 0;

	for (c = q->head; c != NULL && done < len; c = c->next) {
		n = c->end - c->off;
		if (n > len - done)
			n = len - done;
		memcpy(p + done, c->data + c->off, n);
		done += n;
	}
	return done;
}

size_t
bufq_read(struct bufq *q, void *out, size_t len)
{
	unsigned char *p = out;
	const void *src;
	size_t n, done = 0;

	while (done < len && (src = bufq_peek(q, &n)) != NULL) {
		if (n > len - done)
			n = len - done;
		memcpy(p + done, src, n);
		bufq_consume(q, n);
		done += n;
	}
	return done;
}

size_t
bufq_len(const struct bufq *q)
{
	return q->len;
}

size_t
bufq_space(const struct bufq *q)
{
	return q->max - q->len;
}

int
bufq_empty(const struct bufq *q)
{
	return q->len == 0;
}

int
bufq_full(const struct bufq *q)
{
	return q->len >= q->high;
}

int
bufq_low(const struct bufq *q)
{
	return q->len <= q->low;
}
