/* test-dns-owner.c: unit tests for dns/dns-owner.c: ownership states, the
 * prerequisites of creates, changes and deletes (compared as nsupdate
 * text), conflicts left alone, and pool reservations. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "dns/dns-owner.h"
#include "dns/dns-pool.h"
#include "dns/dns-sync.h"
#include "dns/dns-update.h"
#include "dns/dns-wire.h"
#include "dns/dns-zone.h"

static struct dns_owner_ctx ctx = { "dev.corp", "gw1", 60, NULL };

static char *
print(struct dns_update *u)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	dns_update_print(u, f);
	fclose(f);
	return buf;
}

static void
expect_text(struct dns_update *u, const char *want)
{
	char *got = print(u);

	if (strcmp(got, want) != 0)
		fail_msg("got:\n%s\nwant:\n%s", got, want);
	free(got);
}

static struct dns_zone *
zone(const char *text)
{
	struct dns_zone *z = NULL;
	char err[256];

	if (dns_zone_load_buf("t", text, strlen(text), "dev.corp", &z, err,
	    sizeof(err)) != 0)
		fail_msg("%s", err);
	return z;
}

static void
want_a(struct dns_want *w, const char *name, const char *addr)
{
	memset(w, 0, sizeof(*w));
	w->name = strdup(name);
	if (addr != NULL)
		dns_want_add(w, DNS_TYPE_A, addr);
}

static void
test_owner_create_change_delete(void **state)
{
	struct dns_zone *view = zone("@ IN SOA ns1 hm 1 1 1 1 1\n");
	struct dns_update *u = dns_update_new("dev.corp");
	struct dns_want w;
	struct dns_plan p;

	(void)state;
	want_a(&w, "alice-gpu", "127.0.10.7");
	assert_int_equal(dns_owner_state(&ctx, view, "alice-gpu"),
	    DNS_OWNER_FREE);
	assert_int_equal(dns_owner_plan(&ctx, view, &w, NULL, NULL, u, &p), 0);
	assert_int_equal(p.status, DNS_PLAN_CHANGE);
	assert_string_equal(p.text, "add alice-gpu.dev.corp A 127.0.10.7");
	expect_text(u, "zone dev.corp.\n"
	    "prereq nxdomain alice-gpu.dev.corp. ANY\n"
	    "prereq nxdomain _devgate.alice-gpu.dev.corp. ANY\n"
	    "update add _devgate.alice-gpu.dev.corp. 60 TXT "
	    "\"v=devgate-owner1\" \"owner=gw1\"\n"
	    "update add alice-gpu.dev.corp. 60 A 127.0.10.7\n");
	/* As the server would apply it: now ours and up to date. */
	dns_zone_apply(view, dns_update_records(u));
	assert_int_equal(dns_owner_state(&ctx, view, "alice-gpu"),
	    DNS_OWNER_OURS);
	dns_update_free(u);
	u = dns_update_new("dev.corp");
	assert_int_equal(dns_owner_plan(&ctx, view, &w, NULL, NULL, u, &p), 0);
	assert_int_equal(p.status, DNS_PLAN_NOOP);
	assert_int_equal(dns_update_count(u), 0);
	/* A change is guarded by the exact marker. */
	dns_want_clear(&w);
	want_a(&w, "alice-gpu", "127.0.10.8");
	assert_int_equal(dns_owner_plan(&ctx, view, &w, NULL, NULL, u, &p), 0);
	assert_int_equal(p.status, DNS_PLAN_CHANGE);
	expect_text(u, "zone dev.corp.\n"
	    "prereq yxrrset _devgate.alice-gpu.dev.corp. TXT "
	    "\"v=devgate-owner1\" \"owner=gw1\"\n"
	    "update delete alice-gpu.dev.corp. A\n"
	    "update add alice-gpu.dev.corp. 60 A 127.0.10.8\n");
	dns_zone_apply(view, dns_update_records(u));
	dns_update_free(u);
	/* A different TTL is a change too. */
	ctx.ttl = 120;
	u = dns_update_new("dev.corp");
	assert_int_equal(dns_owner_plan(&ctx, view, &w, NULL, NULL, u, &p), 0);
	assert_int_equal(p.status, DNS_PLAN_CHANGE);
	ctx.ttl = 60;
	dns_update_free(u);
	/* Delete: marker guarded; name and marker go. */
	u = dns_update_new("dev.corp");
	dns_want_clear(&w);
	want_a(&w, "alice-gpu", NULL);
	assert_int_equal(dns_owner_plan(&ctx, view, &w, NULL, NULL, u, &p), 0);
	assert_int_equal(p.status, DNS_PLAN_CHANGE);
	expect_text(u, "zone dev.corp.\n"
	    "prereq yxrrset _devgate.alice-gpu.dev.corp. TXT "
	    "\"v=devgate-owner1\" \"owner=gw1\"\n"
	    "update delete alice-gpu.dev.corp. ANY\n"
	    "update delete _devgate.alice-gpu.dev.corp. ANY\n");
	dns_zone_apply(view, dns_update_records(u));
	assert_int_equal(dns_owner_state(&ctx, view, "alice-gpu"),
	    DNS_OWNER_FREE);
	dns_update_free(u);
	u = dns_update_new("dev.corp");
	assert_int_equal(dns_owner_plan(&ctx, view, &w, NULL, NULL, u, &p), 0);
	assert_int_equal(p.status, DNS_PLAN_NOOP);
	dns_want_clear(&w);
	dns_update_free(u);
	dns_zone_free(view);
}

static void
test_owner_conflicts(void **state)
{
	struct dns_zone *view = zone(
	    "admin IN A 10.1.1.1\n"
	    "other IN A 10.1.1.2\n"
	    "_devgate.other IN TXT \"v=devgate-owner1\" \"owner=gw2\"\n"
	    "two IN A 10.1.1.3\n"
	    "_devgate.two IN TXT \"v=devgate-owner1\" \"owner=gw1\"\n"
	    "_devgate.two IN TXT \"v=devgate-owner1\" \"owner=gw2\"\n");
	struct dns_update *u = dns_update_new("dev.corp");
	struct dns_want w;
	struct dns_plan p;

	(void)state;
	assert_int_equal(dns_owner_state(&ctx, view, "admin"),
	    DNS_OWNER_UNMANAGED);
	assert_int_equal(dns_owner_state(&ctx, view, "other"),
	    DNS_OWNER_FOREIGN);
	assert_int_equal(dns_owner_state(&ctx, view, "two"),
	    DNS_OWNER_FOREIGN);
	want_a(&w, "admin", "127.0.0.9");
	assert_int_equal(dns_owner_plan(&ctx, view, &w, NULL, NULL, u, &p), 0);
	assert_int_equal(p.status, DNS_PLAN_CONFLICT);
	assert_non_null(strstr(p.text, "did not write"));
	dns_want_clear(&w);
	want_a(&w, "admin", NULL);	/* nor deleted */
	assert_int_equal(dns_owner_plan(&ctx, view, &w, NULL, NULL, u, &p), 0);
	assert_int_equal(p.status, DNS_PLAN_CONFLICT);
	dns_want_clear(&w);
	want_a(&w, "other", NULL);
	assert_int_equal(dns_owner_plan(&ctx, view, &w, NULL, NULL, u, &p), 0);
	assert_int_equal(p.status, DNS_PLAN_CONFLICT);
	assert_non_null(strstr(p.text, "another installation"));
	assert_int_equal(dns_update_count(u), 0);
	dns_want_clear(&w);
	/* Names devgate never writes. */
	want_a(&w, "_devgate.x", "1.2.3.4");
	assert_int_equal(dns_owner_plan(&ctx, view, &w, NULL, NULL, u, &p), 0);
	assert_int_equal(p.status, DNS_PLAN_INVALID);
	dns_want_clear(&w);
	memset(&w, 0, sizeof(w));
	w.name = strdup("c");
	dns_want_add(&w, DNS_TYPE_CNAME, "dev.corp.");
	dns_want_add(&w, DNS_TYPE_A, "1.2.3.4");
	assert_int_equal(dns_owner_plan(&ctx, view, &w, NULL, NULL, u, &p), 0);
	assert_int_equal(p.status, DNS_PLAN_INVALID);
	dns_want_clear(&w);
	dns_update_free(u);
	dns_zone_free(view);
}

static int
taken_first(void *arg, uint64_t idx)
{
	return idx == *(uint64_t *)arg;
}

static void
test_owner_pool(void **state)
{
	struct dns_pool *pool;
	struct dns_zone *view = zone("@ IN SOA ns1 hm 1 1 1 1 1\n");
	struct dns_update *u = dns_update_new("dev.corp");
	struct dns_want w;
	struct dns_plan p, p2;
	char err[128], label[40], text[64], fq[128], name[64];
	uint64_t first, idx;

	(void)state;
	assert_int_equal(dns_pool_parse("127.0.10.1-127.0.10.2", &pool, err,
	    sizeof(err)), 0);
	ctx.pool = pool;
	memset(&w, 0, sizeof(w));
	w.name = strdup("alice-gpu");
	w.pool = 1;
	assert_int_equal(dns_owner_plan(&ctx, view, &w, NULL, NULL, u, &p), 0);
	assert_int_equal(p.status, DNS_PLAN_CHANGE);
	assert_true(p.claimed >= 0);
	first = (uint64_t)p.claimed;
	dns_pool_label(pool, first, label, sizeof(label));
	dns_pool_text(pool, first, text, sizeof(text));
	snprintf(fq, sizeof(fq), "prereq nxdomain %s._addr.dev.corp. ANY\n",
	    label);
	{
		char *printed = print(u);

		assert_non_null(strstr(printed, fq));
		free(printed);
	}
	/* A second allocator, same view, the first claim in flight: the
	 * other address. */
	dns_update_free(u);
	u = dns_update_new("dev.corp");
	assert_int_equal(dns_owner_plan(&ctx, view, &w, taken_first, &first,
	    u, &p2), 0);
	assert_int_equal(p2.status, DNS_PLAN_CHANGE);
	assert_int_not_equal(p2.claimed, (int64_t)first);
	dns_update_free(u);
	/* Apply the first claim; the reservation is ours and kept. */
	u = dns_update_new("dev.corp");
	assert_int_equal(dns_owner_plan(&ctx, view, &w, NULL, NULL, u, &p), 0);
	dns_zone_apply(view, dns_update_records(u));
	snprintf(fq, sizeof(fq), "%s._addr", label);
	assert_int_equal(dns_owner_reservation(&ctx, view, fq, &idx, name,
	    sizeof(name)), 1);
	assert_int_equal(idx, first);
	assert_string_equal(name, "alice-gpu");
	dns_update_free(u);
	u = dns_update_new("dev.corp");
	assert_int_equal(dns_owner_plan(&ctx, view, &w, NULL, NULL, u, &p), 0);
	assert_int_equal(p.status, DNS_PLAN_NOOP);
	/* bob gets the other one; carol finds the pool full. */
	dns_want_clear(&w);
	memset(&w, 0, sizeof(w));
	w.name = strdup("bob");
	w.pool = 1;
	assert_int_equal(dns_owner_plan(&ctx, view, &w, NULL, NULL, u, &p), 0);
	assert_int_equal(p.status, DNS_PLAN_CHANGE);
	assert_int_not_equal(p.claimed, (int64_t)first);
	dns_zone_apply(view, dns_update_records(u));
	dns_want_clear(&w);
	memset(&w, 0, sizeof(w));
	w.name = strdup("carol");
	w.pool = 1;
	dns_update_free(u);
	u = dns_update_new("dev.corp");
	assert_int_equal(dns_owner_plan(&ctx, view, &w, NULL, NULL, u, &p), 0);
	assert_int_equal(p.status, DNS_PLAN_FULL);
	/* Switching alice to a CNAME releases her address. */
	dns_want_clear(&w);
	memset(&w, 0, sizeof(w));
	w.name = strdup("alice-gpu");
	dns_want_add(&w, DNS_TYPE_CNAME, "dev.corp.");
	assert_int_equal(dns_owner_plan(&ctx, view, &w, NULL, NULL, u, &p), 0);
	assert_int_equal(p.status, DNS_PLAN_CHANGE);
	dns_zone_apply(view, dns_update_records(u));
	snprintf(fq, sizeof(fq), "%s._addr.dev.corp", label);
	assert_null(dns_zone_find(view, fq));
	dns_want_clear(&w);
	dns_update_free(u);
	dns_zone_free(view);
	dns_pool_free(pool);
	ctx.pool = NULL;
}

/* An environment's name: a CNAME to the gateway, or a pool address. */
static void
test_sync_env_want(void **state)
{
	struct dns_pool *pool;
	struct dns_want w;
	char err[128];

	(void)state;
	dns_sync_env_want(&ctx, "alice-gpu", "gw.dev.corp.", &w);
	assert_string_equal(w.name, "alice-gpu");
	assert_false(w.pool);
	assert_int_equal(w.nrr, 1);
	assert_int_equal(w.rr[0].type, DNS_TYPE_CNAME);
	assert_string_equal(w.rr[0].rdata, "gw.dev.corp.");
	dns_want_clear(&w);
	assert_int_equal(dns_pool_parse("127.0.10.1-127.0.10.2", &pool, err,
	    sizeof(err)), 0);
	ctx.pool = pool;
	dns_sync_env_want(&ctx, "bob", "gw.dev.corp.", &w);
	assert_string_equal(w.name, "bob");
	assert_true(w.pool);
	assert_int_equal(w.nrr, 0);
	dns_want_clear(&w);
	ctx.pool = NULL;
	dns_pool_free(pool);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owner_create_change_delete),
		cmocka_unit_test(test_owner_conflicts),
		cmocka_unit_test(test_owner_pool),
		cmocka_unit_test(test_sync_env_want),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
