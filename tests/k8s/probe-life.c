/* probe-life.c: k8s-probe commands that check the ownership rules of the
 * backend interface under the sanitizers: cancelled requests never call
 * back, a stream closed inside its own callback, the backend freed inside
 * a request callback. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/loop.h"
#include "gateway/backend.h"
#include "tests/k8s/k8s-probe.h"

static int life_calls;		/* callbacks that must not happen */
static int life_done_op[5];	/* request i called back */
static int life_cancelled[5];	/* request i was cancelled */

static void
life_called(void *arg)
{
	int i = (int)(intptr_t)arg;

	life_done_op[i] = 1;
	if (life_cancelled[i])
		life_calls++;
}
static struct bstream *life_s;
static struct loop_timer *life_t;

static void
life_info(void *arg, int err, const struct env_info *e)
{
	(void)err;
	(void)e;
	life_called(arg);
}

static void
life_list(void *arg, int err, const struct env_info *e, size_t n)
{
	(void)err;
	(void)e;
	(void)n;
	life_called(arg);
}

static void
life_done(void *arg, int err)
{
	(void)err;
	life_called(arg);
}

static void
life_metrics(void *arg, int err, const struct env_metrics *m)
{
	(void)err;
	(void)m;
	life_called(arg);
}

static void
life_end(void *arg)
{
	(void)arg;
	printf("unexpected callbacks=%d\n", life_calls);
	probe_finish(life_calls == 0 ? 0 : 1);
}

/* cancel ENV OWNER: start every kind of request; cancel two at once and
 * the others after a few loop turns unless they already answered; no
 * cancelled request may call back. */
static int
life_cancel(const char *env, const char *owner)
{
	struct backend_op *ops[5];
	int r, i;

	if ((r = backend_find(P.b, env, owner, life_info, (void *)0,
	    &ops[0])) ||
	    (r = backend_list(P.b, owner, life_list, (void *)1, &ops[1])) ||
	    (r = backend_metrics(P.b, env, owner, life_metrics, (void *)2,
	    &ops[2])) ||
	    (r = backend_stop(P.b, "no-such-env", owner, 1, life_done,
	    (void *)3, &ops[3])) ||
	    (r = backend_start(P.b, env, owner, "{\"kind\":\"Pod\","
	    "\"metadata\":{\"name\":\"never\"}}", life_info, (void *)4,
	    &ops[4])))
		return r;
	life_cancelled[0] = life_cancelled[4] = 1;
	backend_op_cancel(P.b, ops[0]);
	backend_op_cancel(P.b, ops[4]);
	/* Let the others get on the wire first. */
	for (i = 0; i < 3; i++)
		loop_run_once(P.loop, 2);
	for (i = 1; i <= 3; i++)
		if (!life_done_op[i]) {
			life_cancelled[i] = 1;
			backend_op_cancel(P.b, ops[i]);
		}
	printf("cancelled in flight: %d %d %d\n", life_cancelled[1],
	    life_cancelled[2], life_cancelled[3]);
	loop_timer_start(life_t, 1500);
	return 0;
}

static void
life_data(void *arg, int fd, const void *buf, size_t len)
{
	(void)arg;
	(void)fd;
	(void)buf;
	(void)len;
	/* Close from inside the callback: nothing may follow. */
	bstream_close(life_s);
	life_s = NULL;
	loop_timer_start(life_t, 500);
}

static void
life_exit(void *arg, const struct bstream_exit *ex)
{
	(void)arg;
	(void)ex;
	life_calls++;
}

static void
life_error(void *arg, int err, const char *reason)
{
	(void)arg;
	fprintf(stderr, "stream error: %s: %s\n", dg_strerror(err), reason);
	life_calls++;
}

static const struct bstream_cbs life_cbs = {
	.data = life_data,
	.exit = life_exit,
	.error = life_error,
};

/* closecb POD: `yes` floods stdout; the first data() closes the stream. */
static int
life_closecb(const char *pod)
{
	static char *argv_yes[] = { "yes", NULL };
	struct bexec_spec spec;

	memset(&spec, 0, sizeof(spec));
	spec.argv = argv_yes;
	return backend_exec(P.b, pod, &spec, &life_cbs, NULL, &life_s);
}

static void
life_free_in_cb(void *arg, int err, const struct env_info *e)
{
	(void)arg;
	(void)e;
	printf("find: %s; freeing the backend inside the callback\n",
	    err ? dg_strerror(err) : "ok");
	backend_free(P.b);
	P.b = NULL;
	loop_timer_start(life_t, 300);
}

int
probe_life_cmd(int argc, char **argv)
{
	life_t = loop_timer_new(P.loop, life_end, NULL);
	if (strcmp(argv[0], "cancel") == 0 && argc == 3)
		return life_cancel(argv[1], argv[2]);
	if (strcmp(argv[0], "closecb") == 0 && argc == 2)
		return life_closecb(argv[1]);
	if (strcmp(argv[0], "freecb") == 0 && argc == 3)
		return backend_find(P.b, argv[1], argv[2], life_free_in_cb,
		    NULL, &P.op) == 0 ? (P.op = NULL, 0) : DG_ERR_INTERNAL;
	return DG_ERR_INVAL;
}

void
probe_life_cleanup(void)
{
	bstream_close(life_s);
	loop_timer_free(life_t);
}
