/* auth-file.c: the files auth/ reads per login (AuthorizedKeysFile,
 * AuthorizedPrincipalsFile): %-expansion as sshd, and reading them with
 * sshd's StrictModes checks on owner and modes. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth-file.h"
#include "common/err.h"
#include "common/xmalloc.h"

int
auth_file_expand(const char *tmpl, const char *user, char **pathp)
{
	struct passwd *pw = NULL;
	char *out = NULL, *tmp, num[32];
	const char *p, *add;
	size_t len = 0;
	int need_pw;

	if (strchr(user, '/') != NULL || strcmp(user, ".") == 0 ||
	    strcmp(user, "..") == 0 || *user == '\0')
		return DG_ERR_INVAL;
	need_pw = *tmpl != '/' || strstr(tmpl, "%h") != NULL ||
	    strstr(tmpl, "%U") != NULL;
	if (need_pw && (pw = getpwnam(user)) == NULL)
		return DG_ERR_NOTFOUND;
	out = xstrdup("");
	for (p = tmpl; *p != '\0'; p++) {
		char one[2] = { *p, '\0' };

		add = one;
		if (*p == '%') {
			switch (p[1]) {
			case '%':
				add = "%";
				break;
			case 'u':
				add = user;
				break;
			case 'h':
				add = pw->pw_dir;
				break;
			case 'U':
				snprintf(num, sizeof(num), "%lu",
				    (unsigned long)pw->pw_uid);
				add = num;
				break;
			default:
				free(out);
				return DG_ERR_INVAL;
			}
			p++;
		}
		tmp = xasprintf("%s%s", out, add);
		free(out);
		out = tmp;
		len = strlen(out);
		if (len > PATH_MAX) {
			free(out);
			return DG_ERR_TOOBIG;
		}
	}
	if (*out != '/') {
		tmp = xasprintf("%s/%s", pw->pw_dir, out);
		free(out);
		out = tmp;
	}
	*pathp = out;
	return 0;
}

static int
auth_file_owner_ok(const struct stat *st, uid_t uid)
{
	return st->st_uid == 0 || st->st_uid == geteuid() || st->st_uid == uid;
}

static int
auth_file_modes(const char *path, uid_t uid, const struct stat *fst,
    char *why, size_t whylen)
{
	char real[PATH_MAX], *slash;
	struct stat st;

	if (!auth_file_owner_ok(fst, uid) || (fst->st_mode & 022) != 0) {
		snprintf(why, whylen, "bad ownership or modes for file %s",
		    path);
		return DG_ERR_DENIED;
	}
	if (realpath(path, real) == NULL) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return DG_ERR_SYSTEM;
	}
	while ((slash = strrchr(real, '/')) != NULL) {
		if (slash == real)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (stat(real, &st) != 0) {
			snprintf(why, whylen, "%s: %s", real, strerror(errno));
			return DG_ERR_SYSTEM;
		}
		/* Nobody else may replace entries: owner and modes, or a
		 * root-owned sticky directory such as /tmp. */
		if (!auth_file_owner_ok(&st, uid) || ((st.st_mode & 022) != 0 &&
		    !(st.st_uid == 0 && (st.st_mode & S_ISVTX)))) {
			snprintf(why, whylen, "bad ownership or modes for "
			    "directory %s", real);
			return DG_ERR_DENIED;
		}
		if (strcmp(real, "/") == 0)
			break;
	}
	return 0;
}

int
auth_file_read(const char *path, const char *user, int strict,
    char **textp, size_t *lenp, char *why, size_t whylen)
{
	struct passwd *pw;
	struct stat st;
	uid_t uid = (uid_t)-1;
	char *text = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return DG_ERR_NOTFOUND;
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return DG_ERR_SYSTEM;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		r = DG_ERR_SYSTEM;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s is not a regular file", path);
		r = DG_ERR_DENIED;
		goto out;
	}
	if (strict) {
		if (user != NULL && (pw = getpwnam(user)) != NULL)
			uid = pw->pw_uid;
		if ((r = auth_file_modes(path, uid, &st, why, whylen)) != 0)
			goto out;
	}
	if (st.st_size > AUTH_FILE_MAX) {
		snprintf(why, whylen, "%s is larger than %d bytes", path,
		    AUTH_FILE_MAX);
		r = DG_ERR_TOOBIG;
		goto out;
	}
	text = xmalloc((size_t)st.st_size + 1);
	while (len < (size_t)st.st_size) {
		n = read(fd, text + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, whylen, "%s: %s", path, strerror(errno));
			r = DG_ERR_SYSTEM;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	text[len] = '\0';
	*textp = text;
	*lenp = len;
	text = NULL;
	r = 0;
out:
	free(text);
	close(fd);
	return r;
}
