/* test-listen.c: unit tests for gateway/listen.c: the MaxStartups rule,
 * the counters shared between processes, SO_REUSEPORT sockets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <string.h>
#include <unistd.h>

#include "gateway/listen.h"

static void
test_maxstartups(void **state)
{
	struct maxstartups m = { 10, 30, 100 };
	int rnd, refused;

	(void)state;
	for (rnd = 0; rnd < 100; rnd++) {
		assert_false(listen_maxstartups_refuse(&m, 0, rnd));
		assert_false(listen_maxstartups_refuse(&m, 9, rnd));
		assert_true(listen_maxstartups_refuse(&m, 100, rnd));
		assert_true(listen_maxstartups_refuse(&m, 1000, rnd));
	}
	/* At start, rate% are refused; halfway, 65%. */
	for (refused = 0, rnd = 0; rnd < 100; rnd++)
		refused += listen_maxstartups_refuse(&m, 10, rnd);
	assert_int_equal(refused, 30);
	for (refused = 0, rnd = 0; rnd < 100; rnd++)
		refused += listen_maxstartups_refuse(&m, 55, rnd);
	assert_int_equal(refused, 65);
	m.start = m.full = 4;
	m.rate = 100;
	assert_false(listen_maxstartups_refuse(&m, 3, 99));
	assert_true(listen_maxstartups_refuse(&m, 4, 0));
}

static void
test_shared(void **state)
{
	struct listen_shared *sh = listen_shared_new();
	int a, b, status;
	pid_t pid;

	(void)state;
	assert_non_null(sh);
	a = listen_shared_alloc(sh);
	b = listen_shared_alloc(sh);
	assert_true(a >= 0 && b >= 0 && a != b);
	listen_shared_set(sh, a, 3);
	/* Another process's count is visible here. */
	if ((pid = fork()) == 0) {
		listen_shared_set(sh, b, 4);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(listen_shared_total(sh), 7);
	listen_shared_release(sh, b);
	assert_int_equal(listen_shared_total(sh), 3);
	assert_int_equal(listen_shared_alloc(sh), b);
	assert_int_equal(listen_shared_total(sh), 3);
	listen_shared_free(sh);
}

static void
test_reuseport(void **state)
{
	struct listen_addr la = { "127.0.0.1", 0 };
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char err[256], text[64];
	int a, b, port;

	(void)state;
	assert_int_equal(listen_open(&la, &a, err, sizeof(err)), 0);
	assert_int_equal(getsockname(a, (struct sockaddr *)&sin, &len), 0);
	la.port = ntohs(sin.sin_port);
	/* A second socket on the same port: one per worker slot. */
	assert_int_equal(listen_open(&la, &b, err, sizeof(err)), 0);
	listen_addr_text((struct sockaddr *)&sin, text, sizeof(text), &port);
	assert_string_equal(text, "127.0.0.1");
	assert_int_equal(port, la.port);
	close(a);
	close(b);
	strcpy(la.host, "not-an-address");
	assert_int_not_equal(listen_open(&la, &a, err, sizeof(err)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maxstartups),
		cmocka_unit_test(test_shared),
		cmocka_unit_test(test_reuseport),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
