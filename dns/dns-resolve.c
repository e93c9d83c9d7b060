/* dns-resolve.c: c-ares on the event loop: sockets watched with
 * loop_fd_add, timeouts with one loop timer, results delivered deferred. */
#include <sys/socket.h>

#include <netinet/in.h>

#include <ares.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "dns/dns-resolve.h"

struct dns_resolve_sock {
	ares_socket_t		 fd;
	struct loop_fd		*reg;
	struct dns_resolve_sock	*next;
};

enum dns_resolve_kind {
	DNS_RESOLVE_ADDR,
	DNS_RESOLVE_SOA,
};

struct dns_resolve_op {
	struct dns_resolve	*r;	/* parent, not owned; NULL once freed */
	enum dns_resolve_kind	 kind;
	dns_resolve_addr_cb	*addr_cb;
	dns_resolve_soa_cb	*soa_cb;
	void			*arg;
	int			 cancelled;
	int			 err;
	struct dns_addr		 addrs[DNS_RESOLVE_MAX_ADDRS];
	size_t			 naddrs;
	char			*mname;
	uint32_t		 serial;
	struct dns_resolve_op	*prev, *next;	/* r's list of ops */
};

struct dns_resolve {
	struct loop		*loop;	/* not owned */
	ares_channel		 ch;
	struct dns_resolve_sock	*socks;
	struct loop_timer	*timer;
	struct dns_resolve_op	*ops;
	size_t			 pending;
	int			 flags;		/* DNS_RESOLVE_* */
	int			 destroying;
};

#define DNS_RESOLVE_WAIT_MAX_MS	120000

static pthread_once_t dns_resolve_once = PTHREAD_ONCE_INIT;
static int dns_resolve_lib_status = ARES_SUCCESS;

static void
dns_resolve_lib_init(void)
{
	dns_resolve_lib_status = ares_library_init(ARES_LIB_INIT_ALL);
}

static int
dns_resolve_ares_err(int status)
{
	switch (status) {
	case ARES_SUCCESS:
		return 0;
	case ARES_ENODATA:
	case ARES_ENOTFOUND:
	case ARES_ENONAME:
		return DG_ERR_NOTFOUND;
	case ARES_ETIMEOUT:
		return DG_ERR_TIMEOUT;
	case ARES_ESERVFAIL:
	case ARES_EREFUSED:
	case ARES_ECONNREFUSED:
		return DG_ERR_UNAVAIL;
	case ARES_ENOMEM:
		return DG_ERR_NOMEM;
	case ARES_ECANCELLED:
	case ARES_EDESTRUCTION:
		return DG_ERR_CANCELLED;
	case ARES_EBADNAME:
	case ARES_EBADFAMILY:
	case ARES_EBADFLAGS:
		return DG_ERR_INVAL;
	default:
		return DG_ERR_PROTO;
	}
}

/* Re-arm the one timer from c-ares's next deadline. */
static void
dns_resolve_rearm(struct dns_resolve *r)
{
	struct timeval tv, *tvp;
	uint64_t ms;

	if (r->destroying)
		return;
	if ((tvp = ares_timeout(r->ch, NULL, &tv)) == NULL) {
		loop_timer_stop(r->timer);
		return;
	}
	ms = (uint64_t)tvp->tv_sec * 1000 + (uint64_t)tvp->tv_usec / 1000;
	loop_timer_start(r->timer, ms == 0 ? 1 : ms);
}

static void
dns_resolve_on_timer(void *arg)
{
	struct dns_resolve *r = arg;

	ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	dns_resolve_rearm(r);
}

static void
dns_resolve_on_fd(int fd, int events, void *arg)
{
	struct dns_resolve *r = arg;
	ares_socket_t rfd = ARES_SOCKET_BAD, wfd = ARES_SOCKET_BAD;

	if (events & (LOOP_READ | LOOP_ERROR))
		rfd = fd;
	if (events & LOOP_WRITE)
		wfd = fd;
	ares_process_fd(r->ch, rfd, wfd);
	dns_resolve_rearm(r);
}

/* c-ares tells which sockets to watch. */
static void
dns_resolve_sock_state(void *data, ares_socket_t fd, int readable,
    int writable)
{
	struct dns_resolve *r = data;
	struct dns_resolve_sock *s, **sp;
	int events = (readable ? LOOP_READ : 0) | (writable ? LOOP_WRITE : 0);

	for (sp = &r->socks; (s = *sp) != NULL; sp = &s->next)
		if (s->fd == fd)
			break;
	if (events == 0) {
		if (s != NULL) {
			loop_fd_del(s->reg);
			*sp = s->next;
			free(s);
		}
		return;
	}
	if (s != NULL) {
		loop_fd_set(s->reg, events);
		return;
	}
	s = xcalloc(1, sizeof(*s));
	s->fd = fd;
	if ((s->reg = loop_fd_add(r->loop, fd, events, dns_resolve_on_fd,
	    r)) == NULL) {
		free(s);
		return;
	}
	s->next = r->socks;
	r->socks = s;
}

static void
dns_resolve_op_unlink(struct dns_resolve_op *op)
{
	struct dns_resolve *r = op->r;

	if (r == NULL)
		return;
	if (op->prev != NULL)
		op->prev->next = op->next;
	else
		r->ops = op->next;
	if (op->next != NULL)
		op->next->prev = op->prev;
	op->prev = op->next = NULL;
	r->pending--;
	op->r = NULL;
}

static void
dns_resolve_op_free(struct dns_resolve_op *op)
{
	dns_resolve_op_unlink(op);
	free(op->mname);
	free(op);
}

/* Deferred: hand the result to the caller, then free the op. */
static void
dns_resolve_deliver(void *arg)
{
	struct dns_resolve_op *op = arg;

	if (!op->cancelled) {
		op->cancelled = 1;	/* no second delivery */
		if (op->kind == DNS_RESOLVE_ADDR)
			op->addr_cb(op->arg, op->err, op->err ? NULL :
			    op->addrs, op->err ? 0 : op->naddrs);
		else
			op->soa_cb(op->arg, op->err, op->err ? NULL :
			    op->mname, op->serial);
	}
	dns_resolve_op_free(op);
}

static void
dns_resolve_finish(struct dns_resolve_op *op, int err)
{
	op->err = err;
	if (op->r == NULL || op->r->destroying) {
		dns_resolve_op_free(op);
		return;
	}
	loop_defer(op->r->loop, dns_resolve_deliver, op);
}

static void
dns_resolve_addr_done(void *arg, int status, int timeouts,
    struct ares_addrinfo *ai)
{
	struct dns_resolve_op *op = arg;
	struct ares_addrinfo_node *n;
	struct dns_addr *a;

	(void)timeouts;
	if (status == ARES_SUCCESS && ai != NULL) {
		for (n = ai->nodes; n != NULL &&
		    op->naddrs < DNS_RESOLVE_MAX_ADDRS; n = n->ai_next) {
			if ((n->ai_family != AF_INET &&
			    n->ai_family != AF_INET6) || n->ai_addr == NULL ||
			    (size_t)n->ai_addrlen > sizeof(a->sa))
				continue;
			a = &op->addrs[op->naddrs++];
			memset(a, 0, sizeof(*a));
			memcpy(&a->sa, n->ai_addr, n->ai_addrlen);
			a->salen = n->ai_addrlen;
			a->ttl = n->ai_ttl < 0 ? 0 : n->ai_ttl;
			if (n->ai_family == AF_INET)
				((struct sockaddr_in *)&a->sa)->sin_port = 0;
			else
				((struct sockaddr_in6 *)&a->sa)->sin6_port = 0;
		}
	}
	if (ai != NULL)
		ares_freeaddrinfo(ai);
	if (status == ARES_SUCCESS && op->naddrs == 0)
		status = ARES_ENODATA;
	dns_resolve_finish(op, dns_resolve_ares_err(status));
}

static void
dns_resolve_soa_done(void *arg, int status, int timeouts,
    unsigned char *abuf, int alen)
{
	struct dns_resolve_op *op = arg;
	struct ares_soa_reply *soa = NULL;
	size_t len;

	(void)timeouts;
	if (status == ARES_SUCCESS)
		status = ares_parse_soa_reply(abuf, alen, &soa);
	if (status == ARES_SUCCESS) {
		op->mname = xstrdup(soa->nsname);
		len = strlen(op->mname);
		if (len > 1 && op->mname[len - 1] == '.')
			op->mname[len - 1] = '\0';
		op->serial = soa->serial;
		if (op->mname[0] == '\0')
			status = ARES_EBADRESP;
	}
	if (soa != NULL)
		ares_free_data(soa);
	dns_resolve_finish(op, dns_resolve_ares_err(status));
}

int
dns_resolve_new(struct loop *loop, const char *servers, int timeout_ms,
    struct dns_resolve **rp)
{
	return dns_resolve_new_flags(loop, servers, timeout_ms, 0, rp);
}

int
dns_resolve_new_flags(struct loop *loop, const char *servers, int timeout_ms,
    int flags, struct dns_resolve **rp)
{
	struct dns_resolve *r;
	struct ares_options o;
	int mask, st;

	if (flags & ~DNS_RESOLVE_SYSTEM)
		return DG_ERR_INVAL;
	pthread_once(&dns_resolve_once, dns_resolve_lib_init);
	if (dns_resolve_lib_status != ARES_SUCCESS)
		return DG_ERR_INTERNAL;
	r = xcalloc(1, sizeof(*r));
	r->loop = loop;
	r->flags = flags;
	memset(&o, 0, sizeof(o));
	o.flags = (flags & DNS_RESOLVE_SEARCH) ? 0 : ARES_FLAG_NOSEARCH;
	/* "f": the hosts file, "b": DNS (the order of nsswitch's "files
	 * dns"). */
	o.lookups = (char *)((flags & DNS_RESOLVE_HOSTS) ? "fb" : "b");
	o.timeout = timeout_ms > 0 ? timeout_ms : 2000;
	o.tries = 2;
	o.sock_state_cb = dns_resolve_sock_state;
	o.sock_state_cb_data = r;
	mask = ARES_OPT_FLAGS | ARES_OPT_LOOKUPS | ARES_OPT_TIMEOUTMS |
	    ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB;
	/* No search list at all: c-ares 1.18's getaddrinfo searches even
	 * with ARES_FLAG_NOSEARCH. */
	if (!(flags & DNS_RESOLVE_SEARCH)) {
		o.domains = NULL;
		o.ndomains = 0;
		mask |= ARES_OPT_DOMAINS;
	}
	if ((st = ares_init_options(&r->ch, &o, mask)) != ARES_SUCCESS) {
		free(r);
		return st == ARES_ENOMEM ? DG_ERR_NOMEM : DG_ERR_SYSTEM;
	}
	if (servers != NULL && *servers != '\0' &&
	    ares_set_servers_ports_csv(r->ch, servers) != ARES_SUCCESS) {
		ares_destroy(r->ch);
		free(r);
		return DG_ERR_INVAL;
	}
	r->timer = loop_timer_new(loop, dns_resolve_on_timer, r);
	*rp = r;
	return 0;
}

void
dns_resolve_free(struct dns_resolve *r)
{
	struct dns_resolve_op *op;
	struct dns_resolve_sock *s;

	if (r == NULL)
		return;
	/* Ops whose delivery is already deferred stay alive until then,
	 * cancelled and detached; the rest end in ares_destroy. */
	while ((op = r->ops) != NULL) {
		op->cancelled = 1;
		dns_resolve_op_unlink(op);
	}
	r->destroying = 1;
	ares_destroy(r->ch);
	while ((s = r->socks) != NULL) {
		r->socks = s->next;
		loop_fd_del(s->reg);
		free(s);
	}
	loop_timer_free(r->timer);
	free(r);
}

static struct dns_resolve_op *
dns_resolve_op_new(struct dns_resolve *r, enum dns_resolve_kind kind,
    void *arg)
{
	struct dns_resolve_op *op;

	op = xcalloc(1, sizeof(*op));
	op->r = r;
	op->kind = kind;
	op->arg = arg;
	op->next = r->ops;
	if (r->ops != NULL)
		r->ops->prev = op;
	r->ops = op;
	r->pending++;
	return op;
}

static int
dns_resolve_name_ok(const char *name)
{
	size_t len;

	if (name == NULL || (len = strlen(name)) == 0 || len > 254)
		return 0;
	return strcspn(name, " \t\r\n\\\"") == len;
}

int
dns_resolve_addr(struct dns_resolve *r, const char *name, int family,
    dns_resolve_addr_cb *cb, void *arg, struct dns_resolve_op **opp)
{
	struct ares_addrinfo_hints hints;
	struct dns_resolve_op *op;

	if (!dns_resolve_name_ok(name) || cb == NULL ||
	    (family != AF_INET && family != AF_INET6 && family != AF_UNSPEC))
		return DG_ERR_INVAL;
	op = dns_resolve_op_new(r, DNS_RESOLVE_ADDR, arg);
	op->addr_cb = cb;
	if (opp != NULL)
		*opp = op;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_flags = ARES_AI_NOSORT;
	if (r->flags & DNS_RESOLVE_HOSTS)
		hints.ai_flags |= ARES_AI_ENVHOSTS;
	ares_getaddrinfo(r->ch, name, NULL, &hints, dns_resolve_addr_done, op);
	dns_resolve_rearm(r);
	return 0;
}

int
dns_resolve_soa(struct dns_resolve *r, const char *zone,
    dns_resolve_soa_cb *cb, void *arg, struct dns_resolve_op **opp)
{
	struct dns_resolve_op *op;

	if (!dns_resolve_name_ok(zone) || cb == NULL)
		return DG_ERR_INVAL;
	op = dns_resolve_op_new(r, DNS_RESOLVE_SOA, arg);
	op->soa_cb = cb;
	if (opp != NULL)
		*opp = op;
	ares_query(r->ch, zone, 1 /* IN */, 6 /* SOA */, dns_resolve_soa_done,
	    op);
	dns_resolve_rearm(r);
	return 0;
}

void
dns_resolve_cancel(struct dns_resolve_op *op)
{
	if (op != NULL)
		op->cancelled = 1;
}

size_t
dns_resolve_pending(const struct dns_resolve *r)
{
	return r->pending;
}

struct dns_resolve_wait {
	int		 done;
	int		 err;
	struct dns_addr	*out;
	size_t		 max, n;
};

static void
dns_resolve_wait_cb(void *arg, int err, const struct dns_addr *addrs,
    size_t n)
{
	struct dns_resolve_wait *w = arg;

	w->done = 1;
	w->err = err;
	for (w->n = 0; err == 0 && w->n < n && w->n < w->max; w->n++)
		w->out[w->n] = addrs[w->n];
}

int
dns_resolve_addr_wait(const char *servers, int timeout_ms, int flags,
    const char *name, int family, struct dns_addr *out, size_t max,
    size_t *np)
{
	struct dns_resolve_wait w;
	struct dns_resolve *r = NULL;
	struct loop *loop;
	uint64_t deadline;
	int err;

	if ((loop = loop_new()) == NULL)
		return DG_ERR_SYSTEM;
	memset(&w, 0, sizeof(w));
	w.out = out;
	w.max = max;
	if ((err = dns_resolve_new_flags(loop, servers, timeout_ms, flags,
	    &r)) != 0 || (err = dns_resolve_addr(r, name, family,
	    dns_resolve_wait_cb, &w, NULL)) != 0)
		goto out;
	/* c-ares ends every query with an answer or its own timeout; the
	 * deadline only guards against a bug. */
	deadline = loop_clock_ms() + DNS_RESOLVE_WAIT_MAX_MS;
	while (!w.done && loop_clock_ms() < deadline)
		loop_run_once(loop, 1000);
	err = w.done ? w.err : DG_ERR_TIMEOUT;
	if (err == 0)
		*np = w.n;
out:
	dns_resolve_free(r);
	loop_run_once(loop, 0);	/* deferred frees */
	loop_free(loop);
	return err;
}
