/* envdir-dns.c: the environment directory's DNS source: lookups answered
 * from the current registry snapshot, which dns-watch replaces when the
 * zone (or the registry file) changes. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xmalloc.h"
#include "dns/dns-conf.h"
#include "dns/dns-pool.h"
#include "dns/dns-registry.h"
#include "dns/dns-watch.h"
#include "gateway/envdir-dns.h"
#include "gateway/envdir.h"

/*
 * Entries borrow strings from a snapshot; the previous snapshot is kept
 * too, so that an entry taken just before a refresh stays valid for the
 * rest of the callback that took it (callers copy what they keep).
 */
struct envdir_dns {
	struct dns_watch	*watch;
	struct dns_pool		*pool;		/* EnvironmentAddressPool */
	struct dns_registry	*cur, *prev;
	char			 addr[4][INET6_ADDRSTRLEN];	/* ring */
	unsigned		 next;
};

static void
envdir_dns_on_registry(void *arg, struct dns_registry *reg)
{
	struct envdir_dns *d = arg;

	dns_registry_unref(d->prev);
	d->prev = d->cur;
	d->cur = dns_registry_ref(reg);
}

static void
envdir_dns_fill(struct envdir_dns *d, const struct dns_env *e,
    struct envdir_entry *out)
{
	const struct sockaddr_storage *ss;
	char *buf;

	memset(out, 0, sizeof(*out));
	out->env = e->name;
	out->owner = e->rec->owner;
	out->members = e->rec->members.n > 0 ?
	    (const char *const *)e->rec->members.v : NULL;
	out->team = e->rec->team;
	out->profile = e->rec->profile;
	if (e->naddrs > 0) {
		buf = d->addr[d->next++ % 4];
		ss = &e->addrs[0];
		if (ss->ss_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)
			    (const void *)ss)->sin_addr, buf, INET6_ADDRSTRLEN);
		else
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
			    (const void *)ss)->sin6_addr, buf,
			    INET6_ADDRSTRLEN);
		out->addr = buf;
	}
}

static int
envdir_dns_lookup(void *src, const char *env, struct envdir_entry *out)
{
	struct envdir_dns *d = src;
	const struct dns_env *e;

	if (d->cur == NULL || (e = dns_registry_find(d->cur, env)) == NULL ||
	    !e->valid)
		return DG_ERR_NOTFOUND;
	envdir_dns_fill(d, e, out);
	return 0;
}

static int
envdir_dns_by_addr(void *src, const char *addr, struct envdir_entry *out)
{
	struct envdir_dns *d = src;
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	const struct dns_env *e;

	if (d->cur == NULL)
		return DG_ERR_NOTFOUND;
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1)
		s4->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1)
		s6->sin6_family = AF_INET6;
	else
		return DG_ERR_NOTFOUND;
	if ((e = dns_registry_by_address(d->cur,
	    (const struct sockaddr *)&ss)) == NULL)
		return DG_ERR_NOTFOUND;
	envdir_dns_fill(d, e, out);
	return 0;
}

static void
envdir_dns_for_user(void *src, const char *user, envdir_each_cb *cb,
    void *arg)
{
	struct envdir_dns *d = src;
	const struct dns_env *list[256];
	struct envdir_entry out;
	size_t i, n;

	if (d->cur == NULL)
		return;
	n = dns_registry_for_user(d->cur, user, list, 256);
	for (i = 0; i < n && i < 256; i++) {
		envdir_dns_fill(d, list[i], &out);
		cb(arg, &out);
	}
}

/* Only an address of the pool can have been published since the last
 * look; the zone is asked again (one SOA query, shared). */
static int
envdir_dns_check_addr(void *src, const char *addr, envdir_done_cb *cb,
    void *arg, void **op)
{
	struct envdir_dns *d = src;
	struct dns_watch_wait *wt;

	if (d->pool == NULL || dns_pool_index(d->pool, addr) < 0 ||
	    dns_watch_check(d->watch, cb, arg, &wt) != 0)
		return DG_ERR_NOTFOUND;
	*op = wt;
	return 0;
}

static void
envdir_dns_check_cancel(void *src, void *op)
{
	(void)src;
	dns_watch_check_cancel(op);
}

static void
envdir_dns_free(void *src)
{
	struct envdir_dns *d = src;

	dns_pool_free(d->pool);
	dns_watch_free(d->watch);
	dns_registry_unref(d->cur);
	dns_registry_unref(d->prev);
	free(d);
}

static const struct envdir_source_ops envdir_dns_ops = {
	"dns",
	envdir_dns_lookup,
	envdir_dns_by_addr,
	envdir_dns_for_user,
	envdir_dns_free,
	envdir_dns_check_addr,
	envdir_dns_check_cancel,
};

int
envdir_add_dns(struct envdir *dir, struct loop *loop,
    const struct dns_config *cfg, char *err, size_t errlen)
{
	struct envdir_dns *d;
	int r;

	if (cfg == NULL || cfg->zone == NULL ||
	    dns_conf_registry(cfg, NULL) == DNS_REGISTRY_NONE)
		return 0;
	d = xcalloc(1, sizeof(*d));
	if ((r = dns_watch_new(loop, cfg, envdir_dns_on_registry, d,
	    &d->watch, err, errlen)) != 0) {
		free(d);
		return r;
	}
	if (cfg->pool != NULL)
		d->pool = dns_pool_dup(cfg->pool);
	envdir_add_source(dir, &envdir_dns_ops, d);
	return 0;
}
