/* test-k8s-quantity.c: unit tests for gateway/k8s-quantity.c: every
 * example of the protocol notes (section 6.2), suffixes, exponents,
 * rounding up, limits, malformed text, Go durations. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/err.h"
#include "gateway/k8s-quantity.h"

static int64_t
t_cpu(const char *s)
{
	int64_t v = -777;

	assert_int_equal(k8s_quantity_nanocores(s, &v), 0);
	return v;
}

static int64_t
t_mem(const char *s)
{
	int64_t v = -777;

	assert_int_equal(k8s_quantity_bytes(s, &v), 0);
	return v;
}

static void
t_doc_examples(void **state)
{
	(void)state;
	assert_int_equal(t_cpu("2"), 2000000000LL);
	assert_int_equal(t_mem("2"), 2);
	assert_int_equal(t_cpu("500m"), 500000000LL);
	assert_int_equal(t_mem("500m"), 1);	/* 0.5 rounds up */
	assert_int_equal(t_cpu("1534210n"), 1534210);
	assert_int_equal(t_cpu("250u"), 250000);
	assert_int_equal(t_cpu("1.5"), 1500000000LL);
	assert_int_equal(t_mem("1.5"), 2);
	assert_int_equal(t_mem("128974848"), 128974848);
	assert_int_equal(t_mem("129e6"), 129000000);
	assert_int_equal(t_mem("123Mi"), 128974848);
	assert_int_equal(t_mem("1Gi"), 1073741824LL);
	assert_int_equal(t_mem("1G"), 1000000000LL);
	assert_int_equal(t_mem("0.5Gi"), 536870912);
	/* From the PodMetrics example. */
	assert_int_equal(t_mem("524288Ki"), 536870912);
	assert_int_equal(t_cpu("5m"), 5000000);
	assert_int_equal(t_cpu("0"), 0);
	assert_int_equal(t_mem("12345678"), 12345678);
}

static void
t_suffixes(void **state)
{
	(void)state;
	assert_int_equal(t_mem("1k"), 1000);
	assert_int_equal(t_mem("1M"), 1000000);
	assert_int_equal(t_mem("1T"), 1000000000000LL);
	assert_int_equal(t_mem("1P"), 1000000000000000LL);
	assert_int_equal(t_mem("1E"), 1000000000000000000LL);
	assert_int_equal(t_mem("1Ki"), 1024);
	assert_int_equal(t_mem("1Ti"), 1099511627776LL);
	assert_int_equal(t_mem("1Pi"), 1125899906842624LL);
	assert_int_equal(t_mem("1Ei"), 1152921504606846976LL);
	assert_int_equal(t_mem("64Gi"), 68719476736LL);
	/* e/E with a number is an exponent; E alone is exa. */
	assert_int_equal(t_mem("1E3"), 1000);
	assert_int_equal(t_mem("1e3"), 1000);
	assert_int_equal(t_mem("1e+3"), 1000);
	assert_int_equal(t_mem("15e-1"), 2);
	assert_int_equal(t_cpu("15e-1"), 1500000000LL);
	/* Case matters: m is milli, M is mega. */
	assert_int_equal(t_cpu("1m"), 1000000);
	assert_int_equal(t_mem("1M"), 1000000);
	/* Number forms. */
	assert_int_equal(t_cpu(".5"), 500000000);
	assert_int_equal(t_cpu("5."), 5000000000LL);
	assert_int_equal(t_cpu("+1"), 1000000000);
	assert_int_equal(t_cpu("-1"), -1000000000);
	assert_int_equal(t_cpu("0.000000001"), 1);
	assert_int_equal(t_cpu("0.0000000001"), 1);	/* rounds up */
	assert_int_equal(t_mem("1n"), 1);
	assert_int_equal(t_mem("0n"), 0);
	assert_int_equal(t_mem("1e-40"), 1);
	assert_int_equal(t_mem("000000000000000000000000000000000000000001"),
	    1);
	assert_int_equal(t_mem("1.0000000000000000000000000000000000000001"),
	    2);
	/* The largest value. */
	assert_int_equal(t_mem("9223372036854775807"), INT64_MAX);
	assert_int_equal(t_mem("7Ei"), 8070450532247928832LL);
}

static void
t_errors(void **state)
{
	int64_t v = 5;

	(void)state;
	assert_int_equal(k8s_quantity_bytes("", &v), DG_ERR_PARSE);
	assert_int_equal(k8s_quantity_bytes("Gi", &v), DG_ERR_PARSE);
	assert_int_equal(k8s_quantity_bytes("1gi", &v), DG_ERR_PARSE);
	assert_int_equal(k8s_quantity_bytes("1 Gi", &v), DG_ERR_PARSE);
	assert_int_equal(k8s_quantity_bytes("1K", &v), DG_ERR_PARSE);
	assert_int_equal(k8s_quantity_bytes("1..2", &v), DG_ERR_PARSE);
	assert_int_equal(k8s_quantity_bytes(".", &v), DG_ERR_PARSE);
	assert_int_equal(k8s_quantity_bytes("1e", &v), DG_ERR_PARSE);
	assert_int_equal(k8s_quantity_bytes("1e3x", &v), DG_ERR_PARSE);
	assert_int_equal(k8s_quantity_bytes("--1", &v), DG_ERR_PARSE);
	assert_int_equal(k8s_quantity_bytes("1Gib", &v), DG_ERR_PARSE);
	assert_int_equal(k8s_quantity_bytes(NULL, &v), DG_ERR_PARSE);
	assert_int_equal(k8s_quantity_bytes("9223372036854775808", &v),
	    DG_ERR_RANGE);
	assert_int_equal(k8s_quantity_bytes("8Ei", &v), DG_ERR_RANGE);
	assert_int_equal(k8s_quantity_nanocores("10G", &v), DG_ERR_RANGE);
	assert_int_equal(k8s_quantity_bytes("1e100", &v), DG_ERR_RANGE);
	assert_int_equal(k8s_quantity_bytes(
	    "1000000000000000000000000000000000000000000000000000000000000000"
	    "0", &v), DG_ERR_PARSE);	/* longer than the limit */
	assert_int_equal(v, 5);	/* untouched on error */
}

static void
t_durations(void **state)
{
	int64_t v;

	(void)state;
	assert_int_equal(k8s_duration_ms("15s", &v), 0);
	assert_int_equal(v, 15000);
	assert_int_equal(k8s_duration_ms("15.031s", &v), 0);
	assert_int_equal(v, 15031);
	assert_int_equal(k8s_duration_ms("1m0s", &v), 0);
	assert_int_equal(v, 60000);
	assert_int_equal(k8s_duration_ms("1h2m3.5s", &v), 0);
	assert_int_equal(v, 3723500);
	assert_int_equal(k8s_duration_ms("500ms", &v), 0);
	assert_int_equal(v, 500);
	assert_int_equal(k8s_duration_ms("1500us", &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(k8s_duration_ms("1ns", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(k8s_duration_ms("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(k8s_duration_ms("", &v), DG_ERR_PARSE);
	assert_int_equal(k8s_duration_ms("15", &v), DG_ERR_PARSE);
	assert_int_equal(k8s_duration_ms("s", &v), DG_ERR_PARSE);
	assert_int_equal(k8s_duration_ms("1x", &v), DG_ERR_PARSE);
	assert_int_equal(k8s_duration_ms("99999999999999999999h", &v),
	    DG_ERR_RANGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_doc_examples),
		cmocka_unit_test(t_suffixes),
		cmocka_unit_test(t_errors),
		cmocka_unit_test(t_durations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
