/* k8s-stream-int.h: the stream object shared by k8s-stream.c (life
 * cycle, I/O), k8s-upgrade.c (HTTP upgrade) and k8s-channel.c (channel
 * protocol); private to those three files. */
#ifndef DG_K8S_STREAM_INT_H
#define DG_K8S_STREAM_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/bufq.h"
#include "common/loop.h"
#include "gateway/backend.h"
#include "gateway/k8s-stream.h"
#include "gateway/ws.h"

#define KS_HEAD_MAX	16384		/* response head */
#define KS_BODY_MAX	65536		/* error body, status, pf error */
#define KS_READ_SIZE	(128 * 1024)	/* one read from the socket */
#define KS_READ_BUDGET	(1024 * 1024)	/* bytes per wake-up, fairness */
#define KS_FRAME_MAX	(64 * 1024)	/* payload per frame we send */
#define KS_CTRL_ROOM	1024		/* queue room kept for control */

enum ks_kind {
	KS_EXEC,
	KS_PF,
};

enum ks_state {
	KS_CONNECTING,	/* TCP + TLS */
	KS_UPGRADE,	/* request sent, reading the response head */
	KS_ERRBODY,	/* non-101: reading the Status body */
	KS_OPEN,	/* WebSocket open */
	KS_DONE,	/* exit() or error() was delivered */
};

struct k8s_stream {
	struct bstream		 base;
	struct k8s_target	*target;	/* reference */
	struct k8s_stream_opts	 opts;
	enum ks_kind		 kind;
	enum ks_state		 state;
	struct k8s_conn		*conn;
	struct loop_timer	*timer;		/* deadline, then pings */
	struct bstream_cbs	 cbs;
	void			*arg;

	char			*path;		/* request path + query */
	const char		*protocols;	/* offered */
	char			 key[WS_KEY_LEN + 1];
	char			*req;		/* upgrade request, has token */
	size_t			 reqlen, reqoff;
	char			*head;		/* response head, then body */
	size_t			 headlen, headcap;
	struct ws_resp		 resp;
	char			 proto[64];	/* negotiated subprotocol */
	int			 v5;
	int			 retried;	/* re-authenticated once */
	size_t			 addr_idx;	/* server address in use */
	size_t			 addr_tries;	/* addresses tried so far */

	struct ws_rx		 rx;
	int			 channel;	/* of this message or -1 */
	uint8_t			 pf_prefix[2];	/* port bytes still to skip */
	uint8_t			*acc;		/* status / pf error text */
	size_t			 acclen;
	uint8_t			*stash;		/* input not yet processed */
	size_t			 stashlen, stashoff;

	struct bufq		 sendq;		/* framed, masked bytes */
	uint64_t		 prng;		/* masking keys */
	int			 tty;
	unsigned		 cols, rows;
	uint16_t		 port;

	uint64_t		 last_rx;	/* loop ms of the last input */
	int			 paused;
	int			 want_drain;	/* a write came up short */
	int			 flush_queued;	/* loop_defer pending */
	int			 resume_queued;
	int			 eof_pending;	/* close_stdin before upgrade */
	int			 stdin_closed;	/* ff 00 was queued */
	int			 sent_close;
	int			 dead;		/* closed by its owner */
	int			 deferred;	/* pending loop_defer calls */
};

/* k8s-stream.c */
void	 k8s_stream_fail(struct k8s_stream *, int err, const char *reason);
void	 k8s_stream_exit(struct k8s_stream *, int status, const char *msg);
void	 k8s_stream_flush(struct k8s_stream *);
void	 k8s_stream_stash(struct k8s_stream *, const uint8_t *, size_t);
void	 k8s_stream_opened(struct k8s_stream *);
int	 k8s_stream_connect(struct k8s_stream *);
void	 k8s_stream_defer(struct k8s_stream *, loop_cb *);
void	 k8s_stream_resume_deferred(void *);
void	 k8s_stream_queue_control(struct k8s_stream *, int opcode,
	    const void *, size_t);
void	 k8s_stream_send_eof(struct k8s_stream *);
void	 k8s_stream_goodbye(struct k8s_stream *);

/* k8s-upgrade.c */
void	 k8s_upgrade_start(struct k8s_stream *);
void	 k8s_upgrade_event(struct k8s_stream *, int events);

/* k8s-channel.c */
int	 k8s_channel_payload(struct k8s_stream *, const uint8_t *, size_t,
	    int msg_end);
void	 k8s_channel_close(struct k8s_stream *, const struct ws_ev *);
char	*k8s_channel_exec_path(const char *ns, const char *pod,
	    const struct bexec_spec *);
char	*k8s_channel_pf_path(const char *ns, const char *pod, uint16_t port);

#endif
