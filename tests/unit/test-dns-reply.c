/* test-dns-reply.c: unit tests for dns/dns-reply.c, table-driven from how
 * BIND 9.18, Knot 3.2 and PowerDNS 4.7 answer good and bad updates
 * (shared/docs/dns-test-servers.md, 6.1): the outcome, whether it is worth
 * retrying soon, and the words of the log line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "dns/dns-reply.h"

/* What dns_tsig_check() reports for each kind of reply signature. */
enum sig {
	SIGNED,		/* MAC verifies: rc 0 */
	EMPTY,		/* TSIG with an empty MAC: DG_ERR_AUTH, has_tsig */
	NONE,		/* no TSIG: DG_ERR_AUTH */
	FORGED,		/* MAC does not verify: DG_ERR_CRYPTO */
	SKEWED,		/* MAC right, time outside fudge: DG_ERR_EXPIRED */
};

static const struct {
	const char	*what;
	int		 rcode;
	int		 tsig_error;
	enum sig	 sig;
	enum dns_outcome out;
	int		 transient;
	const char	*words;
} cases[] = {
	{ "signed add (all)", 0, 0, SIGNED, DNS_OUT_OK, 0, "NOERROR" },
	{ "unsigned update (BIND, PowerDNS)", 5, 0, NONE, DNS_OUT_DENIED, 0,
	    "REFUSED: the server does not let this key" },
	{ "unsigned update (Knot)", 9, 0, NONE, DNS_OUT_DENIED, 0,
	    "NOTAUTH: not authorised" },
	{ "wrong secret (BIND, Knot)", 9, 16, EMPTY, DNS_OUT_BADKEY, 0,
	    "NOTAUTH/BADSIG: the server rejected the request's signature" },
	{ "wrong secret (PowerDNS)", 5, 0, NONE, DNS_OUT_DENIED, 0,
	    "PowerDNS also answers REFUSED to a wrong key" },
	{ "unknown key (BIND, Knot)", 9, 17, EMPTY, DNS_OUT_BADKEY, 0,
	    "NOTAUTH/BADKEY" },
	{ "wrong algorithm (BIND, Knot)", 9, 17, EMPTY, DNS_OUT_BADKEY, 0,
	    "does not know this key name with this algorithm" },
	{ "clock 20 min behind (BIND, Knot)", 9, 18, SIGNED, DNS_OUT_BADTIME,
	    1, "NOTAUTH/BADTIME" },
	{ "clock 20 min behind (PowerDNS)", 5, 0, NONE, DNS_OUT_DENIED, 0,
	    "REFUSED" },
	{ "owner outside the zone (all)", 10, 0, SIGNED, DNS_OUT_NOTZONE, 0,
	    "NOTZONE: a name in the update is outside the zone" },
	{ "zone not served (BIND, PowerDNS)", 9, 0, SIGNED, DNS_OUT_DENIED,
	    0, "not authoritative for it, or its ACL denies the key" },
	{ "zone not served (Knot)", 9, 0, NONE, DNS_OUT_DENIED, 0,
	    "or the server does not serve the zone" },
	{ "class ANY delete with TTL (BIND)", 1, 0, SIGNED, DNS_OUT_FORMERR,
	    0, "FORMERR" },
	{ "prerequisite: name in use", 6, 0, SIGNED, DNS_OUT_PREREQ, 0,
	    "YXDOMAIN: a prerequisite failed" },
	{ "prerequisite: RRset differs", 8, 0, SIGNED, DNS_OUT_PREREQ, 0,
	    "NXRRSET" },
	{ "prerequisite: RRset exists", 7, 0, SIGNED, DNS_OUT_PREREQ, 0,
	    "YXRRSET" },
	{ "prerequisite: name not in use", 3, 0, SIGNED, DNS_OUT_PREREQ, 0,
	    "NXDOMAIN" },
	{ "server failure", 2, 0, SIGNED, DNS_OUT_SERVFAIL, 1, "SERVFAIL" },
	{ "server failure, unsigned", 2, 0, NONE, DNS_OUT_SERVFAIL, 1,
	    "SERVFAIL" },
	/* NOERROR is success only when signed and verified. */
	{ "NOERROR unsigned", 0, 0, NONE, DNS_OUT_BOGUS, 1,
	    "NOERROR but the reply is not signed: not accepted" },
	{ "NOERROR forged", 0, 0, FORGED, DNS_OUT_BOGUS, 1,
	    "signature does not verify" },
	{ "NOERROR empty MAC", 0, 0, EMPTY, DNS_OUT_BOGUS, 1,
	    "not accepted as success" },
	{ "NOERROR signed long ago", 0, 0, SKEWED, DNS_OUT_BADTIME, 1,
	    "away from this host's clock" },
	/* An unsigned error reply is an error with its RCODE, not tampering. */
	{ "REFUSED forged", 5, 0, FORGED, DNS_OUT_DENIED, 0, "REFUSED" },
};

static void
test_reply_table(void **state)
{
	struct dns_tsig_result tr;
	enum dns_outcome o;
	char text[512];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&tr, 0, sizeof(tr));
		tr.error = (uint16_t)cases[i].tsig_error;
		switch (cases[i].sig) {
		case SIGNED:
			tr.has_tsig = 1;
			tr.verified = 1;
			rc = 0;
			break;
		case EMPTY:
			tr.has_tsig = 1;
			rc = DG_ERR_AUTH;
			break;
		case NONE:
			rc = DG_ERR_AUTH;
			break;
		case FORGED:
			tr.has_tsig = 1;
			rc = DG_ERR_CRYPTO;
			break;
		default:
			tr.has_tsig = 1;
			tr.skew = -1200;
			rc = DG_ERR_EXPIRED;
			break;
		}
		o = dns_reply_classify(cases[i].rcode, rc, &tr, text,
		    sizeof(text));
		if (o != cases[i].out)
			fail_msg("%s: outcome %s, want %s", cases[i].what,
			    dns_outcome_name(o), dns_outcome_name(cases[i].out));
		if (dns_outcome_transient(o) != cases[i].transient)
			fail_msg("%s: transient %d", cases[i].what,
			    dns_outcome_transient(o));
		if (strstr(text, cases[i].words) == NULL)
			fail_msg("%s: \"%s\" lacks \"%s\"", cases[i].what, text,
			    cases[i].words);
	}
}

static void
test_reply_names(void **state)
{
	(void)state;
	assert_string_equal(dns_rcode_name(9), "NOTAUTH");
	assert_string_equal(dns_rcode_name(42), "RCODE?");
	assert_string_equal(dns_tsig_error_name(16), "BADSIG");
	assert_string_equal(dns_tsig_error_name(18), "BADTIME");
	assert_string_equal(dns_outcome_name(DNS_OUT_PREREQ), "prerequisite");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_table),
		cmocka_unit_test(test_reply_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
