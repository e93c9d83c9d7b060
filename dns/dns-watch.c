/* dns-watch.c: keeps the registry current: zone file changes, SOA serial
 * polling and signed AXFR of the primary, rebuilt snapshots. */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "dns/dns-conf.h"
#include "dns/dns-name.h"
#include "dns/dns-primary.h"
#include "dns/dns-registry.h"
#include "dns/dns-tsig.h"
#include "dns/dns-watch.h"
#include "dns/dns-xfr.h"
#include "dns/dns-zone.h"

struct dns_watch {
	struct loop	*loop;		/* not owned */
	char		*zone;
	enum dns_registry_kind kind;
	char		*path;		/* the zone file, if any */
	struct stat	 st;		/* of the file when last read */
	struct dns_zone	*file;		/* the file's records */
	struct dns_primary *primary;	/* NULL: no live zone */
	struct dns_tsig_key *key;
	int		 fudge, timeout_ms, refresh_ms;
	struct dns_xfr	*op;		/* SOA query or transfer */
	uint32_t	 serial;	/* of live */
	struct dns_zone	*live;		/* the primary's zone */
	int		 failing;	/* the last poll failed */
	struct dns_registry *reg;
	struct loop_timer *timer;
	dns_watch_cb	*cb;
	void		*arg;
	struct dns_watch_wait *waits;	/* dns_watch_check callers */
	int		 again;		/* check again when op ends */
};

/* One caller of dns_watch_check, told when a check that began after its
 * call has ended. */
struct dns_watch_wait {
	struct dns_watch	*w;
	dns_watch_done_cb	*cb;
	void			*arg;
	struct dns_watch_wait	*next;
};

static void dns_watch_tick(void *);

static void
dns_watch_rebuild(struct dns_watch *w)
{
	const struct dns_registry_problem *p;
	struct dns_registry *reg;
	const struct dns_zone *schema, *addrs;
	char err[512];
	size_t i;

	schema = w->file != NULL ? w->file : w->live;
	addrs = w->live != NULL ? w->live : w->file;
	if (schema == NULL)
		return;
	if (dns_registry_build(schema, addrs, 0, &reg, err, sizeof(err)) != 0) {
		log_error("dns: registry: %s", err);
		return;
	}
	for (i = 0; i < dns_registry_nproblems(reg) && i < 50; i++) {
		p = dns_registry_problem_at(reg, i);
		if (p->line > 0)
			log_error("dns: registry %s:%d: %s: %s", w->path,
			    p->line, p->name, p->text);
		else
			log_error("dns: registry %s: %s: %s", w->zone, p->name,
			    p->text);
	}
	log_verbose("dns: registry of %s: %zu profiles, %zu environments "
	    "(serial %u)", w->zone, dns_registry_nprofiles(reg),
	    dns_registry_count(reg), dns_registry_serial(reg));
	dns_registry_unref(w->reg);
	w->reg = reg;
	w->cb(w->arg, reg);
}

/* The file: re-read when it changed; keep the last good one on errors. */
static int
dns_watch_file(struct dns_watch *w)
{
	struct dns_zone *z;
	struct stat st;
	char err[512];

	if (stat(w->path, &st) != 0) {
		if (!w->failing)
			log_error("dns: registry %s: %m", w->path);
		w->failing = 1;
		return 0;
	}
	if (w->file != NULL && st.st_mtim.tv_sec == w->st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == w->st.st_mtim.tv_nsec &&
	    st.st_size == w->st.st_size && st.st_ino == w->st.st_ino)
		return 0;
	w->st = st;
	if (dns_zone_load_file(w->path, w->zone, &z, err, sizeof(err)) != 0) {
		log_error("dns: registry not reloaded: %s", err);
		return 0;
	}
	dns_zone_free(w->file);
	w->file = z;
	return 1;
}

/* Every check ends here: waiters are told, or a check asked for while
 * this one ran starts now. */
static void
dns_watch_arm(struct dns_watch *w)
{
	struct dns_watch_wait *wt;

	if (w->again) {
		w->again = 0;
		loop_timer_start(w->timer, 0);
		return;
	}
	loop_timer_start(w->timer, (uint64_t)w->refresh_ms);
	while ((wt = w->waits) != NULL) {
		w->waits = wt->next;
		wt->cb(wt->arg);
		free(wt);
	}
}

static void
dns_watch_failed(struct dns_watch *w, const char *text)
{
	if (!w->failing)
		log_error("dns: registry: %s", text);
	w->failing = 1;
	dns_primary_unreachable(w->primary);
	dns_watch_arm(w);
}

static void
dns_watch_on_xfr(void *arg, int err, struct dns_zone *z, const char *text)
{
	struct dns_watch *w = arg;

	w->op = NULL;
	if (err != 0) {
		dns_watch_failed(w, text);
		return;
	}
	if (w->failing)
		log_info("dns: registry: zone %s readable again", w->zone);
	w->failing = 0;
	dns_primary_reachable(w->primary);
	dns_zone_free(w->live);
	w->live = z;
	dns_zone_serial(z, &w->serial);
	dns_watch_rebuild(w);
	dns_watch_arm(w);
}

static void
dns_watch_on_soa(void *arg, int err, uint32_t serial, const char *text)
{
	struct dns_watch *w = arg;
	const struct sockaddr *sa;
	socklen_t salen;
	int r;

	w->op = NULL;
	if (err != 0) {
		dns_watch_failed(w, text);
		return;
	}
	if (w->live != NULL && serial == w->serial) {
		if (w->failing)
			log_info("dns: registry: zone %s readable again",
			    w->zone);
		w->failing = 0;
		dns_watch_arm(w);
		return;
	}
	if (dns_primary_addr(w->primary, &sa, &salen) != 0 ||
	    (r = dns_xfr_start(w->loop, sa, salen, w->zone, w->key, w->fudge,
	    w->timeout_ms, dns_watch_on_xfr, w, &w->op)) != 0)
		dns_watch_failed(w, "cannot start the zone transfer");
}

static void
dns_watch_on_primary(void *arg, int err, const char *text)
{
	struct dns_watch *w = arg;

	if (err != 0) {
		dns_watch_failed(w, text);
		return;
	}
	dns_watch_tick(w);
}

static void
dns_watch_tick(void *arg)
{
	struct dns_watch *w = arg;
	const struct sockaddr *sa;
	socklen_t salen;
	int r;

	if (w->op != NULL)
		return;
	if (w->path != NULL && dns_watch_file(w))
		dns_watch_rebuild(w);
	if (w->primary == NULL) {
		dns_watch_arm(w);
		return;
	}
	if ((r = dns_primary_addr(w->primary, &sa, &salen)) != 0) {
		if (r != DG_ERR_AGAIN)
			dns_watch_failed(w, "bad DNSUpdateServer");
		return;		/* dns_watch_on_primary continues */
	}
	if ((r = dns_soa_start(w->loop, sa, salen, w->zone, w->timeout_ms,
	    dns_watch_on_soa, w, &w->op)) != 0)
		dns_watch_failed(w, "cannot query the SOA");
}

int
dns_watch_new(struct loop *loop, const struct dns_config *cfg,
    dns_watch_cb *cb, void *arg, struct dns_watch **wp, char *err,
    size_t errlen)
{
	struct dns_watch *w;
	char zone[DNS_NAME_MAX];
	const char *path;
	int r;

	if ((r = dns_conf_zone(cfg, zone, sizeof(zone))) != 0) {
		snprintf(err, errlen, "DNSZone is not set");
		return r;
	}
	w = xcalloc(1, sizeof(*w));
	w->loop = loop;
	w->cb = cb;
	w->arg = arg;
	w->zone = xstrdup(zone);
	w->kind = dns_conf_registry(cfg, &path);
	w->fudge = cfg->fudge;
	w->timeout_ms = cfg->timeout * 1000;
	w->refresh_ms = cfg->refresh * 1000;
	if (path != NULL)
		w->path = xstrdup(path);
	w->timer = loop_timer_new(loop, dns_watch_tick, w);
	if (w->kind == DNS_REGISTRY_NONE) {
		*wp = w;
		return 0;
	}
	if ((r = dns_conf_load_key(cfg, &w->key, err, errlen)) != 0)
		goto fail;
	if (w->kind == DNS_REGISTRY_AXFR && w->key == NULL) {
		snprintf(err, errlen, "DNSRegistry axfr needs TSIGKeyFile");
		r = DG_ERR_INVAL;
		goto fail;
	}
	if (w->key != NULL && (r = dns_primary_new(loop, cfg,
	    dns_watch_on_primary, w, &w->primary, err, errlen)) != 0)
		goto fail;
	*wp = w;
	loop_timer_start(w->timer, 0);
	return 0;
fail:
	dns_watch_free(w);
	return r;
}

void
dns_watch_free(struct dns_watch *w)
{
	struct dns_watch_wait *wt;

	if (w == NULL)
		return;
	while ((wt = w->waits) != NULL) {
		w->waits = wt->next;
		free(wt);
	}
	dns_xfr_cancel(w->op);
	dns_primary_free(w->primary);
	loop_timer_free(w->timer);
	dns_tsig_key_free(w->key);
	dns_zone_free(w->file);
	dns_zone_free(w->live);
	dns_registry_unref(w->reg);
	free(w->path);
	free(w->zone);
	free(w);
}

struct dns_registry *
dns_watch_registry(const struct dns_watch *w)
{
	return w->reg;
}

void
dns_watch_poll(struct dns_watch *w)
{
	if (w->op == NULL && w->kind != DNS_REGISTRY_NONE) {
		loop_timer_stop(w->timer);
		loop_timer_start(w->timer, 0);
	}
}

int
dns_watch_check(struct dns_watch *w, dns_watch_done_cb *cb, void *arg,
    struct dns_watch_wait **wtp)
{
	struct dns_watch_wait *wt;

	if (w->kind == DNS_REGISTRY_NONE)
		return DG_ERR_NOTSUP;
	wt = xcalloc(1, sizeof(*wt));
	wt->w = w;
	wt->cb = cb;
	wt->arg = arg;
	wt->next = w->waits;
	w->waits = wt;
	if (w->op != NULL)
		w->again = 1;	/* it may have asked before the change */
	else
		dns_watch_poll(w);
	*wtp = wt;
	return 0;
}

void
dns_watch_check_cancel(struct dns_watch_wait *wt)
{
	struct dns_watch_wait **pp;

	if (wt == NULL)
		return;
	for (pp = &wt->w->waits; *pp != NULL; pp = &(*pp)->next)
		if (*pp == wt) {
			*pp = wt->next;
			break;
		}
	free(wt);
}
