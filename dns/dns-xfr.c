/* dns-xfr.c: zone transfer (AXFR) with every message's TSIG checked, and
 * SOA serial queries, on the event loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "dns/dns-name.h"
#include "dns/dns-reply.h"
#include "dns/dns-send.h"
#include "dns/dns-wire.h"
#include "dns/dns-xfr.h"
#include "dns/dns-zone.h"

struct dns_xfr {
	struct dns_send	*send;
	struct dns_xfr_state st;
	dns_xfr_cb	*cb;
	dns_soa_cb	*soa_cb;
	void		*arg;
	int		 tcp_retry;	/* SOA: retried over TCP */
	struct loop	*loop;
	struct sockaddr_storage sa;
	socklen_t	 salen;
	int		 timeout_ms;
	uint8_t		*req;
	size_t		 reqlen;
};

int
dns_serial_gt(uint32_t a, uint32_t b)
{
	return a != b && (uint32_t)(a - b) < 0x80000000U;
}

static ldns_pkt *
dns_xfr_query(const char *zone, uint16_t type)
{
	ldns_pkt *p = NULL;
	char *fq = xasprintf("%s.", zone);

	if (ldns_pkt_query_new_frm_str(&p, fq, (ldns_rr_type)type,
	    LDNS_RR_CLASS_IN, 0) != LDNS_STATUS_OK)
		p = NULL;
	free(fq);
	if (p != NULL)
		ldns_pkt_set_random_id(p);
	return p;
}

int
dns_xfr_request(const char *zone, const struct dns_tsig_key *key,
    int fudge, uint8_t **wirep, size_t *lenp, struct dns_xfr_state *st)
{
	ldns_pkt *p;
	int r;

	memset(st, 0, sizeof(*st));
	if ((p = dns_xfr_query(zone, DNS_TYPE_AXFR)) == NULL)
		return DG_ERR_INVAL;
	if (key != NULL) {
		r = dns_tsig_sign(key, p, fudge, wirep, lenp, &st->v);
		st->use_tsig = 1;
	} else {
		r = ldns_pkt2wire(wirep, p, lenp) == LDNS_STATUS_OK ? 0 :
		    DG_ERR_INTERNAL;
		st->v.id = ldns_pkt_id(p);
	}
	ldns_pkt_free(p);
	if (r != 0)
		return r;
	st->zone = xstrdup(zone);
	st->z = dns_zone_new(zone);
	return 0;
}

void
dns_xfr_state_clear(struct dns_xfr_state *st)
{
	free(st->zone);
	dns_zone_free(st->z);
	dns_tsig_verify_clear(&st->v);
	memset(st, 0, sizeof(*st));
}

/* Check the message's TSIG; 0 when acceptable. */
static int
dns_xfr_tsig(struct dns_xfr_state *st, const struct dns_wire_hdr *h,
    const uint8_t *msg, size_t len, time_t now, char *err, size_t errlen)
{
	struct dns_tsig_result tr;
	char text[300];
	int r;

	r = dns_tsig_check(&st->v, msg, len, now, &tr);
	if (r == 0)
		return 0;
	if (h->rcode != 0 || (tr.has_tsig && tr.error != 0)) {
		dns_reply_classify(h->rcode, r, &tr, text, sizeof(text));
		return dg_errf(err, errlen, h->rcode == DNS_RCODE_REFUSED ||
		    h->rcode == DNS_RCODE_NOTAUTH ? DG_ERR_DENIED : DG_ERR_AUTH,
		    "transfer refused: %s", text);
	}
	switch (r) {
	case DG_ERR_AUTH:
		return dg_errf(err, errlen, r, "message %d of the transfer "
		    "is not signed", st->nmsg);
	case DG_ERR_CRYPTO:
		return dg_errf(err, errlen, r, "message %d of the transfer "
		    "has a signature that does not verify", st->nmsg);
	case DG_ERR_EXPIRED:
		return dg_errf(err, errlen, r, "message %d of the transfer "
		    "was signed %lld s away from this host's clock", st->nmsg,
		    (long long)tr.skew);
	case DG_ERR_LIMIT:
		return dg_errf(err, errlen, r, "more than 99 unsigned "
		    "messages in a row");
	default:
		return dg_errf(err, errlen, r, "message %d of the transfer "
		    "is malformed", st->nmsg);
	}
}

int
dns_xfr_feed(struct dns_xfr_state *st, const uint8_t *msg, size_t len,
    time_t now, char *err, size_t errlen)
{
	struct dns_wire_hdr h;
	ldns_pkt *p = NULL;
	ldns_rr_list *an;
	ldns_rr *rr;
	char owner[DNS_NAME_MAX], text[300];
	struct dns_tsig_result none;
	size_t i, n;
	int r;

	if (st->z == NULL || st->nsoa >= 2)
		return dg_errf(err, errlen, DG_ERR_PROTO, "data after the "
		    "end of the transfer");
	if (++st->nmsg > DNS_XFR_MAX_MESSAGES)
		return dg_errf(err, errlen, DG_ERR_LIMIT, "too many "
		    "messages");
	if (dns_wire_header(msg, len, &h) != 0)
		return dg_errf(err, errlen, DG_ERR_PROTO, "short message");
	if (st->use_tsig) {
		if ((r = dns_xfr_tsig(st, &h, msg, len, now, err, errlen)) != 0)
			return r;
	}
	if (h.rcode != 0) {
		memset(&none, 0, sizeof(none));
		dns_reply_classify(h.rcode, DG_ERR_AUTH, &none, text,
		    sizeof(text));
		return dg_errf(err, errlen, h.rcode == DNS_RCODE_REFUSED ||
		    h.rcode == DNS_RCODE_NOTAUTH ? DG_ERR_DENIED : DG_ERR_PROTO,
		    "transfer refused: %s", text);
	}
	if (h.tc)
		return dg_errf(err, errlen, DG_ERR_PROTO, "truncated "
		    "transfer message");
	if (ldns_wire2pkt(&p, msg, len) != LDNS_STATUS_OK)
		return dg_errf(err, errlen, DG_ERR_PROTO, "message %d of "
		    "the transfer does not parse", st->nmsg);
	an = ldns_pkt_answer(p);
	n = ldns_rr_list_rr_count(an);
	r = 0;
	for (i = 0; i < n && r == 0; i++) {
		rr = ldns_rr_list_rr(an, i);
		if (st->nsoa >= 2) {
			r = dg_errf(err, errlen, DG_ERR_PROTO, "records "
			    "after the closing SOA");
			break;
		}
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA &&
		    ldns_rr_rd_count(rr) < 7) {
			r = dg_errf(err, errlen, DG_ERR_PROTO, "a "
			    "malformed SOA record");
			break;
		}
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA &&
		    dns_rr_owner(rr, owner, sizeof(owner)) == 0 &&
		    strcmp(owner, st->zone) == 0) {
			if (st->nsoa++ == 0) {
				st->serial = ldns_rdf2native_int32(
				    ldns_rr_rdf(rr, 2));
			} else {
				/* The closing SOA repeats the first. */
				if (ldns_rdf2native_int32(ldns_rr_rdf(rr, 2)) !=
				    st->serial)
					r = dg_errf(err, errlen,
					    DG_ERR_PROTO, "the zone changed "
					    "during the transfer");
				continue;
			}
		} else if (st->nsoa == 0) {
			r = dg_errf(err, errlen, DG_ERR_PROTO, "the "
			    "transfer does not start with the zone's SOA");
			break;
		}
		if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
			continue;
		if ((r = dns_zone_add(st->z, ldns_rr_clone(rr), 0)) != 0)
			r = dg_errf(err, errlen, r == DG_ERR_LIMIT ?
			    DG_ERR_LIMIT : DG_ERR_PROTO, "%s", r ==
			    DG_ERR_LIMIT ? "too many records" :
			    "a record outside the zone");
	}
	ldns_pkt_free(p);
	if (r != 0)
		return r;
	if (st->nsoa >= 2) {
		/* RFC 8945: the last message must be signed. */
		if (st->use_tsig && !dns_tsig_complete(&st->v))
			return dg_errf(err, errlen, DG_ERR_AUTH, "the last "
			    "message of the transfer is not signed");
		return 1;
	}
	return 0;
}

/* Loop side. */

static void
dns_xfr_free(struct dns_xfr *x)
{
	dns_xfr_state_clear(&x->st);
	free(x->req);
	free(x);
}

static int
dns_xfr_on_msg(void *arg, int err, const uint8_t *msg, size_t len)
{
	struct dns_xfr *x = arg;
	char text[400];
	struct dns_zone *z;
	int r;

	if (err != 0) {
		x->send = NULL;
		snprintf(text, sizeof(text), "transfer failed: %s",
		    dns_send_strerror(err));
		x->cb(x->arg, err, NULL, text);
		dns_xfr_free(x);
		return 0;
	}
	r = dns_xfr_feed(&x->st, msg, len, time(NULL), text, sizeof(text));
	if (r == 0)
		return 1;
	x->send = NULL;
	if (r == 1) {
		z = x->st.z;
		x->st.z = NULL;
		x->cb(x->arg, 0, z, NULL);
	} else {
		x->cb(x->arg, r, NULL, text);
	}
	dns_xfr_free(x);
	return 0;
}

int
dns_xfr_start(struct loop *loop, const struct sockaddr *sa, socklen_t salen,
    const char *zone, const struct dns_tsig_key *key, int fudge,
    int timeout_ms, dns_xfr_cb *cb, void *arg, struct dns_xfr **xp)
{
	struct dns_xfr *x = xcalloc(1, sizeof(*x));
	uint8_t *wire;
	size_t len;
	int r;

	x->cb = cb;
	x->arg = arg;
	if ((r = dns_xfr_request(zone, key, fudge, &wire, &len, &x->st)) != 0) {
		free(x);
		return r;
	}
	r = dns_send_start(loop, sa, salen, DNS_SEND_TCP | DNS_SEND_STREAM,
	    wire, len, timeout_ms, dns_xfr_on_msg, x, &x->send);
	free(wire);
	if (r != 0) {
		dns_xfr_free(x);
		return r;
	}
	if (xp != NULL)
		*xp = x;
	return 0;
}

void
dns_xfr_cancel(struct dns_xfr *x)
{
	if (x == NULL)
		return;
	dns_send_cancel(x->send);
	dns_xfr_free(x);
}

static int dns_soa_on_msg(void *, int, const uint8_t *, size_t);

static int
dns_soa_finish(struct dns_xfr *x, int err, uint32_t serial,
    const char *text)
{
	x->send = NULL;
	x->soa_cb(x->arg, err, serial, text);
	dns_xfr_free(x);
	return 0;
}

static int
dns_soa_on_msg(void *arg, int err, const uint8_t *msg, size_t len)
{
	struct dns_xfr *x = arg;
	struct dns_wire_hdr h;
	ldns_pkt *p = NULL;
	ldns_rr_list *an;
	ldns_rr *rr;
	char owner[DNS_NAME_MAX], text[200];
	size_t i;
	int r;

	if (err != 0) {
		snprintf(text, sizeof(text), "SOA query failed: %s",
		    dns_send_strerror(err));
		return dns_soa_finish(x, err, 0, text);
	}
	if (dns_wire_header(msg, len, &h) != 0 ||
	    ldns_wire2pkt(&p, msg, len) != LDNS_STATUS_OK)
		return dns_soa_finish(x, DG_ERR_PROTO, 0, "SOA query: "
		    "malformed answer");
	if (h.tc && !x->tcp_retry) {
		ldns_pkt_free(p);
		x->tcp_retry = 1;
		r = dns_send_start(x->loop, (struct sockaddr *)&x->sa, x->salen,
		    DNS_SEND_TCP, x->req, x->reqlen, x->timeout_ms,
		    dns_soa_on_msg, x, &x->send);
		if (r != 0)
			return dns_soa_finish(x, r, 0, "SOA query over TCP "
			    "failed");
		return 0;
	}
	if (h.rcode != 0 || !ldns_pkt_aa(p)) {
		snprintf(text, sizeof(text), "SOA query: %s", h.rcode != 0 ?
		    dns_rcode_name(h.rcode) : "the server is not "
		    "authoritative for the zone");
		ldns_pkt_free(p);
		return dns_soa_finish(x, h.rcode == DNS_RCODE_REFUSED ?
		    DG_ERR_DENIED : DG_ERR_UNAVAIL, 0, text);
	}
	an = ldns_pkt_answer(p);
	for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
		rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA &&
		    ldns_rr_rd_count(rr) >= 3 &&
		    dns_rr_owner(rr, owner, sizeof(owner)) == 0 &&
		    strcmp(owner, x->st.zone) == 0) {
			uint32_t serial = ldns_rdf2native_int32(
			    ldns_rr_rdf(rr, 2));

			ldns_pkt_free(p);
			return dns_soa_finish(x, 0, serial, NULL);
		}
	}
	ldns_pkt_free(p);
	return dns_soa_finish(x, DG_ERR_PROTO, 0, "SOA query: no SOA in the "
	    "answer");
}

int
dns_soa_start(struct loop *loop, const struct sockaddr *sa, socklen_t salen,
    const char *zone, int timeout_ms, dns_soa_cb *cb, void *arg,
    struct dns_xfr **xp)
{
	struct dns_xfr *x;
	ldns_pkt *p;
	int r;

	if ((size_t)salen > sizeof(x->sa) || (p = dns_xfr_query(zone,
	    DNS_TYPE_SOA)) == NULL)
		return DG_ERR_INVAL;
	x = xcalloc(1, sizeof(*x));
	ldns_pkt_set_rd(p, false);
	r = ldns_pkt2wire(&x->req, p, &x->reqlen) == LDNS_STATUS_OK ? 0 :
	    DG_ERR_INTERNAL;
	ldns_pkt_free(p);
	if (r != 0) {
		free(x);
		return r;
	}
	x->soa_cb = cb;
	x->arg = arg;
	x->loop = loop;
	memcpy(&x->sa, sa, salen);
	x->salen = salen;
	x->timeout_ms = timeout_ms;
	x->st.zone = xstrdup(zone);
	r = dns_send_start(loop, sa, salen, 0, x->req, x->reqlen, timeout_ms,
	    dns_soa_on_msg, x, &x->send);
	if (r != 0) {
		dns_xfr_free(x);
		return r;
	}
	if (xp != NULL)
		*xp = x;
	return 0;
}
