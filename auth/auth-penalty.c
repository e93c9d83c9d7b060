/* auth-penalty.c: per-source penalties (PerSourcePenalties, as OpenSSH 9.8)
 * in a fixed-size table: hash of netblocks plus a min-heap by expiry, in
 * memory that may be shared by the worker processes (MAP_SHARED, guarded
 * by a process-shared robust mutex). Nothing is allocated after creation,
 * so memory is bounded however many sources there are. */
#include <sys/mman.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/auth-match.h"
#include "auth/auth-penalty.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"

enum auth_pen_reason {
	AUTH_PEN_R_AUTHFAIL = 0,
	AUTH_PEN_R_NOAUTH,
	AUTH_PEN_R_GRACE,
	AUTH_PEN_R_CRASH,
};

static const char *const auth_pen_reasons[] = {
	"penalty: failed authentication",
	"penalty: connections without attempting authentication",
	"penalty: exceeded LoginGraceTime",
	"penalty: caused crash",
};

struct auth_pen_ent {
	unsigned char	addr[16];	/* masked netblock */
	uint64_t	expiry;		/* ms on the caller's clock */
	int32_t		hnext;		/* hash chain, -1 ends */
	int32_t		heap;		/* index in the heap */
	uint8_t		active;		/* past min: refusing */
	uint8_t		reason;		/* enum auth_pen_reason */
};

/* One address family: all offsets are relative to the table. */
struct auth_pen_tab {
	uint32_t	cap;		/* max-sources */
	uint32_t	n;
	uint32_t	nbuckets;	/* power of two */
	int32_t		free_head;	/* free list through hnext */
	size_t		buckets_off, ents_off, heap_off;
	size_t		size;
};

struct auth_pen_shm {
	pthread_mutex_t	lock;
	size_t		t4_off, t6_off;
};

struct auth_penalty {
	void			*mem;
	size_t			 len;
	int			 shared;
	struct auth_pen_shm	*shm;
};

static size_t
auth_pen_align(size_t n)
{
	return (n + 63) & ~(size_t)63;
}

static size_t
auth_pen_tab_size(uint32_t cap, uint32_t *nbp)
{
	uint32_t nb = 1;

	while (nb < cap && nb < (1u << 30))
		nb <<= 1;
	*nbp = nb;
	return auth_pen_align(sizeof(struct auth_pen_tab)) +
	    auth_pen_align((size_t)nb * sizeof(int32_t)) +
	    auth_pen_align((size_t)cap * sizeof(struct auth_pen_ent)) +
	    auth_pen_align((size_t)cap * sizeof(int32_t));
}

static int32_t *
auth_pen_buckets(struct auth_pen_tab *t)
{
	return (int32_t *)((char *)t + t->buckets_off);
}

static struct auth_pen_ent *
auth_pen_ents(struct auth_pen_tab *t)
{
	return (struct auth_pen_ent *)((char *)t + t->ents_off);
}

static int32_t *
auth_pen_heap(struct auth_pen_tab *t)
{
	return (int32_t *)((char *)t + t->heap_off);
}

static void
auth_pen_tab_init(struct auth_pen_tab *t, uint32_t cap)
{
	struct auth_pen_ent *e;
	int32_t *b;
	uint32_t nb, i;

	t->size = auth_pen_tab_size(cap, &nb);
	t->cap = cap;
	t->n = 0;
	t->nbuckets = nb;
	t->buckets_off = auth_pen_align(sizeof(*t));
	t->ents_off = t->buckets_off + auth_pen_align((size_t)nb * 4);
	t->heap_off = t->ents_off + auth_pen_align((size_t)cap * sizeof(*e));
	b = auth_pen_buckets(t);
	for (i = 0; i < nb; i++)
		b[i] = -1;
	e = auth_pen_ents(t);
	for (i = 0; i < cap; i++)
		e[i].hnext = i + 1 < cap ? (int32_t)(i + 1) : -1;
	t->free_head = cap > 0 ? 0 : -1;
}

static struct auth_pen_tab *
auth_pen_tab(struct auth_penalty *p, int v6)
{
	return (struct auth_pen_tab *)((char *)p->mem +
	    (v6 ? p->shm->t6_off : p->shm->t4_off));
}

struct auth_penalty *
auth_penalty_new(const struct auth_config *c, int shared)
{
	const struct auth_penalty_conf *pc = &c->penalties;
	struct auth_penalty *p;
	pthread_mutexattr_t ma;
	uint32_t nb;
	size_t len, off4, off6;

	off4 = auth_pen_align(sizeof(struct auth_pen_shm));
	off6 = off4 + auth_pen_tab_size((uint32_t)pc->max_sources4, &nb);
	len = off6 + auth_pen_tab_size((uint32_t)pc->max_sources6, &nb);
	p = xcalloc(1, sizeof(*p));
	p->len = len;
	p->shared = shared;
	p->mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
	if (p->mem == MAP_FAILED) {
		free(p);
		return NULL;
	}
	p->shm = p->mem;
	p->shm->t4_off = off4;
	p->shm->t6_off = off6;
	pthread_mutexattr_init(&ma);
	if (shared) {
		pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
		pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	}
	pthread_mutex_init(&p->shm->lock, &ma);
	pthread_mutexattr_destroy(&ma);
	auth_pen_tab_init(auth_pen_tab(p, 0), (uint32_t)pc->max_sources4);
	auth_pen_tab_init(auth_pen_tab(p, 1), (uint32_t)pc->max_sources6);
	return p;
}

void
auth_penalty_free(struct auth_penalty *p)
{
	if (p == NULL)
		return;
	munmap(p->mem, p->len);
	free(p);
}

size_t
auth_penalty_size(const struct auth_penalty *p)
{
	return p->len;
}

static void
auth_pen_lock(struct auth_penalty *p)
{
	int r = pthread_mutex_lock(&p->shm->lock);

	if (r == EOWNERDEAD) {
		/* A worker died holding the lock: the tables may be half
		 * updated, so start them afresh. */
		auth_pen_tab_init(auth_pen_tab(p, 0), auth_pen_tab(p, 0)->cap);
		auth_pen_tab_init(auth_pen_tab(p, 1), auth_pen_tab(p, 1)->cap);
		pthread_mutex_consistent(&p->shm->lock);
	}
}

static void
auth_pen_unlock(struct auth_penalty *p)
{
	pthread_mutex_unlock(&p->shm->lock);
}

/* Min-heap by expiry. */

static void
auth_pen_heap_set(struct auth_pen_tab *t, uint32_t pos, int32_t idx)
{
	auth_pen_heap(t)[pos] = idx;
	auth_pen_ents(t)[idx].heap = (int32_t)pos;
}

static void
auth_pen_heap_up(struct auth_pen_tab *t, uint32_t pos)
{
	int32_t *h = auth_pen_heap(t), idx = h[pos];
	struct auth_pen_ent *e = auth_pen_ents(t);
	uint32_t parent;

	while (pos > 0) {
		parent = (pos - 1) / 2;
		if (e[h[parent]].expiry <= e[idx].expiry)
			break;
		auth_pen_heap_set(t, pos, h[parent]);
		pos = parent;
	}
	auth_pen_heap_set(t, pos, idx);
}

static void
auth_pen_heap_down(struct auth_pen_tab *t, uint32_t pos)
{
	int32_t *h = auth_pen_heap(t), idx = h[pos];
	struct auth_pen_ent *e = auth_pen_ents(t);
	uint32_t c;

	for (;;) {
		c = 2 * pos + 1;
		if (c >= t->n)
			break;
		if (c + 1 < t->n && e[h[c + 1]].expiry < e[h[c]].expiry)
			c++;
		if (e[idx].expiry <= e[h[c]].expiry)
			break;
		auth_pen_heap_set(t, pos, h[c]);
		pos = c;
	}
	auth_pen_heap_set(t, pos, idx);
}

static uint32_t
auth_pen_hash(const struct auth_pen_tab *t, const unsigned char *a)
{
	uint32_t h = 2166136261u;
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ a[i]) * 16777619u;
	return h & (t->nbuckets - 1);
}

static int32_t
auth_pen_find(struct auth_pen_tab *t, const unsigned char *a)
{
	struct auth_pen_ent *e = auth_pen_ents(t);
	int32_t i;

	for (i = auth_pen_buckets(t)[auth_pen_hash(t, a)]; i >= 0;
	    i = e[i].hnext)
		if (memcmp(e[i].addr, a, 16) == 0)
			return i;
	return -1;
}

static void
auth_pen_remove(struct auth_pen_tab *t, int32_t idx)
{
	struct auth_pen_ent *e = auth_pen_ents(t);
	int32_t *pp = &auth_pen_buckets(t)[auth_pen_hash(t, e[idx].addr)];
	uint32_t pos = (uint32_t)e[idx].heap, last;
	int32_t moved;

	while (*pp >= 0 && *pp != idx)
		pp = &e[*pp].hnext;
	if (*pp == idx)
		*pp = e[idx].hnext;
	last = --t->n;
	if (pos != last) {
		moved = auth_pen_heap(t)[last];
		auth_pen_heap_set(t, pos, moved);
		auth_pen_heap_down(t, pos);
		auth_pen_heap_up(t, (uint32_t)e[moved].heap);
	}
	memset(&e[idx], 0, sizeof(e[idx]));
	e[idx].hnext = t->free_head;
	t->free_head = idx;
}

static void
auth_pen_expire(struct auth_pen_tab *t, uint64_t now)
{
	while (t->n > 0 &&
	    auth_pen_ents(t)[auth_pen_heap(t)[0]].expiry <= now)
		auth_pen_remove(t, auth_pen_heap(t)[0]);
}

static int32_t
auth_pen_insert(struct auth_pen_tab *t, const unsigned char *a)
{
	struct auth_pen_ent *e = auth_pen_ents(t);
	int32_t idx = t->free_head;
	uint32_t b;

	if (idx < 0)
		return -1;
	t->free_head = e[idx].hnext;
	memcpy(e[idx].addr, a, 16);
	b = auth_pen_hash(t, a);
	e[idx].hnext = auth_pen_buckets(t)[b];
	auth_pen_buckets(t)[b] = idx;
	auth_pen_heap_set(t, t->n++, idx);
	return idx;
}

/* The masked netblock of a socket address; -1 for other families. */
static int
auth_pen_addr(const struct auth_config *c, const struct sockaddr *sa,
    socklen_t salen, struct auth_addr *a, char *text, size_t textlen)
{
	const struct sockaddr_in6 *s6;
	int b4 = 32, b6 = 128;

	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET && salen >= sizeof(struct sockaddr_in)) {
		a->af = AF_INET;
		memcpy(a->a, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6 &&
	    salen >= sizeof(struct sockaddr_in6)) {
		s6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			a->af = AF_INET;
			memcpy(a->a, &s6->sin6_addr.s6_addr[12], 4);
		} else {
			a->af = AF_INET6;
			memcpy(a->a, &s6->sin6_addr, 16);
		}
	} else
		return -1;
	inet_ntop(a->af, a->a, text, (socklen_t)textlen);
	if (c->net_block_size != NULL)
		(void)auth_conf_netblock(c->net_block_size, &b4, &b6);
	auth_addr_mask(a, a->af == AF_INET ? b4 : b6);
	return 0;
}

static int
auth_pen_exempt(const struct auth_config *c, const char *text)
{
	return c->penalty_exempt != NULL &&
	    strcasecmp(c->penalty_exempt, "none") != 0 &&
	    auth_match_addr_list(text, c->penalty_exempt) == 1;
}

int
auth_penalty_check_at(struct auth_penalty *p, const struct auth_config *c,
    const struct sockaddr *sa, socklen_t salen, uint64_t now,
    unsigned *delay_msp, const char **reasonp)
{
	const struct auth_penalty_conf *pc = &c->penalties;
	struct auth_pen_tab *t;
	struct auth_pen_ent *e;
	struct auth_addr a;
	char text[64];
	uint64_t left, d;
	int32_t idx;
	int r = 0, overflow;

	*delay_msp = 0;
	if (p == NULL || !pc->enabled ||
	    auth_pen_addr(c, sa, salen, &a, text, sizeof(text)) != 0 ||
	    auth_pen_exempt(c, text))
		return 0;
	auth_pen_lock(p);
	t = auth_pen_tab(p, a.af == AF_INET6);
	auth_pen_expire(t, now);
	overflow = a.af == AF_INET ? pc->overflow4 : pc->overflow6;
	if (t->n >= t->cap && overflow == AUTH_OVERFLOW_DENY_ALL) {
		*reasonp = "too many penalised addresses";
		r = DG_ERR_DENIED;
		goto out;
	}
	if ((idx = auth_pen_find(t, a.a)) < 0)
		goto out;
	e = &auth_pen_ents(t)[idx];
	if (e->active) {
		*reasonp = auth_pen_reasons[e->reason];
		r = DG_ERR_DENIED;
		goto out;
	}
	/* Below the threshold: slow the source down in proportion to how
	 * close it is to being refused. */
	left = e->expiry - now;
	if (pc->min > 0) {
		d = (uint64_t)pc->delay * left / ((uint64_t)pc->min * 1000);
		*delay_msp = (unsigned)(d > (uint64_t)pc->delay ?
		    (uint64_t)pc->delay : d);
	}
out:
	auth_pen_unlock(p);
	return r;
}

void
auth_penalty_record_at(struct auth_penalty *p, const struct auth_config *c,
    const struct sockaddr *sa, socklen_t salen, enum auth_penalty_event ev,
    uint64_t now)
{
	const struct auth_penalty_conf *pc = &c->penalties;
	struct auth_pen_tab *t;
	struct auth_pen_ent *e;
	struct auth_addr a;
	char text[64];
	uint64_t secs, max_ms, min_ms;
	int32_t idx;
	int reason, overflow;

	switch (ev) {
	case AUTH_PENALTY_AUTHFAIL:
		secs = (uint64_t)pc->authfail;
		reason = AUTH_PEN_R_AUTHFAIL;
		break;
	case AUTH_PENALTY_NOAUTH:
		secs = (uint64_t)pc->noauth;
		reason = AUTH_PEN_R_NOAUTH;
		break;
	case AUTH_PENALTY_GRACE:
		secs = (uint64_t)pc->grace;
		reason = AUTH_PEN_R_GRACE;
		break;
	case AUTH_PENALTY_CRASH:
		secs = (uint64_t)pc->crash;
		reason = AUTH_PEN_R_CRASH;
		break;
	default:
		return;		/* success adds nothing, as sshd */
	}
	if (p == NULL || !pc->enabled || secs == 0 ||
	    auth_pen_addr(c, sa, salen, &a, text, sizeof(text)) != 0 ||
	    auth_pen_exempt(c, text))
		return;
	max_ms = (uint64_t)pc->max * 1000;
	min_ms = (uint64_t)pc->min * 1000;
	auth_pen_lock(p);
	t = auth_pen_tab(p, a.af == AF_INET6);
	auth_pen_expire(t, now);
	if ((idx = auth_pen_find(t, a.a)) >= 0) {
		/* Accumulate up to the maximum. */
		e = &auth_pen_ents(t)[idx];
		e->expiry += secs * 1000;
		if (e->expiry - now > max_ms)
			e->expiry = now + max_ms;
		if (e->expiry - now > min_ms)
			e->active = 1;
		e->reason = (uint8_t)reason;
		auth_pen_heap_down(t, (uint32_t)e->heap);
		goto out;
	}
	overflow = a.af == AF_INET ? pc->overflow4 : pc->overflow6;
	if (t->n >= t->cap) {
		if (overflow == AUTH_OVERFLOW_DENY_ALL)
			goto out;	/* deny-all refuses at check time */
		/* permissive: forget the penalty that ends soonest */
		auth_pen_remove(t, auth_pen_heap(t)[0]);
	}
	if ((idx = auth_pen_insert(t, a.a)) < 0)
		goto out;
	e = &auth_pen_ents(t)[idx];
	e->expiry = now + (secs * 1000 > max_ms ? max_ms : secs * 1000);
	e->active = secs * 1000 > min_ms;
	e->reason = (uint8_t)reason;
	auth_pen_heap_up(t, (uint32_t)e->heap);
out:
	auth_pen_unlock(p);
}

size_t
auth_penalty_count(struct auth_penalty *p, int af)
{
	size_t n;

	auth_pen_lock(p);
	n = auth_pen_tab(p, af == AF_INET6)->n;
	auth_pen_unlock(p);
	return n;
}
