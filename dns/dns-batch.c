/* dns-batch.c: UPDATE messages for the updater: names planned against
 * the view into batches under the size caps, each sent signed afresh over
 * TCP, the reply verified and classified; a failed prerequisite splits
 * the batch, other failures back off. */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "dns/dns-name.h"
#include "dns/dns-primary.h"
#include "dns/dns-queue.h"
#include "dns/dns-reply.h"
#include "dns/dns-send.h"
#include "dns/dns-update.h"
#include "dns/dns-updater-int.h"
#include "dns/dns-wire.h"
#include "dns/dns-zone.h"

/* Batches. */

struct dns_batch_taken {
	struct dns_updater *u;
	struct dns_batch *cur;
};

/* Is this pool index claimed by a message in flight or being built? */
static int
dns_batch_taken(void *arg, uint64_t idx)
{
	struct dns_batch_taken *t = arg;
	struct dns_batch *b;
	size_t i;

	for (b = t->u->batches; b != NULL; b = b->next)
		for (i = 0; i < b->n; i++)
			if (b->items[i].claimed == (int64_t)idx)
				return 1;
	for (i = 0; t->cur != NULL && i < t->cur->n; i++)
		if (t->cur->items[i].claimed == (int64_t)idx)
			return 1;
	return 0;
}

static struct dns_batch *
dns_batch_new(struct dns_updater *u)
{
	struct dns_batch *b = xcalloc(1, sizeof(*b));

	b->u = u;
	b->msg = dns_update_new(u->zone);
	return b;
}

void
dns_batch_free(struct dns_batch *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++)
		b->items[i].e->inflight = 0;
	dns_send_cancel(b->send);
	dns_tsig_verify_clear(&b->v);
	dns_update_free(b->msg);
	free(b->items);
	free(b);
}

static void
dns_batch_unlink(struct dns_updater *u, struct dns_batch *b)
{
	struct dns_batch **bp;

	for (bp = &u->batches; *bp != NULL; bp = &(*bp)->next) {
		if (*bp == b) {
			*bp = b->next;
			u->ninflight--;
			return;
		}
	}
}

/* The entry is finished: drop it from the queue. */
static void
dns_batch_drop(struct dns_updater *u, struct dns_qentry *e, uint64_t seq)
{
	e->inflight = 0;
	dns_queue_done(u->q, e->want.name, seq);
}

/*
 * Plan one entry into b. Returns 1 when it joined the batch, 0 when it
 * was settled (or postponed) without a message, -1 when the batch is full.
 */
static int
dns_batch_add(struct dns_updater *u, struct dns_batch *b,
    struct dns_qentry *e)
{
	struct dns_batch_taken t = { u, b };
	struct dns_update_mark m;
	struct dns_plan p;
	struct dns_batch_item *it;
	int del = dns_want_absent(&e->want);
	char name[DNS_NAME_MAX + 8];

	if (b->n >= (size_t)u->batch_cur || (del &&
	    b->ndel >= (size_t)u->delete_cur))
		return -1;
	snprintf(name, sizeof(name), "%s", e->want.name);
	dns_update_mark(b->msg, &m);
	if (dns_owner_plan(&u->ctx, u->view, &e->want, dns_batch_taken, &t,
	    b->msg, &p) != 0)
		p.status = DNS_PLAN_INVALID;
	switch (p.status) {
	case DNS_PLAN_NOOP:
		dns_updater_event(u, DNS_UPD_UNCHANGED, name, p.text);
		dns_batch_drop(u, e, e->seq);
		return 0;
	case DNS_PLAN_CONFLICT:
		log_info("dns: %s", p.text);
		dns_updater_event(u, DNS_UPD_CONFLICT, name, p.text);
		dns_batch_drop(u, e, e->seq);
		return 0;
	case DNS_PLAN_INVALID:
		log_error("dns: dropped: %s", p.text);
		dns_updater_event(u, DNS_UPD_DROPPED, name, p.text);
		dns_batch_drop(u, e, e->seq);
		return 0;
	case DNS_PLAN_FULL:
		/* Keep it: an address may be freed later. */
		log_error("dns: %s; retrying later", p.text);
		e->attempts++;
		e->not_before = loop_now(u->loop) + u->retry_max_ms;
		dns_updater_event(u, DNS_UPD_FAILED, name, p.text);
		return 0;
	case DNS_PLAN_CHANGE:
		break;
	}
	/* Keep messages under the size cap (a lone change always goes). */
	if (b->n > 0 && dns_update_size(b->msg) > u->max_message) {
		dns_update_rollback(b->msg, &m);
		return -1;
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->items = xreallocarray(b->items, b->cap, sizeof(*b->items));
	}
	it = &b->items[b->n++];
	it->e = e;
	it->seq = e->seq;
	it->claimed = p.claimed;
	it->del = del;
	snprintf(it->text, sizeof(it->text), "%s", p.text);
	b->ndel += del ? 1 : 0;
	e->inflight = 1;
	return 1;
}

static void dns_batch_send(struct dns_updater *, struct dns_batch *);

/* Replan a subset of a failed batch's entries into a new message. */
static void
dns_batch_resend(struct dns_updater *u, struct dns_batch_item *items,
    size_t n)
{
	struct dns_batch *b = dns_batch_new(u);
	size_t i;

	for (i = 0; i < n; i++) {
		items[i].e->inflight = 0;
		if (items[i].e->seq != items[i].seq)
			continue;	/* changed meanwhile: next round */
		dns_batch_add(u, b, items[i].e);
	}
	if (b->n == 0) {
		dns_batch_free(b);
		return;
	}
	dns_batch_send(u, b);
}

static void
dns_batch_succeeded(struct dns_updater *u, struct dns_batch *b)
{
	size_t i;

	dns_zone_apply(u->view, dns_update_records(b->msg));
	u->stats.messages++;
	u->stats.records += dns_update_count(b->msg);
	for (i = 0; i < b->n; i++) {
		log_verbose("dns: %s", b->items[i].text);
		dns_updater_event(u, DNS_UPD_APPLIED, b->items[i].e->want.name,
		    b->items[i].text);
		b->items[i].e->attempts = 0;
		/* Drop unless a newer state arrived while in flight. */
		dns_batch_drop(u, b->items[i].e, b->items[i].seq);
	}
	b->n = 0;
	dns_queue_flush(u->q);
	u->server_attempts = 0;
	if (u->inflight_max < DNS_UPD_INFLIGHT)
		u->inflight_max++;
	if (u->batch_cur < u->batch)
		u->batch_cur = u->batch_cur * 2 < u->batch ? u->batch_cur * 2 :
		    u->batch;
	if (u->delete_cur < u->delete_batch)
		u->delete_cur = u->delete_cur * 2 < u->delete_batch ?
		    u->delete_cur * 2 : u->delete_batch;
	dns_primary_reachable(u->primary);
	if (u->last_error != NULL) {
		log_info("dns: updates to %s for zone %s work again",
		    dns_primary_text(u->primary), u->zone);
		free(u->last_error);
		u->last_error = NULL;
	}
}

/* Failed for a reason that concerns the server or the key: back off. */
static void
dns_batch_failed(struct dns_updater *u, struct dns_batch *b,
    enum dns_outcome o, int timeout, const char *text)
{
	char msg[600];
	uint64_t delay;

	u->stats.failures++;
	u->server_attempts++;
	delay = dns_updater_backoff(u, u->server_attempts);
	u->server_not_before = loop_now(u->loop) + delay;
	if (o == DNS_OUT_TRANSPORT)
		dns_primary_unreachable(u->primary);
	if (timeout) {
		u->inflight_max = 1;
		u->batch_cur = u->batch_cur / 2 > 0 ? u->batch_cur / 2 : 1;
		u->delete_cur = u->delete_cur / 2 > 0 ? u->delete_cur / 2 : 1;
	}
	snprintf(msg, sizeof(msg), "update to %s for zone %s failed "
	    "(%zu name%s in the message): %s; %zu queued, retrying in %llu s",
	    dns_primary_text(u->primary), u->zone, b->n, b->n == 1 ? "" : "s", text,
	    dns_queue_len(u->q), (unsigned long long)(delay + 999) / 1000);
	log_error("dns: %s", msg);
	free(u->last_error);
	u->last_error = xstrdup(text);
	dns_updater_event(u, dns_outcome_transient(o) ? DNS_UPD_RETRY :
	    DNS_UPD_FAILED, NULL, msg);
}

/* A prerequisite failed (or the message was refused as malformed): find
 * the names concerned by splitting the batch in halves. */
static void
dns_batch_split(struct dns_updater *u, struct dns_batch *b,
    enum dns_outcome o, const char *text)
{
	struct dns_batch_item *items, *it;
	size_t n = b->n, half = b->n / 2;

	if (o == DNS_OUT_PREREQ)
		u->stats.prereq++;
	if (n > 1) {
		items = xreallocarray(NULL, n, sizeof(*items));
		memcpy(items, b->items, n * sizeof(*items));
		b->n = 0;
		for (it = items; it < items + n; it++)
			it->e->inflight = 0;
		dns_batch_resend(u, items, half);
		dns_batch_resend(u, items + half, n - half);
		free(items);
		return;
	}
	it = &b->items[0];
	it->e->inflight = 0;
	if (o != DNS_OUT_PREREQ) {
		u->stats.failures++;
		log_error("dns: %s refused by %s: %s", it->text, dns_primary_text(u->primary),
		    text);
		it->e->attempts++;
		it->e->not_before = loop_now(u->loop) + dns_updater_backoff(u,
		    it->e->attempts);
		dns_updater_event(u, DNS_UPD_FAILED, it->e->want.name, text);
		return;
	}
	/* Our picture of the name was stale (another replica, an admin):
	 * read the zone again and plan anew; what the fresh view shows
	 * decides (a name that is not ours becomes a conflict there). A
	 * name that keeps losing (busy pool) waits a little longer each
	 * time, but is never given up. */
	u->view_stale = 1;
	if (++it->e->attempts >= DNS_UPD_MAX_CONFLICTS) {
		it->e->not_before = loop_now(u->loop) + dns_updater_backoff(u,
		    it->e->attempts - DNS_UPD_MAX_CONFLICTS);
		log_verbose("dns: %s: prerequisites failed %d times (%s); "
		    "trying again later", it->e->want.name, it->e->attempts,
		    text);
		return;
	}
	log_debug("dns: %s: %s; reading the zone again", it->e->want.name,
	    text);
}

static int
dns_batch_on_reply(void *arg, int err, const uint8_t *msg, size_t len)
{
	struct dns_batch *b = arg;
	struct dns_updater *u = b->u;
	struct dns_tsig_result tr;
	struct dns_wire_hdr h;
	enum dns_outcome o;
	char text[400];
	int tr_rc;

	b->send = NULL;
	dns_batch_unlink(u, b);
	if (err != 0) {
		snprintf(text, sizeof(text), "%s", dns_send_strerror(err));
		dns_batch_failed(u, b, DNS_OUT_TRANSPORT,
		    err == DG_ERR_TIMEOUT, text);
	} else if (dns_wire_header(msg, len, &h) != 0) {
		dns_batch_failed(u, b, DNS_OUT_FORMERR, 0, "malformed reply");
	} else {
		tr_rc = dns_tsig_check(&b->v, msg, len, time(NULL), &tr);
		o = dns_reply_classify(h.rcode, tr_rc, &tr, text,
		    sizeof(text));
		switch (o) {
		case DNS_OUT_OK:
			dns_batch_succeeded(u, b);
			break;
		case DNS_OUT_PREREQ:
		case DNS_OUT_FORMERR:
		case DNS_OUT_NOTZONE:
			dns_batch_split(u, b, o, text);
			break;
		default:
			dns_batch_failed(u, b, o, 0, text);
			break;
		}
	}
	dns_batch_free(b);
	dns_updater_kick(u);
	return 0;
}

static void
dns_batch_send(struct dns_updater *u, struct dns_batch *b)
{
	ldns_pkt *pkt = NULL;
	uint8_t *wire = NULL;
	size_t len;
	int r;

	/* A fresh packet and signature for every attempt. */
	if ((r = dns_update_packet(b->msg, &pkt)) == 0)
		r = dns_tsig_sign(u->key, pkt, u->fudge, &wire, &len, &b->v);
	ldns_pkt_free(pkt);
	if (r == 0)
		r = dns_send_start(u->loop, u->addr, u->addrlen, DNS_SEND_TCP, wire, len, u->timeout_ms,
		    dns_batch_on_reply, b, &b->send);
	free(wire);
	if (r != 0) {
		dns_batch_failed(u, b, DNS_OUT_TRANSPORT, 0, dg_strerror(r));
		dns_batch_free(b);
		return;
	}
	b->next = u->batches;
	u->batches = b;
	u->ninflight++;
	u->idle_said = 0;
}

/* Build and send batches while there is room; returns the earliest time
 * a postponed entry becomes ready (0: none). */
uint64_t
dns_batch_pump(struct dns_updater *u)
{
	struct dns_qentry *e, *next;
	struct dns_batch *b;
	uint64_t now = loop_now(u->loop), wake = 0;
	int r;

	while (u->ninflight < (size_t)u->inflight_max) {
		b = dns_batch_new(u);
		for (e = dns_queue_first(u->q); e != NULL; e = next) {
			next = dns_queue_next(e);
			if (e->inflight)
				continue;
			if (e->not_before > now) {
				if (wake == 0 || e->not_before < wake)
					wake = e->not_before;
				continue;
			}
			if ((r = dns_batch_add(u, b, e)) < 0)
				break;
		}
		if (b->n == 0) {
			dns_batch_free(b);
			break;
		}
		dns_batch_send(u, b);
		if (u->server_not_before > now)
			break;	/* sending failed at once */
	}
	dns_queue_flush(u->q);
	return wake;
}

