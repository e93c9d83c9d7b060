/* k8s-target.h: one Kubernetes API server as seen by a backend: its
 * config and token, TLS context, and resolved addresses (c-ares on the
 * loop, hosts file first, refreshed by TTL). Refcounted so that streams
 * may outlive the backend object. */
#ifndef DG_K8S_TARGET_H
#define DG_K8S_TARGET_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

struct loop;
struct loop_timer;
struct k8s_config;
struct k8s_tls;
struct dns_addr;
struct dns_resolve;
struct dns_resolve_op;

/* A host name is looked up again when its shortest TTL runs out, within
 * these bounds; answers without a TTL (the hosts file) every 5 minutes;
 * after a failure (the old addresses stay) in 30 s. */
#define K8S_RESOLVE_REFRESH_MS	(5 * 60 * 1000)
#define K8S_RESOLVE_MIN_MS	1000
#define K8S_RESOLVE_MAX_MS	(60 * 60 * 1000)
#define K8S_RESOLVE_RETRY_MS	(30 * 1000)
#define K8S_TARGET_ADDRS	16	/* addresses kept per host name */

struct k8s_addrs {
	struct sockaddr_storage	 sa[K8S_TARGET_ADDRS];
	socklen_t		 len[K8S_TARGET_ADDRS];
	size_t			 n;
};

struct k8s_target {
	struct loop		*loop;		/* not owned */
	struct k8s_config	*cfg;		/* owned */
	struct k8s_tls		*tls;		/* NULL for http:// */
	struct k8s_addrs	 addrs;		/* where streams and REST
						   connect, in DNS order */
	unsigned		 addrs_gen;	/* bumped when addrs change */
	size_t			 preferred;	/* index that worked last */
	char			*host_header;	/* Host: value */
	char			*verify_name;	/* certificate name */
	char			*auth;		/* "Bearer ...", secret */
	unsigned		 auth_gen;	/* cfg->token_gen it matches */
	struct loop_timer	*refresh;	/* re-resolve a host name */
	struct dns_resolve	*resolver;	/* NULL for an IP address */
	struct dns_resolve_op	*rop;		/* lookup in flight */
	int			 resolve_failing;	/* logged once */
	int			 refs;
};

/* Takes ownership of cfg on success. Resolves a host name once, here
 * (blocking the caller, on a private loop: call at start-up); refreshes
 * then run on loop, never blocking it. */
int	 k8s_target_new(struct loop *, struct k8s_config *,
	    struct k8s_target **, char *err, size_t errlen);
/* The same with the DNS servers to ask ("host[:port],..."; NULL: those
 * of resolv.conf), for tests. */
int	 k8s_target_new_dns(struct loop *, struct k8s_config *,
	    const char *servers, struct k8s_target **, char *err,
	    size_t errlen);
/* Pure: when to look n addresses up again. */
uint64_t k8s_target_refresh_ms(const struct dns_addr *, size_t n);
void	 k8s_target_ref(struct k8s_target *);
void	 k8s_target_unref(struct k8s_target *);
/* Stop refreshing the address (the owner is going away). */
void	 k8s_target_quiesce(struct k8s_target *);
/* The Authorization header value ("Bearer ..."), NULL without a token;
 * the token file is re-read when a minute old. */
const char *k8s_target_auth(struct k8s_target *);
/* After a 401: re-read the token file now. 1 if the token changed. */
int	 k8s_target_reauth(struct k8s_target *);

#endif
