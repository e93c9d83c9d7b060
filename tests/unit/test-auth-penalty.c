/* test-auth-penalty.c: unit tests for per-source penalties (auth/auth-
 * penalty.c) with an injected clock: growing delay then refusal, expiry
 * and recovery, netblocks, exemptions, the maximum, both overflow modes,
 * sharing across fork, and bounded memory under 1,000,000 sources. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth/auth.h"
#include "auth/auth-penalty.h"
#include "common/err.h"
#include "tests/unit/auth-testutil.h"

static struct sockaddr_storage t_ss;

static const struct sockaddr *
t_sa(const char *addr, socklen_t *lenp)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&t_ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&t_ss;

	memset(&t_ss, 0, sizeof(t_ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		*lenp = sizeof(*s4);
	} else {
		assert_int_equal(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
		s6->sin6_family = AF_INET6;
		*lenp = sizeof(*s6);
	}
	return (const struct sockaddr *)&t_ss;
}

static int
t_check(struct auth_penalty *p, struct auth_config *a, const char *addr,
    uint64_t now, unsigned *delay, const char **why)
{
	socklen_t len;
	const struct sockaddr *sa = t_sa(addr, &len);

	*why = NULL;
	return auth_penalty_check_at(p, a, sa, len, now, delay, why);
}

static void
t_rec(struct auth_penalty *p, struct auth_config *a, const char *addr,
    enum auth_penalty_event ev, uint64_t now)
{
	socklen_t len;
	const struct sockaddr *sa = t_sa(addr, &len);

	auth_penalty_record_at(p, a, sa, len, ev, now);
}

static void
test_penalty_grow_refuse_recover(void **state)
{
	struct conf c;
	struct auth_config a;
	struct auth_penalty *p;
	const char *why;
	unsigned d, prev = 0;
	uint64_t t = 1000000;
	int i;

	(void)state;
	t_load_conf(&c, &a, "PerSourcePenalties authfail:5 min:15 max:600 "
	    "delay:2s\n");
	p = auth_penalty_new(&a, 0);
	assert_int_equal(t_check(p, &a, "10.0.0.1", t, &d, &why), 0);
	assert_int_equal(d, 0);
	/* Three failures: each next connection waits longer. */
	for (i = 0; i < 3; i++) {
		t_rec(p, &a, "10.0.0.1", AUTH_PENALTY_AUTHFAIL, t);
		assert_int_equal(t_check(p, &a, "10.0.0.1", t, &d, &why), 0);
		assert_true(d > prev);
		prev = d;
	}
	assert_int_equal(d, 2000);
	/* Success adds nothing; a fourth failure passes min: refused. */
	t_rec(p, &a, "10.0.0.1", AUTH_PENALTY_SUCCESS, t);
	assert_int_equal(t_check(p, &a, "10.0.0.1", t, &d, &why), 0);
	t_rec(p, &a, "10.0.0.1", AUTH_PENALTY_AUTHFAIL, t);
	assert_int_equal(t_check(p, &a, "10.0.0.1", t, &d, &why),
	    DG_ERR_DENIED);
	assert_string_equal(why, "penalty: failed authentication");
	/* Other sources are not affected. */
	assert_int_equal(t_check(p, &a, "10.0.0.2", t, &d, &why), 0);
	/* Still refused just before the 20 s run out; free after. */
	assert_int_equal(t_check(p, &a, "10.0.0.1", t + 19999, &d, &why),
	    DG_ERR_DENIED);
	assert_int_equal(t_check(p, &a, "10.0.0.1", t + 20000, &d, &why), 0);
	assert_int_equal(d, 0);
	assert_int_equal(auth_penalty_count(p, AF_INET), 0);
	auth_penalty_free(p);
	conf_free(&c);
}

static void
test_penalty_events_and_max(void **state)
{
	struct conf c;
	struct auth_config a;
	struct auth_penalty *p;
	const char *why;
	unsigned d;
	uint64_t t = 5000;

	(void)state;
	t_load_conf(&c, &a, "PerSourcePenalties authfail:50 noauth:2 "
	    "grace-exceeded:30 max:60 min:40\n");
	p = auth_penalty_new(&a, 0);
	t_rec(p, &a, "192.0.2.1", AUTH_PENALTY_NOAUTH, t);
	assert_int_equal(t_check(p, &a, "192.0.2.1", t, &d, &why), 0);
	t_rec(p, &a, "192.0.2.1", AUTH_PENALTY_GRACE, t);	/* 32 s */
	assert_int_equal(t_check(p, &a, "192.0.2.1", t, &d, &why), 0);
	t_rec(p, &a, "192.0.2.1", AUTH_PENALTY_GRACE, t);	/* 62 > max */
	assert_int_equal(t_check(p, &a, "192.0.2.1", t, &d, &why),
	    DG_ERR_DENIED);
	assert_string_equal(why, "penalty: exceeded LoginGraceTime");
	/* Capped at max (60 s), not 62 s. */
	assert_int_equal(t_check(p, &a, "192.0.2.1", t + 60000, &d, &why), 0);
	/* One penalty larger than min is active at once. */
	t_rec(p, &a, "192.0.2.9", AUTH_PENALTY_AUTHFAIL, t);
	assert_int_equal(t_check(p, &a, "192.0.2.9", t, &d, &why),
	    DG_ERR_DENIED);
	auth_penalty_free(p);
	conf_free(&c);
	/* Disabled: nothing is recorded or refused. */
	t_load_conf(&c, &a, "PerSourcePenalties no\n");
	p = auth_penalty_new(&a, 0);
	t_rec(p, &a, "192.0.2.9", AUTH_PENALTY_AUTHFAIL, t);
	assert_int_equal(t_check(p, &a, "192.0.2.9", t, &d, &why), 0);
	assert_int_equal(auth_penalty_count(p, AF_INET), 0);
	auth_penalty_free(p);
	conf_free(&c);
}

static void
test_penalty_netblocks_exempt(void **state)
{
	struct conf c;
	struct auth_config a;
	struct auth_penalty *p;
	const char *why;
	unsigned d;
	uint64_t t = 1;

	(void)state;
	t_load_conf(&c, &a, "PerSourcePenalties authfail:20 min:15\n"
	    "PerSourceNetBlockSize 24:64\n"
	    "PerSourcePenaltyExemptList 198.51.100.0/24,2001:db8:ffff::/48\n");
	p = auth_penalty_new(&a, 0);
	t_rec(p, &a, "10.1.2.3", AUTH_PENALTY_AUTHFAIL, t);
	assert_int_equal(t_check(p, &a, "10.1.2.200", t, &d, &why),
	    DG_ERR_DENIED);
	assert_int_equal(t_check(p, &a, "10.1.3.1", t, &d, &why), 0);
	/* IPv4-mapped IPv6 is the same IPv4 source. */
	assert_int_equal(t_check(p, &a, "::ffff:10.1.2.7", t, &d, &why),
	    DG_ERR_DENIED);
	/* IPv6 /64 netblocks. */
	t_rec(p, &a, "2001:db8:1:2::1", AUTH_PENALTY_AUTHFAIL, t);
	assert_int_equal(t_check(p, &a, "2001:db8:1:2:ffff::9", t, &d, &why),
	    DG_ERR_DENIED);
	assert_int_equal(t_check(p, &a, "2001:db8:1:3::1", t, &d, &why), 0);
	assert_int_equal(auth_penalty_count(p, AF_INET6), 1);
	/* Exempt sources are never penalised. */
	t_rec(p, &a, "198.51.100.7", AUTH_PENALTY_AUTHFAIL, t);
	t_rec(p, &a, "2001:db8:ffff::1", AUTH_PENALTY_AUTHFAIL, t);
	assert_int_equal(t_check(p, &a, "198.51.100.7", t, &d, &why), 0);
	assert_int_equal(t_check(p, &a, "2001:db8:ffff::1", t, &d, &why), 0);
	assert_int_equal(auth_penalty_count(p, AF_INET), 1);
	auth_penalty_free(p);
	conf_free(&c);
}

static void
test_penalty_overflow(void **state)
{
	struct conf c;
	struct auth_config a;
	struct auth_penalty *p;
	const char *why;
	unsigned d;
	char addr[32];
	int i;

	(void)state;
	t_load_conf(&c, &a, "PerSourcePenalties authfail:20 min:15 "
	    "max-sources4:4 max-sources6:2 overflow6:deny-all\n");
	p = auth_penalty_new(&a, 0);
	/* Permissive: the penalty that ends soonest makes room. */
	for (i = 0; i < 5; i++) {
		snprintf(addr, sizeof(addr), "10.0.0.%d", i + 1);
		t_rec(p, &a, addr, AUTH_PENALTY_AUTHFAIL, 1000 + i);
	}
	assert_int_equal(auth_penalty_count(p, AF_INET), 4);
	assert_int_equal(t_check(p, &a, "10.0.0.1", 2000, &d, &why), 0);
	assert_int_equal(t_check(p, &a, "10.0.0.5", 2000, &d, &why),
	    DG_ERR_DENIED);
	assert_int_equal(t_check(p, &a, "10.0.0.2", 2000, &d, &why),
	    DG_ERR_DENIED);
	/* deny-all: a full table refuses every source of the family. */
	t_rec(p, &a, "2001:db8::1", AUTH_PENALTY_AUTHFAIL, 1000);
	t_rec(p, &a, "2001:db8:0:1::1", AUTH_PENALTY_AUTHFAIL, 1000);
	t_rec(p, &a, "2001:db8:0:2::1", AUTH_PENALTY_AUTHFAIL, 1000);
	assert_int_equal(auth_penalty_count(p, AF_INET6), 2);
	assert_int_equal(t_check(p, &a, "2001:db8:9::1", 2000, &d, &why),
	    DG_ERR_DENIED);
	assert_string_equal(why, "too many penalised addresses");
	/* ... until entries expire. */
	assert_int_equal(t_check(p, &a, "2001:db8:9::1", 21001, &d, &why), 0);
	auth_penalty_free(p);
	conf_free(&c);
}

static void
test_penalty_shared_fork(void **state)
{
	struct conf c;
	struct auth_config a;
	struct auth_penalty *p;
	const char *why;
	unsigned d;
	pid_t pid;
	int st;

	(void)state;
	t_load_conf(&c, &a, "PerSourcePenalties authfail:20 min:15\n");
	p = auth_penalty_new(&a, 1);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		t_rec(p, &a, "203.0.113.5", AUTH_PENALTY_AUTHFAIL, 100);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(t_check(p, &a, "203.0.113.5", 200, &d, &why),
	    DG_ERR_DENIED);
	auth_penalty_free(p);
	conf_free(&c);
}

static long
t_rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, rss = 0;

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld %ld", &pages, &rss), 2);
	fclose(f);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static void
test_penalty_million_sources(void **state)
{
	struct conf c;
	struct auth_config a;
	struct auth_penalty *p;
	struct sockaddr_in s4;
	struct timespec t0, t1;
	const char *why;
	unsigned d;
	long before, after;
	uint32_t i;
	double secs;

	(void)state;
	t_load_conf(&c, &a, "");	/* OpenSSH's defaults */
	before = t_rss_kb();
	p = auth_penalty_new(&a, 1);
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 1000000; i++) {
		s4.sin_addr.s_addr = htonl(0x0a000000u + i * 7);
		auth_penalty_record_at(p, &a, (struct sockaddr *)&s4,
		    sizeof(s4), AUTH_PENALTY_AUTHFAIL, 1000 + i / 1000);
		if (i % 10 == 0)
			(void)auth_penalty_check_at(p, &a,
			    (struct sockaddr *)&s4, sizeof(s4),
			    1000 + i / 1000, &d, &why);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	after = t_rss_kb();
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("# 1000000 sources: %zu held (max-sources4), table %zu KiB, "
	    "RSS +%ld KiB, %.0f ns per record\n", auth_penalty_count(p,
	    AF_INET), auth_penalty_size(p) / 1024, after - before,
	    secs * 1e9 / 1000000);
	assert_int_equal(auth_penalty_count(p, AF_INET), 65536);
	/* Memory is the fixed table and nothing more. */
	assert_true((size_t)(after - before) * 1024 <=
	    auth_penalty_size(p) + 512 * 1024);
	assert_true(auth_penalty_size(p) < 8 * 1024 * 1024);
	auth_penalty_free(p);
	conf_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_penalty_grow_refuse_recover),
		cmocka_unit_test(test_penalty_events_and_max),
		cmocka_unit_test(test_penalty_netblocks_exempt),
		cmocka_unit_test(test_penalty_overflow),
		cmocka_unit_test(test_penalty_shared_fork),
		cmocka_unit_test(test_penalty_million_sources),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
