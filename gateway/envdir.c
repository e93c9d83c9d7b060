/* envdir.c: the environment directory over pluggable sources, and its
 * first source: Environment and EnvironmentAddress from the config. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xmalloc.h"
#include "gateway/envdir.h"

struct envdir_src {
	const struct envdir_source_ops	*ops;
	void				*src;
};

struct envdir {
	struct envdir_src	*v;
	size_t			 n;
};

struct envdir *
envdir_new(void)
{
	return xcalloc(1, sizeof(struct envdir));
}

void
envdir_add_source(struct envdir *d, const struct envdir_source_ops *ops,
    void *src)
{
	d->v = xreallocarray(d->v, d->n + 1, sizeof(*d->v));
	d->v[d->n].ops = ops;
	d->v[d->n].src = src;
	d->n++;
}

void
envdir_free(struct envdir *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++)
		if (d->v[i].ops->free != NULL)
			d->v[i].ops->free(d->v[i].src);
	free(d->v);
	free(d);
}

int
envdir_lookup(const struct envdir *d, const char *env, struct envdir_entry *e)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->v[i].ops->lookup(d->v[i].src, env, e) == 0)
			return 0;
	return DG_ERR_NOTFOUND;
}

int
envdir_by_addr(const struct envdir *d, const char *addr,
    struct envdir_entry *e)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->v[i].ops->by_addr(d->v[i].src, addr, e) == 0)
			return 0;
	return DG_ERR_NOTFOUND;
}

struct envdir_check {
	const struct envdir_source_ops	*ops;
	void				*src;
	void				*op;
	envdir_done_cb			*cb;
	void				*arg;
};

static void
envdir_check_done(void *arg)
{
	struct envdir_check *c = arg;
	envdir_done_cb *cb = c->cb;
	void *cbarg = c->arg;

	free(c);
	cb(cbarg);
}

int
envdir_check_addr(struct envdir *d, const char *addr, envdir_done_cb *cb,
    void *arg, struct envdir_check **cp)
{
	struct envdir_check *c;
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (d->v[i].ops->check_addr == NULL)
			continue;
		c = xcalloc(1, sizeof(*c));
		c->ops = d->v[i].ops;
		c->src = d->v[i].src;
		c->cb = cb;
		c->arg = arg;
		if (c->ops->check_addr(c->src, addr, envdir_check_done, c,
		    &c->op) == 0) {
			*cp = c;
			return 0;
		}
		free(c);
	}
	return DG_ERR_NOTFOUND;
}

void
envdir_check_cancel(struct envdir_check *c)
{
	if (c == NULL)
		return;
	c->ops->check_cancel(c->src, c->op);
	free(c);
}

void
envdir_for_user(const struct envdir *d, const char *user, envdir_each_cb *cb,
    void *arg)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		d->v[i].ops->for_user(d->v[i].src, user, cb, arg);
}

int
envdir_is_member(const struct envdir_entry *e, const char *user)
{
	size_t i;

	if (e->owner != NULL && strcmp(e->owner, user) == 0)
		return 1;
	for (i = 0; e->members != NULL && e->members[i] != NULL; i++)
		if (strcmp(e->members[i], user) == 0)
			return 1;
	return 0;
}

/* The config source. */

static const char *
envdir_cfg_addr(const struct gateway_config *cfg, const char *env)
{
	size_t i;

	for (i = 0; i < cfg->env_addrs.n; i++)
		if (strcmp(cfg->env_addrs.v[i].env, env) == 0)
			return cfg->env_addrs.v[i].addr;
	return NULL;
}

static void
envdir_cfg_fill(const struct gateway_config *cfg, const char *env,
    struct envdir_entry *e)
{
	const struct env_def *d;
	size_t i;

	memset(e, 0, sizeof(*e));
	e->env = env;
	e->addr = envdir_cfg_addr(cfg, env);
	for (i = 0; i < cfg->envs.n; i++) {
		d = &cfg->envs.v[i];
		if (strcmp(d->env, env) != 0)
			continue;
		e->env = d->env;
		e->owner = d->owner;
		e->members = (const char *const *)d->members;
		e->team = d->team[0] != '\0' ? d->team : NULL;
		e->profile = d->profile[0] != '\0' ? d->profile : NULL;
		break;
	}
}

static int
envdir_cfg_lookup(void *src, const char *env, struct envdir_entry *e)
{
	const struct gateway_config *cfg = src;
	size_t i;

	for (i = 0; i < cfg->envs.n; i++)
		if (strcmp(cfg->envs.v[i].env, env) == 0) {
			envdir_cfg_fill(cfg, cfg->envs.v[i].env, e);
			return 0;
		}
	for (i = 0; i < cfg->env_addrs.n; i++)
		if (strcmp(cfg->env_addrs.v[i].env, env) == 0) {
			envdir_cfg_fill(cfg, cfg->env_addrs.v[i].env, e);
			return 0;
		}
	return DG_ERR_NOTFOUND;
}

static int
envdir_cfg_by_addr(void *src, const char *addr, struct envdir_entry *e)
{
	const struct gateway_config *cfg = src;
	size_t i;

	for (i = 0; i < cfg->env_addrs.n; i++)
		if (strcmp(cfg->env_addrs.v[i].addr, addr) == 0) {
			envdir_cfg_fill(cfg, cfg->env_addrs.v[i].env, e);
			return 0;
		}
	return DG_ERR_NOTFOUND;
}

static void
envdir_cfg_for_user(void *src, const char *user, envdir_each_cb *cb,
    void *arg)
{
	const struct gateway_config *cfg = src;
	struct envdir_entry e;
	size_t i;

	for (i = 0; i < cfg->envs.n; i++) {
		envdir_cfg_fill(cfg, cfg->envs.v[i].env, &e);
		if (envdir_is_member(&e, user))
			cb(arg, &e);
	}
}

static const struct envdir_source_ops envdir_cfg_ops = {
	"config",
	envdir_cfg_lookup,
	envdir_cfg_by_addr,
	envdir_cfg_for_user,
	NULL,
	NULL,
	NULL,
};

void
envdir_add_config(struct envdir *d, const struct gateway_config *cfg)
{
	/* The source borrows cfg: a cast away from const, never written. */
	envdir_add_source(d, &envdir_cfg_ops, (void *)(uintptr_t)cfg);
}
