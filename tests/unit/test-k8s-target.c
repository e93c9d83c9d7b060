/* test-k8s-target.c: unit tests for the API server's addresses
 * (gateway/k8s-target.c): a host name resolved through c-ares against a
 * fake DNS server and through a hosts file ($CARES_HOSTS), every address
 * kept with the port, refreshed when its TTL runs out without ever
 * blocking the loop, the old addresses kept when a refresh fails, and the
 * refresh interval. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ldns/ldns.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/loop.h"
#include "dns/dns-resolve.h"
#include "gateway/k8s-config.h"
#include "gateway/k8s-target.h"
#include "tests/unit/dns-fake.h"

/* What the fake server says about api.test (changed by the tests). */
static atomic_int fake_octet = 5;	/* A 127.0.0.<octet> */
static atomic_int fake_ttl = 60;
static atomic_int fake_delay_ms;	/* before answering */
static atomic_int fake_servfail;

static int
fake_answer(void *arg, int tcp, const uint8_t *req, size_t len,
    uint8_t **out, size_t *outlen, int max)
{
	ldns_pkt *q = NULL, *a;
	ldns_rr *rr = NULL, *qrr;
	char *qname, text[128];
	ldns_rr_type t;
	struct timespec ts;

	(void)arg;
	(void)tcp;
	(void)max;
	if (ldns_wire2pkt(&q, req, len) != LDNS_STATUS_OK)
		return 0;
	if (atomic_load(&fake_delay_ms) > 0) {
		ts.tv_sec = 0;
		ts.tv_nsec = (long)atomic_load(&fake_delay_ms) * 1000000L;
		nanosleep(&ts, NULL);
	}
	qrr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	qname = ldns_rdf2str(ldns_rr_owner(qrr));
	t = ldns_rr_get_type(qrr);
	a = dns_fake_answer_new(q);
	if (atomic_load(&fake_servfail))
		ldns_pkt_set_rcode(a, LDNS_RCODE_SERVFAIL);
	else if (strcmp(qname, "api.test.") == 0 && t == LDNS_RR_TYPE_A) {
		snprintf(text, sizeof(text), "api.test. %d IN A 127.0.0.%d",
		    atomic_load(&fake_ttl), atomic_load(&fake_octet));
		ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL);
	} else if (strcmp(qname, "api.test.") == 0 &&
	    t == LDNS_RR_TYPE_AAAA) {
		snprintf(text, sizeof(text), "api.test. %d IN AAAA fd00::%d",
		    atomic_load(&fake_ttl) * 2, atomic_load(&fake_octet));
		ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL);
	} else if (strcmp(qname, "api.test.") != 0)
		ldns_pkt_set_rcode(a, LDNS_RCODE_NXDOMAIN);
	if (rr != NULL)
		ldns_pkt_push_rr(a, LDNS_SECTION_ANSWER, rr);
	outlen[0] = dns_fake_answer_put(a, out[0]);
	free(qname);
	ldns_pkt_free(q);
	return outlen[0] > 0;
}

struct fixture {
	struct dns_fake		*fake;
	struct loop		*loop;
	char			 servers[64];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	log_init("test", LOG_L_QUIET, LOG_FMT_TEXT, 2);
	atomic_store(&fake_octet, 5);
	atomic_store(&fake_ttl, 60);
	atomic_store(&fake_delay_ms, 0);
	atomic_store(&fake_servfail, 0);
	f->fake = dns_fake_start(fake_answer, NULL);
	f->loop = loop_new();
	snprintf(f->servers, sizeof(f->servers), "127.0.0.1:%d",
	    dns_fake_port(f->fake));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	loop_run_once(f->loop, 0);
	loop_free(f->loop);
	dns_fake_stop(f->fake);
	free(f);
	return 0;
}

static struct k8s_config *
t_config(const char *host)
{
	struct k8s_config *c = NULL;
	char text[512], err[256];

	snprintf(text, sizeof(text), "apiVersion: v1\nkind: Config\n"
	    "current-context: gw\ncontexts:\n- name: gw\n  context: "
	    "{cluster: c1, user: u1}\nclusters:\n- name: c1\n  cluster: "
	    "{server: 'http://%s:8080'}\nusers:\n- name: u1\n  user: {}\n",
	    host);
	if (k8s_config_parse(text, strlen(text), "/", NULL, &c, err,
	    sizeof(err)) != 0)
		fail_msg("kubeconfig: %s", err);
	return c;
}

static void
t_addr(const struct sockaddr_storage *ss, char *buf, size_t len, int *port)
{
	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
		    buf, len);
		*port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
	} else {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->
		    sin6_addr, buf, len);
		*port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	}
}

/* The target has exactly these addresses, all with port 8080. */
static void
t_expect(const struct k8s_target *t, const char *a0, const char *a1)
{
	char buf[64];
	size_t i;
	int port, seen0 = 0, seen1 = a1 == NULL;

	assert_int_equal(t->addrs.n, a1 != NULL ? 2 : 1);
	for (i = 0; i < t->addrs.n; i++) {
		t_addr(&t->addrs.sa[i], buf, sizeof(buf), &port);
		assert_int_equal(port, 8080);
		if (strcmp(buf, a0) == 0)
			seen0 = 1;
		else if (a1 != NULL && strcmp(buf, a1) == 0)
			seen1 = 1;
		else
			fail_msg("unexpected address %s", buf);
	}
	assert_true(seen0 && seen1);
}

static void
test_startup(void **state)
{
	struct fixture *f = *state;
	struct k8s_config *c = t_config("api.test");
	struct k8s_target *t = NULL;
	char err[256];

	assert_int_equal(k8s_target_new_dns(f->loop, c, f->servers, &t, err,
	    sizeof(err)), 0);
	/* Both families, each with the port. */
	t_expect(t, "127.0.0.5", "fd00::5");
	assert_non_null(t->resolver);
	assert_true(loop_timer_pending(t->refresh));
	k8s_target_unref(t);

	/* A name nobody knows: the error names it. */
	c = t_config("nope.test");
	assert_int_equal(k8s_target_new_dns(f->loop, c, f->servers, &t, err,
	    sizeof(err)), DG_ERR_NOTFOUND);
	assert_non_null(strstr(err, "cannot resolve nope.test"));
	k8s_config_free(c);

	/* An address is taken as it is: no lookup, no refresh. */
	c = t_config("127.0.0.9");
	assert_int_equal(k8s_target_new_dns(f->loop, c, "127.0.0.1:1", &t,
	    err, sizeof(err)), 0);
	t_expect(t, "127.0.0.9", NULL);
	assert_null(t->resolver);
	assert_null(t->refresh);
	k8s_target_unref(t);
}

/* The loop's longest pause while fn's condition is not met. */
struct ticker {
	struct loop_timer	*timer;
	uint64_t		 last, max_gap;
};

static void
t_tick(void *arg)
{
	struct ticker *tk = arg;
	uint64_t now = loop_clock_ms();

	if (tk->last != 0 && now - tk->last > tk->max_gap)
		tk->max_gap = now - tk->last;
	tk->last = now;
	loop_timer_start(tk->timer, 5);
}

static void
test_refresh_ttl(void **state)
{
	struct fixture *f = *state;
	struct k8s_config *c = t_config("api.test");
	struct k8s_target *t = NULL;
	struct ticker tk = { 0 };
	unsigned gen;
	uint64_t end;
	char err[256];
	int queries;

	atomic_store(&fake_ttl, 1);	/* look again in a second */
	assert_int_equal(k8s_target_new_dns(f->loop, c, f->servers, &t, err,
	    sizeof(err)), 0);
	t_expect(t, "127.0.0.5", "fd00::5");
	gen = t->addrs_gen;
	queries = dns_fake_count(f->fake);
	/* The server moves and answers slowly: the loop keeps turning. */
	atomic_store(&fake_octet, 6);
	atomic_store(&fake_delay_ms, 400);
	tk.timer = loop_timer_new(f->loop, t_tick, &tk);
	loop_timer_start(tk.timer, 5);
	end = loop_clock_ms() + 8000;
	while (t->addrs_gen == gen && loop_clock_ms() < end)
		loop_run_once(f->loop, 50);
	assert_int_not_equal(t->addrs_gen, gen);
	t_expect(t, "127.0.0.6", "fd00::6");
	assert_true(dns_fake_count(f->fake) > queries);
	/* 400 ms answers, yet the 5 ms timer never waited for them (a
	 * blocking lookup would show a gap of 400 ms or more; a loaded
	 * machine running the suite in parallel shows up to ~150). */
	if (tk.max_gap > 300)
		fail_msg("the loop stalled %llu ms during a lookup",
		    (unsigned long long)tk.max_gap);
	loop_timer_free(tk.timer);

	/* A failing refresh keeps what is known and tries again. */
	atomic_store(&fake_delay_ms, 0);
	atomic_store(&fake_servfail, 1);
	gen = t->addrs_gen;
	queries = dns_fake_count(f->fake);
	end = loop_clock_ms() + 8000;
	while (dns_fake_count(f->fake) == queries && loop_clock_ms() < end)
		loop_run_once(f->loop, 50);
	end = loop_clock_ms() + 3000;
	while (t->rop != NULL && loop_clock_ms() < end)
		loop_run_once(f->loop, 50);
	assert_null(t->rop);
	assert_int_equal(t->addrs_gen, gen);
	t_expect(t, "127.0.0.6", "fd00::6");
	assert_true(t->resolve_failing);
	assert_true(loop_timer_pending(t->refresh));
	k8s_target_quiesce(t);
	k8s_target_unref(t);
}

static void
test_hosts_file(void **state)
{
	struct fixture *f = *state;
	struct k8s_config *c = t_config("kube.hosts.test");
	struct k8s_target *t = NULL;
	char err[256], path[] = "/tmp/test-k8s-target-hosts.XXXXXX";
	int fd;

	assert_true((fd = mkstemp(path)) >= 0);
	assert_true(write(fd, "127.0.0.8 kube.hosts.test\n", 26) == 26);
	close(fd);
	setenv("CARES_HOSTS", path, 1);
	assert_int_equal(k8s_target_new_dns(f->loop, c, f->servers, &t, err,
	    sizeof(err)), 0);
	t_expect(t, "127.0.0.8", NULL);
	/* The file answered: no query reached DNS. */
	assert_int_equal(dns_fake_count(f->fake), 0);
	k8s_target_unref(t);
	unsetenv("CARES_HOSTS");
	unlink(path);
}

static void
test_refresh_ms(void **state)
{
	struct dns_addr a[3];

	(void)state;
	memset(a, 0, sizeof(a));
	/* No TTL (hosts file): the default. */
	assert_int_equal(k8s_target_refresh_ms(a, 1), K8S_RESOLVE_REFRESH_MS);
	assert_int_equal(k8s_target_refresh_ms(a, 0), K8S_RESOLVE_REFRESH_MS);
	/* The shortest TTL. */
	a[0].ttl = 300;
	a[1].ttl = 30;
	a[2].ttl = 0;
	assert_int_equal(k8s_target_refresh_ms(a, 3), 30000);
	/* Bounds. */
	a[1].ttl = 0;
	a[0].ttl = 86400 * 7;
	assert_int_equal(k8s_target_refresh_ms(a, 3), K8S_RESOLVE_MAX_MS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_startup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_ttl, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hosts_file, setup,
		    teardown),
		cmocka_unit_test(test_refresh_ms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
