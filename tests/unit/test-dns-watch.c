/* test-dns-watch.c: unit tests for dns/dns-watch.c's checks on request
 * (dns_watch_check): a registry file changed since the last look is read
 * before the caller is told, callers share a check, cancel, free with a
 * caller waiting, and no registry at all. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/conf.h"
#include "common/err.h"
#include "common/loop.h"
#include "dns/dns-conf.h"
#include "dns/dns-registry.h"
#include "dns/dns-watch.h"
#include "tests/unit/testutil.h"

#define ZONE_HEAD "$ORIGIN dev.corp.\n$TTL 60\n" \
	"@ IN SOA ns1 hostmaster 1 60 60 60 60\n@ IN NS ns1\n" \
	"p._profile IN TXT \"v=devgate1\" \"image=i\"\n" \
	"e._env IN TXT \"v=devgate1\" \"owner=a\" \"profile=p\"\n"

struct fixture {
	struct loop	*loop;
	struct conf	 conf;
	struct dns_config cfg;
	char		 dir[64], zone[128];
	int		 regs;		/* registries announced */
	size_t		 count;		/* environments in the last one */
	int		 done[2];	/* dns_watch_check callbacks */
	int		 regs_at_done;
};

static void
t_config(struct fixture *f, const char *registry)
{
	const struct conf_table *tables[] = { &dns_conf_table };
	void *areas[] = { &f->cfg };
	char text[512], err[256];

	snprintf(text, sizeof(text), "DNSZone dev.corp\nDNSRegistry %s\n"
	    "DNSRefreshInterval 3600\n", registry);
	conf_init(&f->conf, 1, tables, areas);
	assert_int_equal(conf_load_string(&f->conf, "t", text, err,
	    sizeof(err)), 0);
	assert_int_equal(conf_finish(&f->conf, err, sizeof(err)), 0);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char reg[160];

	strcpy(f->dir, "/tmp/test-dns-watch.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->zone, sizeof(f->zone), "%s/dev.corp.zone", f->dir);
	t_write(f->zone, ZONE_HEAD, 0644);
	snprintf(reg, sizeof(reg), "file:%s", f->zone);
	t_config(f, reg);
	f->loop = loop_new();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	conf_free(&f->conf);
	loop_free(f->loop);
	unlink(f->zone);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
t_on_registry(void *arg, struct dns_registry *reg)
{
	struct fixture *f = arg;

	f->regs++;
	f->count = dns_registry_count(reg);
}

static void
t_done0(void *arg)
{
	struct fixture *f = arg;

	f->done[0]++;
	f->regs_at_done = f->regs;
}

static void
t_done1(void *arg)
{
	struct fixture *f = arg;

	f->done[1]++;
}

static void
t_run_until(struct fixture *f, const int *flag, int ms)
{
	uint64_t end = loop_clock_ms() + (uint64_t)ms;

	while (*flag == 0 && loop_clock_ms() < end)
		loop_run_once(f->loop, 20);
}

static struct dns_watch *
t_watch(struct fixture *f)
{
	struct dns_watch *w = NULL;
	char err[256];

	assert_int_equal(dns_watch_new(f->loop, &f->cfg, t_on_registry, f, &w,
	    err, sizeof(err)), 0);
	t_run_until(f, &f->regs, 2000);
	assert_int_equal(f->regs, 1);
	assert_int_equal(f->count, 1);
	return w;
}

/* An environment added to the file is known when the caller is told,
 * though the interval (an hour) is far off; two callers, one check. */
static void
test_check_reads_again(void **state)
{
	struct fixture *f = *state;
	struct dns_watch *w = t_watch(f);
	struct dns_watch_wait *a = NULL, *b = NULL;

	t_write(f->zone, ZONE_HEAD
	    "new._env IN TXT \"v=devgate1\" \"owner=b\" \"profile=p\"\n",
	    0644);
	assert_int_equal(dns_watch_check(w, t_done0, f, &a), 0);
	assert_int_equal(dns_watch_check(w, t_done1, f, &b), 0);
	assert_int_equal(f->done[0] + f->done[1], 0);	/* never inline */
	t_run_until(f, &f->done[1], 2000);
	assert_int_equal(f->done[0], 1);
	assert_int_equal(f->done[1], 1);
	assert_int_equal(f->regs_at_done, 2);	/* announced before */
	assert_int_equal(f->count, 2);
	/* Nothing changed: told all the same, no new registry. */
	f->done[0] = 0;
	assert_int_equal(dns_watch_check(w, t_done0, f, &a), 0);
	t_run_until(f, &f->done[0], 2000);
	assert_int_equal(f->done[0], 1);
	assert_int_equal(f->regs, 2);
	dns_watch_free(w);
}

static void
test_check_cancel_and_free(void **state)
{
	struct fixture *f = *state;
	struct dns_watch *w = t_watch(f);
	struct dns_watch_wait *a = NULL, *b = NULL;
	int i;

	assert_int_equal(dns_watch_check(w, t_done0, f, &a), 0);
	assert_int_equal(dns_watch_check(w, t_done1, f, &b), 0);
	dns_watch_check_cancel(a);
	t_run_until(f, &f->done[1], 2000);
	for (i = 0; i < 5; i++)
		loop_run_once(f->loop, 10);
	assert_int_equal(f->done[0], 0);
	assert_int_equal(f->done[1], 1);
	dns_watch_check_cancel(NULL);
	/* Freed with a caller waiting: it is never called (and nothing
	 * leaks, under the sanitizers). */
	assert_int_equal(dns_watch_check(w, t_done0, f, &a), 0);
	dns_watch_free(w);
	for (i = 0; i < 5; i++)
		loop_run_once(f->loop, 10);
	assert_int_equal(f->done[0], 0);
}

static void
test_check_without_registry(void **state)
{
	struct fixture *f = *state;
	struct dns_watch *w = NULL;
	struct dns_watch_wait *a = NULL;
	char err[256];

	conf_free(&f->conf);
	memset(&f->cfg, 0, sizeof(f->cfg));
	t_config(f, "none");
	assert_int_equal(dns_watch_new(f->loop, &f->cfg, t_on_registry, f, &w,
	    err, sizeof(err)), 0);
	assert_int_equal(dns_watch_check(w, t_done0, f, &a), DG_ERR_NOTSUP);
	dns_watch_free(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_check_reads_again, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check_cancel_and_free,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_without_registry,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
