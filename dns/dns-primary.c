/* dns-primary.c: finding the zone's primary server without blocking:
 * DNSUpdateServer (literal or name) or the SOA MNAME, via c-ares. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "dns/dns-conf.h"
#include "dns/dns-name.h"
#include "dns/dns-primary.h"
#include "dns/dns-resolve.h"
#include "dns/dns-send.h"

struct dns_primary {
	struct loop	*loop;		/* not owned */
	struct dns_resolve *res;
	struct dns_resolve_op *op;
	char		*zone;
	char		*host;		/* DNSUpdateServer host or MNAME */
	int		 port;
	int		 from_soa;	/* no DNSUpdateServer */
	struct sockaddr_storage addr;
	socklen_t	 addrlen;
	int		 have;
	int		 failures;
	char		 text[80];
	dns_primary_cb	*cb;
	void		*arg;
};

static void
dns_primary_set(struct dns_primary *p, const struct sockaddr *sa,
    socklen_t len)
{
	memcpy(&p->addr, sa, len);
	p->addrlen = len;
	if (sa->sa_family == AF_INET)
		((struct sockaddr_in *)&p->addr)->sin_port = htons(p->port);
	else
		((struct sockaddr_in6 *)&p->addr)->sin6_port = htons(p->port);
	dns_send_addr_text((struct sockaddr *)&p->addr, p->text,
	    sizeof(p->text));
	p->have = 1;
}

static void
dns_primary_done(struct dns_primary *p, int err, const char *what)
{
	char text[300];

	p->op = NULL;
	if (err != 0)
		snprintf(text, sizeof(text), "cannot find the primary server "
		    "of %s: %s: %s", p->zone, what, dg_strerror(err));
	p->cb(p->arg, err, err != 0 ? text : NULL);
}

static void
dns_primary_on_addr(void *arg, int err, const struct dns_addr *a, size_t n)
{
	struct dns_primary *p = arg;

	if (err == 0 && n > 0)
		dns_primary_set(p, (const struct sockaddr *)&a[0].sa,
		    a[0].salen);
	dns_primary_done(p, err != 0 ? err : n == 0 ? DG_ERR_NOTFOUND : 0,
	    p->host);
}

static void
dns_primary_on_soa(void *arg, int err, const char *mname, uint32_t serial)
{
	struct dns_primary *p = arg;
	int r;

	(void)serial;
	if (err != 0) {
		dns_primary_done(p, err, "SOA lookup");
		return;
	}
	free(p->host);
	p->host = xstrdup(mname);
	p->op = NULL;
	if ((r = dns_resolve_addr(p->res, mname, AF_UNSPEC,
	    dns_primary_on_addr, p, &p->op)) != 0)
		dns_primary_done(p, r, mname);
}

static int
dns_primary_literal(struct dns_primary *p)
{
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;

	memset(&s4, 0, sizeof(s4));
	memset(&s6, 0, sizeof(s6));
	if (inet_pton(AF_INET, p->host, &s4.sin_addr) == 1) {
		s4.sin_family = AF_INET;
		dns_primary_set(p, (struct sockaddr *)&s4, sizeof(s4));
		return 1;
	}
	if (inet_pton(AF_INET6, p->host, &s6.sin6_addr) == 1) {
		s6.sin6_family = AF_INET6;
		dns_primary_set(p, (struct sockaddr *)&s6, sizeof(s6));
		return 1;
	}
	return 0;
}

int
dns_primary_new(struct loop *loop, const struct dns_config *cfg,
    dns_primary_cb *cb, void *arg, struct dns_primary **pp, char *err,
    size_t errlen)
{
	struct dns_primary *p;
	char zone[DNS_NAME_MAX], host[256], *csv;
	int port, r;

	if ((r = dns_conf_zone(cfg, zone, sizeof(zone))) != 0) {
		snprintf(err, errlen, "DNSZone is not set");
		return r;
	}
	p = xcalloc(1, sizeof(*p));
	p->loop = loop;
	p->cb = cb;
	p->arg = arg;
	p->zone = xstrdup(zone);
	p->port = 53;
	if (dns_conf_update_server(cfg, host, sizeof(host), &port) == 0) {
		p->host = xstrdup(host);
		p->port = port;
	} else {
		p->from_soa = 1;
	}
	csv = dns_conf_resolvers_csv(cfg);
	r = dns_resolve_new(loop, csv, 0, &p->res);
	free(csv);
	if (r != 0) {
		snprintf(err, errlen, "DNSResolver: cannot set up the resolver");
		dns_primary_free(p);
		return r;
	}
	snprintf(p->text, sizeof(p->text), "(unresolved)");
	*pp = p;
	return 0;
}

void
dns_primary_free(struct dns_primary *p)
{
	if (p == NULL)
		return;
	dns_resolve_free(p->res);
	free(p->zone);
	free(p->host);
	free(p);
}

int
dns_primary_addr(struct dns_primary *p, const struct sockaddr **sap,
    socklen_t *lenp)
{
	int r;

	if (p->have) {
		*sap = (const struct sockaddr *)&p->addr;
		*lenp = p->addrlen;
		return 0;
	}
	if (p->op != NULL)
		return DG_ERR_AGAIN;
	if (p->host != NULL && dns_primary_literal(p))
		return dns_primary_addr(p, sap, lenp);
	if (p->host == NULL)
		r = dns_resolve_soa(p->res, p->zone, dns_primary_on_soa, p,
		    &p->op);
	else
		r = dns_resolve_addr(p->res, p->host, AF_UNSPEC,
		    dns_primary_on_addr, p, &p->op);
	return r != 0 ? r : DG_ERR_AGAIN;
}

void
dns_primary_unreachable(struct dns_primary *p)
{
	if (++p->failures % 3 != 0)
		return;
	p->have = 0;
	if (p->from_soa) {
		free(p->host);
		p->host = NULL;
		p->port = 53;
	}
}

void
dns_primary_reachable(struct dns_primary *p)
{
	p->failures = 0;
}

const char *
dns_primary_text(const struct dns_primary *p)
{
	return p->text;
}
