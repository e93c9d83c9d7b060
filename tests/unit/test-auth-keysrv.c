/* test-auth-keysrv.c: unit tests for AuthorizedKeysURL (auth/auth-
 * keysrv.c and the key server path of auth_publickey) against a local
 * HTTPS server (tests/integration/auth-keyserver.py): cache and TTL,
 * negative caching, stale keys while the server is down, size limit, TLS
 * verification, URL escaping, bounded fetches and cache, the server's name
 * through a resolver hook (what the gateway installs: c-ares). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/wait.h>

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth.h"
#include "auth/auth-int.h"
#include "auth/auth-keysrv.h"
#include "common/err.h"
#include "common/http.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "tests/unit/auth-testutil.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

static struct loop *l;
static pid_t srv_pid = -1;
static int srv_port;
static char *k1, *k2;

static void
t_srv_start(void)
{
	const char *top = getenv("top_srcdir");
	char script[1024], buf[128];
	struct pollfd pfd;
	int fds[2], n = 0, r;

	snprintf(script, sizeof(script), "%s/tests/integration/"
	    "auth-keyserver.py", top != NULL ? top : TOP_SRCDIR);
	assert_int_equal(pipe(fds), 0);
	srv_pid = fork();
	assert_true(srv_pid >= 0);
	if (srv_pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		execl("/usr/bin/python3", "python3", script, t_path("www"),
		    t_path("cert.pem"), t_path("key.pem"), (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	memset(buf, 0, sizeof(buf));
	while (strchr(buf, '\n') == NULL) {
		if ((r = poll(&pfd, 1, 15000)) <= 0)
			fail_msg("key server did not start");
		if ((r = (int)read(fds[0], buf + n, sizeof(buf) - 1 -
		    (size_t)n)) <= 0)
			fail_msg("key server exited");
		n += r;
	}
	close(fds[0]);
	if (sscanf(buf, "ready %d", &srv_port) != 1)
		fail_msg("key server said: %s", buf);
}

static void
t_srv_stop(void)
{
	int st;

	if (srv_pid > 0) {
		kill(srv_pid, SIGTERM);
		waitpid(srv_pid, &st, 0);
		srv_pid = -1;
	}
}

static int
t_setup(void **state)
{
	char keys[8192];

	(void)state;
	log_init("test", LOG_L_QUIET, LOG_FMT_TEXT, 2);
	t_mkdir("test-auth-keysrv");
	t_sh("mkdir '%s'", t_path("www"));
	t_sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	    "-nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName="
	    "IP:127.0.0.1,DNS:keys.invalid -keyout '%s' -out '%s' "
	    ">/dev/null 2>&1",
	    t_path("key.pem"), t_path("cert.pem"));
	t_sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	    "-nodes -days 2 -subj /CN=other -keyout '%s' -out '%s' "
	    ">/dev/null 2>&1", t_path("okey.pem"), t_path("other.pem"));
	k1 = t_keygen("k1", "ed25519");
	k2 = t_keygen("k2", "ed25519");
	snprintf(keys, sizeof(keys), "# alice's keys\n%s\n", k1);
	t_write(t_path("www/alice.keys"), keys, 0644);
	t_write(t_path("www/a b.keys"), keys, 0644);
	t_write(t_path("www/carol.keys"), keys, 0644);
	t_write(t_path("www/carol.keys.delay"), "1.0", 0644);
	t_write(t_path("www/dave.keys"), keys, 0644);
	t_write(t_path("www/erin.keys"), keys, 0644);
	t_write(t_path("www/boom.keys.status"), "500", 0644);
	memset(keys, '#', sizeof(keys) - 1);
	keys[sizeof(keys) - 1] = '\0';
	t_write(t_path("www/big.keys"), keys, 0644);
	t_srv_start();
	l = loop_new();
	return 0;
}

static int
t_teardown(void **state)
{
	(void)state;
	t_srv_stop();
	loop_free(l);
	free(k1);
	free(k2);
	t_rmdir();
	return 0;
}

static void
t_env_new(struct t_env *e, const char *extra)
{
	char text[4096];

	snprintf(text, sizeof(text), "AuthorizedKeysFile %s/%%u.local\n"
	    "StrictModes no\nAuthorizedKeysURL https://127.0.0.1:%d/%%u.keys\n"
	    "AuthorizedKeysURLCAFile %s\n%s", t_dir, srv_port,
	    t_path("cert.pem"), extra);
	t_env_load(e, l, text);
}

static uint64_t
t_fetches(struct t_env *e)
{
	return auth_keysrv_fetches(e->ctx->keysrv);
}

static void
t_expect(struct t_env *e, const char *user, const char *key, int expect,
    const char *reason)
{
	struct t_res res;

	t_login(e->ctx, l, user, "10.0.0.1", key, 1, &res);
	if (res.result != expect)
		fail_msg("%s: expected %d, got %d: %s", user, expect,
		    res.result, res.reason);
	if (reason != NULL && strstr(res.reason, reason) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", res.reason, reason);
	if (res.result == 0 && strcmp(user, "zed") != 0 &&
	    strstr(res.grant->source, "https://127.0.0.1") == NULL)
		fail_msg("source %s", res.grant->source);
	auth_grant_free(res.grant);
}

static void
test_keysrv_cache(void **state)
{
	struct t_env e;

	(void)state;
	t_env_new(&e, "");
	t_expect(&e, "alice", k1, 0, NULL);
	assert_int_equal(t_fetches(&e), 1);
	/* The fresh cache answers: no new request. */
	t_expect(&e, "alice", k1, 0, NULL);
	t_expect(&e, "alice", k2, DG_ERR_AUTH, "key not found");
	assert_int_equal(t_fetches(&e), 1);
	/* 404 is cached too. */
	t_expect(&e, "bob", k1, DG_ERR_AUTH, "127.0.0.1");
	t_expect(&e, "bob", k1, DG_ERR_AUTH, NULL);
	assert_int_equal(t_fetches(&e), 2);
	/* User names are escaped into the URL. */
	t_expect(&e, "a b", k1, 0, NULL);
	{
		char *log = t_slurp(t_path("www/requests.log"));

		assert_non_null(strstr(log, "/a%20b.keys"));
		free(log);
	}
	/* A key in a file needs no fetch at all. */
	t_write(t_path("zed.local"), k2, 0600);
	t_expect(&e, "zed", k2, 0, NULL);
	assert_int_equal(t_fetches(&e), 3);
	t_env_free(&e);
}

static void
test_keysrv_limits(void **state)
{
	struct t_env e;

	(void)state;
	t_env_new(&e, "AuthorizedKeysURLMaxSize 1K\nAuthorizedKeysURLCacheSize "
	    "2\n");
	t_expect(&e, "big", k1, DG_ERR_UNAVAIL, "unreachable");
	t_expect(&e, "boom", k1, DG_ERR_UNAVAIL, "HTTP 500");
	t_expect(&e, "alice", k1, 0, NULL);
	t_expect(&e, "dave", k1, 0, NULL);
	t_expect(&e, "erin", k1, 0, NULL);
	assert_true(auth_keysrv_cached(e.ctx->keysrv) <= 2);
	t_env_free(&e);
	/* A server whose certificate does not verify is not trusted. */
	{
		char extra[512];

		snprintf(extra, sizeof(extra), "AuthorizedKeysURLCAFile %s\n",
		    t_path("other.pem"));
		t_load_conf(&e.conf, &e.a, "");
		conf_free(&e.conf);
		snprintf(extra, sizeof(extra), "AuthorizedKeysFile none\n"
		    "AuthorizedKeysURL https://127.0.0.1:%d/%%u.keys\n"
		    "AuthorizedKeysURLCAFile %s\n", srv_port,
		    t_path("other.pem"));
		t_load_conf(&e.conf, &e.a, extra);
		e.ctx = auth_ctx_new(l, &e.a, extra, sizeof(extra));
		t_expect(&e, "alice", k1, DG_ERR_UNAVAIL, NULL);
		t_env_free(&e);
	}
}

struct t_two {
	struct t_res	a, b;
};

static void
test_keysrv_concurrency(void **state)
{
	struct t_env e;
	struct auth_peer p;
	struct auth_op *op1, *op2, *op3;
	struct t_res r1, r2, r3;
	unsigned char *blob;
	size_t len;

	(void)state;
	t_env_new(&e, "AuthorizedKeysURLMaxFetches 1\n");
	memset(&p, 0, sizeof(p));
	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	memset(&r3, 0, sizeof(r3));
	p.session = "s1";
	p.addr = "10.0.0.1";
	t_blob(k1, &blob, &len);
	p.user = "carol";	/* answered after 1 s */
	assert_int_equal(auth_publickey(e.ctx, &p, "ssh-ed25519", blob, len,
	    1, t_pk_cb, &r1, &op1), 0);
	assert_int_equal(auth_publickey(e.ctx, &p, "ssh-ed25519", blob, len,
	    1, t_pk_cb, &r2, &op2), 0);
	p.user = "dave";
	assert_int_equal(auth_publickey(e.ctx, &p, "ssh-ed25519", blob, len,
	    1, t_pk_cb, &r3, &op3), 0);
	/* dave cannot start a second fetch and has nothing cached. */
	t_run_until(l, &r3.called, 5000);
	assert_int_equal(r3.result, DG_ERR_UNAVAIL);
	assert_int_equal(r1.called, 0);
	/* The loop stayed responsive while carol's fetch waits; both of
	 * carol's logins share one request. */
	t_run_until(l, &r1.called, 10000);
	t_run_until(l, &r2.called, 10000);
	assert_int_equal(r1.result, 0);
	assert_int_equal(r2.result, 0);
	assert_int_equal(t_fetches(&e), 1);
	auth_grant_free(r1.grant);
	auth_grant_free(r2.grant);
	/* A cancelled login never calls back, and the fetch still fills the
	 * cache. */
	p.user = "erin";
	memset(&r1, 0, sizeof(r1));
	assert_int_equal(auth_publickey(e.ctx, &p, "ssh-ed25519", blob, len,
	    1, t_pk_cb, &r1, &op1), 0);
	auth_op_cancel(op1);
	{
		int done = 0;
		uint64_t end = loop_clock_ms() + 3000;

		while (loop_clock_ms() < end && auth_keysrv_cached(
		    e.ctx->keysrv) < 2)
			loop_run_once(l, 20);
		(void)done;
	}
	assert_int_equal(r1.called, 0);
	free(blob);
	t_env_free(&e);
}

static void
test_keysrv_stale(void **state)
{
	struct t_env e;

	(void)state;
	/* TTL 0: every login asks the server. */
	t_env_new(&e, "AuthorizedKeysURLCacheTTL 0\n");
	t_expect(&e, "alice", k1, 0, NULL);
	t_expect(&e, "alice", k1, 0, NULL);
	assert_int_equal(t_fetches(&e), 2);
	t_srv_stop();
	/* The server is down: the stale copy still lets alice in, bob (never
	 * cached) is refused with the reason. */
	t_expect(&e, "alice", k1, 0, NULL);
	t_expect(&e, "alice", k2, DG_ERR_AUTH, "(cached)");
	t_expect(&e, "bob", k1, DG_ERR_UNAVAIL, "unreachable");
	t_env_free(&e);
	/* Without a stale allowance nobody gets in. */
	t_env_new(&e, "AuthorizedKeysURLCacheTTL 0\nAuthorizedKeysURLStaleTTL "
	    "0\n");
	t_expect(&e, "alice", k1, DG_ERR_UNAVAIL, NULL);
	t_env_free(&e);
	t_srv_start();
}

/* A resolver hook answering from the loop, as the gateway's c-ares one. */
struct t_hook {
	const char	*addr;		/* the answer, or */
	int		 err;		/* this error */
	int		 asked, cancelled;
	http_resolved_cb *cb;		/* the one lookup in flight */
	void		*arg;
	int		 pending;
};

static void
t_hook_answer(void *arg)
{
	struct t_hook *h = arg;

	if (!h->pending)
		return;		/* cancelled */
	h->pending = 0;
	h->cb(h->arg, h->err, h->err ? NULL : &h->addr, h->err ? 0 : 1);
}

static int
t_hook_start(void *ctx, const char *host, http_resolved_cb *cb, void *arg,
    void **opp)
{
	struct t_hook *h = ctx;

	assert_string_equal(host, "keys.invalid");
	assert_false(h->pending);
	h->asked++;
	h->cb = cb;
	h->arg = arg;
	h->pending = 1;
	*opp = h;
	loop_defer(l, t_hook_answer, h);
	return 0;
}

static void
t_hook_cancel(void *ctx, void *op)
{
	struct t_hook *h = ctx;

	assert_ptr_equal(op, h);
	h->cancelled++;
	h->pending = 0;
}

static void
test_keysrv_resolver(void **state)
{
	struct t_hook hook = { "127.0.0.1", 0, 0, 0, NULL, NULL, 0 };
	struct http_resolver res = { t_hook_start, t_hook_cancel, &hook };
	struct t_env e;
	struct t_res r;
	struct auth_peer p;
	struct auth_op *op = NULL;
	char extra[512];

	(void)state;
	/* keys.invalid resolves nowhere but through the hook; the server's
	 * certificate names it, and TLS checks that name. */
	snprintf(extra, sizeof(extra), "AuthorizedKeysFile none\n"
	    "AuthorizedKeysURL https://keys.invalid:%d/%%u.keys\n"
	    "AuthorizedKeysURLCAFile %s\n", srv_port, t_path("cert.pem"));
	t_load_conf(&e.conf, &e.a, extra);
	e.ctx = auth_ctx_new(l, &e.a, extra, sizeof(extra));
	assert_non_null(e.ctx);
	auth_ctx_set_resolver(e.ctx, &res);
	t_login(e.ctx, l, "alice", "10.0.0.1", k1, 1, &r);
	assert_int_equal(r.result, 0);
	assert_non_null(strstr(r.grant->source, "https://keys.invalid:"));
	auth_grant_free(r.grant);
	assert_int_equal(hook.asked, 1);

	/* A name that does not resolve: the server is unreachable, and the
	 * reason names the lookup. */
	hook.err = DG_ERR_NOTFOUND;
	t_login(e.ctx, l, "dave", "10.0.0.1", k1, 1, &r);
	assert_int_equal(r.result, DG_ERR_UNAVAIL);
	assert_non_null(strstr(r.reason, "cannot resolve keys.invalid"));

	/* Freed while a lookup is in flight: it is cancelled. */
	hook.err = 0;
	memset(&p, 0, sizeof(p));
	p.session = "s1";
	p.user = "erin";
	p.addr = "10.0.0.1";
	{
		unsigned char *blob = NULL;
		size_t blen = 0;
		char type[128];

		t_blob(k1, &blob, &blen);
		snprintf(type, sizeof(type), "%.*s", (int)strcspn(k1, " "), k1);
		memset(&r, 0, sizeof(r));
		assert_int_equal(auth_publickey(e.ctx, &p, type, blob, blen, 1,
		    t_pk_cb, &r, &op), 0);
		free(blob);
	}
	assert_int_equal(hook.asked, 3);
	t_env_free(&e);
	assert_int_equal(hook.cancelled, 1);
	loop_run_once(l, 0);
	assert_false(hook.pending);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keysrv_cache),
		cmocka_unit_test(test_keysrv_limits),
		cmocka_unit_test(test_keysrv_concurrency),
		cmocka_unit_test(test_keysrv_stale),
		cmocka_unit_test(test_keysrv_resolver),
	};

	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
