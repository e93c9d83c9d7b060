/* test-dns-registry.c: unit tests for dns/dns-registry.c: the example
 * zone read into the registry, queries by name, address and user, and
 * strict checks with file line numbers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "dns/dns-registry.h"
#include "dns/dns-update.h"
#include "dns/dns-wire.h"
#include "dns/dns-zone.h"

static char example[4096];

static struct dns_zone *
load_example(void)
{
	struct dns_zone *z = NULL;
	char err[256];
	const char *top = getenv("top_srcdir");

	snprintf(example, sizeof(example), "%s/tests/data/dns/example.zone",
	    top != NULL ? top : ".");
	if (dns_zone_load_file(example, "dev.corp", &z, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	return z;
}

static void
test_registry_example(void **state)
{
	struct dns_zone *z = load_example();
	struct dns_registry *reg = NULL;
	const struct dns_env *e, *list[8];
	const struct dns_profile *p;
	char err[256];
	size_t n;

	(void)state;
	assert_int_equal(dns_registry_build(z, NULL, 1, &reg, err,
	    sizeof(err)), 0);
	assert_string_equal(dns_registry_zone(reg), "dev.corp");
	assert_int_equal(dns_registry_serial(reg), 2024061501);
	assert_int_equal(dns_registry_count(reg), 3);
	assert_int_equal(dns_registry_nprofiles(reg), 2);
	p = dns_registry_profile(reg, "gpu-a100");
	assert_non_null(p);
	assert_int_equal(p->spec.gpu, 1);
	e = dns_registry_find(reg, "alice-gpu");
	assert_non_null(e);
	assert_true(e->valid);
	assert_string_equal(e->fqdn, "alice-gpu.dev.corp");
	assert_string_equal(e->rec->owner, "alice");
	assert_string_equal(e->rec->team, "ml");
	assert_ptr_equal(e->profile, p);
	assert_string_equal(e->spec.image, "registry.corp/dev/pytorch:2.4");
	assert_int_equal(e->spec.packages.n, 2);
	assert_int_equal(e->line, 20);
	e = dns_registry_find(reg, "bob-dev");
	assert_int_equal(e->spec.memory, 16LL << 30);	/* override */
	assert_int_equal(e->spec.cpu_milli, 2000);	/* from the profile */
	assert_int_equal(e->spec.packages.n, 3);
	e = dns_registry_find(reg, "carol-r");
	assert_null(e->profile);
	assert_string_equal(e->spec.image, "registry.corp/dev/r-python:4.4");
	assert_null(dns_registry_find(reg, "nobody"));
	/* alice owns alice-gpu and is a member of bob-dev: owned first. */
	n = dns_registry_for_user(reg, "alice", list, 8);
	assert_int_equal(n, 2);
	assert_string_equal(list[0]->name, "alice-gpu");
	assert_string_equal(list[1]->name, "bob-dev");
	assert_int_equal(dns_registry_for_user(reg, "carol", list, 1), 2);
	assert_int_equal(dns_registry_for_user(reg, "mallory", list, 8), 0);
	assert_int_equal(dns_registry_nproblems(reg), 0);
	dns_registry_unref(reg);
	dns_zone_free(z);
}

static void
test_registry_addresses(void **state)
{
	struct dns_zone *z = load_example(), *live = dns_zone_new("dev.corp");
	struct dns_update *u = dns_update_new("dev.corp");
	struct dns_registry *reg = NULL;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	const struct dns_env *e;
	char err[256];

	(void)state;
	dns_update_add(u, "alice-gpu.dev.corp", 60, DNS_TYPE_A, "127.0.10.7");
	dns_update_add(u, "bob-dev.dev.corp", 60, DNS_TYPE_AAAA, "fd00::8");
	dns_update_add(u, "carol-r.dev.corp", 60, DNS_TYPE_CNAME,
	    "dev.corp.");
	dns_zone_apply(live, dns_update_records(u));
	assert_int_equal(dns_registry_build(z, live, 0, &reg, err,
	    sizeof(err)), 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(22);
	inet_pton(AF_INET, "127.0.10.7", &sin.sin_addr);
	e = dns_registry_by_address(reg, (struct sockaddr *)&sin);
	assert_non_null(e);
	assert_string_equal(e->name, "alice-gpu");
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "fd00::8", &sin6.sin6_addr);
	e = dns_registry_by_address(reg, (struct sockaddr *)&sin6);
	assert_string_equal(e->name, "bob-dev");
	/* A v4-mapped local address finds the IPv4 record. */
	inet_pton(AF_INET6, "::ffff:127.0.10.7", &sin6.sin6_addr);
	e = dns_registry_by_address(reg, (struct sockaddr *)&sin6);
	assert_string_equal(e->name, "alice-gpu");
	inet_pton(AF_INET, "127.0.10.8", &sin.sin_addr);
	assert_null(dns_registry_by_address(reg, (struct sockaddr *)&sin));
	assert_string_equal(dns_registry_find(reg, "carol-r")->cname,
	    "dev.corp.");
	dns_registry_unref(reg);
	/* Two environments on one address: neither is routed. */
	dns_update_free(u);
	u = dns_update_new("dev.corp");
	dns_update_add(u, "bob-dev.dev.corp", 60, DNS_TYPE_A, "127.0.10.7");
	dns_zone_apply(live, dns_update_records(u));
	assert_int_equal(dns_registry_build(z, live, 0, &reg, err,
	    sizeof(err)), 0);
	inet_pton(AF_INET, "127.0.10.7", &sin.sin_addr);
	assert_null(dns_registry_by_address(reg, (struct sockaddr *)&sin));
	assert_int_equal(dns_registry_nproblems(reg), 1);
	assert_non_null(strstr(dns_registry_problem_at(reg, 0)->text,
	    "also used by"));
	dns_registry_unref(reg);
	dns_update_free(u);
	dns_zone_free(live);
	dns_zone_free(z);
}

static const char *
write_tmp(const char *text)
{
	static char path[] = "/tmp/test-dns-registry.XXXXXX";
	int fd;

	strcpy(path, "/tmp/test-dns-registry.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void
check_fails(const char *text, const char *want)
{
	const char *path = write_tmp(text);
	char err[512], full[600];

	assert_int_not_equal(dns_registry_check_file(path, "dev.corp", err,
	    sizeof(err)), 0);
	snprintf(full, sizeof(full), "%s%s", path, want);
	unlink(path);
	if (strcmp(err, full) != 0)
		fail_msg("got \"%s\", want \"%s\"", err, full);
}

static void
test_registry_check(void **state)
{
	const char *path;
	char err[512];

	(void)state;
	path = write_tmp("$ORIGIN dev.corp.\n"
	    "p._profile IN TXT \"v=devgate1\" \"image=i\"\n"
	    "e._env IN TXT \"v=devgate1\" \"owner=a\" \"profile=p\"\n");
	assert_int_equal(dns_registry_check_file(path, "dev.corp", err,
	    sizeof(err)), 0);
	unlink(path);
	check_fails("$ORIGIN dev.corp.\n\n; c\n"
	    "e._env IN TXT ( \"v=devgate1\"\n \"owner=a\"\n \"colour=red\" )\n",
	    ":4: e._env: unknown key \"colour\" in an environment");
	check_fails("e._env IN TXT \"v=devgate1\" \"owner=a\" \"profile=nope\"\n",
	    ":1: e: profile \"nope\" is not defined");
	check_fails("\ne IN TXT \"v=devgate1\" \"owner=a\" \"image=x\"\n",
	    ":2: e: devgate records live at NAME._env or NAME._profile (a "
	    "CNAME cannot share its name with a TXT)");
	check_fails("E_x._env IN TXT \"v=devgate1\" \"owner=a\"\n",
	    ":1: e_x._env: \"e_x\" is not a valid environment name (one label"
	    " of a-z, 0-9, -)");
	check_fails("e._env IN TXT \"v=devgate1\" \"owner=a\" \"image=x\"\n"
	    "e._env IN TXT \"v=devgate1\" \"owner=b\" \"image=x\"\n",
	    ":1: e._env: 2 TXT records; exactly one is expected");
	check_fails("e._env IN TXT \"v=devgate1\" \"owner=a\" \"image=x\"\n"
	    "e._env IN A 1.2.3.\n", ":2: Syntax error, could not parse the "
	    "RR's rdata");
}

static void
test_registry_lenient(void **state)
{
	struct dns_zone *z = NULL;
	struct dns_registry *reg = NULL;
	const char *text = "ok._env IN TXT \"v=devgate1\" \"owner=a\" "
	    "\"image=x\"\nbad._env IN TXT \"v=devgate1\" \"owner=a\" "
	    "\"cpu=lots\" \"image=x\"\n";
	const struct dns_env *e, *list[4];
	char err[256];

	(void)state;
	assert_int_equal(dns_zone_load_buf("t", text, strlen(text),
	    "dev.corp", &z, err, sizeof(err)), 0);
	assert_int_equal(dns_registry_build(z, NULL, 0, &reg, err,
	    sizeof(err)), 0);
	assert_int_equal(dns_registry_count(reg), 2);
	e = dns_registry_find(reg, "bad");
	assert_non_null(e);	/* kept, so sync never deletes it */
	assert_false(e->valid);
	assert_non_null(strstr(e->error, "cpu"));
	assert_int_equal(dns_registry_nproblems(reg), 1);
	assert_int_equal(dns_registry_problem_at(reg, 0)->line, 2);
	assert_int_equal(dns_registry_for_user(reg, "a", list, 4), 1);
	dns_registry_unref(dns_registry_ref(reg));
	dns_registry_unref(reg);
	dns_zone_free(z);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_example),
		cmocka_unit_test(test_registry_addresses),
		cmocka_unit_test(test_registry_check),
		cmocka_unit_test(test_registry_lenient),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
