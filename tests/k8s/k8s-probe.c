/* k8s-probe.c: drives the Kubernetes backend from the command line for the
 * k8s-*.sh integration tests and for measurements (throughput, memory of
 * idle streams). Not installed. */
#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "gateway/backend-k8s.h"
#include "gateway/k8s-api.h"
#include "gateway/k8s-config.h"
#include "gateway/k8s-json.h"
#include "gateway/k8s-stream.h"
#include "gateway/k8s-watch.h"
#include "tests/k8s/k8s-probe.h"

struct probe P;

static void
probe_usage(void)
{
	fprintf(stderr,
	    "usage: k8s-probe [-4] [-k kubeconfig] [-p ping_ms] [-q sendq] "
	    "CMD ...\n"
	    "  find ENV OWNER | list OWNER | start ENV OWNER FILE |\n"
	    "  stop ENV OWNER [GRACE] | metrics ENV OWNER |\n"
	    "  wait ENV OWNER PHASE SECS | events POD |\n"
	    "  watch SECS [SELECTOR] |\n"
	    "  exec [-t COLSxROWS] [-r COLSxROWS] [-n] [-s] [-c CONTAINER] POD "
	    "ARGV... |\n"
	    "  pf POD PORT | bench POD MIB | idle POD N |\n"
	    "  rot ENV OWNER GATEFILE | cancel ENV OWNER | closecb POD |\n"
	    "  freecb ENV OWNER | patch POD MERGE-PATCH-JSON\n");
	exit(2);
}

static void
probe_print_info(const struct env_info *e)
{
	printf("phase=%s env=%s owner=%s instance=%s reason=%s "
	    "last_reason=%s last_exit=%d memory_limit=%lld message=%s\n",
	    env_phase_name(e->phase), e->env, e->owner, e->instance,
	    e->reason, e->last_reason, e->last_exit_code,
	    (long long)e->memory_limit, e->message);
}

void
probe_finish(int code)
{
	P.exit_code = code;
	loop_stop(P.loop);
}

/* REST commands */

static void
probe_info_cb(void *arg, int err, const struct env_info *e)
{
	(void)arg;
	P.op = NULL;
	if (err != 0) {
		printf("error: %s\n", dg_strerror(err));
		probe_finish(err == DG_ERR_NOTFOUND ? 3 : err == DG_ERR_EXISTS ?
		    4 : 1);
		return;
	}
	probe_print_info(e);
	probe_finish(0);
}

static void
probe_list_cb(void *arg, int err, const struct env_info *e, size_t n)
{
	size_t i;

	(void)arg;
	P.op = NULL;
	if (err != 0) {
		printf("error: %s\n", dg_strerror(err));
		probe_finish(1);
		return;
	}
	for (i = 0; i < n; i++)
		probe_print_info(&e[i]);
	printf("count=%zu\n", n);
	probe_finish(0);
}

static void
probe_done_cb(void *arg, int err)
{
	(void)arg;
	P.op = NULL;
	printf("%s\n", err ? dg_strerror(err) : "ok");
	probe_finish(err ? 1 : 0);
}

static void
probe_metrics_cb(void *arg, int err, const struct env_metrics *m)
{
	(void)arg;
	P.op = NULL;
	if (err != 0) {
		printf("error: %s\n", dg_strerror(err));
		probe_finish(err == DG_ERR_AGAIN ? 5 : err == DG_ERR_NOTFOUND ?
		    3 : 1);
		return;
	}
	printf("cpu_nanocores=%llu memory_bytes=%llu window_ms=%d "
	    "timestamp=%lld\n", (unsigned long long)m->cpu_nanocores,
	    (unsigned long long)m->memory_bytes, m->window_ms,
	    (long long)m->timestamp);
	probe_finish(0);
}

static void probe_wait_again(void *);

static void
probe_wait_cb(void *arg, int err, const struct env_info *e)
{
	(void)arg;
	P.op = NULL;
	if (err == 0 && strcmp(env_phase_name(e->phase), P.want_phase) == 0) {
		probe_print_info(e);
		probe_finish(0);
		return;
	}
	if (err == DG_ERR_NOTFOUND && strcmp(P.want_phase, "absent") == 0) {
		printf("phase=absent\n");
		probe_finish(0);
		return;
	}
	if (loop_now(P.loop) > P.deadline) {
		if (err == 0)
			probe_print_info(e);
		else
			printf("error: %s\n", dg_strerror(err));
		probe_finish(1);
		return;
	}
	loop_timer_start(P.timer, 100);
}

static void
probe_wait_again(void *arg)
{
	int r;

	(void)arg;
	r = backend_find(P.b, P.env, P.owner, probe_wait_cb, NULL, &P.op);
	if (r != 0)
		probe_finish(1);
}

static void
probe_events_cb(void *arg, int err, const char *msg,
    const struct k8s_event *ev, size_t n)
{
	size_t i;

	(void)arg;
	if (err != 0) {
		printf("error: %s %s\n", dg_strerror(err), msg);
		probe_finish(1);
		return;
	}
	for (i = 0; i < n; i++)
		printf("%s %s %s\n", ev[i].type, ev[i].reason, ev[i].message);
	probe_finish(0);
}

static void
probe_patched(void *arg, int err, const char *msg, const struct env_info *e)
{
	(void)arg;
	if (err != 0) {
		printf("error: %s %s\n", dg_strerror(err), msg);
		probe_finish(1);
		return;
	}
	probe_print_info(e);
	probe_finish(0);
}

static void
probe_watch_cb(void *arg, int type, const struct env_info *e)
{
	static const char *const names[] = { "", "ADDED", "MODIFIED",
	    "DELETED" };

	(void)arg;
	if (type == K8S_WATCH_RESET)
		printf("RESET\n");
	else if (type == K8S_WATCH_SYNCED)
		printf("SYNCED\n");
	else if (type >= 1 && type <= 3)
		printf("%s %s phase=%s\n", names[type], e->instance,
		    env_phase_name(e->phase));
	fflush(stdout);
}

/* rot: find, wait for a gate file (the test rotates the token), find
 * again, then exec `true` in the pod. */
static void probe_rot_step(void *);

static void
probe_rot_exec_exit(void *arg, const struct bstream_exit *ex)
{
	(void)arg;
	printf("rot exec status=%d\n", ex->status);
	probe_finish(ex->status == 0 ? 0 : 1);
}

static void
probe_rot_exec_error(void *arg, int err, const char *reason)
{
	(void)arg;
	printf("rot exec error: %s: %s\n", dg_strerror(err), reason);
	probe_finish(1);
}

static void
probe_rot_data(void *arg, int fd, const void *buf, size_t len)
{
	(void)arg;
	(void)fd;
	(void)buf;
	(void)len;
}

static const struct bstream_cbs probe_rot_cbs = {
	.data = probe_rot_data,
	.exit = probe_rot_exec_exit,
	.error = probe_rot_exec_error,
};

static void
probe_rot_found(void *arg, int err, const struct env_info *e)
{
	static char *argv_true[] = { "true", NULL };
	struct bexec_spec spec;

	(void)arg;
	P.op = NULL;
	printf("rot find %d: %s %s\n", P.rot_round, err ? "error" : "ok",
	    err ? dg_strerror(err) : e->instance);
	fflush(stdout);
	if (err != 0) {
		probe_finish(1);
		return;
	}
	if (P.rot_round++ == 0) {
		loop_timer_start(P.timer, 50);
		return;
	}
	memset(&spec, 0, sizeof(spec));
	spec.argv = argv_true;
	if (backend_exec(P.b, e->instance, &spec, &probe_rot_cbs, NULL,
	    &P.rot_stream) != 0)
		probe_finish(1);
}

static void
probe_rot_step(void *arg)
{
	(void)arg;
	if (P.rot_round == 1 && access(P.gate, F_OK) != 0) {
		loop_timer_start(P.timer, 50);
		return;
	}
	if (backend_find(P.b, P.env, P.owner, probe_rot_found, NULL,
	    &P.op) != 0)
		probe_finish(1);
}

static void
probe_timeout(void *arg)
{
	(void)arg;
	probe_finish(P.timeout_code);
}

static char *
probe_slurp(const char *path)
{
	unsigned char *buf;
	size_t len;

	if (k8s_read_file(path, 1 << 20, &buf, &len) != 0) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(2);
	}
	return (char *)buf;
}

int
main(int argc, char **argv)
{
	struct k8s_config *cfg = NULL;
	struct k8s_stream_opts so;
	struct k8s_watch *w = NULL;
	struct rlimit rl;
	const char *kubeconfig = NULL, *cmd;
	char err[512], *spec = NULL;
	int ch, r;

	log_init("k8s-probe", getenv("PROBE_DEBUG") ? LOG_L_DEBUG2 :
	    LOG_L_INFO, LOG_FMT_TEXT, 2);
	k8s_stream_opts_default(&so);
	while ((ch = getopt(argc, argv, "+k:p:q:4")) != -1) {
		switch (ch) {
		case '4':
			so.exec_v4_only = 1;
			break;
		case 'k':
			kubeconfig = optarg;
			break;
		case 'p':
			so.ping_ms = atoi(optarg);
			break;
		case 'q':
			so.sendq_max = strtoul(optarg, NULL, 10);
			break;
		default:
			probe_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		probe_usage();
	cmd = argv[0];
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((r = k8s_config_auto(kubeconfig, &cfg, err, sizeof(err))) != 0) {
		printf("config error: %s: %s\n", dg_strerror(r), err);
		return 6;
	}
	P.loop = loop_new();
	if ((r = backend_k8s_new(P.loop, cfg, &so, &P.b, err,
	    sizeof(err))) != 0) {
		printf("backend error: %s: %s\n", dg_strerror(r), err);
		k8s_config_free(cfg);
		loop_free(P.loop);
		return 6;
	}
	P.timer = loop_timer_new(P.loop, probe_wait_again, NULL);
	P.guard = loop_timer_new(P.loop, probe_timeout, NULL);
	P.timeout_code = 124;
	loop_timer_start(P.guard, getenv("PROBE_TIMEOUT_MS") ?
	    strtoull(getenv("PROBE_TIMEOUT_MS"), NULL, 10) : 600000);
	r = 0;
	if (strcmp(cmd, "find") == 0 && argc == 3)
		r = backend_find(P.b, argv[1], argv[2], probe_info_cb, NULL,
		    &P.op);
	else if (strcmp(cmd, "list") == 0 && argc == 2)
		r = backend_list(P.b, argv[1], probe_list_cb, NULL, &P.op);
	else if (strcmp(cmd, "start") == 0 && argc == 4) {
		spec = probe_slurp(argv[3]);
		r = backend_start(P.b, argv[1], argv[2], spec, probe_info_cb,
		    NULL, &P.op);
	} else if (strcmp(cmd, "stop") == 0 && (argc == 3 || argc == 4))
		r = backend_stop(P.b, argv[1], argv[2], argc == 4 ?
		    atoi(argv[3]) : -1, probe_done_cb, NULL, &P.op);
	else if (strcmp(cmd, "metrics") == 0 && argc == 3)
		r = backend_metrics(P.b, argv[1], argv[2], probe_metrics_cb,
		    NULL, &P.op);
	else if (strcmp(cmd, "wait") == 0 && argc == 5) {
		P.env = argv[1];
		P.owner = argv[2];
		P.want_phase = argv[3];
		P.deadline = loop_now(P.loop) + 1000 *
		    strtoull(argv[4], NULL, 10);
		probe_wait_again(NULL);
	} else if (strcmp(cmd, "rot") == 0 && argc == 4) {
		P.env = argv[1];
		P.owner = argv[2];
		P.gate = argv[3];
		loop_timer_free(P.timer);
		P.timer = loop_timer_new(P.loop, probe_rot_step, NULL);
		probe_rot_step(NULL);
	} else if (strcmp(cmd, "patch") == 0 && argc == 3)
		r = k8s_api_pod_patch(backend_k8s_api(P.b), argv[1], argv[2],
		    probe_patched, NULL, NULL);
	else if (strcmp(cmd, "events") == 0 && argc == 2)
		r = k8s_api_pod_events(backend_k8s_api(P.b), argv[1],
		    probe_events_cb, NULL, NULL);
	else if (strcmp(cmd, "watch") == 0 && (argc == 2 || argc == 3)) {
		P.timeout_code = 0;
		loop_timer_start(P.guard, 1000 * strtoull(argv[1], NULL, 10));
		r = k8s_watch_new(backend_k8s_api(P.b), argc == 3 ? argv[2] :
		    K8S_LABEL_ENV, 3, probe_watch_cb, NULL, &w);
	} else if (strcmp(cmd, "cancel") == 0 || strcmp(cmd, "closecb") == 0 ||
	    strcmp(cmd, "freecb") == 0)
		r = probe_life_cmd(argc, argv);
	else if (strcmp(cmd, "exec") == 0 || strcmp(cmd, "pf") == 0 ||
	    strcmp(cmd, "bench") == 0 || strcmp(cmd, "idle") == 0)
		r = probe_stream_cmd(argc, argv);
	else
		probe_usage();
	if (r != 0) {
		printf("error: %s\n", dg_strerror(r));
		P.exit_code = 1;
	} else
		loop_run(P.loop);
	if (w != NULL)
		printf("stats lists=%u watches=%u expired=%u errors=%u "
		    "bookmarks=%u\n", k8s_watch_stats(w)->lists,
		    k8s_watch_stats(w)->watches, k8s_watch_stats(w)->expired,
		    k8s_watch_stats(w)->errors, k8s_watch_stats(w)->bookmarks);
	probe_stream_cleanup();
	probe_life_cleanup();
	bstream_close(P.rot_stream);
	k8s_watch_free(w);
	backend_op_cancel(P.b, P.op);
	backend_free(P.b);
	loop_timer_free(P.timer);
	loop_timer_free(P.guard);
	loop_run_once(P.loop, 0);
	loop_free(P.loop);
	free(spec);
	fflush(stdout);
	return P.exit_code;
}
