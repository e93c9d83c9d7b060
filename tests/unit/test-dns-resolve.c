/* test-dns-resolve.c: unit tests for dns/dns-resolve.c (c-ares on the
 * loop) against a fake DNS server on 127.0.0.1. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/loop.h"
#include "dns/dns-resolve.h"
#include "tests/unit/dns-fake.h"

static int
fake_answer(void *arg, int tcp, const uint8_t *req, size_t len,
    uint8_t **out, size_t *outlen, int max)
{
	ldns_pkt *q = NULL, *a;
	ldns_rr *rr, *qrr;
	char *qname;
	ldns_rr_type t;

	(void)arg;
	(void)tcp;
	(void)max;
	if (ldns_wire2pkt(&q, req, len) != LDNS_STATUS_OK)
		return 0;
	qrr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	qname = ldns_rdf2str(ldns_rr_owner(qrr));
	t = ldns_rr_get_type(qrr);
	if (strcmp(qname, "slow.test.") == 0) {
		free(qname);
		ldns_pkt_free(q);
		return 0;
	}
	a = dns_fake_answer_new(q);
	rr = NULL;
	if (strcmp(qname, "a.test.") == 0 && t == LDNS_RR_TYPE_A)
		ldns_rr_new_frm_str(&rr, "a.test. 60 IN A 127.0.0.7", 0, NULL,
		    NULL);
	else if (strcmp(qname, "a.test.") == 0 && t == LDNS_RR_TYPE_AAAA)
		ldns_rr_new_frm_str(&rr, "a.test. 30 IN AAAA fd00::7", 0, NULL,
		    NULL);
	else if (strcmp(qname, "soa.test.") == 0 && t == LDNS_RR_TYPE_SOA)
		ldns_rr_new_frm_str(&rr, "soa.test. 300 IN SOA ns1.soa.test. "
		    "hostmaster.soa.test. 42 3600 600 86400 60", 0, NULL, NULL);
	else if (strcmp(qname, "fail.test.") == 0)
		ldns_pkt_set_rcode(a, LDNS_RCODE_SERVFAIL);
	else if (strcmp(qname, "a.test.") != 0)
		ldns_pkt_set_rcode(a, LDNS_RCODE_NXDOMAIN);
	if (rr != NULL)
		ldns_pkt_push_rr(a, LDNS_SECTION_ANSWER, rr);
	outlen[0] = dns_fake_answer_put(a, out[0]);
	free(qname);
	ldns_pkt_free(q);
	return outlen[0] > 0;
}

struct result {
	int		 done;
	int		 err;
	size_t		 n;
	char		 addr[4][64];
	int		 ttl[4];
	char		 mname[256];
	uint32_t	 serial;
};

static void
addr_cb(void *arg, int err, const struct dns_addr *a, size_t n)
{
	struct result *res = arg;
	size_t i;

	res->done++;
	res->err = err;
	res->n = n;
	for (i = 0; i < n && i < 4; i++) {
		if (a[i].sa.ss_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)
			    &a[i].sa)->sin_addr, res->addr[i], 64);
		else
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
			    &a[i].sa)->sin6_addr, res->addr[i], 64);
		res->ttl[i] = a[i].ttl;
	}
}

static void
soa_cb(void *arg, int err, const char *mname, uint32_t serial)
{
	struct result *res = arg;

	res->done++;
	res->err = err;
	if (mname != NULL)
		snprintf(res->mname, sizeof(res->mname), "%s", mname);
	res->serial = serial;
}

struct fixture {
	struct dns_fake		*fake;
	struct loop		*loop;
	struct dns_resolve	*r;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char servers[64];

	f->fake = dns_fake_start(fake_answer, NULL);
	f->loop = loop_new();
	snprintf(servers, sizeof(servers), "127.0.0.1:%d",
	    dns_fake_port(f->fake));
	assert_int_equal(dns_resolve_new(f->loop, servers, 300, &f->r), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	dns_resolve_free(f->r);
	/* Run deferred frees. */
	loop_run_once(f->loop, 0);
	loop_free(f->loop);
	dns_fake_stop(f->fake);
	free(f);
	return 0;
}

static void
run_until(struct fixture *f, const int *flag, int ms)
{
	uint64_t end = loop_clock_ms() + (uint64_t)ms;

	while (!*flag && loop_clock_ms() < end)
		loop_run_once(f->loop, 50);
}

static void
test_resolve_a(void **state)
{
	struct fixture *f = *state;
	struct result res = { 0 };

	assert_int_equal(dns_resolve_addr(f->r, "a.test", AF_INET, addr_cb,
	    &res, NULL), 0);
	assert_int_equal(res.done, 0);	/* never from inside the call */
	run_until(f, &res.done, 3000);
	assert_int_equal(res.done, 1);
	assert_int_equal(res.err, 0);
	assert_int_equal(res.n, 1);
	assert_string_equal(res.addr[0], "127.0.0.7");
	assert_int_equal(res.ttl[0], 60);
	assert_int_equal(dns_resolve_pending(f->r), 0);
}

static void
test_resolve_both(void **state)
{
	struct fixture *f = *state;
	struct result res = { 0 };
	int has4 = 0, has6 = 0;
	size_t i;

	assert_int_equal(dns_resolve_addr(f->r, "a.test", AF_UNSPEC, addr_cb,
	    &res, NULL), 0);
	run_until(f, &res.done, 3000);
	assert_int_equal(res.err, 0);
	assert_int_equal(res.n, 2);
	for (i = 0; i < res.n; i++) {
		if (strcmp(res.addr[i], "127.0.0.7") == 0 && res.ttl[i] == 60)
			has4 = 1;
		if (strcmp(res.addr[i], "fd00::7") == 0 && res.ttl[i] == 30)
			has6 = 1;
	}
	assert_true(has4 && has6);
}

static void
test_resolve_errors(void **state)
{
	struct fixture *f = *state;
	struct result nx = { 0 }, fail = { 0 }, slow = { 0 };

	assert_int_equal(dns_resolve_addr(f->r, "nope.test", AF_INET, addr_cb,
	    &nx, NULL), 0);
	assert_int_equal(dns_resolve_addr(f->r, "fail.test", AF_INET, addr_cb,
	    &fail, NULL), 0);
	assert_int_equal(dns_resolve_addr(f->r, "slow.test", AF_INET, addr_cb,
	    &slow, NULL), 0);
	run_until(f, &nx.done, 3000);
	run_until(f, &fail.done, 3000);
	run_until(f, &slow.done, 5000);
	assert_int_equal(nx.err, DG_ERR_NOTFOUND);
	assert_int_equal(fail.err, DG_ERR_UNAVAIL);
	assert_int_equal(slow.err, DG_ERR_TIMEOUT);
	assert_int_equal(dns_resolve_addr(f->r, "bad name", AF_INET, addr_cb,
	    &nx, NULL), DG_ERR_INVAL);
}

static void
test_resolve_literal(void **state)
{
	struct fixture *f = *state;
	struct result res = { 0 };

	assert_int_equal(dns_resolve_addr(f->r, "10.1.2.3", AF_INET, addr_cb,
	    &res, NULL), 0);
	assert_int_equal(res.done, 0);
	run_until(f, &res.done, 1000);
	assert_int_equal(res.err, 0);
	assert_string_equal(res.addr[0], "10.1.2.3");
	/* Literals never reached the server. */
	assert_int_equal(dns_fake_count(f->fake), 0);
}

static void
test_resolve_soa(void **state)
{
	struct fixture *f = *state;
	struct result res = { 0 };

	assert_int_equal(dns_resolve_soa(f->r, "soa.test", soa_cb, &res,
	    NULL), 0);
	run_until(f, &res.done, 3000);
	assert_int_equal(res.err, 0);
	assert_string_equal(res.mname, "ns1.soa.test");
	assert_int_equal(res.serial, 42);
}

static void
test_resolve_cancel(void **state)
{
	struct fixture *f = *state;
	struct result res = { 0 }, other = { 0 };
	struct dns_resolve_op *op;

	assert_int_equal(dns_resolve_addr(f->r, "slow.test", AF_INET, addr_cb,
	    &res, &op), 0);
	assert_int_equal(dns_resolve_addr(f->r, "a.test", AF_INET, addr_cb,
	    &other, NULL), 0);
	dns_resolve_cancel(op);
	run_until(f, &other.done, 3000);
	assert_int_equal(other.err, 0);
	/* Let the cancelled one time out inside c-ares: still silent. */
	while (dns_resolve_pending(f->r) > 0)
		loop_run_once(f->loop, 50);
	assert_int_equal(res.done, 0);
}

/* DNS_RESOLVE_HOSTS: the hosts file ($CARES_HOSTS here) answers first,
 * with no query; names it lacks go to DNS. Without the flag the file is
 * never read. */
static void
test_resolve_hosts_file(void **state)
{
	struct fixture *f = *state;
	struct dns_resolve *sys;
	struct result res = { 0 }, dns = { 0 }, plain = { 0 };
	char servers[64], path[] = "/tmp/test-dns-resolve-hosts.XXXXXX";
	FILE *fp;
	int fd, n;

	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(fp = fdopen(fd, "w"));
	fprintf(fp, "# test\n127.0.0.9 hosts.test alias.test\n"
	    "fd00::9 hosts.test\n");
	fclose(fp);
	setenv("CARES_HOSTS", path, 1);
	snprintf(servers, sizeof(servers), "127.0.0.1:%d",
	    dns_fake_port(f->fake));
	assert_int_equal(dns_resolve_new_flags(f->loop, servers, 300, 0x40,
	    &sys), DG_ERR_INVAL);
	assert_int_equal(dns_resolve_new_flags(f->loop, servers, 300,
	    DNS_RESOLVE_HOSTS, &sys), 0);
	assert_int_equal(dns_resolve_addr(sys, "hosts.test", AF_UNSPEC,
	    addr_cb, &res, NULL), 0);
	run_until(f, &res.done, 3000);
	assert_int_equal(res.err, 0);
	assert_int_equal(res.n, 2);
	assert_string_equal(res.addr[0], "127.0.0.9");
	assert_string_equal(res.addr[1], "fd00::9");
	assert_int_equal(res.ttl[0], 0);
	assert_int_equal(dns_fake_count(f->fake), 0);
	/* Not in the file: DNS. */
	assert_int_equal(dns_resolve_addr(sys, "a.test", AF_INET, addr_cb,
	    &dns, NULL), 0);
	run_until(f, &dns.done, 3000);
	assert_int_equal(dns.err, 0);
	assert_string_equal(dns.addr[0], "127.0.0.7");
	n = dns_fake_count(f->fake);
	assert_true(n > 0);
	/* The dns area's resolver never reads the file. */
	assert_int_equal(dns_resolve_addr(f->r, "alias.test", AF_INET,
	    addr_cb, &plain, NULL), 0);
	run_until(f, &plain.done, 3000);
	assert_int_equal(plain.err, DG_ERR_NOTFOUND);
	assert_true(dns_fake_count(f->fake) > n);
	dns_resolve_free(sys);
	unsetenv("CARES_HOSTS");
	unlink(path);
}

/* DNS_RESOLVE_SEARCH: a short name gets the search list (LOCALDOMAIN,
 * which c-ares reads like resolv.conf's "search"); without it, never. */
static void
test_resolve_search(void **state)
{
	struct fixture *f = *state;
	struct dns_resolve *sys;
	struct result res = { 0 }, plain = { 0 };
	char servers[64];

	snprintf(servers, sizeof(servers), "127.0.0.1:%d",
	    dns_fake_port(f->fake));
	setenv("LOCALDOMAIN", "test", 1);
	assert_int_equal(dns_resolve_new_flags(f->loop, servers, 300,
	    DNS_RESOLVE_SEARCH, &sys), 0);
	assert_int_equal(dns_resolve_addr(sys, "a", AF_INET, addr_cb, &res,
	    NULL), 0);
	run_until(f, &res.done, 3000);
	assert_int_equal(res.err, 0);
	assert_string_equal(res.addr[0], "127.0.0.7");
	dns_resolve_free(sys);
	/* f->r was made before LOCALDOMAIN; make one after it, without the
	 * flag. */
	assert_int_equal(dns_resolve_new(f->loop, servers, 300, &sys), 0);
	assert_int_equal(dns_resolve_addr(sys, "a", AF_INET, addr_cb, &plain,
	    NULL), 0);
	run_until(f, &plain.done, 3000);
	assert_int_equal(plain.err, DG_ERR_NOTFOUND);
	dns_resolve_free(sys);
	unsetenv("LOCALDOMAIN");
}

/* The blocking form for start-up, on its own loop. */
static void
test_resolve_wait(void **state)
{
	struct fixture *f = *state;
	struct dns_addr a[4];
	char servers[64];
	size_t n = 0;

	snprintf(servers, sizeof(servers), "127.0.0.1:%d",
	    dns_fake_port(f->fake));
	assert_int_equal(dns_resolve_addr_wait(servers, 300, 0, "a.test",
	    AF_UNSPEC, a, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(dns_resolve_addr_wait(servers, 300, 0, "a.test",
	    AF_UNSPEC, a, 1, &n), 0);
	assert_int_equal(n, 1);
	n = 77;
	assert_int_equal(dns_resolve_addr_wait(servers, 300, 0, "nope.test",
	    AF_UNSPEC, a, 4, &n), DG_ERR_NOTFOUND);
	assert_int_equal(n, 77);
	assert_int_equal(dns_resolve_addr_wait(servers, 100, 0, "slow.test",
	    AF_INET, a, 4, &n), DG_ERR_TIMEOUT);
}

static void
test_resolve_free_pending(void **state)
{
	struct fixture *f = *state;
	struct result res = { 0 };

	assert_int_equal(dns_resolve_addr(f->r, "slow.test", AF_INET, addr_cb,
	    &res, NULL), 0);
	loop_run_once(f->loop, 10);
	dns_resolve_free(f->r);
	assert_int_equal(dns_resolve_new(f->loop, "127.0.0.1:1", 100, &f->r),
	    0);
	loop_run_once(f->loop, 10);
	assert_int_equal(res.done, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resolve_a, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_resolve_both, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_resolve_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_resolve_literal, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_resolve_soa, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_resolve_cancel, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_resolve_free_pending,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_hosts_file,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_search, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_resolve_wait, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
