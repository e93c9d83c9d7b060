/* test-dns-xfr.c: unit tests for dns/dns-xfr.c: real signed zone
 * transfers recorded from BIND, Knot and PowerDNS (88 KB, several
 * messages) verified message by message; tampering, truncation and a
 * missing closing signature refused; refusals explained; the loop-driven
 * transfer and SOA query against a fake server (multi-message signed
 * transfer, truncated UDP answer retried over TCP, REFUSED). */
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

#include "common/err.h"
#include "common/loop.h"
#include "dns/dns-tsig.h"
#include "dns/dns-wire.h"
#include "dns/dns-xfr.h"
#include "dns/dns-zone.h"
#include "tests/unit/dns-fake.h"

#define SECRET "3QLa8ImW1px72YsrBDNy2Qn8dyVhsGIU4yFd12V615g="

static struct dns_tsig_key *key;

static int
setup_key(void **state)
{
	const char *t = "key ddns-key { algorithm hmac-sha256; secret \""
	    SECRET "\"; };";
	char err[128];

	(void)state;
	return dns_tsig_key_parse(t, strlen(t), &key, err, sizeof(err));
}

static int
free_key(void **state)
{
	(void)state;
	dns_tsig_key_free(key);
	return 0;
}

/* A recorded exchange: [len][request] then the replies as on TCP. */
static uint8_t *
recorded(const char *name, size_t *lenp)
{
	char path[512];
	const char *top = getenv("top_srcdir");
	uint8_t *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/fuzz-dns-reply/%s",
	    top != NULL ? top : ".", name);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*lenp = (size_t)n;
	return buf;
}

static void
state_from(struct dns_xfr_state *st, const uint8_t *req, size_t len)
{
	memset(st, 0, sizeof(*st));
	assert_int_equal(dns_tsig_verify_init(&st->v, key, req, len), 0);
	st->use_tsig = 1;
	st->zone = strdup("dev.corp");
	st->z = dns_zone_new("dev.corp");
}

/* Feed the recorded replies; returns the last dns_xfr_feed() result. */
static int
replay(struct dns_xfr_state *st, uint8_t *buf, size_t len, int tamper_msg,
    int drop_last, int *nmsg, int *nsigned, char *err, size_t errlen)
{
	struct dns_wire_tsig t;
	size_t off = 2 + ((size_t)buf[0] << 8 | buf[1]), mlen, total = 0;
	time_t now = 0;
	int r = 0, i = 0, found;

	*nmsg = *nsigned = 0;
	for (off = 2 + ((size_t)buf[0] << 8 | buf[1]); off + 2 <= len;
	    off += mlen)
		total++, mlen = (size_t)buf[off] << 8 | buf[off + 1], off += 2;
	for (off = 2 + ((size_t)buf[0] << 8 | buf[1]); off + 2 <= len;
	    off += mlen, i++) {
		mlen = (size_t)buf[off] << 8 | buf[off + 1];
		off += 2;
		if (drop_last && (size_t)i == total - 1)
			break;
		if (dns_wire_tsig(buf + off, mlen, &t, &found) == 0 && found) {
			(*nsigned)++;
			if (now == 0)
				now = (time_t)t.time_signed;
		}
		if (i == tamper_msg)
			buf[off + mlen / 2] ^= 0x20;
		(*nmsg)++;
		if ((r = dns_xfr_feed(st, buf + off, mlen, now, err,
		    errlen)) != 0)
			break;
	}
	return r;
}

static void
check_recorded(const char *server)
{
	struct dns_xfr_state st;
	uint8_t *buf;
	size_t len;
	uint32_t serial;
	char name[64], err[256];
	int r, nmsg, nsigned;

	snprintf(name, sizeof(name), "%s-axfr-signed", server);
	buf = recorded(name, &len);
	state_from(&st, buf + 2, (size_t)buf[0] << 8 | buf[1]);
	r = replay(&st, buf, len, -1, 0, &nmsg, &nsigned, err, sizeof(err));
	if (r != 1)
		fail_msg("%s: %d %s", server, r, err);
	assert_true(nmsg > 1);		/* a multi-message transfer */
	assert_true(nsigned >= 2);	/* at least first and last */
	print_message("%s: %d messages, %d signed\n", server, nmsg, nsigned);
	assert_true(dns_zone_count(st.z) > 400);
	assert_int_equal(dns_zone_serial(st.z, &serial), 0);
	assert_non_null(dns_zone_find(st.z, "alice-gpu._env.dev.corp"));
	dns_xfr_state_clear(&st);
	free(buf);

	/* A byte changed in the middle of the second message. */
	buf = recorded(name, &len);
	state_from(&st, buf + 2, (size_t)buf[0] << 8 | buf[1]);
	r = replay(&st, buf, len, 1, 0, &nmsg, &nsigned, err, sizeof(err));
	assert_true(r < 0);
	dns_xfr_state_clear(&st);
	free(buf);

	/* The closing message never arrives: not complete. */
	buf = recorded(name, &len);
	state_from(&st, buf + 2, (size_t)buf[0] << 8 | buf[1]);
	r = replay(&st, buf, len, -1, 1, &nmsg, &nsigned, err, sizeof(err));
	assert_int_equal(r, 0);
	dns_xfr_state_clear(&st);
	free(buf);
}

static void
test_recorded_bind(void **state)
{
	(void)state;
	check_recorded("bind");
}

static void
test_recorded_knot(void **state)
{
	(void)state;
	check_recorded("knot");
}

static void
test_recorded_pdns(void **state)
{
	(void)state;
	check_recorded("pdns");
}

static void
test_recorded_refused(void **state)
{
	struct dns_xfr_state st;
	static const char *const servers[] = { "bind", "knot", "pdns" };
	uint8_t *buf;
	size_t len, i;
	char name[64], err[256];
	int r;

	(void)state;
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "%s-axfr-unsigned-refused",
		    servers[i]);
		buf = recorded(name, &len);
		memset(&st, 0, sizeof(st));
		st.zone = strdup("dev.corp");
		st.z = dns_zone_new("dev.corp");
		r = dns_xfr_feed(&st, buf + 4 + buf[1], len - 4 - buf[1], 0,
		    err, sizeof(err));
		assert_int_equal(r, DG_ERR_DENIED);
		assert_non_null(strstr(err, "transfer refused"));
		dns_xfr_state_clear(&st);
		free(buf);
	}
}

/* The fake primary: an SOA over UDP (truncated, to force TCP) and a
 * transfer of 3 signed messages. */
struct fake {
	int	 refuse;
	int	 udp_queries;
};

static int
fake_fn(void *arg, int tcp, const uint8_t *req, size_t len, uint8_t **out,
    size_t *outlen, int max)
{
	struct fake *fk = arg;
	struct dns_tsig_verify v;
	ldns_pkt *q = NULL, *a;
	ldns_rr *rr = NULL, *qrr;
	int i, n = 0;
	char text[128];

	(void)max;
	if (ldns_wire2pkt(&q, req, len) != LDNS_STATUS_OK)
		return 0;
	qrr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	for (i = 0; i < 3; i++) {
		a = dns_fake_answer_new(q);
		if (fk->refuse) {
			ldns_pkt_set_rcode(a, LDNS_RCODE_REFUSED);
		} else if (ldns_rr_get_type(qrr) == LDNS_RR_TYPE_SOA) {
			if (!tcp) {
				fk->udp_queries++;
				ldns_pkt_set_tc(a, true);
			} else {
				ldns_rr_new_frm_str(&rr, "dev.corp. 60 IN SOA "
				    "ns1.dev.corp. h.dev.corp. 77 1 1 1 1", 0,
				    NULL, NULL);
				ldns_pkt_push_rr(a, LDNS_SECTION_ANSWER, rr);
			}
		} else {
			if (i == 0 || i == 2) {
				ldns_rr_new_frm_str(&rr, "dev.corp. 60 IN SOA "
				    "ns1.dev.corp. h.dev.corp. 77 1 1 1 1", 0,
				    NULL, NULL);
				ldns_pkt_push_rr(a, LDNS_SECTION_ANSWER, rr);
			}
			if (i < 2) {
				snprintf(text, sizeof(text), "m%d.dev.corp. "
				    "60 IN A 127.0.0.%d", i, i + 1);
				ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL);
				ldns_pkt_push_rr(a, LDNS_SECTION_ANSWER, rr);
			}
			/* Sign as a server: request MAC, then the chain. */
			if (i == 0) {
				dns_tsig_verify_init(&v, key, req, len);
			}
			{
				uint8_t mb[2 + 64];
				ldns_rdf *m;

				mb[0] = 0;
				mb[1] = (uint8_t)v.maclen;
				memcpy(mb + 2, v.mac, v.maclen);
				m = ldns_rdf_new_frm_data(
				    LDNS_RDF_TYPE_INT16_DATA, 2 + v.maclen, mb);
				ldns_pkt_tsig_sign_next(a, "ddns-key.", SECRET,
				    300, "hmac-sha256.", m, i > 0);
				ldns_rdf_deep_free(m);
				memcpy(v.mac, ldns_rdf_data(ldns_rr_rdf(
				    ldns_pkt_tsig(a), 3)) + 2, 32);
			}
		}
		outlen[n] = dns_fake_answer_put(a, out[n]);
		n++;
		if (fk->refuse || ldns_rr_get_type(qrr) == LDNS_RR_TYPE_SOA)
			break;
	}
	ldns_pkt_free(q);
	return n;
}

struct result {
	int		 done, err;
	struct dns_zone	*z;
	uint32_t	 serial;
	char		 text[256];
};

static void
xfr_cb(void *arg, int err, struct dns_zone *z, const char *text)
{
	struct result *r = arg;

	r->done = 1;
	r->err = err;
	r->z = z;
	if (text != NULL)
		snprintf(r->text, sizeof(r->text), "%s", text);
}

static void
soa_cb(void *arg, int err, uint32_t serial, const char *text)
{
	struct result *r = arg;

	r->done = 1;
	r->err = err;
	r->serial = serial;
	if (text != NULL)
		snprintf(r->text, sizeof(r->text), "%s", text);
}

static void
run(struct loop *l, struct result *r)
{
	uint64_t end = loop_clock_ms() + 5000;

	while (!r->done && loop_clock_ms() < end)
		loop_run_once(l, 50);
	assert_true(r->done);
}

static void
test_loop_transfer(void **state)
{
	struct fake fk = { 0, 0 };
	struct dns_fake *srv = dns_fake_start(fake_fn, &fk);
	struct loop *l = loop_new();
	struct sockaddr_in sin;
	struct result r;

	(void)state;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(dns_fake_port(srv));
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	memset(&r, 0, sizeof(r));
	assert_int_equal(dns_xfr_start(l, (struct sockaddr *)&sin, sizeof(sin),
	    "dev.corp", key, 300, 3000, xfr_cb, &r, NULL), 0);
	run(l, &r);
	if (r.err != 0)
		fail_msg("%s", r.text);
	assert_non_null(dns_zone_find(r.z, "m0.dev.corp"));
	assert_non_null(dns_zone_find(r.z, "m1.dev.corp"));
	dns_zone_free(r.z);
	/* SOA: truncated over UDP, then TCP. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(dns_soa_start(l, (struct sockaddr *)&sin, sizeof(sin),
	    "dev.corp", 3000, soa_cb, &r, NULL), 0);
	run(l, &r);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.serial, 77);
	assert_int_equal(fk.udp_queries, 1);
	/* Refused. */
	fk.refuse = 1;
	memset(&r, 0, sizeof(r));
	assert_int_equal(dns_xfr_start(l, (struct sockaddr *)&sin, sizeof(sin),
	    "dev.corp", key, 300, 3000, xfr_cb, &r, NULL), 0);
	run(l, &r);
	assert_int_equal(r.err, DG_ERR_DENIED);
	assert_non_null(strstr(r.text, "REFUSED"));
	memset(&r, 0, sizeof(r));
	assert_int_equal(dns_soa_start(l, (struct sockaddr *)&sin, sizeof(sin),
	    "dev.corp", 3000, soa_cb, &r, NULL), 0);
	run(l, &r);
	assert_int_equal(r.err, DG_ERR_DENIED);
	loop_run_once(l, 0);
	loop_free(l);
	dns_fake_stop(srv);
}

static void
test_serial(void **state)
{
	(void)state;
	assert_true(dns_serial_gt(2, 1));
	assert_false(dns_serial_gt(1, 2));
	assert_false(dns_serial_gt(5, 5));
	assert_true(dns_serial_gt(1, 0xfffffff0U));	/* wrapped */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recorded_bind),
		cmocka_unit_test(test_recorded_knot),
		cmocka_unit_test(test_recorded_pdns),
		cmocka_unit_test(test_recorded_refused),
		cmocka_unit_test(test_loop_transfer),
		cmocka_unit_test(test_serial),
	};

	return cmocka_run_group_tests(tests, setup_key, free_key);
}
