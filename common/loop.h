/* loop.h: a small single-threaded event loop: fds (epoll), timers, deferred
 * work, signals, and posts from helper threads. */
#ifndef DG_LOOP_H
#define DG_LOOP_H

#include <stdint.h>

struct loop;
struct loop_fd;
struct loop_timer;

#define LOOP_READ  0x1
#define LOOP_WRITE 0x2
#define LOOP_ERROR 0x4	/* hang-up or error; also reported as readable */

typedef void loop_fd_cb(int fd, int events, void *arg);
typedef void loop_cb(void *arg);

struct loop *loop_new(void);
/* Frees the loop; every fd and timer must have been removed first. */
void	 loop_free(struct loop *);
/* Runs until loop_stop() is called; returns 0 or a DG_ERR_*. */
int	 loop_run(struct loop *);
/* One iteration: wait at most timeout_ms (-1 = until an event). */
int	 loop_run_once(struct loop *, int timeout_ms);
void	 loop_stop(struct loop *);
/* Monotonic milliseconds, updated once per iteration. */
uint64_t loop_now(struct loop *);
/* Monotonic milliseconds, read from the clock now. */
uint64_t loop_clock_ms(void);

/* Watch fd for events (LOOP_READ|LOOP_WRITE). The callback may remove or
 * change any registration, its own included. */
struct loop_fd *loop_fd_add(struct loop *, int fd, int events, loop_fd_cb *,
	    void *arg);
int	 loop_fd_set(struct loop_fd *, int events);
int	 loop_fd_events(const struct loop_fd *);
/* Stop watching; the fd itself is not closed. NULL is fine. */
void	 loop_fd_del(struct loop_fd *);

/* One-shot timers, re-armable. */
struct loop_timer *loop_timer_new(struct loop *, loop_cb *, void *arg);
void	 loop_timer_start(struct loop_timer *, uint64_t delay_ms);
void	 loop_timer_stop(struct loop_timer *);
int	 loop_timer_pending(const struct loop_timer *);
void	 loop_timer_free(struct loop_timer *);

/* Run cb(arg) on the loop thread before it next sleeps (tmux/redis style
 * deferred work: frees, batched writes). */
void	 loop_defer(struct loop *, loop_cb *, void *arg);

/* Thread-safe: queue cb(arg) to run on the loop thread (results from
 * helper threads such as PAM conversations). Returns 0 or DG_ERR_*. */
int	 loop_post(struct loop *, loop_cb *, void *arg);

/* Deliver signal signo through the loop instead of a handler (signalfd).
 * The signal is blocked in the calling thread. */
int	 loop_signal(struct loop *, int signo, loop_cb *, void *arg);
/* Forget every loop_signal registration and unblock them (after fork). */
void	 loop_signal_reset(struct loop *);

#endif
