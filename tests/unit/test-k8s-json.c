/* test-k8s-json.c: unit tests for gateway/k8s-json.c: Pod → env_info
 * (readiness and every fail-fast reason), Status → DG_ERR_*, exec status
 * → exit code, PodMetrics, lists, watch events, events, times. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "gateway/k8s-json.h"

static struct env_info E;

static int
t_pod(const char *meta_extra, const char *spec, const char *status)
{
	char buf[8192];
	cJSON *j;
	int r;

	snprintf(buf, sizeof(buf), "{\"kind\":\"Pod\",\"metadata\":{\"name\":"
	    "\"alice-gpu\",\"labels\":{\"devgate.dev/env\":\"gpu\","
	    "\"devgate.dev/owner\":\"alice\"}%s},\"spec\":%s,\"status\":%s}",
	    meta_extra, spec, status);
	assert_non_null(j = k8s_json_parse(buf, strlen(buf)));
	r = k8s_pod_info(j, &E);
	cJSON_Delete(j);
	return r;
}

#define SPEC "{\"containers\":[{\"name\":\"main\",\"image\":\"x\"," \
	"\"resources\":{\"limits\":{\"memory\":\"64Gi\"}}}]}"
#define READY_CONDS "\"conditions\":[{\"type\":\"PodScheduled\"," \
	"\"status\":\"True\"},{\"type\":\"Ready\",\"status\":\"True\"}]"

static void
t_running(void **state)
{
	(void)state;
	assert_int_equal(t_pod("", SPEC, "{\"phase\":\"Running\","
	    "\"startTime\":\"2025-06-01T10:00:03Z\"," READY_CONDS ","
	    "\"containerStatuses\":[{\"name\":\"main\",\"ready\":true,"
	    "\"state\":{\"running\":{\"startedAt\":\"2025-06-01T10:00:03Z\"}"
	    "}}]}"), 0);
	assert_int_equal(E.phase, ENV_RUNNING);
	assert_string_equal(E.env, "gpu");
	assert_string_equal(E.owner, "alice");
	assert_string_equal(E.instance, "alice-gpu");
	assert_int_equal(E.started_at, 1748772003);
	assert_int_equal(E.memory_limit, 68719476736LL);
	assert_int_equal(E.last_exit_code, -1);
	assert_string_equal(E.reason, "");
	/* Running but not Ready: pending. */
	assert_int_equal(t_pod("", SPEC, "{\"phase\":\"Running\","
	    "\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\","
	    "\"reason\":\"ContainersNotReady\"}]}"), 0);
	assert_int_equal(E.phase, ENV_PENDING);
	assert_string_equal(E.reason, "ContainersNotReady");
	/* Pending, creating. */
	assert_int_equal(t_pod("", SPEC, "{\"phase\":\"Pending\","
	    "\"containerStatuses\":[{\"name\":\"main\",\"state\":{\"waiting\":"
	    "{\"reason\":\"ContainerCreating\"}}}]}"), 0);
	assert_int_equal(E.phase, ENV_PENDING);
	assert_string_equal(E.reason, "ContainerCreating");
	/* No status at all. */
	assert_int_equal(t_pod("", "{}", "{}"), 0);
	assert_int_equal(E.phase, ENV_PENDING);
	assert_string_equal(E.reason, "Pending");
	assert_int_equal(E.memory_limit, 0);
	/* Terminating. */
	assert_int_equal(t_pod(",\"deletionTimestamp\":\"2025-06-01T10:00:"
	    "03Z\"", SPEC, "{\"phase\":\"Running\"," READY_CONDS "}"), 0);
	assert_int_equal(E.phase, ENV_STOPPING);
}

static void
t_failfast(void **state)
{
	const char *reasons[] = { "ErrImagePull", "ImagePullBackOff",
	    "CrashLoopBackOff", "CreateContainerConfigError",
	    "InvalidImageName", NULL };
	char st[1024];
	int i;

	(void)state;
	for (i = 0; reasons[i] != NULL; i++) {
		snprintf(st, sizeof(st), "{\"phase\":\"Pending\","
		    "\"containerStatuses\":[{\"name\":\"main\",\"state\":"
		    "{\"waiting\":{\"reason\":\"%s\",\"message\":\"why %d\"}},"
		    "\"lastState\":{\"terminated\":{\"reason\":\"OOMKilled\","
		    "\"exitCode\":137,\"finishedAt\":\"2025-06-01T10:05:00Z\"}}"
		    "}]}", reasons[i], i);
		assert_int_equal(t_pod("", SPEC, st), 0);
		assert_int_equal(E.phase, ENV_FAILED);
		assert_string_equal(E.reason, reasons[i]);
		assert_string_equal(E.last_reason, "OOMKilled");
		assert_int_equal(E.last_exit_code, 137);
		assert_int_equal(E.last_finished_at, 1748772300);
		assert_non_null(strstr(E.message, "why"));
	}
	/* Unschedulable. */
	assert_int_equal(t_pod("", SPEC, "{\"phase\":\"Pending\","
	    "\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"False\","
	    "\"reason\":\"Unschedulable\",\"message\":\"0/4 nodes are "
	    "available: 4 Insufficient nvidia.com/gpu.\"}]}"), 0);
	assert_int_equal(E.phase, ENV_FAILED);
	assert_string_equal(E.reason, "Unschedulable");
	assert_non_null(strstr(E.message, "Insufficient nvidia.com/gpu"));
	/* OOMKilled main container, restartPolicy Never: phase Failed. */
	assert_int_equal(t_pod("", SPEC, "{\"phase\":\"Failed\","
	    "\"containerStatuses\":[{\"name\":\"main\",\"state\":"
	    "{\"terminated\":{\"reason\":\"OOMKilled\",\"exitCode\":137,"
	    "\"finishedAt\":\"2025-06-01T10:05:00Z\"}}}]}"), 0);
	assert_int_equal(E.phase, ENV_FAILED);
	assert_string_equal(E.reason, "OOMKilled");
	assert_string_equal(E.last_reason, "OOMKilled");
	assert_int_equal(E.last_exit_code, 137);
	/* Evicted: the pod's reason wins. */
	assert_int_equal(t_pod("", SPEC, "{\"phase\":\"Failed\",\"reason\":"
	    "\"Evicted\",\"message\":\"The node was low on resource: "
	    "memory.\"}"), 0);
	assert_int_equal(E.phase, ENV_FAILED);
	assert_string_equal(E.reason, "Evicted");
	assert_non_null(strstr(E.message, "low on resource"));
	/* Succeeded is an ended environment too. */
	assert_int_equal(t_pod("", SPEC, "{\"phase\":\"Succeeded\","
	    "\"containerStatuses\":[{\"name\":\"main\",\"state\":"
	    "{\"terminated\":{\"reason\":\"Completed\",\"exitCode\":0}}}]}"),
	    0);
	assert_int_equal(E.phase, ENV_FAILED);
	assert_string_equal(E.reason, "Completed");
	assert_int_equal(E.last_exit_code, 0);
}

static void
t_main_container(void **state)
{
	(void)state;
	/* The default-container annotation picks the second container. */
	assert_int_equal(t_pod(",\"annotations\":{\"kubectl.kubernetes.io/"
	    "default-container\":\"work\"}", "{\"containers\":[{\"name\":"
	    "\"sidecar\",\"resources\":{\"limits\":{\"memory\":\"1Gi\"}}},"
	    "{\"name\":\"work\",\"resources\":{\"limits\":{\"memory\":"
	    "\"2Gi\"}}}]}", "{\"phase\":\"Running\",\"containerStatuses\":["
	    "{\"name\":\"sidecar\",\"state\":{\"running\":{}}},{\"name\":"
	    "\"work\",\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\""
	    "}}}]}"), 0);
	assert_int_equal(E.memory_limit, 2147483648LL);
	assert_string_equal(E.reason, "CrashLoopBackOff");
}

static void
t_not_a_pod(void **state)
{
	cJSON *j;

	(void)state;
	j = k8s_json_parse("{\"metadata\":{\"name\":5},\"status\":[]}", 37);
	assert_non_null(j);
	assert_int_equal(k8s_pod_info(j, &E), DG_ERR_PARSE);
	cJSON_Delete(j);
	/* Wrong types everywhere are ignored. */
	assert_int_equal(t_pod(",\"deletionTimestamp\":7", "[]",
	    "{\"phase\":1,\"conditions\":{},\"containerStatuses\":[1,\"x\","
	    "{\"state\":[]}]}"), 0);
	assert_int_equal(E.phase, ENV_PENDING);
	assert_null(k8s_json_parse("{", 1));
	assert_null(k8s_json_parse(NULL, 0));
}

static void
t_status_errors(void **state)
{
	char msg[256];
	long ra = -1;
	const char *exists = "{\"kind\":\"Status\",\"status\":\"Failure\","
	    "\"message\":\"pods \\\"ws-alice\\\" already exists\",\"reason\":"
	    "\"AlreadyExists\",\"code\":409}";
	const char *busy = "{\"kind\":\"Status\",\"reason\":\"TooManyRequests\""
	    ",\"message\":\"slow down\",\"details\":{\"retryAfterSeconds\":7}}";

	(void)state;
	assert_int_equal(k8s_status_error(409, exists, strlen(exists), msg,
	    sizeof(msg), &ra), DG_ERR_EXISTS);
	assert_string_equal(msg, "409 pods \"ws-alice\" already exists");
	assert_int_equal(k8s_status_error(409, "{\"reason\":\"Conflict\"}", 21,
	    msg, sizeof(msg), NULL), DG_ERR_CONFLICT);
	assert_int_equal(k8s_status_error(401, "", 0, msg, sizeof(msg), NULL),
	    DG_ERR_AUTH);
	assert_string_equal(msg, "HTTP 401");
	assert_int_equal(k8s_status_error(403, "x", 1, NULL, 0, NULL),
	    DG_ERR_DENIED);
	assert_int_equal(k8s_status_error(404, NULL, 0, NULL, 0, NULL),
	    DG_ERR_NOTFOUND);
	assert_int_equal(k8s_status_error(410, NULL, 0, NULL, 0, NULL),
	    DG_ERR_GONE);
	assert_int_equal(k8s_status_error(400, NULL, 0, NULL, 0, NULL),
	    DG_ERR_INVAL);
	assert_int_equal(k8s_status_error(422, NULL, 0, NULL, 0, NULL),
	    DG_ERR_INVAL);
	assert_int_equal(k8s_status_error(429, busy, strlen(busy), msg,
	    sizeof(msg), &ra), DG_ERR_UNAVAIL);
	assert_int_equal(ra, 7);
	assert_int_equal(k8s_status_error(500, NULL, 0, NULL, 0, NULL),
	    DG_ERR_UNAVAIL);
	assert_int_equal(k8s_status_error(503, NULL, 0, NULL, 0, NULL),
	    DG_ERR_UNAVAIL);
	assert_int_equal(k8s_status_error(504, NULL, 0, NULL, 0, NULL),
	    DG_ERR_TIMEOUT);
	assert_int_equal(k8s_status_error(302, NULL, 0, NULL, 0, NULL),
	    DG_ERR_PROTO);
	assert_int_equal(k8s_status_error(201, NULL, 0, NULL, 0, NULL), 0);
}

static void
t_exec_status(void **state)
{
	const char *ok = "{\"metadata\":{},\"status\":\"Success\"}";
	const char *nz = "{\"metadata\":{},\"status\":\"Failure\",\"message\":"
	    "\"command terminated with non-zero exit code: ...\",\"reason\":"
	    "\"NonZeroExitCode\",\"details\":{\"causes\":[{\"reason\":"
	    "\"ExitCode\",\"message\":\"42\"}]}}";
	const char *nz2 = "{\"status\":\"Failure\",\"reason\":"
	    "\"NonZeroExitCode\",\"details\":{\"causes\":[{\"message\":\"x\"},"
	    "{\"reason\":\"ExitCode\",\"message\":\"7\"}]}}";
	const char *bad = "{\"status\":\"Failure\",\"reason\":"
	    "\"NonZeroExitCode\",\"details\":{\"causes\":[{\"reason\":"
	    "\"ExitCode\",\"message\":\"300\"}]}}";
	const char *ie = "{\"metadata\":{},\"status\":\"Failure\",\"message\":"
	    "\"Internal error occurred: error executing command in container: "
	    "not found\",\"reason\":\"InternalError\",\"details\":{\"causes\":"
	    "[{\"message\":\"error executing command\"}]},\"code\":500}";
	char msg[256];
	int code = 99;

	(void)state;
	assert_int_equal(k8s_exec_status(ok, strlen(ok), &code, msg,
	    sizeof(msg)), 0);
	assert_int_equal(code, 0);
	assert_int_equal(k8s_exec_status(nz, strlen(nz), &code, msg,
	    sizeof(msg)), 0);
	assert_int_equal(code, 42);
	assert_int_equal(k8s_exec_status(nz2, strlen(nz2), &code, msg,
	    sizeof(msg)), 0);
	assert_int_equal(code, 7);
	assert_int_equal(k8s_exec_status(bad, strlen(bad), &code, msg,
	    sizeof(msg)), 0);
	assert_int_equal(code, -1);
	assert_int_equal(k8s_exec_status(ie, strlen(ie), &code, msg,
	    sizeof(msg)), 0);
	assert_int_equal(code, -1);
	assert_non_null(strstr(msg, "Internal error occurred"));
	assert_int_equal(k8s_exec_status("oops", 4, &code, msg, sizeof(msg)),
	    DG_ERR_PARSE);
	assert_int_equal(k8s_exec_status("{}", 2, &code, msg, sizeof(msg)),
	    DG_ERR_PARSE);
}

static void
t_metrics(void **state)
{
	const char *m = "{\"kind\":\"PodMetrics\",\"timestamp\":"
	    "\"2025-06-01T10:05:00Z\",\"window\":\"15.031s\",\"containers\":"
	    "[{\"name\":\"main\",\"usage\":{\"cpu\":\"1534210n\",\"memory\":"
	    "\"524288Ki\"}},{\"name\":\"side\",\"usage\":{\"cpu\":\"5m\","
	    "\"memory\":\"12345678\"}}]}";
	struct env_metrics em;

	(void)state;
	assert_int_equal(k8s_pod_metrics(m, strlen(m), &em), 0);
	assert_int_equal(em.cpu_nanocores, 1534210 + 5000000);
	assert_int_equal(em.memory_bytes, 536870912 + 12345678);
	assert_int_equal(em.window_ms, 15031);
	assert_int_equal(em.timestamp, 1748772300);
	assert_int_equal(k8s_pod_metrics("{\"containers\":[]}", 17, &em),
	    DG_ERR_PARSE);
	assert_int_equal(k8s_pod_metrics("{\"containers\":[{\"usage\":{\"cpu\":"
	    "\"lots\"}}]}", 40, &em), DG_ERR_PARSE);
}

static void
t_lists(void **state)
{
	const char *l = "{\"kind\":\"PodList\",\"metadata\":"
	    "{\"resourceVersion\":\"12746\"},\"items\":[{\"metadata\":"
	    "{\"name\":\"a\"}},{\"metadata\""
	    ":{}},{\"metadata\":{\"name\":\"b\"},\"status\":{\"phase\":"
	    "\"Failed\"}}]}";
	struct env_info *items;
	struct k8s_event *ev;
	char rv[32];
	size_t n;
	const char *el = "{\"items\":[{\"type\":\"Warning\",\"reason\":"
	    "\"Failed\","
	    "\"message\":\"pull\",\"lastTimestamp\":\"2025-06-01T10:00:09Z\","
	    "\"count\":3},{\"type\":\"Normal\",\"reason\":\"Scheduled\","
	    "\"eventTime\":\"2025-06-01T10:00:01.123456Z\"}]}";

	(void)state;
	assert_int_equal(k8s_pod_list(l, strlen(l), &items, &n, rv,
	    sizeof(rv)), 0);
	assert_int_equal(n, 2);
	assert_string_equal(items[0].instance, "a");
	assert_int_equal(items[1].phase, ENV_FAILED);
	assert_string_equal(rv, "12746");
	assert_true(k8s_pod_rank(&items[0]) > k8s_pod_rank(&items[1]));
	free(items);
	assert_int_equal(k8s_pod_list("{\"items\":null}", 14, &items, &n, rv,
	    sizeof(rv)), 0);
	assert_int_equal(n, 0);
	free(items);
	assert_int_equal(k8s_pod_list("[]", 2, &items, &n, rv, sizeof(rv)),
	    DG_ERR_PARSE);
	assert_int_equal(k8s_event_list(el, strlen(el), &ev, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(ev[0].reason, "Scheduled");
	assert_int_equal(ev[0].count, 1);
	assert_string_equal(ev[1].reason, "Failed");
	assert_int_equal(ev[1].count, 3);
	free(ev);
}

static void
t_watch_events(void **state)
{
	const char *add = "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\","
	    "\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"17\"}}}";
	const char *bm = "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\","
	    "\"metadata\":{\"resourceVersion\":\"12746\"}}}";
	const char *er = "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\","
	    "\"status\":\"Failure\",\"message\":\"too old resource version: "
	    "1200 (1500)\",\"reason\":\"Expired\",\"code\":410}}";
	enum k8s_watch_type t;
	const cJSON *obj;
	cJSON *root;
	char rv[32];

	(void)state;
	assert_int_equal(k8s_watch_event(add, strlen(add), &t, &root, &obj, rv,
	    sizeof(rv)), 0);
	assert_int_equal(t, K8S_WATCH_ADDED);
	assert_string_equal(rv, "17");
	assert_int_equal(k8s_pod_info(obj, &E), 0);
	cJSON_Delete(root);
	assert_int_equal(k8s_watch_event(bm, strlen(bm), &t, &root, &obj, rv,
	    sizeof(rv)), 0);
	assert_int_equal(t, K8S_WATCH_BOOKMARK);
	assert_string_equal(rv, "12746");
	cJSON_Delete(root);
	assert_int_equal(k8s_watch_event(er, strlen(er), &t, &root, &obj, rv,
	    sizeof(rv)), 0);
	assert_int_equal(t, K8S_WATCH_ERROR);
	assert_string_equal(k8s_status_reason(obj), "Expired");
	cJSON_Delete(root);
	assert_int_equal(k8s_watch_event("{\"type\":\"ADDED\"}", 16, &t,
	    &root, &obj, rv, sizeof(rv)), DG_ERR_PARSE);
	assert_int_equal(k8s_watch_event("{\"type\":\"RENAMED\",\"object\":{}}",
	    30, &t, &root, &obj, rv, sizeof(rv)), DG_ERR_PARSE);
}

static void
t_times(void **state)
{
	(void)state;
	assert_int_equal(k8s_time_parse("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(k8s_time_parse("2025-06-01T10:00:03Z"), 1748772003);
	assert_int_equal(k8s_time_parse("2025-06-01T10:00:03.999999Z"),
	    1748772003);
	assert_int_equal(k8s_time_parse("2025-06-01T12:00:03+02:00"),
	    1748772003);
	assert_int_equal(k8s_time_parse("2025-06-01T10:00:03"), 0);
	assert_int_equal(k8s_time_parse("yesterday"), 0);
	assert_int_equal(k8s_time_parse(NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_running),
		cmocka_unit_test(t_failfast),
		cmocka_unit_test(t_main_container),
		cmocka_unit_test(t_not_a_pod),
		cmocka_unit_test(t_status_errors),
		cmocka_unit_test(t_exec_status),
		cmocka_unit_test(t_metrics),
		cmocka_unit_test(t_lists),
		cmocka_unit_test(t_watch_events),
		cmocka_unit_test(t_times),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
