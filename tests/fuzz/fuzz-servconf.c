/* fuzz-servconf.c: fuzz target for the gateway config (servconf): every
 * keyword incl. ListenAddress, MaxStartups, AcceptEnv, EnvironmentAddress
 * and Environment, then the -T dump, which must parse back to itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/servconf.h"
#include "tests/fuzz/fuzz.h"

static char *
fz_dump(const struct servconf *sc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		abort();
	servconf_dump(sc, f);
	fclose(f);
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct servconf a, b;
	char err[512], *text, *d1, *d2;
	struct listen_addr la;
	struct maxstartups m;

	if ((text = malloc(len + 1)) == NULL)
		return 0;
	memcpy(text, data, len);
	text[len] = '\0';
	/* The small parsers on the raw input too. */
	(void)servconf_parse_listen(text, &la);
	(void)servconf_parse_maxstartups(text, &m);
	setenv("HOME", "/fuzz", 1);
	if (servconf_load_string(&a, "fuzz", text, err, sizeof(err)) == 0) {
		d1 = fz_dump(&a);
		if (servconf_load_string(&b, "dump", d1, err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "dump does not parse: %s\n%s", err, d1);
			abort();
		}
		d2 = fz_dump(&b);
		if (strcmp(d1, d2) != 0) {
			fprintf(stderr, "dump differs:\n%s---\n%s", d1, d2);
			abort();
		}
		free(d1);
		free(d2);
		servconf_free(&b);
	}
	servconf_free(&a);
	free(text);
	return 0;
}
