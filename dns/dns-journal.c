/* dns-journal.c: the line format of the DNS queue's files (CRC per
 * line) and whole-write, fsync'd file I/O. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/xmalloc.h"
#include "dns/dns-journal.h"

uint32_t
dns_journal_crc32(const char *p, size_t len)
{
	uint32_t c = 0xffffffffU;
	size_t i;
	int k;

	for (i = 0; i < len; i++) {
		c ^= (unsigned char)p[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320U & (0U - (c & 1)));
	}
	return c ^ 0xffffffffU;
}

char *
dns_journal_encode(char op, uint64_t seq, const struct dns_want *w)
{
	char *s, *t, *hex;
	size_t i, k, n;

	s = xasprintf("%c %" PRIu64 " %s %d %zu", op, seq, w->name,
	    w->pool ? 1 : 0, w->nrr);
	for (i = 0; i < w->nrr; i++) {
		n = strlen(w->rr[i].rdata);
		hex = xmalloc(2 * n + 1);
		for (k = 0; k < n; k++)
			snprintf(hex + 2 * k, 3, "%02x",
			    (unsigned char)w->rr[i].rdata[k]);
		hex[2 * n] = '\0';
		t = xasprintf("%s %u %s", s, w->rr[i].type, hex);
		free(hex);
		free(s);
		s = t;
	}
	t = xasprintf("%s %08x\n", s, dns_journal_crc32(s, strlen(s)));
	free(s);
	return t;
}

static int
dns_journal_u64(const char **pp, uint64_t *vp, uint64_t max)
{
	const char *p = *pp;
	uint64_t v = 0;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (max - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p != ' ')
		return -1;
	*pp = p + 1;
	*vp = v;
	return 0;
}

int
dns_journal_decode(const char *line, size_t len, char *opp, uint64_t *seqp,
    struct dns_want *w)
{
	char buf[DNS_JOURNAL_MAX_LINE], *rd = NULL;
	const char *p, *sp;
	unsigned crc, byte;
	uint64_t seq, pool, nrr, type, i, k, hl;
	size_t nl;

	memset(w, 0, sizeof(*w));
	if (len < 12 || len >= sizeof(buf) || line[len - 1] != '\n')
		return DG_ERR_PARSE;
	memcpy(buf, line, len - 1);
	buf[len - 1] = '\0';
	/* Trailing " xxxxxxxx" is the CRC of what precedes it. */
	nl = len - 1;
	if (buf[nl - 9] != ' ' || sscanf(buf + nl - 8, "%8x", &crc) != 1 ||
	    dns_journal_crc32(buf, nl - 9) != crc)
		return DG_ERR_PARSE;
	buf[nl - 9] = '\0';
	if ((buf[0] != '+' && buf[0] != '-') || buf[1] != ' ')
		return DG_ERR_PARSE;
	p = buf + 2;
	if (dns_journal_u64(&p, &seq, UINT64_MAX) != 0 ||
	    (sp = strchr(p, ' ')) == NULL || sp == p || sp - p > 253)
		return DG_ERR_PARSE;
	w->name = xstrndup(p, (size_t)(sp - p));
	for (i = 0; w->name[i] != '\0'; i++)
		if (!islower((unsigned char)w->name[i]) &&
		    !isdigit((unsigned char)w->name[i]) &&
		    strchr("._-", w->name[i]) == NULL)
			goto bad;
	p = sp + 1;
	if (dns_journal_u64(&p, &pool, 1) != 0)
		goto bad;
	w->pool = (int)pool;
	/* The last number has no space after it when there are no rrs. */
	nrr = 0;
	for (; isdigit((unsigned char)*p); p++) {
		nrr = nrr * 10 + (uint64_t)(*p - '0');
		if (nrr > 64)
			goto bad;
	}
	for (i = 0; i < nrr; i++) {
		if (*p++ != ' ' || dns_journal_u64(&p, &type, 65535) != 0)
			goto bad;
		for (hl = 0; isxdigit((unsigned char)p[hl]); hl++)
			;
		if (hl == 0 || hl % 2 != 0 || hl > 8192)
			goto bad;
		rd = xmalloc(hl / 2 + 1);
		for (k = 0; k < hl / 2; k++) {
			if (sscanf(p + 2 * k, "%2x", &byte) != 1 || byte == 0)
				goto bad;
			rd[k] = (char)byte;
		}
		rd[hl / 2] = '\0';
		p += hl;
		dns_want_add(w, (uint16_t)type, rd);
		free(rd);
		rd = NULL;
	}
	if (*p != '\0')
		goto bad;
	*opp = buf[0];
	*seqp = seq;
	return 0;
bad:
	free(rd);
	dns_want_clear(w);
	return DG_ERR_PARSE;
}

int
dns_journal_mkdirs(const char *dir)
{
	char *p = xstrdup(dir), *s;
	int r = 0;

	for (s = p + 1; r == 0; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		int end = *s == '\0';

		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			r = DG_ERR_SYSTEM;
		if (end)
			break;
		*s = '/';
	}
	free(p);
	return r;
}

/* Read a whole file (at most max bytes); NULL with errno ENOENT if absent. */
char *
dns_journal_slurp(const char *path, size_t max, size_t *lenp)
{
	struct stat sb;
	char *buf;
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	if (fstat(fd, &sb) != 0 || (size_t)sb.st_size > max) {
		close(fd);
		errno = EFBIG;
		return NULL;
	}
	buf = xmalloc((size_t)sb.st_size + 1);
	while (len < (size_t)sb.st_size &&
	    (n = read(fd, buf + len, (size_t)sb.st_size - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

int
dns_journal_fsync_dir(const char *dir)
{
	int fd, r = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return DG_ERR_SYSTEM;
	if (fsync(fd) != 0)
		r = DG_ERR_SYSTEM;
	close(fd);
	return r;
}

int
dns_journal_write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return DG_ERR_SYSTEM;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

