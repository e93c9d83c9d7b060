/* fuzz-kubeconfig.c: fuzz target for the kubeconfig parser (libyaml
 * document, contexts, clusters, users, server URL, base64 data). File
 * references resolve below a directory that does not exist. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/k8s-config.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct k8s_config *c = NULL;
	char err[256];

	if (k8s_config_parse((const char *)data, len, "/nonexistent-fuzz-dir",
	    NULL, &c, err, sizeof(err)) == 0) {
		if (c->server == NULL || c->host == NULL ||
		    c->namespace == NULL || c->port == 0)
			abort();
		k8s_config_free(c);
	}
	return 0;
}
