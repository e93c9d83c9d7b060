/* dns-updater.c: the loop-driven DNS publisher: queue, zone view, batches
 * of prerequisite-guarded UPDATEs, verification, retries. */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "dns/dns-conf.h"
#include "dns/dns-name.h"
#include "dns/dns-pool.h"
#include "dns/dns-primary.h"
#include "dns/dns-queue.h"
#include "dns/dns-tsig.h"
#include "dns/dns-updater.h"
#include "dns/dns-updater-int.h"
#include "dns/dns-xfr.h"
#include "dns/dns-zone.h"

static void dns_updater_step(void *);

void
dns_updater_event(struct dns_updater *u, enum dns_updater_event ev,
    const char *name, const char *text)
{
	if (u->cb != NULL)
		u->cb(u->cbarg, ev, name, text);
}

void
dns_updater_kick(struct dns_updater *u)
{
	if (u->step_pending)
		return;
	u->step_pending = 1;
	loop_defer(u->loop, dns_updater_step, u);
}

uint64_t
dns_updater_backoff(struct dns_updater *u, int attempt)
{
	return dns_backoff_ms(attempt, DNS_UPD_BASE_MS, u->retry_max_ms,
	    (uint32_t)random());
}

/* The primary server. */

static void
dns_updater_on_primary(void *arg, int err, const char *text)
{
	struct dns_updater *u = arg;

	if (err != 0) {
		u->server_attempts++;
		u->server_not_before = loop_now(u->loop) +
		    dns_updater_backoff(u, u->server_attempts);
		log_error("dns: %s", text);
		dns_updater_event(u, DNS_UPD_RETRY, NULL, text);
	} else {
		log_verbose("dns: zone %s: primary server %s", u->zone,
		    dns_primary_text(u->primary));
	}
	dns_updater_kick(u);
}

/* The view. */

static void
dns_updater_on_xfr(void *arg, int err, struct dns_zone *z, const char *text)
{
	struct dns_updater *u = arg;
	char msg[512];

	u->xfr = NULL;
	if (err != 0) {
		u->view_attempts++;
		u->view_not_before = loop_now(u->loop) +
		    dns_updater_backoff(u, u->view_attempts);
		snprintf(msg, sizeof(msg), "cannot read zone %s from %s: %s",
		    u->zone, dns_primary_text(u->primary), text);
		log_error("dns: %s", msg);
		if (err == DG_ERR_TIMEOUT || err == DG_ERR_UNAVAIL ||
		    err == DG_ERR_CLOSED)
			dns_primary_unreachable(u->primary);
		dns_updater_event(u, DNS_UPD_VIEW_FAILED, NULL, msg);
		dns_updater_kick(u);
		return;
	}
	dns_zone_free(u->view);
	u->view = z;
	u->view_stale = 0;
	u->view_attempts = 0;
	u->stats.transfers++;
	log_debug("dns: zone %s read from %s: %zu records", u->zone,
	    dns_primary_text(u->primary), dns_zone_count(z));
	dns_updater_event(u, DNS_UPD_VIEW, NULL, NULL);
	dns_updater_kick(u);
}

static void
dns_updater_fetch_view(struct dns_updater *u)
{
	int r;

	if (u->xfr != NULL || loop_now(u->loop) < u->view_not_before)
		return;
	r = dns_xfr_start(u->loop, u->addr, u->addrlen,
	    u->zone, u->key, u->fudge, u->timeout_ms, dns_updater_on_xfr, u,
	    &u->xfr);
	if (r != 0)
		dns_updater_on_xfr(u, r, NULL, dg_strerror(r));
}

static void
dns_updater_arm(struct dns_updater *u, uint64_t when)
{
	uint64_t now = loop_now(u->loop);

	if (when == 0)
		return;
	if (loop_timer_pending(u->timer))
		loop_timer_stop(u->timer);
	loop_timer_start(u->timer, when > now ? when - now : 1);
}

static void
dns_updater_step(void *arg)
{
	struct dns_updater *u = arg;
	uint64_t now = loop_now(u->loop), wake;
	int r;

	if (u->dead) {
		free(u);
		return;
	}
	u->step_pending = 0;
	if (now < u->server_not_before) {
		dns_updater_arm(u, u->server_not_before);
		return;
	}
	if ((r = dns_primary_addr(u->primary, &u->addr, &u->addrlen)) != 0) {
		if (r != DG_ERR_AGAIN)
			dns_updater_on_primary(u, r, "bad DNSUpdateServer");
		return;
	}
	if (u->view == NULL || (u->view_stale && u->ninflight == 0)) {
		dns_updater_fetch_view(u);
		if (u->xfr == NULL)
			dns_updater_arm(u, u->view_not_before);
		return;
	}
	if (u->view_stale)
		return;		/* wait for the messages in flight */
	wake = dns_batch_pump(u);
	if (u->ninflight == 0 && dns_queue_len(u->q) == 0) {
		if (!u->idle_said) {
			u->idle_said = 1;
			dns_updater_event(u, DNS_UPD_IDLE, NULL, NULL);
		}
		return;
	}
	dns_updater_arm(u, wake);
}

static void
dns_updater_on_timer(void *arg)
{
	dns_updater_step(arg);
}

/* Public. */

int
dns_updater_new(struct loop *loop, const struct dns_config *cfg,
    const char *queue_dir, struct dns_updater **up, char *err, size_t errlen)
{
	struct dns_updater *u;
	char zone[DNS_NAME_MAX];
	int r;

	if ((r = dns_conf_zone(cfg, zone, sizeof(zone))) != 0) {
		snprintf(err, errlen, "DNSZone is not set");
		return r;
	}
	u = xcalloc(1, sizeof(*u));
	u->loop = loop;
	u->zone = xstrdup(zone);
	u->owner_id = xstrdup(cfg->owner_id != NULL ? cfg->owner_id :
	    "devgate");
	u->pool = dns_pool_dup(cfg->pool);
	u->ctx.zone = u->zone;
	u->ctx.owner_id = u->owner_id;
	u->ctx.ttl = (uint32_t)cfg->ttl;
	u->ctx.pool = u->pool;
	u->fudge = cfg->fudge;
	u->timeout_ms = cfg->timeout * 1000;
	u->batch = u->batch_cur = cfg->batch;
	u->delete_batch = u->delete_cur = cfg->delete_batch;
	u->inflight_max = DNS_UPD_INFLIGHT;
	u->max_message = (size_t)cfg->max_message;
	u->retry_max_ms = (uint64_t)cfg->retry_max * 1000;
	if ((r = dns_conf_load_key(cfg, &u->key, err, errlen)) != 0)
		goto fail;
	if (u->key == NULL) {
		snprintf(err, errlen, "TSIGKeyFile is not set: devgate only "
		    "sends signed updates");
		r = DG_ERR_INVAL;
		goto fail;
	}
	if ((r = dns_queue_open(queue_dir, (size_t)cfg->queue_limit, 0, &u->q,
	    err, errlen)) != 0)
		goto fail;
	if ((r = dns_primary_new(loop, cfg, dns_updater_on_primary, u,
	    &u->primary, err, errlen)) != 0)
		goto fail;
	u->timer = loop_timer_new(loop, dns_updater_on_timer, u);
	*up = u;
	dns_updater_kick(u);
	return 0;
fail:
	dns_updater_free(u);
	return r;
}

void
dns_updater_free(struct dns_updater *u)
{
	struct dns_batch *b;

	if (u == NULL)
		return;
	while ((b = u->batches) != NULL) {
		u->batches = b->next;
		dns_batch_free(b);
	}
	dns_xfr_cancel(u->xfr);
	dns_primary_free(u->primary);
	if (u->timer != NULL)
		loop_timer_free(u->timer);
	dns_queue_close(u->q);
	dns_zone_free(u->view);
	dns_tsig_key_free(u->key);
	dns_pool_free(u->pool);
	free(u->last_error);
	free(u->zone);
	free(u->owner_id);
	/* A deferred step may still be queued: it frees the rest. */
	if (u->step_pending) {
		u->dead = 1;
		return;
	}
	free(u);
}

void
dns_updater_set_cb(struct dns_updater *u, dns_updater_cb *cb, void *arg)
{
	u->cb = cb;
	u->cbarg = arg;
}

int
dns_updater_want(struct dns_updater *u, const struct dns_want *w)
{
	int r;

	if (dns_want_check(&u->ctx, w) != 0)
		return DG_ERR_INVAL;
	if ((r = dns_queue_put(u->q, w, NULL)) != 0)
		return r;
	u->idle_said = 0;
	dns_updater_kick(u);
	return 0;
}

int
dns_updater_queued(const struct dns_updater *u, const struct dns_want *w)
{
	struct dns_qentry *e = dns_queue_find(u->q, w->name);

	return e != NULL && dns_want_equal(&e->want, w);
}

void
dns_updater_refresh(struct dns_updater *u)
{
	u->view_stale = 1;
	u->view_not_before = 0;
	dns_updater_kick(u);
}

const struct dns_zone *
dns_updater_view(const struct dns_updater *u)
{
	return u->view;
}

const struct dns_owner_ctx *
dns_updater_ctx(const struct dns_updater *u)
{
	return &u->ctx;
}

size_t
dns_updater_pending(const struct dns_updater *u)
{
	return dns_queue_len(u->q);
}

const char *
dns_updater_server(const struct dns_updater *u)
{
	return dns_primary_text(u->primary);
}

void
dns_updater_stats(const struct dns_updater *u, struct dns_updater_stats *s)
{
	*s = u->stats;
}
