/* test-servconf.c: unit tests for the gateway config (gateway/servconf.c):
 * keywords, defaults, the embedded default, -T round trip, and every
 * error path with its file:line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "auth/auth-conf.h"
#include "dns/dns-conf.h"
#include "gateway/servconf.h"

static char *
t_dump(const struct servconf *sc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	servconf_dump(sc, f);
	fclose(f);
	return buf;
}

static void
t_ok(struct servconf *sc, const char *text)
{
	char err[512] = "";
	int r = servconf_load_string(sc, "t.conf", text, err, sizeof(err));

	if (r != 0)
		fail_msg("unexpected error: %s", err);
}

/* Loading text must fail with exactly this message. */
static void
t_err(const char *text, const char *want)
{
	struct servconf sc;
	char err[512] = "";

	assert_int_not_equal(servconf_load_string(&sc, "t.conf", text, err,
	    sizeof(err)), 0);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
	servconf_free(&sc);
}

static void
test_defaults(void **state)
{
	struct servconf sc;

	(void)state;
	t_ok(&sc, "");
	assert_int_equal(sc.gw.port, 22);
	assert_int_equal(sc.gw.listen.n, 2);
	assert_string_equal(sc.gw.listen.v[0].host, "0.0.0.0");
	assert_int_equal(sc.gw.listen.v[0].port, 22);
	assert_string_equal(sc.gw.listen.v[1].host, "::");
	assert_int_equal(sc.gw.login_grace, 120);
	assert_int_equal(sc.gw.max_auth_tries, 6);
	assert_int_equal(sc.gw.maxstartups.start, 10);
	assert_int_equal(sc.gw.maxstartups.rate, 30);
	assert_int_equal(sc.gw.maxstartups.full, 100);
	assert_int_equal(sc.gw.alive_interval, 0);
	assert_int_equal(sc.gw.alive_count, 3);
	assert_int_equal(sc.gw.log_level, LOG_L_INFO);
	assert_int_equal(sc.gw.workers, 0);
	assert_int_equal(sc.gw.shutdown_grace, 60);
	assert_null(sc.gw.kubeconfig);
	assert_null(sc.gw.namespace);
	assert_int_equal(sc.gw.hostkeys.n, 1);
	assert_string_equal(sc.gw.hostkeys.v[0],
	    "/var/lib/devgate/ssh_host_ed25519_key");
	assert_non_null(sc.auth);
	assert_string_equal(((struct dns_config *)sc.dns)->state_dir,
	    "/var/lib/devgate/dns");
	servconf_free(&sc);

	/* The DNS queue follows StateDirectory unless placed elsewhere. */
	t_ok(&sc, "StateDirectory /srv/dg\n");
	assert_string_equal(((struct dns_config *)sc.dns)->state_dir,
	    "/srv/dg/dns");
	servconf_free(&sc);
	t_ok(&sc, "StateDirectory /srv/dg\nDNSStateDirectory /q\n");
	assert_string_equal(((struct dns_config *)sc.dns)->state_dir, "/q");
	servconf_free(&sc);
}

static void
test_keywords(void **state)
{
	struct servconf sc;

	(void)state;
	t_ok(&sc,
	    "# comment\n"
	    "Port 2200\n"
	    "ListenAddress 127.0.0.1\n"
	    "ListenAddress 127.0.0.2:2222\n"
	    "ListenAddress [::1]:2223\n"
	    "listenaddress ::1\n"
	    "HostKey /k/ssh_host_rsa_key\n"
	    "HostKey /k/ssh_host_ecdsa_key\n"
	    "Kubeconfig /etc/kube.conf\n"
	    "Namespace envs\n"
	    "Container main\n"
	    "LoginGraceTime 1m30s\n"
	    "MaxAuthTries 3\n"
	    "MaxStartups 5:50:20\n"
	    "ClientAliveInterval 15\n"
	    "ClientAliveCountMax 2\n"
	    "LogLevel DEBUG\n"
	    "LogFormat json\n"
	    "Workers 4\n"
	    "ShutdownGraceTime 5m\n"
	    "AcceptEnv GIT_* EDITOR\n"
	    "AcceptEnv PAGER\n"
	    "EnvironmentAddress alice-gpu 127.0.0.5\n"
	    "EnvironmentAddress bob 2001:db8::0:1\n"
	    "Environment ml-shared owner=bob members=alice,carol team=ml "
	    "profile=gpu-a100\n"
	    "Port 2300\n");
	assert_int_equal(sc.gw.port, 2200);	/* first value wins */
	assert_int_equal(sc.gw.listen.n, 4);
	assert_int_equal(sc.gw.listen.v[0].port, 2200);
	assert_int_equal(sc.gw.listen.v[1].port, 2222);
	assert_string_equal(sc.gw.listen.v[2].host, "::1");
	assert_int_equal(sc.gw.listen.v[2].port, 2223);
	assert_int_equal(sc.gw.listen.v[3].port, 2200);
	assert_int_equal(sc.gw.hostkeys.n, 2);
	assert_string_equal(sc.gw.kubeconfig, "/etc/kube.conf");
	assert_string_equal(sc.gw.namespace, "envs");
	assert_string_equal(sc.gw.container, "main");
	assert_int_equal(sc.gw.login_grace, 90);
	assert_int_equal(sc.gw.max_auth_tries, 3);
	assert_int_equal(sc.gw.maxstartups.start, 5);
	assert_int_equal(sc.gw.maxstartups.full, 20);
	assert_int_equal(sc.gw.log_level, LOG_L_DEBUG1);
	assert_int_equal(sc.gw.log_format, SERVCONF_LOG_JSON);
	assert_int_equal(sc.gw.workers, 4);
	assert_int_equal(sc.gw.shutdown_grace, 300);
	assert_int_equal(sc.gw.accept_env.n, 3);
	assert_true(servconf_accept_env(&sc.gw.accept_env, "GIT_AUTHOR"));
	assert_true(servconf_accept_env(&sc.gw.accept_env, "PAGER"));
	assert_false(servconf_accept_env(&sc.gw.accept_env, "LD_PRELOAD"));
	assert_int_equal(sc.gw.env_addrs.n, 2);
	assert_string_equal(sc.gw.env_addrs.v[1].addr, "2001:db8::1");
	assert_int_equal(sc.gw.envs.n, 1);
	assert_string_equal(sc.gw.envs.v[0].owner, "bob");
	assert_int_equal(sc.gw.envs.v[0].nmembers, 2);
	assert_string_equal(sc.gw.envs.v[0].members[1], "carol");
	assert_string_equal(sc.gw.envs.v[0].team, "ml");
	assert_string_equal(sc.gw.envs.v[0].profile, "gpu-a100");
	servconf_free(&sc);
}

/* -T output parses back to the same settings (and so the same dump). */
static void
t_roundtrip(const char *text)
{
	struct servconf a, b;
	char *d1, *d2;

	t_ok(&a, text);
	d1 = t_dump(&a);
	t_ok(&b, d1);
	d2 = t_dump(&b);
	assert_string_equal(d1, d2);
	free(d1);
	free(d2);
	servconf_free(&a);
	servconf_free(&b);
}

static void
test_roundtrip(void **state)
{
	(void)state;
	t_roundtrip("");
	t_roundtrip(servconf_embedded);
	t_roundtrip("ListenAddress [::1]:2222\nListenAddress 10.1.2.3\n"
	    "Port 99\nAcceptEnv A_B C* D?\nMaxStartups 7\n"
	    "Environment e1 owner=u members=a,b team=t\n"
	    "Environment e2 owner=v\nEnvironmentAddress e1 127.0.0.9\n"
	    "LogLevel debug3\nKubeconfig \"/x y/kube config\"\n");
}

static void
test_dump_text(void **state)
{
	struct servconf sc;
	char *d;

	(void)state;
	t_ok(&sc, "ListenAddress [::1]:2222\nMaxStartups 7\n"
	    "Environment e1 owner=u members=a,b team=t\n"
	    "EnvironmentAddress e1 127.0.0.9\n");
	d = t_dump(&sc);
	assert_non_null(strstr(d, "listenaddress [::1]:2222\n"));
	assert_non_null(strstr(d, "maxstartups 7:100:7\n"));
	assert_non_null(strstr(d, "environment e1 owner=u members=a,b "
	    "team=t\n"));
	assert_non_null(strstr(d, "environmentaddress e1 127.0.0.9\n"));
	assert_non_null(strstr(d, "logingracetime 120\n"));
	assert_non_null(strstr(d, "kubeconfig none\n"));
	/* Unset strings are printed too, as sshd -T does. */
	assert_non_null(strstr(d, "namespace none\n"));
	assert_non_null(strstr(d, "dnszone none\n"));
	assert_non_null(strstr(d, "loglevel INFO\n"));
	/* The auth area is in the same dump. */
	assert_non_null(strstr(d, "maxsessions "));
	free(d);
	servconf_free(&sc);
}

static void
test_embedded(void **state)
{
	struct servconf sc;
	char err[256];

	(void)state;
	setenv("HOME", "/home/tester", 1);
	assert_int_equal(servconf_load(&sc, NULL, err, sizeof(err)), 0);
	assert_int_equal(sc.gw.listen.n, 1);
	assert_string_equal(sc.gw.listen.v[0].host, "127.0.0.1");
	assert_int_equal(sc.gw.listen.v[0].port, 2222);
	assert_string_equal(sc.gw.hostkeys.v[0],
	    "/home/tester/.local/state/devgate/ssh_host_ed25519_key");
	assert_string_equal(sc.gw.kubeconfig,
	    "/home/tester/.local/state/devgate/kubesim/kubeconfig");
	assert_int_equal(sc.auth->authorized_keys_file.n, 1);
	assert_string_equal(sc.auth->authorized_keys_file.v[0],
	    "/home/tester/.local/state/devgate/authorized_keys/%u");
	servconf_free(&sc);
}

static void
test_file(void **state)
{
	struct servconf sc;
	char path[] = "/tmp/test-servconf.XXXXXX", err[512];
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_true(write(fd, "Port 2022\nBogus 1\n", 18) == 18);
	close(fd);
	assert_int_not_equal(servconf_load(&sc, path, err, sizeof(err)), 0);
	assert_non_null(strstr(err, ":2: unknown keyword \"Bogus\""));
	assert_non_null(strstr(err, path));
	servconf_free(&sc);
	unlink(path);
	assert_int_not_equal(servconf_load(&sc, path, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "No such file"));
	servconf_free(&sc);
}

static void
test_errors(void **state)
{
	(void)state;
	t_err("Port 2022\nBogus 1\n", "t.conf:2: unknown keyword \"Bogus\"");
	t_err("Port 0\n", "t.conf:1: Port: 0 is out of range");
	t_err("Port x\n", "t.conf:1: Port: bad number");
	t_err("ListenAddress host.example\n", "t.conf:1: ListenAddress: "
	    "\"host.example\" is not a numeric");
	t_err("ListenAddress 1.2.3.4:0\n", "t.conf:1: ListenAddress");
	t_err("ListenAddress 1.2.3.4:70000\n", "t.conf:1: ListenAddress");
	t_err("ListenAddress [1.2.3.4]:22\n", "t.conf:1: ListenAddress");
	t_err("ListenAddress [::1\n", "t.conf:1: ListenAddress");
	t_err("ListenAddress ::1 extra\n", "t.conf:1: ListenAddress takes");
	t_err("ListenAddress 1.2.3.4:22\nListenAddress 1.2.3.4:22\n",
	    "t.conf:2: ListenAddress: 1.2.3.4:22 given twice");
	t_err("ListenAddress 1.2.3.4\nListenAddress 1.2.3.4:22\n",
	    "ListenAddress 1.2.3.4 port 22 is given twice");
	t_err("MaxStartups 10:30\n", "t.conf:1: MaxStartups: expected");
	t_err("MaxStartups 10:0:100\n", "t.conf:1: MaxStartups");
	t_err("MaxStartups 50:30:10\n", "t.conf:1: MaxStartups");
	t_err("MaxStartups a\n", "t.conf:1: MaxStartups");
	t_err("MaxStartups 1:2:3:4\n", "t.conf:1: MaxStartups");
	t_err("LoginGraceTime soon\n", "t.conf:1: LoginGraceTime: bad time");
	t_err("MaxAuthTries 0\n", "t.conf:1: MaxAuthTries: 0 is out of range");
	t_err("LogLevel LOUD\n", "t.conf:1: LogLevel: expected QUIET");
	t_err("LogFormat xml\n", "t.conf:1: LogFormat: unknown value");
	t_err("Workers 1000\n", "t.conf:1: Workers: 1000 is out of range");
	t_err("HostKeyType dsa\n", "t.conf:1: HostKeyType: unknown value");
	t_err("EnvironmentAddress Alice 1.2.3.4\n", "t.conf:1: "
	    "EnvironmentAddress: \"Alice\" is not an environment name");
	t_err("EnvironmentAddress a 1.2.3\n", "t.conf:1: EnvironmentAddress: "
	    "\"1.2.3\" is not a numeric");
	t_err("EnvironmentAddress a 1.2.3.4\nEnvironmentAddress b 1.2.3.4\n",
	    "t.conf:2: EnvironmentAddress: 1.2.3.4 already belongs to a");
	t_err("EnvironmentAddress a\n", "t.conf:1: EnvironmentAddress takes");
	t_err("Environment e\n", "t.conf:1: Environment takes");
	t_err("Environment e team=t\n", "t.conf:1: Environment e: "
	    "owner=USER is required");
	t_err("Environment e owner=Bob\n", "t.conf:1: Environment e: bad or "
	    "repeated \"owner=Bob\"");
	t_err("Environment e owner=b owner=c\n", "repeated \"owner=c\"");
	t_err("Environment e owner=b members=a,,c\n", "t.conf:1: Environment "
	    "e: \"\" is not a user name");
	t_err("Environment e owner=b colour=red\n", "\"colour=red\"");
	t_err("Environment e owner=b\nEnvironment e owner=c\n",
	    "t.conf:2: Environment e is defined twice");
	t_err("Environment -e owner=b\n", "\"-e\" is not an environment");
	t_err("Namespace Bad_NS\n", "Namespace: \"Bad_NS\" is not");
	t_err("Port \"22\n", "t.conf:1: unbalanced quotes");
	t_err("Match User alice\nWorkers 3\n", "t.conf:2: Workers is not "
	    "allowed in a Match block");
	t_err("StateDirectory none\n", "HostKey: none given");
	t_err("HostKey keys/host\n", "t.conf:1: HostKey: \"keys/host\" is not "
	    "an absolute path");
	t_err("HostKey==\n", "t.conf:1: HostKey: \"=\" is not");
	t_err("AcceptEnv LANG X-Y\n", "t.conf:1: AcceptEnv: \"X-Y\" is not a "
	    "variable name pattern");
	t_err("Match User bob\nAcceptEnv A=B\n", "t.conf:2: AcceptEnv: "
	    "\"A=B\" is not");
}

static void
test_match(void **state)
{
	struct servconf sc;

	(void)state;
	t_ok(&sc, "ClientAliveInterval 10\nMatch User alice\n"
	    "ClientAliveInterval 30\nAcceptEnv FOO\n");
	assert_int_equal(sc.gw.alive_interval, 10);
	assert_int_equal(sc.conf.nmatches, 1);
	servconf_free(&sc);
}

static void
test_parsers(void **state)
{
	struct listen_addr la;
	struct maxstartups m;
	char buf[80];

	(void)state;
	assert_int_equal(servconf_parse_listen("127.0.0.1:80", &la), 0);
	assert_string_equal(la.host, "127.0.0.1");
	assert_int_equal(la.port, 80);
	assert_int_equal(servconf_parse_listen("[2001:DB8::1]", &la), 0);
	assert_string_equal(la.host, "2001:db8::1");
	assert_int_equal(la.port, 0);
	assert_int_equal(servconf_parse_listen("fe80::1", &la), 0);
	assert_int_not_equal(servconf_parse_listen("", &la), 0);
	assert_int_not_equal(servconf_parse_listen(":22", &la), 0);
	assert_int_not_equal(servconf_parse_listen("[]:22", &la), 0);
	assert_int_not_equal(servconf_parse_listen("[::1]x", &la), 0);
	assert_int_not_equal(servconf_parse_listen("1.2.3.4:-1", &la), 0);
	assert_int_not_equal(servconf_parse_listen("1.2.3.4:22x", &la), 0);
	la.port = 2222;
	strcpy(la.host, "::1");
	servconf_format_listen(&la, buf, sizeof(buf));
	assert_string_equal(buf, "[::1]:2222");
	assert_int_equal(servconf_parse_maxstartups("10:30:100", &m), 0);
	assert_int_equal(servconf_parse_maxstartups("4", &m), 0);
	assert_int_equal(m.start, 4);
	assert_int_equal(m.full, 4);
	assert_int_equal(m.rate, 100);
	assert_int_not_equal(servconf_parse_maxstartups("", &m), 0);
	assert_int_not_equal(servconf_parse_maxstartups("0", &m), 0);
	assert_int_not_equal(servconf_parse_maxstartups("1:", &m), 0);
	assert_int_not_equal(servconf_parse_maxstartups("1:101:2", &m), 0);
	assert_int_not_equal(servconf_parse_maxstartups("999999999999", &m),
	    0);
}

static void
test_names(void **state)
{
	char *p;

	(void)state;
	assert_true(servconf_valid_env("alice-gpu"));
	assert_true(servconf_valid_env("a"));
	assert_true(servconf_valid_env("0x"));
	assert_false(servconf_valid_env(""));
	assert_false(servconf_valid_env("-a"));
	assert_false(servconf_valid_env("a-"));
	assert_false(servconf_valid_env("A"));
	assert_false(servconf_valid_env("a_b"));
	assert_false(servconf_valid_env("a.b"));
	assert_true(servconf_valid_env("a23456789012345678901234567890123456"
	    "789012345678901234567890123"));
	assert_false(servconf_valid_env("a234567890123456789012345678901234"
	    "567890123456789012345678901234"));
	assert_true(servconf_valid_user("alice"));
	assert_true(servconf_valid_user("_svc"));
	assert_true(servconf_valid_user("j.doe-2"));
	assert_false(servconf_valid_user("2alice"));
	assert_false(servconf_valid_user("Alice"));
	assert_false(servconf_valid_user("al ice"));
	assert_false(servconf_valid_user("alice+gpu"));
	assert_false(servconf_valid_user(""));
	assert_false(servconf_valid_user("a23456789012345678901234567890123"));
	setenv("HOME", "/h", 1);
	p = servconf_expand_path("~/x");
	assert_string_equal(p, "/h/x");
	free(p);
	p = servconf_expand_path("~bob/x");
	assert_string_equal(p, "~bob/x");
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_keywords),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_dump_text),
		cmocka_unit_test(test_embedded),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
