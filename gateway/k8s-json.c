/* k8s-json.c: decoding Kubernetes JSON into devgate structures (pure). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/xmalloc.h"
#include "gateway/k8s-json.h"
#include "gateway/k8s-quantity.h"

#define K8S_LIST_MAX	10000	/* items taken from one list */

cJSON *
k8s_json_parse(const char *s, size_t len)
{
	if (s == NULL || len == 0)
		return NULL;
	return cJSON_ParseWithLength(s, len);
}

static const cJSON *
kj_obj(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_IsObject(o) ?
	    cJSON_GetObjectItemCaseSensitive(o, key) : NULL;

	return cJSON_IsObject(v) ? v : NULL;
}

static const cJSON *
kj_arr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_IsObject(o) ?
	    cJSON_GetObjectItemCaseSensitive(o, key) : NULL;

	return cJSON_IsArray(v) ? v : NULL;
}

static const char *
kj_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_IsObject(o) ?
	    cJSON_GetObjectItemCaseSensitive(o, key) : NULL;

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int
kj_num(const cJSON *o, const char *key, double *out)
{
	const cJSON *v = cJSON_IsObject(o) ?
	    cJSON_GetObjectItemCaseSensitive(o, key) : NULL;

	if (!cJSON_IsNumber(v))
		return 0;
	*out = v->valuedouble;
	return 1;
}

static void
kj_copy(char *dst, size_t size, const char *src)
{
	if (size > 0)
		snprintf(dst, size, "%s", src != NULL ? src : "");
}

const char *
k8s_status_reason(const cJSON *st)
{
	return kj_str(st, "reason");
}

int
k8s_status_error(long http_status, const char *body, size_t len, char *msg,
    size_t msglen, long *retry_after)
{
	const char *reason = NULL, *m = NULL;
	cJSON *st = NULL;
	double d;
	int r;

	if (body != NULL && len > 0 && (st = k8s_json_parse(body, len)) &&
	    cJSON_IsObject(st)) {
		reason = kj_str(st, "reason");
		m = kj_str(st, "message");
		if (retry_after != NULL &&
		    kj_num(kj_obj(st, "details"), "retryAfterSeconds", &d) &&
		    d >= 0 && d < 86400)
			*retry_after = (long)d;
	}
	if (msg != NULL && msglen > 0) {
		if (m != NULL && m[0] != '\0')
			snprintf(msg, msglen, "%ld %s", http_status, m);
		else
			snprintf(msg, msglen, "HTTP %ld", http_status);
	}
	switch (http_status) {
	case 400:
	case 422:
		r = DG_ERR_INVAL;
		break;
	case 401:
		r = DG_ERR_AUTH;
		break;
	case 403:
		r = DG_ERR_DENIED;
		break;
	case 404:
		r = DG_ERR_NOTFOUND;
		break;
	case 409:
		r = reason != NULL && strcmp(reason, "AlreadyExists") == 0 ?
		    DG_ERR_EXISTS : DG_ERR_CONFLICT;
		break;
	case 410:
		r = DG_ERR_GONE;
		break;
	case 413:
		r = DG_ERR_TOOBIG;
		break;
	case 504:
		r = DG_ERR_TIMEOUT;
		break;
	default:
		if (http_status == 429 || (http_status >= 500 &&
		    http_status < 600))
			r = DG_ERR_UNAVAIL;
		else if (http_status >= 200 && http_status < 300)
			r = 0;
		else
			r = DG_ERR_PROTO;
		break;
	}
	cJSON_Delete(st);
	return r;
}

int
k8s_exec_status(const char *body, size_t len, int *code, char *msg,
    size_t msglen)
{
	const cJSON *causes, *c;
	const char *status, *reason, *m, *cm, *cr;
	cJSON *st;
	char *end;
	long v;
	int r = DG_ERR_PARSE;

	if ((st = k8s_json_parse(body, len)) == NULL || !cJSON_IsObject(st))
		goto out;
	if ((status = kj_str(st, "status")) == NULL)
		goto out;
	if (strcmp(status, "Success") == 0) {
		*code = 0;
		kj_copy(msg, msglen, "");
		r = 0;
		goto out;
	}
	reason = kj_str(st, "reason");
	m = kj_str(st, "message");
	if (reason != NULL && strcmp(reason, "NonZeroExitCode") == 0) {
		causes = kj_arr(kj_obj(st, "details"), "causes");
		cJSON_ArrayForEach(c, causes) {
			cr = kj_str(c, "reason");
			cm = kj_str(c, "message");
			if (cr == NULL || cm == NULL ||
			    strcmp(cr, "ExitCode") != 0)
				continue;
			v = strtol(cm, &end, 10);
			if (end != cm && *end == '\0' && v >= 0 && v <= 255) {
				*code = (int)v;
				kj_copy(msg, msglen, m);
				r = 0;
				goto out;
			}
		}
	}
	*code = -1;
	kj_copy(msg, msglen, m != NULL ? m : reason != NULL ? reason :
	    "exec failed");
	r = 0;
out:
	cJSON_Delete(st);
	return r;
}

int64_t
k8s_time_parse(const char *s)
{
	struct tm tm;
	const char *p;
	int off = 0, sign;

	if (s == NULL)
		return 0;
	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return 0;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9' ||
		    p[3] != ':' || p[4] < '0' || p[4] > '9' || p[5] < '0' ||
		    p[5] > '9')
			return 0;
		off = sign * (((p[1] - '0') * 10 + p[2] - '0') * 3600 +
		    ((p[4] - '0') * 10 + p[5] - '0') * 60);
		p += 6;
	} else
		return 0;
	if (*p != '\0')
		return 0;
	return (int64_t)timegm(&tm) - off;
}

static const char *const kj_failfast[] = {
	"ErrImagePull", "ImagePullBackOff", "CrashLoopBackOff",
	"CreateContainerConfigError", "CreateContainerError",
	"InvalidImageName", "RunContainerError", NULL
};

static int
kj_is_failfast(const char *reason)
{
	size_t i;

	for (i = 0; reason != NULL && kj_failfast[i] != NULL; i++)
		if (strcmp(reason, kj_failfast[i]) == 0)
			return 1;
	return 0;
}

/* The condition of a type, or NULL. */
static const cJSON *
kj_condition(const cJSON *status, const char *type)
{
	const cJSON *c;
	const char *t;

	cJSON_ArrayForEach(c, kj_arr(status, "conditions")) {
		if ((t = kj_str(c, "type")) != NULL && strcmp(t, type) == 0)
			return c;
	}
	return NULL;
}

static int
kj_cond_is(const cJSON *c, const char *value)
{
	const char *v = kj_str(c, "status");

	return v != NULL && strcmp(v, value) == 0;
}

/* The main container's name: the default-container annotation or the
 * first container of the spec. */
static const char *
kj_main_container(const cJSON *pod, const cJSON **spec_c)
{
	const cJSON *c;
	const char *want, *n;

	*spec_c = NULL;
	want = kj_str(kj_obj(kj_obj(pod, "metadata"), "annotations"),
	    "kubectl.kubernetes.io/default-container");
	cJSON_ArrayForEach(c, kj_arr(kj_obj(pod, "spec"), "containers")) {
		n = kj_str(c, "name");
		if (*spec_c == NULL || (want != NULL && n != NULL &&
		    strcmp(n, want) == 0))
			*spec_c = c;
	}
	return *spec_c != NULL ? kj_str(*spec_c, "name") : want;
}

static void
kj_container(const cJSON *status, const char *main_name,
    struct env_info *e, const char **waiting, const char **waiting_msg,
    const char **term_reason)
{
	const cJSON *cs, *best = NULL, *st, *t;
	const char *n;
	double d;

	cJSON_ArrayForEach(cs, kj_arr(status, "containerStatuses")) {
		n = kj_str(cs, "name");
		if (best == NULL || (main_name != NULL && n != NULL &&
		    strcmp(n, main_name) == 0))
			best = cs;
	}
	if (best == NULL)
		return;
	st = kj_obj(best, "state");
	*waiting = kj_str(kj_obj(st, "waiting"), "reason");
	*waiting_msg = kj_str(kj_obj(st, "waiting"), "message");
	/* The current termination, else the previous one. */
	if ((t = kj_obj(st, "terminated")) != NULL)
		*term_reason = kj_str(t, "reason");
	else
		t = kj_obj(kj_obj(best, "lastState"), "terminated");
	if (t != NULL) {
		kj_copy(e->last_reason, sizeof(e->last_reason),
		    kj_str(t, "reason"));
		if (kj_num(t, "exitCode", &d) && d >= -1e9 && d <= 1e9)
			e->last_exit_code = (int)d;
		e->last_finished_at = k8s_time_parse(kj_str(t, "finishedAt"));
	}
}

int
k8s_pod_info(const cJSON *pod, struct env_info *e)
{
	const cJSON *meta, *status, *labels, *sched, *ready, *spec_c;
	const char *name, *phase, *waiting = NULL, *waiting_msg = NULL;
	const char *term = NULL, *preason, *main_name, *mem;
	int64_t v;

	meta = kj_obj(pod, "metadata");
	if ((name = kj_str(meta, "name")) == NULL || name[0] == '\0')
		return DG_ERR_PARSE;
	memset(e, 0, sizeof(*e));
	e->last_exit_code = -1;
	kj_copy(e->instance, sizeof(e->instance), name);
	labels = kj_obj(meta, "labels");
	kj_copy(e->env, sizeof(e->env), kj_str(labels, K8S_LABEL_ENV));
	kj_copy(e->owner, sizeof(e->owner), kj_str(labels, K8S_LABEL_OWNER));
	status = kj_obj(pod, "status");
	e->started_at = k8s_time_parse(kj_str(status, "startTime"));
	main_name = kj_main_container(pod, &spec_c);
	mem = kj_str(kj_obj(kj_obj(spec_c, "resources"), "limits"), "memory");
	if (mem != NULL && k8s_quantity_bytes(mem, &v) == 0 && v > 0)
		e->memory_limit = v;
	kj_container(status, main_name, e, &waiting, &waiting_msg, &term);
	phase = kj_str(status, "phase");
	preason = kj_str(status, "reason");
	sched = kj_condition(status, "PodScheduled");
	ready = kj_condition(status, "Ready");
	kj_copy(e->message, sizeof(e->message), kj_str(status, "message"));

	if (kj_str(meta, "deletionTimestamp") != NULL) {
		e->phase = ENV_STOPPING;
		kj_copy(e->reason, sizeof(e->reason), "Terminating");
	} else if (phase != NULL && (strcmp(phase, "Failed") == 0 ||
	    strcmp(phase, "Succeeded") == 0)) {
		e->phase = ENV_FAILED;
		kj_copy(e->reason, sizeof(e->reason), preason != NULL ?
		    preason : term != NULL ? term : phase);
	} else if (kj_is_failfast(waiting)) {
		e->phase = ENV_FAILED;
		kj_copy(e->reason, sizeof(e->reason), waiting);
		if (waiting_msg != NULL)
			kj_copy(e->message, sizeof(e->message), waiting_msg);
	} else if (sched != NULL && kj_cond_is(sched, "False") &&
	    kj_str(sched, "reason") != NULL &&
	    strcmp(kj_str(sched, "reason"), "Unschedulable") == 0) {
		e->phase = ENV_FAILED;
		kj_copy(e->reason, sizeof(e->reason), "Unschedulable");
		kj_copy(e->message, sizeof(e->message),
		    kj_str(sched, "message"));
	} else if (phase != NULL && strcmp(phase, "Running") == 0 &&
	    kj_cond_is(ready, "True")) {
		e->phase = ENV_RUNNING;
	} else {
		e->phase = ENV_PENDING;
		kj_copy(e->reason, sizeof(e->reason), waiting != NULL ?
		    waiting : kj_str(ready, "reason") != NULL ?
		    kj_str(ready, "reason") : phase != NULL ? phase :
		    "Pending");
		if (waiting_msg != NULL)
			kj_copy(e->message, sizeof(e->message), waiting_msg);
	}
	return 0;
}

int
k8s_pod_rank(const struct env_info *e)
{
	switch (e->phase) {
	case ENV_RUNNING:
		return 4;
	case ENV_PENDING:
		return 3;
	case ENV_FAILED:
		return 2;
	case ENV_STOPPING:
		return 1;
	default:
		return 0;
	}
}

int
k8s_pod_list(const char *body, size_t len, struct env_info **itemsp,
    size_t *np, char *rv, size_t rvlen)
{
	struct env_info *items = NULL;
	const cJSON *arr, *it;
	cJSON *root;
	size_t n = 0, cap;
	int r = DG_ERR_PARSE;

	if ((root = k8s_json_parse(body, len)) == NULL ||
	    !cJSON_IsObject(root))
		goto out;
	if ((arr = kj_arr(root, "items")) == NULL &&
	    cJSON_GetObjectItemCaseSensitive(root, "items") != NULL &&
	    !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(root, "items")))
		goto out;
	cap = (size_t)cJSON_GetArraySize(arr);
	if (cap > K8S_LIST_MAX)
		cap = K8S_LIST_MAX;
	items = xcalloc(cap ? cap : 1, sizeof(*items));
	cJSON_ArrayForEach(it, arr) {
		if (n == cap)
			break;
		if (k8s_pod_info(it, &items[n]) == 0)
			n++;
	}
	if (rv != NULL && rvlen > 0)
		kj_copy(rv, rvlen, kj_str(kj_obj(root, "metadata"),
		    "resourceVersion"));
	*itemsp = items;
	*np = n;
	items = NULL;
	r = 0;
out:
	free(items);
	cJSON_Delete(root);
	return r;
}

int
k8s_pod_metrics(const char *body, size_t len, struct env_metrics *m)
{
	const cJSON *c, *usage;
	const char *s;
	cJSON *root;
	int64_t v, cpu = 0, mem = 0, win = 0;
	int r = DG_ERR_PARSE, any = 0;

	if ((root = k8s_json_parse(body, len)) == NULL ||
	    !cJSON_IsObject(root))
		goto out;
	cJSON_ArrayForEach(c, kj_arr(root, "containers")) {
		usage = kj_obj(c, "usage");
		if ((s = kj_str(usage, "cpu")) != NULL) {
			if (k8s_quantity_nanocores(s, &v) != 0 || v < 0 ||
			    v > INT64_MAX - cpu)
				goto out;
			cpu += v;
			any = 1;
		}
		if ((s = kj_str(usage, "memory")) != NULL) {
			if (k8s_quantity_bytes(s, &v) != 0 || v < 0 ||
			    v > INT64_MAX - mem)
				goto out;
			mem += v;
			any = 1;
		}
	}
	if (!any)
		goto out;
	if ((s = kj_str(root, "window")) != NULL &&
	    (k8s_duration_ms(s, &win) != 0 || win < 0 || win > INT32_MAX))
		win = 0;
	memset(m, 0, sizeof(*m));
	m->cpu_nanocores = (uint64_t)cpu;
	m->memory_bytes = (uint64_t)mem;
	m->window_ms = (int)win;
	m->timestamp = k8s_time_parse(kj_str(root, "timestamp"));
	r = 0;
out:
	cJSON_Delete(root);
	return r;
}

int
k8s_watch_event(const char *line, size_t len, enum k8s_watch_type *typep,
    cJSON **rootp, const cJSON **objectp, char *rv, size_t rvlen)
{
	static const char *const names[] = { "ADDED", "MODIFIED", "DELETED",
	    "BOOKMARK", "ERROR", NULL };
	const cJSON *obj;
	const char *t;
	cJSON *root;
	int i;

	if ((root = k8s_json_parse(line, len)) == NULL)
		return DG_ERR_PARSE;
	t = kj_str(root, "type");
	obj = kj_obj(root, "object");
	for (i = 0; t != NULL && names[i] != NULL; i++)
		if (strcmp(t, names[i]) == 0)
			break;
	if (t == NULL || names[i] == NULL || obj == NULL) {
		cJSON_Delete(root);
		return DG_ERR_PARSE;
	}
	*typep = (enum k8s_watch_type)(i + 1);
	kj_copy(rv, rvlen, kj_str(kj_obj(obj, "metadata"), "resourceVersion"));
	*rootp = root;
	*objectp = obj;
	return 0;
}

static int
kj_event_cmp(const void *a, const void *b)
{
	const struct k8s_event *x = a, *y = b;

	return x->time < y->time ? -1 : x->time > y->time;
}

int
k8s_event_list(const char *body, size_t len, struct k8s_event **evp,
    size_t *np)
{
	struct k8s_event *ev = NULL;
	const cJSON *it;
	const char *ts;
	cJSON *root;
	size_t n = 0, cap;
	double d;
	int r = DG_ERR_PARSE;

	if ((root = k8s_json_parse(body, len)) == NULL ||
	    !cJSON_IsObject(root))
		goto out;
	cap = (size_t)cJSON_GetArraySize(kj_arr(root, "items"));
	if (cap > K8S_LIST_MAX)
		cap = K8S_LIST_MAX;
	ev = xcalloc(cap ? cap : 1, sizeof(*ev));
	cJSON_ArrayForEach(it, kj_arr(root, "items")) {
		if (n == cap || !cJSON_IsObject(it))
			break;
		kj_copy(ev[n].type, sizeof(ev[n].type), kj_str(it, "type"));
		kj_copy(ev[n].reason, sizeof(ev[n].reason),
		    kj_str(it, "reason"));
		kj_copy(ev[n].message, sizeof(ev[n].message),
		    kj_str(it, "message"));
		if ((ts = kj_str(it, "lastTimestamp")) == NULL &&
		    (ts = kj_str(it, "eventTime")) == NULL)
			ts = kj_str(kj_obj(it, "metadata"),
			    "creationTimestamp");
		ev[n].time = k8s_time_parse(ts);
		ev[n].count = kj_num(it, "count", &d) && d >= 0 && d < 1e9 ?
		    (int)d : 1;
		n++;
	}
	/* Oldest first. */
	qsort(ev, n, sizeof(*ev), kj_event_cmp);
	*evp = ev;
	*np = n;
	ev = NULL;
	r = 0;
out:
	free(ev);
	cJSON_Delete(root);
	return r;
}
