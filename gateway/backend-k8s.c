/* backend-k8s.c: the Kubernetes environment backend (struct backend_ops):
 * pods found by label, started from a manifest, deleted with grace,
 * metrics from metrics.k8s.io, exec and port-forward streams. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "gateway/backend-k8s.h"
#include "gateway/k8s-api.h"
#include "gateway/k8s-config.h"
#include "gateway/k8s-json.h"
#include "gateway/k8s-stream.h"
#include "gateway/k8s-target.h"

enum bk_kind {
	BK_FIND,
	BK_LIST,
	BK_START,
	BK_STOP,
	BK_METRICS,
};

struct bk {
	struct backend		 base;
	struct loop		*loop;		/* not owned */
	struct k8s_target	*target;	/* reference */
	struct k8s_api		*api;
	struct k8s_stream_opts	 opts;
	struct backend_op	*ops;		/* pending */
	int			 in_cb;		/* calling an owner back */
	int			 freed;		/* free deferred to the end of
						   the callback */
};

struct backend_op {
	struct bk		*b;		/* parent, not owned */
	enum bk_kind		 kind;
	struct k8s_req		*req;		/* in flight */
	char			 env[64], owner[64];
	int			 grace;
	char			**names;	/* stop: pods to delete */
	size_t			 nnames, inames;
	union {
		backend_info_cb		*info;
		backend_list_cb		*list;
		backend_done_cb		*done;
		backend_metrics_cb	*metrics;
	} cb;
	void			*arg;
	struct backend_op	*next, **prevp;
};

static const struct backend_ops bk_ops;

static void bk_op_cancel(struct backend_op *);

static struct bk *
bk_of(struct backend *b)
{
	return (struct bk *)b;
}

static void
bk_destroy(struct bk *b)
{
	struct backend_op *op;

	while ((op = b->ops) != NULL)
		b->base.ops->op_cancel(op);
	k8s_api_free(b->api);
	k8s_target_quiesce(b->target);
	k8s_target_unref(b->target);
	free(b);
}

static void
bk_free(struct backend *base)
{
	struct bk *b = bk_of(base);

	struct backend_op *op;

	if (b->in_cb) {
		/* Inside an owner callback under curl: no other request may
		 * call back; the rest is freed when the callback returns. */
		while ((op = b->ops) != NULL)
			bk_op_cancel(op);
		b->freed = 1;
		return;
	}
	bk_destroy(b);
}

static struct backend_op *
bk_op_new(struct bk *b, enum bk_kind kind, const char *env, const char *owner,
    void *arg)
{
	struct backend_op *op = xcalloc(1, sizeof(*op));

	op->b = b;
	op->kind = kind;
	op->arg = arg;
	if (env != NULL)
		snprintf(op->env, sizeof(op->env), "%s", env);
	if (owner != NULL)
		snprintf(op->owner, sizeof(op->owner), "%s", owner);
	op->next = b->ops;
	if (op->next != NULL)
		op->next->prevp = &op->next;
	op->prevp = &b->ops;
	b->ops = op;
	return op;
}

static void
bk_op_free(struct backend_op *op)
{
	size_t i;

	if (op->prevp != NULL) {
		if (op->next != NULL)
			op->next->prevp = op->prevp;
		*op->prevp = op->next;
	}
	for (i = 0; i < op->nnames; i++)
		free(op->names[i]);
	free(op->names);
	free(op);
}

static void
bk_op_cancel(struct backend_op *op)
{
	if (op == NULL)
		return;
	k8s_req_cancel(op->req);
	bk_op_free(op);
}

/* Unlink op before calling its owner; returns the backend to check. */
static struct bk *
bk_op_finish_begin(struct backend_op *op)
{
	struct bk *b = op->b;

	op->req = NULL;
	if (op->prevp != NULL) {
		if (op->next != NULL)
			op->next->prevp = op->prevp;
		*op->prevp = op->next;
		op->prevp = NULL;
	}
	b->in_cb++;
	return b;
}

static void
bk_op_finish_end(struct bk *b, struct backend_op *op)
{
	bk_op_free(op);
	if (--b->in_cb == 0 && b->freed)
		bk_destroy(b);
}

static void
bk_fail(struct backend_op *op, int err)
{
	struct bk *b = bk_op_finish_begin(op);

	switch (op->kind) {
	case BK_FIND:
	case BK_START:
		op->cb.info(op->arg, err, NULL);
		break;
	case BK_LIST:
		op->cb.list(op->arg, err, NULL, 0);
		break;
	case BK_STOP:
		op->cb.done(op->arg, err);
		break;
	case BK_METRICS:
		op->cb.metrics(op->arg, err, NULL);
		break;
	}
	bk_op_finish_end(b, op);
}

static void
bk_log(const struct backend_op *op, const char *what, int err,
    const char *msg)
{
	if (err == 0 || err == DG_ERR_NOTFOUND || err == DG_ERR_EXISTS ||
	    err == DG_ERR_AGAIN)
		log_debug("kubernetes: %s env=%s owner=%s: %s%s%s", what,
		    op->env, op->owner, dg_strerror(err), msg && *msg ? ": " :
		    "", msg ? msg : "");
	else
		log_error("kubernetes: %s env=%s owner=%s: %s%s%s", what,
		    op->env, op->owner, dg_strerror(err), msg && *msg ? ": " :
		    "", msg ? msg : "");
}

/* The best pod of a list, or NULL. */
static const struct env_info *
bk_best(const struct env_info *items, size_t n)
{
	const struct env_info *best = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		if (best == NULL || k8s_pod_rank(&items[i]) >
		    k8s_pod_rank(best) || (k8s_pod_rank(&items[i]) ==
		    k8s_pod_rank(best) && items[i].started_at >
		    best->started_at))
			best = &items[i];
	return best;
}

static int
bk_list_pods(struct backend_op *op, const char *env, const char *owner,
    k8s_pods_cb *cb)
{
	char *sel;
	int err;

	if ((err = k8s_selector(env, owner, &sel)) != 0)
		return err;
	err = k8s_api_pods_list(op->b->api, sel, cb, op, &op->req);
	free(sel);
	return err;
}

/* find */

static void
bk_found(void *arg, int err, const char *msg, const struct env_info *items,
    size_t n, const char *rv)
{
	struct backend_op *op = arg;
	const struct env_info *best;
	struct bk *b;

	(void)rv;
	if (err != 0) {
		bk_log(op, "list pods", err, msg);
		bk_fail(op, err);
		return;
	}
	if ((best = bk_best(items, n)) == NULL) {
		bk_fail(op, DG_ERR_NOTFOUND);
		return;
	}
	b = bk_op_finish_begin(op);
	op->cb.info(op->arg, 0, best);
	bk_op_finish_end(b, op);
}

static int
bk_start_op(struct backend_op *op, int err, struct backend_op **opp)
{
	if (err != 0) {
		bk_op_free(op);
		return err;
	}
	*opp = op;
	return 0;
}

static int
bk_find(struct backend *base, const char *env, const char *owner,
    backend_info_cb *cb, void *arg, struct backend_op **opp)
{
	struct backend_op *op;

	if (env == NULL || owner == NULL)
		return DG_ERR_INVAL;
	op = bk_op_new(bk_of(base), BK_FIND, env, owner, arg);
	op->cb.info = cb;
	return bk_start_op(op, bk_list_pods(op, env, owner, bk_found), opp);
}

/* list */

static void
bk_listed(void *arg, int err, const char *msg, const struct env_info *items,
    size_t n, const char *rv)
{
	struct backend_op *op = arg;
	struct bk *b;

	(void)rv;
	if (err != 0) {
		bk_log(op, "list pods", err, msg);
		bk_fail(op, err);
		return;
	}
	b = bk_op_finish_begin(op);
	op->cb.list(op->arg, 0, items, n);
	bk_op_finish_end(b, op);
}

static int
bk_list(struct backend *base, const char *owner, backend_list_cb *cb,
    void *arg, struct backend_op **opp)
{
	struct backend_op *op;

	if (owner == NULL)
		return DG_ERR_INVAL;
	op = bk_op_new(bk_of(base), BK_LIST, NULL, owner, arg);
	op->cb.list = cb;
	return bk_start_op(op, bk_list_pods(op, NULL, owner, bk_listed), opp);
}

/* start */

static void
bk_created(void *arg, int err, const char *msg, const struct env_info *pod)
{
	struct backend_op *op = arg;
	struct bk *b;

	if (err != 0) {
		bk_log(op, "create pod", err, msg);
		bk_fail(op, err);
		return;
	}
	log_verbose("kubernetes: env=%s owner=%s: created pod %s", op->env,
	    op->owner, pod->instance);
	b = bk_op_finish_begin(op);
	op->cb.info(op->arg, 0, pod);
	bk_op_finish_end(b, op);
}

/* Check the manifest and make sure it carries our labels and namespace. */
static int
bk_manifest(const char *spec, const char *env, const char *owner,
    const char *ns, char **out)
{
	cJSON *root, *meta, *labels, *v;
	const char *want[2][2] = { { K8S_LABEL_ENV, env },
	    { K8S_LABEL_OWNER, owner } };
	int i, r = DG_ERR_INVAL;

	if ((root = k8s_json_parse(spec, strlen(spec))) == NULL ||
	    !cJSON_IsObject(root))
		goto out;
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "kind")) != NULL &&
	    (!cJSON_IsString(v) || strcmp(v->valuestring, "Pod") != 0))
		goto out;
	if ((meta = cJSON_GetObjectItemCaseSensitive(root, "metadata")) ==
	    NULL)
		meta = cJSON_AddObjectToObject(root, "metadata");
	if (!cJSON_IsObject(meta))
		goto out;
	if ((labels = cJSON_GetObjectItemCaseSensitive(meta, "labels")) ==
	    NULL)
		labels = cJSON_AddObjectToObject(meta, "labels");
	if (!cJSON_IsObject(labels))
		goto out;
	for (i = 0; i < 2; i++) {
		v = cJSON_GetObjectItemCaseSensitive(labels, want[i][0]);
		if (v == NULL)
			cJSON_AddStringToObject(labels, want[i][0],
			    want[i][1]);
		else if (!cJSON_IsString(v) ||
		    strcmp(v->valuestring, want[i][1]) != 0)
			goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(meta, "namespace");
	if (v == NULL)
		cJSON_AddStringToObject(meta, "namespace", ns);
	else if (!cJSON_IsString(v) || strcmp(v->valuestring, ns) != 0)
		goto out;
	if ((*out = cJSON_PrintUnformatted(root)) == NULL) {
		r = DG_ERR_NOMEM;
		goto out;
	}
	r = 0;
out:
	cJSON_Delete(root);
	return r;
}

static int
bk_start(struct backend *base, const char *env, const char *owner,
    const char *spec, backend_info_cb *cb, void *arg,
    struct backend_op **opp)
{
	struct bk *b = bk_of(base);
	struct backend_op *op;
	char *json = NULL, *sel;
	int err;

	if (env == NULL || owner == NULL || spec == NULL)
		return DG_ERR_INVAL;
	if ((err = k8s_selector(env, owner, &sel)) != 0)
		return err;
	free(sel);
	if ((err = bk_manifest(spec, env, owner, k8s_api_namespace(b->api),
	    &json)) != 0)
		return err;
	op = bk_op_new(b, BK_START, env, owner, arg);
	op->cb.info = cb;
	err = k8s_api_pod_create(b->api, json, bk_created, op, &op->req);
	cJSON_free(json);
	return bk_start_op(op, err, opp);
}

/* stop: list, then delete each pod in turn */

static void bk_delete_next(struct backend_op *);

static void
bk_deleted(void *arg, int err, const char *msg)
{
	struct backend_op *op = arg;

	op->req = NULL;
	if (err != 0) {
		bk_log(op, "delete pod", err, msg);
		bk_fail(op, err);
		return;
	}
	log_verbose("kubernetes: env=%s owner=%s: deleting pod %s (grace "
	    "%d s)", op->env, op->owner, op->names[op->inames], op->grace);
	op->inames++;
	bk_delete_next(op);
}

static void
bk_delete_next(struct backend_op *op)
{
	struct bk *b;
	int err;

	if (op->inames == op->nnames) {
		b = bk_op_finish_begin(op);
		op->cb.done(op->arg, 0);
		bk_op_finish_end(b, op);
		return;
	}
	err = k8s_api_pod_delete(op->b->api, op->names[op->inames],
	    op->grace, bk_deleted, op, &op->req);
	if (err != 0)
		bk_fail(op, err);
}

static void
bk_stop_listed(void *arg, int err, const char *msg,
    const struct env_info *items, size_t n, const char *rv)
{
	struct backend_op *op = arg;
	size_t i;

	(void)rv;
	op->req = NULL;
	if (err != 0) {
		bk_log(op, "list pods", err, msg);
		bk_fail(op, err);
		return;
	}
	op->names = xcalloc(n ? n : 1, sizeof(*op->names));
	for (i = 0; i < n; i++)
		if (items[i].phase != ENV_STOPPING)
			op->names[op->nnames++] = xstrdup(items[i].instance);
	bk_delete_next(op);
}

static int
bk_stop(struct backend *base, const char *env, const char *owner,
    int grace_seconds, backend_done_cb *cb, void *arg,
    struct backend_op **opp)
{
	struct backend_op *op;

	if (env == NULL || owner == NULL)
		return DG_ERR_INVAL;
	op = bk_op_new(bk_of(base), BK_STOP, env, owner, arg);
	op->cb.done = cb;
	op->grace = grace_seconds;
	return bk_start_op(op, bk_list_pods(op, env, owner, bk_stop_listed),
	    opp);
}

/* metrics: find the pod, then its PodMetrics */

static void
bk_metrics_got(void *arg, int err, const char *msg,
    const struct env_metrics *m)
{
	struct backend_op *op = arg;
	struct bk *b;

	if (err != 0) {
		bk_log(op, "pod metrics", err, msg);
		bk_fail(op, err);
		return;
	}
	b = bk_op_finish_begin(op);
	op->cb.metrics(op->arg, 0, m);
	bk_op_finish_end(b, op);
}

static void
bk_metrics_listed(void *arg, int err, const char *msg,
    const struct env_info *items, size_t n, const char *rv)
{
	struct backend_op *op = arg;
	const struct env_info *best;

	(void)rv;
	op->req = NULL;
	if (err != 0) {
		bk_log(op, "list pods", err, msg);
		bk_fail(op, err);
		return;
	}
	if ((best = bk_best(items, n)) == NULL) {
		bk_fail(op, DG_ERR_NOTFOUND);
		return;
	}
	err = k8s_api_pod_metrics(op->b->api, best->instance, bk_metrics_got,
	    op, &op->req);
	if (err != 0)
		bk_fail(op, err);
}

static int
bk_metrics(struct backend *base, const char *env, const char *owner,
    backend_metrics_cb *cb, void *arg, struct backend_op **opp)
{
	struct backend_op *op;

	if (env == NULL || owner == NULL)
		return DG_ERR_INVAL;
	op = bk_op_new(bk_of(base), BK_METRICS, env, owner, arg);
	op->cb.metrics = cb;
	return bk_start_op(op, bk_list_pods(op, env, owner, bk_metrics_listed),
	    opp);
}

/* streams */

static int
bk_exec(struct backend *base, const char *instance,
    const struct bexec_spec *spec, const struct bstream_cbs *cbs, void *arg,
    struct bstream **out)
{
	struct bk *b = bk_of(base);

	return k8s_stream_exec(b->target, &b->opts, &bk_ops,
	    k8s_api_namespace(b->api), instance, spec, cbs, arg, out);
}

static int
bk_portforward(struct backend *base, const char *instance, uint16_t port,
    const struct bstream_cbs *cbs, void *arg, struct bstream **out)
{
	struct bk *b = bk_of(base);

	return k8s_stream_portforward(b->target, &b->opts, &bk_ops,
	    k8s_api_namespace(b->api), instance, port, cbs, arg, out);
}

static const struct backend_ops bk_ops = {
	.name = "kubernetes",
	.find = bk_find,
	.list = bk_list,
	.start = bk_start,
	.stop = bk_stop,
	.metrics = bk_metrics,
	.op_cancel = bk_op_cancel,
	.exec = bk_exec,
	.portforward = bk_portforward,
	.write = k8s_stream_write,
	.close_stdin = k8s_stream_close_stdin,
	.resize = k8s_stream_resize,
	.pause = k8s_stream_pause,
	.close = k8s_stream_close,
	.free = bk_free,
};

int
backend_k8s_new(struct loop *loop, struct k8s_config *cfg,
    const struct k8s_stream_opts *opts, struct backend **out, char *err,
    size_t errlen)
{
	struct k8s_target *t = NULL;
	struct bk *b;
	int r;

	if ((r = k8s_target_new(loop, cfg, &t, err, errlen)) != 0)
		return r;
	b = xcalloc(1, sizeof(*b));
	b->base.ops = &bk_ops;
	b->loop = loop;
	b->target = t;
	if (opts != NULL)
		b->opts = *opts;
	else
		k8s_stream_opts_default(&b->opts);
	if ((r = k8s_api_new(loop, t, &b->api)) != 0) {
		snprintf(err, errlen, "cannot set up the HTTP client");
		/* cfg goes back to the caller on failure. */
		t->cfg = NULL;
		k8s_target_unref(t);
		free(b);
		return r;
	}
	*out = &b->base;
	return 0;
}

struct k8s_api *
backend_k8s_api(struct backend *base)
{
	return bk_of(base)->api;
}
