/* fuzz-dns-keyfile.c: fuzz target for BIND key files (TSIGKeyFile). */
#include <stdlib.h>
#include <string.h>

#include "dns/dns-tsig.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct dns_tsig_key *k = NULL;
	char err[256];

	if (dns_tsig_key_parse((const char *)data, len, &k, err,
	    sizeof(err)) == 0)
		dns_tsig_key_free(k);
	return 0;
}
