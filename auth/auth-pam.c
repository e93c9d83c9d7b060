/* auth-pam.c: PAM account management and keyboard-interactive
 * conversations. PAM runs only in helper threads (one per operation,
 * bounded); prompts and results reach the loop through loop_post, answers
 * go back under a mutex. Nothing PAM does can block the event loop. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>

#include "auth/auth-int.h"
#include "common/err.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"

#define AUTH_PAM_MAX_THREADS	128	/* per process */
#define AUTH_PAM_MAX_PROMPTS	32
#define AUTH_PAM_MAX_TEXT	4096
#define AUTH_PAM_STACK		(1024 * 1024)	/* modules dlopen, NSS */

enum auth_pam_kind {
	AUTH_PAM_ACCOUNT = 0,
	AUTH_PAM_KBDINT,
};

/* Shared by the loop and the helper thread; refcounted, locked. */
struct auth_pam_job {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 refs;
	enum auth_pam_kind kind;
	struct loop	*loop;
	char		*service, *user, *rhost;
	int		 cancelled;

	/* Thread to loop: a round of prompts. */
	int		 have_prompts;
	unsigned	 nprompts;
	char		*prompts[AUTH_PAM_MAX_PROMPTS];
	char		 echo[AUTH_PAM_MAX_PROMPTS];
	char		 info[AUTH_PAM_MAX_TEXT];	/* pending messages */
	char		*round_info;			/* of posted round */

	/* Loop to thread: the answers. */
	int		 have_answers;
	unsigned	 nanswers;
	char		*answers[AUTH_PAM_MAX_PROMPTS];

	/* Result. */
	int		 result;
	char		 reason[256];

	/* Loop side only. */
	struct auth_op	*op;		/* account: the op, NULL once cancelled */
	struct auth_kbdint *kb;		/* kbdint: NULL once freed */
};

struct auth_kbdint {
	struct auth_ctx		*ctx;	/* NULL once the ctx is gone */
	struct auth_pam_job	*job;
	struct auth_peer_copy	 peer;
	auth_prompt_cb		*prompt_cb;
	auth_done_cb		*done_cb;
	void			*arg;
	int			 waiting;	/* prompts out, no answer yet */
	int			 done;
	struct auth_kbdint	*next, **prevp;	/* in ctx->kbs */
};

static pthread_mutex_t auth_pam_count_lock = PTHREAD_MUTEX_INITIALIZER;
static int auth_pam_threads;

static void
auth_pam_job_unref(struct auth_pam_job *job)
{
	unsigned i;
	int last;

	pthread_mutex_lock(&job->lock);
	last = --job->refs == 0;
	pthread_mutex_unlock(&job->lock);
	if (!last)
		return;
	for (i = 0; i < job->nprompts; i++)
		free(job->prompts[i]);
	for (i = 0; i < job->nanswers; i++)
		freezero_str(job->answers[i]);
	free(job->round_info);
	free(job->service);
	free(job->user);
	free(job->rhost);
	pthread_mutex_destroy(&job->lock);
	pthread_cond_destroy(&job->cond);
	free(job);
}

static void
auth_pam_info_add(struct auth_pam_job *job, const char *msg)
{
	size_t n = strlen(job->info);

	if (msg == NULL)
		return;
	snprintf(job->info + n, sizeof(job->info) - n, "%s%s", msg,
	    msg[0] != '\0' && msg[strlen(msg) - 1] == '\n' ? "" : "\n");
}

static void auth_pam_prompt_ready(void *);

/* In the thread: hand a round of prompts to the loop and wait. Called
 * with the lock held; returns with it held. 0, or -1 when cancelled. */
static int
auth_pam_round(struct auth_pam_job *job)
{
	unsigned i;

	for (i = 0; i < job->nanswers; i++)
		freezero_str(job->answers[i]);
	job->nanswers = 0;
	job->have_answers = 0;
	free(job->round_info);
	job->round_info = xstrdup(job->info);
	job->info[0] = '\0';
	job->have_prompts = 1;
	job->refs++;
	if (loop_post(job->loop, auth_pam_prompt_ready, job) != 0) {
		job->refs--;
		return -1;
	}
	while (!job->have_answers && !job->cancelled)
		pthread_cond_wait(&job->cond, &job->lock);
	return job->cancelled ? -1 : 0;
}

static int
auth_pam_conv(int n, const struct pam_message **msg,
    struct pam_response **resp, void *appdata)
{
	struct auth_pam_job *job = appdata;
	struct pam_response *reply;
	unsigned np = 0, k;
	int i;

	if (n <= 0 || n > AUTH_PAM_MAX_PROMPTS)
		return PAM_CONV_ERR;
	reply = calloc((size_t)n, sizeof(*reply));
	if (reply == NULL)
		return PAM_BUF_ERR;
	pthread_mutex_lock(&job->lock);
	for (k = 0; k < job->nprompts; k++)
		free(job->prompts[k]);
	job->nprompts = 0;
	for (i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_ON:
		case PAM_PROMPT_ECHO_OFF:
			if (job->kind != AUTH_PAM_KBDINT)
				goto fail;	/* no user to ask */
			job->prompts[np] = xstrdup(msg[i]->msg != NULL ?
			    msg[i]->msg : "");
			job->echo[np] = msg[i]->msg_style == PAM_PROMPT_ECHO_ON;
			np++;
			break;
		case PAM_ERROR_MSG:
		case PAM_TEXT_INFO:
			auth_pam_info_add(job, msg[i]->msg);
			break;
		default:
			goto fail;
		}
	}
	job->nprompts = np;
	if (np > 0 && resp == NULL)
		goto fail;
	if (np > 0) {
		if (auth_pam_round(job) != 0 || job->nanswers != np)
			goto fail;
		for (i = 0, k = 0; i < n; i++) {
			if (msg[i]->msg_style != PAM_PROMPT_ECHO_ON &&
			    msg[i]->msg_style != PAM_PROMPT_ECHO_OFF)
				continue;
			/* PAM frees (and should wipe) what we hand over. */
			reply[i].resp = strdup(job->answers[k]);
			freezero_str(job->answers[k]);
			job->answers[k++] = NULL;
			if (reply[i].resp == NULL)
				goto fail;
		}
		job->nanswers = 0;
	}
	pthread_mutex_unlock(&job->lock);
	/* Some modules pass no reply pointer for pure messages. */
	if (resp != NULL)
		*resp = reply;
	else
		free(reply);
	return PAM_SUCCESS;
fail:
	pthread_mutex_unlock(&job->lock);
	for (i = 0; i < n; i++)
		freezero_str(reply[i].resp);
	free(reply);
	return PAM_CONV_ERR;
}

static void auth_pam_done_ready(void *);

static void *
auth_pam_thread(void *arg)
{
	struct auth_pam_job *job = arg;
	struct pam_conv conv = { auth_pam_conv, job };
	pam_handle_t *pamh = NULL;
	unsigned k;
	int r, phase = 0;

	r = pam_start(job->service, job->user, &conv, &pamh);
	if (r == PAM_SUCCESS && job->rhost != NULL)
		r = pam_set_item(pamh, PAM_RHOST, job->rhost);
	if (r == PAM_SUCCESS)
		r = pam_set_item(pamh, PAM_RUSER, job->user);
	if (r == PAM_SUCCESS && job->kind == AUTH_PAM_KBDINT) {
		phase = 1;
		r = pam_authenticate(pamh, PAM_DISALLOW_NULL_AUTHTOK);
	}
	if (r == PAM_SUCCESS) {
		phase = 2;
		r = pam_acct_mgmt(pamh, 0);
	}
	pthread_mutex_lock(&job->lock);
	if (r == PAM_SUCCESS)
		job->result = 0;
	else if (r == PAM_NEW_AUTHTOK_REQD) {
		job->result = DG_ERR_DENIED;
		snprintf(job->reason, sizeof(job->reason), "PAM: password "
		    "expired and must be changed (devgate cannot change it)");
	} else {
		job->result = phase == 1 ? DG_ERR_AUTH : DG_ERR_DENIED;
		snprintf(job->reason, sizeof(job->reason), "PAM %s: %s",
		    phase == 0 ? "start" : phase == 1 ? "authentication" :
		    "account", pamh != NULL ? pam_strerror(pamh, r) :
		    "pam_start failed");
	}
	/* Messages left over are shown in a last, empty round (as sshd). */
	if (job->kind == AUTH_PAM_KBDINT && job->info[0] != '\0' &&
	    !job->cancelled) {
		for (k = 0; k < job->nprompts; k++) {
			free(job->prompts[k]);
			job->prompts[k] = NULL;
		}
		job->nprompts = 0;
		(void)auth_pam_round(job);
	}
	pthread_mutex_unlock(&job->lock);
	if (pamh != NULL)
		pam_end(pamh, r);
	if (loop_post(job->loop, auth_pam_done_ready, job) != 0)
		auth_pam_job_unref(job);
	pthread_mutex_lock(&auth_pam_count_lock);
	auth_pam_threads--;
	pthread_mutex_unlock(&auth_pam_count_lock);
	return NULL;
}

static int
auth_pam_spawn(struct auth_ctx *ctx, const struct auth_peer *peer,
    enum auth_pam_kind kind, struct auth_pam_job **jobp)
{
	const struct auth_config *c = peer->conf != NULL ? peer->conf :
	    &ctx->conf;
	struct auth_pam_job *job;
	pthread_attr_t attr;
	pthread_t t;
	int r;

	pthread_mutex_lock(&auth_pam_count_lock);
	if (auth_pam_threads >= AUTH_PAM_MAX_THREADS) {
		pthread_mutex_unlock(&auth_pam_count_lock);
		return DG_ERR_LIMIT;
	}
	auth_pam_threads++;
	pthread_mutex_unlock(&auth_pam_count_lock);
	job = xcalloc(1, sizeof(*job));
	pthread_mutex_init(&job->lock, NULL);
	pthread_cond_init(&job->cond, NULL);
	job->refs = 2;		/* the loop side and the thread */
	job->kind = kind;
	job->loop = ctx->loop;
	job->service = xstrdup(c->pam_service_name != NULL ?
	    c->pam_service_name : "devgate");
	job->user = xstrdup(peer->user != NULL ? peer->user : "");
	job->rhost = peer->addr != NULL ? xstrdup(peer->addr) : NULL;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, AUTH_PAM_STACK);
	r = pthread_create(&t, &attr, auth_pam_thread, job);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		pthread_mutex_lock(&auth_pam_count_lock);
		auth_pam_threads--;
		pthread_mutex_unlock(&auth_pam_count_lock);
		job->refs = 1;
		auth_pam_job_unref(job);
		return DG_ERR_SYSTEM;
	}
	*jobp = job;
	return 0;
}

/* Loop side: cancel and drop our reference. */
static void
auth_pam_job_cancel(struct auth_pam_job *job)
{
	pthread_mutex_lock(&job->lock);
	job->cancelled = 1;
	job->op = NULL;
	job->kb = NULL;
	pthread_cond_signal(&job->cond);
	pthread_mutex_unlock(&job->lock);
	auth_pam_job_unref(job);
}

/*
 * Account management.
 */

int
auth_pam_account_start(struct auth_op *op)
{
	const struct auth_config *c = auth_op_conf(op);
	int r;

	if (!c->use_pam) {
		auth_op_finish(op, 0, NULL, NULL);
		return 0;
	}
	if ((r = auth_pam_spawn(op->ctx, &op->peer.view, AUTH_PAM_ACCOUNT,
	    &op->pam)) != 0)
		return r;
	op->pam->op = op;
	return 0;
}

void
auth_pam_cancel(struct auth_op *op)
{
	if (op->pam == NULL)
		return;
	auth_pam_job_cancel(op->pam);
	op->pam = NULL;
}

static void
auth_pam_account_done(struct auth_pam_job *job)
{
	struct auth_op *op = job->op;
	const struct auth_peer *p;

	if (op == NULL)
		return;		/* cancelled */
	op->pam = NULL;
	job->op = NULL;
	p = &op->peer.view;
	if (job->result != 0)
		log_debug("%s %s@%s: PAM account check failed: %s",
		    p->session, p->user, p->addr, job->reason);
	auth_audit_auth(op->ctx, p, "pam-account", NULL, NULL, NULL, NULL,
	    job->result, job->reason);
	auth_op_finish(op, job->result, NULL, "%s", job->reason);
	/* The loop side's reference goes with the op. */
	auth_pam_job_unref(job);
}

/*
 * Keyboard-interactive.
 */

static void
auth_kbdint_unlink(struct auth_kbdint *kb)
{
	if (kb->prevp != NULL) {
		*kb->prevp = kb->next;
		if (kb->next != NULL)
			kb->next->prevp = kb->prevp;
		kb->prevp = NULL;
		kb->next = NULL;
	}
}

int
auth_kbdint_start(struct auth_ctx *ctx, const struct auth_peer *peer,
    auth_prompt_cb *prompt_cb, auth_done_cb *done_cb, void *arg,
    struct auth_kbdint **kbp)
{
	const struct auth_config *c;
	struct auth_kbdint *kb;
	int r;

	if (ctx == NULL || peer == NULL || prompt_cb == NULL ||
	    done_cb == NULL || kbp == NULL)
		return DG_ERR_INVAL;
	c = peer->conf != NULL ? peer->conf : &ctx->conf;
	if (!c->use_pam || !c->kbd_interactive)
		return DG_ERR_NOTSUP;
	kb = xcalloc(1, sizeof(*kb));
	kb->ctx = ctx;
	auth_peer_copy(&kb->peer, peer);
	kb->prompt_cb = prompt_cb;
	kb->done_cb = done_cb;
	kb->arg = arg;
	if ((r = auth_pam_spawn(ctx, &kb->peer.view, AUTH_PAM_KBDINT,
	    &kb->job)) != 0) {
		auth_peer_clear(&kb->peer);
		free(kb);
		return r;
	}
	kb->job->kb = kb;
	kb->next = ctx->kbs;
	if (ctx->kbs != NULL)
		ctx->kbs->prevp = &kb->next;
	kb->prevp = &ctx->kbs;
	ctx->kbs = kb;
	*kbp = kb;
	return 0;
}

int
auth_kbdint_answer(struct auth_kbdint *kb, unsigned n,
    const char *const *answers)
{
	struct auth_pam_job *job = kb->job;
	unsigned i;

	if (job == NULL || kb->done || !kb->waiting)
		return DG_ERR_INVAL;
	pthread_mutex_lock(&job->lock);
	if (n != job->nprompts || n > AUTH_PAM_MAX_PROMPTS) {
		pthread_mutex_unlock(&job->lock);
		return DG_ERR_INVAL;
	}
	for (i = 0; i < n; i++)
		job->answers[i] = xstrdup(answers[i] != NULL ? answers[i] :
		    "");
	job->nanswers = n;
	job->have_answers = 1;
	kb->waiting = 0;
	pthread_cond_signal(&job->cond);
	pthread_mutex_unlock(&job->lock);
	return 0;
}

void
auth_kbdint_ctx_gone(struct auth_kbdint *kb)
{
	auth_kbdint_unlink(kb);
	kb->ctx = NULL;
	if (kb->job != NULL) {
		auth_pam_job_cancel(kb->job);
		kb->job = NULL;
	}
}

void
auth_kbdint_free(struct auth_kbdint *kb)
{
	if (kb == NULL)
		return;
	auth_kbdint_unlink(kb);
	if (kb->job != NULL)
		auth_pam_job_cancel(kb->job);
	auth_peer_clear(&kb->peer);
	freezero(kb, sizeof(*kb));
}

static void
auth_pam_prompt_ready(void *arg)
{
	struct auth_pam_job *job = arg;
	struct auth_prompts pr;
	struct auth_kbdint *kb;
	const char *prompts[AUTH_PAM_MAX_PROMPTS];
	char *info;
	unsigned i;

	pthread_mutex_lock(&job->lock);
	kb = job->cancelled ? NULL : job->kb;
	if (kb == NULL || !job->have_prompts) {
		pthread_mutex_unlock(&job->lock);
		auth_pam_job_unref(job);
		return;
	}
	job->have_prompts = 0;
	/* Copy under the lock; call back without it. */
	pr.n = job->nprompts;
	for (i = 0; i < pr.n; i++)
		prompts[i] = xstrdup(job->prompts[i]);
	info = xstrdup(job->round_info != NULL ? job->round_info : "");
	{
		char echo[AUTH_PAM_MAX_PROMPTS];

		memcpy(echo, job->echo, sizeof(echo));
		pthread_mutex_unlock(&job->lock);
		kb->waiting = 1;
		pr.name = "";
		pr.instruction = info;
		pr.prompts = prompts;
		pr.echo = echo;
		kb->prompt_cb(kb->arg, &pr);
	}
	for (i = 0; i < pr.n; i++)
		free((char *)prompts[i]);
	free(info);
	auth_pam_job_unref(job);
}

static void
auth_kbdint_done(struct auth_pam_job *job)
{
	struct auth_kbdint *kb = job->kb;
	const struct auth_peer *p;

	if (kb == NULL)
		return;		/* freed or ctx gone: no callback */
	kb->done = 1;
	kb->waiting = 0;
	p = &kb->peer.view;
	if (job->result != 0)
		log_debug("%s %s@%s: keyboard-interactive refused: %s",
		    p->session, p->user, p->addr, job->reason);
	if (kb->ctx != NULL)
		auth_audit_auth(kb->ctx, p, "keyboard-interactive", NULL, NULL,
		    NULL, NULL, job->result, job->reason);
	kb->done_cb(kb->arg, job->result, job->result == 0 ? NULL :
	    job->reason);
}

static void
auth_pam_done_ready(void *arg)
{
	struct auth_pam_job *job = arg;
	int cancelled;

	pthread_mutex_lock(&job->lock);
	cancelled = job->cancelled;
	pthread_mutex_unlock(&job->lock);
	if (!cancelled) {
		if (job->kind == AUTH_PAM_ACCOUNT)
			auth_pam_account_done(job);
		else
			auth_kbdint_done(job);
	}
	auth_pam_job_unref(job);	/* the thread's reference */
}
