/* resolver.h: a worker's resolver for outgoing HTTP (the key server of
 * AuthorizedKeysURL): dns/dns-resolve.h (c-ares on the loop, the hosts
 * file first, then DNS with the search list, as getaddrinfo) behind
 * common/http.h's resolver hook, so that auth/ needs no DNS of its own
 * and no lookup blocks the loop. */
#ifndef DG_RESOLVER_H
#define DG_RESOLVER_H

struct loop;
struct resolver;
struct http_resolver;

/* servers: NULL for resolv.conf's. 0 or a DG_ERR_*. */
int	 resolver_new(struct loop *, const char *servers, struct resolver **);
/* Pending lookups end without a callback. NULL is fine. Free it after
 * every http object that uses its hook. */
void	 resolver_free(struct resolver *);
/* The hook for http_set_resolver() / auth_ctx_set_resolver(); valid as
 * long as the resolver. */
const struct http_resolver *resolver_http(struct resolver *);

#endif
