/* test-dns-update.c: unit tests for dns/dns-update.c: the wire form of
 * UPDATE messages (sections, classes, TTL 0 and empty rdata for deletes,
 * RD clear), refusals, size estimates, rollback and the printed form. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "dns/dns-update.h"
#include "dns/dns-wire.h"

static ldns_pkt *
roundtrip(struct dns_update *u, size_t *lenp)
{
	ldns_pkt *p = NULL, *back = NULL;
	uint8_t *wire = NULL;
	size_t len = 0;

	assert_int_equal(dns_update_packet(u, &p), 0);
	assert_int_equal(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	assert_int_equal(ldns_wire2pkt(&back, wire, len), LDNS_STATUS_OK);
	/* Header: opcode UPDATE, RD (Z) clear. */
	assert_int_equal((wire[2] >> 3) & 0xf, DNS_OPCODE_UPDATE);
	assert_int_equal(wire[2] & 0x01, 0);
	free(wire);
	ldns_pkt_free(p);
	if (lenp != NULL)
		*lenp = len;
	return back;
}

static void
test_update_sections(void **state)
{
	struct dns_update *u = dns_update_new("dev.corp");
	const char *marker[] = { "\"v=devgate-owner1\" \"owner=gw\"" };
	ldns_pkt *p;
	ldns_rr *rr;
	ldns_rr_list *l;

	(void)state;
	assert_int_equal(dns_update_require_absent(u, "a.dev.corp"), 0);
	assert_int_equal(dns_update_require_present(u, "b.dev.corp"), 0);
	assert_int_equal(dns_update_require_rrset_absent(u, "c.dev.corp",
	    DNS_TYPE_A), 0);
	assert_int_equal(dns_update_require_rrset(u, "_devgate.d.dev.corp",
	    DNS_TYPE_TXT, marker, 1), 0);
	assert_int_equal(dns_update_add(u, "a.dev.corp", 60, DNS_TYPE_A,
	    "127.0.0.7"), 0);
	assert_int_equal(dns_update_add(u, "a.dev.corp", 60, DNS_TYPE_TXT,
	    "\"one\" \"two words\""), 0);
	assert_int_equal(dns_update_delete_rrset(u, "d.dev.corp",
	    DNS_TYPE_AAAA), 0);
	assert_int_equal(dns_update_delete_rr(u, "d.dev.corp", DNS_TYPE_A,
	    "10.0.0.1"), 0);
	assert_int_equal(dns_update_delete_name(u, "e.dev.corp"), 0);
	assert_int_equal(dns_update_count(u), 9);
	p = roundtrip(u, NULL);
	/* Zone section: dev.corp SOA IN. */
	rr = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_question(p)), 1);
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_SOA);
	/* Prerequisites in the answer section (RFC 2136 2.4). */
	l = ldns_pkt_answer(p);
	assert_int_equal(ldns_rr_list_rr_count(l), 4);
	rr = ldns_rr_list_rr(l, 0);	/* name not in use: NONE ANY */
	assert_int_equal(ldns_rr_get_class(rr), LDNS_RR_CLASS_NONE);
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_ANY);
	assert_int_equal(ldns_rr_ttl(rr), 0);
	assert_int_equal(ldns_rr_rd_count(rr), 0);
	rr = ldns_rr_list_rr(l, 1);	/* name in use: ANY ANY */
	assert_int_equal(ldns_rr_get_class(rr), LDNS_RR_CLASS_ANY);
	rr = ldns_rr_list_rr(l, 2);	/* RRset absent: NONE A */
	assert_int_equal(ldns_rr_get_class(rr), LDNS_RR_CLASS_NONE);
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_A);
	rr = ldns_rr_list_rr(l, 3);	/* exact RRset: IN TXT, TTL 0 */
	assert_int_equal(ldns_rr_get_class(rr), LDNS_RR_CLASS_IN);
	assert_int_equal(ldns_rr_ttl(rr), 0);
	assert_int_equal(ldns_rr_rd_count(rr), 2);
	/* Updates in the authority section (2.5). */
	l = ldns_pkt_authority(p);
	assert_int_equal(ldns_rr_list_rr_count(l), 5);
	rr = ldns_rr_list_rr(l, 0);
	assert_int_equal(ldns_rr_get_class(rr), LDNS_RR_CLASS_IN);
	assert_int_equal(ldns_rr_ttl(rr), 60);
	rr = ldns_rr_list_rr(l, 2);	/* RRset delete: ANY, TTL 0, empty */
	assert_int_equal(ldns_rr_get_class(rr), LDNS_RR_CLASS_ANY);
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_AAAA);
	assert_int_equal(ldns_rr_ttl(rr), 0);
	assert_int_equal(ldns_rr_rd_count(rr), 0);
	rr = ldns_rr_list_rr(l, 3);	/* one RR: NONE, TTL 0, with rdata */
	assert_int_equal(ldns_rr_get_class(rr), LDNS_RR_CLASS_NONE);
	assert_int_equal(ldns_rr_ttl(rr), 0);
	assert_int_equal(ldns_rr_rd_count(rr), 1);
	rr = ldns_rr_list_rr(l, 4);	/* the whole name: ANY ANY */
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_ANY);
	assert_int_equal(ldns_rr_get_class(rr), LDNS_RR_CLASS_ANY);
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_additional(p)), 0);
	ldns_pkt_free(p);
	dns_update_free(u);
}

static void
test_update_refusals(void **state)
{
	struct dns_update *u = dns_update_new("dev.corp");

	(void)state;
	assert_int_equal(dns_update_add(u, "a.other.corp", 60, DNS_TYPE_A,
	    "1.2.3.4"), DG_ERR_INVAL);
	assert_int_equal(dns_update_add(u, "xdev.corp", 60, DNS_TYPE_A,
	    "1.2.3.4"), DG_ERR_INVAL);	/* a suffix, not a subdomain */
	assert_int_equal(dns_update_add(u, "a.dev.corp", 60, DNS_TYPE_A,
	    "1.2.3"), DG_ERR_INVAL);
	assert_int_equal(dns_update_add(u, "a.dev.corp", 60, DNS_TYPE_A,
	    "1.2.3.4 ; comment"), DG_ERR_INVAL);
	assert_int_equal(dns_update_add(u, "a.dev.corp", 60, DNS_TYPE_A,
	    "1.2.3.4\na.dev.corp. 60 IN A 5.6.7.8"), DG_ERR_INVAL);
	assert_int_equal(dns_update_add(u, "a.dev.corp", 60, DNS_TYPE_A, ""),
	    DG_ERR_INVAL);
	assert_int_equal(dns_update_require_rrset(u, "a.dev.corp",
	    DNS_TYPE_TXT, NULL, 0), DG_ERR_INVAL);
	assert_int_equal(dns_update_count(u), 0);
	dns_update_free(u);
}

static void
test_update_size_rollback(void **state)
{
	struct dns_update *u = dns_update_new("dev.corp");
	struct dns_update_mark m;
	size_t before, len;
	char name[64];
	ldns_pkt *p;
	int i;

	(void)state;
	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "h%d.dev.corp", i);
		assert_int_equal(dns_update_add(u, name, 60, DNS_TYPE_A,
		    "127.0.3.1"), 0);
	}
	p = roundtrip(u, &len);
	ldns_pkt_free(p);
	/* The estimate is uncompressed: never below the real size. */
	assert_true(dns_update_size(u) >= len);
	assert_true(dns_update_size(u) < 2 * len);
	before = dns_update_size(u);
	dns_update_mark(u, &m);
	dns_update_require_absent(u, "x.dev.corp");
	dns_update_add(u, "x.dev.corp", 60, DNS_TYPE_TXT, "\"t\"");
	assert_true(dns_update_size(u) > before);
	dns_update_rollback(u, &m);
	assert_int_equal(dns_update_size(u), before);
	assert_int_equal(dns_update_count(u), 50);
	dns_update_free(u);
}

static void
test_update_print(void **state)
{
	struct dns_update *u = dns_update_new("dev.corp");
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	dns_update_require_absent(u, "a.dev.corp");
	dns_update_add(u, "a.dev.corp", 60, DNS_TYPE_CNAME, "dev.corp.");
	dns_update_delete_rrset(u, "b.dev.corp", DNS_TYPE_A);
	f = open_memstream(&buf, &len);
	dns_update_print(u, f);
	fclose(f);
	assert_string_equal(buf, "zone dev.corp.\n"
	    "prereq nxdomain a.dev.corp. ANY\n"
	    "update add a.dev.corp. 60 CNAME dev.corp.\n"
	    "update delete b.dev.corp. A\n");
	free(buf);
	assert_string_equal(dns_update_type_name(99), "TYPE99");
	dns_update_free(u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_update_sections),
		cmocka_unit_test(test_update_refusals),
		cmocka_unit_test(test_update_size_rollback),
		cmocka_unit_test(test_update_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
