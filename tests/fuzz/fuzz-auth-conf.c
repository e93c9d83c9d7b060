/* fuzz-auth-conf.c: fuzz target for the auth config keywords and Match
 * criteria (auth/auth-conf.c, auth/auth-match.c, auth/auth-methods.c):
 * load, defaults, -T dump, per-connection config, method sequencing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "common/conf.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const struct conf_table *tables[] = { &auth_conf_table };
	const char *groups[] = { "dev", "ops" };
	struct auth_match_ctx m = { "alice", groups, 2, "10.1.2.3",
	    "127.0.0.7", 2222, "alice-gpu" };
	struct auth_config a, copy;
	void *areas[] = { &a }, *copies[] = { &copy };
	struct auth_methods *am;
	struct conf c;
	char err[256], next[128], *text;
	FILE *devnull;

	if (len > 64 * 1024 || (text = malloc(len + 1)) == NULL)
		return 0;
	memcpy(text, data, len);
	text[len] = '\0';
	memset(&a, 0, sizeof(a));
	conf_init(&c, 1, tables, areas);
	conf_set_match_check(&c, auth_match_check);
	if (conf_load_string(&c, "fuzz", text, err, sizeof(err)) == 0 &&
	    conf_finish(&c, err, sizeof(err)) == 0) {
		if ((devnull = fopen("/dev/null", "w")) != NULL) {
			conf_dump(&c, devnull);
			fclose(devnull);
		}
		memset(&copy, 0, sizeof(copy));
		if (auth_config_for(&c, &m, copies, err, sizeof(err)) == 0) {
			if (auth_methods_new(copy.authentication_methods, &am,
			    err, sizeof(err)) == 0) {
				(void)auth_methods_complete(am, "publickey");
				auth_methods_next(am, NULL, next, sizeof(next));
				auth_methods_free(am);
			}
			auth_config_for_free(&c, copies);
		}
	}
	conf_free(&c);
	free(text);
	return 0;
}
