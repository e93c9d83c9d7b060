/* supervisor.c: the devgate supervisor process: listening sockets, worker
 * processes (fork, restart with backoff), SIGHUP reload without dropping
 * sessions, SIGTERM graceful stop.
 *
 * Sockets: the supervisor opens one SO_REUSEPORT socket per ListenAddress
 * and worker slot, and keeps them. Worker i gets slot i's sockets at fork,
 * so the kernel spreads connections over the slots without a thundering
 * herd, and a worker that is restarted or replaced on reload inherits the
 * same sockets: connections waiting in their accept queues are never
 * reset, as they would be if each worker opened and closed its own. */
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth.h"
#include "common/err.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "dns/dns-conf.h"
#include "dns/dns-ctl.h"
#include "gateway/hostkey.h"
#include "gateway/listen.h"
#include "gateway/supervisor.h"
#include "gateway/worker.h"

#define SV_MAX_SLOTS	256
#define SV_BACKOFF_MIN	250	/* ms before restarting a crashed worker */
#define SV_BACKOFF_MAX	30000
#define SV_STABLE_MS	10000	/* a worker this old resets the backoff */

struct sv_listener {
	struct listen_addr	 la;
	int			 fds[SV_MAX_SLOTS];	/* per slot, -1: none */
};

struct sv_worker {
	pid_t		 pid;
	int		 slot;
	unsigned	 gen;
	int		 shared_idx;
	int		 retiring;
	uint64_t	 started_ms;
};

struct sv_slot {
	struct loop_timer	*restart;
	int			 backoff_ms;
	struct supervisor	*sv;	/* parent, not owned */
	int			 idx;
};

struct supervisor {
	struct loop			*loop;
	struct servconf			*cf;
	const struct supervisor_opts	*opts;
	struct sv_listener		*ls;
	size_t				 nls;
	int				 nslots;
	struct sv_slot			 slots[SV_MAX_SLOTS];
	struct sv_worker		*w;
	size_t				 nw;
	unsigned			 gen;
	struct listen_shared		*shared;
	struct auth_penalty		*penalty;
	int				 stopping;
	struct loop_timer		*kill_timer;
	int				 exit_status;
	struct dns_ctl			*dns;	/* DNS controller, if any */
};

/* The DNS controller (registry watch, reconcile, publish) runs in the
 * supervisor's loop when DNSZone is set; its failure to start is logged
 * and the gateway runs on. */
static void
sv_dns_start(struct supervisor *sv)
{
	const struct dns_config *dc = sv->cf->dns;
	char err[1024];

	if (dc == NULL || dc->zone == NULL)
		return;
	if (dns_ctl_new(sv->loop, dc, &sv->dns, err, sizeof(err)) != 0) {
		log_error("dns: the DNS controller is not running: %s", err);
		sv->dns = NULL;
	}
}

static void sv_spawn(struct supervisor *, int slot);

static int
sv_nslots(const struct servconf *cf)
{
	long n = cf->gw.workers;

	if (n <= 0 && (n = sysconf(_SC_NPROCESSORS_ONLN)) <= 0)
		n = 1;
	return n > SV_MAX_SLOTS ? SV_MAX_SLOTS : (int)n;
}

static void
sv_apply_logging(struct supervisor *sv)
{
	int level = sv->cf->gw.log_level;

	if (sv->opts->debug > 0)
		level = LOG_L_DEBUG1 + (sv->opts->debug > 3 ? 2 :
		    sv->opts->debug - 1);
	log_set_level(level);
	log_set_format(sv->cf->gw.log_format == SERVCONF_LOG_JSON ?
	    LOG_FMT_JSON : LOG_FMT_TEXT);
}

static void
sv_listeners_close(struct sv_listener *ls, size_t n, int from_slot)
{
	size_t i;
	int s;

	for (i = 0; i < n; i++)
		for (s = from_slot; s < SV_MAX_SLOTS; s++)
			if (ls[i].fds[s] >= 0) {
				close(ls[i].fds[s]);
				ls[i].fds[s] = -1;
			}
}

/* Sockets for cf: reuse those of old (same address, same slot), open the
 * rest. On failure nothing of old is touched. */
static int
sv_listeners_build(const struct servconf *cf, int nslots,
    struct sv_listener *old, size_t nold, struct sv_listener **lsp,
    char *err, size_t errlen)
{
	const struct gateway_config *gw = &cf->gw;
	struct sv_listener *ls;
	size_t i, j;
	int s, r, *reused;

	ls = xcalloc(gw->listen.n, sizeof(*ls));
	reused = xcalloc(gw->listen.n * SV_MAX_SLOTS, sizeof(int));
	for (i = 0; i < gw->listen.n; i++) {
		ls[i].la = gw->listen.v[i];
		for (s = 0; s < SV_MAX_SLOTS; s++)
			ls[i].fds[s] = -1;
		for (j = 0; j < nold; j++)
			if (strcmp(old[j].la.host, ls[i].la.host) == 0 &&
			    old[j].la.port == ls[i].la.port)
				break;
		for (s = 0; s < nslots; s++) {
			if (j < nold && old[j].fds[s] >= 0) {
				ls[i].fds[s] = old[j].fds[s];
				reused[i * SV_MAX_SLOTS + s] = 1;
				continue;
			}
			if ((r = listen_open(&ls[i].la, &ls[i].fds[s], err,
			    errlen)) != 0)
				goto fail;
		}
	}
	/* Taken over: old no longer owns the reused ones. */
	for (i = 0; i < gw->listen.n; i++)
		for (s = 0; s < nslots; s++)
			if (reused[i * SV_MAX_SLOTS + s])
				for (j = 0; j < nold; j++)
					if (old[j].fds[s] == ls[i].fds[s])
						old[j].fds[s] = -1;
	free(reused);
	*lsp = ls;
	return 0;
fail:
	for (i = 0; i < gw->listen.n; i++)
		for (s = 0; s < SV_MAX_SLOTS; s++)
			if (ls[i].fds[s] >= 0 && !reused[i * SV_MAX_SLOTS + s])
				close(ls[i].fds[s]);
	free(reused);
	free(ls);
	return r;
}

static struct sv_worker *
sv_find(struct supervisor *sv, pid_t pid)
{
	size_t i;

	for (i = 0; i < sv->nw; i++)
		if (sv->w[i].pid == pid)
			return &sv->w[i];
	return NULL;
}

static int
sv_slot_alive(struct supervisor *sv, int slot)
{
	size_t i;

	for (i = 0; i < sv->nw; i++)
		if (sv->w[i].slot == slot && sv->w[i].gen == sv->gen &&
		    !sv->w[i].retiring)
			return 1;
	return 0;
}

/* In the child: close every descriptor but stdio and keep[]. */
static void
sv_close_fds_except(const int *keep, size_t n)
{
	unsigned int lo = 3, k;
	size_t i, j;
	int *sorted = xcalloc(n + 1, sizeof(int)), t;

	for (i = 0; i < n; i++)
		sorted[i] = keep[i];
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (sorted[j] < sorted[i]) {
				t = sorted[i];
				sorted[i] = sorted[j];
				sorted[j] = t;
			}
	for (i = 0; i < n; i++) {
		k = (unsigned int)sorted[i];
		if (k > lo)
			close_range(lo, k - 1, 0);
		if (k >= lo)
			lo = k + 1;
	}
	close_range(lo, ~0U, 0);
	free(sorted);
}

/* In the child: drop what only the supervisor uses (its descriptors are
 * already closed), keeping the config, the shared memory and the penalty
 * table. */
static void
sv_child_forget(struct supervisor *sv)
{
	int s;

	for (s = 0; s < SV_MAX_SLOTS; s++) {
		loop_timer_free(sv->slots[s].restart);
		sv->slots[s].restart = NULL;
	}
	loop_timer_free(sv->kill_timer);
	sv->kill_timer = NULL;
	loop_free(sv->loop);
	sv->loop = NULL;
	free(sv->w);
	sv->w = NULL;
	sv->nw = 0;
	free(sv->ls);
	sv->ls = NULL;
}

static void
sv_child(struct supervisor *sv, int slot, int shared_idx)
{
	struct worker_args a;
	sigset_t none;
	int *fds, rc;
	size_t i, n;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGCHLD, SIG_DFL);
	/* A supervisor killed without notice stops its workers gracefully. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	fds = xcalloc(sv->nls + 1, sizeof(int));
	for (i = 0; i < sv->nls; i++)
		fds[i] = sv->ls[i].fds[slot];
	sv_close_fds_except(fds, sv->nls);
	n = sv->nls;
	sv_child_forget(sv);
	memset(&a, 0, sizeof(a));
	a.cf = sv->cf;
	a.fds = fds;
	a.nfds = n;
	a.shared = sv->shared;
	a.shared_idx = shared_idx;
	a.penalty = sv->penalty;
	a.slot = slot;
	a.generation = sv->gen;
	rc = worker_main(&a);
	free(fds);
	servconf_free(sv->cf);
	free(sv->cf);
	/* exit(), not _exit(): flush logs, let LeakSanitizer look. */
	exit(rc);
}

static void
sv_spawn(struct supervisor *sv, int slot)
{
	struct sv_worker *w;
	int idx;
	pid_t pid;

	if (sv->stopping || sv_slot_alive(sv, slot))
		return;
	if ((idx = listen_shared_alloc(sv->shared)) < 0) {
		log_error("worker %d: too many worker processes alive", slot);
		return;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		log_error("worker %d: fork: %s", slot, strerror(errno));
		listen_shared_release(sv->shared, idx);
		loop_timer_start(sv->slots[slot].restart, SV_BACKOFF_MAX);
		return;
	}
	if (pid == 0)
		sv_child(sv, slot, idx);
	sv->w = xreallocarray(sv->w, sv->nw + 1, sizeof(*sv->w));
	w = &sv->w[sv->nw++];
	memset(w, 0, sizeof(*w));
	w->pid = pid;
	w->slot = slot;
	w->gen = sv->gen;
	w->shared_idx = idx;
	w->started_ms = loop_clock_ms();
	log_verbose("worker %d started (pid %ld, generation %u)", slot,
	    (long)pid, sv->gen);
}

static void
sv_restart_cb(void *arg)
{
	struct sv_slot *sl = arg;

	if (sl->idx < sl->sv->nslots)
		sv_spawn(sl->sv, sl->idx);
}

static void
sv_reap(void *arg)
{
	struct supervisor *sv = arg;
	struct sv_worker w, *wp;
	struct sv_slot *sl;
	uint64_t lived;
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((wp = sv_find(sv, pid)) == NULL)
			continue;
		w = *wp;
		*wp = sv->w[--sv->nw];
		listen_shared_release(sv->shared, w.shared_idx);
		lived = loop_clock_ms() - w.started_ms;
		if (w.retiring || sv->stopping) {
			log_verbose("worker %d (pid %ld) ended", w.slot,
			    (long)pid);
			continue;
		}
		if (WIFSIGNALED(status))
			log_error("worker %d (pid %ld) killed by signal %d; "
			    "its sessions are lost", w.slot, (long)pid,
			    WTERMSIG(status));
		else
			log_error("worker %d (pid %ld) exited with status %d",
			    w.slot, (long)pid, WEXITSTATUS(status));
		if (w.gen != sv->gen || w.slot >= sv->nslots)
			continue;
		sl = &sv->slots[w.slot];
		if (lived >= SV_STABLE_MS)
			sl->backoff_ms = 0;
		sl->backoff_ms = sl->backoff_ms == 0 ? SV_BACKOFF_MIN :
		    sl->backoff_ms * 2;
		if (sl->backoff_ms > SV_BACKOFF_MAX)
			sl->backoff_ms = SV_BACKOFF_MAX;
		log_info("restarting worker %d in %d ms", w.slot,
		    sl->backoff_ms);
		loop_timer_start(sl->restart, (uint64_t)sl->backoff_ms);
	}
	if (sv->stopping && sv->nw == 0)
		loop_stop(sv->loop);
}

static void
sv_signal_all(struct supervisor *sv, int sig, int only_current)
{
	size_t i;

	for (i = 0; i < sv->nw; i++)
		if (!only_current || sv->w[i].gen == sv->gen)
			kill(sv->w[i].pid, sig);
}

static void
sv_reload(void *arg)
{
	struct supervisor *sv = arg;
	struct servconf *ncf;
	struct sv_listener *nls = NULL;
	char err[1024];
	size_t i;
	int nslots, s;

	if (sv->stopping)
		return;
	log_info("SIGHUP: reloading %s", sv->opts->config_path != NULL ?
	    sv->opts->config_path : "the embedded configuration");
	ncf = xcalloc(1, sizeof(*ncf));
	err[0] = '\0';
	if (servconf_load(ncf, sv->opts->config_path, err, sizeof(err)) != 0 ||
	    hostkey_prepare_all(&ncf->gw, err, sizeof(err)) != 0) {
		log_error("reload failed, keeping the running configuration: "
		    "%s", err);
		goto fail;
	}
	nslots = sv_nslots(ncf);
	if (sv_listeners_build(ncf, nslots, sv->ls, sv->nls, &nls, err,
	    sizeof(err)) != 0) {
		log_error("reload failed, keeping the running configuration: "
		    "%s", err);
		goto fail;
	}
	/* What the new set did not take over closes in the supervisor; the
	 * old workers keep their copies until they end. */
	sv_listeners_close(sv->ls, sv->nls, 0);
	free(sv->ls);
	sv->ls = nls;
	sv->nls = ncf->gw.listen.n;
	dns_ctl_free(sv->dns);
	sv->dns = NULL;
	servconf_free(sv->cf);
	free(sv->cf);
	sv->cf = ncf;
	sv->nslots = nslots;
	sv_dns_start(sv);
	sv_apply_logging(sv);
	for (i = 0; i < sv->nw; i++)
		sv->w[i].retiring = 1;
	sv_signal_all(sv, SIGHUP, 0);
	sv->gen++;
	for (s = 0; s < nslots; s++) {
		sv->slots[s].backoff_ms = 0;
		loop_timer_stop(sv->slots[s].restart);
		sv_spawn(sv, s);
	}
	log_info("configuration reloaded: %d workers (generation %u); older "
	    "workers finish their sessions", nslots, sv->gen);
	return;
fail:
	servconf_free(ncf);
	free(ncf);
}

static void
sv_kill_cb(void *arg)
{
	struct supervisor *sv = arg;

	if (sv->nw > 0) {
		log_error("%zu workers did not stop in time: killing them",
		    sv->nw);
		sv_signal_all(sv, SIGKILL, 0);
	}
}

static void
sv_stop(void *arg)
{
	struct supervisor *sv = arg;
	int s;

	if (sv->stopping)
		return;
	sv->stopping = 1;
	log_info("stopping: no new connections; sessions have %d s to end",
	    sv->cf->gw.shutdown_grace);
	sv_listeners_close(sv->ls, sv->nls, 0);
	for (s = 0; s < SV_MAX_SLOTS; s++)
		loop_timer_stop(sv->slots[s].restart);
	sv_signal_all(sv, SIGTERM, 0);
	loop_timer_start(sv->kill_timer,
	    (uint64_t)(sv->cf->gw.shutdown_grace + 10) * 1000);
	if (sv->nw == 0)
		loop_stop(sv->loop);
}

static int
sv_write_pidfile(const char *path)
{
	FILE *f;

	if (path == NULL)
		return 0;
	if ((f = fopen(path, "w")) == NULL) {
		log_error("PidFile %s: %s", path, strerror(errno));
		return DG_ERR_SYSTEM;
	}
	fprintf(f, "%ld\n", (long)getpid());
	fclose(f);
	return 0;
}

static int
sv_detach(void)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) < 0)
		return DG_ERR_SYSTEM;
	if (pid > 0)
		_exit(0);
	setsid();
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return 0;
}

int
supervisor_main(struct servconf *cf0, const struct supervisor_opts *opts)
{
	struct supervisor sv;
	char err[1024], *pidfile = NULL;
	int s, r = 1;

	memset(&sv, 0, sizeof(sv));
	sv.opts = opts;
	/* Take the config over: reloads replace it. (Not a struct copy:
	 * the conf engine points into the servconf.) */
	sv.cf = cf0;
	sv_apply_logging(&sv);
	err[0] = '\0';
	if (hostkey_prepare_all(&sv.cf->gw, err, sizeof(err)) != 0) {
		log_error("%s", err);
		goto out;
	}
	sv.nslots = sv_nslots(sv.cf);
	if (sv_listeners_build(sv.cf, sv.nslots, NULL, 0, &sv.ls, err,
	    sizeof(err)) != 0) {
		log_error("%s", err);
		goto out;
	}
	sv.nls = sv.cf->gw.listen.n;
	if ((sv.shared = listen_shared_new()) == NULL) {
		log_error("shared memory: %s", strerror(errno));
		goto out;
	}
	if (sv.cf->auth != NULL)
		sv.penalty = auth_penalty_new(sv.cf->auth, 1);
	if (!opts->foreground && sv_detach() != 0) {
		log_error("detach: %s", strerror(errno));
		goto out;
	}
	if ((sv.loop = loop_new()) == NULL) {
		log_error("event loop: %s", strerror(errno));
		goto out;
	}
	if (sv.cf->gw.pid_file != NULL &&
	    sv_write_pidfile(sv.cf->gw.pid_file) == 0)
		pidfile = xstrdup(sv.cf->gw.pid_file);
	signal(SIGPIPE, SIG_IGN);
	loop_signal(sv.loop, SIGCHLD, sv_reap, &sv);
	loop_signal(sv.loop, SIGHUP, sv_reload, &sv);
	loop_signal(sv.loop, SIGTERM, sv_stop, &sv);
	loop_signal(sv.loop, SIGINT, sv_stop, &sv);
	sv.kill_timer = loop_timer_new(sv.loop, sv_kill_cb, &sv);
	sv_dns_start(&sv);
	for (s = 0; s < SV_MAX_SLOTS; s++) {
		sv.slots[s].sv = &sv;
		sv.slots[s].idx = s;
		sv.slots[s].restart = loop_timer_new(sv.loop, sv_restart_cb,
		    &sv.slots[s]);
	}
	for (s = 0; s < sv.nslots; s++) {
		char addrs[256];
		size_t i, off = 0;

		if (s == 0) {
			addrs[0] = '\0';
			for (i = 0; i < sv.nls && off < sizeof(addrs) - 64;
			    i++) {
				servconf_format_listen(&sv.ls[i].la,
				    addrs + off, sizeof(addrs) - off);
				off = strlen(addrs);
				if (i + 1 < sv.nls)
					addrs[off++] = ' ', addrs[off] = '\0';
			}
			log_info("devgate listening on %s with %d workers",
			    addrs, sv.nslots);
		}
		sv_spawn(&sv, s);
	}
	r = loop_run(sv.loop) == 0 ? 0 : 1;
	log_info("stopped");
out:
	if (pidfile != NULL) {
		unlink(pidfile);
		free(pidfile);
	}
	if (sv.loop != NULL) {
		dns_ctl_free(sv.dns);
		loop_run_once(sv.loop, 0);	/* its deferred frees */
		for (s = 0; s < SV_MAX_SLOTS; s++)
			loop_timer_free(sv.slots[s].restart);
		loop_timer_free(sv.kill_timer);
		loop_signal_reset(sv.loop);
		loop_free(sv.loop);
	}
	if (sv.ls != NULL) {
		sv_listeners_close(sv.ls, sv.nls, 0);
		free(sv.ls);
	}
	auth_penalty_free(sv.penalty);
	listen_shared_free(sv.shared);
	free(sv.w);
	servconf_free(sv.cf);
	free(sv.cf);
	return r;
}
