/* loop.c: a small single-threaded event loop: fds (epoll), timers, deferred
 * work, signals, and posts from helper threads. */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "loop.h"
#include "xmalloc.h"

struct loop_fd {
	struct loop	*loop;	/* parent, not owned */
	int		 fd;
	int		 events;	/* LOOP_READ | LOOP_WRITE wanted */
	loop_fd_cb	*cb;
	void		*arg;
	int		 dead;	/* deleted; freed before the next wait */
	struct loop_fd	*next_dead;
};

struct loop_timer {
	struct loop	*loop;	/* parent, not owned */
	loop_cb		*cb;
	void		*arg;
	uint64_t	 when;	/* absolute ms */
	size_t		 slot;	/* index in the heap, or SIZE_MAX */
};

struct loop_work {
	loop_cb		 *cb;
	void		 *arg;
	struct loop_work *next;
};

struct loop_sig {
	int		 signo;
	loop_cb		*cb;
	void		*arg;
};

struct loop {
	int		   epfd;
	int		   stop;
	uint64_t	   now;
	struct loop_timer **heap;	/* min-heap on when */
	size_t		   nheap, heapcap;
	struct loop_work  *defer_head, **defer_tail;
	struct loop_fd	  *dead;	/* registrations waiting to be freed */

	int		   postfd;	/* eventfd for loop_post */
	struct loop_fd	  *postreg;
	pthread_mutex_t	   postlock;
	struct loop_work  *post_head, **post_tail;

	int		   sigfd;
	struct loop_fd	  *sigreg;
	sigset_t	   sigmask;
	struct loop_sig	   sigs[16];
	size_t		   nsigs;
};

uint64_t
loop_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void loop_post_ready(int, int, void *);

struct loop *
loop_new(void)
{
	struct loop *l = xcalloc(1, sizeof(*l));

	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	l->defer_tail = &l->defer_head;
	l->post_tail = &l->post_head;
	l->sigfd = -1;
	sigemptyset(&l->sigmask);
	pthread_mutex_init(&l->postlock, NULL);
	l->postfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->postfd < 0 ||
	    (l->postreg = loop_fd_add(l, l->postfd, LOOP_READ, loop_post_ready,
	    l)) == NULL) {
		if (l->postfd >= 0)
			close(l->postfd);
		close(l->epfd);
		free(l);
		return NULL;
	}
	l->now = loop_clock_ms();
	return l;
}

static void
loop_reap_dead(struct loop *l)
{
	struct loop_fd *r;

	while ((r = l->dead) != NULL) {
		l->dead = r->next_dead;
		free(r);
	}
}

void
loop_free(struct loop *l)
{
	struct loop_work *w;

	if (l == NULL)
		return;
	loop_signal_reset(l);
	loop_fd_del(l->postreg);
	loop_reap_dead(l);
	close(l->postfd);
	close(l->epfd);
	while ((w = l->defer_head) != NULL) {
		l->defer_head = w->next;
		free(w);
	}
	while ((w = l->post_head) != NULL) {
		l->post_head = w->next;
		free(w);
	}
	pthread_mutex_destroy(&l->postlock);
	free(l->heap);
	free(l);
}

uint64_t
loop_now(struct loop *l)
{
	return l->now;
}

void
loop_stop(struct loop *l)
{
	l->stop = 1;
}

static uint32_t
loop_epoll_events(int events)
{
	uint32_t e = 0;

	if (events & LOOP_READ)
		e |= EPOLLIN | EPOLLRDHUP;
	if (events & LOOP_WRITE)
		e |= EPOLLOUT;
	return e;
}

struct loop_fd *
loop_fd_add(struct loop *l, int fd, int events, loop_fd_cb *cb, void *arg)
{
	struct loop_fd *r = xcalloc(1, sizeof(*r));
	struct epoll_event ev;

	r->loop = l;
	r->fd = fd;
	r->events = events & (LOOP_READ | LOOP_WRITE);
	r->cb = cb;
	r->arg = arg;
	memset(&ev, 0, sizeof(ev));
	ev.events = loop_epoll_events(r->events);
	ev.data.ptr = r;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		free(r);
		return NULL;
	}
	return r;
}

int
loop_fd_set(struct loop_fd *r, int events)
{
	struct epoll_event ev;

	events &= LOOP_READ | LOOP_WRITE;
	if (r->dead)
		return DG_ERR_INVAL;
	if (events == r->events)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.events = loop_epoll_events(events);
	ev.data.ptr = r;
	if (epoll_ctl(r->loop->epfd, EPOLL_CTL_MOD, r->fd, &ev) != 0)
		return DG_ERR_SYSTEM;
	r->events = events;
	return 0;
}

int
loop_fd_events(const struct loop_fd *r)
{
	return r->events;
}

void
loop_fd_del(struct loop_fd *r)
{
	if (r == NULL || r->dead)
		return;
	/* The fd may already be closed by its owner; ignore that error. */
	epoll_ctl(r->loop->epfd, EPOLL_CTL_DEL, r->fd, NULL);
	r->dead = 1;
	r->next_dead = r->loop->dead;
	r->loop->dead = r;
}

/* Timer heap. */

static void
loop_heap_swap(struct loop *l, size_t a, size_t b)
{
	struct loop_timer *t = l->heap[a];

	l->heap[a] = l->heap[b];
	l->heap[b] = t;
	l->heap[a]->slot = a;
	l->heap[b]->slot = b;
}

static void
loop_heap_up(struct loop *l, size_t i)
{
	while (i > 0 && l->heap[(i - 1) / 2]->when > l->heap[i]->when) {
		loop_heap_swap(l, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
loop_heap_down(struct loop *l, size_t i)
{
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= l->nheap)
			break;
		if (c + 1 < l->nheap && l->heap[c + 1]->when < l->heap[c]->when)
			c++;
		if (l->heap[i]->when <= l->heap[c]->when)
			break;
		loop_heap_swap(l, i, c);
		i = c;
	}
}

static void
loop_heap_remove(struct loop *l, size_t i)
{
	l->heap[i]->slot = SIZE_MAX;
	l->nheap--;
	if (i == l->nheap)
		return;
	l->heap[i] = l->heap[l->nheap];
	l->heap[i]->slot = i;
	loop_heap_down(l, i);
	loop_heap_up(l, i);
}

struct loop_timer *
loop_timer_new(struct loop *l, loop_cb *cb, void *arg)
{
	struct loop_timer *t = xcalloc(1, sizeof(*t));

	t->loop = l;
	t->cb = cb;
	t->arg = arg;
	t->slot = SIZE_MAX;
	return t;
}

void
loop_timer_start(struct loop_timer *t, uint64_t delay_ms)
{
	struct loop *l = t->loop;

	loop_timer_stop(t);
	t->when = loop_clock_ms() + delay_ms;
	if (l->nheap == l->heapcap) {
		l->heapcap = l->heapcap ? l->heapcap * 2 : 64;
		l->heap = xreallocarray(l->heap, l->heapcap, sizeof(*l->heap));
	}
	t->slot = l->nheap;
	l->heap[l->nheap++] = t;
	loop_heap_up(l, t->slot);
}

void
loop_timer_stop(struct loop_timer *t)
{
	if (t != NULL && t->slot != SIZE_MAX)
		loop_heap_remove(t->loop, t->slot);
}

int
loop_timer_pending(const struct loop_timer *t)
{
	return t->slot != SIZE_MAX;
}

void
loop_timer_free(struct loop_timer *t)
{
	if (t == NULL)
		return;
	loop_timer_stop(t);
	free(t);
}

static void
loop_run_timers(struct loop *l)
{
	struct loop_timer *t;

	while (l->nheap > 0 && l->heap[0]->when <= l->now) {
		t = l->heap[0];
		loop_heap_remove(l, 0);
		t->cb(t->arg);
	}
}

/* Deferred work and posts. */

void
loop_defer(struct loop *l, loop_cb *cb, void *arg)
{
	struct loop_work *w = xmalloc(sizeof(*w));

	w->cb = cb;
	w->arg = arg;
	w->next = NULL;
	*l->defer_tail = w;
	l->defer_tail = &w->next;
}

static void
loop_run_deferred(struct loop *l)
{
	struct loop_work *w;

	/* Work deferred by deferred work runs in this same pass. */
	while ((w = l->defer_head) != NULL) {
		l->defer_head = w->next;
		if (l->defer_head == NULL)
			l->defer_tail = &l->defer_head;
		w->cb(w->arg);
		free(w);
	}
}

int
loop_post(struct loop *l, loop_cb *cb, void *arg)
{
	struct loop_work *w = malloc(sizeof(*w));
	uint64_t one = 1;

	if (w == NULL)
		return DG_ERR_NOMEM;
	w->cb = cb;
	w->arg = arg;
	w->next = NULL;
	pthread_mutex_lock(&l->postlock);
	*l->post_tail = w;
	l->post_tail = &w->next;
	pthread_mutex_unlock(&l->postlock);
	if (write(l->postfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return DG_ERR_SYSTEM;
	return 0;
}

static void
loop_post_ready(int fd, int events, void *arg)
{
	struct loop *l = arg;
	struct loop_work *w, *list;
	uint64_t n;

	(void)events;
	while (read(fd, &n, sizeof(n)) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&l->postlock);
	list = l->post_head;
	l->post_head = NULL;
	l->post_tail = &l->post_head;
	pthread_mutex_unlock(&l->postlock);
	while ((w = list) != NULL) {
		list = w->next;
		w->cb(w->arg);
		free(w);
	}
}

/* Signals. */

static void
loop_signal_ready(int fd, int events, void *arg)
{
	struct loop *l = arg;
	struct signalfd_siginfo si;
	size_t i;

	(void)events;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		for (i = 0; i < l->nsigs; i++)
			if (l->sigs[i].signo == (int)si.ssi_signo)
				l->sigs[i].cb(l->sigs[i].arg);
	}
}

int
loop_signal(struct loop *l, int signo, loop_cb *cb, void *arg)
{
	int fd;

	if (l->nsigs == sizeof(l->sigs) / sizeof(l->sigs[0]))
		return DG_ERR_LIMIT;
	sigaddset(&l->sigmask, signo);
	if (pthread_sigmask(SIG_BLOCK, &l->sigmask, NULL) != 0)
		return DG_ERR_SYSTEM;
	fd = signalfd(l->sigfd, &l->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return DG_ERR_SYSTEM;
	if (l->sigfd < 0) {
		l->sigfd = fd;
		l->sigreg = loop_fd_add(l, fd, LOOP_READ, loop_signal_ready, l);
		if (l->sigreg == NULL)
			return DG_ERR_SYSTEM;
	}
	l->sigs[l->nsigs].signo = signo;
	l->sigs[l->nsigs].cb = cb;
	l->sigs[l->nsigs].arg = arg;
	l->nsigs++;
	return 0;
}

void
loop_signal_reset(struct loop *l)
{
	if (l->sigfd < 0)
		return;
	loop_fd_del(l->sigreg);
	l->sigreg = NULL;
	close(l->sigfd);
	l->sigfd = -1;
	pthread_sigmask(SIG_UNBLOCK, &l->sigmask, NULL);
	sigemptyset(&l->sigmask);
	l->nsigs = 0;
}

/* The loop. */

int
loop_run_once(struct loop *l, int timeout_ms)
{
	struct epoll_event evs[64];
	struct loop_fd *r;
	int n, i, events, wait_ms;
	uint64_t next;

	loop_run_deferred(l);
	loop_reap_dead(l);
	wait_ms = timeout_ms;
	/* Deferred work may have stopped the loop: do not sleep then. */
	if (l->defer_head != NULL || l->stop)
		wait_ms = 0;
	else if (l->nheap > 0) {
		l->now = loop_clock_ms();
		next = l->heap[0]->when;
		next = next > l->now ? next - l->now : 0;
		if (wait_ms < 0 || next < (uint64_t)wait_ms)
			wait_ms = next > 60000 ? 60000 : (int)next;
	}
	n = epoll_wait(l->epfd, evs, sizeof(evs) / sizeof(evs[0]), wait_ms);
	if (n < 0 && errno != EINTR)
		return DG_ERR_SYSTEM;
	l->now = loop_clock_ms();
	for (i = 0; i < n; i++) {
		r = evs[i].data.ptr;
		if (r->dead)
			continue;
		events = 0;
		if (evs[i].events & (EPOLLIN | EPOLLRDHUP))
			events |= LOOP_READ;
		if (evs[i].events & EPOLLOUT)
			events |= LOOP_WRITE;
		if (evs[i].events & (EPOLLERR | EPOLLHUP))
			events |= LOOP_ERROR | LOOP_READ;
		r->cb(r->fd, events, r->arg);
	}
	loop_run_timers(l);
	return 0;
}

int
loop_run(struct loop *l)
{
	int r;

	l->stop = 0;
	while (!l->stop)
		if ((r = loop_run_once(l, -1)) != 0)
			return r;
	loop_run_deferred(l);
	loop_reap_dead(l);
	return 0;
}
