/* fuzz-dns-reply.c: fuzz target for what comes back from a DNS server.
 * Input, as on TCP: a 2-byte length and the signed request, then the
 * reply messages each with its 2-byte length (the seeds are real
 * exchanges with BIND, Knot and PowerDNS). The first reply goes through
 * the UPDATE path (TSIG verification with the request's MAC,
 * classification); all replies go through the zone transfer state
 * machine, with and without TSIG, and the wire walker. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/dns-reply.h"
#include "dns/dns-tsig.h"
#include "dns/dns-wire.h"
#include "dns/dns-xfr.h"
#include "dns/dns-zone.h"
#include "tests/fuzz/fuzz.h"

static struct dns_tsig_key *fz_key;

static void
fz_init(void)
{
	static const char text[] = "key ddns-key { algorithm hmac-sha256; "
	    "secret \"3QLa8ImW1px72YsrBDNy2Qn8dyVhsGIU4yFd12V615g=\"; };";
	char err[128];

	if (fz_key == NULL &&
	    dns_tsig_key_parse(text, strlen(text), &fz_key, err,
	    sizeof(err)) != 0)
		abort();
}

static void
fz_state(struct dns_xfr_state *st, const struct dns_tsig_verify *v)
{
	memset(st, 0, sizeof(*st));
	st->zone = strdup("dev.corp");
	st->z = dns_zone_new("dev.corp");
	if (v != NULL) {
		st->v = *v;
		st->use_tsig = 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct dns_xfr_state signed_st, plain_st;
	struct dns_tsig_verify v, v1;
	struct dns_tsig_result tr;
	struct dns_wire_tsig t;
	struct dns_wire_hdr h;
	size_t off = 0, mlen;
	char text[512];
	int first = 1, found, rc, done_s = 0, done_p = 0, r;
	time_t now = 1700000000;

	fz_init();
	if (len < 2)
		return 0;
	mlen = (size_t)data[0] << 8 | data[1];
	if (mlen > len - 2)
		return 0;
	if (dns_tsig_verify_init(&v, fz_key, data + 2, mlen) != 0) {
		memset(&v, 0, sizeof(v));
		v.key = fz_key;
		v.maclen = 32;
	}
	off = 2 + mlen;
	v1 = v;
	fz_state(&signed_st, &v);
	fz_state(&plain_st, NULL);
	while (off + 2 <= len) {
		mlen = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (mlen > len - off)
			mlen = len - off;
		if (dns_wire_tsig(data + off, mlen, &t, &found) == 0 &&
		    found && first)
			now = (time_t)t.time_signed;	/* get past the clock */
		if (first) {
			rc = dns_tsig_check(&v1, data + off, mlen, now, &tr);
			if (dns_wire_header(data + off, mlen, &h) == 0)
				dns_reply_classify(h.rcode, rc, &tr, text,
				    sizeof(text));
			dns_tsig_verify_clear(&v1);
			first = 0;
		}
		if (!done_s) {
			r = dns_xfr_feed(&signed_st, data + off, mlen, now,
			    text, sizeof(text));
			done_s = r != 0;
		}
		if (!done_p) {
			r = dns_xfr_feed(&plain_st, data + off, mlen, now, text,
			    sizeof(text));
			done_p = r != 0;
		}
		off += mlen;
	}
	dns_xfr_state_clear(&signed_st);
	dns_xfr_state_clear(&plain_st);
	return 0;
}
