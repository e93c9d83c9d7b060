/* test-auth-policy.c: unit tests for authorization (auth/auth-policy.c):
 * the cross-tenant matrix at the API level (owner, member, team, admins,
 * strangers; missing and forbidden alike), channel kinds, MaxSessions,
 * forwarding rules, grant restrictions and forced commands, the user's
 * groups (NSS) looked up on helper threads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "auth/auth-int.h"
#include "common/err.h"
#include "common/log.h"
#include "common/loop.h"
#include "tests/unit/auth-testutil.h"

static const char *const alice_members[] = { "dave" };
static const struct auth_env_acl env_alice = { "alice-gpu", "alice",
    alice_members, 1, NULL };
static const struct auth_env_acl env_bob = { "bob-cpu", "bob", NULL, 0,
    "ml-team" };

struct t_user {
	const char		*name;
	const char		*groups[3];
	size_t			 ngroups;
};

static const struct t_user users[] = {
	{ "alice", { "alice", "staff" }, 2 },
	{ "bob", { "bob" }, 1 },
	{ "carol", { "carol" }, 1 },		/* AdminUsers */
	{ "dave", { "dave" }, 1 },		/* member of alice-gpu */
	{ "erin", { "erin", "ml-team" }, 2 },	/* team of bob-cpu */
	{ "frank", { "frank", "ops" }, 2 },	/* AdminGroup ops */
	{ "mallory", { "mallory" }, 1 },
};

static void
t_peer(struct auth_peer *p, const struct t_user *u, struct auth_config *c)
{
	memset(p, 0, sizeof(*p));
	p->session = "s9";
	p->user = u->name;
	p->groups = u->groups;
	p->ngroups = u->ngroups;
	p->addr = "10.0.0.9";
	p->conf = c;
}

static struct auth_grant *
t_grant(unsigned perms)
{
	struct auth_grant *g = calloc(1, sizeof(*g));

	g->method = AUTH_METHOD_PUBLICKEY;
	g->perms = perms;
	return g;
}

static void
test_policy_matrix(void **state)
{
	static const enum auth_chan kinds[] = { AUTH_CHAN_SHELL,
	    AUTH_CHAN_EXEC, AUTH_CHAN_SFTP, AUTH_CHAN_FORWARD };
	/* Who may reach alice-gpu / bob-cpu. */
	static const int want[][2] = {
		{ 1, 0 },	/* alice: owner */
		{ 0, 1 },	/* bob: owner */
		{ 1, 1 },	/* carol: admin */
		{ 1, 0 },	/* dave: member */
		{ 0, 1 },	/* erin: team */
		{ 1, 1 },	/* frank: admin group */
		{ 0, 0 },	/* mallory */
	};
	static const enum auth_reach why_alice[] = { AUTH_REACH_OWNER,
	    AUTH_REACH_FORBIDDEN, AUTH_REACH_ADMIN, AUTH_REACH_MEMBER,
	    AUTH_REACH_FORBIDDEN, AUTH_REACH_ADMIN, AUTH_REACH_FORBIDDEN };
	const struct auth_env_acl *envs[] = { &env_alice, &env_bob };
	struct conf c;
	struct auth_config a;
	struct auth_peer p;
	struct auth_grant *g = t_grant(AUTH_PERM_ALL);
	struct auth_chan_req req;
	enum auth_reach why;
	const char *reason;
	size_t u, e, k;
	int r;

	(void)state;
	t_load_conf(&c, &a, "AdminUsers carol\nAdminGroup ops\n");
	for (u = 0; u < sizeof(users) / sizeof(users[0]); u++) {
		t_peer(&p, &users[u], &a);
		for (e = 0; e < 2; e++) {
			r = auth_may_reach(NULL, &p, envs[e], &why);
			if ((r == 0) != want[u][e])
				fail_msg("%s -> %s: reach %d", users[u].name,
				    envs[e]->name, r);
			if (r != 0)
				assert_int_equal(r, DG_ERR_NOTFOUND);
			if (e == 0)
				assert_int_equal(why, why_alice[u]);
			for (k = 0; k < 4; k++) {
				memset(&req, 0, sizeof(req));
				req.kind = kinds[k];
				req.host = "localhost";
				req.port = 8888;
				r = auth_may_open(NULL, &p, g, envs[e], &req,
				    &reason);
				if ((r == 0) != want[u][e])
					fail_msg("%s %s %s: %d %s",
					    users[u].name, envs[e]->name,
					    auth_chan_name(kinds[k]), r,
					    reason ? reason : "");
				if (r != 0) {
					assert_int_equal(r, DG_ERR_NOTFOUND);
					assert_string_equal(reason,
					    "no such environment");
				}
			}
		}
		/* A missing environment looks exactly like a forbidden one. */
		r = auth_may_reach(NULL, &p, NULL, &why);
		assert_int_equal(r, DG_ERR_NOTFOUND);
		assert_int_equal(why, AUTH_REACH_MISSING);
	}
	auth_grant_free(g);
	conf_free(&c);
}

static int
t_open(struct auth_config *a, struct auth_grant *g, enum auth_chan kind,
    const char *host, int port, int nsessions, const char **reason)
{
	struct auth_peer p;
	struct auth_chan_req req;

	t_peer(&p, &users[0], a);
	memset(&req, 0, sizeof(req));
	req.kind = kind;
	req.host = host;
	req.port = port;
	req.nsessions = nsessions;
	return auth_may_open(NULL, &p, g, &env_alice, &req, reason);
}

static void
test_policy_kinds(void **state)
{
	struct conf c;
	struct auth_config a;
	struct auth_grant *g = t_grant(AUTH_PERM_ALL);
	const char *why;

	(void)state;
	t_load_conf(&c, &a, "MaxSessions 2\nPermitShell no\nPermitTTY yes\n"
	    "AllowAgentForwarding no\nX11Forwarding yes\n");
	assert_int_equal(t_open(&a, g, AUTH_CHAN_SESSION, NULL, 0, 1, &why), 0);
	assert_int_equal(t_open(&a, g, AUTH_CHAN_SESSION, NULL, 0, 2, &why),
	    DG_ERR_LIMIT);
	assert_non_null(strstr(why, "MaxSessions"));
	assert_int_equal(t_open(&a, g, AUTH_CHAN_SHELL, NULL, 0, 0, &why),
	    DG_ERR_DENIED);
	assert_non_null(strstr(why, "PermitShell"));
	assert_int_equal(t_open(&a, g, AUTH_CHAN_EXEC, NULL, 0, 0, &why), 0);
	assert_null(why);
	assert_int_equal(t_open(&a, g, AUTH_CHAN_SUBSYSTEM, NULL, 0, 0, &why),
	    DG_ERR_DENIED);
	assert_int_equal(t_open(&a, g, AUTH_CHAN_AGENT, NULL, 0, 0, &why),
	    DG_ERR_DENIED);
	assert_int_equal(t_open(&a, g, AUTH_CHAN_X11, NULL, 0, 0, &why), 0);
	assert_int_equal(t_open(&a, g, AUTH_CHAN_ENV, "LANG", 0, 0, &why), 0);
	/* The grant narrows what the config allows. */
	g->perms = AUTH_PERM_PORT_FWD;
	assert_int_equal(t_open(&a, g, AUTH_CHAN_PTY, NULL, 0, 0, &why),
	    DG_ERR_DENIED);
	assert_non_null(strstr(why, "key or certificate"));
	assert_int_equal(t_open(&a, g, AUTH_CHAN_X11, NULL, 0, 0, &why),
	    DG_ERR_DENIED);
	/* An expired grant opens nothing more. */
	g->perms = AUTH_PERM_ALL;
	g->expiry = time(NULL) - 1;
	assert_int_equal(t_open(&a, g, AUTH_CHAN_EXEC, NULL, 0, 0, &why),
	    DG_ERR_EXPIRED);
	g->expiry = 0;
	assert_int_equal(t_open(&a, NULL, AUTH_CHAN_EXEC, NULL, 0, 0, &why),
	    DG_ERR_AUTH);
	auth_grant_free(g);
	conf_free(&c);
}

static void
test_policy_forwarding(void **state)
{
	struct conf c;
	struct auth_config a;
	struct auth_grant *g = t_grant(AUTH_PERM_ALL);
	const char *why;

	(void)state;
	t_load_conf(&c, &a, "PermitOpen localhost:8888 [::1]:* *:22\n");
	assert_int_equal(t_open(&a, g, AUTH_CHAN_FORWARD, "localhost", 8888, 0,
	    &why), 0);
	assert_int_equal(t_open(&a, g, AUTH_CHAN_FORWARD, "LOCALHOST", 8888, 0,
	    &why), 0);
	assert_int_equal(t_open(&a, g, AUTH_CHAN_FORWARD, "localhost", 8889, 0,
	    &why), DG_ERR_DENIED);
	assert_non_null(strstr(why, "PermitOpen"));
	assert_int_equal(t_open(&a, g, AUTH_CHAN_FORWARD, "::1", 5432, 0,
	    &why), 0);
	assert_int_equal(t_open(&a, g, AUTH_CHAN_FORWARD, "db", 22, 0, &why),
	    0);
	/* The key's permitopen= must allow it too. */
	g->permitopen = calloc(1, sizeof(char *));
	g->permitopen[0] = strdup("localhost:8888");
	g->npermitopen = 1;
	assert_int_equal(t_open(&a, g, AUTH_CHAN_FORWARD, "db", 22, 0, &why),
	    DG_ERR_DENIED);
	assert_non_null(strstr(why, "permitopen"));
	assert_int_equal(t_open(&a, g, AUTH_CHAN_FORWARD, "localhost", 8888, 0,
	    &why), 0);
	g->perms &= ~AUTH_PERM_PORT_FWD;
	assert_int_equal(t_open(&a, g, AUTH_CHAN_FORWARD, "localhost", 8888, 0,
	    &why), DG_ERR_DENIED);
	conf_free(&c);
	g->perms = AUTH_PERM_ALL;

	t_load_conf(&c, &a, "AllowTcpForwarding remote\n");
	assert_int_equal(t_open(&a, g, AUTH_CHAN_FORWARD, "localhost", 8888, 0,
	    &why), DG_ERR_DENIED);
	assert_int_equal(t_open(&a, g, AUTH_CHAN_REMOTE_FORWARD, NULL, 0, 0,
	    &why), 0);
	conf_free(&c);
	t_load_conf(&c, &a, "PermitOpen none\n");
	assert_int_equal(t_open(&a, g, AUTH_CHAN_FORWARD, "localhost", 8888, 0,
	    &why), DG_ERR_DENIED);
	conf_free(&c);
	t_load_conf(&c, &a, "DisableForwarding yes\n");
	assert_int_equal(t_open(&a, g, AUTH_CHAN_FORWARD, "localhost", 8888, 0,
	    &why), DG_ERR_DENIED);
	assert_int_equal(t_open(&a, g, AUTH_CHAN_AGENT, NULL, 0, 0, &why),
	    DG_ERR_DENIED);
	conf_free(&c);
	auth_grant_free(g);
}

static void
test_policy_forced_command(void **state)
{
	struct conf c;
	struct auth_config a;
	struct auth_grant *g = t_grant(AUTH_PERM_ALL);

	(void)state;
	t_load_conf(&c, &a, "");
	assert_null(auth_forced_command(&a, g));
	g->force_command = strdup("from-key");
	assert_string_equal(auth_forced_command(&a, g), "from-key");
	conf_free(&c);
	t_load_conf(&c, &a, "ForceCommand from-config\n");
	assert_string_equal(auth_forced_command(&a, g), "from-config");
	conf_free(&c);
	auth_grant_free(g);
}

static void
test_policy_groups(void **state)
{
	char **groups;
	size_t n, i;
	int found = 0;

	(void)state;
	assert_int_equal(auth_user_groups("root", &groups, &n), 0);
	for (i = 0; i < n; i++)
		found |= strcmp(groups[i], "root") == 0;
	assert_true(found);
	auth_user_groups_free(groups, n);
	assert_int_equal(auth_user_groups("no-such-user-xyz", &groups, &n), 0);
	assert_int_equal(n, 0);
}

struct t_groups {
	int	 done;
	int	 result;
	int	 has_root;
	size_t	 n;
};

static void
t_groups_cb(void *arg, int result, char **groups, size_t n,
    const char *reason)
{
	struct t_groups *g = arg;
	size_t i;

	(void)reason;
	g->done++;
	g->result = result;
	g->n = n;
	for (i = 0; i < n; i++)
		g->has_root |= strcmp(groups[i], "root") == 0;
	auth_user_groups_free(groups, n);
}

static void
test_policy_groups_async(void **state)
{
	struct loop *l = loop_new();
	struct conf c;
	struct auth_config a;
	struct auth_ctx *ctx;
	struct auth_op *op, *ops[40];
	struct t_groups g[40], one, gone;
	char err[256];
	uint64_t end;
	int i, all, most = 0;

	(void)state;
	log_init("test", LOG_L_QUIET, LOG_FMT_TEXT, 2);
	t_load_conf(&c, &a, "");
	assert_non_null(ctx = auth_ctx_new(l, &a, err, sizeof(err)));
	memset(&one, 0, sizeof(one));
	assert_int_equal(auth_user_groups_start(ctx, "root", t_groups_cb,
	    &one, &op), 0);
	assert_int_equal(one.done, 0);	/* never from inside the call */
	t_run_until(l, &one.done, 10000);
	assert_int_equal(one.result, 0);
	assert_true(one.has_root);

	/* Forty at once: at most AUTH_GROUPS_THREADS threads, the rest
	 * wait; every one is answered; one cancelled is not. */
	memset(g, 0, sizeof(g));
	for (i = 0; i < 40; i++)
		assert_int_equal(auth_user_groups_start(ctx, i % 2 ? "root" :
		    "no-such-user-xyz", t_groups_cb, &g[i], &ops[i]), 0);
	auth_op_cancel(ops[39]);	/* waiting */
	auth_op_cancel(ops[0]);		/* running */
	end = loop_clock_ms() + 20000;
	do {
		if (ctx->ngjobs > most)
			most = ctx->ngjobs;
		loop_run_once(l, 20);
		for (all = 1, i = 1; i < 39; i++)
			all &= g[i].done;
	} while (!all && loop_clock_ms() < end);
	assert_true(all);
	assert_true(most <= AUTH_GROUPS_THREADS);
	for (i = 1; i < 39; i++) {
		assert_int_equal(g[i].done, 1);
		assert_int_equal(g[i].result, 0);
		assert_int_equal(g[i].has_root, i % 2);
	}
	while (ctx->ngjobs > 0)
		loop_run_once(l, 20);
	loop_run_once(l, 0);
	assert_int_equal(g[0].done + g[39].done, 0);

	/* Freed with lookups in flight: no callback, the threads' answers
	 * are dropped when they come. */
	memset(&gone, 0, sizeof(gone));
	for (i = 0; i < 20; i++)
		assert_int_equal(auth_user_groups_start(ctx, "root",
		    t_groups_cb, &gone, &op), 0);
	auth_ctx_free(ctx);
	end = loop_clock_ms() + 10000;
	while (auth_groups_live() > 0 && loop_clock_ms() < end)
		loop_run_once(l, 20);
	assert_int_equal(auth_groups_live(), 0);
	assert_int_equal(gone.done, 0);
	conf_free(&c);
	loop_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_matrix),
		cmocka_unit_test(test_policy_kinds),
		cmocka_unit_test(test_policy_forwarding),
		cmocka_unit_test(test_policy_forced_command),
		cmocka_unit_test(test_policy_groups),
		cmocka_unit_test(test_policy_groups_async),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
