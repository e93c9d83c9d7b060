/* channel.h: the SSH channels of a session: open and request dispatch,
 * the relay between an SSH channel and a backend stream with bounded
 * buffers both ways, and the end of a channel in sshd's order (output,
 * exit-status or exit-signal, EOF, close). */
#ifndef DG_CHANNEL_H
#define DG_CHANNEL_H

#include <sys/queue.h>

#include <stdint.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>

#include "auth/auth.h"
#include "common/bufq.h"
#include "gateway/backend.h"
#include "gateway/execwrap.h"

struct session;
struct envcache_op;

/* Output waiting for the SSH window: pause the stream above HIGH, resume
 * at LOW; MAX leaves room for what a paused stream still delivers. */
#define CHANNEL_OUT_HIGH	(256 * 1024)
#define CHANNEL_OUT_LOW		(64 * 1024)
#define CHANNEL_OUT_MAX		(4 * 1024 * 1024)
#define CHANNEL_IN_CHUNK	(64 * 1024)
#define CHANNEL_WRITE_GATHER	(128 * 1024)	/* bytes per SSH write */
#define CHANNEL_OUT_CHUNK	(64 * 1024)	/* stdout queue chunk */
#define CHANNEL_WRITE_RUN	(32 * 1024)	/* a run this long is written
						   in place, not gathered */
#define CHANNEL_MAX_ENV		64

/* direct-tcpip (chan-forward.c): target length, forwards at once per
 * connection (not counted in MaxSessions, as sshd), and the quiet time
 * after the upgrade that counts as "connected" (see chan-forward.c). */
#define CHAN_FORWARD_HOST_MAX	255
#define CHAN_FORWARD_MAX	256
#define CHAN_FORWARD_SETTLE_MIN	50
#define CHAN_FORWARD_SETTLE_MAX	500

struct channel_sig;
struct chan_fwd;

struct channel {
	struct session		*s;		/* parent, not owned */
	TAILQ_ENTRY(channel)	 entry;
	int			 id;		/* for logs */
	ssh_channel		 ch;
	struct ssh_channel_callbacks_struct cb;
	enum auth_chan		 kind;		/* SESSION until started */
	char			*detail;	/* command, for logs/audit */
	int			 counted;	/* in s->nsessions */
	struct chan_fwd		*fwd;		/* direct-tcpip state */

	/* Requests before the start. */
	int			 pty;
	char			 term[64];
	unsigned		 cols, rows;
	char			*env[CHANNEL_MAX_ENV + 1];	/* NAME=value */
	int			 nenv;

	/* The stream. */
	struct bstream		*bs;
	char		       **argv;		/* of the exec, for a retry */
	int			 retried;
	int			 started;	/* shell/exec/subsystem taken */
	int			 bs_open;
	int			 bs_ended;	/* exit() or error() came */
	struct execwrap_filter	 filter;
	int			 filtering;
	long			 pid;		/* from the marker, 0 unknown */
	int			 delivered_sig;
	char			 pending_sig[16];
	struct channel_sig	*sigs;

	/* Relay. */
	struct bufq		 out;		/* stdout waiting for window */
	struct bufq		 err;		/* stderr waiting for window */
	int			 out_paused;
	unsigned char		*inbuf;		/* client bytes the stream */
	size_t			 inlen;		/* has not taken yet */
	int			 in_blocked;	/* short write: wait drain() */
	int			 in_drain;	/* read what libssh holds */
	int			 ssh_eof;	/* client sent EOF */
	int			 stdin_closed;
	int			 ssh_closed;	/* client closed the channel */

	/* The end. */
	struct envcache_op	*eop;		/* is the environment still
						   there? (killed process) */
	int			 exit_ready;
	int			 exit_status;
	const char		*exit_signal;
	char			*final_msg;	/* one stderr line first */
	int			 done;		/* exit/EOF/close sent */
	uint64_t		 bytes_in, bytes_out, started_ms;
};

/* session.c hands over every channel message (msg owned). */
void	 channel_open_message(struct session *, ssh_message);
void	 channel_request_message(struct session *, ssh_message);
/* Flush output, pass EOF, finish channels that ended. */
void	 channel_pump_all(struct session *);
/* The environment is known (ready or failed): resume held requests. */
void	 channel_env_ready(struct session *);
/* A stderr line to every session channel (shutdown notice). */
void	 channel_notify_all(struct session *, const char *msg);
/* Close every stream (session teardown); SSH objects stay for free. */
void	 channel_close_all(struct session *);
void	 channel_free_all(struct session *);

/* Used by chan-session.c. */
/* Start a stream for c with argv; holds msg until open or error. */
int	 channel_start(struct channel *, ssh_message, enum auth_chan,
	    char **argv, int filter);
/* Finish with a line on stderr and an exit status, no stream. */
void	 channel_fail(struct channel *, const char *line, int status);

/* Used by chan-forward.c. */
/* A channel of kind for s, in its list, with no SSH channel yet. */
struct channel *channel_create(struct session *, enum auth_chan);
/* The SSH channel is open: relay through c from now on. */
void	 channel_attach(struct channel *, ssh_channel);
/* The relay's stream callbacks (output, room for input again). */
void	 channel_stream_data(void *arg, int fd, const void *, size_t);
void	 channel_stream_drain(void *arg);

/* chan-forward.c */
void	 chan_forward_open(struct session *, ssh_message);
/* An open not answered yet: 0 wait, 1 accepted (relay), -1 refused
 * (release the channel). */
int	 chan_forward_pending(struct channel *);
void	 chan_forward_free(struct channel *);
/* Pure: does host name the environment env itself (localhost, 127.0.0.1,
 * ::1, env, env.zone)? zone may be NULL. */
int	 chan_forward_target_ok(const char *host, const char *env,
	    const char *zone);
/* Pure: the quiet time after an upgrade that took upgrade_ms. */
uint64_t chan_forward_settle_ms(uint64_t upgrade_ms);

/* chan-session.c */
void	 chan_session_request(struct channel *, ssh_message);
void	 chan_session_deliver_signal(struct channel *);
void	 chan_session_close_signals(struct channel *);

#endif
