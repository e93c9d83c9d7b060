/* test-route.c: unit tests for routing (gateway/route.c) and the
 * environment directory (gateway/envdir.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "gateway/envdir.h"
#include "gateway/route.h"
#include "gateway/servconf.h"

static void
t_user(const char *in, int want, const char *login, const char *env)
{
	struct route_user u;
	int r;

	memset(&u, 0x55, sizeof(u));
	r = route_parse_user(in, &u);
	if (r != want)
		fail_msg("\"%s\": got %d, want %d", in, r, want);
	if (r == 0) {
		assert_string_equal(u.login, login);
		assert_string_equal(u.env, env);
	}
}

static void
test_parse_user(void **state)
{
	(void)state;
	t_user("alice", 0, "alice", "");
	t_user("alice+gpu", 0, "alice", "alice-gpu");
	t_user("alice+gpu-2", 0, "alice", "alice-gpu-2");
	t_user("alice+=ml-shared", 0, "alice", "ml-shared");
	t_user("j.doe+dev", DG_ERR_INVAL, NULL, NULL);	/* '.' in a label */
	t_user("j_doe+dev", DG_ERR_INVAL, NULL, NULL);
	t_user("j-doe+dev", 0, "j-doe", "j-doe-dev");
	t_user("j.doe", 0, "j.doe", "");
	t_user("j.doe+=dev", 0, "j.doe", "dev");
	t_user("", DG_ERR_INVAL, NULL, NULL);
	t_user("+gpu", DG_ERR_INVAL, NULL, NULL);
	t_user("alice+", DG_ERR_INVAL, NULL, NULL);
	t_user("alice+=", DG_ERR_INVAL, NULL, NULL);
	t_user("alice+GPU", DG_ERR_INVAL, NULL, NULL);
	t_user("alice+g_pu", DG_ERR_INVAL, NULL, NULL);
	t_user("alice+-gpu", DG_ERR_INVAL, NULL, NULL);
	t_user("alice+gpu-", DG_ERR_INVAL, NULL, NULL);
	t_user("alice+a+b", DG_ERR_INVAL, NULL, NULL);
	t_user("Alice+gpu", DG_ERR_INVAL, NULL, NULL);
	t_user("root;rm", DG_ERR_INVAL, NULL, NULL);
	t_user("alice+=a.b", DG_ERR_INVAL, NULL, NULL);
	/* 32-char login + "-" + 30 = 63: fits; one more does not. */
	t_user("a2345678901234567890123456789012+"
	    "b23456789012345678901234567890",
	    0, "a2345678901234567890123456789012",
	    "a2345678901234567890123456789012-b23456789012345678901234567890");
	t_user("a2345678901234567890123456789012+"
	    "b234567890123456789012345678901",
	    DG_ERR_TOOBIG, NULL, NULL);
	t_user("a23456789012345678901234567890123+b", DG_ERR_INVAL, NULL,
	    NULL);
	t_user("alice+=a234567890123456789012345678901234567890123456789012345"
	    "678901234", DG_ERR_TOOBIG, NULL, NULL);
}

static int
t_decide(const char *user, const char *addr_env, const char **cands,
    size_t n, struct route_result *res)
{
	struct route_user u;
	struct route_input in;

	assert_int_equal(route_parse_user(user, &u), 0);
	memset(&in, 0, sizeof(in));
	in.user = &u;
	in.addr_env = addr_env;
	in.candidates = cands;
	in.ncandidates = n;
	return route_decide(&in, res);
}

static void
test_decide(void **state)
{
	struct route_result res;
	const char *one[] = { "alice-dev" };
	const char *dup[] = { "alice-dev", "alice-dev", "" };
	const char *two[] = { "alice-dev", "alice-gpu" };
	struct route_user u;
	struct route_input in;

	(void)state;
	assert_int_equal(t_decide("alice+gpu", NULL, NULL, 0, &res), 0);
	assert_string_equal(res.env, "alice-gpu");
	assert_int_equal(res.how, ROUTE_BY_NAME);
	assert_int_equal(t_decide("alice", "alice-gpu", NULL, 0, &res), 0);
	assert_int_equal(res.how, ROUTE_BY_ADDRESS);
	assert_int_equal(t_decide("alice+gpu", "alice-gpu", NULL, 0, &res), 0);
	assert_int_equal(t_decide("alice+gpu", "bob-x", NULL, 0, &res),
	    DG_ERR_CONFLICT);
	assert_int_equal(t_decide("alice", NULL, one, 1, &res), 0);
	assert_string_equal(res.env, "alice-dev");
	assert_int_equal(res.how, ROUTE_BY_DEFAULT);
	assert_int_equal(t_decide("alice", NULL, dup, 3, &res), 0);
	assert_int_equal(t_decide("alice", NULL, two, 2, &res),
	    DG_ERR_CONFLICT);
	assert_int_equal(t_decide("alice", NULL, NULL, 0, &res),
	    DG_ERR_NOTFOUND);
	/* The name wins over the candidates. */
	assert_int_equal(t_decide("alice+x", NULL, two, 2, &res), 0);
	assert_string_equal(res.env, "alice-x");
	assert_int_equal(route_parse_user("alice", &u), 0);
	memset(&in, 0, sizeof(in));
	in.user = &u;
	assert_true(route_needs_candidates(&in));
	in.addr_env = "x";
	assert_false(route_needs_candidates(&in));
	assert_string_equal(route_how_name(ROUTE_BY_DEFAULT), "default");
}

static void
test_refusal(void **state)
{
	struct route_user u;
	char buf[256];

	(void)state;
	assert_int_equal(route_parse_user("alice", &u), 0);
	route_refusal(DG_ERR_NOTFOUND, &u, "alice", buf, sizeof(buf));
	assert_non_null(strstr(buf, "alice has no environment"));
	assert_non_null(strstr(buf, "alice+ENV"));
	route_refusal(DG_ERR_CONFLICT, &u, "alice", buf, sizeof(buf));
	assert_non_null(strstr(buf, "which environment?"));
	route_refusal(DG_ERR_INVAL, NULL, "Bad+User", buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"Bad+User\" is not a valid user name"));
	assert_null(strchr(buf, '\n'));
}

static void
t_collect(void *arg, const struct envdir_entry *e)
{
	char *buf = arg;

	strcat(buf, e->env);
	strcat(buf, ";");
}

static void
test_envdir(void **state)
{
	struct servconf sc;
	struct envdir *d;
	struct envdir_entry e;
	char err[256], buf[256];

	(void)state;
	assert_int_equal(servconf_load_string(&sc, "t",
	    "Environment ml owner=bob members=alice,carol team=ml\n"
	    "Environment bob-x owner=bob\n"
	    "EnvironmentAddress ml 127.0.0.7\n"
	    "EnvironmentAddress alice-gpu ::1\n", err, sizeof(err)), 0);
	d = envdir_new();
	envdir_add_config(d, &sc.gw);
	assert_int_equal(envdir_lookup(d, "ml", &e), 0);
	assert_string_equal(e.owner, "bob");
	assert_string_equal(e.team, "ml");
	assert_string_equal(e.addr, "127.0.0.7");
	assert_string_equal(e.members[1], "carol");
	assert_null(e.members[2]);
	assert_true(envdir_is_member(&e, "alice"));
	assert_true(envdir_is_member(&e, "bob"));
	assert_false(envdir_is_member(&e, "dave"));
	/* Known only by its address: no owner. */
	assert_int_equal(envdir_lookup(d, "alice-gpu", &e), 0);
	assert_null(e.owner);
	assert_int_equal(envdir_lookup(d, "nope", &e), DG_ERR_NOTFOUND);
	assert_int_equal(envdir_by_addr(d, "::1", &e), 0);
	assert_string_equal(e.env, "alice-gpu");
	assert_int_equal(envdir_by_addr(d, "127.0.0.8", &e), DG_ERR_NOTFOUND);
	buf[0] = '\0';
	envdir_for_user(d, "alice", t_collect, buf);
	assert_string_equal(buf, "ml;");
	buf[0] = '\0';
	envdir_for_user(d, "bob", t_collect, buf);
	assert_string_equal(buf, "ml;bob-x;");
	buf[0] = '\0';
	envdir_for_user(d, "dave", t_collect, buf);
	assert_string_equal(buf, "");
	envdir_free(d);
	servconf_free(&sc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_user),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_refusal),
		cmocka_unit_test(test_envdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
