/* test-dns-pool.c: unit tests for dns/dns-pool.c (EnvironmentAddressPool:
 * ranges, prefixes, candidates, labels) and dns/dns-name.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "dns/dns-name.h"
#include "dns/dns-pool.h"

static struct dns_pool *
pool(const char *text)
{
	struct dns_pool *p = NULL;
	char err[256];

	if (dns_pool_parse(text, &p, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	return p;
}

static void
test_pool_parse(void **state)
{
	static const char *const bad[] = { "127.0.10.9-127.0.10.1",
		"10.0.0.0", "10.0.0.1/24", "10.0.0.0/33", "fd00::/48",
		"fd00::/128", "fd00::1/64", "1.2.3.4-", "x", "10.0.0.0/",
		"10.0.0.0/-1", "" };
	struct dns_pool *p;
	char err[256], text[64];
	size_t i;

	(void)state;
	p = pool("127.0.10.1-127.0.10.254");
	assert_int_equal(p->family, AF_INET);
	assert_int_equal(p->size, 254);
	dns_pool_text(p, 0, text, sizeof(text));
	assert_string_equal(text, "127.0.10.1");
	dns_pool_text(p, 253, text, sizeof(text));
	assert_string_equal(text, "127.0.10.254");
	dns_pool_free(p);
	p = pool("10.20.0.0/24");	/* network and broadcast skipped */
	assert_int_equal(p->size, 254);
	dns_pool_text(p, 0, text, sizeof(text));
	assert_string_equal(text, "10.20.0.1");
	dns_pool_free(p);
	p = pool("10.20.0.4/31");
	assert_int_equal(p->size, 2);
	dns_pool_free(p);
	p = pool("fd00:dead:beef::/64");
	assert_int_equal(p->family, AF_INET6);
	assert_int_equal(p->size, UINT64_MAX);
	dns_pool_text(p, 0, text, sizeof(text));
	assert_string_equal(text, "fd00:dead:beef::1");
	dns_pool_text(p, 0xfffe, text, sizeof(text));
	assert_string_equal(text, "fd00:dead:beef::ffff");
	dns_pool_free(p);
	p = pool("fd00::/120");
	assert_int_equal(p->size, 255);
	dns_pool_free(p);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = NULL;
		if (dns_pool_parse(bad[i], &p, err, sizeof(err)) == 0)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_non_null(strstr(err, "bad address pool"));
	}
}

static void
test_pool_index_label(void **state)
{
	struct dns_pool *p4 = pool("127.0.10.1-127.0.10.254");
	struct dns_pool *p6 = pool("fd00::/64");
	char label[64];

	(void)state;
	assert_int_equal(dns_pool_index(p4, "127.0.10.7"), 6);
	assert_int_equal(dns_pool_index(p4, "127.0.10.0"), -1);
	assert_int_equal(dns_pool_index(p4, "127.0.10.255"), -1);
	assert_int_equal(dns_pool_index(p4, "fd00::1"), -1);
	dns_pool_label(p4, 6, label, sizeof(label));
	assert_string_equal(label, "127-0-10-7");
	assert_int_equal(dns_pool_label_index(p4, "127-0-10-7"), 6);
	assert_int_equal(dns_pool_label_index(p4, "127-0-10-07"), -1);
	assert_int_equal(dns_pool_label_index(p4, "127-0-11-7"), -1);
	assert_int_equal(dns_pool_label_index(p4, "127-0-10-7x"), -1);
	dns_pool_label(p6, 4, label, sizeof(label));
	assert_string_equal(label, "fd000000000000000000000000000005");
	assert_int_equal(dns_pool_label_index(p6, label), 4);
	assert_int_equal(dns_pool_index(p6, "fd00::5"), 4);
	assert_int_equal(dns_pool_index(p6, "fd01::5"), -1);
	assert_int_equal(dns_pool_label_index(p6,
	    "FD000000000000000000000000000005"), -1);
	dns_pool_free(p4);
	dns_pool_free(p6);
}

static void
test_pool_candidates(void **state)
{
	struct dns_pool *p = pool("127.0.10.1-127.0.10.10");
	struct dns_pool *p6 = pool("fd00::/64");
	int seen[10] = { 0 };
	uint64_t c0, a;

	(void)state;
	c0 = dns_pool_candidate(p, "alice-gpu", 0);
	/* Stable for a name, then every address once, wrapping. */
	assert_int_equal(dns_pool_candidate(p, "alice-gpu", 0), c0);
	for (a = 0; a < 10; a++)
		seen[dns_pool_candidate(p, "alice-gpu", a)]++;
	for (a = 0; a < 10; a++)
		assert_int_equal(seen[a], 1);
	assert_int_equal(dns_pool_candidate(p, "alice-gpu", 10), c0);
	/* No overflow at the top of a 2^64 pool. */
	for (a = UINT64_MAX - 3; a != 0; a++)
		assert_true(dns_pool_candidate(p6, "x", a) < p6->size);
	dns_pool_free(p);
	dns_pool_free(p6);
}

static void
test_names(void **state)
{
	char out[DNS_NAME_MAX];

	(void)state;
	assert_int_equal(dns_name_canon("Alice-GPU.Dev.Corp.", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "alice-gpu.dev.corp");
	assert_int_equal(dns_name_canon("_devgate.x.dev.corp", out,
	    sizeof(out)), 0);
	assert_int_not_equal(dns_name_canon(".", out, sizeof(out)), 0);
	assert_int_not_equal(dns_name_canon("a..b", out, sizeof(out)), 0);
	assert_int_not_equal(dns_name_canon("a b", out, sizeof(out)), 0);
	assert_int_not_equal(dns_name_canon("", out, sizeof(out)), 0);
	assert_int_equal(dns_name_rel("alice.dev.corp", "dev.corp"), 5);
	assert_int_equal(dns_name_rel("dev.corp", "dev.corp"), 0);
	assert_int_equal(dns_name_rel("xdev.corp", "dev.corp"), -1);
	assert_int_equal(dns_name_rel("corp", "dev.corp"), -1);
	assert_true(dns_label_ok("alice-gpu"));
	assert_false(dns_label_ok("-a"));
	assert_false(dns_label_ok("a-"));
	assert_false(dns_label_ok("A"));
	assert_false(dns_label_ok("a_b"));
	assert_false(dns_label_ok(""));
	assert_true(dns_name_eq("A.b.", "a.B"));
	assert_false(dns_name_eq("a.b", "a.c"));
	/* FNV-1a's published values: pool addresses must never move. */
	assert_true(dns_name_hash("") == 0xcbf29ce484222325ULL);
	assert_true(dns_name_hash("a") == 0xaf63dc4c8601ec8cULL);
	assert_true(dns_name_hash("foobar") == 0x85944171f73967e8ULL);
	assert_true(dns_name_hash("A") != dns_name_hash("a"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_parse),
		cmocka_unit_test(test_pool_index_label),
		cmocka_unit_test(test_pool_candidates),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
