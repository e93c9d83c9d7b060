/* dns-queue.c: the persistent queue of desired DNS states: state file +
 * journal with per-line CRCs, fsync, compaction by atomic rename. */
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
#include "dns/dns-name.h"
#include "dns/dns-queue.h"

#define DNS_QUEUE_MAGIC		"devgate-dns-queue 1"
#define DNS_QUEUE_HSIZE		4096

struct dns_queue {
	char		 *dir;
	int		  flags;
	int		  lockfd;
	int		  locked;	/* we hold the record lock */
	int		  jfd;		/* journal, append */
	uint64_t	  gen;		/* journal generation */
	uint64_t	  next_seq;
	size_t		  limit;
	size_t		  len;
	size_t		  jbytes;	/* journal size */
	size_t		  sbytes;	/* state file size */
	int		  dirty;	/* written, not yet fsync'd */
	struct dns_qentry *head, *tail;
	struct dns_qentry *hash[DNS_QUEUE_HSIZE];
};

static size_t
dns_queue_hashname(const char *s)
{
	return (size_t)(dns_name_hash(s) % DNS_QUEUE_HSIZE);
}

uint64_t
dns_backoff_ms(int attempt, uint64_t base_ms, uint64_t max_ms, uint32_t rnd)
{
	uint64_t d = base_ms;
	int i;

	for (i = 0; i < attempt && d < max_ms; i++)
		d *= 2;
	if (d > max_ms)
		d = max_ms;
	/* Equal jitter: half fixed, half random. */
	return d / 2 + (d - d / 2) * rnd / UINT32_MAX;
}

/* The in-memory map and list. */

struct dns_qentry *
dns_queue_find(struct dns_queue *q, const char *name)
{
	struct dns_qentry *e;

	for (e = q->hash[dns_queue_hashname(name)]; e != NULL; e = e->hnext)
		if (strcmp(e->want.name, name) == 0)
			return e;
	return NULL;
}

static void
dns_queue_unlink(struct dns_queue *q, struct dns_qentry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		q->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		q->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
dns_queue_append(struct dns_queue *q, struct dns_qentry *e)
{
	e->prev = q->tail;
	e->next = NULL;
	if (q->tail != NULL)
		q->tail->next = e;
	else
		q->head = e;
	q->tail = e;
}

static void
dns_queue_remove(struct dns_queue *q, struct dns_qentry *e)
{
	struct dns_qentry **ep;

	for (ep = &q->hash[dns_queue_hashname(e->want.name)]; *ep != e;
	    ep = &(*ep)->hnext)
		;
	*ep = e->hnext;
	dns_queue_unlink(q, e);
	dns_want_clear(&e->want);
	free(e);
	q->len--;
}

/* Apply one decoded record; 0 or DG_ERR_LIMIT. */
static int
dns_queue_apply(struct dns_queue *q, char op, uint64_t seq,
    struct dns_want *w)
{
	struct dns_qentry *e = dns_queue_find(q, w->name);
	size_t b;

	if (seq >= q->next_seq)
		q->next_seq = seq + 1;
	if (op == '-') {
		if (e != NULL && e->seq == seq)
			dns_queue_remove(q, e);
		dns_want_clear(w);
		return 0;
	}
	if (e != NULL) {
		if (seq <= e->seq) {
			dns_want_clear(w);
			return 0;
		}
		dns_want_clear(&e->want);
		e->want = *w;
		e->seq = seq;
		e->attempts = 0;
		e->not_before = 0;
		dns_queue_unlink(q, e);
		dns_queue_append(q, e);
		return 0;
	}
	if (q->len >= q->limit) {
		dns_want_clear(w);
		return DG_ERR_LIMIT;
	}
	e = xcalloc(1, sizeof(*e));
	e->want = *w;
	e->seq = seq;
	b = dns_queue_hashname(w->name);
	e->hnext = q->hash[b];
	q->hash[b] = e;
	dns_queue_append(q, e);
	q->len++;
	return 0;
}

/* Files. */

static char *
dns_queue_path(const struct dns_queue *q, const char *name, uint64_t gen)
{
	if (gen == 0)
		return xasprintf("%s/%s", q->dir, name);
	return xasprintf("%s/%s.%" PRIu64, q->dir, name, gen);
}

/* Replay lines from buf; stops at the first bad line. Returns how many
 * bytes were good. */
static size_t
dns_queue_replay(struct dns_queue *q, const char *buf, size_t len,
    int *limitp)
{
	struct dns_want w;
	const char *p = buf, *nl;
	uint64_t seq;
	char op;

	while (p < buf + len) {
		if ((nl = memchr(p, '\n', (size_t)(buf + len - p))) == NULL ||
		    dns_journal_decode(p, (size_t)(nl - p + 1), &op, &seq,
		    &w) != 0)
			break;
		if (dns_queue_apply(q, op, seq, &w) == DG_ERR_LIMIT)
			*limitp = 1;
		p = nl + 1;
	}
	return (size_t)(p - buf);
}

static int
dns_queue_load(struct dns_queue *q, char *err, size_t errlen)
{
	char *path, *buf, *nl, hdr[128];
	size_t len, good;
	uint64_t gen = 0, next = 1;
	unsigned crc;
	int limit = 0, n;

	path = dns_queue_path(q, "state", 0);
	buf = dns_journal_slurp(path, 1U << 30, &len);
	if (buf == NULL && errno != ENOENT) {
		dg_errf(err, errlen, DG_ERR_SYSTEM, "%s: %s", path,
		    strerror(errno));
		free(path);
		return DG_ERR_SYSTEM;
	}
	if (buf != NULL) {
		nl = memchr(buf, '\n', len);
		if (nl == NULL || (size_t)(nl - buf) >= sizeof(hdr) - 1 ||
		    nl - buf < 10) {
			free(buf);
			goto corrupt;
		}
		memcpy(hdr, buf, (size_t)(nl - buf));
		hdr[nl - buf] = '\0';
		n = (int)(nl - buf);
		if (sscanf(hdr + n - 8, "%8x", &crc) != 1 ||
		    dns_journal_crc32(hdr, (size_t)n - 9) != crc ||
		    sscanf(hdr, DNS_QUEUE_MAGIC " %" SCNu64 " %" SCNu64, &gen,
		    &next) != 2) {
			free(buf);
			goto corrupt;
		}
		q->next_seq = next;
		good = dns_queue_replay(q, nl + 1, len - (size_t)(nl + 1 - buf),
		    &limit);
		if (good != len - (size_t)(nl + 1 - buf)) {
			free(buf);
			goto corrupt;
		}
		q->sbytes = len;
		free(buf);
	}
	free(path);
	q->gen = gen;
	/* The journal of this generation, up to its first bad line. */
	path = dns_queue_path(q, "journal", gen + 1);
	if ((buf = dns_journal_slurp(path, 1U << 30, &len)) != NULL) {
		q->jbytes = dns_queue_replay(q, buf, len, &limit);
		free(buf);
	}
	free(path);
	return 0;
corrupt:
	dg_errf(err, errlen, DG_ERR_PARSE, "%s: corrupt queue state "
	    "(move it aside to start with an empty queue)", path);
	free(path);
	return DG_ERR_PARSE;
}

int
dns_queue_compact(struct dns_queue *q)
{
	struct dns_qentry *e;
	char *tmp, *state, *jnew, *jold, *line, *hdr;
	uint64_t gen = q->gen + 1;
	size_t total;
	int fd, jfd, r = 0;

	if ((q->flags & DNS_QUEUE_RDONLY) || q->dir == NULL)
		return DG_ERR_INVAL;
	tmp = dns_queue_path(q, "state.tmp", 0);
	state = dns_queue_path(q, "state", 0);
	jnew = dns_queue_path(q, "journal", gen + 1);
	jold = dns_queue_path(q, "journal", gen);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0) {
		r = DG_ERR_SYSTEM;
		goto out;
	}
	line = xasprintf(DNS_QUEUE_MAGIC " %" PRIu64 " %" PRIu64, gen,
	    q->next_seq);
	hdr = xasprintf("%s %08x\n", line, dns_journal_crc32(line,
	    strlen(line)));
	free(line);
	r = dns_journal_write_all(fd, hdr, strlen(hdr));
	total = strlen(hdr);
	free(hdr);
	for (e = q->head; e != NULL && r == 0; e = e->next) {
		line = dns_journal_encode('+', e->seq, &e->want);
		r = dns_journal_write_all(fd, line, strlen(line));
		total += strlen(line);
		free(line);
	}
	if (r == 0 && fsync(fd) != 0)
		r = DG_ERR_SYSTEM;
	close(fd);
	/* The new state names the new journal generation: once renamed,
	 * the old journal is history. */
	if (r == 0 && rename(tmp, state) != 0)
		r = DG_ERR_SYSTEM;
	if (r == 0)
		r = dns_journal_fsync_dir(q->dir);
	if (r != 0) {
		unlink(tmp);
		goto out;
	}
	if ((jfd = open(jnew, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND |
	    O_CLOEXEC, 0600)) < 0) {
		r = DG_ERR_SYSTEM;
		goto out;
	}
	if (q->jfd >= 0)
		close(q->jfd);
	q->jfd = jfd;
	unlink(jold);
	dns_journal_fsync_dir(q->dir);
	q->gen = gen;
	q->jbytes = 0;
	q->sbytes = total;
	q->dirty = 0;
out:
	free(tmp);
	free(state);
	free(jnew);
	free(jold);
	return r;
}

/*
 * The directory lock: a POSIX record lock, which a forked child does not
 * inherit (a gateway worker forked from the supervisor that runs the DNS
 * controller must not keep the queue locked). Such locks belong to the
 * process, so a second open in the same process is refused here by
 * device and inode, and the lock file is opened once.
 */
struct dns_queue_held {
	dev_t		 dev;
	ino_t		 ino;
	struct dns_queue_held *next;
};
static struct dns_queue_held *dns_queue_held;

static int
dns_queue_lock(struct dns_queue *q)
{
	struct dns_queue_held *h;
	struct flock fl;
	struct stat sb;

	if (fstat(q->lockfd, &sb) != 0)
		return -1;
	for (h = dns_queue_held; h != NULL; h = h->next)
		if (h->dev == sb.st_dev && h->ino == sb.st_ino)
			return -1;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(q->lockfd, F_SETLK, &fl) != 0)
		return -1;
	h = xcalloc(1, sizeof(*h));
	h->dev = sb.st_dev;
	h->ino = sb.st_ino;
	h->next = dns_queue_held;
	dns_queue_held = h;
	q->locked = 1;
	return 0;
}

static void
dns_queue_unlock(struct dns_queue *q)
{
	struct dns_queue_held *h, **hp;
	struct stat sb;

	if (q->lockfd < 0)
		return;
	if (q->locked && fstat(q->lockfd, &sb) == 0) {
		for (hp = &dns_queue_held; (h = *hp) != NULL; hp = &h->next) {
			if (h->dev == sb.st_dev && h->ino == sb.st_ino) {
				*hp = h->next;
				free(h);
				break;
			}
		}
	}
	close(q->lockfd);	/* releases the record lock */
	q->lockfd = -1;
}

int
dns_queue_open(const char *dir, size_t limit, int flags,
    struct dns_queue **qp, char *err, size_t errlen)
{
	struct dns_queue *q;
	char *lock;
	int r;

	q = xcalloc(1, sizeof(*q));
	q->flags = flags;
	q->limit = limit;
	q->lockfd = q->jfd = -1;
	q->next_seq = 1;
	if (dir == NULL) {		/* memory only */
		*qp = q;
		return 0;
	}
	q->dir = xstrdup(dir);
	if (!(flags & DNS_QUEUE_RDONLY)) {
		if (dns_journal_mkdirs(dir) != 0) {
			r = dg_errf(err, errlen, DG_ERR_SYSTEM, "%s: %s",
			    dir, strerror(errno));
			goto fail;
		}
		lock = dns_queue_path(q, "lock", 0);
		q->lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		free(lock);
		if (q->lockfd < 0) {
			r = dg_errf(err, errlen, DG_ERR_SYSTEM, "%s: %s",
			    dir, strerror(errno));
			goto fail;
		}
		if (dns_queue_lock(q) != 0) {
			r = dg_errf(err, errlen, DG_ERR_EXISTS, "%s: the "
			    "DNS queue is in use by another process", dir);
			goto fail;
		}
	}
	if ((r = dns_queue_load(q, err, errlen)) != 0)
		goto fail;
	if (!(flags & DNS_QUEUE_RDONLY) && (r = dns_queue_compact(q)) != 0) {
		dg_errf(err, errlen, r, "%s: cannot write the queue: %s",
		    dir, strerror(errno));
		goto fail;
	}
	*qp = q;
	return 0;
fail:
	dns_queue_close(q);
	return r;
}

void
dns_queue_close(struct dns_queue *q)
{
	if (q == NULL)
		return;
	while (q->head != NULL)
		dns_queue_remove(q, q->head);
	if (q->jfd >= 0) {
		if (q->dirty)
			fdatasync(q->jfd);
		close(q->jfd);
	}
	dns_queue_unlock(q);
	free(q->dir);
	free(q);
}

static int
dns_queue_journal(struct dns_queue *q, char op, uint64_t seq,
    const struct dns_want *w)
{
	char *line;
	size_t len;
	int r;

	if (q->dir == NULL)
		return 0;
	line = dns_journal_encode(op, seq, w);
	len = strlen(line);
	if (len >= DNS_JOURNAL_MAX_LINE) {
		free(line);
		return DG_ERR_TOOBIG;
	}
	r = dns_journal_write_all(q->jfd, line, len);
	free(line);
	if (r == 0) {
		q->jbytes += len;
		q->dirty = 1;
	}
	return r;
}

int
dns_queue_put(struct dns_queue *q, const struct dns_want *w, uint64_t *seqp)
{
	struct dns_want copy;
	uint64_t seq;
	int r;

	if (q->flags & DNS_QUEUE_RDONLY)
		return DG_ERR_INVAL;
	if (dns_queue_find(q, w->name) == NULL && q->len >= q->limit)
		return DG_ERR_LIMIT;
	seq = q->next_seq++;
	if ((r = dns_queue_journal(q, '+', seq, w)) != 0)
		return r;
	dns_want_copy(&copy, w);
	if ((r = dns_queue_apply(q, '+', seq, &copy)) != 0)
		return r;
	if (seqp != NULL)
		*seqp = seq;
	return 0;
}

int
dns_queue_done(struct dns_queue *q, const char *name, uint64_t seq)
{
	struct dns_qentry *e = dns_queue_find(q, name);
	int r;

	if (e == NULL || e->seq != seq)
		return 0;
	if ((r = dns_queue_journal(q, '-', seq, &e->want)) != 0)
		return r;
	dns_queue_remove(q, e);
	return 0;
}

int
dns_queue_flush(struct dns_queue *q)
{
	if ((q->flags & DNS_QUEUE_RDONLY) || q->dir == NULL)
		return 0;
	if (q->dirty) {
		if (fdatasync(q->jfd) != 0)
			return DG_ERR_SYSTEM;
		q->dirty = 0;
	}
	if (q->jbytes > 256 * 1024 && q->jbytes > 2 * q->sbytes)
		return dns_queue_compact(q);
	return 0;
}

struct dns_qentry *
dns_queue_first(struct dns_queue *q)
{
	return q->head;
}

struct dns_qentry *
dns_queue_next(struct dns_qentry *e)
{
	return e->next;
}

size_t
dns_queue_len(const struct dns_queue *q)
{
	return q->len;
}
