/* execwrap.c: the POSIX sh wrapper devgate runs in an environment (login
 * shell, command, sftp-server, signal delivery), the pid marker filter and
 * the exit-signal rule. Pure: no I/O, no logging. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xmalloc.h"
#include "gateway/execwrap.h"

const char *const execwrap_sftp_paths[] = {
	"/usr/lib/openssh/sftp-server",
	"/usr/libexec/openssh/sftp-server",
	"/usr/lib/ssh/sftp-server",
	"/usr/libexec/sftp-server",
	"/usr/lib/sftp-server",
	NULL
};

/*
 * $1 is the mode, $2 the command; the rest are NAME=value to export.
 * The user is found without starting a process where possible (a fork and
 * exec in the pod costs milliseconds, on every session): the effective uid
 * from /proc/self/status (else "id -u"), then its passwd entry from
 * /etc/passwd read with shell builtins, or from "getent passwd UID" (NSS:
 * LDAP, sssd) when that finds nothing. Container images keep their users
 * in /etc/passwd, and "files" comes first in stock nsswitch.conf files; an
 * image whose nsswitch.conf puts another source first for passwd gets
 * getent first, so that its answer wins as it would for sshd. The shell is
 * then the entry's, else $SHELL, else /bin/sh; the home the entry's, else
 * $HOME, else /. Like sshd: HOME, USER, LOGNAME and SHELL are set, the
 * session starts in $HOME, a shell is a login shell, a command runs with
 * "$shell -c". The pid line lets devgate signal the process: exec keeps
 * the pid.
 */
#define EXECWRAP_SCRIPT \
	"m=$1 c=$2; shift 2\n" \
	"i= e= f=1 l= r=\n" \
	"[ -r /proc/self/status ] && while read -r k r i l; do" \
	" [ \"$k\" = Uid: ] && break; i=; done </proc/self/status\n" \
	"case $i in ''|*[!0-9]*) i=$(id -u 2>/dev/null) || i=;; esac\n" \
	"[ -r /etc/nsswitch.conf ] && while read -r k l; do case $k in" \
	" passwd:*) k=${k#passwd:}; case ${k:-$l} in files*|compat*) ;;" \
	" *) f=;; esac; break;; esac; done </etc/nsswitch.conf\n" \
	"pf() {\n" \
	" [ -r /etc/passwd ] || return 0\n" \
	" while IFS= read -r l || [ -n \"$l\" ]; do r=${l#*:}; r=${r#*:};" \
	" case $r in \"$i\":*) e=$l; return 0;; esac; l=; done </etc/passwd\n" \
	"}\n" \
	"gf() {\n" \
	" e=$(getent passwd \"$i\" 2>/dev/null) || e=\n" \
	" r=${e#*:}; r=${r#*:}; case $r in \"$i\":*) ;; *) e=;; esac\n" \
	"}\n" \
	"if [ -n \"$i\" ]; then\n" \
	" if [ -n \"$f\" ]; then pf; [ -n \"$e\" ] || gf;" \
	" else gf; [ -n \"$e\" ] || pf; fi\n" \
	"fi\n" \
	"u=${e%%%%:*}\n" \
	"s=${e##*:}; h=${e%%:*}; h=${h##*:}\n" \
	"[ -n \"$s\" ] && [ -x \"$s\" ] || s=${SHELL:-}\n" \
	"[ -n \"$s\" ] && [ -x \"$s\" ] || s=/bin/sh\n" \
	"[ -n \"$h\" ] || h=${HOME:-/}\n" \
	"export HOME=\"$h\" SHELL=\"$s\"\n" \
	"[ -n \"$u\" ] && export USER=\"$u\" LOGNAME=\"$u\"\n" \
	"for kv do export \"$kv\"; done\n" \
	"cd \"$HOME\" 2>/dev/null || cd /\n" \
	"case $m in\n" \
	"sftp)\n" \
	" for p in %s; do [ -x \"$p\" ] && exec \"$p\"; done\n" \
	" p=$(command -v sftp-server 2>/dev/null) && [ -x \"$p\" ] &&" \
	" exec \"$p\"\n" \
	" echo \"devgate: no sftp-server in this environment (tried %s" \
	" and \\$PATH); install OpenSSH's sftp-server\" >&2\n" \
	" exit 127;;\n" \
	"shell) printf '\\036devgate-pid:%%s\\n' \"$$\"; exec \"$s\" -l;;\n" \
	"*) printf '\\036devgate-pid:%%s\\n' \"$$\";" \
	" exec \"$s\" -c \"$c\";;\n" \
	"esac\n"

int
execwrap_valid_env_name(const char *s)
{
	size_t i;

	if (!(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (i = 1; s[i] != '\0'; i++) {
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return 0;
		if (i >= 255)
			return 0;
	}
	return 1;
}

static char *
execwrap_paths(const char *sep)
{
	char *s = xstrdup(""), *t;
	size_t i;

	for (i = 0; execwrap_sftp_paths[i] != NULL; i++) {
		t = xasprintf("%s%s%s", s, i ? sep : "",
		    execwrap_sftp_paths[i]);
		free(s);
		s = t;
	}
	return s;
}

void
execwrap_argv_free(char **argv)
{
	size_t i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

int
execwrap_argv(const struct execwrap_spec *spec, char ***argvp)
{
	char **argv = NULL, *sp, *cp, *eq;
	size_t n = 0, i, nenv = 0;
	const char *mode;
	int r = DG_ERR_INVAL;

	for (i = 0; spec->env != NULL && spec->env[i] != NULL; i++) {
		if ((eq = strchr(spec->env[i], '=')) == NULL)
			return DG_ERR_INVAL;
		cp = xstrndup(spec->env[i], (size_t)(eq - spec->env[i]));
		r = execwrap_valid_env_name(cp) ? 0 : DG_ERR_INVAL;
		free(cp);
		if (r != 0)
			return r;
		nenv++;
	}
	switch (spec->mode) {
	case EXECWRAP_SHELL:
		mode = "shell";
		break;
	case EXECWRAP_EXEC:
		if (spec->command == NULL)
			return DG_ERR_INVAL;
		mode = "exec";
		break;
	case EXECWRAP_SFTP:
		mode = "sftp";
		break;
	default:
		return DG_ERR_INVAL;
	}
	argv = xcalloc(nenv + 7, sizeof(char *));
	argv[n++] = xstrdup("/bin/sh");
	argv[n++] = xstrdup("-c");
	sp = execwrap_paths(" ");
	cp = execwrap_paths(", ");
	argv[n++] = xasprintf(EXECWRAP_SCRIPT, sp, cp);
	free(sp);
	free(cp);
	argv[n++] = xstrdup("devgate");
	argv[n++] = xstrdup(mode);
	argv[n++] = xstrdup(spec->mode == EXECWRAP_EXEC ? spec->command : "");
	for (i = 0; i < nenv; i++)
		argv[n++] = xstrdup(spec->env[i]);
	argv[n] = NULL;
	*argvp = argv;
	return 0;
}

int
execwrap_signal_argv(const char *sig, long pid, char ***argvp)
{
	char **argv;

	if (execwrap_signal_number(sig) < 0 || pid <= 1)
		return DG_ERR_INVAL;
	argv = xcalloc(7, sizeof(char *));
	argv[0] = xstrdup("/bin/sh");
	argv[1] = xstrdup("-c");
	argv[2] = xstrdup("kill -s \"$1\" \"$2\"");
	argv[3] = xstrdup("devgate");
	argv[4] = xstrdup(sig);
	argv[5] = xasprintf("%ld", pid);
	argv[6] = NULL;
	*argvp = argv;
	return 0;
}

/* The marker filter. */

void
execwrap_filter_init(struct execwrap_filter *f)
{
	memset(f, 0, sizeof(*f));
}

/* A complete marker line in buf[0..len): 1 and the pid, 0 if it is not
 * one, -1 if more bytes could still make one. */
static int
execwrap_filter_match(const struct execwrap_filter *f, long *pidp)
{
	const size_t mlen = sizeof(EXECWRAP_MARKER) - 1;
	size_t i, cmp = f->len < mlen ? f->len : mlen;
	long pid = 0;

	if (memcmp(f->buf, EXECWRAP_MARKER, cmp) != 0)
		return 0;
	if (f->len <= mlen)
		return -1;
	for (i = mlen; i < f->len; i++) {
		if (isdigit((unsigned char)f->buf[i])) {
			if (i - mlen >= 10)
				return 0;
			pid = pid * 10 + (f->buf[i] - '0');
			continue;
		}
		if (i == mlen)
			return 0;
		if (f->buf[i] == '\n') {
			*pidp = pid;
			return pid > 1 ? 1 : 0;
		}
		if (f->buf[i] == '\r' && (i + 1 == f->len ||
		    f->buf[i + 1] == '\n'))
			continue;
		return 0;
	}
	return -1;
}

int
execwrap_filter_feed(struct execwrap_filter *f, const void *in, size_t len,
    struct iovec seg[2])
{
	const char *p = in;
	size_t used = 0;
	long pid;
	int m, n = 0;

	if (f->done) {
		if (len == 0)
			return 0;
		seg[0].iov_base = (void *)(uintptr_t)in;
		seg[0].iov_len = len;
		return 1;
	}
	/* Take bytes one line at most; decide as soon as we can. */
	while (used < len) {
		f->buf[f->len++] = p[used++];
		m = execwrap_filter_match(f, &pid);
		if (m == 1) {
			f->pid = pid;
			f->len = 0;
			f->done = 1;
			break;
		}
		if (m == 0 || f->len == sizeof(f->buf)) {
			/* Not a marker: pass the held bytes on. */
			f->done = 1;
			seg[n].iov_base = f->buf;
			seg[n].iov_len = f->len;
			n++;
			break;
		}
	}
	if (f->done && used < len) {
		seg[n].iov_base = (void *)(uintptr_t)(p + used);
		seg[n].iov_len = len - used;
		n++;
	}
	return n;
}

int
execwrap_filter_flush(struct execwrap_filter *f, struct iovec seg[1])
{
	if (f->done || f->len == 0) {
		f->done = 1;
		return 0;
	}
	f->done = 1;
	seg[0].iov_base = f->buf;
	seg[0].iov_len = f->len;
	return 1;
}

/* Signals. */

static const struct {
	const char	*name;
	int		 num;
} execwrap_signals[] = {
	{ "HUP", 1 }, { "INT", 2 }, { "QUIT", 3 }, { "ILL", 4 },
	{ "ABRT", 6 }, { "FPE", 8 }, { "KILL", 9 }, { "USR1", 10 },
	{ "SEGV", 11 }, { "USR2", 12 }, { "PIPE", 13 }, { "ALRM", 14 },
	{ "TERM", 15 },
};

int
execwrap_signal_number(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(execwrap_signals) / sizeof(*execwrap_signals);
	    i++)
		if (strcmp(execwrap_signals[i].name, name) == 0)
			return execwrap_signals[i].num;
	return -1;
}

const char *
execwrap_signal_name(int signo)
{
	size_t i;

	for (i = 0; i < sizeof(execwrap_signals) / sizeof(*execwrap_signals);
	    i++)
		if (execwrap_signals[i].num == signo)
			return execwrap_signals[i].name;
	return NULL;
}

const char *
execwrap_exit_signal(int status, int delivered)
{
	if (delivered <= 0 || status != 128 + delivered)
		return NULL;
	return execwrap_signal_name(delivered);
}
