/* dns-quantity.h: Kubernetes resource quantities ("500m", "1.5",
 * "64Gi", "1e3") as the registry schema accepts them. Pure. */
#ifndef DG_DNS_QUANTITY_H
#define DG_DNS_QUANTITY_H

#include <stdint.h>

/* The value in thousandths of its unit (CPU: millicores; bytes: times
 * 1000). DG_ERR_PARSE; DG_ERR_RANGE for negative or too large values or
 * precision finer than one thousandth. */
int	 dns_quantity_parse(const char *, int64_t *millip);

#endif
