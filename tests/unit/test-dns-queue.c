/* test-dns-queue.c: unit tests for dns/dns-queue.c: the latest desired
 * state per name, persistence across reopen, torn journal lines, crashes
 * around compaction (atomic rename), the lock, the limit, and backoff. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "dns/dns-journal.h"
#include "dns/dns-queue.h"
#include "dns/dns-wire.h"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test-dns-queue.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void
want(struct dns_want *w, const char *name, const char *a)
{
	memset(w, 0, sizeof(*w));
	w->name = strdup(name);
	if (a != NULL)
		dns_want_add(w, DNS_TYPE_A, a);
}

static struct dns_queue *
qopen(int flags)
{
	struct dns_queue *q = NULL;
	char err[256];

	if (dns_queue_open(dir, 100, flags, &q, err, sizeof(err)) != 0)
		fail_msg("open: %s", err);
	return q;
}

static void
put(struct dns_queue *q, const char *name, const char *a, uint64_t *seqp)
{
	struct dns_want w;

	want(&w, name, a);
	assert_int_equal(dns_queue_put(q, &w, seqp), 0);
	dns_want_clear(&w);
}

static void
test_queue_persist(void **state)
{
	struct dns_queue *q = qopen(0);
	struct dns_qentry *e;
	uint64_t s1, s2, s3;

	(void)state;
	put(q, "a", "127.0.0.1", &s1);
	put(q, "b", NULL, &s2);
	put(q, "a", "127.0.0.2", &s3);	/* replaces, moves to the end */
	assert_int_equal(dns_queue_len(q), 2);
	e = dns_queue_first(q);
	assert_string_equal(e->want.name, "b");
	assert_string_equal(dns_queue_next(e)->want.rr[0].rdata, "127.0.0.2");
	/* A stale completion does not drop the newer desired state. */
	assert_int_equal(dns_queue_done(q, "a", s1), 0);
	assert_int_equal(dns_queue_len(q), 2);
	assert_int_equal(dns_queue_done(q, "b", s2), 0);
	assert_int_equal(dns_queue_flush(q), 0);
	dns_queue_close(q);
	/* "Restart". */
	q = qopen(0);
	assert_int_equal(dns_queue_len(q), 1);
	e = dns_queue_find(q, "a");
	assert_non_null(e);
	assert_int_equal(e->seq, s3);
	assert_int_equal(e->want.nrr, 1);
	assert_string_equal(e->want.rr[0].rdata, "127.0.0.2");
	/* Sequence numbers keep growing across restarts. */
	put(q, "c", "10.0.0.1", &s1);
	assert_true(s1 > s3);
	dns_queue_close(q);
}

static void
test_queue_lock(void **state)
{
	struct dns_queue *q = qopen(0), *q2 = NULL, *ro;
	char err[256];

	(void)state;
	put(q, "a", "127.0.0.1", NULL);
	dns_queue_flush(q);
	assert_int_equal(dns_queue_open(dir, 100, 0, &q2, err, sizeof(err)),
	    DG_ERR_EXISTS);
	assert_non_null(strstr(err, "in use"));
	/* A reader sees what is durable without taking the lock. */
	ro = qopen(DNS_QUEUE_RDONLY);
	assert_int_equal(dns_queue_len(ro), 1);
	dns_queue_close(ro);
	/* A forked child (a gateway worker) inherits the descriptors but
	 * not the lock: once the parent closes, it can open again while the
	 * child lives on. */
	{
		int p[2];
		pid_t pid;
		char c;

		assert_int_equal(pipe(p), 0);
		if ((pid = fork()) == 0) {
			close(p[1]);
			if (read(p[0], &c, 1) < 0)
				_exit(1);
			_exit(0);
		}
		close(p[0]);
		dns_queue_close(q);
		q = qopen(0);
		assert_int_equal(write(p[1], "x", 1), 1);
		close(p[1]);
		waitpid(pid, NULL, 0);
	}
	dns_queue_close(q);
}

static void
test_queue_torn(void **state)
{
	struct dns_queue *q = qopen(0);
	char path[128], *line;
	struct dns_want w;
	int fd;

	(void)state;
	put(q, "a", "127.0.0.1", NULL);
	put(q, "b", "127.0.0.2", NULL);
	dns_queue_flush(q);
	dns_queue_close(q);
	/* A write cut short by a crash, then a line with a bad CRC. */
	snprintf(path, sizeof(path), "%s/journal.2", dir);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	want(&w, "c", "127.0.0.3");
	line = dns_journal_encode('+', 99, &w);
	assert_int_equal(write(fd, line, strlen(line) - 3),
	    (ssize_t)strlen(line) - 3);
	close(fd);
	free(line);
	dns_want_clear(&w);
	q = qopen(0);
	assert_int_equal(dns_queue_len(q), 2);
	assert_null(dns_queue_find(q, "c"));
	dns_queue_close(q);
	snprintf(path, sizeof(path), "%s/journal.3", dir);
	fd = open(path, O_WRONLY | O_APPEND);
	want(&w, "d", "127.0.0.4");
	line = dns_journal_encode('+', 100, &w);
	line[4] ^= 1;
	assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	close(fd);
	free(line);
	dns_want_clear(&w);
	q = qopen(0);
	assert_null(dns_queue_find(q, "d"));
	assert_int_equal(dns_queue_len(q), 2);
	dns_queue_close(q);
}

static void
copy(const char *from, const char *to)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "cp -p %s/%s %s/%s", dir, from, dir, to);
	assert_int_equal(system(cmd), 0);
}

static void
test_queue_crash_compaction(void **state)
{
	struct dns_queue *q = qopen(0);
	struct dns_qentry *e;
	char path[128];
	uint64_t sa;
	int fd;

	(void)state;
	/* State gen 1 (empty) + journal.2 with a, b, done(a). */
	put(q, "a", "127.0.0.1", &sa);
	put(q, "b", "127.0.0.2", NULL);
	assert_int_equal(dns_queue_done(q, "a", sa), 0);
	dns_queue_flush(q);
	copy("state", "state.old");
	copy("journal.2", "journal.2.old");
	dns_queue_close(q);
	/* Reopen compacts: state gen 2 holds b; journal.2 is gone. */
	q = qopen(0);
	dns_queue_close(q);
	snprintf(path, sizeof(path), "%s/journal.2", dir);
	assert_int_equal(access(path, F_OK), -1);
	/* Crash after the rename, before the old journal was removed: the
	 * old journal is ignored (the state names journal.3). */
	copy("journal.2.old", "journal.2");
	q = qopen(0);
	assert_int_equal(dns_queue_len(q), 1);
	assert_non_null(dns_queue_find(q, "b"));
	dns_queue_close(q);
	/* Crash before the rename: a half-written state.tmp beside the old
	 * state and journal. The old pair is what counts. */
	copy("state.old", "state");
	copy("journal.2.old", "journal.2");
	snprintf(path, sizeof(path), "%s/state.tmp", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(write(fd, "devgate-dns-queue 1 9", 21), 21);
	close(fd);
	q = qopen(0);
	assert_int_equal(dns_queue_len(q), 1);
	e = dns_queue_find(q, "b");
	assert_non_null(e);
	assert_string_equal(e->want.rr[0].rdata, "127.0.0.2");
	assert_null(dns_queue_find(q, "a"));
	dns_queue_close(q);
	/* A corrupt state file is refused, not silently emptied. */
	snprintf(path, sizeof(path), "%s/state", dir);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "garbage\n", 8), 8);
	close(fd);
	{
		struct dns_queue *bad = NULL;
		char err[256];

		assert_int_equal(dns_queue_open(dir, 100, 0, &bad, err,
		    sizeof(err)), DG_ERR_PARSE);
		assert_non_null(strstr(err, "corrupt"));
	}
}

static void
test_queue_limit(void **state)
{
	struct dns_queue *q = NULL;
	struct dns_want w;
	char err[256];

	(void)state;
	assert_int_equal(dns_queue_open(dir, 2, 0, &q, err, sizeof(err)), 0);
	put(q, "a", NULL, NULL);
	put(q, "b", NULL, NULL);
	want(&w, "c", NULL);
	assert_int_equal(dns_queue_put(q, &w, NULL), DG_ERR_LIMIT);
	dns_want_clear(&w);
	put(q, "a", "1.2.3.4", NULL);	/* replacing is fine */
	dns_queue_close(q);
}

static void
test_queue_codec(void **state)
{
	struct dns_want w, back;
	char *line, op;
	uint64_t seq;

	(void)state;
	memset(&w, 0, sizeof(w));
	w.name = strdup("x._env");
	w.pool = 1;
	dns_want_add(&w, DNS_TYPE_TXT, "\"v=devgate1\" \"owner=a b\"");
	line = dns_journal_encode('+', 42, &w);
	assert_int_equal(dns_journal_decode(line, strlen(line), &op, &seq,
	    &back), 0);
	assert_int_equal(op, '+');
	assert_int_equal(seq, 42);
	assert_string_equal(back.name, "x._env");
	assert_int_equal(back.pool, 1);
	assert_int_equal(back.rr[0].type, DNS_TYPE_TXT);
	assert_string_equal(back.rr[0].rdata, "\"v=devgate1\" \"owner=a b\"");
	dns_want_clear(&back);
	line[2] = '7';
	assert_int_not_equal(dns_journal_decode(line, strlen(line), &op, &seq,
	    &back), 0);
	free(line);
	dns_want_clear(&w);
}

static void
test_backoff(void **state)
{
	uint64_t d;
	int i;

	(void)state;
	assert_int_equal(dns_backoff_ms(0, 1000, 60000, 0), 500);
	assert_int_equal(dns_backoff_ms(0, 1000, 60000, UINT32_MAX), 1000);
	assert_int_equal(dns_backoff_ms(3, 1000, 60000, 0), 4000);
	for (i = 0; i < 100; i++) {
		d = dns_backoff_ms(i, 1000, 60000, (uint32_t)rand());
		assert_true(d >= 500 && d <= 60000);
	}
	assert_int_equal(dns_backoff_ms(40, 1000, 60000, UINT32_MAX), 60000);
	assert_int_equal(dns_backoff_ms(40, 1000, 60000, 0), 30000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_queue_persist, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_queue_lock, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_queue_torn, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_queue_crash_compaction,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_limit, setup,
		    teardown),
		cmocka_unit_test(test_queue_codec),
		cmocka_unit_test(test_backoff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
