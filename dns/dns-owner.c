/* dns-owner.c: ownership markers, address reservations, and the planning
 * of one name's change under RFC 2136 prerequisites. */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xmalloc.h"
#include "dns/dns-name.h"
#include "dns/dns-owner.h"
#include "dns/dns-pool.h"
#include "dns/dns-update.h"
#include "dns/dns-wire.h"
#include "dns/dns-zone.h"

static const uint16_t dns_owner_types[] = { DNS_TYPE_A, DNS_TYPE_AAAA,
	DNS_TYPE_CNAME, DNS_TYPE_TXT };
#define DNS_OWNER_NTYPES 4

void
dns_want_clear(struct dns_want *w)
{
	size_t i;

	free(w->name);
	for (i = 0; i < w->nrr; i++)
		free(w->rr[i].rdata);
	free(w->rr);
	memset(w, 0, sizeof(*w));
}

void
dns_want_add(struct dns_want *w, uint16_t type, const char *rdata)
{
	w->rr = xreallocarray(w->rr, w->nrr + 1, sizeof(*w->rr));
	w->rr[w->nrr].type = type;
	w->rr[w->nrr].rdata = xstrdup(rdata);
	w->nrr++;
}

void
dns_want_copy(struct dns_want *dst, const struct dns_want *src)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	dst->name = xstrdup(src->name);
	dst->pool = src->pool;
	for (i = 0; i < src->nrr; i++)
		dns_want_add(dst, src->rr[i].type, src->rr[i].rdata);
}

int
dns_want_absent(const struct dns_want *w)
{
	return !w->pool && w->nrr == 0;
}

int
dns_want_equal(const struct dns_want *a, const struct dns_want *b)
{
	size_t i;

	if (strcmp(a->name, b->name) != 0 || a->pool != b->pool ||
	    a->nrr != b->nrr)
		return 0;
	for (i = 0; i < a->nrr; i++)
		if (a->rr[i].type != b->rr[i].type ||
		    strcmp(a->rr[i].rdata, b->rr[i].rdata) != 0)
			return 0;
	return 1;
}

/* "LABEL._addr" with a label as dns_owner_addr_label writes them. */
static int
dns_owner_is_resv(const char *name)
{
	size_t n = strcspn(name, ".");

	return n > 0 && n < 40 && strcmp(name + n, "." DNS_ADDR_LABEL) == 0 &&
	    strspn(name, "0123456789abcdef-") == n;
}

int
dns_want_check(const struct dns_owner_ctx *ctx, const struct dns_want *w)
{
	char fq[DNS_NAME_MAX + 16], canon[DNS_NAME_MAX];
	size_t i, ncname = 0;

	if (w->name == NULL)
		return DG_ERR_INVAL;
	/* A reservation can only be wanted gone. */
	if (dns_owner_is_resv(w->name))
		return dns_want_absent(w) ? 0 : DG_ERR_INVAL;
	if (w->name[0] == '_' ||
	    strstr(w->name, "." DNS_OWNER_LABEL) != NULL ||
	    strstr(w->name, "." DNS_ADDR_LABEL) != NULL)
		return DG_ERR_INVAL;
	snprintf(fq, sizeof(fq), "%s.%s", w->name, ctx->zone);
	if (dns_name_canon(fq, canon, sizeof(canon)) != 0 ||
	    strcmp(canon, fq) != 0 || strlen(fq) > 240)
		return DG_ERR_INVAL;
	for (i = 0; i < w->nrr; i++) {
		switch (w->rr[i].type) {
		case DNS_TYPE_CNAME:
			ncname++;
			break;
		case DNS_TYPE_A:
		case DNS_TYPE_AAAA:
		case DNS_TYPE_TXT:
			break;
		default:
			return DG_ERR_INVAL;
		}
	}
	if (ncname > 1 || (ncname == 1 && (w->nrr > 1 || w->pool)))
		return DG_ERR_INVAL;
	if (w->pool && ctx->pool == NULL)
		return DG_ERR_INVAL;
	return 0;
}

char *
dns_owner_marker(const struct dns_owner_ctx *ctx)
{
	return xasprintf("\"%s\" \"owner=%s\"", DNS_OWNER_VERSION,
	    ctx->owner_id);
}

static char *
dns_owner_resv_rdata(const struct dns_owner_ctx *ctx, const char *name)
{
	return xasprintf("\"%s\" \"owner=%s\" \"name=%s\"", DNS_ADDR_VERSION,
	    ctx->owner_id, name);
}

/* Does the TXT record hold exactly these strings? */
static int
dns_owner_txt_is(const ldns_rr *rr, const char *a, const char *b,
    const char *c)
{
	const char *want[3] = { a, b, c };
	char **s;
	size_t n, i, k = c != NULL ? 3 : 2;
	int ok;

	if (dns_txt_strings(rr, &s, &n) != 0)
		return 0;
	ok = n == k;
	for (i = 0; ok && i < k; i++)
		ok = strcmp(s[i], want[i]) == 0;
	dns_txt_free(s, n);
	return ok;
}

static const struct dns_znode *
dns_owner_node(const struct dns_owner_ctx *ctx, const struct dns_zone *view,
    const char *prefix, const char *rel)
{
	char fq[DNS_NAME_MAX + 32];

	snprintf(fq, sizeof(fq), "%s%s%s.%s", prefix ? prefix : "",
	    prefix ? "." : "", rel, ctx->zone);
	return dns_zone_find(view, fq);
}

enum dns_owner_state
dns_owner_state(const struct dns_owner_ctx *ctx, const struct dns_zone *view,
    const char *name)
{
	const struct dns_znode *mk, *n;
	char owner[80];
	size_t i, ntxt = 0, ours = 0;

	snprintf(owner, sizeof(owner), "owner=%s", ctx->owner_id);
	mk = dns_owner_node(ctx, view, DNS_OWNER_LABEL, name);
	for (i = 0; mk != NULL && i < mk->n; i++) {
		if (ldns_rr_get_type(mk->rec[i].rr) != LDNS_RR_TYPE_TXT)
			continue;
		ntxt++;
		if (dns_owner_txt_is(mk->rec[i].rr, DNS_OWNER_VERSION, owner,
		    NULL))
			ours++;
	}
	if (ntxt > 0)
		return ntxt == 1 && ours == 1 ? DNS_OWNER_OURS :
		    DNS_OWNER_FOREIGN;
	n = dns_owner_node(ctx, view, NULL, name);
	return n != NULL ? DNS_OWNER_UNMANAGED : DNS_OWNER_FREE;
}

int
dns_owner_marked(const struct dns_owner_ctx *ctx, const struct dns_zone *view,
    const char *rel, char *buf, size_t len)
{
	size_t pl = strlen(DNS_OWNER_LABEL);

	if (strncmp(rel, DNS_OWNER_LABEL ".", pl + 1) != 0 ||
	    strlen(rel + pl + 1) >= len)
		return 0;
	if (dns_owner_state(ctx, view, rel + pl + 1) != DNS_OWNER_OURS)
		return 0;
	snprintf(buf, len, "%s", rel + pl + 1);
	return 1;
}

/* The reservation label of an address: "127-0-10-5" for IPv4, the 32
 * hex digits of an IPv6 address. 0 or -1 when addr is not an address. */
static int
dns_owner_addr_label(const char *addr, char *label, size_t len)
{
	uint8_t a[16];
	int k;

	if (inet_pton(AF_INET, addr, a) == 1) {
		snprintf(label, len, "%u-%u-%u-%u", a[0], a[1], a[2], a[3]);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, a) != 1 || len < 33)
		return -1;
	for (k = 0; k < 16; k++)
		snprintf(label + 2 * k, 3, "%02x", a[k]);
	return 0;
}

/* Is <label>._addr one of our reservations? Its name into name. */
static int
dns_owner_resv_content(const struct dns_owner_ctx *ctx,
    const struct dns_zone *view, const char *label, char *name, size_t len)
{
	const struct dns_znode *n;
	char rel[80], owner[80], **s;
	size_t ns;
	int ok = 0;

	snprintf(rel, sizeof(rel), "%s.%s", label, DNS_ADDR_LABEL);
	n = dns_owner_node(ctx, view, NULL, rel);
	if (n == NULL || n->n != 1 ||
	    ldns_rr_get_type(n->rec[0].rr) != LDNS_RR_TYPE_TXT ||
	    dns_txt_strings(n->rec[0].rr, &s, &ns) != 0)
		return 0;
	snprintf(owner, sizeof(owner), "owner=%s", ctx->owner_id);
	if (ns == 3 && strcmp(s[0], DNS_ADDR_VERSION) == 0 &&
	    strcmp(s[1], owner) == 0 && strncmp(s[2], "name=", 5) == 0 &&
	    strlen(s[2] + 5) < len) {
		snprintf(name, len, "%s", s[2] + 5);
		ok = 1;
	}
	dns_txt_free(s, ns);
	return ok;
}

int
dns_owner_reservation(const struct dns_owner_ctx *ctx,
    const struct dns_zone *view, const char *rel, uint64_t *indexp,
    char *name, size_t len)
{
	char label[64];
	const char *dot;
	int64_t idx = -1;

	if ((dot = strchr(rel, '.')) == NULL ||
	    strcmp(dot + 1, DNS_ADDR_LABEL) != 0 ||
	    (size_t)(dot - rel) >= sizeof(label))
		return 0;
	memcpy(label, rel, (size_t)(dot - rel));
	label[dot - rel] = '\0';
	if (!dns_owner_resv_content(ctx, view, label, name, len))
		return 0;
	if (ctx->pool != NULL)
		idx = dns_pool_label_index(ctx->pool, label);
	*indexp = idx >= 0 ? (uint64_t)idx : UINT64_MAX;
	return 1;
}

/* Names of the reservation of pool index idx. */
static void
dns_owner_resv_name(const struct dns_owner_ctx *ctx, uint64_t idx, char *fq,
    size_t len)
{
	char label[40];

	dns_pool_label(ctx->pool, idx, label, sizeof(label));
	snprintf(fq, len, "%s.%s.%s", label, DNS_ADDR_LABEL, ctx->zone);
}

int
dns_owner_release(const struct dns_owner_ctx *ctx, const char *name,
    const char *label, struct dns_update *u)
{
	char fq[DNS_NAME_MAX + 64], *rd;
	const char *v[1];
	int r;

	snprintf(fq, sizeof(fq), "%s.%s.%s", label, DNS_ADDR_LABEL, ctx->zone);
	rd = dns_owner_resv_rdata(ctx, name);
	v[0] = rd;
	if ((r = dns_update_require_rrset(u, fq, DNS_TYPE_TXT, v, 1)) == 0)
		r = dns_update_delete_name(u, fq);
	free(rd);
	return r;
}

struct dns_owner_held {
	char		 label[40];
	int64_t		 idx;		/* pool index, -1 if none */
};

/* The reservations we hold for the name's current addresses (any pool,
 * even one no longer configured). */
static size_t
dns_owner_held(const struct dns_owner_ctx *ctx, const struct dns_zone *view,
    const char *name, struct dns_owner_held *out, size_t max)
{
	const struct dns_znode *n = dns_owner_node(ctx, view, NULL, name);
	char *rd, who[DNS_NAME_MAX];
	uint16_t t;
	size_t i, k = 0;

	for (i = 0; n != NULL && i < n->n && k < max; i++) {
		t = ldns_rr_get_type(n->rec[i].rr);
		if (t != DNS_TYPE_A && t != DNS_TYPE_AAAA)
			continue;
		rd = dns_rr_rdata_text(n->rec[i].rr);
		if (dns_owner_addr_label(rd, out[k].label,
		    sizeof(out[k].label)) == 0 &&
		    dns_owner_resv_content(ctx, view, out[k].label, who,
		    sizeof(who)) && strcmp(who, name) == 0) {
			out[k].idx = ctx->pool != NULL &&
			    (t == DNS_TYPE_A) == (ctx->pool->family == AF_INET) ?
			    dns_pool_index(ctx->pool, rd) : -1;
			k++;
		}
		free(rd);
	}
	return k;
}

static int64_t
dns_owner_pick(const struct dns_owner_ctx *ctx, const struct dns_zone *view,
    const char *name, dns_owner_taken_fn *taken, void *arg)
{
	char fq[DNS_NAME_MAX + 64];
	uint64_t a, idx, limit;

	limit = ctx->pool->size < 65536 ? ctx->pool->size : 65536;
	for (a = 0; a < limit; a++) {
		idx = dns_pool_candidate(ctx->pool, name, a);
		if (taken != NULL && taken(arg, idx))
			continue;
		dns_owner_resv_name(ctx, idx, fq, sizeof(fq));
		if (dns_zone_find(view, fq) == NULL)
			return (int64_t)idx;
	}
	return -1;
}

/* Do the current records of one type at the node equal the wanted ones
 * (rdata and TTL)? */
static int
dns_owner_same(const struct dns_owner_ctx *ctx, const struct dns_znode *n,
    uint16_t type, ldns_rr **want, size_t nwant)
{
	size_t i, k, cur = 0, hit;

	for (i = 0; n != NULL && i < n->n; i++)
		if (ldns_rr_get_type(n->rec[i].rr) == type)
			cur++;
	if (cur != nwant)
		return 0;
	for (k = 0; k < nwant; k++) {
		hit = 0;
		for (i = 0; n != NULL && i < n->n && !hit; i++)
			hit = ldns_rr_get_type(n->rec[i].rr) == type &&
			    ldns_rr_ttl(n->rec[i].rr) == ctx->ttl &&
			    ldns_rr_compare(n->rec[i].rr, want[k]) == 0;
		if (!hit)
			return 0;
	}
	return 1;
}

struct dns_owner_desired {
	uint16_t	 type[64];
	char		*rdata[64];
	ldns_rr		*rr[64];
	size_t		 n;
};

static void
dns_owner_desired_free(struct dns_owner_desired *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->rdata[i]);
		ldns_rr_free(d->rr[i]);
	}
	d->n = 0;
}

static int
dns_owner_desired_add(struct dns_owner_desired *d, const char *fq,
    uint32_t ttl, uint16_t type, const char *rdata)
{
	char *text;
	ldns_rr *rr = NULL;

	if (d->n == 64)
		return DG_ERR_LIMIT;
	text = xasprintf("%s. %u IN %s %s", fq, ttl,
	    dns_update_type_name(type), rdata);
	if (ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) != LDNS_STATUS_OK ||
	    ldns_rr_get_type(rr) != type) {
		free(text);
		ldns_rr_free(rr);
		return DG_ERR_INVAL;
	}
	free(text);
	d->type[d->n] = type;
	d->rdata[d->n] = xstrdup(rdata);
	d->rr[d->n] = rr;
	d->n++;
	return 0;
}

static int dns_owner_say(struct dns_plan *, enum dns_plan_status, const char *,
    ...) __attribute__((format(printf, 3, 4)));

static int
dns_owner_say(struct dns_plan *p, enum dns_plan_status st, const char *fmt,
    ...)
{
	va_list ap;

	p->status = st;
	va_start(ap, fmt);
	vsnprintf(p->text, sizeof(p->text), fmt, ap);
	va_end(ap);
	return 0;
}

/* Delete everything devgate owns at name: records, marker, reservations. */
static int
dns_owner_plan_delete(const struct dns_owner_ctx *ctx,
    const struct dns_zone *view, const char *name, const char *fq,
    const char *mk, struct dns_update *u, struct dns_plan *p)
{
	struct dns_owner_held held[8];
	const char *v[1];
	char *marker = dns_owner_marker(ctx);
	size_t nheld, i;
	int r;

	v[0] = marker;
	nheld = dns_owner_held(ctx, view, name, held, 8);
	r = dns_update_require_rrset(u, mk, DNS_TYPE_TXT, v, 1);
	if (r == 0)
		r = dns_update_delete_name(u, fq);
	if (r == 0)
		r = dns_update_delete_name(u, mk);
	for (i = 0; r == 0 && i < nheld; i++)
		r = dns_owner_release(ctx, name, held[i].label, u);
	free(marker);
	if (r != 0)
		return r;
	return dns_owner_say(p, DNS_PLAN_CHANGE, "delete %s", fq);
}

/* Release a reservation of ours that no name points at any more. */
static int
dns_owner_plan_orphan(const struct dns_owner_ctx *ctx,
    const struct dns_zone *view, const char *rel, struct dns_update *u,
    struct dns_plan *p)
{
	char label[40], who[DNS_NAME_MAX];
	size_t n = strcspn(rel, ".");
	int r;

	snprintf(label, sizeof(label), "%.*s", (int)n, rel);
	if (!dns_owner_resv_content(ctx, view, label, who, sizeof(who)))
		return dns_owner_say(p, DNS_PLAN_NOOP, "%s.%s is not a "
		    "reservation of ours", rel, ctx->zone);
	if ((r = dns_owner_release(ctx, who, label, u)) != 0)
		return r;
	return dns_owner_say(p, DNS_PLAN_CHANGE, "release %s.%s (was %s's "
	    "address)", rel, ctx->zone, who);
}

static int dns_owner_plan1(const struct dns_owner_ctx *,
    const struct dns_zone *, const struct dns_want *, dns_owner_taken_fn *,
    void *, struct dns_update *, struct dns_plan *);

int
dns_owner_plan(const struct dns_owner_ctx *ctx, const struct dns_zone *view,
    const struct dns_want *w, dns_owner_taken_fn *taken, void *arg,
    struct dns_update *u, struct dns_plan *p)
{
	struct dns_update_mark m;
	int r;

	/* Anything but a change leaves u as it was. */
	dns_update_mark(u, &m);
	r = dns_owner_plan1(ctx, view, w, taken, arg, u, p);
	if (r != 0 || p->status != DNS_PLAN_CHANGE) {
		dns_update_rollback(u, &m);
		if (r != 0)
			p->claimed = -1;
	}
	return r;
}

static int
dns_owner_plan1(const struct dns_owner_ctx *ctx, const struct dns_zone *view,
    const struct dns_want *w, dns_owner_taken_fn *taken, void *arg,
    struct dns_update *u, struct dns_plan *p)
{
	struct dns_owner_desired d;
	const struct dns_znode *node;
	enum dns_owner_state st;
	char fq[DNS_NAME_MAX + 16], mk[DNS_NAME_MAX + 32], rv[DNS_NAME_MAX + 64];
	char addr[64], *marker = NULL, *resv = NULL, what[200];
	struct dns_owner_held held[8];
	size_t nheld = 0, i, k, nw, changed = 0;
	int64_t keep = -1, pick = -1;
	const char *v[1];
	ldns_rr *want[64];
	int r = 0;

	memset(p, 0, sizeof(*p));
	memset(&d, 0, sizeof(d));
	p->claimed = -1;
	if (dns_want_check(ctx, w) != 0)
		return dns_owner_say(p, DNS_PLAN_INVALID, "%s: not a name or "
		    "record set devgate can write", w->name ? w->name : "?");
	snprintf(fq, sizeof(fq), "%s.%s", w->name, ctx->zone);
	snprintf(mk, sizeof(mk), "%s.%s", DNS_OWNER_LABEL, fq);
	if (dns_owner_is_resv(w->name))
		return dns_owner_plan_orphan(ctx, view, w->name, u, p);
	st = dns_owner_state(ctx, view, w->name);
	if (st == DNS_OWNER_FOREIGN || st == DNS_OWNER_UNMANAGED)
		return dns_owner_say(p, DNS_PLAN_CONFLICT, "%s %s; left "
		    "untouched", fq, st == DNS_OWNER_FOREIGN ? "is marked as "
		    "owned by another installation (" DNS_OWNER_LABEL " TXT)" :
		    "has records devgate did not write (no " DNS_OWNER_LABEL
		    " marker)");
	if (dns_want_absent(w)) {
		if (st == DNS_OWNER_FREE)
			return dns_owner_say(p, DNS_PLAN_NOOP, "%s is absent",
			    fq);
		return dns_owner_plan_delete(ctx, view, w->name, fq, mk, u, p);
	}
	for (i = 0; i < w->nrr && r == 0; i++)
		r = dns_owner_desired_add(&d, fq, ctx->ttl, w->rr[i].type,
		    w->rr[i].rdata);
	if (r != 0) {
		dns_owner_desired_free(&d);
		return dns_owner_say(p, DNS_PLAN_INVALID, "%s: a record does "
		    "not parse", fq);
	}
	if (st == DNS_OWNER_OURS)
		nheld = dns_owner_held(ctx, view, w->name, held, 8);
	for (i = 0; w->pool && i < nheld && keep < 0; i++)
		keep = held[i].idx;
	if (w->pool) {
		if (keep < 0 && (pick = dns_owner_pick(ctx, view, w->name,
		    taken, arg)) < 0) {
			dns_owner_desired_free(&d);
			return dns_owner_say(p, DNS_PLAN_FULL, "%s: no free "
			    "address left in the pool %s", fq,
			    ctx->pool->text);
		}
		dns_pool_text(ctx->pool, (uint64_t)(keep >= 0 ? keep : pick),
		    addr, sizeof(addr));
		r = dns_owner_desired_add(&d, fq, ctx->ttl,
		    ctx->pool->family == AF_INET ? DNS_TYPE_A : DNS_TYPE_AAAA,
		    addr);
	}
	node = dns_owner_node(ctx, view, NULL, w->name);
	marker = dns_owner_marker(ctx);
	resv = dns_owner_resv_rdata(ctx, w->name);
	v[0] = marker;
	if (st == DNS_OWNER_FREE) {
		/* Create: only if nobody uses the name (nor its marker). */
		r = dns_update_require_absent(u, fq);
		if (r == 0)
			r = dns_update_require_absent(u, mk);
		if (r == 0)
			r = dns_update_add(u, mk, ctx->ttl, DNS_TYPE_TXT, marker);
		for (i = 0; r == 0 && i < d.n; i++)
			r = dns_update_add(u, fq, ctx->ttl, d.type[i],
			    d.rdata[i]);
		changed = d.n;
		snprintf(what, sizeof(what), "add");
	} else {
		/* Change: only while our marker is there, exactly. */
		r = dns_update_require_rrset(u, mk, DNS_TYPE_TXT, v, 1);
		for (k = 0; r == 0 && k < DNS_OWNER_NTYPES; k++) {
			for (i = 0, nw = 0; i < d.n; i++)
				if (d.type[i] == dns_owner_types[k])
					want[nw++] = d.rr[i];
			if (dns_owner_same(ctx, node, dns_owner_types[k], want,
			    nw))
				continue;
			changed++;
			if (dns_znode_count(node, dns_owner_types[k]) > 0)
				r = dns_update_delete_rrset(u, fq,
				    dns_owner_types[k]);
			for (i = 0; r == 0 && i < d.n; i++)
				if (d.type[i] == dns_owner_types[k])
					r = dns_update_add(u, fq, ctx->ttl,
					    d.type[i], d.rdata[i]);
		}
		snprintf(what, sizeof(what), "change");
	}
	/* Reservations: claim the new address, release the others. */
	if (r == 0 && pick >= 0) {
		dns_owner_resv_name(ctx, (uint64_t)pick, rv, sizeof(rv));
		r = dns_update_require_absent(u, rv);
		if (r == 0)
			r = dns_update_add(u, rv, ctx->ttl, DNS_TYPE_TXT, resv);
		p->claimed = pick;
		changed++;
	}
	for (i = 0; r == 0 && i < nheld; i++) {
		if (keep >= 0 && held[i].idx == keep)
			continue;
		r = dns_owner_release(ctx, w->name, held[i].label, u);
		changed++;
	}
	free(marker);
	free(resv);
	if (r == 0) {
		if (changed == 0)
			dns_owner_say(p, DNS_PLAN_NOOP, "%s is up to date", fq);
		else if (d.n == 1)
			dns_owner_say(p, DNS_PLAN_CHANGE, "%s %s %s %s", what,
			    fq, dns_update_type_name(d.type[0]), d.rdata[0]);
		else
			dns_owner_say(p, DNS_PLAN_CHANGE, "%s %s (%zu records)",
			    what, fq, d.n);
	}
	dns_owner_desired_free(&d);
	return r;
}
