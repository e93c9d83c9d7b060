/* fuzz-k8s-quantity.c: fuzz target for quantities and Go durations: no
 * crash, no overflow (UBSan), and a parsed value keeps its sign. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/k8s-quantity.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char buf[K8S_QTY_MAX_LEN + 2];
	int64_t v, w;

	if (len > sizeof(buf) - 1)
		len = sizeof(buf) - 1;
	memcpy(buf, data, len);
	buf[len] = '\0';
	if (k8s_quantity_nanocores(buf, &v) == 0 &&
	    k8s_quantity_bytes(buf, &w) == 0 &&
	    ((v < 0) != (w < 0) && v != 0 && w != 0))
		abort();
	(void)k8s_quantity_parse(buf, -3, &v);
	(void)k8s_duration_ms(buf, &v);
	return 0;
}
