/* auditlog.c: the audit log (AuditLog PATH|stdout|none): one JSON object per
 * line per event, appended with a single write(2) so lines from several
 * workers never interleave. A regular file is appended synchronously (a
 * local append does not block for long); a pipe or terminal on stdout is
 * written without blocking, and a line that does not fit is counted as
 * dropped rather than stalling the event loop. */
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "auth/auditlog.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"

#define AUDITLOG_RESERVE	32	/* room kept for "truncated" and "}\n" */
#define AUDITLOG_MAX_VALUE	1024	/* longer string values are cut */

struct auditlog {
	int		 fd;
	int		 own;		/* close fd on auditlog_close */
	uint64_t	 dropped;
};

int
auditlog_open(const char *spec, struct auditlog **ap, char *err, size_t errlen)
{
	struct auditlog *a;
	struct stat st;
	int fd;

	*ap = NULL;
	if (spec == NULL || strcasecmp(spec, "none") == 0)
		return 0;
	a = xcalloc(1, sizeof(*a));
	if (strcasecmp(spec, "stdout") == 0) {
		a->fd = STDOUT_FILENO;
		a->own = 0;
		/* A pipe or terminal gets its own non-blocking open file
		 * description, so a stalled reader never blocks the loop and
		 * other writers of stdout keep their blocking mode. */
		if (fstat(STDOUT_FILENO, &st) == 0 && !S_ISREG(st.st_mode) &&
		    (fd = open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK |
		    O_CLOEXEC | O_NOCTTY | O_APPEND)) >= 0) {
			a->fd = fd;
			a->own = 1;
		}
	} else {
		fd = open(spec, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
		    O_NOCTTY, 0600);
		if (fd < 0) {
			snprintf(err, errlen, "AuditLog %s: %s", spec,
			    strerror(errno));
			free(a);
			return DG_ERR_SYSTEM;
		}
		a->fd = fd;
		a->own = 1;
	}
	*ap = a;
	return 0;
}

void
auditlog_close(struct auditlog *a)
{
	if (a == NULL)
		return;
	if (a->own)
		close(a->fd);
	free(a);
}

uint64_t
auditlog_dropped(const struct auditlog *a)
{
	return a != NULL ? a->dropped : 0;
}

static void
auditlog_rec_raw(struct auditlog_rec *r, const char *s, size_t n)
{
	if (r->truncated || r->len + n + AUDITLOG_RESERVE > sizeof(r->buf)) {
		r->truncated = 1;
		return;
	}
	memcpy(r->buf + r->len, s, n);
	r->len += n;
	r->buf[r->len] = '\0';
}

static void
auditlog_rec_key(struct auditlog_rec *r, const char *key)
{
	char tmp[128];
	int n;

	n = snprintf(tmp, sizeof(tmp), ",\"%s\":", key);
	if (n > 0 && (size_t)n < sizeof(tmp))
		auditlog_rec_raw(r, tmp, (size_t)n);
}

void
auditlog_rec_init(struct auditlog_rec *r, const char *event)
{
	struct timespec ts;
	struct tm tm;
	char t[64];

	r->len = 0;
	r->truncated = 0;
	r->cut = 0;
	r->buf[0] = '\0';
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	auditlog_rec_raw(r, "{\"ts\":\"", 7);
	auditlog_rec_raw(r, t, strlen(t));
	snprintf(t, sizeof(t), ".%03ldZ\"", ts.tv_nsec / 1000000);
	auditlog_rec_raw(r, t, strlen(t));
	auditlog_rec_str(r, "event", event);
}

void
auditlog_rec_str(struct auditlog_rec *r, const char *key, const char *value)
{
	char esc[AUDITLOG_MAX_VALUE * 6 + 1], cut[AUDITLOG_MAX_VALUE + 1];
	size_t n;

	if (value == NULL)
		return;
	if (strlen(value) > AUDITLOG_MAX_VALUE) {
		/* Long values (commands, reasons) are cut and flagged. */
		memcpy(cut, value, AUDITLOG_MAX_VALUE);
		cut[AUDITLOG_MAX_VALUE] = '\0';
		value = cut;
		r->cut = 1;
	}
	auditlog_rec_key(r, key);
	n = log_json_escape(esc, sizeof(esc), value);
	auditlog_rec_raw(r, "\"", 1);
	auditlog_rec_raw(r, esc, n);
	auditlog_rec_raw(r, "\"", 1);
}

void
auditlog_rec_int(struct auditlog_rec *r, const char *key, long long v)
{
	char tmp[32];

	auditlog_rec_key(r, key);
	snprintf(tmp, sizeof(tmp), "%lld", v);
	auditlog_rec_raw(r, tmp, strlen(tmp));
}

void
auditlog_rec_uint(struct auditlog_rec *r, const char *key, unsigned long long v)
{
	char tmp[32];

	auditlog_rec_key(r, key);
	snprintf(tmp, sizeof(tmp), "%llu", v);
	auditlog_rec_raw(r, tmp, strlen(tmp));
}

void
auditlog_rec_bool(struct auditlog_rec *r, const char *key, int v)
{
	auditlog_rec_key(r, key);
	auditlog_rec_raw(r, v ? "true" : "false", v ? 4 : 5);
}

const char *
auditlog_rec_finish(struct auditlog_rec *r)
{
	if ((r->truncated || r->cut) && r->len > 0 &&
	    r->buf[r->len - 1] != '\n') {
		/* Fields that did not fit were left out; say so (the room
		 * for this was reserved). */
		memcpy(r->buf + r->len, ",\"truncated\":true", 17);
		r->len += 17;
	}
	if (r->len == 0 || r->buf[r->len - 1] != '\n') {
		r->buf[r->len++] = '}';
		r->buf[r->len++] = '\n';
		r->buf[r->len] = '\0';
	}
	return r->buf;
}

void
auditlog_rec_write(struct auditlog *a, struct auditlog_rec *r)
{
	ssize_t n;

	auditlog_rec_finish(r);
	if (a == NULL)
		return;
	do
		n = write(a->fd, r->buf, r->len);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)r->len)
		a->dropped++;
}
