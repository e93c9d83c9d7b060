/* test-execwrap.c: unit tests for the commands devgate runs in an
 * environment (gateway/execwrap.c): argv building, the wrapper run for
 * real by this machine's /bin/sh, the pid marker filter, signals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "gateway/execwrap.h"
#include "tests/unit/testutil.h"

extern char **environ;

/* Run argv with stdin from /dev/null; collect stdout and stderr. */
static int
t_run(char **argv, char *out, size_t outlen, char *err, size_t errlen)
{
	posix_spawn_file_actions_t fa;
	int po[2], pe[2], status;
	ssize_t n;
	size_t o = 0, e = 0;
	pid_t pid;

	assert_int_equal(pipe(po), 0);
	assert_int_equal(pipe(pe), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", 0, 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ),
	    0);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	while ((n = read(po[0], out + o, outlen - 1 - o)) > 0)
		o += (size_t)n;
	while ((n = read(pe[0], err + e, errlen - 1 - e)) > 0)
		e += (size_t)n;
	out[o] = err[e] = '\0';
	close(po[0]);
	close(pe[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 +
	    WTERMSIG(status);
}

static void
test_argv(void **state)
{
	const char *env[] = { "LANG=C.UTF-8", "X_Y=a b 'c' \"d\"", NULL };
	const char *bad1[] = { "1X=y", NULL };
	const char *bad2[] = { "NOEQUALS", NULL };
	const char *bad3[] = { "A-B=1", NULL };
	struct execwrap_spec spec = { EXECWRAP_EXEC, "echo hi", env };
	char **argv;

	(void)state;
	assert_int_equal(execwrap_argv(&spec, &argv), 0);
	assert_string_equal(argv[0], "/bin/sh");
	assert_string_equal(argv[1], "-c");
	assert_non_null(strstr(argv[2], "devgate-pid"));
	assert_string_equal(argv[3], "devgate");
	assert_string_equal(argv[4], "exec");
	assert_string_equal(argv[5], "echo hi");
	assert_string_equal(argv[6], "LANG=C.UTF-8");
	assert_string_equal(argv[7], "X_Y=a b 'c' \"d\"");
	assert_null(argv[8]);
	execwrap_argv_free(argv);
	spec.env = bad1;
	assert_int_equal(execwrap_argv(&spec, &argv), DG_ERR_INVAL);
	spec.env = bad2;
	assert_int_equal(execwrap_argv(&spec, &argv), DG_ERR_INVAL);
	spec.env = bad3;
	assert_int_equal(execwrap_argv(&spec, &argv), DG_ERR_INVAL);
	spec.env = NULL;
	spec.command = NULL;
	assert_int_equal(execwrap_argv(&spec, &argv), DG_ERR_INVAL);
	assert_true(execwrap_valid_env_name("LC_ALL"));
	assert_true(execwrap_valid_env_name("_x1"));
	assert_false(execwrap_valid_env_name(""));
	assert_false(execwrap_valid_env_name("9"));
	assert_false(execwrap_valid_env_name("A B"));
}

/* The wrapper, run by this machine's sh: marker, env, status, stderr. */
static void
test_run_exec(void **state)
{
	const char *env[] = { "DG_T1=it's \"quoted\" $HOME", "LANG=C", NULL };
	struct execwrap_spec spec = { EXECWRAP_EXEC,
	    "printf '%s|%s|%s\\n' \"$DG_T1\" \"$LANG\" \"$(pwd)\"; "
	    "echo oops >&2; exit 42", env };
	char **argv, out[4096], err[4096], want[256];
	struct execwrap_filter f;
	struct iovec seg[2];
	int n, i;
	size_t o = 0;
	char clean[4096];

	(void)state;
	assert_int_equal(execwrap_argv(&spec, &argv), 0);
	assert_int_equal(t_run(argv, out, sizeof(out), err, sizeof(err)), 42);
	execwrap_argv_free(argv);
	assert_string_equal(err, "oops\n");
	assert_int_equal(out[0], '\036');
	execwrap_filter_init(&f);
	n = execwrap_filter_feed(&f, out, strlen(out), seg);
	for (i = 0; i < n; i++) {
		memcpy(clean + o, seg[i].iov_base, seg[i].iov_len);
		o += seg[i].iov_len;
	}
	clean[o] = '\0';
	assert_true(f.done);
	assert_true(f.pid > 1);
	/* The session starts in $HOME, as with sshd. */
	snprintf(want, sizeof(want), "it's \"quoted\" $HOME|C|%s\n",
	    getenv("HOME") != NULL ? getenv("HOME") : "/");
	assert_string_equal(clean, want);
}

static void
test_run_sftp(void **state)
{
	struct execwrap_spec spec = { EXECWRAP_SFTP, NULL, NULL };
	char **argv, out[4096], err[4096];
	int i, have = 0;

	(void)state;
	for (i = 0; execwrap_sftp_paths[i] != NULL; i++)
		have |= access(execwrap_sftp_paths[i], X_OK) == 0;
	if (!have)
		skip();
	assert_int_equal(execwrap_argv(&spec, &argv), 0);
	/* sftp-server reads EOF from /dev/null and ends quietly. */
	assert_int_equal(t_run(argv, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "");	/* no marker: bytes are SFTP */
	execwrap_argv_free(argv);
}

/* argv run by /bin/sh -c script in a private mount namespace (unshare
 * -m), with arg (if any) as $1 before argv's words. */
static char **
t_in_mount_ns(const char *script, const char *arg, char **argv)
{
	char **w;
	size_t n, i, k = 0;

	for (n = 0; argv[n] != NULL; n++)
		;
	w = calloc(n + 8, sizeof(char *));
	assert_non_null(w);
	w[k++] = "/usr/bin/unshare";
	w[k++] = "-m";
	w[k++] = "/bin/sh";
	w[k++] = "-c";
	w[k++] = (char *)(uintptr_t)script;
	w[k++] = "t";
	if (arg != NULL)
		w[k++] = (char *)(uintptr_t)arg;
	for (i = 0; i < n; i++)
		w[k++] = argv[i];
	w[k] = NULL;
	return w;
}

/* No sftp-server anywhere: the message names the paths tried, status 127.
 * Hiding them needs a private mount namespace (root); else skipped. */
static void
test_run_sftp_missing(void **state)
{
	struct execwrap_spec spec = { EXECWRAP_SFTP, NULL, NULL };
	char **argv, **wrapped, out[4096], err[4096];
	int rc;

	(void)state;
	if (geteuid() != 0 || access("/usr/bin/unshare", X_OK) != 0)
		skip();
	assert_int_equal(execwrap_argv(&spec, &argv), 0);
	wrapped = t_in_mount_ns("for d in /usr/lib/openssh "
	    "/usr/libexec/openssh /usr/lib/ssh; do [ -d $d ] && { mount -t "
	    "tmpfs none $d || exit 99; }; done; PATH=/nonexistent; export "
	    "PATH; exec \"$@\"", NULL, argv);
	rc = t_run(wrapped, out, sizeof(out), err, sizeof(err));
	if (rc == 99 || strstr(err, "unshare") != NULL) {
		free(wrapped);
		execwrap_argv_free(argv);
		skip();
	}
	assert_int_equal(rc, 127);
	assert_string_equal(out, "");
	assert_non_null(strstr(err, "devgate: no sftp-server in this "
	    "environment (tried /usr/lib/openssh/sftp-server, "
	    "/usr/libexec/openssh/sftp-server, /usr/lib/ssh/sftp-server, "
	    "/usr/libexec/sftp-server, /usr/lib/sftp-server and $PATH)"));
	free(wrapped);
	execwrap_argv_free(argv);
}

/*
 * The user's entry, found in a private mount namespace (root) where
 * /etc/passwd and /etc/nsswitch.conf are files of the test and PATH starts
 * with a directory holding fake "getent" and "id" that record each call.
 * The user is this process's uid.
 */
struct t_user {
	char	 dir[64];
	char	 calls[128];
};

static int
t_user_setup(struct t_user *t)
{
	char path[256];

	if (geteuid() != 0 || access("/usr/bin/unshare", X_OK) != 0)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "/tmp/test-execwrap.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->calls, sizeof(t->calls), "%s/calls", t->dir);
	snprintf(path, sizeof(path), "%s/bin", t->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/home", t->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	/* getent knows "guser" with the uid asked for, by number only. */
	snprintf(path, sizeof(path), "%s/bin/getent", t->dir);
	t_write(path, "#!/bin/sh\necho \"getent $*\" >>\"${0%/bin/*}/calls\"\n"
	    "[ \"$1\" = passwd ] || exit 2\n"
	    "case $2 in *[!0-9]*) exit 2;; esac\n"
	    "[ -f \"${0%/bin/*}/getent-wrong\" ] &&"
	    " { echo \"guser:x:$(($2 + 1)):0::/:/bin/sh\"; exit 0; }\n"
	    "echo \"guser:x:$2:0:G:${0%/bin/*}:/bin/sh\"\n", 0755);
	snprintf(path, sizeof(path), "%s/bin/id", t->dir);
	t_write(path, "#!/bin/sh\necho \"id $*\" >>\"${0%/bin/*}/calls\"\n"
	    "exec /usr/bin/id \"$@\"\n", 0755);
	return 0;
}

static void
t_user_cleanup(struct t_user *t)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
}

/* Run the wrapper with passwd and nsswitch.conf as given; return its
 * "USER|LOGNAME|HOME|SHELL|PWD" line (marker removed) in out and the
 * fake commands it ran in calls. */
static void
t_user_run(struct t_user *t, const char *passwd, const char *nss,
    char *out, size_t outlen, char *calls, size_t callslen)
{
	const char *env[] = { NULL };
	struct execwrap_spec spec = { EXECWRAP_EXEC, "printf "
	    "'%s|%s|%s|%s|%s\\n' \"$USER\" \"$LOGNAME\" \"$HOME\" "
	    "\"$SHELL\" \"$PWD\"", env };
	char **argv, **wrapped, raw[4096], err[4096], path[256], *nl;
	size_t n;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/passwd", t->dir);
	t_write(path, passwd, 0644);
	snprintf(path, sizeof(path), "%s/nsswitch.conf", t->dir);
	t_write(path, nss, 0644);
	unlink(t->calls);
	assert_int_equal(execwrap_argv(&spec, &argv), 0);
	wrapped = t_in_mount_ns("d=$1; shift; mount --bind \"$d/passwd\" "
	    "/etc/passwd && mount --bind \"$d/nsswitch.conf\" "
	    "/etc/nsswitch.conf || exit 99; PATH=$d/bin:$PATH; export PATH; "
	    "exec \"$@\"", t->dir, argv);
	assert_int_equal(t_run(wrapped, raw, sizeof(raw), err, sizeof(err)),
	    0);
	free(wrapped);
	execwrap_argv_free(argv);
	assert_string_equal(err, "");
	assert_true(strncmp(raw, "\036devgate-pid:", 13) == 0);
	assert_non_null(nl = strchr(raw, '\n'));
	snprintf(out, outlen, "%s", nl + 1);
	calls[0] = '\0';
	if ((fp = fopen(t->calls, "r")) != NULL) {
		n = fread(calls, 1, callslen - 1, fp);
		calls[n] = '\0';
		fclose(fp);
	}
}

static void
test_run_user(void **state)
{
	struct t_user t;
	char pw[512], want[512], out[4096], calls[512];
	unsigned uid = (unsigned)geteuid();

	(void)state;
	if (t_user_setup(&t) != 0)
		skip();
	/* In /etc/passwd (the last line has no newline; a line whose gid is
	 * the uid comes first): no process is started to find the user. */
	snprintf(pw, sizeof(pw), "# comment\n+::::::\nbob:x:%u9:%u:B:/:/x\n"
	    "tuser:x:%u:0:T:%s/home:/bin/sh", uid, uid, uid, t.dir);
	t_user_run(&t, pw, "passwd: files systemd\n", out, sizeof(out),
	    calls, sizeof(calls));
	snprintf(want, sizeof(want), "tuser|tuser|%s/home|/bin/sh|%s/home\n",
	    t.dir, t.dir);
	assert_string_equal(out, want);
	assert_string_equal(calls, "");
	/* Not in /etc/passwd: one getent by uid (NSS: LDAP, sssd). */
	t_user_run(&t, "bob:x:12345:0::/:/bin/sh\n", "passwd:files\n", out,
	    sizeof(out), calls, sizeof(calls));
	snprintf(want, sizeof(want), "guser|guser|%s|/bin/sh|%s\n", t.dir,
	    t.dir);
	assert_string_equal(out, want);
	snprintf(want, sizeof(want), "getent passwd %u\n", uid);
	assert_string_equal(calls, want);
	/* Another source before files in nsswitch.conf: getent first. */
	t_user_run(&t, pw, "# x\npasswd:   sss files\n", out, sizeof(out),
	    calls, sizeof(calls));
	snprintf(want, sizeof(want), "guser|guser|%s|/bin/sh|%s\n", t.dir,
	    t.dir);
	assert_string_equal(out, want);
	/* An answer for another uid is not taken: files then. */
	snprintf(want, sizeof(want), "%s/getent-wrong", t.dir);
	t_write(want, "", 0644);
	t_user_run(&t, pw, "passwd: sss files\n", out, sizeof(out), calls,
	    sizeof(calls));
	snprintf(want, sizeof(want), "tuser|tuser|%s/home|/bin/sh|%s/home\n",
	    t.dir, t.dir);
	assert_string_equal(out, want);
	/* Nowhere: no USER, HOME and SHELL from the environment. */
	t_user_run(&t, "bob:x:12345:0::/:/bin/sh\n", "passwd: files\n", out,
	    sizeof(out), calls, sizeof(calls));
	snprintf(want, sizeof(want), "||%s|%s|%s\n",
	    getenv("HOME") != NULL ? getenv("HOME") : "/",
	    getenv("SHELL") != NULL && access(getenv("SHELL"), X_OK) == 0 ?
	    getenv("SHELL") : "/bin/sh",
	    getenv("HOME") != NULL ? getenv("HOME") : "/");
	assert_string_equal(out, want);
	t_user_cleanup(&t);
}

static void
test_signal(void **state)
{
	char **argv, out[256], err[256];
	pid_t pid;
	int status;

	(void)state;
	if ((pid = fork()) == 0) {
		execl("/bin/sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	assert_int_equal(execwrap_signal_argv("TERM", (long)pid, &argv), 0);
	assert_int_equal(t_run(argv, out, sizeof(out), err, sizeof(err)), 0);
	execwrap_argv_free(argv);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
	assert_int_equal(execwrap_signal_argv("BOGUS", 100, &argv),
	    DG_ERR_INVAL);
	assert_int_equal(execwrap_signal_argv("TERM", 1, &argv), DG_ERR_INVAL);
	assert_int_equal(execwrap_signal_number("INT"), 2);
	assert_int_equal(execwrap_signal_number("SIGINT"), -1);
	assert_string_equal(execwrap_signal_name(9), "KILL");
	assert_null(execwrap_signal_name(64));
	assert_string_equal(execwrap_exit_signal(143, 15), "TERM");
	assert_null(execwrap_exit_signal(143, 0));	/* not ours */
	assert_null(execwrap_exit_signal(130, 15));
	assert_null(execwrap_exit_signal(0, 15));
}

/* Feed text in chunks of n bytes; return what passes and the pid. */
static long
t_filter(const char *in, size_t len, size_t chunk, char *out)
{
	struct execwrap_filter f;
	struct iovec seg[2];
	size_t off, o = 0, c;
	int i, n;

	execwrap_filter_init(&f);
	for (off = 0; off < len; off += c) {
		c = len - off < chunk ? len - off : chunk;
		n = execwrap_filter_feed(&f, in + off, c, seg);
		for (i = 0; i < n; i++) {
			memcpy(out + o, seg[i].iov_base, seg[i].iov_len);
			o += seg[i].iov_len;
		}
	}
	n = execwrap_filter_flush(&f, seg);
	if (n == 1) {
		memcpy(out + o, seg[0].iov_base, seg[0].iov_len);
		o += seg[0].iov_len;
	}
	out[o] = '\0';
	return f.pid;
}

static void
t_case(const char *in, long pid, const char *out)
{
	char buf[512];
	size_t chunk;

	for (chunk = 1; chunk <= strlen(in) + 1; chunk++) {
		assert_int_equal(t_filter(in, strlen(in), chunk, buf), pid);
		assert_string_equal(buf, out);
	}
}

static void
test_filter(void **state)
{
	(void)state;
	t_case("\036devgate-pid:1234\nhello\n", 1234, "hello\n");
	t_case("\036devgate-pid:77\r\n$ ", 77, "$ ");
	t_case("\036devgate-pid:77\r\n", 77, "");
	t_case("hello", 0, "hello");
	t_case("", 0, "");
	t_case("\036devgate-pi", 0, "\036devgate-pi");
	t_case("\036devgate-pid:\nx", 0, "\036devgate-pid:\nx");
	t_case("\036devgate-pid:12a\n", 0, "\036devgate-pid:12a\n");
	t_case("\036devgate-pid:1\n", 0, "\036devgate-pid:1\n");
	t_case("\036devgate-pid:12345678901\n", 0,
	    "\036devgate-pid:12345678901\n");
	t_case("\036devgate-pid:12\r\rx", 0, "\036devgate-pid:12\r\rx");
	t_case("\036devgate-pid:5\n\036devgate-pid:6\n", 5,
	    "\036devgate-pid:6\n");
	t_case("\036devgate-PID:5\n", 0, "\036devgate-PID:5\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_argv),
		cmocka_unit_test(test_run_exec),
		cmocka_unit_test(test_run_sftp),
		cmocka_unit_test(test_run_sftp_missing),
		cmocka_unit_test(test_run_user),
		cmocka_unit_test(test_signal),
		cmocka_unit_test(test_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
