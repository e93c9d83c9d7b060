/* k8s-target.h: one Kubernetes API server as seen by a backend: its
 * config and token, TLS context, and resolved address (refreshed off the
 * loop). Refcounted so that streams may outlive the backend object. */
#ifndef DG_K8S_TARGET_H
#define DG_K8S_TARGET_H

#include <sys/socket.h>

#include <pthread.h>
#include <stddef.h>

struct loop;
struct loop_timer;
struct k8s_config;
struct k8s_tls;

#define K8S_RESOLVE_REFRESH_MS	(5 * 60 * 1000)
#define K8S_TARGET_ADDRS	8	/* addresses kept per host name */

struct k8s_addrs {
	struct sockaddr_storage	 sa[K8S_TARGET_ADDRS];
	socklen_t		 len[K8S_TARGET_ADDRS];
	size_t			 n;
};

struct k8s_target {
	struct loop		*loop;		/* not owned */
	struct k8s_config	*cfg;		/* owned */
	struct k8s_tls		*tls;		/* NULL for http:// */
	struct k8s_addrs	 addrs;		/* where streams connect, in
						   getaddrinfo's order */
	size_t			 preferred;	/* index that worked last */
	char			*host_header;	/* Host: value */
	char			*verify_name;	/* certificate name */
	char			*auth;		/* "Bearer ...", secret */
	unsigned		 auth_gen;	/* cfg->token_gen it matches */
	struct loop_timer	*refresh;	/* re-resolve a host name */
	int			 resolving;	/* helper thread running */
	int			 refs;
};

/* Takes ownership of cfg on success. Resolves a host name once, here
 * (blocking: call at start-up); later refreshes run on a thread. */
int	 k8s_target_new(struct loop *, struct k8s_config *,
	    struct k8s_target **, char *err, size_t errlen);
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
