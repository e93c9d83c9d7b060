/* dns-sync.c: the desired state of the zone from the registry and the
 * names devgate owns, planned against the zone as it is. */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "dns/dns-name.h"
#include "dns/dns-owner.h"
#include "dns/dns-registry.h"
#include "dns/dns-sync.h"
#include "dns/dns-update.h"
#include "dns/dns-wire.h"
#include "dns/dns-zone.h"

struct dns_sync_claims {
	uint64_t	*v;
	size_t		 n, cap;
};

static int
dns_sync_taken(void *arg, uint64_t idx)
{
	struct dns_sync_claims *c = arg;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->v[i] == idx)
			return 1;
	return 0;
}

static void
dns_sync_one(const struct dns_owner_ctx *ctx, const struct dns_zone *view,
    const struct dns_want *w, struct dns_sync_claims *claims,
    dns_sync_fn *fn, void *arg, struct dns_sync_counts *c)
{
	struct dns_update *u = dns_update_new(ctx->zone);
	struct dns_plan p;
	enum dns_owner_state st = dns_owner_state(ctx, view, w->name);

	if (dns_owner_plan(ctx, view, w, dns_sync_taken, claims, u, &p) != 0) {
		p.status = DNS_PLAN_INVALID;
		snprintf(p.text, sizeof(p.text), "%s: cannot be planned",
		    w->name);
	}
	switch (p.status) {
	case DNS_PLAN_NOOP:
		c->same++;
		break;
	case DNS_PLAN_CHANGE:
		if (dns_want_absent(w))
			c->del++;
		else if (st == DNS_OWNER_FREE)
			c->add++;
		else
			c->change++;
		if (p.claimed >= 0) {
			if (claims->n == claims->cap) {
				claims->cap = claims->cap ? claims->cap * 2 :
				    64;
				claims->v = xreallocarray(claims->v,
				    claims->cap, sizeof(*claims->v));
			}
			claims->v[claims->n++] = (uint64_t)p.claimed;
		}
		break;
	case DNS_PLAN_CONFLICT:
		c->conflict++;
		break;
	case DNS_PLAN_FULL:
	case DNS_PLAN_INVALID:
		c->failed++;
		break;
	}
	fn(arg, w, &p);
	dns_update_free(u);
}

/* Does name (relative) have an A/AAAA record whose reservation label is
 * the one of resv ("LABEL._addr")? */
static int
dns_sync_points(const struct dns_owner_ctx *ctx, const struct dns_zone *view,
    const char *resv, const char *name)
{
	char fq[DNS_NAME_MAX + 8], label[48], *rd;
	const struct dns_znode *n;
	uint8_t a[16];
	size_t i, k, len = strcspn(resv, ".");
	uint16_t t;
	int hit = 0;

	snprintf(fq, sizeof(fq), "%s.%s", name, ctx->zone);
	n = dns_zone_find(view, fq);
	for (i = 0; n != NULL && i < n->n && !hit; i++) {
		t = ldns_rr_get_type(n->rec[i].rr);
		if (t != DNS_TYPE_A && t != DNS_TYPE_AAAA)
			continue;
		rd = dns_rr_rdata_text(n->rec[i].rr);
		if (t == DNS_TYPE_A && inet_pton(AF_INET, rd, a) == 1)
			snprintf(label, sizeof(label), "%u-%u-%u-%u", a[0],
			    a[1], a[2], a[3]);
		else if (t == DNS_TYPE_AAAA && inet_pton(AF_INET6, rd, a) == 1)
			for (k = 0; k < 16; k++)
				snprintf(label + 2 * k, 3, "%02x", a[k]);
		else
			label[0] = '\0';
		free(rd);
		hit = strlen(label) == len && strncmp(label, resv, len) == 0;
	}
	return hit;
}

void
dns_sync_env_want(const struct dns_owner_ctx *ctx, const char *name,
    const char *target, struct dns_want *w)
{
	memset(w, 0, sizeof(*w));
	w->name = xstrdup(name);
	if (ctx->pool != NULL)
		w->pool = 1;
	else
		dns_want_add(w, DNS_TYPE_CNAME, target);
}

void
dns_sync_plan(const struct dns_owner_ctx *ctx, const char *gateway,
    const struct dns_registry *reg, const struct dns_zone *view,
    dns_sync_fn *fn, void *arg, struct dns_sync_counts *c)
{
	struct dns_sync_claims claims = { NULL, 0, 0 };
	const struct dns_znode *n;
	const struct dns_env *e;
	struct dns_want w;
	char rel[DNS_NAME_MAX], owned[DNS_NAME_MAX], *target;
	size_t i, it = 0;
	uint64_t idx;
	int rl;

	memset(c, 0, sizeof(*c));
	target = xasprintf("%s.", gateway);
	for (i = 0; i < dns_registry_count(reg); i++) {
		e = dns_registry_at(reg, i);
		if (!e->valid) {
			c->broken++;
			continue;
		}
		c->envs++;
		dns_sync_env_want(ctx, e->name, target, &w);
		dns_sync_one(ctx, view, &w, &claims, fn, arg, c);
		dns_want_clear(&w);
	}
	/* Names devgate owns whose environment is gone. */
	while ((n = dns_zone_next(view, &it)) != NULL) {
		if ((rl = dns_name_rel(n->name, ctx->zone)) <= 0)
			continue;
		snprintf(rel, sizeof(rel), "%.*s", rl, n->name);
		if (!dns_owner_marked(ctx, view, rel, owned, sizeof(owned)) ||
		    strchr(owned, '.') != NULL ||
		    dns_registry_find(reg, owned) != NULL)
			continue;
		memset(&w, 0, sizeof(w));
		w.name = xstrdup(owned);
		dns_sync_one(ctx, view, &w, &claims, fn, arg, c);
		dns_want_clear(&w);
	}
	/* Reservations of ours that their name no longer points at. */
	it = 0;
	while ((n = dns_zone_next(view, &it)) != NULL) {
		if ((rl = dns_name_rel(n->name, ctx->zone)) <= 0)
			continue;
		snprintf(rel, sizeof(rel), "%.*s", rl, n->name);
		if (!dns_owner_reservation(ctx, view, rel, &idx, owned,
		    sizeof(owned)) || dns_sync_points(ctx, view, rel, owned))
			continue;
		memset(&w, 0, sizeof(w));
		w.name = xstrdup(rel);
		dns_sync_one(ctx, view, &w, &claims, fn, arg, c);
		dns_want_clear(&w);
	}
	free(claims.v);
	free(target);
}
