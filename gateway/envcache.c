/* envcache.c: a worker's short-lived cache of backend find() answers,
 * with one request in flight per (environment, owner). */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "gateway/envcache.h"

struct envcache_entry;

struct envcache_op {
	struct envcache		*c;	/* parent, not owned */
	struct envcache_entry	*e;	/* waiting on it, or NULL: a hit
					   delivered through loop_defer */
	backend_info_cb		*cb;
	void			*arg;
	int			 cancelled;
	int			 err;	/* a hit's answer */
	struct env_info		 info;
	struct envcache_op	*next;	/* the entry's waiters */
};

struct envcache_entry {
	char			 env[sizeof(((struct env_info *)0)->env)];
	char			 owner[sizeof(((struct env_info *)0)->owner)];
	struct envcache		*c;	/* parent, not owned */
	struct backend_op	*bop;	/* in flight, or NULL: answered */
	int			 err;
	struct env_info		 info;
	uint64_t		 at;	/* when answered */
	struct envcache_op	*waiters;
	struct envcache_entry	*next;
};

struct envcache {
	struct loop		*loop;
	struct backend		*b;
	uint64_t		 ttl;
	struct envcache_entry	*head;
	size_t			 n;
};

struct envcache *
envcache_new(struct loop *loop, struct backend *b, uint64_t ttl_ms)
{
	struct envcache *c = xcalloc(1, sizeof(*c));

	c->loop = loop;
	c->b = b;
	c->ttl = ttl_ms;
	return c;
}

static void
envcache_unlink(struct envcache *c, struct envcache_entry *e)
{
	struct envcache_entry **pp;

	for (pp = &c->head; *pp != NULL; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			c->n--;
			return;
		}
}

static void
envcache_entry_free(struct envcache_entry *e)
{
	struct envcache_op *op;

	if (e->bop != NULL)
		backend_op_cancel(e->c->b, e->bop);
	while ((op = e->waiters) != NULL) {
		e->waiters = op->next;
		free(op);
	}
	free(e);
}

void
envcache_free(struct envcache *c)
{
	struct envcache_entry *e;

	if (c == NULL)
		return;
	while ((e = c->head) != NULL) {
		c->head = e->next;
		envcache_entry_free(e);
	}
	free(c);
}

/* Keep at most ENVCACHE_MAX entries: drop answered ones, oldest first. */
static void
envcache_trim(struct envcache *c)
{
	struct envcache_entry *e, *old;

	while (c->n >= ENVCACHE_MAX) {
		old = NULL;
		for (e = c->head; e != NULL; e = e->next)
			if (e->bop == NULL && (old == NULL || e->at < old->at))
				old = e;
		if (old == NULL)
			return;
		envcache_unlink(c, old);
		envcache_entry_free(old);
	}
}

static void
envcache_answer(void *arg, int err, const struct env_info *info)
{
	struct envcache_entry *e = arg;
	struct envcache *c = e->c;
	struct envcache_op *op, *list;

	e->bop = NULL;
	e->err = err;
	if (info != NULL)
		e->info = *info;
	else
		memset(&e->info, 0, sizeof(e->info));
	e->at = loop_clock_ms();
	list = e->waiters;
	e->waiters = NULL;
	/* Failures other than "no such one" are not worth keeping. */
	if (err != 0 && err != DG_ERR_NOTFOUND) {
		envcache_unlink(c, e);
		free(e);
		e = NULL;
	}
	while ((op = list) != NULL) {
		list = op->next;
		op->cb(op->arg, err, err == 0 ? info : NULL);
		free(op);
	}
}

static void
envcache_deliver(void *arg)
{
	struct envcache_op *op = arg;

	if (!op->cancelled)
		op->cb(op->arg, op->err, op->err == 0 ? &op->info : NULL);
	free(op);
}

int
envcache_find(struct envcache *c, const char *env, const char *owner,
    backend_info_cb *cb, void *arg, struct envcache_op **opp)
{
	struct envcache_entry *e;
	struct envcache_op *op;
	int r;

	if (strlen(env) >= sizeof(e->env) || strlen(owner) >= sizeof(e->owner))
		return DG_ERR_INVAL;
	for (e = c->head; e != NULL; e = e->next)
		if (strcmp(e->env, env) == 0 && strcmp(e->owner, owner) == 0)
			break;
	op = xcalloc(1, sizeof(*op));
	op->c = c;
	op->cb = cb;
	op->arg = arg;
	if (e != NULL && e->bop == NULL &&
	    loop_clock_ms() - e->at < c->ttl) {
		op->err = e->err;
		op->info = e->info;
		loop_defer(c->loop, envcache_deliver, op);
		*opp = op;
		return 0;
	}
	if (e == NULL) {
		envcache_trim(c);
		e = xcalloc(1, sizeof(*e));
		e->c = c;
		strcpy(e->env, env);
		strcpy(e->owner, owner);
		e->next = c->head;
		c->head = e;
		c->n++;
	}
	if (e->bop == NULL) {
		r = backend_find(c->b, env, owner, envcache_answer, e, &e->bop);
		if (r != 0) {
			e->bop = NULL;
			envcache_unlink(c, e);
			envcache_entry_free(e);
			free(op);
			return r;
		}
	}
	op->e = e;
	op->next = e->waiters;
	e->waiters = op;
	*opp = op;
	return 0;
}

void
envcache_cancel(struct envcache_op *op)
{
	struct envcache_op **pp;
	struct envcache_entry *e;

	if (op == NULL)
		return;
	if ((e = op->e) == NULL) {
		op->cancelled = 1;	/* freed by envcache_deliver */
		return;
	}
	for (pp = &e->waiters; *pp != NULL; pp = &(*pp)->next)
		if (*pp == op) {
			*pp = op->next;
			break;
		}
	free(op);
}

void
envcache_forget(struct envcache *c, const char *env)
{
	struct envcache_entry *e, *next;

	for (e = c->head; e != NULL; e = next) {
		next = e->next;
		if (strcmp(e->env, env) == 0 && e->bop == NULL) {
			envcache_unlink(c, e);
			envcache_entry_free(e);
		}
	}
}
