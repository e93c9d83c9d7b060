/* worker.c: one worker process: its loop, libssh bind, backend, auth
 * context and environment directory; accepting connections with
 * MaxStartups and penalties; retiring on SIGHUP (finish sessions, take no
 * new ones) and stopping on SIGTERM (grace period, then a message). */
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh/libssh.h>
#include <libssh/server.h>

#include "auth/auth.h"
#include "common/err.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "gateway/backend-k8s.h"
#include "gateway/envcache.h"
#include "gateway/envdir.h"
#include "gateway/envdir-dns.h"
#include "gateway/hostkey.h"
#include "gateway/k8s-config.h"
#include "gateway/listen.h"
#include "gateway/resolver.h"
#include "gateway/session.h"
#include "gateway/worker.h"

#define WORKER_ACCEPT_BATCH	64

static void
worker_check_done(struct worker *w)
{
	if ((w->retiring || w->stopping) && w->nsessions == 0)
		loop_stop(w->loop);
}

void
worker_unauth_changed(struct worker *w, int delta)
{
	w->nunauth += delta;
	listen_shared_set(w->shared, w->shared_idx, w->nunauth);
}

void
worker_session_gone(struct worker *w, struct session *s)
{
	(void)s;
	worker_check_done(w);
}

static void
worker_accept(int lfd, int events, void *arg)
{
	struct worker *w = arg;
	struct sockaddr_storage ss;
	socklen_t len;
	char addr[64];
	const char *why;
	unsigned delay;
	int fd, i, port;

	(void)events;
	for (i = 0; i < WORKER_ACCEPT_BATCH; i++) {
		len = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_error("accept: %s", strerror(errno));
			return;
		}
		listen_addr_text((struct sockaddr *)&ss, addr, sizeof(addr),
		    &port);
		if (w->nsessions >= (size_t)w->gw->max_sessions) {
			log_info("refused %s port %d: MaxWorkerSessions (%d) "
			    "reached", addr, port, w->gw->max_sessions);
			close(fd);
			continue;
		}
		if (listen_maxstartups_refuse(&w->gw->maxstartups,
		    listen_shared_total(w->shared), (int)(random() % 100))) {
			log_info("refused %s port %d: MaxStartups (%d:%d:%d)",
			    addr, port, w->gw->maxstartups.start,
			    w->gw->maxstartups.rate, w->gw->maxstartups.full);
			close(fd);
			continue;
		}
		delay = 0;
		why = NULL;
		if (auth_penalty_check(w->auth, (struct sockaddr *)&ss, len,
		    &delay, &why) != 0) {
			log_info("refused %s port %d: %s", addr, port,
			    why != NULL ? why : "penalty");
			close(fd);
			continue;
		}
		listen_tune(fd);
		session_new(w, fd, (struct sockaddr *)&ss, len, delay);
	}
}

static void
worker_stop_listening(struct worker *w)
{
	size_t i;

	for (i = 0; i < w->nfds; i++) {
		loop_fd_del(w->lfds[i]);
		w->lfds[i] = NULL;
		if (w->fds[i] >= 0)
			close(w->fds[i]);
		w->fds[i] = -1;
	}
}

static void
worker_retire(void *arg)
{
	struct worker *w = arg;

	if (w->retiring || w->stopping)
		return;
	w->retiring = 1;
	worker_stop_listening(w);
	log_verbose("worker %d: retiring with %zu sessions", w->slot,
	    w->nsessions);
	worker_check_done(w);
}

static void
worker_stop_timer(void *arg)
{
	struct worker *w = arg;
	struct session *s;

	if (w->nsessions > 0)
		log_info("worker %d: grace period over, closing %zu sessions",
		    w->slot, w->nsessions);
	while ((s = TAILQ_FIRST(&w->sessions)) != NULL)
		session_shutdown(s, "devgate: the gateway is shutting "
		    "down; this session is closed. Please reconnect.");
	loop_stop(w->loop);
}

static void
worker_stop(void *arg)
{
	struct worker *w = arg;

	if (w->stopping)
		return;
	w->stopping = 1;
	worker_stop_listening(w);
	if (w->nsessions == 0) {
		loop_stop(w->loop);
		return;
	}
	log_verbose("worker %d: stopping; %zu sessions have %d s", w->slot,
	    w->nsessions, w->gw->shutdown_grace);
	loop_timer_start(w->stop_timer, (uint64_t)w->gw->shutdown_grace *
	    1000);
}

static int
worker_backend(struct worker *w, char *err, size_t errlen)
{
	struct k8s_stream_opts so;
	struct k8s_config *kc = NULL;
	int r;

	if ((r = k8s_config_auto(w->gw->kubeconfig, &kc, err, errlen)) != 0)
		return r;
	if (w->gw->namespace != NULL) {
		free(kc->namespace);
		kc->namespace = xstrdup(w->gw->namespace);
	}
	k8s_stream_opts_default(&so);
	so.connect_ms = w->gw->stream_timeout * 1000;
	if ((r = backend_k8s_new(w->loop, kc, &so, &w->backend, err,
	    errlen)) != 0) {
		k8s_config_free(kc);
		return r;
	}
	return 0;
}

static int
worker_bind(struct worker *w, char *err, size_t errlen)
{
	int no = 0, r;

	if ((w->bind = ssh_bind_new()) == NULL) {
		snprintf(err, errlen, "ssh_bind_new failed");
		return DG_ERR_NOMEM;
	}
	ssh_bind_options_set(w->bind, SSH_BIND_OPTIONS_PROCESS_CONFIG, &no);
	if ((r = hostkey_load_all(w->gw, w->bind, err, errlen)) != 0)
		return r;
	return 0;
}

int
worker_main(const struct worker_args *a)
{
	struct worker w;
	struct session *s;
	char err[1024], ident[32];
	size_t i;
	int r, rc = 1;

	memset(&w, 0, sizeof(w));
	w.cf = a->cf;
	w.gw = &a->cf->gw;
	w.shared = a->shared;
	w.shared_idx = a->shared_idx;
	w.slot = a->slot;
	TAILQ_INIT(&w.sessions);
	snprintf(ident, sizeof(ident), "devgate-worker%d", a->slot);
	log_set_ident(ident);
	srandom((unsigned)getpid() ^ (unsigned)loop_clock_ms());
	signal(SIGPIPE, SIG_IGN);
	err[0] = '\0';
	if ((w.loop = loop_new()) == NULL) {
		log_error("worker %d: event loop: %s", a->slot,
		    strerror(errno));
		return 1;
	}
	ssh_init();
	if (worker_bind(&w, err, sizeof(err)) != 0) {
		log_error("worker %d: %s", a->slot, err);
		goto out;
	}
	if (worker_backend(&w, err, sizeof(err)) != 0) {
		log_error("worker %d: Kubernetes: %s", a->slot, err);
		goto out;
	}
	if ((w.auth = auth_ctx_new(w.loop, a->cf->auth, err,
	    sizeof(err))) == NULL) {
		log_error("worker %d: auth: %s", a->slot, err);
		goto out;
	}
	if (a->penalty != NULL)
		auth_ctx_set_penalty(w.auth, a->penalty);
	/* The key server's name through c-ares on this loop, never
	 * libcurl's resolver thread (joined on cancel: it would block). */
	if ((r = resolver_new(w.loop, NULL, &w.resolver)) == 0)
		auth_ctx_set_resolver(w.auth, resolver_http(w.resolver));
	else
		log_error("worker %d: resolver: %s (libcurl resolves the key "
		    "server's name)", a->slot, dg_strerror(r));
	w.envdir = envdir_new();
	w.envcache = envcache_new(w.loop, w.backend, ENVCACHE_TTL_MS);
	envdir_add_config(w.envdir, w.gw);
	/* The registry in DNS, after the config's Environment lines. */
	if (envdir_add_dns(w.envdir, w.loop, a->cf->dns, err,
	    sizeof(err)) != 0)
		log_error("worker %d: DNS registry: %s", a->slot, err);
	w.stop_timer = loop_timer_new(w.loop, worker_stop_timer, &w);
	loop_signal(w.loop, SIGTERM, worker_stop, &w);
	loop_signal(w.loop, SIGINT, worker_stop, &w);
	loop_signal(w.loop, SIGHUP, worker_retire, &w);
	w.nfds = a->nfds;
	w.fds = xcalloc(a->nfds + 1, sizeof(int));
	w.lfds = xcalloc(a->nfds + 1, sizeof(*w.lfds));
	for (i = 0; i < a->nfds; i++) {
		w.fds[i] = a->fds[i];
		w.lfds[i] = loop_fd_add(w.loop, w.fds[i], LOOP_READ,
		    worker_accept, &w);
	}
	log_verbose("worker %d ready (pid %ld)", a->slot, (long)getpid());
	rc = loop_run(w.loop) == 0 ? 0 : 1;
	/* Whatever is still open goes now (SIGTERM grace is over). */
	while ((s = TAILQ_FIRST(&w.sessions)) != NULL)
		session_shutdown(s, "devgate: the gateway is stopping; this "
		    "session is closed.");
	loop_run_once(w.loop, 0);
out:
	if (w.lfds != NULL)
		worker_stop_listening(&w);
	free(w.lfds);
	free(w.fds);
	loop_timer_free(w.stop_timer);
	envcache_free(w.envcache);
	envdir_free(w.envdir);
	auth_ctx_free(w.auth);
	resolver_free(w.resolver);	/* after its user, auth's http */
	backend_free(w.backend);
	if (w.bind != NULL)
		ssh_bind_free(w.bind);
	ssh_finalize();
	loop_signal_reset(w.loop);
	loop_free(w.loop);
	return rc;
}
