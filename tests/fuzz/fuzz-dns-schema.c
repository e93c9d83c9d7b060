/* fuzz-dns-schema.c: fuzz target for the v=devgate1 TXT schema: the first
 * byte picks profile or environment, the rest is split at NUL or newline
 * into the TXT character-strings; parsed records are merged into an
 * effective spec and written back as TXT text. */
#include <stdlib.h>
#include <string.h>

#include "dns/dns-schema.h"
#include "tests/fuzz/fuzz.h"

#define FZ_MAX_STRINGS 64

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *buf, *strs[FZ_MAX_STRINGS], err[256], *txt;
	struct dns_profile *p = NULL;
	struct dns_envrec *e = NULL;
	struct dns_spec out;
	size_t i, n = 0, start;
	int kind;

	if (len < 1 || len > 64 * 1024)
		return 0;
	kind = data[0] & 1;
	buf = malloc(len);
	memcpy(buf, data + 1, len - 1);
	buf[len - 1] = '\0';
	for (i = 0, start = 0; i < len && n < FZ_MAX_STRINGS; i++) {
		if (i == len - 1 || buf[i] == '\n' || buf[i] == '\0') {
			buf[i] = '\0';
			strs[n++] = buf + start;
			start = i + 1;
		}
	}
	if (kind == 0) {
		if (dns_schema_parse_profile("p", strs, n, &p, err,
		    sizeof(err)) == 0) {
			if (dns_schema_effective(&p->spec, &p->spec, &out, err,
			    sizeof(err)) == 0)
				dns_spec_clear(&out);
			dns_profile_free(p);
		}
	} else if (dns_schema_parse_env("e", strs, n, &e, err,
	    sizeof(err)) == 0) {
		if ((txt = dns_schema_env_txt(e)) != NULL)
			free(txt);
		if (dns_schema_effective(NULL, &e->over, &out, err,
		    sizeof(err)) == 0)
			dns_spec_clear(&out);
		dns_envrec_free(e);
	}
	free(buf);
	return 0;
}
