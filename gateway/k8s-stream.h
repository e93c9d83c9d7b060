/* k8s-stream.h: pods/exec and pods/portforward streams over WebSocket
 * (v5/v4.channel.k8s.io): the upgrade, the channel protocol, and the
 * struct bstream operations of the Kubernetes backend. */
#ifndef DG_K8S_STREAM_H
#define DG_K8S_STREAM_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "gateway/backend.h"

struct k8s_target;

#define K8S_EXEC_PROTOCOLS	"v5.channel.k8s.io, v4.channel.k8s.io"
#define K8S_PF_PROTOCOLS	"v4.channel.k8s.io"

struct k8s_stream_opts {
	int		 ping_ms;	/* our WebSocket Ping period, 0: none */
	int		 connect_ms;	/* connect + TLS + upgrade deadline */
	size_t		 sendq_max;	/* bytes queued for the server */
	uint64_t	 max_msg;	/* largest data message accepted */
	int		 exec_v4_only;	/* offer only v4.channel.k8s.io (tests,
					   servers with a broken v5) */
};

/* Defaults: Ping every 30 s, 15 s to connect, 256 KiB queue, 16 MiB. */
void	 k8s_stream_opts_default(struct k8s_stream_opts *);

/*
 * Delivery: one data() call carries at most one socket read (128 KiB);
 * after pause(1), even from inside data(), no further data() comes until
 * pause(0) (the rest of that read waits in the stream). write() takes at
 * most sendq_max bytes beyond what the socket has taken; drain() follows a
 * short write once the queue is down to a quarter.
 */

/* Start an exec stream into pod (namespace ns). ops is the backend's
 * table (for the struct bstream dispatch). */
int	 k8s_stream_exec(struct k8s_target *, const struct k8s_stream_opts *,
	    const struct backend_ops *, const char *ns, const char *pod,
	    const struct bexec_spec *, const struct bstream_cbs *, void *arg,
	    struct bstream **);
/* Start a port-forward stream to port of pod: one TCP connection. */
int	 k8s_stream_portforward(struct k8s_target *,
	    const struct k8s_stream_opts *, const struct backend_ops *,
	    const char *ns, const char *pod, uint16_t port,
	    const struct bstream_cbs *, void *arg, struct bstream **);

/* The struct bstream operations (see backend.h). */
ssize_t	 k8s_stream_write(struct bstream *, const void *, size_t);
int	 k8s_stream_close_stdin(struct bstream *);
int	 k8s_stream_resize(struct bstream *, unsigned cols, unsigned rows);
void	 k8s_stream_pause(struct bstream *, int paused);
void	 k8s_stream_close(struct bstream *);

/* The negotiated subprotocol ("" before the upgrade), for tests/logs. */
const char *k8s_stream_protocol(const struct bstream *);

#endif
