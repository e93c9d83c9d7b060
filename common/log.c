/* log.c: leveled logging to stderr (text or JSON lines), as sshd's LogLevel. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static char log_ident[32] = "devgate";
static enum log_level log_level = LOG_L_INFO;
static enum log_format log_format = LOG_FMT_TEXT;
static int log_fd = STDERR_FILENO;

static const char *const log_names[] = {
	"QUIET", "FATAL", "ERROR", "INFO", "VERBOSE", "DEBUG1", "DEBUG2",
	"DEBUG3",
};

void
log_init(const char *ident, enum log_level level, enum log_format fmt, int fd)
{
	log_set_ident(ident);
	log_level = level;
	log_format = fmt;
	log_fd = fd;
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

void
log_set_format(enum log_format fmt)
{
	log_format = fmt;
}

void
log_set_ident(const char *ident)
{
	snprintf(log_ident, sizeof(log_ident), "%s", ident);
}

enum log_level
log_get_level(void)
{
	return log_level;
}

int
log_level_from_name(const char *name)
{
	size_t i;

	if (strcasecmp(name, "DEBUG") == 0)
		return LOG_L_DEBUG1;
	for (i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++)
		if (strcasecmp(name, log_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
log_level_name(enum log_level level)
{
	if ((size_t)level >= sizeof(log_names) / sizeof(log_names[0]))
		return "INFO";
	return log_names[level];
}

size_t
log_json_escape(char *dst, size_t size, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	unsigned char c;
	char esc[7];
	size_t n;

	if (size == 0)
		return 0;
	for (; (c = (unsigned char)*s) != '\0'; s++) {
		n = 0;
		if (c == '"' || c == '\\') {
			esc[n++] = '\\';
			esc[n++] = (char)c;
		} else if (c == '\n') {
			esc[n++] = '\\';
			esc[n++] = 'n';
		} else if (c == '\t') {
			esc[n++] = '\\';
			esc[n++] = 't';
		} else if (c < 0x20 || c == 0x7f) {
			esc[n++] = '\\';
			esc[n++] = 'u';
			esc[n++] = '0';
			esc[n++] = '0';
			esc[n++] = hex[c >> 4];
			esc[n++] = hex[c & 0xf];
		} else
			esc[n++] = (char)c;
		if (o + n >= size)
			break;
		memcpy(dst + o, esc, n);
		o += n;
	}
	dst[o] = '\0';
	return o;
}

/* Replace control characters so one log call stays one line. */
static void
log_sanitise(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char msg[2048], line[4608], ts[40], esc[4096];
	struct timespec now;
	struct tm tm;
	int saved_errno = errno, n;
	const char *p;
	size_t off;

	if (level > log_level || level == LOG_L_QUIET)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	off = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + off, sizeof(ts) - off, ".%03ldZ", now.tv_nsec / 1000000);
	if (log_format == LOG_FMT_JSON) {
		log_json_escape(esc, sizeof(esc), msg);
		n = snprintf(line, sizeof(line),
		    "{\"ts\":\"%s\",\"level\":\"%s\",\"proc\":\"%s\","
		    "\"pid\":%ld,\"msg\":\"%s\"}\n",
		    ts, log_level_name(level), log_ident, (long)getpid(), esc);
	} else {
		log_sanitise(msg);
		p = level <= LOG_L_ERROR ? "error: " : "";
		if (level == LOG_L_FATAL)
			p = "fatal: ";
		n = snprintf(line, sizeof(line), "%s %s[%ld]: %s%s\n", ts,
		    log_ident, (long)getpid(), p, msg);
	}
	if (n < 0)
		goto out;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	/* One write per line keeps lines whole across processes. */
	while (write(log_fd, line, (size_t)n) < 0 && errno == EINTR)
		;
out:
	errno = saved_errno;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void
log_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_L_FATAL, fmt, ap);
	va_end(ap);
	exit(255);
}
