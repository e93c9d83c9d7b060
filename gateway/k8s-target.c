/* k8s-target.c: the API server of a backend: config, token, TLS context
 * and addresses. A host name is resolved with c-ares (dns/dns-resolve.h)
 * as getaddrinfo would (the hosts file, then DNS with the search list):
 * once at start-up, then on the loop whenever its TTL runs out; every
 * address is kept. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "dns/dns-resolve.h"
#include "gateway/k8s-config.h"
#include "gateway/k8s-conn.h"
#include "gateway/k8s-target.h"

/* An IP address needs no lookup. */
static int
kt_numeric(const char *host, uint16_t port, struct k8s_addrs *out)
{
	struct addrinfo hints, *res = NULL;
	char portstr[8];

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
	snprintf(portstr, sizeof(portstr), "%u", port);
	if (getaddrinfo(host, portstr, &hints, &res) != 0 || res == NULL ||
	    res->ai_addrlen > sizeof(out->sa[0])) {
		if (res != NULL)
			freeaddrinfo(res);
		return 0;
	}
	memset(out, 0, sizeof(*out));
	memcpy(&out->sa[0], res->ai_addr, res->ai_addrlen);
	out->len[0] = res->ai_addrlen;
	out->n = 1;
	freeaddrinfo(res);
	return 1;
}

uint64_t
k8s_target_refresh_ms(const struct dns_addr *a, size_t n)
{
	uint64_t ms = 0, t;
	size_t i;

	for (i = 0; i < n; i++) {
		if (a[i].ttl <= 0)
			continue;
		t = (uint64_t)a[i].ttl * 1000;
		if (ms == 0 || t < ms)
			ms = t;
	}
	if (ms == 0)
		return K8S_RESOLVE_REFRESH_MS;
	if (ms < K8S_RESOLVE_MIN_MS)
		return K8S_RESOLVE_MIN_MS;
	return ms > K8S_RESOLVE_MAX_MS ? K8S_RESOLVE_MAX_MS : ms;
}

static void
kt_convert(const struct dns_addr *a, size_t n, uint16_t port,
    struct k8s_addrs *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n && out->n < K8S_TARGET_ADDRS; i++) {
		memcpy(&out->sa[out->n], &a[i].sa, a[i].salen);
		out->len[out->n] = a[i].salen;
		if (a[i].sa.ss_family == AF_INET)
			((struct sockaddr_in *)&out->sa[out->n])->sin_port =
			    htons(port);
		else
			((struct sockaddr_in6 *)&out->sa[out->n])->sin6_port =
			    htons(port);
		out->n++;
	}
}

/* New addresses; the one that worked last stays preferred if present. */
static void
kt_set_addrs(struct k8s_target *t, const struct k8s_addrs *a)
{
	size_t i, pref = 0;

	if (a->n == t->addrs.n && memcmp(a, &t->addrs, sizeof(*a)) == 0)
		return;
	for (i = 0; i < a->n; i++)
		if (t->preferred < t->addrs.n &&
		    a->len[i] == t->addrs.len[t->preferred] &&
		    memcmp(&a->sa[i], &t->addrs.sa[t->preferred],
		    a->len[i]) == 0)
			pref = i;
	log_verbose("kubernetes: %s now has %zu address%s (was %zu)",
	    t->cfg->host, a->n, a->n == 1 ? "" : "es", t->addrs.n);
	t->addrs = *a;
	t->preferred = pref;
	t->addrs_gen++;
}

static void
kt_resolved(void *arg, int err, const struct dns_addr *a, size_t n)
{
	struct k8s_target *t = arg;
	struct k8s_addrs addrs;
	uint64_t next;

	t->rop = NULL;
	if (err == 0) {
		kt_convert(a, n, t->cfg->port, &addrs);
		kt_set_addrs(t, &addrs);
		if (t->resolve_failing)
			log_info("kubernetes: %s resolves again",
			    t->cfg->host);
		t->resolve_failing = 0;
		next = k8s_target_refresh_ms(a, n);
	} else {
		if (!t->resolve_failing)
			log_error("kubernetes: cannot re-resolve %s: %s "
			    "(keeping its %zu known addresses, retrying)",
			    t->cfg->host, dg_strerror(err), t->addrs.n);
		t->resolve_failing = 1;
		next = K8S_RESOLVE_RETRY_MS;
	}
	if (t->refresh != NULL)
		loop_timer_start(t->refresh, next);
}

static void
kt_refresh(void *arg)
{
	struct k8s_target *t = arg;
	int r;

	if (t->rop != NULL || t->resolver == NULL)
		return;
	r = dns_resolve_addr(t->resolver, t->cfg->host, AF_UNSPEC,
	    kt_resolved, t, &t->rop);
	if (r != 0) {
		t->rop = NULL;
		log_error("kubernetes: cannot re-resolve %s: %s",
		    t->cfg->host, dg_strerror(r));
		loop_timer_start(t->refresh, K8S_RESOLVE_RETRY_MS);
	}
}

static void
kt_free(struct k8s_target *t)
{
	loop_timer_free(t->refresh);
	dns_resolve_free(t->resolver);
	k8s_tls_unref(t->tls);
	k8s_config_free(t->cfg);
	free(t->host_header);
	free(t->verify_name);
	freezero_str(t->auth);
	free(t);
}

int
k8s_target_new_dns(struct loop *loop, struct k8s_config *cfg,
    const char *servers, struct k8s_target **out, char *err, size_t errlen)
{
	struct dns_addr found[K8S_TARGET_ADDRS];
	struct k8s_target *t;
	uint64_t next = 0;
	size_t n = 0;
	int r;

	t = xcalloc(1, sizeof(*t));
	t->loop = loop;
	t->refs = 1;
	if (!kt_numeric(cfg->host, cfg->port, &t->addrs)) {
		r = dns_resolve_addr_wait(servers, 0, DNS_RESOLVE_SYSTEM,
		    cfg->host, AF_UNSPEC, found, K8S_TARGET_ADDRS, &n);
		if (r == 0)
			r = dns_resolve_new_flags(loop, servers, 0,
			    DNS_RESOLVE_SYSTEM, &t->resolver);
		if (r != 0) {
			snprintf(err, errlen, "cannot resolve %s: %s",
			    cfg->host, dg_strerror(r));
			free(t);
			return r;
		}
		kt_convert(found, n, cfg->port, &t->addrs);
		next = k8s_target_refresh_ms(found, n);
	}
	t->cfg = cfg;
	if (cfg->tls && (r = k8s_tls_new(cfg, &t->tls, err, errlen)) != 0) {
		t->cfg = NULL;	/* the caller keeps it */
		kt_free(t);
		return r;
	}
	if (strchr(cfg->host, ':') != NULL)
		t->host_header = xasprintf("[%s]:%u", cfg->host, cfg->port);
	else
		t->host_header = xasprintf("%s:%u", cfg->host, cfg->port);
	t->verify_name = xstrdup(cfg->tls_server_name != NULL ?
	    cfg->tls_server_name : cfg->host);
	if (t->resolver != NULL) {
		t->refresh = loop_timer_new(loop, kt_refresh, t);
		loop_timer_start(t->refresh, next);
	}
	*out = t;
	return 0;
}

int
k8s_target_new(struct loop *loop, struct k8s_config *cfg,
    struct k8s_target **out, char *err, size_t errlen)
{
	return k8s_target_new_dns(loop, cfg, NULL, out, err, errlen);
}

void
k8s_target_ref(struct k8s_target *t)
{
	t->refs++;
}

void
k8s_target_quiesce(struct k8s_target *t)
{
	loop_timer_free(t->refresh);
	t->refresh = NULL;
	/* Pending lookups end here, without a callback. */
	dns_resolve_free(t->resolver);
	t->resolver = NULL;
	t->rop = NULL;
}

void
k8s_target_unref(struct k8s_target *t)
{
	if (t == NULL || --t->refs > 0)
		return;
	kt_free(t);
}

const char *
k8s_target_auth(struct k8s_target *t)
{
	int r;

	r = k8s_config_token_refresh(t->cfg, loop_now(t->loop), 0);
	if (r < 0)
		log_error("kubernetes: cannot re-read token file %s: %s "
		    "(keeping the old token)", t->cfg->token_file,
		    dg_strerror(r));
	if (t->cfg->token == NULL)
		return NULL;
	if (t->auth == NULL || t->auth_gen != t->cfg->token_gen) {
		freezero_str(t->auth);
		t->auth = xasprintf("Bearer %s", t->cfg->token);
		t->auth_gen = t->cfg->token_gen;
	}
	return t->auth;
}

int
k8s_target_reauth(struct k8s_target *t)
{
	int r = k8s_config_token_refresh(t->cfg, loop_now(t->loop), 1);

	if (r < 0)
		log_error("kubernetes: cannot re-read token file %s: %s",
		    t->cfg->token_file, dg_strerror(r));
	return r == 1;
}
