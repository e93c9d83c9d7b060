/* test-dns-tsig.c: unit tests for dns/dns-tsig.c and dns/dns-wire.c: BIND
 * key files, request signing checked by ldns, reply and multi-message
 * transfer verification (with unsigned intermediates), malformed wire. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/hmac.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "dns/dns-tsig.h"
#include "dns/dns-wire.h"

#define SECRET "3QLa8ImW1px72YsrBDNy2Qn8dyVhsGIU4yFd12V615g="
#define BAD    "Mvuoul+ZxtgVY+U1AY4G95FsWBKdK5kBU3TisRAPI+w="

static const char keyfile[] =
    "key \"ddns-key\" {\n"
    "\talgorithm hmac-sha256;\n"
    "\tsecret \"" SECRET "\";\n"
    "};\n";

static struct dns_tsig_key *
key_new(const char *alg, const char *secret)
{
	struct dns_tsig_key *k = NULL;
	char text[512], err[256];

	snprintf(text, sizeof(text), "key ddns-key { algorithm %s; secret "
	    "\"%s\"; };", alg, secret);
	assert_int_equal(dns_tsig_key_parse(text, strlen(text), &k, err,
	    sizeof(err)), 0);
	return k;
}

static int
parse_err(const char *text, char *err, size_t errlen)
{
	struct dns_tsig_key *k = NULL;
	int r;

	r = dns_tsig_key_parse(text, strlen(text), &k, err, errlen);
	assert_null(k);
	return r;
}

static void
test_key_parse(void **state)
{
	struct dns_tsig_key *k = NULL;
	char err[256];
	const char *sha512 =
	    "# written by tsig-keygen\n"
	    "/* a comment\n spanning lines */\n"
	    "key \"Other.Key.\" { // trailing\n"
	    "  algorithm HMAC-SHA512; secret \"" SECRET "\"; };\n";

	(void)state;
	assert_int_equal(dns_tsig_key_parse(keyfile, strlen(keyfile), &k, err,
	    sizeof(err)), 0);
	assert_string_equal(k->name, "ddns-key.");
	assert_int_equal(k->alg, DNS_TSIG_HMAC_SHA256);
	assert_int_equal(k->secretlen, 32);
	assert_string_equal(k->secret_b64, SECRET);
	dns_tsig_key_free(k);
	k = NULL;
	assert_int_equal(dns_tsig_key_parse(sha512, strlen(sha512), &k, err,
	    sizeof(err)), 0);
	assert_string_equal(k->name, "other.key.");
	assert_int_equal(k->alg, DNS_TSIG_HMAC_SHA512);
	dns_tsig_key_free(k);
}

static void
test_key_errors(void **state)
{
	char err[256];

	(void)state;
	assert_int_not_equal(parse_err("key k { algorithm hmac-sha384; secret "
	    "\"" SECRET "\"; };", err, sizeof(err)), 0);
	assert_non_null(strstr(err, "ldns"));
	assert_non_null(strstr(err, "unsigned"));
	assert_int_not_equal(parse_err("key k { algorithm hmac-sha224; secret "
	    "\"" SECRET "\"; };", err, sizeof(err)), 0);
	assert_non_null(strstr(err, "hmac-sha224"));
	assert_int_not_equal(parse_err("key k { algorithm hmac-md5; secret "
	    "\"" SECRET "\"; };", err, sizeof(err)), 0);
	assert_non_null(strstr(err, "weak"));
	assert_int_not_equal(parse_err("key k {\n algorithm hmac-sha256;\n "
	    "secret \"not base64!\"; };", err, sizeof(err)), 0);
	assert_string_equal(err, "line 3: the secret is not valid base64");
	assert_null(strstr(err, "not base64!"));	/* never echoed */
	assert_int_not_equal(parse_err("key k { algorithm hmac-sha256; secret "
	    "\"c2hvcnQ=\"; };", err, sizeof(err)), 0);
	assert_non_null(strstr(err, "shorter"));
	assert_int_not_equal(parse_err("key k { algorithm hmac-sha256; };",
	    err, sizeof(err)), 0);
	assert_non_null(strstr(err, "needs an algorithm and a secret"));
	assert_int_not_equal(parse_err("key a { algorithm hmac-sha256; secret "
	    "\"" SECRET "\"; };\nkey b { algorithm hmac-sha256; secret \""
	    SECRET "\"; };", err, sizeof(err)), 0);
	assert_string_equal(err, "line 2: more than one key in the file");
	assert_int_not_equal(parse_err("key k { algorithm hmac-sha256; secret "
	    "\"" SECRET "\"; colour red; };", err, sizeof(err)), 0);
	assert_non_null(strstr(err, "unknown key option \"colour\""));
	assert_int_not_equal(parse_err("key k { algorithm hmac-sha256; ",
	    err, sizeof(err)), 0);
	assert_int_not_equal(parse_err("", err, sizeof(err)), 0);
	assert_int_not_equal(parse_err("options { };", err, sizeof(err)), 0);
	assert_int_not_equal(parse_err("key k { /* open", err, sizeof(err)),
	    0);
	assert_int_not_equal(parse_err("key \"k", err, sizeof(err)), 0);
}

static void
test_b64(void **state)
{
	uint8_t out[16];
	size_t n;

	(void)state;
	assert_int_equal(dns_tsig_b64_decode("YQ==", out, sizeof(out), &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 'a');
	assert_int_equal(dns_tsig_b64_decode("YWJj", out, sizeof(out), &n), 0);
	assert_int_equal(n, 3);
	assert_int_not_equal(dns_tsig_b64_decode("YQ=", out, 16, &n), 0);
	assert_int_not_equal(dns_tsig_b64_decode("Y===", out, 16, &n), 0);
	assert_int_not_equal(dns_tsig_b64_decode("YQ==YWJj", out, 16, &n), 0);
	assert_int_not_equal(dns_tsig_b64_decode("YW-j", out, 16, &n), 0);
	assert_int_not_equal(dns_tsig_b64_decode("", out, 16, &n), 0);
	assert_int_equal(dns_tsig_b64_decode("YWJjYWJjYWJjYWJjYWJjYWJj", out,
	    16, &n), DG_ERR_TOOBIG);
}

static ldns_pkt *
update_pkt(void)
{
	ldns_rr_list *up = ldns_rr_list_new();
	ldns_rr *rr = NULL;
	ldns_pkt *p;

	ldns_rr_new_frm_str(&rr, "alice-gpu.dev.corp. 60 IN A 127.0.0.7", 0,
	    NULL, NULL);
	ldns_rr_list_push_rr(up, rr);
	p = ldns_update_pkt_new(ldns_dname_new_frm_str("dev.corp."),
	    LDNS_RR_CLASS_IN, NULL, up, NULL);
	ldns_rr_list_deep_free(up);
	ldns_pkt_set_id(p, 4242);
	ldns_pkt_set_rd(p, false);
	return p;
}

static ldns_pkt *
reply_pkt(uint16_t id, int rcode)
{
	ldns_pkt *p = update_pkt();

	ldns_pkt_set_id(p, id);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	return p;
}

/* Sign a reply as a server would, with ldns, and return its wire form. */
static uint8_t *
server_sign(ldns_pkt *p, const char *secret, const char *alg,
    const uint8_t *prior, size_t priorlen, int timers_only, size_t *lenp)
{
	uint8_t buf[2 + DNS_TSIG_MAX_MAC], *wire = NULL;
	ldns_rdf *m;

	buf[0] = (uint8_t)(priorlen >> 8);
	buf[1] = (uint8_t)priorlen;
	memcpy(buf + 2, prior, priorlen);
	m = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, 2 + priorlen, buf);
	assert_int_equal(ldns_pkt_tsig_sign_next(p, "ddns-key.", secret, 300,
	    alg, m, timers_only), LDNS_STATUS_OK);
	ldns_rdf_deep_free(m);
	assert_int_equal(ldns_pkt2wire(&wire, p, lenp), LDNS_STATUS_OK);
	return wire;
}

static void
test_sign_request(void **state)
{
	struct dns_tsig_key *k = key_new("hmac-sha256", SECRET);
	struct dns_tsig_verify v;
	ldns_pkt *p = update_pkt(), *back = NULL;
	uint8_t *wire;
	size_t len;

	(void)state;
	assert_int_equal(dns_tsig_sign(k, p, 300, &wire, &len, &v), 0);
	assert_int_equal(v.maclen, 32);
	assert_int_equal(v.id, 4242);
	/* ldns agrees the request is signed with the key. */
	assert_int_equal(ldns_wire2pkt(&back, wire, len), LDNS_STATUS_OK);
	assert_true(ldns_pkt_tsig_verify(back, wire, len, "ddns-key.", SECRET,
	    NULL));
	assert_false(ldns_pkt_tsig_verify(back, wire, len, "ddns-key.", BAD,
	    NULL));
	ldns_pkt_free(back);
	free(wire);
	ldns_pkt_free(p);
	dns_tsig_verify_clear(&v);
	dns_tsig_key_free(k);
}

static void
check_reply(const char *alg)
{
	struct dns_tsig_key *k = key_new(alg, SECRET);
	struct dns_tsig_verify v, v2;
	struct dns_tsig_result r;
	ldns_pkt *p = update_pkt(), *rep;
	uint8_t *wire, *rwire;
	size_t len, rlen;
	char algdot[32];

	snprintf(algdot, sizeof(algdot), "%s.", alg);
	assert_int_equal(dns_tsig_sign(k, p, 300, &wire, &len, &v), 0);
	free(wire);
	v2 = v;
	/* A correct reply verifies. */
	rep = reply_pkt(v.id, 0);
	rwire = server_sign(rep, SECRET, algdot, v.mac, v.maclen, 0, &rlen);
	assert_int_equal(dns_tsig_check(&v, rwire, rlen, time(NULL), &r), 0);
	assert_true(r.has_tsig && r.verified);
	assert_true(dns_tsig_complete(&v));
	/* A flipped bit does not. */
	rwire[3] ^= 0x01;
	assert_int_equal(dns_tsig_check(&v2, rwire, rlen, time(NULL), &r),
	    DG_ERR_CRYPTO);
	rwire[3] ^= 0x01;
	/* Time outside the fudge: MAC right, still not accepted. */
	v = v2;
	assert_int_equal(dns_tsig_check(&v, rwire, rlen, time(NULL) + 1000,
	    &r), DG_ERR_EXPIRED);
	assert_true(r.skew < -300);
	free(rwire);
	ldns_pkt_free(rep);
	/* Signed with another secret. */
	v = v2;
	rep = reply_pkt(v.id, 0);
	rwire = server_sign(rep, BAD, algdot, v.mac, v.maclen, 0, &rlen);
	assert_int_equal(dns_tsig_check(&v, rwire, rlen, time(NULL), &r),
	    DG_ERR_CRYPTO);
	free(rwire);
	ldns_pkt_free(rep);
	/* Not covering the request MAC (signed as a fresh message). */
	v = v2;
	rep = reply_pkt(v.id, 0);
	assert_int_equal(ldns_pkt_tsig_sign(rep, "ddns-key.", SECRET, 300,
	    algdot, NULL), LDNS_STATUS_OK);
	ldns_pkt2wire(&rwire, rep, &rlen);
	assert_int_equal(dns_tsig_check(&v, rwire, rlen, time(NULL), &r),
	    DG_ERR_CRYPTO);
	free(rwire);
	ldns_pkt_free(rep);
	/* Unsigned. */
	v = v2;
	rep = reply_pkt(v.id, 5);
	ldns_pkt2wire(&rwire, rep, &rlen);
	assert_int_equal(dns_tsig_check(&v, rwire, rlen, time(NULL), &r),
	    DG_ERR_AUTH);
	assert_false(r.has_tsig);
	free(rwire);
	ldns_pkt_free(rep);
	ldns_pkt_free(p);
	dns_tsig_key_free(k);
}

static void
test_verify_reply_sha256(void **state)
{
	(void)state;
	check_reply("hmac-sha256");
}

static void
test_verify_reply_sha512(void **state)
{
	(void)state;
	check_reply("hmac-sha512");
}

/* Append a TSIG RR by hand (for cases ldns cannot produce). */
static size_t
append_tsig(uint8_t *m, size_t len, const uint8_t *mac, uint16_t maclen,
    uint16_t origid, uint16_t error, uint64_t t)
{
	static const uint8_t key[] = "\x08" "ddns-key";
	static const uint8_t alg[] = "\x0b" "hmac-sha256";
	size_t off = len, rd;

	memcpy(m + off, key, sizeof(key));
	off += sizeof(key);
	m[off++] = 0;
	m[off++] = 250;
	m[off++] = 0;
	m[off++] = 255;
	memset(m + off, 0, 4);
	off += 4;
	rd = off;
	off += 2;
	memcpy(m + off, alg, sizeof(alg));
	off += sizeof(alg);
	m[off++] = (uint8_t)(t >> 40);
	m[off++] = (uint8_t)(t >> 32);
	m[off++] = (uint8_t)(t >> 24);
	m[off++] = (uint8_t)(t >> 16);
	m[off++] = (uint8_t)(t >> 8);
	m[off++] = (uint8_t)t;
	m[off++] = 1;		/* fudge 300 */
	m[off++] = 44;
	m[off++] = (uint8_t)(maclen >> 8);
	m[off++] = (uint8_t)maclen;
	if (maclen > 0)
		memcpy(m + off, mac, maclen);
	off += maclen;
	m[off++] = (uint8_t)(origid >> 8);
	m[off++] = (uint8_t)origid;
	m[off++] = (uint8_t)(error >> 8);
	m[off++] = (uint8_t)error;
	m[off++] = 0;
	m[off++] = 0;
	m[rd] = (uint8_t)((off - rd - 2) >> 8);
	m[rd + 1] = (uint8_t)(off - rd - 2);
	m[11]++;		/* ARCOUNT */
	return off;
}

static void
test_verify_axfr_chain(void **state)
{
	struct dns_tsig_key *k = key_new("hmac-sha256", SECRET);
	struct dns_tsig_verify v;
	struct dns_tsig_result r;
	ldns_pkt *p = update_pkt(), *m1, *m2;
	uint8_t *w, *w1, *w2, *w3, prior[DNS_TSIG_MAX_MAC], dig[8192],
	    mac[64], msg3[4096];
	size_t len, l1, l2, l3, n;
	unsigned maclen;
	uint64_t now = (uint64_t)time(NULL);

	(void)state;
	assert_int_equal(dns_tsig_sign(k, p, 300, &w, &len, &v), 0);
	free(w);
	/* Message 1: signed over the request MAC, full variables. */
	m1 = reply_pkt(v.id, 0);
	w1 = server_sign(m1, SECRET, "hmac-sha256.", v.mac, v.maclen, 0, &l1);
	assert_int_equal(dns_tsig_check(&v, w1, l1, (time_t)now, &r), 0);
	assert_true(r.verified);
	memcpy(prior, v.mac, v.maclen);
	/* Message 2: signed, timers only, over message 1's MAC. */
	m2 = reply_pkt(v.id, 0);
	w2 = server_sign(m2, SECRET, "hmac-sha256.", prior, 32, 1, &l2);
	assert_int_equal(dns_tsig_check(&v, w2, l2, (time_t)now, &r), 0);
	assert_true(r.verified);
	memcpy(prior, v.mac, 32);
	free(w2);
	ldns_pkt_free(m2);
	/* Message 3 unsigned, message 4 signed over both. */
	m2 = reply_pkt(v.id, 0);
	ldns_pkt2wire(&w2, m2, &l2);
	assert_int_equal(dns_tsig_check(&v, w2, l2, (time_t)now, &r), 0);
	assert_false(r.has_tsig);
	assert_false(dns_tsig_complete(&v));
	ldns_pkt2wire(&w3, m2, &l3);
	memcpy(msg3, w3, l3);
	free(w3);
	n = 0;
	dig[n++] = 0;
	dig[n++] = 32;
	memcpy(dig + n, prior, 32);
	n += 32;
	memcpy(dig + n, w2, l2);
	n += l2;
	memcpy(dig + n, msg3, l3);
	n += l3;
	dig[n++] = (uint8_t)(now >> 40);
	dig[n++] = (uint8_t)(now >> 32);
	dig[n++] = (uint8_t)(now >> 24);
	dig[n++] = (uint8_t)(now >> 16);
	dig[n++] = (uint8_t)(now >> 8);
	dig[n++] = (uint8_t)now;
	dig[n++] = 1;
	dig[n++] = 44;
	HMAC(EVP_sha256(), k->secret, (int)k->secretlen, dig, n, mac, &maclen);
	l3 = append_tsig(msg3, l3, mac, (uint16_t)maclen, v.id, 0, now);
	assert_int_equal(dns_tsig_check(&v, msg3, l3, (time_t)now, &r), 0);
	assert_true(r.verified);
	assert_true(dns_tsig_complete(&v));
	/* The same message again no longer verifies (chain moved on). */
	assert_int_equal(dns_tsig_check(&v, msg3, l3, (time_t)now, &r),
	    DG_ERR_CRYPTO);
	free(w1);
	free(w2);
	ldns_pkt_free(m1);
	ldns_pkt_free(m2);
	ldns_pkt_free(p);
	dns_tsig_verify_clear(&v);
	dns_tsig_key_free(k);
}

static void
test_verify_error_replies(void **state)
{
	struct dns_tsig_key *k = key_new("hmac-sha256", SECRET);
	struct dns_tsig_verify v;
	struct dns_tsig_result r;
	ldns_pkt *p = update_pkt(), *rep;
	uint8_t *w, m[4096];
	size_t len;

	(void)state;
	assert_int_equal(dns_tsig_sign(k, p, 300, &w, &len, &v), 0);
	free(w);
	/* NOTAUTH with an empty MAC and BADSIG, as BIND and Knot answer. */
	rep = reply_pkt(v.id, 9);
	ldns_pkt2wire(&w, rep, &len);
	memcpy(m, w, len);
	free(w);
	len = append_tsig(m, len, NULL, 0, v.id, DNS_TSIG_BADSIG,
	    (uint64_t)time(NULL));
	assert_int_equal(dns_tsig_check(&v, m, len, time(NULL), &r),
	    DG_ERR_AUTH);
	assert_true(r.has_tsig);
	assert_int_equal(r.error, DNS_TSIG_BADSIG);
	ldns_pkt_free(rep);
	ldns_pkt_free(p);
	dns_tsig_key_free(k);
}

static void
test_wire_malformed(void **state)
{
	uint8_t m[64];
	struct dns_wire_tsig t;
	size_t off, n;
	int found;
	uint8_t out[256];

	(void)state;
	memset(m, 0, sizeof(m));
	assert_int_equal(dns_wire_tsig(m, 11, &t, &found), DG_ERR_PROTO);
	/* One question whose name points at itself. */
	m[5] = 1;
	m[12] = 0xc0;
	m[13] = 12;
	assert_int_equal(dns_wire_tsig(m, 18, &t, &found), DG_ERR_PROTO);
	/* A forward pointer. */
	m[13] = 20;
	assert_int_equal(dns_wire_tsig(m, 30, &t, &found), DG_ERR_PROTO);
	/* Proper name, then trailing garbage. */
	m[12] = 1;
	m[13] = 'A';
	m[14] = 0;
	assert_int_equal(dns_wire_tsig(m, 19, &t, &found), 0);
	assert_false(found);
	assert_int_equal(dns_wire_tsig(m, 20, &t, &found), DG_ERR_PROTO);
	off = 12;
	assert_int_equal(dns_wire_name(m, 19, &off, out, &n), 0);
	assert_int_equal(off, 15);
	assert_int_equal(n, 3);
	assert_int_equal(out[1], 'a');	/* lowercased */
	/* A label running past the end. */
	m[12] = 60;
	assert_int_equal(dns_wire_tsig(m, 19, &t, &found), DG_ERR_PROTO);
	assert_int_equal(dns_wire_from_text("Ddns-Key.", out, &n), 0);
	assert_int_equal(n, 10);
	assert_int_equal(out[1], 'd');
	assert_int_not_equal(dns_wire_from_text("a..b", out, &n), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_parse),
		cmocka_unit_test(test_key_errors),
		cmocka_unit_test(test_b64),
		cmocka_unit_test(test_sign_request),
		cmocka_unit_test(test_verify_reply_sha256),
		cmocka_unit_test(test_verify_reply_sha512),
		cmocka_unit_test(test_verify_axfr_chain),
		cmocka_unit_test(test_verify_error_replies),
		cmocka_unit_test(test_wire_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
