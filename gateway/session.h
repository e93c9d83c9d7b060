/* session.h: one SSH connection: key exchange, the hand-off to auth/,
 * routing to an environment, its channels, limits and teardown. libssh is
 * driven in message-queue mode (no server callbacks), one ssh_event per
 * session, polled from the worker's epoll loop. */
#ifndef DG_SESSION_H
#define DG_SESSION_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <libssh/libssh.h>

#include "auth/auth.h"
#include "gateway/backend.h"
#include "gateway/route.h"
#include "gateway/servconf.h"

struct worker;
struct channel;
struct loop_fd;
struct loop_timer;
struct envcache_op;
struct envdir_check;

enum session_state {
	SESS_KEX = 0,		/* key exchange, service request */
	SESS_AUTH,		/* authenticating */
	SESS_OPEN,		/* authenticated */
	SESS_CLOSED,		/* torn down, waiting to be freed */
};

enum session_env_state {
	SENV_NONE = 0,		/* not asked yet */
	SENV_PENDING,		/* routing and finding the environment */
	SENV_READY,		/* instance known and running */
	SENV_FAILED,		/* env_msg/env_exit say what to tell */
};

TAILQ_HEAD(channel_list, channel);

/* An environment's access list, copied from the directory. */
struct session_acl {
	int			 set;
	char			 name[SERVCONF_ENV_MAX + 1];
	char			 owner[SERVCONF_USER_MAX + 1];
	char			 team[SERVCONF_ENV_MAX + 1];
	char		       **members;
	size_t			 nmembers;
	struct auth_env_acl	 acl;		/* points into the above */
};

struct session {
	struct worker		*w;		/* parent, not owned */
	TAILQ_ENTRY(session)	 entry;
	char			 id[32];	/* "s1234.7" */
	int			 fd;
	ssh_session		 ssh;
	ssh_event		 ev;
	struct loop_fd		*reg;
	int			 io_events;	/* LOOP_* registered */
	struct loop_timer	*grace;		/* LoginGraceTime */
	struct loop_timer	*alive;		/* ClientAliveInterval */
	struct loop_timer	*delay;		/* penalty delay before kex */
	enum session_state	 state;
	int			 refs;		/* the loop's and deferred
						   pumps' */
	int			 pump_scheduled;
	int			 in_pump;	/* re-entrancy guard */
	int			 pump_again;
	int			 closing;	/* teardown requested */
	uint64_t		 last_rx_ms;	/* bytes from the client */
	int			 alive_missed;
	uint64_t		 started_ms;

	struct sockaddr_storage	 peer_ss;
	socklen_t		 peer_len;
	char			 addr[46];	/* client address */
	int			 port;
	char			 laddr[46];	/* dialled address */
	int			 lport;

	/* Authentication. */
	char			 ssh_user[128];	/* as the client sent it */
	struct route_user	 ru;		/* login user and named env */
	int			 user_ok;	/* ru parsed */
	struct auth_peer	 peer;		/* points into this struct */
	char		       **groups;
	size_t			 ngroups;
	struct gateway_config	 gwc;		/* effective config of this */
	struct auth_config	 authc;		/* connection (Match) */
	int			 have_conf;
	struct auth_methods	*methods;
	struct auth_op		*aop;		/* pending publickey/PAM op */
	struct auth_kbdint	*kbd;		/* PAM conversation */
	ssh_message		 held;		/* auth message awaiting op */
	struct auth_grant	*pending_grant;	/* publickey grant awaiting
						   PAM account check */
	struct auth_grant	*grant;		/* of the completed login */
	int			 auth_tries;	/* failed attempts */
	int			 auth_attempted;	/* 1 tried, 0 not, -1
						   penalty already recorded */
	int			 account_ok;	/* PAM account passed */
	char			 methods_done[128];
	char			 fail_reason[160];

	/* The environment. */
	enum session_env_state	 env_state;
	struct backend_op	*bop;		/* list() in flight */
	struct envcache_op	*eop;		/* find() in flight */
	struct envdir_check	*echk;		/* the registry looking again */
	int			 env_checked;	/* it did, for laddr */
	char			 env[SERVCONF_ENV_MAX + 1];
	char			 owner[SERVCONF_USER_MAX + 1];
	struct session_acl	 acl;		/* who may reach env */
	struct env_info		 info;		/* from the backend */
	char			 env_msg[256];	/* one line for the client */
	int			 env_exit;	/* exit status with env_msg */
	enum route_how		 how;

	/* Channels. */
	struct channel_list	 channels;
	int			 nsessions;	/* session channels open */
	int			 next_chan;
	ssh_message		 chan_held;	/* channel message awaiting
						   the environment or a
						   stream */
	struct channel		*chan_held_c;
};

/* Accept side: a new connection (fd is owned from here). */
int	 session_new(struct worker *, int fd, const struct sockaddr *,
	    socklen_t, unsigned delay_ms);
/* Tear down now: channels, streams, pending ops; logs reason once. */
void	 session_close(struct session *, const char *reason);
/* Run libssh, the message queue and every channel until idle. Safe to
 * call from any callback (re-entry is turned into another pass). */
void	 session_pump(struct session *);
/* Pump before the loop next sleeps (from stream/libssh callbacks). */
void	 session_schedule_pump(struct session *);
/* Free a closed session (worker teardown). */
void	 session_free(struct session *);
/* SIGTERM grace expired or the worker stops: tell the client, close. */
void	 session_shutdown(struct session *, const char *msg);

/* session-auth.c */
void	 session_auth_message(struct session *, ssh_message);
void	 session_auth_cancel(struct session *);
/* The effective config (Match) for this connection and env (or NULL). */
int	 session_conf_apply(struct session *, const char *env);
void	 session_conf_free(struct session *);

/* session-env.c: resolve the environment after login. */
void	 session_env_start(struct session *);
void	 session_env_cancel(struct session *);
void	 session_env_free(struct session *);
/* The env ACL in auth's terms (valid while the session lives). */
const struct auth_env_acl *session_env_acl(struct session *);

/* Logging with the session prefix: "s12.3 alice@10.0.0.5 env=x: ...". */
void	 session_log(struct session *, int level, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
