/* fuzz-conf.c: fuzz target for the config engine (tokenizer, typed
 * keywords, Match blocks, defaults, dump). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"
#include "tests/fuzz/fuzz.h"

struct fz_area {
	char		*s;
	char		*p;
	int		 i, b, t, e;
	long long	 sz;
	struct conf_list l;
};

static const char *const fz_enum[] = { "one", "two", "three", NULL };

static const struct conf_keyword fz_kw[] = {
	{ "Str", CONF_STR, offsetof(struct fz_area, s), "x", CONF_F_MATCH },
	{ "Path", CONF_PATH, offsetof(struct fz_area, p), "none", 0 },
	{ "Int", CONF_INT, offsetof(struct fz_area, i), "3", CONF_F_MATCH,
	    -5, 100 },
	{ "Bool", CONF_BOOL, offsetof(struct fz_area, b), "no", 0 },
	{ "Time", CONF_TIME, offsetof(struct fz_area, t), "1m", 0 },
	{ "Enum", CONF_ENUM, offsetof(struct fz_area, e), "two", 0, 0, 0,
	    fz_enum },
	{ "Size", CONF_SIZE, offsetof(struct fz_area, sz), "1M", 0 },
	{ "List", CONF_LIST, offsetof(struct fz_area, l), NULL, CONF_F_MATCH },
	{ NULL }
};
static const struct conf_table fz_table = { "fuzz", fz_kw };

static int
fz_check(int argc, char **criteria, char *err, size_t errlen)
{
	(void)criteria;
	if (argc % 2 != 0) {
		snprintf(err, errlen, "criteria come in pairs");
		return -1;
	}
	return 0;
}

static int
fz_eval(void *ctx, int argc, char **criteria)
{
	(void)ctx;
	return argc > 0 && strlen(criteria[0]) % 2 == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const struct conf_table *tables[] = { &fz_table };
	struct fz_area a, copy;
	void *areas[] = { &a }, *copies[] = { &copy };
	struct conf c;
	char err[256], *text;
	FILE *devnull;

	if ((text = malloc(len + 1)) == NULL)
		return 0;
	memcpy(text, data, len);
	text[len] = '\0';
	memset(&a, 0, sizeof(a));
	conf_init(&c, 1, tables, areas);
	conf_set_match_check(&c, fz_check);
	if (conf_load_string(&c, "fuzz", text, err, sizeof(err)) == 0 &&
	    conf_finish(&c, err, sizeof(err)) == 0) {
		if ((devnull = fopen("/dev/null", "w")) != NULL) {
			conf_dump(&c, devnull);
			fclose(devnull);
		}
		memset(&copy, 0, sizeof(copy));
		conf_area_copy(&fz_table, &copy, &a);
		conf_match_apply(&c, fz_eval, NULL, copies, err, sizeof(err));
		conf_area_free(&fz_table, &copy);
	}
	conf_free(&c);
	free(text);
	return 0;
}
