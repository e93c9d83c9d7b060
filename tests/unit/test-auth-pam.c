/* test-auth-pam.c: unit tests for PAM (auth/auth-pam.c) with the real
 * libpam under pam_wrapper (no system changes): pam_permit / pam_deny
 * stacks, pam_matrix passwords and a locked account, pam_oath TOTP codes
 * from oathtool, several prompt rounds, cancellation. The test re-executes
 * itself with LD_PRELOAD=libpam_wrapper.so; without pam_wrapper it skips. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth.h"
#include "common/err.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "tests/unit/auth-testutil.h"

#define OATH_SECRET	"3132333435363738393031323334353637383930"
#define SECURITY	"/lib/x86_64-linux-gnu/security"
#define PAMWRAP		"/usr/lib/x86_64-linux-gnu/pam_wrapper"

static struct loop *l;

#ifdef __SANITIZE_ADDRESS__
const char *__lsan_default_suppressions(void);

/* What auth_pam_conv allocates belongs to PAM from then on; pam_matrix (a
 * test module) never frees the replies. */
const char *
__lsan_default_suppressions(void)
{
	return "leak:auth_pam_conv\n";
}
#endif

struct t_kb {
	int		 prompts;	/* rounds seen */
	unsigned	 n;
	char		 prompt[256];
	char		 info[1024];
	int		 echo;
	int		 done;
	int		 result;
	char		 reason[256];
	const char	*answers[4];	/* per round */
	struct auth_kbdint *kb;
	int		 answer_now;
};

static void
t_prompt_cb(void *arg, const struct auth_prompts *p)
{
	struct t_kb *t = arg;

	t->prompts++;
	t->n = p->n;
	snprintf(t->prompt, sizeof(t->prompt), "%s", p->n ? p->prompts[0] :
	    "");
	snprintf(t->info + strlen(t->info), sizeof(t->info) -
	    strlen(t->info), "%s", p->instruction);
	t->echo = p->n ? p->echo[0] : -1;
	t->answer_now = 1;
}

static void
t_done_cb(void *arg, int result, const char *reason)
{
	struct t_kb *t = arg;

	t->done = 1;
	t->result = result;
	snprintf(t->reason, sizeof(t->reason), "%s", reason ? reason : "");
}

static void
t_env(struct conf *c, struct auth_config *a, struct auth_ctx **ctxp,
    const char *service)
{
	char text[512], err[256];

	snprintf(text, sizeof(text), "UsePAM yes\nPAMServiceName %s\n"
	    "AuditLog %s\n", service, t_path("audit.log"));
	t_load_conf(c, a, text);
	*ctxp = auth_ctx_new(l, a, err, sizeof(err));
	assert_non_null(*ctxp);
}

static void
t_peer(struct auth_peer *p, const char *user)
{
	memset(p, 0, sizeof(*p));
	p->session = "s7";
	p->user = user;
	p->addr = "10.0.0.7";
}

struct t_acct {
	int	called;
	int	result;
	char	reason[256];
};

static void
t_acct_cb(void *arg, int result, const char *reason)
{
	struct t_acct *t = arg;

	t->called = 1;
	t->result = result;
	snprintf(t->reason, sizeof(t->reason), "%s", reason ? reason : "");
}

static int
t_account(const char *service, const char *user, char *reason, size_t len)
{
	struct conf c;
	struct auth_config a;
	struct auth_ctx *ctx;
	struct auth_peer p;
	struct auth_op *op;
	struct t_acct t = { 0, 0, "" };

	t_env(&c, &a, &ctx, service);
	t_peer(&p, user);
	assert_int_equal(auth_pam_account(ctx, &p, t_acct_cb, &t, &op), 0);
	assert_int_equal(t.called, 0);
	t_run_until(l, &t.called, 10000);
	assert_int_equal(t.called, 1);
	snprintf(reason, len, "%s", t.reason);
	auth_ctx_free(ctx);
	conf_free(&c);
	return t.result;
}

static void
test_pam_account(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(t_account("dg-permit", "alice", why, sizeof(why)), 0);
	assert_int_equal(t_account("dg-deny", "alice", why, sizeof(why)),
	    DG_ERR_DENIED);
	assert_non_null(strstr(why, "PAM account"));
	assert_int_equal(t_account("dg-matrix", "alice", why, sizeof(why)), 0);
	/* "locked" may use another service only: refused even though the
	 * key (not checked here) would be fine. */
	assert_int_equal(t_account("dg-matrix", "locked", why, sizeof(why)),
	    DG_ERR_DENIED);
}

/* Run a kbdint conversation answering each round from t->answers. */
static void
t_kbdint(const char *service, const char *user, struct t_kb *t)
{
	struct conf c;
	struct auth_config a;
	struct auth_ctx *ctx;
	struct auth_peer p;
	const char *ans[1];
	uint64_t end;
	int round = 0;

	t_env(&c, &a, &ctx, service);
	t_peer(&p, user);
	assert_int_equal(auth_kbdint_start(ctx, &p, t_prompt_cb, t_done_cb, t,
	    &t->kb), 0);
	end = loop_clock_ms() + 20000;
	while (!t->done && loop_clock_ms() < end) {
		loop_run_once(l, 20);
		if (t->answer_now) {
			t->answer_now = 0;
			ans[0] = t->answers[round] != NULL ?
			    t->answers[round] : "";
			if (t->n > 0)
				round++;
			assert_int_equal(auth_kbdint_answer(t->kb, t->n, ans),
			    0);
		}
	}
	assert_true(t->done);
	auth_kbdint_free(t->kb);
	auth_ctx_free(ctx);
	conf_free(&c);
}

static char *
t_totp(void)
{
	FILE *f = popen("oathtool --totp " OATH_SECRET, "r");
	char buf[32];

	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	pclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return xstrdup(buf);
}

static void
test_pam_kbdint_password(void **state)
{
	struct t_kb t;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.answers[0] = "secret";
	t_kbdint("dg-matrix", "alice", &t);
	assert_int_equal(t.result, 0);
	assert_int_equal(t.echo, 0);
	assert_true(t.prompts >= 1);
	memset(&t, 0, sizeof(t));
	t.answers[0] = "wrong";
	t_kbdint("dg-matrix", "alice", &t);
	assert_int_equal(t.result, DG_ERR_AUTH);
	assert_non_null(strstr(t.reason, "PAM authentication"));
	/* Messages from PAM reach the user in an instruction. */
	memset(&t, 0, sizeof(t));
	t.answers[0] = "secret";
	t_kbdint("dg-matrix-verbose", "alice", &t);
	assert_int_equal(t.result, 0);
	assert_true(strlen(t.info) > 0);
	/* The password is right but the account is locked. */
	memset(&t, 0, sizeof(t));
	t.answers[0] = "secret";
	t_kbdint("dg-matrix", "locked", &t);
	assert_true(t.result != 0);
}

static void
test_pam_kbdint_totp(void **state)
{
	struct t_kb t;
	char *code;

	(void)state;
	code = t_totp();
	memset(&t, 0, sizeof(t));
	t.answers[0] = code;
	t_kbdint("dg-oath", "alice", &t);
	if (t.result != 0)
		fail_msg("TOTP %s refused: %s", code, t.reason);
	assert_non_null(strstr(t.prompt, "One-time password"));
	memset(&t, 0, sizeof(t));
	t.answers[0] = "000000";
	if (strcmp(code, "000000") == 0)
		t.answers[0] = "111111";
	t_kbdint("dg-oath", "alice", &t);
	assert_int_equal(t.result, DG_ERR_AUTH);
	/* The code that just worked cannot be replayed. */
	memset(&t, 0, sizeof(t));
	t.answers[0] = code;
	t_kbdint("dg-oath", "alice", &t);
	assert_int_equal(t.result, DG_ERR_AUTH);
	free(code);
	/* Two rounds: password, then a fresh code. */
	code = t_totp();
	memset(&t, 0, sizeof(t));
	t.answers[0] = "secret";
	t.answers[1] = code;
	t_kbdint("dg-multi", "alice", &t);
	if (t.result != 0)
		fail_msg("password + TOTP refused: %s", t.reason);
	assert_true(t.prompts >= 2);
	free(code);
}

static void
test_pam_cancel(void **state)
{
	struct conf c;
	struct auth_config a;
	struct auth_ctx *ctx;
	struct auth_peer p;
	struct t_kb t;
	uint64_t end;

	(void)state;
	memset(&t, 0, sizeof(t));
	t_env(&c, &a, &ctx, "dg-matrix");
	t_peer(&p, "alice");
	assert_int_equal(auth_kbdint_start(ctx, &p, t_prompt_cb, t_done_cb, &t,
	    &t.kb), 0);
	t_run_until(l, &t.prompts, 10000);
	assert_int_equal(t.prompts, 1);
	/* Give up while PAM waits for the answer: no callback follows. */
	auth_kbdint_free(t.kb);
	end = loop_clock_ms() + 300;
	while (loop_clock_ms() < end)
		loop_run_once(l, 20);
	assert_false(t.done);
	/* The context going away cancels a waiting conversation too. */
	memset(&t, 0, sizeof(t));
	assert_int_equal(auth_kbdint_start(ctx, &p, t_prompt_cb, t_done_cb, &t,
	    &t.kb), 0);
	t_run_until(l, &t.prompts, 10000);
	auth_ctx_free(ctx);
	end = loop_clock_ms() + 300;
	while (loop_clock_ms() < end)
		loop_run_once(l, 20);
	assert_false(t.done);
	auth_kbdint_free(t.kb);
	conf_free(&c);
	/* Without UsePAM there is no keyboard-interactive. */
	t_load_conf(&c, &a, "UsePAM no\n");
	ctx = auth_ctx_new(l, &a, NULL, 0);
	assert_int_equal(auth_kbdint_start(ctx, &p, t_prompt_cb, t_done_cb, &t,
	    &t.kb), DG_ERR_NOTSUP);
	auth_ctx_free(ctx);
	conf_free(&c);
}

static void
test_pam_audit(void **state)
{
	char *log;

	(void)state;
	log = t_slurp(t_path("audit.log"));
	assert_non_null(strstr(log, "\"method\":\"keyboard-interactive\""));
	assert_non_null(strstr(log, "\"method\":\"pam-account\""));
	assert_non_null(strstr(log, "\"user\":\"locked\""));
	free(log);
}

static void
t_service(const char *name, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/pam.d/%s", t_dir, name);
	t_write(path, text, 0644);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pam_account),
		cmocka_unit_test(test_pam_kbdint_password),
		cmocka_unit_test(test_pam_kbdint_totp),
		cmocka_unit_test(test_pam_cancel),
		cmocka_unit_test(test_pam_audit),
	};
	char buf[4096], pdb[300], pdbv[300], pdbm[300], users[300];
	char users2[300];
	const char *dir;
	int r;

	(void)argc;
	if (getenv("PAM_WRAPPER") == NULL) {
		/* First run: make the PAM services, then re-execute under
		 * pam_wrapper. */
		if (access(PAMWRAP "/pam_matrix.so", R_OK) != 0 ||
		    access(SECURITY "/pam_oath.so", R_OK) != 0 ||
		    system("command -v oathtool >/dev/null") != 0) {
			printf("# SKIP: pam_wrapper, pam_oath or oathtool "
			    "missing\n");
			return 77;
		}
		t_mkdir("test-auth-pam");
		snprintf(buf, sizeof(buf), "%s/pam.d", t_dir);
		t_sh("mkdir '%s'", buf);
		/* pam_matrix reads the first line of a user: one file per
		 * service. */
		snprintf(pdb, sizeof(pdb), "%s/passdb", t_dir);
		t_write(pdb, "alice:secret:dg-matrix\nlocked:secret:other\n",
		    0600);
		snprintf(pdbv, sizeof(pdbv), "%s/passdb-v", t_dir);
		t_write(pdbv, "alice:secret:dg-matrix-verbose\n", 0600);
		snprintf(pdbm, sizeof(pdbm), "%s/passdb-m", t_dir);
		t_write(pdbm, "alice:secret:dg-multi\n", 0600);
		snprintf(users, sizeof(users), "%s/oath.users", t_dir);
		t_write(users, "HOTP/T30/6 alice - " OATH_SECRET "\n", 0600);
		/* pam_oath refuses a code used before (replay): the second
		 * stack keeps its own state. */
		snprintf(users2, sizeof(users2), "%s/oath2.users", t_dir);
		t_write(users2, "HOTP/T30/6 alice - " OATH_SECRET "\n", 0600);
		t_service("dg-permit", "auth required " SECURITY
		    "/pam_permit.so\naccount required " SECURITY
		    "/pam_permit.so\n");
		t_service("other", "auth required " SECURITY
		    "/pam_deny.so\naccount required " SECURITY
		    "/pam_deny.so\n");
		t_service("dg-deny", "auth required " SECURITY
		    "/pam_deny.so\naccount required " SECURITY
		    "/pam_deny.so\n");
		snprintf(buf, sizeof(buf), "auth required " PAMWRAP
		    "/pam_matrix.so passdb=%s\naccount required " PAMWRAP
		    "/pam_matrix.so passdb=%s\n", pdb, pdb);
		t_service("dg-matrix", buf);
		snprintf(buf, sizeof(buf), "auth required " PAMWRAP
		    "/pam_matrix.so passdb=%s verbose\naccount required "
		    PAMWRAP "/pam_matrix.so passdb=%s\n", pdbv, pdbv);
		t_service("dg-matrix-verbose", buf);
		snprintf(buf, sizeof(buf), "auth required " SECURITY
		    "/pam_oath.so usersfile=%s window=3 digits=6\n"
		    "account required " SECURITY "/pam_permit.so\n", users);
		t_service("dg-oath", buf);
		snprintf(buf, sizeof(buf), "auth required " PAMWRAP
		    "/pam_matrix.so passdb=%s\nauth required " SECURITY
		    "/pam_oath.so usersfile=%s window=3 digits=6\n"
		    "account required " PAMWRAP "/pam_matrix.so passdb=%s\n",
		    pdbm, users2, pdbm);
		t_service("dg-multi", buf);
		snprintf(buf, sizeof(buf), "%s/pam.d", t_dir);
		setenv("PAM_WRAPPER", "1", 1);
		/* libpam notes (missing "other") go to syslog, not here */
		setenv("PAM_WRAPPER_USE_SYSLOG", "1", 1);
		setenv("PAM_WRAPPER_SERVICE_DIR", buf, 1);
		setenv("LD_PRELOAD", "libpam_wrapper.so", 1);
#ifdef __SANITIZE_ADDRESS__
		/* ASan: no RTLD_DEEPBIND, and pam_wrapper preloads first. */
		setenv("PAM_WRAPPER_DISABLE_DEEPBIND", "1", 1);
		/* pam_wrapper 1.1.4 reads this name instead */
		setenv("UID_WRAPPER_DISABLE_DEEPBIND", "1", 1);
		setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 0);
#endif
		setenv("AUTH_PAM_TEST_DIR", t_dir, 1);
		execv("/proc/self/exe", argv);
		perror("execv");
		return 1;
	}
	dir = getenv("AUTH_PAM_TEST_DIR");
	assert_non_null(dir);
	snprintf(t_dir, sizeof(t_dir), "%s", dir);
	log_init("test", LOG_L_QUIET, LOG_FMT_TEXT, 2);
	l = loop_new();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	loop_free(l);
	t_rmdir();
	return r;
}
