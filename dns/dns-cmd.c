/* dns-cmd.c: "devgate dns sync|check|queue|run": reconcile the zone with
 * the environments (printing each change), check the registry, show the
 * persistent queue, run the DNS controller in the foreground. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "dns/dns-cmd.h"
#include "dns/dns-conf.h"
#include "dns/dns-ctl.h"
#include "dns/dns-name.h"
#include "dns/dns-queue.h"
#include "dns/dns-registry.h"
#include "dns/dns-sync.h"
#include "dns/dns-update.h"
#include "dns/dns-updater.h"
#include "dns/dns-wire.h"
#include "dns/dns-zone.h"

struct dns_cmd {
	const struct dns_config *cfg;
	struct loop	*loop;
	struct dns_updater *upd;
	char		 zone[DNS_NAME_MAX];
	int		 dry_run;
	int		 quiet;
	int		 phase;		/* 0 reading, 1 sending, 2 done */
	int		 failed;
	size_t		 applied, settled, queued;
	uint64_t	 progress_ms;	/* when something was last applied */
	uint64_t	 patience_ms;	/* give up after this long without */
	struct dns_sync_counts counts;
};

static void
dns_cmd_print_problems(const struct dns_registry *reg, const char *where)
{
	const struct dns_registry_problem *p;
	size_t i;

	for (i = 0; i < dns_registry_nproblems(reg); i++) {
		p = dns_registry_problem_at(reg, i);
		if (p->line > 0)
			fprintf(stderr, "devgate dns: %s:%d: %s: %s\n", where,
			    p->line, p->name, p->text);
		else
			fprintf(stderr, "devgate dns: %s: %s: %s\n", where,
			    p->name, p->text);
	}
}

/* The registry: from the configured file, or from the zone as read. */
static int
dns_cmd_registry(struct dns_cmd *c, const struct dns_zone *view,
    struct dns_registry **regp)
{
	struct dns_zone *z = NULL;
	const char *path;
	char err[512];
	int r;

	switch (dns_conf_registry(c->cfg, &path)) {
	case DNS_REGISTRY_FILE:
		if ((r = dns_zone_load_file(path, c->zone, &z, err,
		    sizeof(err))) != 0) {
			fprintf(stderr, "devgate dns: %s\n", err);
			return r;
		}
		r = dns_registry_build(z, view, 0, regp, err, sizeof(err));
		if (r == 0)
			dns_cmd_print_problems(*regp, path);
		dns_zone_free(z);
		return r;
	case DNS_REGISTRY_AXFR:
		r = dns_registry_build(view, NULL, 0, regp, err, sizeof(err));
		if (r == 0)
			dns_cmd_print_problems(*regp, c->zone);
		return r;
	default:
		fprintf(stderr, "devgate dns: DNSRegistry is none: there are no "
		    "environments to reconcile the zone with\n");
		return DG_ERR_INVAL;
	}
}

static void
dns_cmd_on_plan(void *arg, const struct dns_want *w, const struct dns_plan *p)
{
	struct dns_cmd *c = arg;

	switch (p->status) {
	case DNS_PLAN_CHANGE:
		if (c->dry_run) {
			printf("would %s\n", p->text);
			break;
		}
		if (dns_updater_want(c->upd, w) != 0) {
			fprintf(stderr, "devgate dns: cannot queue %s\n",
			    w->name);
			c->failed = 1;
			break;
		}
		c->queued++;
		break;
	case DNS_PLAN_CONFLICT:
		printf("left alone: %s\n", p->text);
		break;
	case DNS_PLAN_FULL:
	case DNS_PLAN_INVALID:
		fprintf(stderr, "devgate dns: %s\n", p->text);
		c->failed = 1;
		break;
	case DNS_PLAN_NOOP:
		if (!c->quiet && log_enabled(LOG_L_VERBOSE))
			printf("up to date: %s\n", w->name);
		break;
	}
}

static void
dns_cmd_plan(struct dns_cmd *c)
{
	struct dns_registry *reg = NULL;
	const struct dns_zone *view = dns_updater_view(c->upd);
	char gw[DNS_NAME_MAX];

	if (dns_cmd_registry(c, view, &reg) != 0) {
		c->failed = 1;
		loop_stop(c->loop);
		return;
	}
	if (c->cfg->gateway_name == NULL ||
	    dns_name_canon(c->cfg->gateway_name, gw, sizeof(gw)) != 0)
		snprintf(gw, sizeof(gw), "%s", c->zone);
	dns_sync_plan(dns_updater_ctx(c->upd), gw, reg, view, dns_cmd_on_plan,
	    c, &c->counts);
	dns_registry_unref(reg);
	if (c->dry_run || c->queued == 0 || c->failed) {
		c->phase = 2;
		loop_stop(c->loop);
		return;
	}
	c->phase = 1;
}

static void
dns_cmd_on_event(void *arg, enum dns_updater_event ev, const char *name,
    const char *text)
{
	struct dns_cmd *c = arg;

	switch (ev) {
	case DNS_UPD_VIEW:
		if (c->phase == 0)
			dns_cmd_plan(c);
		break;
	case DNS_UPD_RETRY:
		/* A passing failure: the updater retries with backoff (and
		 * smaller messages after a timeout); give up when nothing
		 * has been applied for a while. */
		fprintf(stderr, "devgate dns: %s%s%s\n", name ? name : "",
		    name ? ": " : "", text);
		if (loop_clock_ms() - c->progress_ms < c->patience_ms)
			break;
		/* FALLTHROUGH */
	case DNS_UPD_VIEW_FAILED:
	case DNS_UPD_FAILED:
		if (ev != DNS_UPD_RETRY)
			fprintf(stderr, "devgate dns: %s%s%s\n", name ? name :
			    "", name ? ": " : "", text);
		c->failed = 1;
		loop_stop(c->loop);
		break;
	case DNS_UPD_APPLIED:
		printf("%s\n", text);
		c->applied++;
		c->progress_ms = loop_clock_ms();
		break;
	case DNS_UPD_CONFLICT:
		printf("left alone: %s\n", text);
		c->settled++;
		break;
	case DNS_UPD_DROPPED:
		fprintf(stderr, "devgate dns: %s\n", text);
		c->failed = 1;
		break;
	case DNS_UPD_UNCHANGED:
		/* Done meanwhile, e.g. by another replica. */
		c->settled++;
		break;
	case DNS_UPD_IDLE:
		if (c->phase == 1) {
			c->phase = 2;
			loop_stop(c->loop);
		}
		break;
	}
}

static int
dns_cmd_sync(const struct dns_config *cfg, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 }
	};
	struct dns_cmd c;
	struct dns_updater_stats st;
	char err[512];
	uint64_t t0;
	int ch;

	memset(&c, 0, sizeof(c));
	c.cfg = cfg;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "nq", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			c.dry_run = 1;
			break;
		case 'q':
			c.quiet = 1;
			break;
		default:
			fprintf(stderr, "usage: devgate dns sync [--dry-run] "
			    "[--quiet]\n");
			return 2;
		}
	}
	if (dns_conf_zone(cfg, c.zone, sizeof(c.zone)) != 0) {
		fprintf(stderr, "devgate dns: DNSZone is not set\n");
		return 1;
	}
	c.loop = loop_new();
	/* One-shot: a queue in memory; the daemon keeps its own. */
	if (dns_updater_new(c.loop, cfg, NULL, &c.upd, err, sizeof(err)) != 0) {
		fprintf(stderr, "devgate dns: %s\n", err);
		loop_free(c.loop);
		return 1;
	}
	dns_updater_set_cb(c.upd, dns_cmd_on_event, &c);
	t0 = c.progress_ms = loop_clock_ms();
	c.patience_ms = (uint64_t)cfg->timeout * 4000;
	if (c.patience_ms < 60000)
		c.patience_ms = 60000;
	loop_run(c.loop);
	dns_updater_stats(c.upd, &st);
	if (!c.quiet)
		printf("devgate dns: zone %s at %s: %zu environments; %s%zu "
		    "added, %zu changed, %zu deleted, %zu up to date, %zu left "
		    "alone, %zu broken records; %lu messages (%lu with failed "
		    "prerequisites) in %llu ms\n",
		    c.zone, dns_updater_server(c.upd), c.counts.envs,
		    c.dry_run ? "would be " : "", c.counts.add,
		    c.counts.change, c.counts.del, c.counts.same,
		    c.counts.conflict, c.counts.broken, st.messages, st.prereq,
		    (unsigned long long)(loop_clock_ms() - t0));
	if (!c.dry_run && !c.failed && c.applied + c.settled < c.queued) {
		fprintf(stderr, "devgate dns: %zu of %zu changes applied\n",
		    c.applied + c.settled, c.queued);
		c.failed = 1;
	}
	dns_updater_free(c.upd);
	loop_run_once(c.loop, 0);
	loop_free(c.loop);
	return c.failed ? 1 : 0;
}

static int
dns_cmd_check(const struct dns_config *cfg, int argc, char **argv)
{
	struct dns_zone *z = NULL;
	struct dns_registry *reg = NULL;
	char zone[DNS_NAME_MAX], err[512];
	const char *path = argc > 1 ? argv[1] : NULL;

	if (dns_conf_zone(cfg, zone, sizeof(zone)) != 0) {
		fprintf(stderr, "devgate dns: DNSZone is not set\n");
		return 1;
	}
	if (path == NULL && dns_conf_registry(cfg, &path) !=
	    DNS_REGISTRY_FILE) {
		fprintf(stderr, "usage: devgate dns check ZONEFILE (DNSRegistry "
		    "is not a file)\n");
		return 2;
	}
	if (dns_registry_check_file(path, zone, err, sizeof(err)) != 0) {
		fprintf(stderr, "devgate dns: %s\n", err);
		return 1;
	}
	if (dns_zone_load_file(path, zone, &z, err, sizeof(err)) == 0 &&
	    dns_registry_build(z, NULL, 1, &reg, err, sizeof(err)) == 0)
		printf("%s: %zu profiles, %zu environments: ok\n", path,
		    dns_registry_nprofiles(reg), dns_registry_count(reg));
	dns_registry_unref(reg);
	dns_zone_free(z);
	return 0;
}

static int
dns_cmd_queue(const struct dns_config *cfg)
{
	struct dns_queue *q = NULL;
	struct dns_qentry *e;
	char err[512];
	size_t i;

	if (cfg->state_dir == NULL) {
		fprintf(stderr, "devgate dns: DNSStateDirectory is none\n");
		return 1;
	}
	if (dns_queue_open(cfg->state_dir, (size_t)cfg->queue_limit,
	    DNS_QUEUE_RDONLY, &q, err, sizeof(err)) != 0) {
		fprintf(stderr, "devgate dns: %s\n", err);
		return 1;
	}
	for (e = dns_queue_first(q); e != NULL; e = dns_queue_next(e)) {
		printf("%s", e->want.name);
		if (dns_want_absent(&e->want))
			printf(" absent");
		if (e->want.pool)
			printf(" pool-address");
		for (i = 0; i < e->want.nrr; i++)
			printf(" %s %s", dns_update_type_name(
			    e->want.rr[i].type), e->want.rr[i].rdata);
		printf("\n");
	}
	printf("%zu queued\n", dns_queue_len(q));
	dns_queue_close(q);
	return 0;
}

static void
dns_cmd_stop(void *arg)
{
	loop_stop(arg);
}

static int
dns_cmd_run(const struct dns_config *cfg)
{
	struct loop *loop = loop_new();
	struct dns_ctl *ctl = NULL;
	char err[512];
	int r;

	if (dns_ctl_new(loop, cfg, &ctl, err, sizeof(err)) != 0) {
		fprintf(stderr, "devgate dns: %s\n", err);
		loop_free(loop);
		return 1;
	}
	loop_signal(loop, SIGTERM, dns_cmd_stop, loop);
	loop_signal(loop, SIGINT, dns_cmd_stop, loop);
	log_info("dns: controller for zone %s running", cfg->zone);
	r = loop_run(loop);
	dns_ctl_free(ctl);
	loop_run_once(loop, 0);
	loop_signal_reset(loop);
	loop_free(loop);
	return r == 0 ? 0 : 1;
}

int
dns_cmd_main(const struct dns_config *cfg, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "sync") == 0)
		return dns_cmd_sync(cfg, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return dns_cmd_check(cfg, argc - 1, argv + 1);
	if (argc == 2 && strcmp(argv[1], "queue") == 0)
		return dns_cmd_queue(cfg);
	if (argc == 2 && strcmp(argv[1], "run") == 0)
		return dns_cmd_run(cfg);
	fprintf(stderr, "usage: devgate dns sync [--dry-run] [--quiet]\n"
	    "       devgate dns check [ZONEFILE]\n"
	    "       devgate dns queue\n"
	    "       devgate dns run\n");
	return 2;
}
