/* backend.h: the environment-backend interface (find, list, start, stop,
 * metrics, exec and port-forward streams); sessions and routing use only
 * this, so a single-host backend slots in beside the Kubernetes one. */
#ifndef DG_BACKEND_H
#define DG_BACKEND_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct loop;
struct backend;
struct backend_op;	/* a pending find/list/start/stop/metrics request */
struct bstream;		/* an exec or port-forward byte stream */

/*
 * Environments.
 */

enum env_phase {
	ENV_ABSENT = 0,	/* nothing runs for this environment */
	ENV_PENDING,	/* being scheduled, pulled, started */
	ENV_RUNNING,	/* ready: exec and port-forward work */
	ENV_STOPPING,	/* being deleted */
	ENV_FAILED,	/* ended or cannot start; see reason */
};

struct env_info {
	enum env_phase	 phase;
	char		 env[64];	/* environment name, e.g. alice-gpu */
	char		 owner[64];	/* owning user */
	char		 instance[254];	/* pod name (what exec targets) */
	char		 reason[64];	/* machine reason: OOMKilled,
					   Unschedulable, ImagePullBackOff */
	char		 message[512];	/* backend text, for logs only */
	int64_t		 started_at;	/* unix seconds, 0 if unknown */
	/* The last termination of the environment's main container. */
	char		 last_reason[64];	/* e.g. OOMKilled */
	int		 last_exit_code;	/* -1 if none */
	int64_t		 last_finished_at;	/* unix seconds, 0 if none */
	int64_t		 memory_limit;	/* bytes, 0 if none */
};

struct env_metrics {
	uint64_t	 cpu_nanocores;	/* average over window */
	uint64_t	 memory_bytes;	/* working set */
	int		 window_ms;
	int64_t		 timestamp;	/* unix seconds */
};

/* err is 0 or a DG_ERR_* (DG_ERR_NOTFOUND: no such environment). */
typedef void backend_info_cb(void *arg, int err, const struct env_info *);
/* The environments of one owner; n may be 0. */
typedef void backend_list_cb(void *arg, int err, const struct env_info *,
    size_t n);
typedef void backend_done_cb(void *arg, int err);
typedef void backend_metrics_cb(void *arg, int err, const struct env_metrics *);

/*
 * Streams: one exec'd process, or one forwarded TCP connection.
 */

struct bexec_spec {
	char *const	*argv;		/* NULL-terminated, run without a shell */
	int		 tty;		/* allocate a terminal (stderr merged) */
	unsigned	 cols, rows;	/* initial size when tty */
	const char	*container;	/* NULL: the default container */
};

struct bstream_exit {
	int		 status;	/* exit code 0-255, -1 if unknown */
	const char	*message;	/* backend text when status is -1 */
};

/*
 * Callbacks run on the loop. After exit() or error() no further callback
 * comes; the owner still calls bstream_close(). bstream_close() may be
 * called from inside any callback.
 */
struct bstream_cbs {
	/* Connected; writes before this are queued. */
	void	(*open)(void *arg);
	/* Output: fd 1 stdout (or forwarded data), fd 2 stderr. */
	void	(*data)(void *arg, int fd, const void *buf, size_t len);
	/* bstream_write() accepts data again after a short write. */
	void	(*drain)(void *arg);
	/* The process finished (all output was delivered first), or the
	 * forwarded connection closed (status 0). */
	void	(*exit)(void *arg, const struct bstream_exit *);
	/* The stream failed; reason is for the log, never for clients. */
	void	(*error)(void *arg, int err, const char *reason);
};

/*
 * What a backend implements. Every request function returns 0 and sets
 * *opp (cancellable until its callback runs), or a negative DG_ERR_*
 * without calling back.
 */
struct backend_ops {
	const char *name;	/* "kubernetes" */

	/* The environment env of user owner: its phase and instance. */
	int	(*find)(struct backend *, const char *env, const char *owner,
		    backend_info_cb *, void *, struct backend_op **);
	/* Every environment owned by owner. */
	int	(*list)(struct backend *, const char *owner, backend_list_cb *,
		    void *, struct backend_op **);
	/* Create the instance from a rendered spec (for Kubernetes: a Pod
	 * manifest, JSON text). */
	int	(*start)(struct backend *, const char *env, const char *owner,
		    const char *spec, backend_info_cb *, void *,
		    struct backend_op **);
	/* Delete the instance, with a grace period in seconds. */
	int	(*stop)(struct backend *, const char *env, const char *owner,
		    int grace_seconds, backend_done_cb *, void *,
		    struct backend_op **);
	/* Resource use of the running instance. */
	int	(*metrics)(struct backend *, const char *env, const char *owner,
		    backend_metrics_cb *, void *, struct backend_op **);
	/* Abort a pending request; its callback never runs. */
	void	(*op_cancel)(struct backend_op *);

	int	(*exec)(struct backend *, const char *instance,
		    const struct bexec_spec *, const struct bstream_cbs *,
		    void *, struct bstream **);
	int	(*portforward)(struct backend *, const char *instance,
		    uint16_t port, const struct bstream_cbs *, void *,
		    struct bstream **);
	/* Bytes accepted (0..len; short when the send queue is full, then
	 * drain() follows), or a negative DG_ERR_*. */
	ssize_t	(*write)(struct bstream *, const void *, size_t);
	/* End of input (SSH EOF). */
	int	(*close_stdin)(struct bstream *);
	int	(*resize)(struct bstream *, unsigned cols, unsigned rows);
	/* Stop (1) or resume (0) delivering data(): backpressure. */
	void	(*pause)(struct bstream *, int paused);
	/* Tear down; no callback after this. NULL is fine. */
	void	(*close)(struct bstream *);

	void	(*free)(struct backend *);
};

/* Implementations embed this as their first member. */
struct backend {
	const struct backend_ops *ops;
};

struct bstream {
	const struct backend_ops *ops;
};

/* Dispatch helpers: call through the ops table. */
#define backend_find(b, ...)	((b)->ops->find((b), __VA_ARGS__))
#define backend_list(b, ...)	((b)->ops->list((b), __VA_ARGS__))
#define backend_start(b, ...)	((b)->ops->start((b), __VA_ARGS__))
#define backend_stop(b, ...)	((b)->ops->stop((b), __VA_ARGS__))
#define backend_metrics(b, ...)	((b)->ops->metrics((b), __VA_ARGS__))
#define backend_exec(b, ...)	((b)->ops->exec((b), __VA_ARGS__))
#define backend_portforward(b, ...) ((b)->ops->portforward((b), __VA_ARGS__))

static inline void
backend_op_cancel(struct backend *b, struct backend_op *op)
{
	if (op != NULL)
		b->ops->op_cancel(op);
}

static inline void
backend_free(struct backend *b)
{
	if (b != NULL)
		b->ops->free(b);
}

static inline ssize_t
bstream_write(struct bstream *s, const void *buf, size_t len)
{
	return s->ops->write(s, buf, len);
}

static inline int
bstream_close_stdin(struct bstream *s)
{
	return s->ops->close_stdin(s);
}

static inline int
bstream_resize(struct bstream *s, unsigned cols, unsigned rows)
{
	return s->ops->resize(s, cols, rows);
}

static inline void
bstream_pause(struct bstream *s, int paused)
{
	s->ops->pause(s, paused);
}

static inline void
bstream_close(struct bstream *s)
{
	if (s != NULL)
		s->ops->close(s);
}

const char *env_phase_name(enum env_phase);

#endif
