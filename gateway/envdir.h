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
/* Is user the owner or a member of e (team membership is auth's)? */
int	 envdir_is_member(const struct envdir_entry *, const char *user);

/* The source built from the gateway config (borrows cfg). */
void	 envdir_add_config(struct envdir *, const struct gateway_config *cfg);

#endif
