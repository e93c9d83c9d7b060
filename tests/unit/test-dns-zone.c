/* test-dns-zone.c: unit tests for dns/dns-zone.c: zone files ($ORIGIN,
 * $TTL, relative names, parentheses, multi-string TXT, line numbers,
 * refusals) and applying UPDATE records as a server would. */
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
#include "dns/dns-zone.h"

static struct dns_zone *
load(const char *text)
{
	struct dns_zone *z = NULL;
	char err[256];

	if (dns_zone_load_buf("t.zone", text, strlen(text), "dev.corp", &z,
	    err, sizeof(err)) != 0)
		fail_msg("load: %s", err);
	return z;
}

static void
test_zone_load(void **state)
{
	const char *text =
	    "$TTL 120\n"
	    "@ IN SOA ns1 hostmaster ( 7 3600 600 86400 60 )\n"
	    "; comment\n"
	    "\n"
	    "a IN A 127.0.0.7\n"
	    "  IN AAAA fd00::7\n"
	    "b.dev.corp. 30 IN TXT \"one\" \"two words\"\n"
	    "$ORIGIN sub.dev.corp.\n"
	    "c IN TXT ( \"x\"\n"
	    "           \"y\" )\n"
	    "d IN CNAME c\n";
	struct dns_zone *z = load(text);
	const struct dns_znode *n;
	char **strs, *rd;
	size_t ns;
	uint32_t serial;

	(void)state;
	assert_int_equal(dns_zone_serial(z, &serial), 0);
	assert_int_equal(serial, 7);
	n = dns_zone_find(z, "a.dev.corp");
	assert_non_null(n);
	assert_int_equal(n->n, 2);	/* owner inherited by the AAAA */
	assert_int_equal(n->rec[0].line, 5);
	assert_int_equal(n->rec[1].line, 6);
	assert_int_equal(ldns_rr_ttl(n->rec[0].rr), 120);
	n = dns_zone_find(z, "b.dev.corp");
	assert_int_equal(dns_txt_strings(n->rec[0].rr, &strs, &ns), 0);
	assert_int_equal(ns, 2);
	assert_string_equal(strs[1], "two words");
	dns_txt_free(strs, ns);
	assert_int_equal(ldns_rr_ttl(n->rec[0].rr), 30);
	n = dns_zone_find(z, "c.sub.dev.corp");
	assert_non_null(n);
	assert_int_equal(n->rec[0].line, 9);	/* where the record starts */
	n = dns_zone_find(z, "d.sub.dev.corp");
	rd = dns_rr_rdata_text(n->rec[0].rr);
	assert_string_equal(rd, "c.sub.dev.corp.");
	free(rd);
	assert_null(dns_zone_find(z, "nope.dev.corp"));
	assert_int_equal(dns_zone_count(z), 6);
	dns_zone_free(z);
}

static void
expect_load_error(const char *text, const char *want)
{
	struct dns_zone *z = NULL;
	char err[256];

	assert_int_not_equal(dns_zone_load_buf("t.zone", text, strlen(text),
	    "dev.corp", &z, err, sizeof(err)), 0);
	assert_null(z);
	if (strstr(err, want) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err, want);
}

static void
test_zone_errors(void **state)
{
	char big[301], text[400];

	(void)state;
	expect_load_error("a IN A 1.2.3.4\nb IN A 1.2.3\n", "t.zone:2:");
	expect_load_error("a IN A 1.2.3.4\nother.corp. IN A 1.2.3.4\n",
	    "t.zone:2: record outside the zone");
	expect_load_error("$INCLUDE /etc/passwd\n", "$INCLUDE");
	expect_load_error("a CH TXT \"x\"\n", "not class IN");
	memset(big, 'x', 300);
	big[300] = '\0';
	snprintf(text, sizeof(text), "a IN TXT \"%s\"\n", big);
	expect_load_error(text, "t.zone:1:");	/* strings are <= 255 */
}

static void
test_zone_apply(void **state)
{
	struct dns_zone *z = load("@ IN SOA ns1 hm 1 1 1 1 1\n@ IN NS ns1\n"
	    "a IN A 10.0.0.1\na IN A 10.0.0.2\na IN TXT \"t\"\n"
	    "c IN CNAME a\n");
	struct dns_update *u = dns_update_new("dev.corp");

	(void)state;
	assert_int_equal(dns_update_delete_rr(u, "a.dev.corp", DNS_TYPE_A,
	    "10.0.0.1"), 0);
	assert_int_equal(dns_update_add(u, "a.dev.corp", 60, DNS_TYPE_A,
	    "10.0.0.3"), 0);
	assert_int_equal(dns_update_add(u, "a.dev.corp", 60, DNS_TYPE_A,
	    "10.0.0.3"), 0);	/* duplicate: one record */
	assert_int_equal(dns_update_delete_rrset(u, "a.dev.corp",
	    DNS_TYPE_TXT), 0);
	/* A CNAME next to other data is ignored; CNAME replaces CNAME. */
	assert_int_equal(dns_update_add(u, "a.dev.corp", 60, DNS_TYPE_CNAME,
	    "x.dev.corp."), 0);
	assert_int_equal(dns_update_add(u, "c.dev.corp", 60, DNS_TYPE_CNAME,
	    "b.dev.corp."), 0);
	assert_int_equal(dns_update_add(u, "c.dev.corp", 60, DNS_TYPE_A,
	    "10.9.9.9"), 0);
	/* Deleting everything at the apex keeps SOA and NS. */
	assert_int_equal(dns_update_delete_name(u, "dev.corp"), 0);
	dns_zone_apply(z, dns_update_records(u));
	assert_int_equal(dns_znode_count(dns_zone_find(z, "a.dev.corp"),
	    DNS_TYPE_A), 2);
	assert_int_equal(dns_znode_count(dns_zone_find(z, "a.dev.corp"),
	    DNS_TYPE_TXT), 0);
	assert_int_equal(dns_znode_count(dns_zone_find(z, "a.dev.corp"),
	    DNS_TYPE_CNAME), 0);
	assert_int_equal(dns_znode_count(dns_zone_find(z, "c.dev.corp"),
	    DNS_TYPE_CNAME), 1);
	assert_int_equal(dns_znode_count(dns_zone_find(z, "c.dev.corp"),
	    DNS_TYPE_A), 0);
	assert_int_equal(dns_znode_count(dns_zone_find(z, "dev.corp"),
	    DNS_TYPE_SOA), 1);
	dns_update_free(u);
	u = dns_update_new("dev.corp");
	assert_int_equal(dns_update_delete_name(u, "a.dev.corp"), 0);
	dns_zone_apply(z, dns_update_records(u));
	assert_null(dns_zone_find(z, "a.dev.corp"));
	dns_update_free(u);
	dns_zone_free(z);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zone_load),
		cmocka_unit_test(test_zone_errors),
		cmocka_unit_test(test_zone_apply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
