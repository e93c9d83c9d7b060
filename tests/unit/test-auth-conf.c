/* test-auth-conf.c: unit tests for the auth config area (auth/auth-conf.c)
 * and Match criteria (auth/auth-match.c): defaults, every custom keyword,
 * errors with file:line, -T round trip, pattern and address lists, and the
 * per-connection config of auth_config_for(). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/auth-match.h"
#include "common/conf.h"
#include "common/err.h"
#include "common/xmalloc.h"
#include "tests/unit/auth-testutil.h"

static int
t_try(const char *text, char *err, size_t errlen)
{
	const struct conf_table *tables[] = { &auth_conf_table };
	struct auth_config a;
	void *areas[] = { &a };
	struct conf c;
	int r;

	memset(&a, 0, sizeof(a));
	conf_init(&c, 1, tables, areas);
	conf_set_match_check(&c, auth_match_check);
	err[0] = '\0';
	r = conf_load_string(&c, "t.conf", text, err, errlen);
	if (r == 0)
		r = conf_finish(&c, err, errlen);
	conf_free(&c);
	return r;
}

static void
test_conf_defaults(void **state)
{
	struct conf c;
	struct auth_config a;

	(void)state;
	t_load_conf(&c, &a, "");
	assert_int_equal(a.authorized_keys_file.n, 1);
	assert_string_equal(a.authorized_keys_file.v[0], ".ssh/authorized_keys");
	assert_null(a.authorized_keys_url);
	assert_int_equal(a.authorized_keys_url_timeout, 5);
	assert_int_equal(a.authorized_keys_url_max_size, 256 * 1024);
	assert_int_equal(a.authorized_keys_url_cache_ttl, 300);
	assert_int_equal(a.authorized_keys_url_stale_ttl, 86400);
	assert_true(a.strict_modes);
	assert_string_equal(a.permit_user_environment, "no");
	assert_null(a.trusted_user_ca_keys);
	assert_int_equal(a.certificate_clock_skew, 0);
	assert_null(strstr(a.ca_signature_algorithms, "ssh-rsa,"));
	assert_false(a.use_pam);
	assert_string_equal(a.pam_service_name, "devgate");
	assert_string_equal(a.authentication_methods, "any");
	assert_int_equal(a.max_sessions, 10);
	assert_true(a.permit_shell && a.permit_exec && a.permit_sftp);
	assert_int_equal(a.allow_tcp_forwarding, AUTH_FWD_YES);
	assert_false(a.x11_forwarding);
	assert_int_equal(a.permit_open.n, 1);
	assert_true(a.penalties.enabled);
	assert_int_equal(a.penalties.authfail, 5);
	assert_int_equal(a.penalties.min, 15);
	assert_int_equal(a.penalties.max, 600);
	assert_int_equal(a.penalties.max_sources4, 65536);
	assert_string_equal(a.net_block_size, "32:128");
	assert_string_equal(a.audit_log, "none");
	conf_free(&c);
}

static void
test_conf_values(void **state)
{
	struct conf c;
	struct auth_config a;

	(void)state;
	t_load_conf(&c, &a, "AuthorizedKeysFile /etc/devgate/keys/%u "
	    "%h/.ssh/authorized_keys\nAuthorizedKeysURL https://keys.corp/%u."
	    "keys\nAuthenticationMethods publickey,keyboard-interactive "
	    "publickey,publickey\nPerSourcePenalties authfail:30s min:1m "
	    "delay:250ms overflow6:deny-all\nPermitOpen localhost:8888 "
	    "[::1]:*\nAdminUsers carol\nAdminGroup wheel admins\n"
	    "AllowTcpForwarding local\nPerSourceNetBlockSize 24:64\n"
	    "PermitUserEnvironment LANG,LC_*\nUsePAM yes\n");
	assert_int_equal(a.authorized_keys_file.n, 2);
	assert_string_equal(a.authentication_methods,
	    "publickey,keyboard-interactive publickey,publickey");
	assert_int_equal(a.penalties.authfail, 30);
	assert_int_equal(a.penalties.min, 60);
	assert_int_equal(a.penalties.delay, 250);
	assert_int_equal(a.penalties.noauth, 1);	/* default kept */
	assert_int_equal(a.penalties.overflow6, AUTH_OVERFLOW_DENY_ALL);
	assert_int_equal(a.permit_open.n, 2);
	assert_int_equal(a.admin_groups.n, 2);
	assert_int_equal(a.allow_tcp_forwarding, AUTH_FWD_LOCAL);
	assert_true(a.use_pam);
	conf_free(&c);
	t_load_conf(&c, &a, "PerSourcePenalties no\n");
	assert_false(a.penalties.enabled);
	conf_free(&c);
}

static void
t_bad(const char *text, const char *want)
{
	char err[512];

	assert_int_equal(t_try(text, err, sizeof(err)), DG_ERR_PARSE);
	if (strstr(err, want) == NULL)
		fail_msg("\"%s\": error \"%s\" lacks \"%s\"", text, err, want);
}

static void
test_conf_errors(void **state)
{
	(void)state;
	t_bad("AuthenticationMethods password\n", "t.conf:1: "
	    "AuthenticationMethods: method \"password\" is not supported");
	t_bad("AuthenticationMethods any publickey\n", "alone");
	t_bad("AuthenticationMethods publickey,,x\n", "empty method");
	t_bad("\nPerSourcePenalties authfail:abc\n", "t.conf:2: "
	    "PerSourcePenalties: bad time");
	t_bad("PerSourcePenalties bogus:1\n", "unknown option");
	t_bad("PerSourcePenalties overflow:maybe\n", "permissive or deny-all");
	t_bad("PerSourcePenalties max-sources4:0\n", "bad count");
	t_bad("PermitOpen nohostport\n", "expected host:port");
	t_bad("PermitOpen any localhost:22\n", "must be alone");
	t_bad("PerSourceNetBlockSize 33\n", "IPv4 1-32");
	t_bad("PerSourcePenaltyExemptList 10.0.0.1/8\n", "invalid address");
	t_bad("CASignatureAlgorithms ssh-dss\n", "unsupported algorithm");
	t_bad("AllowTcpForwarding sometimes\n", "unknown value");
	t_bad("MaxSessions -1\n", "out of range");
	t_bad("Match Host x\n", "unsupported Match criterion \"Host\"");
	t_bad("Match User\n", "Match User needs a value");
	t_bad("Match Address 10.0.0.1/8\n", "invalid address list");
	t_bad("Match LocalPort 99999\n", "invalid port");
	t_bad("Match All User x\n", "cannot be combined");
	t_bad("Match User x\nTrustedUserCAKeys /x\n", "not allowed in a Match");
	t_bad("Match User x\nAuthenticationMethods nope\n", "t.conf:2:");
}

static void
test_conf_dump_roundtrip(void **state)
{
	const struct conf_table *tables[] = { &auth_conf_table };
	struct conf c, c2;
	struct auth_config a, b;
	void *areas2[] = { &b };
	char *out1 = NULL, *out2 = NULL, err[256];
	size_t n1 = 0, n2 = 0;
	FILE *f;

	(void)state;
	t_load_conf(&c, &a, "AuthorizedKeysFile /k/%u \"/with space/%u\"\n"
	    "AuthenticationMethods publickey,keyboard-interactive\n"
	    "PerSourcePenalties authfail:9 delay:1500ms\nPermitOpen [::1]:22\n"
	    "AuditLog stdout\nPerSourcePenaltyExemptList 10.0.0.0/8,::1\n");
	f = open_memstream(&out1, &n1);
	conf_dump(&c, f);
	fclose(f);
	assert_non_null(strstr(out1, "authenticationmethods "
	    "publickey,keyboard-interactive\n"));
	assert_non_null(strstr(out1, "persourcepenalties crash:90 authfail:9"));
	assert_non_null(strstr(out1, "delay:1500ms"));
	assert_non_null(strstr(out1, "authorizedkeysfile /k/%u \"/with "
	    "space/%u\"\n"));
	memset(&b, 0, sizeof(b));
	conf_init(&c2, 1, tables, areas2);
	conf_set_match_check(&c2, auth_match_check);
	if (conf_load_string(&c2, "dump", out1, err, sizeof(err)) != 0)
		fail_msg("dump does not parse back: %s\n%s", err, out1);
	assert_int_equal(conf_finish(&c2, err, sizeof(err)), 0);
	f = open_memstream(&out2, &n2);
	conf_dump(&c2, f);
	fclose(f);
	assert_string_equal(out1, out2);
	free(out1);
	free(out2);
	conf_free(&c);
	conf_free(&c2);
}

static void
test_match_patterns(void **state)
{
	(void)state;
	assert_int_equal(auth_match_pattern("alice", "a*"), 1);
	assert_int_equal(auth_match_pattern("alice", "a?ice"), 1);
	assert_int_equal(auth_match_pattern("alice", "*e*e"), 0);
	assert_int_equal(auth_match_pattern("", "*"), 1);
	assert_int_equal(auth_match_pattern("aaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
	    "*a*a*a*a*a*a*a*a*a*a*a*a*c"), 0);
	assert_int_equal(auth_match_pattern_list("bob", "alice,b*", 0), 1);
	assert_int_equal(auth_match_pattern_list("bob", "*,!bob", 0), -1);
	assert_int_equal(auth_match_pattern_list("carol", "*,!bob", 0), 1);
	assert_int_equal(auth_match_pattern_list("dave", "alice,bob", 0), 0);
	assert_int_equal(auth_match_list_has("publickey,password", "password"),
	    1);
	assert_int_equal(auth_match_list_has("publickey,password", "public"),
	    0);
	assert_int_equal(auth_match_list_has("publickey", "publickey,x"), 0);
	assert_int_equal(auth_match_list_has("a*,b", "abc"), 0);
	assert_int_equal(auth_match_list_has("", "a"), 0);
	assert_int_equal(auth_match_list_has("x,,ssh-rsa", "ssh-rsa"), 1);
	assert_int_equal(auth_match_addr_list("10.1.2.3", "10.0.0.0/8"), 1);
	assert_int_equal(auth_match_addr_list("10.1.2.3",
	    "10.0.0.0/8,!10.1.0.0/16"), -1);
	assert_int_equal(auth_match_addr_list("192.168.1.9", "192.168.1.*"), 1);
	assert_int_equal(auth_match_addr_list("2001:db8::5", "2001:db8::/32"),
	    1);
	assert_int_equal(auth_match_addr_list("2001:db9::5", "2001:db8::/32"),
	    0);
	assert_int_equal(auth_match_addr_list(NULL, "10.0.0.1/8"), -2);
	assert_int_equal(auth_match_addr_list(NULL, "10.0.0.0/33"), -2);
	assert_int_equal(auth_match_addr_list(NULL, "10.0.0.0/8,,x"), -2);
	assert_int_equal(auth_match_cidr_list("10.9.9.9", "10.0.0.0/8"), 1);
	assert_int_equal(auth_match_cidr_list("10.9.9.9", "10.*"), -1);
	assert_int_equal(auth_match_cidr_list("10.9.9.9", "!10.0.0.0/8"), -1);
	assert_int_equal(auth_match_from("10.9.9.9", "10.*,!10.9.*"), 0);
	assert_int_equal(auth_match_from("10.8.9.9", "10.*,!10.9.*"), 1);
	assert_int_equal(auth_match_from("10.8.9.9", "10.0.0.1/8"), -1);
}

static void
test_match_eval(void **state)
{
	const char *groups[] = { "dev", "gpu-users" };
	struct auth_match_ctx m = { "alice", groups, 2, "10.1.2.3",
	    "127.0.0.7", 2222, "alice-gpu" };
	char *crit[8];

	(void)state;
#define EVAL(...) (memcpy(crit, (char *[]){ __VA_ARGS__ },		\
	sizeof((char *[]){ __VA_ARGS__ })),				\
	auth_match_eval(&m, sizeof((char *[]){ __VA_ARGS__ }) /		\
	sizeof(char *), crit))
	assert_int_equal(EVAL("All"), 1);
	assert_int_equal(EVAL("user", "al*"), 1);
	assert_int_equal(EVAL("User", "bob"), 0);
	assert_int_equal(EVAL("Group", "gpu-*"), 1);
	assert_int_equal(EVAL("Group", "*,!dev"), 0);
	assert_int_equal(EVAL("Address", "10.0.0.0/8", "User", "alice"), 1);
	assert_int_equal(EVAL("Address", "10.0.0.0/8", "User", "bob"), 0);
	assert_int_equal(EVAL("LocalAddress", "127.0.0.0/8"), 1);
	assert_int_equal(EVAL("LocalPort", "2222"), 1);
	assert_int_equal(EVAL("LocalPort", "22"), 0);
	assert_int_equal(EVAL("Environment", "*-gpu"), 1);
	m.env = NULL;
	assert_int_equal(EVAL("Environment", "*"), 0);
#undef EVAL
}

static void
test_config_for(void **state)
{
	const struct conf_table *tables[] = { &auth_conf_table };
	struct auth_config a, copy;
	void *areas[] = { &a }, *copies[] = { &copy };
	const char *groups[] = { "contractors" };
	struct auth_match_ctx m = { "bob", NULL, 0, "10.1.2.3", NULL, 0,
	    "bob-cpu" };
	struct conf c;
	char err[256];

	(void)state;
	memset(&a, 0, sizeof(a));
	conf_init(&c, 1, tables, areas);
	conf_set_match_check(&c, auth_match_check);
	assert_int_equal(conf_load_string(&c, "t.conf",
	    "MaxSessions 10\nPermitOpen any\n"
	    "Match Group contractors\n  PermitShell no\n  MaxSessions 2\n"
	    "  AllowTcpForwarding no\n"
	    "Match Environment *-gpu Address 10.0.0.0/8\n  PermitSFTP no\n"
	    "  PermitOpen localhost:8888\n"
	    "Match All\n  MaxSessions 5\n", err, sizeof(err)), 0);
	assert_int_equal(conf_finish(&c, err, sizeof(err)), 0);

	memset(&copy, 0, sizeof(copy));
	assert_int_equal(auth_config_for(&c, &m, copies, err, sizeof(err)), 0);
	assert_true(copy.permit_shell);
	assert_true(copy.permit_sftp);
	assert_int_equal(copy.max_sessions, 5);
	auth_config_for_free(&c, copies);

	m.groups = groups;
	m.ngroups = 1;
	m.env = "bob-gpu";
	memset(&copy, 0, sizeof(copy));
	assert_int_equal(auth_config_for(&c, &m, copies, err, sizeof(err)), 0);
	assert_false(copy.permit_shell);
	assert_false(copy.permit_sftp);
	assert_int_equal(copy.max_sessions, 2);	/* first Match wins */
	assert_int_equal(copy.allow_tcp_forwarding, AUTH_FWD_NO);
	assert_int_equal(copy.permit_open.n, 1);
	assert_string_equal(copy.permit_open.v[0], "localhost:8888");
	auth_config_for_free(&c, copies);
	/* The global config is untouched. */
	assert_true(a.permit_shell);
	assert_int_equal(a.max_sessions, 10);
	conf_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_defaults),
		cmocka_unit_test(test_conf_values),
		cmocka_unit_test(test_conf_errors),
		cmocka_unit_test(test_conf_dump_roundtrip),
		cmocka_unit_test(test_match_patterns),
		cmocka_unit_test(test_match_eval),
		cmocka_unit_test(test_config_for),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
