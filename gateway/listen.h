/* listen.h: listening sockets (one SO_REUSEPORT socket per address and
 * worker slot, owned by the supervisor), accepted-socket options, and the
 * MaxStartups limit counted across all workers in shared memory. */
#ifndef DG_LISTEN_H
#define DG_LISTEN_H

#include <sys/socket.h>

#include <stddef.h>

#include "gateway/servconf.h"

#define LISTEN_SHARED_MAX	1024	/* worker processes alive at once */

struct listen_shared;

/* Shared memory (MAP_SHARED, survives fork) for the counters. */
struct listen_shared *listen_shared_new(void);
void	 listen_shared_free(struct listen_shared *);
/* A free counter for a new worker (0 set), or -1. */
int	 listen_shared_alloc(struct listen_shared *);
void	 listen_shared_release(struct listen_shared *, int idx);
/* The worker's own count of unauthenticated connections. */
void	 listen_shared_set(struct listen_shared *, int idx, int count);
/* Sum over every worker. */
int	 listen_shared_total(const struct listen_shared *);

/* sshd's MaxStartups rule: 1 refuse, 0 accept, for current unauthenticated
 * connections; rnd is uniform in [0, 100). Pure. */
int	 listen_maxstartups_refuse(const struct maxstartups *, int current,
	    int rnd);

/* A bound, listening, non-blocking, close-on-exec SO_REUSEPORT socket. */
int	 listen_open(const struct listen_addr *, int *fdp, char *err,
	    size_t errlen);
/* TCP_NODELAY and keepalive on an accepted socket. */
void	 listen_tune(int fd);
/* Numeric text of an address and its port. */
void	 listen_addr_text(const struct sockaddr *, char *buf, size_t len,
	    int *portp);

#endif
