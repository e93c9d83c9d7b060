/* resolver.c: a worker's resolver for outgoing HTTP: c-ares on the loop
 * (dns/dns-resolve.h, system flags) as a common/http.h resolver hook. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdlib.h>

#include "common/err.h"
#include "common/http.h"
#include "common/xmalloc.h"
#include "dns/dns-resolve.h"
#include "gateway/resolver.h"

struct resolver {
	struct dns_resolve	*dns;
	struct http_resolver	 hook;
};

/* One lookup for http.c. */
struct resolver_op {
	struct dns_resolve_op	*op;
	http_resolved_cb	*cb;
	void			*arg;
};

static void
resolver_done(void *arg, int err, const struct dns_addr *a, size_t n)
{
	struct resolver_op *rop = arg;
	char text[DNS_RESOLVE_MAX_ADDRS][INET6_ADDRSTRLEN];
	const char *addrs[DNS_RESOLVE_MAX_ADDRS];
	const void *in;
	size_t i, k = 0;

	for (i = 0; err == 0 && i < n && k < DNS_RESOLVE_MAX_ADDRS; i++) {
		if (a[i].sa.ss_family == AF_INET)
			in = &((const struct sockaddr_in *)&a[i].sa)->sin_addr;
		else
			in = &((const struct sockaddr_in6 *)&a[i].sa)->
			    sin6_addr;
		if (inet_ntop(a[i].sa.ss_family, in, text[k],
		    sizeof(text[k])) == NULL)
			continue;
		addrs[k] = text[k];
		k++;
	}
	if (err == 0 && k == 0)
		err = DG_ERR_NOTFOUND;
	rop->cb(rop->arg, err, addrs, k);
	free(rop);
}

static int
resolver_start(void *ctx, const char *host, http_resolved_cb *cb, void *arg,
    void **opp)
{
	struct resolver *r = ctx;
	struct resolver_op *rop = xcalloc(1, sizeof(*rop));
	int err;

	rop->cb = cb;
	rop->arg = arg;
	if ((err = dns_resolve_addr(r->dns, host, AF_UNSPEC, resolver_done,
	    rop, &rop->op)) != 0) {
		free(rop);
		return err;
	}
	*opp = rop;
	return 0;
}

static void
resolver_cancel(void *ctx, void *op)
{
	struct resolver_op *rop = op;

	(void)ctx;
	/* dns-resolve will not call back: the op is ours to free. */
	dns_resolve_cancel(rop->op);
	free(rop);
}

int
resolver_new(struct loop *loop, const char *servers, struct resolver **out)
{
	struct resolver *r = xcalloc(1, sizeof(*r));
	int err;

	if ((err = dns_resolve_new_flags(loop, servers, 0, DNS_RESOLVE_SYSTEM,
	    &r->dns)) != 0) {
		free(r);
		return err;
	}
	r->hook.start = resolver_start;
	r->hook.cancel = resolver_cancel;
	r->hook.ctx = r;
	*out = r;
	return 0;
}

void
resolver_free(struct resolver *r)
{
	if (r == NULL)
		return;
	dns_resolve_free(r->dns);
	free(r);
}

const struct http_resolver *
resolver_http(struct resolver *r)
{
	return &r->hook;
}
