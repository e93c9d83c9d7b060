/* auth-groups.c: a user's Unix groups from NSS (getpwnam, getgrouplist,
 * getgrgid), for teams, AdminGroup and Match Group; from the loop, looked
 * up on helper threads (NSS may be LDAP or sssd and block). */
#include <sys/types.h>

#include <grp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth-int.h"
#include "auth/auth.h"
#include "common/err.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"

#define AUTH_GROUPS_MAX		4096
#define AUTH_GROUPS_STACK	(512 * 1024)	/* NSS modules */

/* One lookup on a thread. The thread owns the job until it posts it back
 * to the loop, which frees it; the loop side forgets the op (cancel) or
 * the ctx (freed) in the meantime, never the thread. */
struct auth_groups_job {
	struct auth_ctx		*ctx;	/* NULL once the ctx is gone */
	struct auth_op		*op;	/* NULL once cancelled */
	struct loop		*loop;
	char			*user;
	int			 result;
	char		       **groups;
	size_t			 n;
	struct auth_groups_job	*next, **prevp;	/* ctx->gjobs */
};

static atomic_int auth_groups_nlive;

int
auth_groups_live(void)
{
	return atomic_load(&auth_groups_nlive);
}

int
auth_user_groups(const char *user, char ***groupsp, size_t *np)
{
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp;
	char *buf = NULL, *gbuf = NULL, **names = NULL;
	gid_t *gids = NULL;
	int ngids = 64, i, r = DG_ERR_SYSTEM;
	size_t n = 0, buflen = 16384;

	*groupsp = NULL;
	*np = 0;
	buf = xmalloc(buflen);
	if (getpwnam_r(user, &pw, buf, buflen, &pwp) != 0 || pwp == NULL) {
		r = 0;	/* unknown user: no groups */
		goto out;
	}
	for (;;) {
		gids = xreallocarray(gids, (size_t)ngids, sizeof(*gids));
		i = ngids;
		if (getgrouplist(user, pw.pw_gid, gids, &i) >= 0) {
			ngids = i;
			break;
		}
		if (i <= ngids || i > AUTH_GROUPS_MAX)
			goto out;
		ngids = i;
	}
	names = xcalloc((size_t)ngids + 1, sizeof(*names));
	gbuf = xmalloc(buflen);
	for (i = 0; i < ngids; i++) {
		grp = NULL;
		if (getgrgid_r(gids[i], &gr, gbuf, buflen, &grp) != 0 ||
		    grp == NULL)
			continue;
		names[n++] = xstrdup(grp->gr_name);
	}
	*groupsp = names;
	*np = n;
	names = NULL;
	r = 0;
out:
	auth_user_groups_free(names, n);
	free(gids);
	free(buf);
	free(gbuf);
	return r;
}

void
auth_user_groups_free(char **groups, size_t n)
{
	size_t i;

	if (groups == NULL)
		return;
	for (i = 0; i < n; i++)
		free(groups[i]);
	free(groups);
}

static void auth_groups_next(struct auth_ctx *);

static void
auth_groups_ready(void *arg)
{
	struct auth_groups_job *job = arg;
	struct auth_ctx *ctx = job->ctx;
	struct auth_op *op = job->op;

	if (ctx != NULL) {
		*job->prevp = job->next;
		if (job->next != NULL)
			job->next->prevp = job->prevp;
		ctx->ngjobs--;
	}
	if (op != NULL) {
		op->gjob = NULL;
		op->groups = job->groups;
		op->ngroups = job->n;
		job->groups = NULL;
		auth_op_finish(op, job->result, NULL, job->result == 0 ? NULL :
		    "cannot look up the groups of %s: %s", job->user,
		    dg_strerror(job->result));
	}
	auth_user_groups_free(job->groups, job->n);
	free(job->user);
	free(job);
	atomic_fetch_sub(&auth_groups_nlive, 1);
	if (ctx != NULL)
		auth_groups_next(ctx);
}

static void *
auth_groups_thread(void *arg)
{
	struct auth_groups_job *job = arg;

	job->result = auth_user_groups(job->user, &job->groups, &job->n);
	if (loop_post(job->loop, auth_groups_ready, job) != 0)
		log_error("auth: cannot report the groups of %s to the loop",
		    job->user);
	return NULL;
}

static void
auth_groups_spawn(struct auth_op *op)
{
	struct auth_ctx *ctx = op->ctx;
	struct auth_groups_job *job;
	pthread_attr_t attr;
	pthread_t t;
	int r;

	job = xcalloc(1, sizeof(*job));
	job->ctx = ctx;
	job->op = op;
	job->loop = ctx->loop;
	job->user = xstrdup(op->peer.view.user);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, AUTH_GROUPS_STACK);
	atomic_fetch_add(&auth_groups_nlive, 1);
	r = pthread_create(&t, &attr, auth_groups_thread, job);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		atomic_fetch_sub(&auth_groups_nlive, 1);
		free(job->user);
		free(job);
		auth_op_finish(op, DG_ERR_SYSTEM, NULL, "cannot start a thread "
		    "to look up the groups of %s", op->peer.view.user);
		return;
	}
	op->gjob = job;
	job->next = ctx->gjobs;
	if (job->next != NULL)
		job->next->prevp = &job->next;
	job->prevp = &ctx->gjobs;
	ctx->gjobs = job;
	ctx->ngjobs++;
}

/* Start waiting lookups while threads are free. */
static void
auth_groups_next(struct auth_ctx *ctx)
{
	struct auth_op *op;

	while (ctx->ngjobs < AUTH_GROUPS_THREADS &&
	    (op = ctx->gwait) != NULL) {
		if ((ctx->gwait = op->gnext) == NULL)
			ctx->gwait_tail = &ctx->gwait;
		op->gnext = NULL;
		op->gwaiting = 0;
		auth_groups_spawn(op);
	}
}

void
auth_groups_start(struct auth_op *op)
{
	struct auth_ctx *ctx = op->ctx;

	op->gwaiting = 1;
	*ctx->gwait_tail = op;
	ctx->gwait_tail = &op->gnext;
	auth_groups_next(ctx);
}

void
auth_groups_cancel(struct auth_op *op)
{
	struct auth_ctx *ctx = op->ctx;
	struct auth_op **pp;

	if (op->gjob != NULL) {
		op->gjob->op = NULL;	/* the thread's answer is dropped */
		op->gjob = NULL;
	}
	if (op->gwaiting && ctx != NULL) {
		for (pp = &ctx->gwait; *pp != NULL; pp = &(*pp)->gnext)
			if (*pp == op)
				break;
		if (*pp == op) {
			*pp = op->gnext;
			if (ctx->gwait_tail == &op->gnext)
				ctx->gwait_tail = pp;
		}
		op->gwaiting = 0;
		op->gnext = NULL;
	}
}

void
auth_groups_ctx_gone(struct auth_ctx *ctx)
{
	struct auth_groups_job *job;

	while ((job = ctx->gjobs) != NULL) {
		ctx->gjobs = job->next;
		job->ctx = NULL;
		job->op = NULL;
		job->prevp = NULL;
		job->next = NULL;
	}
	ctx->ngjobs = 0;
}
