/* k8s-quantity.h: Kubernetes resource quantities ("500m", "1.5Gi", "129e6")
 * converted to integers in a chosen unit (pure). */
#ifndef DG_K8S_QUANTITY_H
#define DG_K8S_QUANTITY_H

#include <stdint.h>

#define K8S_QTY_MAX_LEN	64	/* longer text is refused */

/*
 * Parse s and return its value in units of 10^scale (scale 0: bytes or
 * plain units; scale -9: nano, so CPU in nanocores). A remainder below
 * the unit rounds up (away from zero). 0, DG_ERR_PARSE for bad syntax or
 * DG_ERR_RANGE past 2^63-1 units.
 */
int	 k8s_quantity_parse(const char *s, int scale, int64_t *out);
/* Shorthands: CPU in nanocores, memory in bytes. */
int	 k8s_quantity_nanocores(const char *s, int64_t *out);
int	 k8s_quantity_bytes(const char *s, int64_t *out);
/* A Go duration ("15s", "15.031s", "1m0s", "500ms") in milliseconds,
 * rounded up; DG_ERR_PARSE or DG_ERR_RANGE. */
int	 k8s_duration_ms(const char *s, int64_t *out);

#endif
