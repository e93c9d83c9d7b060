/* test-auth-methods.c: unit tests for AuthenticationMethods sequencing
 * (auth/auth-methods.c): any, sequences, alternatives, partial success,
 * what to advertise next, and refused methods. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "auth/auth.h"
#include "common/err.h"

static void
test_methods_any(void **state)
{
	struct auth_methods *m;
	char err[128], next[128];

	(void)state;
	assert_int_equal(auth_methods_new("any", &m, err, sizeof(err)), 0);
	assert_true(auth_methods_allowed(m, "publickey"));
	assert_true(auth_methods_allowed(m, "keyboard-interactive"));
	assert_false(auth_methods_allowed(m, "password"));
	auth_methods_next(m, "publickey", next, sizeof(next));
	assert_string_equal(next, "publickey");
	auth_methods_next(m, NULL, next, sizeof(next));
	assert_string_equal(next, "publickey,keyboard-interactive");
	assert_int_equal(auth_methods_complete(m, "keyboard-interactive"),
	    AUTH_METHODS_DONE);
	assert_string_equal(auth_methods_done(m), "keyboard-interactive");
	auth_methods_free(m);
	assert_int_equal(auth_methods_new(NULL, &m, err, sizeof(err)), 0);
	assert_int_equal(auth_methods_complete(m, "publickey"),
	    AUTH_METHODS_DONE);
	auth_methods_free(m);
}

static void
test_methods_sequence(void **state)
{
	struct auth_methods *m;
	char err[128], next[128];

	(void)state;
	assert_int_equal(auth_methods_new("publickey,keyboard-interactive", &m,
	    err, sizeof(err)), 0);
	assert_true(auth_methods_allowed(m, "publickey"));
	assert_false(auth_methods_allowed(m, "keyboard-interactive"));
	assert_int_equal(auth_methods_complete(m, "keyboard-interactive"),
	    AUTH_METHODS_DENIED);
	auth_methods_next(m, "publickey,keyboard-interactive", next,
	    sizeof(next));
	assert_string_equal(next, "publickey");
	assert_int_equal(auth_methods_complete(m, "publickey"),
	    AUTH_METHODS_PARTIAL);
	assert_false(auth_methods_allowed(m, "publickey"));
	auth_methods_next(m, "publickey,keyboard-interactive", next,
	    sizeof(next));
	assert_string_equal(next, "keyboard-interactive");
	/* Not enabled on this server: nothing to advertise. */
	auth_methods_next(m, "publickey", next, sizeof(next));
	assert_string_equal(next, "");
	assert_int_equal(auth_methods_complete(m, "keyboard-interactive:pam"),
	    AUTH_METHODS_DONE);
	assert_string_equal(auth_methods_done(m),
	    "publickey,keyboard-interactive");
	auth_methods_free(m);
}

static void
test_methods_alternatives(void **state)
{
	struct auth_methods *m;
	char err[128], next[128];

	(void)state;
	assert_int_equal(auth_methods_new("publickey,publickey "
	    "keyboard-interactive,publickey", &m, err, sizeof(err)), 0);
	auth_methods_next(m, NULL, next, sizeof(next));
	assert_string_equal(next, "publickey,keyboard-interactive");
	assert_int_equal(auth_methods_complete(m, "publickey"),
	    AUTH_METHODS_PARTIAL);
	/* The second list still starts with keyboard-interactive. */
	assert_true(auth_methods_allowed(m, "keyboard-interactive"));
	assert_int_equal(auth_methods_complete(m, "publickey"),
	    AUTH_METHODS_DONE);
	auth_methods_free(m);
}

static void
test_methods_invalid(void **state)
{
	char err[128];

	(void)state;
	assert_int_equal(auth_methods_valid("publickey,password", err,
	    sizeof(err)), DG_ERR_PARSE);
	assert_non_null(strstr(err, "not supported"));
	assert_int_equal(auth_methods_valid("publickey,bogus", err,
	    sizeof(err)), DG_ERR_PARSE);
	assert_non_null(strstr(err, "unknown"));
	assert_int_equal(auth_methods_valid("   ", err, sizeof(err)),
	    DG_ERR_PARSE);
	assert_int_equal(auth_methods_valid("publickey,", err, sizeof(err)),
	    DG_ERR_PARSE);
	assert_int_equal(auth_methods_valid("any", err, sizeof(err)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_methods_any),
		cmocka_unit_test(test_methods_sequence),
		cmocka_unit_test(test_methods_alternatives),
		cmocka_unit_test(test_methods_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
