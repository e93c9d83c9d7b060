/* fuzz-dns-queue.c: fuzz target for the persistent queue's journal lines
 * (read back after a crash): every line is decoded; decoded entries are
 * encoded again and must decode to the same. */
#include <stdlib.h>
#include <string.h>

#include "dns/dns-journal.h"
#include "dns/dns-queue.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *p = (const char *)data, *end = p + len, *nl;
	struct dns_want w, back;
	uint64_t seq, seq2;
	char op, op2, *line;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (dns_journal_decode(p, (size_t)(nl - p + 1), &op, &seq,
		    &w) == 0) {
			line = dns_journal_encode(op, seq, &w);
			if (dns_journal_decode(line, strlen(line), &op2, &seq2,
			    &back) != 0 || op2 != op || seq2 != seq ||
			    !dns_want_equal(&w, &back))
				abort();
			dns_want_clear(&back);
			free(line);
			dns_want_clear(&w);
		}
		p = nl + 1;
	}
	return 0;
}
