/* envdir.h: the environment directory: what devgate knows about an
 * environment (owner, members, team, profile, address) and which
 * environments a user may use, from pluggable sources (the config's
 * Environment/EnvironmentAddress now, the DNS registry later). */
#ifndef DG_ENVDIR_H
#define DG_ENVDIR_H

#include <stddef.h>

#include "gateway/servconf.h"

/* What one source knows about one environment. Strings are borrowed
 * from the source and stay valid while the directory lives. */
struct envdir_entry {
	const char		*env;
	const char		*owner;		/* NULL if unknown */
	const char *const	*members;	/* NULL-terminated or NULL */
	const char		*team;		/* NULL if none */
	const char		*profile;	/* NULL if none */
	const char		*addr;		/* NULL if none */
};

typedef void envdir_each_cb(void *arg, const struct envdir_entry *);
typedef void envdir_done_cb(void *arg);

/* A source of environment facts. Every function is synchronous and
 * answers from memory (a source keeps its own cache current). */
struct envdir_source_ops {
	const char *name;	/* "config", "dns" */
	/* 0 and *e, or DG_ERR_NOTFOUND. */
	int	(*lookup)(void *src, const char *env, struct envdir_entry *e);
	/* The environment whose address is addr (numeric, canonical). */
	int	(*by_addr)(void *src, const char *addr, struct envdir_entry *e);
	/* Every environment user owns or is a member of. */
	void	(*for_user)(void *src, const char *user, envdir_each_cb *,
		    void *arg);
	void	(*free)(void *src);
	/* Optional, for a source that keeps a copy of something remote:
	 * could addr have become an environment's since it last looked?
	 * Then look now: 0 and *op (cb runs once, when it has looked;
	 * check_cancel(op) until then), else DG_ERR_NOTFOUND. */
	int	(*check_addr)(void *src, const char *addr, envdir_done_cb *,
		    void *arg, void **op);
	void	(*check_cancel)(void *src, void *op);
};

struct envdir;

struct envdir *envdir_new(void);
/* Sources are asked in the order added; the first that knows wins. The
 * directory owns src (freed with ops->free). */
void	 envdir_add_source(struct envdir *, const struct envdir_source_ops *,
	    void *src);
void	 envdir_free(struct envdir *);

int	 envdir_lookup(const struct envdir *, const char *env,
	    struct envdir_entry *);
int	 envdir_by_addr(const struct envdir *, const char *addr,
	    struct envdir_entry *);
void	 envdir_for_user(const struct envdir *, const char *user,
	    envdir_each_cb *, void *arg);
/*
 * An address no source knows now but one may learn (an address of the
 * DNS registry's pool, published a moment ago): ask that source to look
 * again. 0 and *op: cb runs once it has (envdir_check_cancel(op) until
 * then); DG_ERR_NOTFOUND: no source can know addr, nothing to wait for.
 */
struct envdir_check;
int	 envdir_check_addr(struct envdir *, const char *addr, envdir_done_cb *,
	    void *arg, struct envdir_check **);
void	 envdir_check_cancel(struct envdir_check *);

/* Is user the owner or a member of e (team membership is auth's)? */
int	 envdir_is_member(const struct envdir_entry *, const char *user);

/* The source built from the gateway config (borrows cfg). */
void	 envdir_add_config(struct envdir *, const struct gateway_config *cfg);

#endif
