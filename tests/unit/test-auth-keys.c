/* test-auth-keys.c: unit tests for auth/auth-keys.c (authorized_keys and
 * principals lines, key options, searching, %-expansion, StrictModes) and
 * for plain-key logins through auth_publickey(). Keys are made with
 * ssh-keygen at run time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth/auth.h"
#include "auth/auth-file.h"
#include "auth/auth-keys.h"
#include "auth/auth-wire.h"
#include "common/conf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "tests/unit/auth-testutil.h"

static char *t_pub1, *t_pub2, *t_rsa;	/* "type base64 comment" */

static int
t_setup(void **state)
{
	(void)state;
	t_mkdir("test-auth-keys");
	t_pub1 = t_keygen("k1", "ed25519");
	t_pub2 = t_keygen("k2", "ecdsa");
	t_rsa = t_keygen("k3", "rsa");
	log_init("test", LOG_L_QUIET, LOG_FMT_TEXT, 2);
	return 0;
}

static int
t_teardown(void **state)
{
	(void)state;
	t_rmdir();
	free(t_pub1);
	free(t_pub2);
	free(t_rsa);
	return 0;
}

static void
test_keys_plain_lines(void **state)
{
	struct auth_keyline kl;
	char err[256], line[4096];

	(void)state;
	assert_int_equal(auth_keys_parse_line(t_pub1, &kl, err, sizeof(err)),
	    0);
	assert_string_equal(kl.type, "ssh-ed25519");
	assert_int_equal(kl.opts.perms, AUTH_PERM_ALL);
	assert_null(kl.opts.command);
	auth_keyline_clear(&kl);

	assert_int_equal(auth_keys_parse_line(t_pub2, &kl, err, sizeof(err)),
	    0);
	assert_string_equal(kl.type, "ecdsa-sha2-nistp256");
	auth_keyline_clear(&kl);
	assert_int_equal(auth_keys_parse_line(t_rsa, &kl, err, sizeof(err)),
	    0);
	assert_string_equal(kl.type, "ssh-rsa");
	auth_keyline_clear(&kl);

	assert_int_equal(auth_keys_parse_line("", &kl, err, sizeof(err)),
	    DG_ERR_NOTFOUND);
	assert_int_equal(auth_keys_parse_line("   # a comment", &kl, err,
	    sizeof(err)), DG_ERR_NOTFOUND);
	/* Leading blanks before the key are fine. */
	snprintf(line, sizeof(line), " \t%s", t_pub1);
	assert_int_equal(auth_keys_parse_line(line, &kl, err, sizeof(err)),
	    0);
	auth_keyline_clear(&kl);
}

static void
test_keys_options(void **state)
{
	struct auth_keyline kl;
	char err[256], line[4096];

	(void)state;
	snprintf(line, sizeof(line), "no-pty,no-port-forwarding,command="
	    "\"echo \\\"hi there\\\"; ls\",from=\"10.0.0.0/8,!10.1.*\","
	    "environment=\"A=1\",environment=\"A=2\",environment=\"B_2=x y\","
	    "permitopen=\"localhost:8888\",permitopen=\"[::1]:*\","
	    "expiry-time=\"20300102\",expiry-time=\"20290101Z\" %s", t_pub1);
	assert_int_equal(auth_keys_parse_line(line, &kl, err, sizeof(err)),
	    0);
	assert_false(kl.opts.perms & AUTH_PERM_PTY);
	assert_false(kl.opts.perms & AUTH_PERM_PORT_FWD);
	assert_true(kl.opts.perms & AUTH_PERM_AGENT_FWD);
	assert_string_equal(kl.opts.command, "echo \"hi there\"; ls");
	assert_string_equal(kl.opts.from, "10.0.0.0/8,!10.1.*");
	assert_int_equal(kl.opts.nenv, 2);	/* first A wins */
	assert_string_equal(kl.opts.env[0], "A=1");
	assert_string_equal(kl.opts.env[1], "B_2=x y");
	assert_int_equal(kl.opts.npermitopen, 2);
	assert_int_equal(kl.opts.expiry, 1861920000);	/* earliest, UTC */
	auth_keyline_clear(&kl);

	/* restrict, then re-enable pty; case-insensitive names. */
	snprintf(line, sizeof(line), "RESTRICT,Pty %s", t_pub1);
	assert_int_equal(auth_keys_parse_line(line, &kl, err, sizeof(err)),
	    0);
	assert_int_equal(kl.opts.perms, AUTH_PERM_PTY);
	assert_true(kl.opts.restricted);
	auth_keyline_clear(&kl);

	snprintf(line, sizeof(line), "cert-authority,principals=\"a,b\" %s",
	    t_pub1);
	assert_int_equal(auth_keys_parse_line(line, &kl, err, sizeof(err)),
	    0);
	assert_true(kl.opts.cert_authority);
	assert_string_equal(kl.opts.principals, "a,b");
	auth_keyline_clear(&kl);
}

static void
t_bad(const char *opts, int expect, const char *errpart)
{
	struct auth_keyline kl;
	char err[256], line[4096];
	int r;

	snprintf(line, sizeof(line), "%s %s", opts, t_pub1);
	err[0] = '\0';
	r = auth_keys_parse_line(line, &kl, err, sizeof(err));
	if (r == 0)
		auth_keyline_clear(&kl);
	if (r != expect)
		fail_msg("\"%s\": %d, expected %d (%s)", opts, r, expect, err);
	if (strstr(err, errpart) == NULL)
		fail_msg("\"%s\": error \"%s\" lacks \"%s\"", opts, err,
		    errpart);
	assert_null(kl.blob);
}

static void
test_keys_bad_options(void **state)
{
	(void)state;
	t_bad("tunnel=\"0\"", DG_ERR_NOTSUP, "not supported");
	t_bad("permitlisten=\"8080\"", DG_ERR_NOTSUP, "not supported");
	t_bad("no-pty,frobnicate", DG_ERR_NOTSUP, "unsupported option");
	t_bad("verify-required", DG_ERR_NOTSUP, "verify-required");
	t_bad("command=\"ls", DG_ERR_PARSE, "unbalanced quotes");
	t_bad("command=ls", DG_ERR_PARSE, "missing start quote");
	t_bad("command=\"a\",command=\"b\"", DG_ERR_PARSE, "multiple");
	t_bad("from=\"1.2.3.4\",from=\"5.6.7.8\"", DG_ERR_PARSE, "multiple");
	t_bad("from=\"10.0.0.1/8\"", DG_ERR_PARSE, "invalid from");
	t_bad("environment=\"1-A=x\"", DG_ERR_PARSE, "environment");
	t_bad("environment=\"NOEQUALS\"", DG_ERR_PARSE, "environment");
	t_bad("permitopen=\"nohost\"", DG_ERR_PARSE, "permitopen");
	t_bad("permitopen=\"h:99999\"", DG_ERR_PARSE, "permitopen");
	t_bad("expiry-time=\"2030\"", DG_ERR_PARSE, "expires");
	t_bad("no-pty,", DG_ERR_PARSE, "end-of-options");
	t_bad("no-ptyx", DG_ERR_NOTSUP, "unknown key option");
}

static void
test_keys_bad_keys(void **state)
{
	struct auth_keyline kl;
	char err[256], line[4096], *b64;
	unsigned char *blob;
	size_t len;

	(void)state;
	assert_int_equal(auth_keys_parse_line("ssh-ed25519 AAAA!!!! x", &kl,
	    err, sizeof(err)), DG_ERR_PARSE);
	assert_non_null(strstr(err, "base64"));
	assert_int_equal(auth_keys_parse_line("ssh-ed25519", &kl, err,
	    sizeof(err)), DG_ERR_PARSE);
	assert_int_equal(auth_keys_parse_line("ssh-foo AAAA x", &kl, err,
	    sizeof(err)), DG_ERR_PARSE);
	/* The text says RSA, the blob is ed25519. */
	snprintf(line, sizeof(line), "ssh-rsa %s", strchr(t_pub1, ' ') + 1);
	assert_int_equal(auth_keys_parse_line(line, &kl, err, sizeof(err)),
	    DG_ERR_PARSE);
	assert_non_null(strstr(err, "does not match"));
	/* An ed25519 blob with a 31-byte key. */
	t_blob(t_pub1, &blob, &len);
	blob[len - 33] = 31;
	b64 = auth_b64_encode(blob, len - 1, 1);
	snprintf(line, sizeof(line), "ssh-ed25519 %s", b64);
	assert_int_equal(auth_keys_parse_line(line, &kl, err, sizeof(err)),
	    DG_ERR_PARSE);
	assert_non_null(strstr(err, "invalid"));
	free(b64);
	free(blob);
	/* Non-canonical base64 padding bits. */
	assert_int_equal(auth_keys_parse_line("ssh-ed25519 AB== x", &kl, err,
	    sizeof(err)), DG_ERR_PARSE);
}

static void
test_keys_principals(void **state)
{
	struct auth_keyopts o;
	char err[256], *p = NULL;

	(void)state;
	assert_int_equal(auth_keys_parse_principal("alice", &p, &o, err,
	    sizeof(err)), 0);
	assert_string_equal(p, "alice");
	free(p);
	auth_keyopts_clear(&o);
	assert_int_equal(auth_keys_parse_principal(
	    "command=\"x y\",no-pty  ops-team  ", &p, &o, err, sizeof(err)), 0);
	assert_string_equal(p, "ops-team");
	assert_string_equal(o.command, "x y");
	assert_false(o.perms & AUTH_PERM_PTY);
	free(p);
	auth_keyopts_clear(&o);
	assert_int_equal(auth_keys_parse_principal("# c", &p, &o, err,
	    sizeof(err)), DG_ERR_NOTFOUND);
	assert_int_equal(auth_keys_parse_principal("bogus-opt alice", &p, &o,
	    err, sizeof(err)), DG_ERR_NOTSUP);
}

static void
test_keys_find(void **state)
{
	struct auth_keyline kl;
	unsigned char *b1, *b2;
	size_t l1, l2;
	char text[16384], why[256];
	int line;

	(void)state;
	t_blob(t_pub1, &b1, &l1);
	t_blob(t_pub2, &b2, &l2);
	snprintf(text, sizeof(text), "# keys\n\n%s\ntunnel=\"1\" %s\n"
	    "no-pty %s\ncert-authority %s\n", t_rsa, t_pub2, t_pub2, t_pub1);
	assert_int_equal(auth_keys_find(text, strlen(text), b2, l2, 0, &kl,
	    &line, why, sizeof(why)), 0);
	assert_int_equal(line, 5);	/* the refused line 4 is skipped */
	assert_false(kl.opts.perms & AUTH_PERM_PTY);
	auth_keyline_clear(&kl);
	/* k1 is only a CA here: not a user key ... */
	assert_int_equal(auth_keys_find(text, strlen(text), b1, l1, 0, &kl,
	    &line, why, sizeof(why)), DG_ERR_NOTFOUND);
	/* ... but found as a CA. */
	assert_int_equal(auth_keys_find(text, strlen(text), b1, l1, 1, &kl,
	    &line, why, sizeof(why)), 0);
	assert_int_equal(line, 6);
	auth_keyline_clear(&kl);
	/* Only a refused line holds the key: say why. */
	snprintf(text, sizeof(text), "tunnel=\"1\" %s\n", t_pub2);
	assert_int_equal(auth_keys_find(text, strlen(text), b2, l2, 0, &kl,
	    &line, why, sizeof(why)), DG_ERR_NOTSUP);
	assert_non_null(strstr(why, "line 1"));
	free(b1);
	free(b2);
}

/* auth_keys_parse_text: collects types; refuses ecdsa when asked to. */
struct t_each {
	char	types[256];
	int	refuse_ecdsa;
	int	calls;
};

static int
t_each_fn(void *arg, struct auth_keyline *kl, char *why, size_t whylen)
{
	struct t_each *e = arg;

	e->calls++;
	if (e->refuse_ecdsa && strncmp(kl->type, "ecdsa", 5) == 0)
		return dg_errf(why, whylen, DG_ERR_DENIED, "no %s", kl->type);
	snprintf(e->types + strlen(e->types), sizeof(e->types) -
	    strlen(e->types), "%s;", kl->type);
	if (e->calls == 1) {
		free(kl->blob);		/* taken */
		kl->blob = NULL;
	}
	return 0;
}

static void
test_keys_parse_text(void **state)
{
	struct t_each e;
	char text[16384], err[256];

	(void)state;
	snprintf(text, sizeof(text), "# CAs\n\n%s\n  # more\n%s\n%s", t_pub1,
	    t_rsa, t_pub2);
	memset(&e, 0, sizeof(e));
	assert_int_equal(auth_keys_parse_text(text, strlen(text), t_each_fn,
	    &e, err, sizeof(err)), 0);
	assert_string_equal(e.types, "ssh-ed25519;ssh-rsa;ecdsa-sha2-nistp256;");
	memset(&e, 0, sizeof(e));
	e.refuse_ecdsa = 1;
	assert_int_equal(auth_keys_parse_text(text, strlen(text), t_each_fn,
	    &e, err, sizeof(err)), DG_ERR_PARSE);
	assert_string_equal(err, "line 6: no ecdsa-sha2-nistp256");
	snprintf(text, sizeof(text), "%s\nssh-ed25519 AAAA!!!! x\n%s\n",
	    t_pub1, t_pub2);
	memset(&e, 0, sizeof(e));
	assert_int_equal(auth_keys_parse_text(text, strlen(text), t_each_fn,
	    &e, err, sizeof(err)), DG_ERR_PARSE);
	assert_int_equal(e.calls, 1);
	assert_non_null(strstr(err, "line 2: "));
	memset(&e, 0, sizeof(e));
	assert_int_equal(auth_keys_parse_text("", 0, t_each_fn, &e, NULL, 0),
	    0);
	assert_int_equal(e.calls, 0);
}

static void
test_keys_expand(void **state)
{
	struct passwd *pw = getpwuid(0);
	char *p, want[512];

	(void)state;
	assert_int_equal(auth_file_expand("/etc/devgate/keys/%u.pub", "alice",
	    &p), 0);
	assert_string_equal(p, "/etc/devgate/keys/alice.pub");
	free(p);
	assert_int_equal(auth_file_expand("/k/%%u-%u", "bob", &p), 0);
	assert_string_equal(p, "/k/%u-bob");
	free(p);
	assert_int_equal(auth_file_expand("/k/%u", "../etc", &p), DG_ERR_INVAL);
	assert_int_equal(auth_file_expand("/k/%x", "bob", &p), DG_ERR_INVAL);
	assert_int_equal(auth_file_expand("%h/.ssh/k", "no-such-user-xyz", &p),
	    DG_ERR_NOTFOUND);
	assert_non_null(pw);
	assert_int_equal(auth_file_expand(".ssh/authorized_keys", pw->pw_name,
	    &p), 0);
	snprintf(want, sizeof(want), "%s/.ssh/authorized_keys", pw->pw_dir);
	assert_string_equal(p, want);
	free(p);
}

static void
test_keys_strict_modes(void **state)
{
	char path[1024], sub[512], why[512], *text;
	size_t len;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/sm", t_dir);
	mkdir(sub, 0755);
	snprintf(path, sizeof(path), "%s/keys", sub);
	t_write(path, t_pub1, 0644);
	assert_int_equal(auth_file_read(path, "alice", 1, &text, &len,
	    why, sizeof(why)), 0);
	assert_int_equal(len, strlen(t_pub1));
	free(text);
	chmod(path, 0664);
	assert_int_equal(auth_file_read(path, "alice", 1, &text, &len,
	    why, sizeof(why)), DG_ERR_DENIED);
	assert_non_null(strstr(why, "bad ownership or modes for file"));
	/* Without StrictModes the same file is read. */
	assert_int_equal(auth_file_read(path, "alice", 0, &text, &len,
	    why, sizeof(why)), 0);
	free(text);
	chmod(path, 0644);
	chmod(sub, 0777);
	assert_int_equal(auth_file_read(path, "alice", 1, &text, &len,
	    why, sizeof(why)), DG_ERR_DENIED);
	assert_non_null(strstr(why, "directory"));
	chmod(sub, 0755);
	assert_int_equal(auth_file_read(sub, "alice", 0, &text, &len,
	    why, sizeof(why)), DG_ERR_DENIED);
	snprintf(path, sizeof(path), "%s/missing", sub);
	assert_int_equal(auth_file_read(path, "alice", 1, &text, &len,
	    why, sizeof(why)), DG_ERR_NOTFOUND);
}

static void
test_keys_publickey(void **state)
{
	struct conf c;
	struct auth_config a;
	struct auth_ctx *ctx;
	struct loop *l = loop_new();
	struct t_res res;
	char conftext[2048], path[512], keys[8192], err[256], audit[512];
	char *log;

	(void)state;
	snprintf(path, sizeof(path), "%s/alice.keys", t_dir);
	snprintf(keys, sizeof(keys), "%s\nfrom=\"10.9.0.0/16\" %s\n"
	    "expiry-time=\"20000101Z\" %s\n", t_pub1, t_pub2, t_rsa);
	t_write(path, keys, 0600);
	snprintf(audit, sizeof(audit), "%s/audit.log", t_dir);
	snprintf(conftext, sizeof(conftext), "AuthorizedKeysFile %s/%%u.keys "
	    "%s/none-%%u\nStrictModes no\nAuditLog %s\n", t_dir, t_dir,
	    audit);
	t_load_conf(&c, &a, conftext);
	ctx = auth_ctx_new(l, &a, err, sizeof(err));
	assert_non_null(ctx);

	t_login(ctx, l, "alice", "10.0.0.1", t_pub1, 1, &res);
	assert_int_equal(res.result, 0);
	assert_non_null(res.grant);
	assert_int_equal(res.grant->perms, AUTH_PERM_ALL);
	assert_string_equal(res.grant->key_type, "ssh-ed25519");
	assert_memory_equal(res.grant->fingerprint, "SHA256:", 7);
	assert_non_null(strstr(res.grant->source, "alice.keys:1"));
	auth_grant_free(res.grant);

	/* from= does not match. */
	t_login(ctx, l, "alice", "10.0.0.1", t_pub2, 1, &res);
	assert_int_equal(res.result, DG_ERR_DENIED);
	assert_non_null(strstr(res.reason, "from="));
	t_login(ctx, l, "alice", "10.9.3.4", t_pub2, 0, &res);
	assert_int_equal(res.result, 0);
	auth_grant_free(res.grant);
	/* expired key. */
	t_login(ctx, l, "alice", "10.0.0.1", t_rsa, 1, &res);
	assert_int_equal(res.result, DG_ERR_EXPIRED);
	/* Another user has no keys. */
	t_login(ctx, l, "bob", "10.0.0.1", t_pub1, 1, &res);
	assert_int_equal(res.result, DG_ERR_AUTH);
	assert_non_null(strstr(res.reason, "bob.keys"));

	/* The audit log holds one line per decision with a reason. */
	log = t_slurp(audit);
	assert_non_null(strstr(log, "\"decision\":\"accept\""));
	assert_non_null(strstr(log, "\"reason\":\"key not found in"));
	assert_non_null(strstr(log, "\"user\":\"bob\""));
	free(log);

	auth_ctx_free(ctx);
	conf_free(&c);
	loop_free(l);
}

static void
test_keys_speed(void **state)
{
	struct conf c;
	struct auth_config a;
	struct auth_ctx *ctx;
	struct loop *l = loop_new();
	struct t_res res;
	struct timespec t0, t1;
	char conftext[1024], err[256], name[32], *text, *p, *pub;
	size_t cap = 2 * 1024 * 1024, o = 0;
	double ms;
	int i, n = 100;

	(void)state;
	/* 1000 other keys, then the one that logs in. */
	text = p = xmalloc(cap);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "many%d", i % 20);
		if (i < 20)
			free(t_keygen(name, "ed25519"));
		pub = t_slurp(t_path(strcat(name, ".pub")));
		o += (size_t)snprintf(p + o, cap - o, "no-pty,from=\"10.%d.0.0/16\""
		    " %s\n", i % 250, pub);
		free(pub);
	}
	snprintf(p + o, cap - o, "%s\n", t_pub1);
	t_write(t_path("big.keys"), text, 0600);
	free(text);
	snprintf(conftext, sizeof(conftext), "AuthorizedKeysFile %s/big.keys\n"
	    "StrictModes no\n", t_dir);
	t_load_conf(&c, &a, conftext);
	ctx = auth_ctx_new(l, &a, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		t_login(ctx, l, "alice", "10.0.0.1", t_pub1, 1, &res);
		assert_int_equal(res.result, 0);
		auth_grant_free(res.grant);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = ((double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6) / n;
	printf("# key on line 1001 of a 1001-line authorized_keys file: %.3f ms "
	    "per lookup\n", ms);
	assert_true(ms < 50);
	auth_ctx_free(ctx);
	conf_free(&c);
	loop_free(l);
}

static void
test_keys_cancel(void **state)
{
	struct conf c;
	struct auth_config a;
	struct auth_ctx *ctx;
	struct loop *l = loop_new();
	struct auth_peer p;
	struct auth_op *op;
	struct t_res res;
	unsigned char *blob;
	size_t len;
	char conftext[512], err[256];
	int i;

	(void)state;
	snprintf(conftext, sizeof(conftext), "AuthorizedKeysFile %s/%%u.keys\n"
	    "StrictModes no\n", t_dir);
	t_load_conf(&c, &a, conftext);
	ctx = auth_ctx_new(l, &a, err, sizeof(err));
	memset(&p, 0, sizeof(p));
	memset(&res, 0, sizeof(res));
	p.user = "alice";
	p.addr = "10.0.0.1";
	t_blob(t_pub1, &blob, &len);
	assert_int_equal(auth_publickey(ctx, &p, "ssh-ed25519", blob, len, 1,
	    t_pk_cb, &res, &op), 0);
	auth_op_cancel(op);
	for (i = 0; i < 5; i++)
		loop_run_once(l, 1);
	assert_int_equal(res.called, 0);
	/* Pending ops are dropped silently with the context. */
	assert_int_equal(auth_publickey(ctx, &p, "ssh-ed25519", blob, len, 1,
	    t_pk_cb, &res, &op), 0);
	auth_ctx_free(ctx);
	for (i = 0; i < 5; i++)
		loop_run_once(l, 1);
	assert_int_equal(res.called, 0);
	/* A wrong algorithm name for the blob. */
	ctx = auth_ctx_new(l, &a, err, sizeof(err));
	assert_int_equal(auth_publickey(ctx, &p, "ssh-rsa", blob, len, 1,
	    t_pk_cb, &res, &op), 0);
	for (i = 0; i < 5 && res.called == 0; i++)
		loop_run_once(l, 1);
	assert_int_equal(res.result, DG_ERR_INVAL);
	free(blob);
	auth_ctx_free(ctx);
	conf_free(&c);
	loop_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_plain_lines),
		cmocka_unit_test(test_keys_options),
		cmocka_unit_test(test_keys_bad_options),
		cmocka_unit_test(test_keys_bad_keys),
		cmocka_unit_test(test_keys_principals),
		cmocka_unit_test(test_keys_find),
		cmocka_unit_test(test_keys_parse_text),
		cmocka_unit_test(test_keys_expand),
		cmocka_unit_test(test_keys_strict_modes),
		cmocka_unit_test(test_keys_publickey),
		cmocka_unit_test(test_keys_cancel),
		cmocka_unit_test(test_keys_speed),
	};

	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
