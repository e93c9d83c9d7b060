/* fuzz-execwrap-filter.c: fuzz target for the pid marker filter: any
 * output, cut anywhere, must come out unchanged except for one leading
 * marker line. The first byte picks the chunk size. */
#include <stdlib.h>
#include <string.h>

#include "gateway/execwrap.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct execwrap_filter f;
	struct iovec seg[2];
	size_t chunk, off, c, o = 0;
	unsigned char *out;
	int i, n;

	if (len < 1)
		return 0;
	chunk = (size_t)data[0] % 17 + 1;
	data++;
	len--;
	if ((out = malloc(len + 1)) == NULL)
		return 0;
	execwrap_filter_init(&f);
	for (off = 0; off < len; off += c) {
		c = len - off < chunk ? len - off : chunk;
		n = execwrap_filter_feed(&f, data + off, c, seg);
		for (i = 0; i < n; i++) {
			if (o + seg[i].iov_len > len)
				abort();
			memcpy(out + o, seg[i].iov_base, seg[i].iov_len);
			o += seg[i].iov_len;
		}
	}
	if (execwrap_filter_flush(&f, seg) == 1) {
		memcpy(out + o, seg[0].iov_base, seg[0].iov_len);
		o += seg[0].iov_len;
	}
	/* Output is the input's tail: only a prefix may go. */
	if (o > len || memcmp(out, data + (len - o), o) != 0)
		abort();
	if ((f.pid > 0) != (o < len))
		abort();
	free(out);
	return 0;
}
