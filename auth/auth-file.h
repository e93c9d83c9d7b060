/* auth-file.h: the files auth/ reads per login (AuthorizedKeysFile,
 * AuthorizedPrincipalsFile): %-expansion as sshd, and reading them with
 * sshd's StrictModes checks on owner and modes. */
#ifndef DG_AUTH_FILE_H
#define DG_AUTH_FILE_H

#include <stddef.h>

#define AUTH_FILE_MAX	(4 * 1024 * 1024)	/* larger files are refused */

/*
 * Expand %u (user), %h (home), %U (uid), %% in a file template; a relative
 * result is taken relative to the home directory, as sshd does. home and
 * uid come from getpwnam; without a passwd entry, templates that need them
 * fail with DG_ERR_NOTFOUND. A user name holding '/' or being "." or ".."
 * is refused (DG_ERR_INVAL).
 */
int	 auth_file_expand(const char *tmpl, const char *user, char **pathp);

/*
 * Read a keys or principals file: regular file, at most AUTH_FILE_MAX
 * bytes. With strict (StrictModes), the file and every directory above it
 * must be owned by root, the gateway's user or user's uid, and not
 * writable by group or others (root-owned sticky directories such as /tmp
 * are accepted). DG_ERR_NOTFOUND when missing, DG_ERR_DENIED for unsafe
 * modes (why says which path), DG_ERR_TOOBIG, DG_ERR_SYSTEM.
 */
int	 auth_file_read(const char *path, const char *user, int strict,
	    char **textp, size_t *lenp, char *why, size_t whylen);

#endif
