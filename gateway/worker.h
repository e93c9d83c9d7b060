/* worker.h: one worker process: a single-threaded loop that accepts SSH
 * connections on the listening sockets it inherited and runs their
 * sessions; shared objects every session uses. */
#ifndef DG_WORKER_H
#define DG_WORKER_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "gateway/servconf.h"

struct loop;
struct loop_fd;
struct loop_timer;
struct backend;
struct auth_ctx;
struct auth_penalty;
struct envdir;
struct envcache;
struct resolver;
struct listen_shared;
struct session;
struct ssh_bind_struct;

struct worker_args {
	const struct servconf	*cf;
	const int		*fds;		/* listening sockets (this
						   worker's slot) */
	size_t			 nfds;
	struct listen_shared	*shared;	/* MaxStartups counters */
	int			 shared_idx;	/* this worker's counter */
	struct auth_penalty	*penalty;	/* shared penalty table, or
						   NULL */
	int			 slot;
	unsigned		 generation;
};

TAILQ_HEAD(session_list, session);

struct worker {
	struct loop		*loop;
	const struct servconf	*cf;
	const struct gateway_config *gw;	/* &cf->gw */
	struct ssh_bind_struct	*bind;
	struct backend		*backend;
	struct auth_ctx		*auth;
	struct resolver		*resolver;	/* the key server's name */
	struct envdir		*envdir;
	struct envcache		*envcache;	/* find() answers */
	struct listen_shared	*shared;
	int			 shared_idx;
	struct loop_fd		**lfds;		/* accept registrations */
	int			*fds;
	size_t			 nfds;
	struct session_list	 sessions;
	size_t			 nsessions;
	int			 nunauth;	/* not yet authenticated */
	uint64_t		 next_id;
	int			 retiring;	/* no new connections; exit
						   when sessions end */
	int			 stopping;	/* SIGTERM: grace, then close */
	struct loop_timer	*stop_timer;
	int			 slot;
};

/* Runs the worker until it is told to stop; returns the exit status. */
int	 worker_main(const struct worker_args *);

/* A session ended or authenticated: counters and retire/stop checks. */
void	 worker_session_gone(struct worker *, struct session *);
void	 worker_unauth_changed(struct worker *, int delta);

#endif
