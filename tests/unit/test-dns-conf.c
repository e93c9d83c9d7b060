/* test-dns-conf.c: unit tests for dns/dns-conf.c: the dns keyword table
 * in the config engine (defaults, values, refusals, -T without secrets)
 * and the cross-keyword check (key file, algorithms, registry file). */
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
#include "dns/dns-conf.h"
#include "dns/dns-pool.h"

#define SECRET "3QLa8ImW1px72YsrBDNy2Qn8dyVhsGIU4yFd12V615g="

struct fixture {
	struct conf	 conf;
	struct dns_config cfg;
	char		 dir[64];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/test-dns-conf.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	conf_free(&f->conf);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static int
load(struct fixture *f, const char *text, char *err, size_t errlen)
{
	const struct conf_table *tables[] = { &dns_conf_table };
	void *areas[] = { &f->cfg };
	int r;

	conf_free(&f->conf);
	memset(&f->cfg, 0, sizeof(f->cfg));
	conf_init(&f->conf, 1, tables, areas);
	if ((r = conf_load_string(&f->conf, "t", text, err, errlen)) != 0)
		return r;
	return conf_finish(&f->conf, err, errlen);
}

static const char *
file(struct fixture *f, const char *name, const char *text)
{
	static char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
	return path;
}

static void
test_conf_defaults(void **state)
{
	struct fixture *f = *state;
	char err[256];

	assert_int_equal(load(f, "", err, sizeof(err)), 0);
	assert_null(f->cfg.zone);
	assert_null(f->cfg.update_server);
	assert_null(f->cfg.pool);
	assert_int_equal(f->cfg.ttl, 60);
	assert_int_equal(f->cfg.fudge, 300);
	assert_int_equal(f->cfg.refresh, 30);
	assert_int_equal(f->cfg.sync_interval, 300);
	assert_int_equal(f->cfg.batch, 100);
	assert_int_equal(f->cfg.delete_batch, 50);
	assert_int_equal(f->cfg.max_message, 32768);
	assert_string_equal(f->cfg.owner_id, "devgate");
	/* No default in the dns area: the gateway derives StateDirectory/dns
	 * (test-servconf checks that). */
	assert_null(f->cfg.state_dir);
	assert_int_equal(dns_conf_registry(&f->cfg, NULL), DNS_REGISTRY_AXFR);
	/* Without DNSZone the dns area is off and nothing is checked. */
	assert_int_equal(dns_conf_check(&f->cfg, err, sizeof(err)), 0);
}

static void
test_conf_values(void **state)
{
	struct fixture *f = *state;
	char err[256], host[256], *csv;
	const char *path;
	int port;

	assert_int_equal(load(f,
	    "DNSZone Dev.Corp.\n"
	    "DNSUpdateServer [fd00::53]:5300\n"
	    "DNSResolver 127.0.0.1:5300 [::1]:53\n"
	    "EnvironmentAddressPool 127.0.10.1-127.0.10.254\n"
	    "DNSRegistry file:/etc/devgate/dev.corp.zone\n"
	    "DNSGatewayName gw.dev.corp\n"
	    "DNSRecordTTL 5m\n"
	    "DNSOwnerId gw-prod.eu1\n"
	    "DNSUpdateBatch 500\n", err, sizeof(err)), 0);
	assert_int_equal(dns_conf_zone(&f->cfg, host, sizeof(host)), 0);
	assert_string_equal(host, "dev.corp");
	assert_int_equal(dns_conf_update_server(&f->cfg, host, sizeof(host),
	    &port), 0);
	assert_string_equal(host, "fd00::53");
	assert_int_equal(port, 5300);
	csv = dns_conf_resolvers_csv(&f->cfg);
	assert_string_equal(csv, "127.0.0.1:5300,[::1]:53");
	free(csv);
	assert_int_equal(f->cfg.pool->size, 254);
	assert_int_equal(dns_conf_registry(&f->cfg, &path), DNS_REGISTRY_FILE);
	assert_string_equal(path, "/etc/devgate/dev.corp.zone");
	assert_int_equal(f->cfg.ttl, 300);
	assert_string_equal(f->cfg.owner_id, "gw-prod.eu1");
	assert_int_equal(f->cfg.batch, 500);
}

static void
expect_error(struct fixture *f, const char *text, const char *want)
{
	char err[256];

	assert_int_not_equal(load(f, text, err, sizeof(err)), 0);
	if (strstr(err, want) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err, want);
}

static void
test_conf_errors(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "DNSZone bad..name\n", "DNSZone");
	expect_error(f, "DNSUpdateServer 127.0.0.1:99999\n",
	    "expected host[:port]");
	expect_error(f, "DNSUpdateServer [fd00::1\n", "DNSUpdateServer");
	expect_error(f, "EnvironmentAddressPool 10.0.0.1/24\n",
	    "host bits set");
	expect_error(f, "DNSRegistry ftp://x\n", "expected axfr, file:PATH");
	expect_error(f, "DNSOwnerId a/b\n", "DNSOwnerId");
	expect_error(f, "DNSRecordTTL 0\n", "out of range");
	expect_error(f, "DNSUpdateMaxSize 100K\n", "out of range");
	expect_error(f, "DNSUpdateBatch 0\n", "out of range");
}

static void
test_conf_dump(void **state)
{
	struct fixture *f = *state;
	char err[256], *buf = NULL, text[512];
	const char *key;
	size_t len = 0;
	FILE *out;

	key = file(f, "key", "key k { algorithm hmac-sha256; secret \""
	    SECRET "\"; };\n");
	snprintf(text, sizeof(text), "DNSZone dev.corp\nTSIGKeyFile %s\n"
	    "EnvironmentAddressPool fd00::/64\n", key);
	assert_int_equal(load(f, text, err, sizeof(err)), 0);
	out = open_memstream(&buf, &len);
	conf_dump(&f->conf, out);
	fclose(out);
	assert_non_null(strstr(buf, "dnszone dev.corp\n"));
	assert_non_null(strstr(buf, "environmentaddresspool fd00::/64\n"));
	assert_non_null(strstr(buf, "dnsupdateserver none\n"));
	assert_non_null(strstr(buf, "tsigkeyfile "));
	assert_null(strstr(buf, SECRET));	/* the secret never shows */
	/* The dump reads back to the same settings. */
	assert_int_equal(load(f, buf, err, sizeof(err)), 0);
	assert_string_equal(f->cfg.pool->text, "fd00::/64");
	free(buf);
}

static void
test_conf_check(void **state)
{
	struct fixture *f = *state;
	char err[512], text[512];
	const char *key, *zone;

	assert_int_equal(load(f, "DNSZone dev.corp\n", err, sizeof(err)), 0);
	assert_int_not_equal(dns_conf_check(&f->cfg, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "TSIGKeyFile is not"));
	snprintf(text, sizeof(text), "DNSZone dev.corp\nTSIGKeyFile %s/none\n",
	    f->dir);
	assert_int_equal(load(f, text, err, sizeof(err)), 0);
	assert_int_not_equal(dns_conf_check(&f->cfg, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "No such file"));
	key = file(f, "k384", "key k { algorithm hmac-sha384; secret \""
	    SECRET "\"; };\n");
	snprintf(text, sizeof(text), "DNSZone dev.corp\nTSIGKeyFile %s\n", key);
	assert_int_equal(load(f, text, err, sizeof(err)), 0);
	assert_int_not_equal(dns_conf_check(&f->cfg, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "hmac-sha384 cannot be used"));
	key = file(f, "k", "key k { algorithm hmac-sha512; secret \""
	    SECRET "\"; };\n");
	zone = file(f, "zone", "$ORIGIN dev.corp.\n"
	    "p._profile IN TXT \"v=devgate1\" \"image=i\"\n"
	    "e._env IN TXT \"v=devgate1\" \"owner=a\" \"profile=q\"\n");
	snprintf(text, sizeof(text), "DNSZone dev.corp\nTSIGKeyFile %s\n"
	    "DNSRegistry file:%s\n", f->dir, zone);
	snprintf(text, sizeof(text), "DNSZone dev.corp\nTSIGKeyFile %s/k\n"
	    "DNSRegistry file:%s\n", f->dir, zone);
	assert_int_equal(load(f, text, err, sizeof(err)), 0);
	assert_int_not_equal(dns_conf_check(&f->cfg, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "zone:3: e: profile \"q\" is not defined"));
	file(f, "zone", "$ORIGIN dev.corp.\n"
	    "p._profile IN TXT \"v=devgate1\" \"image=i\"\n");
	assert_int_equal(dns_conf_check(&f->cfg, err, sizeof(err)), 0);
}

static void
test_hostport(void **state)
{
	char host[64];
	int port;

	(void)state;
	assert_int_equal(dns_conf_hostport("ns1.dev.corp", host, sizeof(host),
	    &port, 53), 0);
	assert_string_equal(host, "ns1.dev.corp");
	assert_int_equal(port, 53);
	assert_int_equal(dns_conf_hostport("127.0.0.1:5300", host,
	    sizeof(host), &port, 53), 0);
	assert_int_equal(port, 5300);
	assert_int_equal(dns_conf_hostport("fd00::1", host, sizeof(host),
	    &port, 53), 0);
	assert_string_equal(host, "fd00::1");
	assert_int_not_equal(dns_conf_hostport("a:0", host, sizeof(host),
	    &port, 53), 0);
	assert_int_not_equal(dns_conf_hostport("a:", host, sizeof(host),
	    &port, 53), 0);
	assert_int_not_equal(dns_conf_hostport("[::1]x", host, sizeof(host),
	    &port, 53), 0);
	assert_int_not_equal(dns_conf_hostport("a b", host, sizeof(host),
	    &port, 53), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_conf_defaults, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_conf_values, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_conf_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_conf_dump, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_conf_check, setup,
		    teardown),
		cmocka_unit_test(test_hostport),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
