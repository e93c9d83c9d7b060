/* fuzz-route-user.c: fuzz target for the SSH user name parser
 * (alice+gpu, alice+=env) and the routing decision and refusal text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/route.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct route_user u;
	struct route_input in;
	struct route_result res;
	const char *cands[2] = { "alice-dev", "bob-x" };
	char *text, line[256];
	int r;

	if ((text = malloc(len + 1)) == NULL)
		return 0;
	memcpy(text, data, len);
	text[len] = '\0';
	r = route_parse_user(text, &u);
	route_refusal(r, r == 0 ? &u : NULL, text, line, sizeof(line));
	if (r == 0) {
		if (!servconf_valid_user(u.login) ||
		    (u.env[0] != '\0' && !servconf_valid_env(u.env)))
			abort();
		memset(&in, 0, sizeof(in));
		in.user = &u;
		in.candidates = cands;
		in.ncandidates = len % 3;
		if (route_decide(&in, &res) == 0 &&
		    !servconf_valid_env(res.env))
			abort();
	}
	free(text);
	return 0;
}
