/* fuzz-k8s-pod.c: fuzz target for gateway/k8s-json.c: the same bytes are
 * decoded as a Pod, a PodList, a Status error, an exec status, PodMetrics,
 * a watch event and an EventList. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "gateway/k8s-json.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *s = (const char *)data;
	struct env_info info, *items = NULL;
	struct env_metrics m;
	struct k8s_event *ev = NULL;
	enum k8s_watch_type type;
	const cJSON *obj;
	cJSON *root;
	char msg[128], rv[64];
	size_t n;
	long ra = -1;
	int code;

	if ((root = k8s_json_parse(s, len)) != NULL) {
		if (k8s_pod_info(root, &info) == 0 &&
		    (strlen(info.instance) == 0 || k8s_pod_rank(&info) == 0))
			abort();
		cJSON_Delete(root);
	}
	if (k8s_pod_list(s, len, &items, &n, rv, sizeof(rv)) == 0)
		free(items);
	(void)k8s_status_error(409, s, len, msg, sizeof(msg), &ra);
	if (k8s_exec_status(s, len, &code, msg, sizeof(msg)) == 0 &&
	    (code < -1 || code > 255))
		abort();
	(void)k8s_pod_metrics(s, len, &m);
	if (k8s_watch_event(s, len, &type, &root, &obj, rv, sizeof(rv)) == 0) {
		(void)k8s_pod_info(obj, &info);
		(void)k8s_status_reason(obj);
		cJSON_Delete(root);
	}
	if (k8s_event_list(s, len, &ev, &n) == 0)
		free(ev);
	return 0;
}
