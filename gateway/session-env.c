/* session-env.c: after login, which environment this connection reaches
 * (route.c on the user name, the dialled address and the user's
 * environments from the directory and the backend), whether the user may
 * reach it (auth_may_reach), and whether it runs (backend find). The
 * outcome is READY, or FAILED with the one line the client will see. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "gateway/channel.h"
#include "gateway/envcache.h"
#include "gateway/envdir.h"
#include "gateway/session.h"
#include "gateway/worker.h"

#define SE_MAX_CANDIDATES	256

struct se_names {
	char	*v[SE_MAX_CANDIDATES];
	size_t	 n;
};

static void
se_names_add(struct se_names *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], name) == 0)
			return;
	if (l->n < SE_MAX_CANDIDATES)
		l->v[l->n++] = xstrdup(name);
}

static void
se_names_free(struct se_names *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

static void
se_dir_cb(void *arg, const struct envdir_entry *e)
{
	se_names_add(arg, e->env);
}

static void
se_fail(struct session *s, int exit_status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
se_fail(struct session *s, int exit_status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->env_msg, sizeof(s->env_msg), fmt, ap);
	va_end(ap);
	s->env_exit = exit_status;
	s->env_state = SENV_FAILED;
	channel_env_ready(s);
}

static void
se_acl_clear(struct session_acl *a)
{
	size_t i;

	for (i = 0; i < a->nmembers; i++)
		free(a->members[i]);
	free(a->members);
	memset(a, 0, sizeof(*a));
}

static void
se_acl_set(struct session *s, const struct envdir_entry *e, const char *env,
    const char *owner)
{
	struct session_acl *a = &s->acl;
	size_t i, n = 0;

	se_acl_clear(a);
	snprintf(a->name, sizeof(a->name), "%s", env);
	snprintf(a->owner, sizeof(a->owner), "%s", owner);
	if (e != NULL && e->team != NULL)
		snprintf(a->team, sizeof(a->team), "%s", e->team);
	for (i = 0; e != NULL && e->members != NULL && e->members[i] != NULL;
	    i++)
		n++;
	if (n > 0) {
		a->members = xcalloc(n + 1, sizeof(char *));
		for (i = 0; i < n; i++)
			a->members[i] = xstrdup(e->members[i]);
		a->nmembers = n;
	}
	a->acl.name = a->name;
	a->acl.owner = a->owner;
	a->acl.members = (const char *const *)a->members;
	a->acl.nmembers = a->nmembers;
	a->acl.team = a->team[0] != '\0' ? a->team : NULL;
	a->set = 1;
}

const struct auth_env_acl *
session_env_acl(struct session *s)
{
	return s->acl.set ? &s->acl.acl : NULL;
}

static void
se_find_cb(void *arg, int err, const struct env_info *info)
{
	struct session *s = arg;

	s->eop = NULL;
	if (err == DG_ERR_NOTFOUND) {
		session_log(s, LOG_L_INFO, "refused: no such environment (no "
		    "instance labelled env=%s owner=%s)", s->env, s->owner);
		se_fail(s, 1, "devgate: no such environment: %s", s->env);
	} else if (err != 0) {
		session_log(s, LOG_L_ERROR, "cannot look up the environment: "
		    "%s", dg_strerror(err));
		se_fail(s, 255, "devgate: %s cannot be reached right now; try "
		    "again later", s->env);
	} else if (info->phase != ENV_RUNNING) {
		session_log(s, LOG_L_INFO, "environment is %s%s%s",
		    env_phase_name(info->phase), info->reason[0] ? ": " : "",
		    info->reason);
		s->info = *info;
		se_fail(s, 1, "%s is not running", s->env);
	} else {
		s->info = *info;
		s->env_state = SENV_READY;
		session_log(s, LOG_L_VERBOSE, "routed by %s to %s",
		    route_how_name(s->how), info->instance);
		channel_env_ready(s);
	}
}

static void
se_decided(struct session *s, const char *env)
{
	struct worker *w = s->w;
	struct envdir_entry e;
	enum auth_reach why;
	const char *owner;
	int known, r;

	snprintf(s->env, sizeof(s->env), "%s", env);
	known = envdir_lookup(w->envdir, env, &e) == 0 && e.owner != NULL;
	/* Unknown to the directory: the backend's owner label decides. */
	owner = known ? e.owner : s->ru.login;
	snprintf(s->owner, sizeof(s->owner), "%s", owner);
	se_acl_set(s, known ? &e : NULL, env, owner);
	s->peer.env = s->env;
	session_conf_apply(s, s->env);
	r = auth_may_reach(&s->authc, &s->peer, &s->acl.acl, &why);
	auth_audit_reach(w->auth, &s->peer, env, why);
	if (r != 0) {
		session_log(s, LOG_L_INFO, "refused: %s", auth_reach_name(why));
		se_fail(s, 1, "devgate: no such environment: %s", env);
		return;
	}
	r = envcache_find(w->envcache, s->env, s->owner, se_find_cb, s,
	    &s->eop);
	if (r != 0) {
		s->eop = NULL;
		session_log(s, LOG_L_ERROR, "cannot look up the environment: "
		    "%s", dg_strerror(r));
		se_fail(s, 255, "devgate: %s cannot be reached right now; try "
		    "again later", s->env);
	}
}

static void
se_route(struct session *s, const char *addr_env, struct se_names *cands)
{
	struct route_input in;
	struct route_result res;
	char line[256];
	int r;

	memset(&in, 0, sizeof(in));
	in.user = &s->ru;
	in.addr_env = addr_env;
	in.candidates = (const char *const *)cands->v;
	in.ncandidates = cands->n;
	if ((r = route_decide(&in, &res)) != 0) {
		route_refusal(r, &s->ru, s->ssh_user, line, sizeof(line));
		session_log(s, LOG_L_INFO, "not routed: %s (%zu environments)",
		    dg_strerror(r), cands->n);
		se_fail(s, 1, "%s", line);
		return;
	}
	s->how = res.how;
	se_decided(s, res.env);
}

static void
se_list_cb(void *arg, int err, const struct env_info *infos, size_t n)
{
	struct session *s = arg;
	struct se_names cands;
	size_t i;

	s->bop = NULL;
	memset(&cands, 0, sizeof(cands));
	envdir_for_user(s->w->envdir, s->ru.login, se_dir_cb, &cands);
	if (err != 0 && cands.n == 0) {
		session_log(s, LOG_L_ERROR, "cannot list environments: %s",
		    dg_strerror(err));
		se_fail(s, 255, "devgate: your environments cannot be listed "
		    "right now; try again later");
		return;
	}
	for (i = 0; err == 0 && i < n; i++)
		if (infos[i].env[0] != '\0')
			se_names_add(&cands, infos[i].env);
	se_route(s, NULL, &cands);
	se_names_free(&cands);
}

/* The registry has looked again for the dialled address: route anew. */
static void
se_checked_cb(void *arg)
{
	struct session *s = arg;

	s->echk = NULL;
	session_env_start(s);
}

void
session_env_start(struct session *s)
{
	struct worker *w = s->w;
	struct envdir_entry e;
	struct se_names none;
	const char *addr_env = NULL;
	struct route_input in;
	int r;

	s->env_state = SENV_PENDING;
	if (envdir_by_addr(w->envdir, s->laddr, &e) == 0)
		addr_env = e.env;
	else if (!s->env_checked) {
		/* An address of the pool nobody here knows yet: published
		 * since this worker last read the zone? Ask once, then
		 * route with what is known. */
		s->env_checked = 1;
		if (envdir_check_addr(w->envdir, s->laddr, se_checked_cb, s,
		    &s->echk) == 0) {
			session_log(s, LOG_L_VERBOSE, "%s is not known yet: "
			    "reading the registry again", s->laddr);
			return;
		}
	}
	memset(&in, 0, sizeof(in));
	in.user = &s->ru;
	in.addr_env = addr_env;
	memset(&none, 0, sizeof(none));
	if (!route_needs_candidates(&in)) {
		se_route(s, addr_env, &none);
		return;
	}
	r = backend_list(w->backend, s->ru.login, se_list_cb, s, &s->bop);
	if (r != 0) {
		s->bop = NULL;
		se_list_cb(s, r, NULL, 0);
	}
}

void
session_env_cancel(struct session *s)
{
	envdir_check_cancel(s->echk);
	s->echk = NULL;
	envcache_cancel(s->eop);
	s->eop = NULL;
	if (s->bop != NULL) {
		backend_op_cancel(s->w->backend, s->bop);
		s->bop = NULL;
	}
}

void
session_env_free(struct session *s)
{
	se_acl_clear(&s->acl);
}
