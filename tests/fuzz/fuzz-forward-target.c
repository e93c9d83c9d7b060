/* fuzz-forward-target.c: fuzz target for the direct-tcpip target check
 * (gateway/chan-forward.c): input is "HOST\nENV\nZONE"; an accepted host
 * must be a loopback address or, without its trailing dot, localhost, ENV
 * or ENV.ZONE (case-insensitive). */
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/channel.h"
#include "tests/fuzz/fuzz.h"

static int
fz_loopback(const char *h)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, h, a) == 1)
		return a[0] == 127 && a[1] == 0 && a[2] == 0 && a[3] == 1;
	if (inet_pton(AF_INET6, h, a) == 1)
		return memcmp(a, &in6addr_loopback, 16) == 0;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *text, *host, *env, *zone = NULL, *nl, *full;
	size_t hl;
	int ok, want;

	if ((text = malloc(len + 1)) == NULL)
		return 0;
	memcpy(text, data, len);
	text[len] = '\0';
	host = text;
	env = "alice-gpu";
	if ((nl = strchr(host, '\n')) != NULL) {
		*nl = '\0';
		env = nl + 1;
		if ((nl = strchr(env, '\n')) != NULL) {
			*nl = '\0';
			zone = nl + 1;
		}
	}
	ok = chan_forward_target_ok(host, env, zone);
	if (ok != 0 && ok != 1)
		abort();
	if (ok) {
		hl = strlen(host);
		if (hl > 0 && host[hl - 1] == '.')
			host[--hl] = '\0';
		want = fz_loopback(host) || strcasecmp(host, "localhost") == 0 ||
		    strcasecmp(host, env) == 0;
		if (!want && zone != NULL && *zone != '\0' &&
		    (full = malloc(strlen(env) + strlen(zone) + 2)) != NULL) {
			strcpy(full, env);
			strcat(full, ".");
			strcat(full, zone);
			want = strcasecmp(host, full) == 0;
			free(full);
		}
		if (!want || *env == '\0')
			abort();
	}
	free(text);
	return 0;
}
