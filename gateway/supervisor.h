/* supervisor.h: the devgate supervisor process: listening sockets, worker
 * processes (fork, restart with backoff), SIGHUP reload without dropping
 * sessions, SIGTERM graceful stop. */
#ifndef DG_SUPERVISOR_H
#define DG_SUPERVISOR_H

#include "gateway/servconf.h"

struct supervisor_opts {
	const char	*config_path;	/* NULL: the embedded default */
	int		 foreground;	/* -D / -d: do not detach */
	int		 log_stderr;	/* -e */
	int		 debug;		/* -d count: overrides LogLevel */
};

/* Runs until SIGTERM/SIGINT and every worker has ended. cf is the loaded
 * configuration, allocated with malloc: the supervisor owns it from here
 * and frees it (on reload, and at the end). */
int	 supervisor_main(struct servconf *cf, const struct supervisor_opts *);

#endif
