/* dns-ctl.c: the DNS controller: registry watch, reconcile on change and
 * periodically, publish through the persistent updater. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "dns/dns-conf.h"
#include "dns/dns-ctl.h"
#include "dns/dns-name.h"
#include "dns/dns-owner.h"
#include "dns/dns-registry.h"
#include "dns/dns-sync.h"
#include "dns/dns-updater.h"
#include "dns/dns-watch.h"
#include "dns/dns-wire.h"

struct dns_ctl {
	struct loop	*loop;		/* not owned */
	struct dns_watch *watch;
	struct dns_updater *upd;
	char		*gateway;	/* CNAME target */
	struct loop_timer *timer;	/* periodic reconcile */
	int		 interval_ms;
	int		 want_sync;	/* reconcile when the view is fresh */
	int		 view_failed;	/* the zone could not be read */
	dns_ctl_registry_cb *cb;
	void		*cbarg;
};

static void
dns_ctl_on_plan(void *arg, const struct dns_want *w, const struct dns_plan *p)
{
	struct dns_ctl *c = arg;
	int r;

	if (p->status != DNS_PLAN_CHANGE)
		return;
	/* The same state already waiting: nothing to add to the journal. */
	if (dns_updater_queued(c->upd, w))
		return;
	if ((r = dns_updater_want(c->upd, w)) != 0)
		log_error("dns: cannot queue %s: %s", w->name, dg_strerror(r));
}

/* Without a view of the zone (server unreachable) the wanted states of
 * the environments still go into the persistent queue; deletions wait
 * for a view, since only the zone tells which names devgate owns. */
static void
dns_ctl_queue_blind(struct dns_ctl *c, struct dns_registry *reg)
{
	const struct dns_owner_ctx *ctx = dns_updater_ctx(c->upd);
	const struct dns_env *e;
	struct dns_want w;
	char *target = xasprintf("%s.", c->gateway);
	size_t i, n = 0;

	for (i = 0; i < dns_registry_count(reg); i++) {
		e = dns_registry_at(reg, i);
		if (!e->valid)
			continue;
		dns_sync_env_want(ctx, e->name, target, &w);
		if (!dns_updater_queued(c->upd, &w) &&
		    dns_updater_want(c->upd, &w) == 0)
			n++;
		dns_want_clear(&w);
	}
	free(target);
	if (n > 0)
		log_info("dns: zone not readable yet: %zu environment names "
		    "queued", n);
}

static void
dns_ctl_sync(struct dns_ctl *c)
{
	struct dns_registry *reg = dns_watch_registry(c->watch);
	const struct dns_zone *view = dns_updater_view(c->upd);
	struct dns_sync_counts n;

	if (reg == NULL)
		return;
	if (view == NULL) {
		/* Only once reading the zone has failed, not while the
		 * first transfer is still on its way. */
		if (c->view_failed)
			dns_ctl_queue_blind(c, reg);
		c->want_sync = 1;
		return;
	}
	c->want_sync = 0;
	dns_sync_plan(dns_updater_ctx(c->upd), c->gateway, reg, view,
	    dns_ctl_on_plan, c, &n);
	if (n.add + n.change + n.del > 0 || n.conflict > 0)
		log_info("dns: reconcile %s: %zu environments; %zu to add, %zu "
		    "to change, %zu to delete, %zu left alone",
		    dns_registry_zone(reg), n.envs, n.add, n.change, n.del,
		    n.conflict);
	else
		log_verbose("dns: reconcile %s: %zu environments, all up to "
		    "date", dns_registry_zone(reg), n.envs);
}

static void
dns_ctl_on_registry(void *arg, struct dns_registry *reg)
{
	struct dns_ctl *c = arg;

	if (c->cb != NULL)
		c->cb(c->cbarg, reg);
	dns_ctl_sync(c);
}

static void
dns_ctl_on_update(void *arg, enum dns_updater_event ev, const char *name,
    const char *text)
{
	struct dns_ctl *c = arg;

	(void)name;
	(void)text;
	if (ev == DNS_UPD_VIEW_FAILED && !c->view_failed) {
		c->view_failed = 1;
		if (c->want_sync)
			dns_ctl_sync(c);	/* queue what is known */
	}
	if (ev == DNS_UPD_VIEW) {
		c->view_failed = 0;
		if (c->want_sync)
			dns_ctl_sync(c);
	}
}

/* Every DNSSyncInterval: read the zone again and reconcile, so that
 * records changed behind devgate's back are put right. */
static void
dns_ctl_tick(void *arg)
{
	struct dns_ctl *c = arg;

	c->want_sync = 1;
	dns_updater_refresh(c->upd);
	loop_timer_start(c->timer, (uint64_t)c->interval_ms);
}

int
dns_ctl_new(struct loop *loop, const struct dns_config *cfg,
    struct dns_ctl **cp, char *err, size_t errlen)
{
	struct dns_ctl *c;
	char gw[DNS_NAME_MAX];
	int r;

	c = xcalloc(1, sizeof(*c));
	c->loop = loop;
	c->interval_ms = cfg->sync_interval * 1000;
	if ((r = dns_conf_zone(cfg, gw, sizeof(gw))) != 0) {
		snprintf(err, errlen, "DNSZone is not set");
		free(c);
		return r;
	}
	if (cfg->gateway_name != NULL)
		dns_name_canon(cfg->gateway_name, gw, sizeof(gw));
	c->gateway = xstrdup(gw);
	if (cfg->state_dir == NULL) {
		snprintf(err, errlen, "DNSStateDirectory is none: the DNS "
		    "controller keeps its queue there");
		r = DG_ERR_INVAL;
		goto fail;
	}
	if ((r = dns_updater_new(loop, cfg, cfg->state_dir, &c->upd, err,
	    errlen)) != 0)
		goto fail;
	dns_updater_set_cb(c->upd, dns_ctl_on_update, c);
	if ((r = dns_watch_new(loop, cfg, dns_ctl_on_registry, c, &c->watch,
	    err, errlen)) != 0)
		goto fail;
	c->want_sync = 1;	/* once the first view is read */
	c->timer = loop_timer_new(loop, dns_ctl_tick, c);
	loop_timer_start(c->timer, (uint64_t)c->interval_ms);
	if (dns_updater_pending(c->upd) > 0)
		log_info("dns: %zu queued changes from before the restart",
		    dns_updater_pending(c->upd));
	*cp = c;
	return 0;
fail:
	dns_ctl_free(c);
	return r;
}

void
dns_ctl_free(struct dns_ctl *c)
{
	if (c == NULL)
		return;
	if (c->timer != NULL)
		loop_timer_free(c->timer);
	dns_watch_free(c->watch);
	dns_updater_free(c->upd);
	free(c->gateway);
	free(c);
}

void
dns_ctl_set_registry_cb(struct dns_ctl *c, dns_ctl_registry_cb *cb,
    void *arg)
{
	c->cb = cb;
	c->cbarg = arg;
}

int
dns_ctl_want(struct dns_ctl *c, const struct dns_want *w)
{
	return dns_updater_want(c->upd, w);
}

struct dns_registry *
dns_ctl_registry(const struct dns_ctl *c)
{
	return dns_watch_registry(c->watch);
}

size_t
dns_ctl_pending(const struct dns_ctl *c)
{
	return dns_updater_pending(c->upd);
}
