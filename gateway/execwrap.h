/* execwrap.h: the commands devgate runs in an environment (a tiny POSIX sh
 * wrapper: login shell, exec through the shell, sftp-server search,
 * signals), the in-band pid marker it prints and its output filter, and
 * the exit-signal rule. Pure: no I/O, no logging. */
#ifndef DG_EXECWRAP_H
#define DG_EXECWRAP_H

#include <sys/uio.h>

#include <stddef.h>

enum execwrap_mode {
	EXECWRAP_SHELL,		/* the user's login shell */
	EXECWRAP_EXEC,		/* a command through the user's shell -c */
	EXECWRAP_SFTP,		/* the image's sftp-server */
};

struct execwrap_spec {
	enum execwrap_mode	 mode;
	const char		*command;	/* EXECWRAP_EXEC */
	const char *const	*env;		/* "NAME=value", NULL-ended */
};

/* The first bytes a wrapped shell or command prints: \036devgate-pid:N
 * then \n (or \r\n through a terminal). */
#define EXECWRAP_MARKER		"\036devgate-pid:"
#define EXECWRAP_MARKER_MAX	40	/* the whole line, bytes */

/* Where sftp-server is looked for, in order (then $PATH). */
extern const char *const execwrap_sftp_paths[];

/* argv for the backend's exec (run without a shell): NULL-terminated,
 * owned; free with execwrap_argv_free. DG_ERR_INVAL for an env entry
 * that is not NAME=value with a portable NAME, or a command with NUL. */
int	 execwrap_argv(const struct execwrap_spec *, char ***argvp);
/* argv that delivers signal name sig (TERM, INT, ...) to pid. */
int	 execwrap_signal_argv(const char *sig, long pid, char ***argvp);
void	 execwrap_argv_free(char **);

/* Is NAME a portable environment variable name? */
int	 execwrap_valid_env_name(const char *);

/* Strips the pid marker from the start of a stream's output. */
struct execwrap_filter {
	int	 done;			/* passing everything through */
	long	 pid;			/* > 0 once the marker was read */
	size_t	 len;			/* bytes held in buf */
	char	 buf[EXECWRAP_MARKER_MAX];
};

void	 execwrap_filter_init(struct execwrap_filter *);
/* Feed len bytes of output; returns 0-2 segments to pass on, in order
 * (held bytes that were not a marker after all, then input). The
 * segments point into the filter or into in. */
int	 execwrap_filter_feed(struct execwrap_filter *, const void *in,
	    size_t len, struct iovec seg[2]);
/* End of output: held bytes, if any, are passed on (0 or 1 segment). */
int	 execwrap_filter_flush(struct execwrap_filter *, struct iovec seg[1]);

/* Signal names of RFC 4254 6.10 and their Linux numbers. */
int	 execwrap_signal_number(const char *name);	/* -1 if unknown */
const char *execwrap_signal_name(int signo);		/* NULL if none */
/* The exit-signal to report for a process whose status is status, given
 * the last signal devgate delivered (0 if none): name or NULL. A
 * container reports a process killed by signal N as status 128+N. */
const char *execwrap_exit_signal(int status, int delivered);

#endif
