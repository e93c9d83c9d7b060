/* test-chan-forward.c: unit tests for the pure parts of direct-tcpip
 * (gateway/chan-forward.c): which targets mean the environment itself,
 * and the quiet time that counts as connected. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "gateway/channel.h"

static void
test_target(void **state)
{
	static const struct {
		const char	*host;
		int		 ok;
	} cases[] = {
		{ "localhost", 1 },
		{ "LOCALHOST", 1 },
		{ "localhost.", 1 },
		{ "127.0.0.1", 1 },
		{ "::1", 1 },
		{ "0:0:0:0:0:0:0:1", 1 },
		{ "alice-gpu", 1 },
		{ "Alice-GPU", 1 },
		{ "alice-gpu.dev.corp", 1 },
		{ "alice-gpu.dev.corp.", 1 },
		{ "ALICE-GPU.Dev.Corp", 1 },
		/* Anything else is outside the pod's network namespace. */
		{ "127.0.0.2", 0 },
		{ "127.1", 0 },
		{ "::2", 0 },
		{ "::ffff:127.0.0.1", 0 },
		{ "10.0.0.1", 0 },
		{ "example.com", 0 },
		{ "bob-cpu", 0 },
		{ "bob-cpu.dev.corp", 0 },
		{ "alice-gpu.dev", 0 },
		{ "alice-gpu.dev.corp.evil", 0 },
		{ "alice-gpu.dev.corpx", 0 },
		{ "alice-gpux", 0 },
		{ "xalice-gpu", 0 },
		{ "alice-gpu..", 0 },
		{ "localhost.localdomain", 0 },
		{ ".", 0 },
		{ "", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (chan_forward_target_ok(cases[i].host, "alice-gpu",
		    "dev.corp") != cases[i].ok)
			fail_msg("\"%s\": want %d", cases[i].host,
			    cases[i].ok);
	/* Without a DNS zone only the short name is the environment's. */
	assert_int_equal(chan_forward_target_ok("alice-gpu", "alice-gpu",
	    NULL), 1);
	assert_int_equal(chan_forward_target_ok("alice-gpu.dev.corp",
	    "alice-gpu", NULL), 0);
	assert_int_equal(chan_forward_target_ok("alice-gpu.", "alice-gpu",
	    ""), 1);
	assert_int_equal(chan_forward_target_ok(NULL, "alice-gpu", NULL), 0);
	assert_int_equal(chan_forward_target_ok("localhost", "", NULL), 0);
	assert_int_equal(chan_forward_target_ok("localhost", NULL, NULL), 0);
}

static void
test_target_long(void **state)
{
	char host[CHAN_FORWARD_HOST_MAX + 2];

	(void)state;
	memset(host, 'a', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	assert_int_equal(chan_forward_target_ok(host, host, NULL), 0);
	host[CHAN_FORWARD_HOST_MAX] = '\0';
	assert_int_equal(chan_forward_target_ok(host, host, NULL), 1);
}

static void
test_settle(void **state)
{
	(void)state;
	assert_int_equal(chan_forward_settle_ms(0), CHAN_FORWARD_SETTLE_MIN);
	assert_int_equal(chan_forward_settle_ms(CHAN_FORWARD_SETTLE_MIN + 7),
	    CHAN_FORWARD_SETTLE_MIN + 7);
	assert_int_equal(chan_forward_settle_ms(60000),
	    CHAN_FORWARD_SETTLE_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_target),
		cmocka_unit_test(test_target_long),
		cmocka_unit_test(test_settle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
