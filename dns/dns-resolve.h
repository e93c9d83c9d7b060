/* dns-resolve.h: non-blocking name resolution with c-ares driven by
 * common/loop.h: addresses with their TTLs, and a zone's SOA (MNAME). */
#ifndef DG_DNS_RESOLVE_H
#define DG_DNS_RESOLVE_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

struct loop;
struct dns_resolve;
struct dns_resolve_op;

#define DNS_RESOLVE_MAX_ADDRS 32	/* at most this many per answer */

struct dns_addr {
	struct sockaddr_storage	 sa;	/* port 0 */
	socklen_t		 salen;
	int			 ttl;	/* seconds; 0 for literals */
};

/*
 * Callbacks run on the loop, never from inside the call that started the
 * operation. err is 0 or a DG_ERR_*: DG_ERR_NOTFOUND (no such name or no
 * address of that family), DG_ERR_TIMEOUT, DG_ERR_UNAVAIL (server failure
 * or refused), DG_ERR_PROTO (bad answer). The op is finished (freed) after
 * its callback returns; the arrays are only valid during the callback.
 */
typedef void dns_resolve_addr_cb(void *arg, int err,
    const struct dns_addr *addrs, size_t n);
typedef void dns_resolve_soa_cb(void *arg, int err, const char *mname,
    uint32_t serial);

/*
 * servers: NULL or "" for the system's resolv.conf, else a comma list of
 * host[:port] / [v6]:port (ports allowed, unlike resolv.conf).
 * timeout_ms: per try (two tries per server); 0 for 2000.
 * /etc/hosts is not consulted and no search domains are applied: names are
 * taken as absolute (what the dns area wants: its names are DNS names).
 */
int	 dns_resolve_new(struct loop *, const char *servers, int timeout_ms,
	    struct dns_resolve **);

/* Flags of dns_resolve_new_flags(). */
#define DNS_RESOLVE_HOSTS	0x1	/* the hosts file first: /etc/hosts,
					   or the file $CARES_HOSTS names
					   (c-ares' variable; for tests) */
#define DNS_RESOLVE_SEARCH	0x2	/* names with fewer dots than ndots:
					   resolv.conf's search list first */
/* What getaddrinfo would do, for names from outside the dns area
 * (kubeconfig servers, URLs): the hosts file, then DNS with the search
 * list. */
#define DNS_RESOLVE_SYSTEM	(DNS_RESOLVE_HOSTS | DNS_RESOLVE_SEARCH)

/* As dns_resolve_new, with DNS_RESOLVE_* flags. Hosts file answers carry
 * no TTL (0). */
int	 dns_resolve_new_flags(struct loop *, const char *servers,
	    int timeout_ms, int flags, struct dns_resolve **);

/*
 * One lookup that blocks the caller until it is answered or times out,
 * on a private loop: for start-up, before the caller's own loop serves
 * anything. Up to max addresses go to out; *np is set on success. Errors
 * as in the callbacks below.
 */
int	 dns_resolve_addr_wait(const char *servers, int timeout_ms, int flags,
	    const char *name, int family, struct dns_addr *out, size_t max,
	    size_t *np);
/* Cancels every pending op without calling its callback. NULL is fine. */
void	 dns_resolve_free(struct dns_resolve *);

/* family: AF_INET, AF_INET6 or AF_UNSPEC (both). Numeric names resolve
 * to themselves. opp may be NULL when the caller will never cancel. */
int	 dns_resolve_addr(struct dns_resolve *, const char *name, int family,
	    dns_resolve_addr_cb *, void *arg, struct dns_resolve_op **opp);
/* The SOA of zone: primary name server (MNAME, no trailing dot) and
 * serial. */
int	 dns_resolve_soa(struct dns_resolve *, const char *zone,
	    dns_resolve_soa_cb *, void *arg, struct dns_resolve_op **opp);
/* The callback will not be called; NULL is fine. Not from inside the
 * op's own callback. */
void	 dns_resolve_cancel(struct dns_resolve_op *);

/* Number of ops not finished yet (for tests and shutdown). */
size_t	 dns_resolve_pending(const struct dns_resolve *);

#endif
