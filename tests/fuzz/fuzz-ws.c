/* fuzz-ws.c: fuzz target for gateway/ws.c: the first byte picks a mode;
 * the rest is a server byte stream fed to the frame parser in chunks of
 * varying size (checking that data slices stay inside the input and that
 * the parser's limit holds), or an HTTP response head for the upgrade
 * parser and validator. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/ws.h"
#include "tests/fuzz/fuzz.h"

static void
fz_frames(const uint8_t *data, size_t len)
{
	struct ws_rx rx;
	struct ws_ev ev;
	size_t pos = 0, step, n, k;
	uint64_t msg = 0;
	uint8_t seed;
	ssize_t r;

	if (len < 1)
		return;
	seed = data[0];
	data++;
	len--;
	ws_rx_init(&rx, 4096);
	while (pos < len) {
		step = (size_t)(seed % 17) + 1;
		seed = (uint8_t)(seed * 31 + 7);
		n = len - pos < step ? len - pos : step;
		k = 0;
		for (;;) {
			r = ws_rx_parse(&rx, data + pos + k, n - k, &ev);
			if (r < 0)
				return;
			if ((size_t)r > n - k)
				abort();
			if (ev.type == WS_EV_DATA) {
				if (ev.data < data + pos + k ||
				    ev.data + ev.len > data + pos + n)
					abort();
				if (ev.msg_start)
					msg = 0;
				msg += ev.len;
				if (msg > 4096)
					abort();
			} else if (ev.type != WS_EV_NONE &&
			    ev.len > WS_CTRL_MAX)
				abort();
			k += (size_t)r;
			if (ev.type == WS_EV_NONE)
				break;
			if (ev.type == WS_EV_CLOSE)
				return;
		}
		pos += n;
	}
}

static void
fz_response(const uint8_t *data, size_t len)
{
	struct ws_resp resp;
	const char *why;
	char *text;

	if ((text = malloc(len + 1)) == NULL)
		return;
	memcpy(text, data, len);
	text[len] = '\0';
	if (ws_response_parse(text, len, 16384, &resp) == 0) {
		if (resp.header_len > len)
			abort();
		(void)ws_response_check(text, &resp,
		    "dGhlIHNhbXBsZSBub25jZQ==",
		    "v5.channel.k8s.io, v4.channel.k8s.io", &why);
	}
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (len < 1)
		return 0;
	if (data[0] & 1)
		fz_frames(data + 1, len - 1);
	else
		fz_response(data + 1, len - 1);
	return 0;
}
