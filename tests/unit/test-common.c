/* test-common.c: unit tests for common/: config engine, byte queue, event
 * loop, error names, logging helpers, HTTP name resolution hook. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/bufq.h"
#include "common/conf.h"
#include "common/err.h"
#include "common/http.h"
#include "common/log.h"
#include "common/loop.h"

struct t_area {
	char		*name;
	char		*path;
	int		 port;
	int		 flag;
	int		 grace;
	int		 level;
	long long	 limit;
	struct conf_list env;
	char		*zone;
};

static const char *const t_levels[] = { "low", "mid", "high", NULL };

static const struct conf_keyword t_kw[] = {
	{ "Name", CONF_STR, offsetof(struct t_area, name), "gw", CONF_F_MATCH },
	{ "PidFile", CONF_PATH, offsetof(struct t_area, path), "none", 0 },
	{ "Port", CONF_INT, offsetof(struct t_area, port), "22", CONF_F_MATCH,
	    1, 65535 },
	{ "Flag", CONF_BOOL, offsetof(struct t_area, flag), "no", 0 },
	{ "Grace", CONF_TIME, offsetof(struct t_area, grace), "2m", 0 },
	{ "Level", CONF_ENUM, offsetof(struct t_area, level), "mid", 0, 0, 0,
	    t_levels },
	{ "Limit", CONF_SIZE, offsetof(struct t_area, limit), "1M", 0 },
	{ "AcceptEnv", CONF_LIST, offsetof(struct t_area, env), NULL,
	    CONF_F_MATCH },
	{ "Zone", CONF_STR, offsetof(struct t_area, zone), NULL, 0 },
	{ NULL }
};
static const struct conf_table t_table = { "test", t_kw };

static int
t_check(int argc, char **criteria, char *err, size_t errlen)
{
	if (argc != 2 || strcmp(criteria[0], "User") != 0) {
		snprintf(err, errlen, "expected: Match User NAME");
		return DG_ERR_PARSE;
	}
	return 0;
}

static int
t_eval(void *ctx, int argc, char **criteria)
{
	(void)argc;
	return strcmp(criteria[1], (const char *)ctx) == 0;
}

static void
t_load(struct conf *c, struct t_area *a, const char *text, int expect,
    char *err, size_t errlen)
{
	const struct conf_table *tables[] = { &t_table };
	void *areas[] = { a };

	memset(a, 0, sizeof(*a));
	conf_init(c, 1, tables, areas);
	conf_set_match_check(c, t_check);
	err[0] = '\0';
	assert_int_equal(conf_load_string(c, "t.conf", text, err, errlen),
	    expect);
	if (expect == 0)
		assert_int_equal(conf_finish(c, err, errlen), 0);
}

static void
test_conf_values_and_defaults(void **state)
{
	struct conf c;
	struct t_area a;
	char err[256];

	(void)state;
	t_load(&c, &a, "# comment\nName \"my gw\"\nport=2222\nFlag yes\n"
	    "Grace 1m30s\nLevel HIGH\nLimit 64K\nAcceptEnv LANG LC_*\n"
	    "AcceptEnv FOO\nPort 7\n", 0, err, sizeof(err));
	assert_string_equal(a.name, "my gw");
	assert_null(a.path);
	assert_int_equal(a.port, 2222);	/* first value wins */
	assert_int_equal(a.flag, 1);
	assert_int_equal(a.grace, 90);
	assert_int_equal(a.level, 2);
	assert_int_equal(a.limit, 65536);
	assert_int_equal(a.env.n, 3);
	assert_string_equal(a.env.v[2], "FOO");
	assert_true(conf_isset(&c, "port"));
	assert_false(conf_isset(&c, "PidFile"));
	conf_free(&c);
}

static void
test_conf_errors(void **state)
{
	struct conf c;
	struct t_area a;
	char err[256];

	(void)state;
	t_load(&c, &a, "Name x\n\nBogus 1\n", DG_ERR_PARSE, err, sizeof(err));
	assert_string_equal(err, "t.conf:3: unknown keyword \"Bogus\"");
	conf_free(&c);
	t_load(&c, &a, "Port 70000\n", DG_ERR_PARSE, err, sizeof(err));
	assert_string_equal(err, "t.conf:1: Port: 70000 is out of range "
	    "1-65535");
	conf_free(&c);
	t_load(&c, &a, "Flag maybe\n", DG_ERR_PARSE, err, sizeof(err));
	assert_non_null(strstr(err, "t.conf:1: Flag: expected yes or no"));
	conf_free(&c);
	t_load(&c, &a, "Name \"open\n", DG_ERR_PARSE, err, sizeof(err));
	assert_string_equal(err, "t.conf:1: unbalanced quotes");
	conf_free(&c);
	t_load(&c, &a, "Port 1 2\n", DG_ERR_PARSE, err, sizeof(err));
	assert_non_null(strstr(err, "exactly one argument"));
	conf_free(&c);
	t_load(&c, &a, "Match Host x\n", DG_ERR_PARSE, err, sizeof(err));
	assert_string_equal(err, "t.conf:1: expected: Match User NAME");
	conf_free(&c);
	t_load(&c, &a, "Match User x\nFlag yes\n", DG_ERR_PARSE, err,
	    sizeof(err));
	assert_string_equal(err, "t.conf:2: Flag is not allowed in a Match "
	    "block");
	conf_free(&c);
	t_load(&c, &a, "Match User x\nPort 0\n", DG_ERR_PARSE, err,
	    sizeof(err));
	assert_non_null(strstr(err, "t.conf:2: Port: 0 is out of range"));
	conf_free(&c);
}

static void
test_conf_dump_roundtrip(void **state)
{
	struct conf c, c2;
	struct t_area a, b;
	char err[256], *out1 = NULL, *out2 = NULL;
	size_t len1 = 0, len2 = 0;
	FILE *f;

	(void)state;
	t_load(&c, &a, "Name \"a b#c\"\nAcceptEnv X \"Y Z\"\nGrace 1h\n", 0,
	    err, sizeof(err));
	f = open_memstream(&out1, &len1);
	conf_dump(&c, f);
	fclose(f);
	assert_non_null(strstr(out1, "name \"a b#c\"\n"));
	assert_non_null(strstr(out1, "grace 3600\n"));
	assert_non_null(strstr(out1, "pidfile none\n"));
	/* An unset string prints as "none" and reads back as unset. */
	assert_non_null(strstr(out1, "zone none\n"));
	t_load(&c2, &b, out1, 0, err, sizeof(err));
	assert_null(b.zone);
	f = open_memstream(&out2, &len2);
	conf_dump(&c2, f);
	fclose(f);
	assert_string_equal(out1, out2);
	free(out1);
	free(out2);
	conf_free(&c);
	conf_free(&c2);
	/* "none" is a plain word for a string that has a default. */
	t_load(&c, &a, "Name none\nZone dev.corp\n", 0, err, sizeof(err));
	assert_string_equal(a.name, "none");
	assert_string_equal(a.zone, "dev.corp");
	conf_free(&c);
}

/* A list longer than one line may hold (CONF_MAX_ARGS words) dumps on
 * several lines and parses back. */
static void
test_conf_dump_long_list(void **state)
{
	struct conf c, c2;
	struct t_area a, b;
	char err[256], *text, *out1 = NULL, *out2 = NULL;
	size_t len1 = 0, len2 = 0, off = 0;
	FILE *f;
	int i;

	(void)state;
	text = malloc(8192);
	assert_non_null(text);
	/* Three lines of 100 words each. */
	for (i = 0; i < 300; i++)
		off += (size_t)snprintf(text + off, 8192 - off, "%s V%d%s",
		    i % 100 == 0 ? "AcceptEnv" : "", i,
		    i % 100 == 99 ? "\n" : "");
	t_load(&c, &a, text, 0, err, sizeof(err));
	assert_int_equal(a.env.n, 300);
	f = open_memstream(&out1, &len1);
	conf_dump(&c, f);
	fclose(f);
	t_load(&c2, &b, out1, 0, err, sizeof(err));
	assert_int_equal(b.env.n, 300);
	assert_string_equal(b.env.v[299], "V299");
	f = open_memstream(&out2, &len2);
	conf_dump(&c2, f);
	fclose(f);
	assert_string_equal(out1, out2);
	free(text);
	free(out1);
	free(out2);
	conf_free(&c);
	conf_free(&c2);
}

static void
test_conf_match(void **state)
{
	const struct conf_table *tables[] = { &t_table };
	struct conf c;
	struct t_area a, copy;
	void *copies[] = { &copy };
	char err[256];

	(void)state;
	(void)tables;
	t_load(&c, &a, "Port 22\nAcceptEnv LANG\nMatch User bob\n Port 2022\n"
	    " AcceptEnv ONLYBOB\nMatch User bob\n Port 3033\n", 0, err,
	    sizeof(err));
	memset(&copy, 0, sizeof(copy));
	conf_area_copy(&t_table, &copy, &a);
	assert_int_equal(conf_match_apply(&c, t_eval, "alice", copies, err,
	    sizeof(err)), 0);
	assert_int_equal(copy.port, 22);
	conf_area_free(&t_table, &copy);

	memset(&copy, 0, sizeof(copy));
	conf_area_copy(&t_table, &copy, &a);
	assert_int_equal(conf_match_apply(&c, t_eval, "bob", copies, err,
	    sizeof(err)), 0);
	assert_int_equal(copy.port, 2022);	/* first matching block wins */
	assert_int_equal(copy.env.n, 1);
	assert_string_equal(copy.env.v[0], "ONLYBOB");
	assert_string_equal(copy.name, "gw");
	conf_area_free(&t_table, &copy);
	assert_int_equal(a.port, 22);	/* the global config is untouched */
	/* A NULL area is skipped, not written. */
	{
		void *none[] = { NULL };

		assert_int_equal(conf_match_apply(&c, t_eval, "bob", none,
		    err, sizeof(err)), 0);
	}
	conf_free(&c);
}

static void
test_conf_parsers(void **state)
{
	int t;
	long long sz;
	char line[] = "  Key \"a b\" 'c\"d' e\\f # rest";
	char *argv[8];

	(void)state;
	assert_int_equal(conf_parse_time("90", &t), 0);
	assert_int_equal(t, 90);
	assert_int_equal(conf_parse_time("1h2m3s", &t), 0);
	assert_int_equal(t, 3723);
	assert_int_equal(conf_parse_time("2w", &t), 0);
	assert_int_equal(t, 1209600);
	assert_int_not_equal(conf_parse_time("1x", &t), 0);
	assert_int_not_equal(conf_parse_time("", &t), 0);
	assert_int_not_equal(conf_parse_time("-1", &t), 0);
	assert_int_not_equal(conf_parse_time("99999999999", &t), 0);
	assert_int_equal(conf_parse_size("2G", &sz), 0);
	assert_int_equal(sz, 2LL << 30);
	assert_int_equal(conf_parse_size("10Mi", &sz), 0);
	assert_int_equal(sz, 10LL << 20);
	assert_int_not_equal(conf_parse_size("10Q", &sz), 0);
	assert_int_equal(conf_split(line, argv, 8), 4);
	assert_string_equal(argv[1], "a b");
	assert_string_equal(argv[2], "c\"d");
	assert_string_equal(argv[3], "e\\f");
}

/* conf_list: NULL-terminated (callers pass v as an array), copy appends. */
static void
test_conf_list(void **state)
{
	struct conf_list a = { NULL, 0 }, b = { NULL, 0 };

	(void)state;
	conf_list_add(&a, "x");
	assert_null(a.v[1]);
	conf_list_add(&a, "y");
	assert_int_equal(a.n, 2);
	assert_string_equal(a.v[1], "y");
	assert_null(a.v[2]);
	conf_list_add(&b, "w");
	conf_list_copy(&b, &a);
	assert_int_equal(b.n, 3);
	assert_string_equal(b.v[0], "w");
	assert_string_equal(b.v[2], "y");
	assert_ptr_not_equal(b.v[1], a.v[0]);
	assert_null(b.v[3]);
	assert_true(conf_list_has(&b, "x"));
	conf_list_free(&a);
	assert_int_equal(a.n, 0);
	assert_null(a.v);
	conf_list_copy(&b, &a);
	assert_int_equal(b.n, 3);
	conf_list_free(&b);
}

static void
test_bufq(void **state)
{
	struct bufq q;
	unsigned char in[50000], out[50000];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 7);
	bufq_init(&q, 40000, 30000, 10000);
	assert_true(bufq_empty(&q));
	assert_int_equal(bufq_write(&q, in, sizeof(in)), 40000);
	assert_true(bufq_full(&q));
	assert_int_equal(bufq_space(&q), 0);
	assert_int_equal(bufq_write(&q, in, 1), 0);
	n = bufq_read(&q, out, 25000);
	assert_int_equal(n, 25000);
	assert_memory_equal(out, in, 25000);
	assert_false(bufq_full(&q));
	assert_false(bufq_low(&q));
	n = bufq_read(&q, out, 6000);
	assert_memory_equal(out, in + 25000, 6000);
	assert_true(bufq_low(&q));
	assert_int_equal(bufq_write(&q, in + 40000, 10000), 10000);
	n = bufq_read(&q, out, sizeof(out));
	assert_int_equal(n, 19000);
	assert_memory_equal(out, in + 31000, 19000);
	assert_true(bufq_empty(&q));
	assert_null(q.head);	/* drained chunks are released */
	bufq_write(&q, in, 100);
	bufq_clear(&q);
	assert_int_equal(bufq_len(&q), 0);

	/* Larger chunks give longer contiguous runs, bounded by max. */
	assert_int_equal(bufq_write(&q, in, 20000), 20000);
	(void)bufq_peek(&q, &n);
	assert_int_equal(n, 16384);
	bufq_clear(&q);
	bufq_set_chunk(&q, 32768);
	assert_int_equal(bufq_write(&q, in, 40000), 40000);
	assert_memory_equal(bufq_peek(&q, &n), in, 32768);
	assert_int_equal(n, 32768);
	bufq_consume(&q, 32768);
	assert_memory_equal(bufq_peek(&q, &n), in + 32768, 7232);
	assert_int_equal(n, 7232);
	bufq_clear(&q);
	bufq_set_chunk(&q, 1 << 20);
	assert_int_equal(q.chunk, 40000);
	bufq_clear(&q);
}

/* bufq_copyout gathers across chunks and leaves the queue as it was. */
static void
test_bufq_copyout(void **state)
{
	static unsigned char in[50000], out[50000];
	struct bufq q;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 7);
	bufq_init(&q, 1 << 20, 0, 0);
	assert_int_equal(bufq_copyout(&q, out, 10), 0);
	assert_int_equal(bufq_write(&q, in, sizeof(in)), sizeof(in));
	bufq_consume(&q, 1000);
	assert_int_equal(bufq_copyout(&q, out, 40000), 40000);
	assert_memory_equal(out, in + 1000, 40000);
	assert_int_equal(bufq_len(&q), 49000);
	assert_int_equal(bufq_copyout(&q, out, sizeof(out)), 49000);
	assert_memory_equal(out, in + 1000, 49000);
	assert_int_equal(bufq_read(&q, out, sizeof(out)), 49000);
	assert_memory_equal(out, in + 1000, 49000);
	bufq_clear(&q);
}

static void
test_bufq_reserve(void **state)
{
	struct bufq q;
	unsigned char in[50000], out[50000], *p;
	size_t i, n, done = 0, room;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 13 + 1);
	bufq_init(&q, 40000, 0, 0);
	/* Fill in place, in odd-sized steps, up to max. */
	while ((p = bufq_reserve(&q, &room)) != NULL) {
		assert_true(room > 0);
		n = room < 777 ? room : 777;
		memcpy(p, in + done, n);
		/* Reserved but not committed bytes are not queued. */
		assert_int_equal(bufq_len(&q), done);
		bufq_commit(&q, n);
		done += n;
	}
	assert_int_equal(room, 0);
	assert_int_equal(done, 40000);
	assert_int_equal(bufq_len(&q), 40000);
	assert_int_equal(bufq_write(&q, in, 1), 0);
	assert_int_equal(bufq_read(&q, out, sizeof(out)), 40000);
	assert_memory_equal(out, in, 40000);
	/* Mixed with bufq_write, and a reserve that is never committed. */
	bufq_write(&q, in, 10);
	p = bufq_reserve(&q, &room);
	assert_non_null(p);
	memcpy(p, in + 10, 5);
	bufq_commit(&q, 5);
	p = bufq_reserve(&q, &room);
	bufq_write(&q, in + 15, 5);
	bufq_clear(&q);
	bufq_write(&q, in, 15);
	p = bufq_reserve(&q, &room);
	assert_non_null(p);
	bufq_write(&q, in + 15, 5);
	assert_int_equal(bufq_read(&q, out, sizeof(out)), 20);
	assert_memory_equal(out, in, 20);
	/* A reserve on an empty queue leaves nothing to peek at. */
	p = bufq_reserve(&q, &room);
	assert_non_null(p);
	assert_null(bufq_peek(&q, &n));
	assert_int_equal(n, 0);
	bufq_clear(&q);
}

struct t_loop {
	struct loop	*loop;
	char		 order[16];
	int		 n;
	int		 got;
	struct loop_fd	*reg;
};

static void
t_timer(void *arg)
{
	struct t_loop *t = arg;

	t->order[t->n++] = 'T';
}

static void
t_timer_a(void *arg)
{
	struct t_loop *t = arg;

	t->order[t->n++] = 'a';
}

static void
t_timer_stop(void *arg)
{
	struct t_loop *t = arg;

	t->order[t->n++] = 'S';
	loop_stop(t->loop);
}

static void
t_deferred(void *arg)
{
	struct t_loop *t = arg;

	t->order[t->n++] = 'D';
}

static void
t_readable(int fd, int events, void *arg)
{
	struct t_loop *t = arg;
	char c;

	assert_true(events & LOOP_READ);
	assert_int_equal(read(fd, &c, 1), 1);
	t->got = c;
	t->order[t->n++] = 'R';
	loop_fd_del(t->reg);	/* removing itself inside its callback */
	t->reg = NULL;
}

static void
t_posted(void *arg)
{
	struct t_loop *t = arg;

	t->order[t->n++] = 'P';
}

static void *
t_thread(void *arg)
{
	struct t_loop *t = arg;

	loop_post(t->loop, t_posted, t);
	return NULL;
}

static void
test_loop(void **state)
{
	struct t_loop t;
	struct loop_timer *t1, *t2, *t3, *t4;
	pthread_t th;
	int p[2];

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_non_null(t.loop = loop_new());
	assert_int_equal(pipe(p), 0);
	t.reg = loop_fd_add(t.loop, p[0], LOOP_READ, t_readable, &t);
	assert_non_null(t.reg);
	assert_int_equal(write(p[1], "x", 1), 1);
	t1 = loop_timer_new(t.loop, t_timer, &t);
	t2 = loop_timer_new(t.loop, t_timer_a, &t);
	t3 = loop_timer_new(t.loop, t_timer_stop, &t);
	t4 = loop_timer_new(t.loop, t_timer, &t);
	loop_timer_start(t3, 60);
	loop_timer_start(t1, 20);
	loop_timer_start(t2, 40);
	loop_timer_start(t4, 30);
	loop_timer_stop(t4);	/* a stopped timer never fires */
	assert_false(loop_timer_pending(t4));
	loop_defer(t.loop, t_deferred, &t);
	assert_int_equal(loop_run(t.loop), 0);
	t.order[t.n] = '\0';
	assert_string_equal(t.order, "DRTaS");
	assert_int_equal(t.got, 'x');

	t.n = 0;
	assert_int_equal(pthread_create(&th, NULL, t_thread, &t), 0);
	pthread_join(th, NULL);
	loop_timer_start(t3, 50);
	assert_int_equal(loop_run(t.loop), 0);
	t.order[t.n] = '\0';
	assert_string_equal(t.order, "PS");
	loop_timer_free(t1);
	loop_timer_free(t2);
	loop_timer_free(t3);
	loop_timer_free(t4);
	close(p[0]);
	close(p[1]);
	loop_free(t.loop);
}

static void
t_sig(void *arg)
{
	struct t_loop *t = arg;

	t->order[t->n++] = 'H';
	loop_stop(t->loop);
}

static void
test_loop_signal(void **state)
{
	struct t_loop t;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.loop = loop_new();
	assert_int_equal(loop_signal(t.loop, SIGUSR1, t_sig, &t), 0);
	kill(getpid(), SIGUSR1);
	assert_int_equal(loop_run(t.loop), 0);
	assert_int_equal(t.order[0], 'H');
	loop_free(t.loop);
}

static void
t_defer_stop(void *arg)
{
	struct t_loop *t = arg;

	t->order[t->n++] = 'S';
	loop_stop(t->loop);
}

/* loop_stop() from deferred work ends loop_run() without waiting for an
 * event that may never come. */
static void
test_loop_stop_deferred(void **state)
{
	struct t_loop t;
	struct loop_timer *guard;
	uint64_t t0;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.loop = loop_new();
	/* Without the fix only this timer would wake the loop. */
	guard = loop_timer_new(t.loop, t_defer_stop, &t);
	loop_timer_start(guard, 2000);
	loop_defer(t.loop, t_defer_stop, &t);
	t0 = loop_clock_ms();
	assert_int_equal(loop_run(t.loop), 0);
	assert_true(loop_clock_ms() - t0 < 1000);
	assert_int_equal(t.n, 1);
	loop_timer_free(guard);
	loop_free(t.loop);
}

static void
test_err_and_log(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(dg_strerror(DG_ERR_TIMEOUT), "timed out");
	assert_string_equal(dg_strerror(1), "unknown error");
	assert_string_equal(dg_strerror(-1000), "unknown error");
	assert_int_equal(log_level_from_name("debug"), LOG_L_DEBUG1);
	assert_int_equal(log_level_from_name("VERBOSE"), LOG_L_VERBOSE);
	assert_int_equal(log_level_from_name("loud"), -1);
	log_json_escape(buf, sizeof(buf), "a\"b\\\n\x01");
	assert_string_equal(buf, "a\\\"b\\\\\\n\\u0001");
	log_json_escape(buf, 5, "abcdefgh");
	assert_string_equal(buf, "abcd");
}

/* dg_errf: formats, truncates, tolerates no buffer, returns the code given. */
static void
test_err_format(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(dg_errf(buf, sizeof(buf), DG_ERR_PARSE, "%s %d", "ab",
	    12), DG_ERR_PARSE);
	assert_string_equal(buf, "ab 12");
	assert_int_equal(dg_errf(buf, sizeof(buf), DG_ERR_INVAL, "%s",
	    "0123456789"), DG_ERR_INVAL);
	assert_string_equal(buf, "0123456");
	assert_int_equal(dg_errf(buf, 0, DG_ERR_RANGE, "zz"), DG_ERR_RANGE);
	assert_string_equal(buf, "0123456");
	assert_int_equal(dg_errf(NULL, 0, DG_ERR_TOOBIG, "zz"), DG_ERR_TOOBIG);
	assert_int_equal(dg_errf(NULL, 64, DG_ERR_TOOBIG, "zz"), DG_ERR_TOOBIG);
	assert_int_equal(dg_errf(buf, 1, 0, "zz"), 0);
	assert_string_equal(buf, "");
}

/*
 * HTTP with a resolver hook: a one-shot HTTP/1.0 server on the loop, and a
 * fake resolver that answers from the loop (never inside start()).
 */
struct t_web {
	struct loop	*loop;
	int		 lfd;
	struct loop_fd	*reg;
	int		 hits;
};

/* One connection: answer once its request is there. */
struct t_web_conn {
	struct t_web	*w;
	int		 fd;
	struct loop_fd	*reg;
};

static void
t_web_read(int fd, int events, void *arg)
{
	static const char resp[] = "HTTP/1.0 200 OK\r\nContent-Length: 2"
	    "\r\nContent-Type: text/plain\r\n\r\nok";
	struct t_web_conn *c = arg;
	char buf[4096];

	(void)events;
	/* The request is small: one read holds it. */
	if (read(fd, buf, sizeof(buf)) > 0 &&
	    write(fd, resp, sizeof(resp) - 1) == (ssize_t)sizeof(resp) - 1)
		c->w->hits++;
	loop_fd_del(c->reg);
	close(fd);
	free(c);
}

static void
t_web_accept(int fd, int events, void *arg)
{
	struct t_web_conn *c;
	int cfd;

	(void)events;
	if ((cfd = accept(fd, NULL, NULL)) < 0)
		return;
	c = calloc(1, sizeof(*c));
	c->w = arg;
	c->fd = cfd;
	c->reg = loop_fd_add(c->w->loop, cfd, LOOP_READ, t_web_read, c);
}

static int
t_web_start(struct t_web *w, struct loop *loop)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(w, 0, sizeof(*w));
	w->loop = loop;
	w->lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(w->lfd, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	assert_int_equal(listen(w->lfd, 8), 0);
	getsockname(w->lfd, (struct sockaddr *)&sin, &len);
	w->reg = loop_fd_add(loop, w->lfd, LOOP_READ, t_web_accept, w);
	return ntohs(sin.sin_port);
}

struct t_res_op {
	struct t_resolver	*res;
	http_resolved_cb	*cb;
	void			*arg;
	int			 cancelled;
	struct t_res_op		*next;
};

struct t_resolver {
	struct loop	*loop;
	const char	*answer[2];	/* addresses to give */
	size_t		 n;
	int		 err;		/* or this error */
	int		 asked, cancels;
	char		 last[64];
	struct t_res_op	*ops;		/* started, not yet answered */
};

static void
t_res_deliver(void *arg)
{
	struct t_res_op *op = arg, **pp;
	struct t_resolver *res = op->res;

	for (pp = &res->ops; *pp != op; pp = &(*pp)->next)
		;
	*pp = op->next;
	if (!op->cancelled)
		op->cb(op->arg, res->err, res->err ? NULL : res->answer,
		    res->err ? 0 : res->n);
	free(op);
}

static int
t_res_start(void *ctx, const char *host, http_resolved_cb *cb, void *arg,
    void **opp)
{
	struct t_resolver *res = ctx;
	struct t_res_op *op = calloc(1, sizeof(*op));

	res->asked++;
	snprintf(res->last, sizeof(res->last), "%s", host);
	op->res = res;
	op->cb = cb;
	op->arg = arg;
	op->next = res->ops;
	res->ops = op;
	*opp = op;
	loop_defer(res->loop, t_res_deliver, op);
	return 0;
}

static void
t_res_cancel(void *ctx, void *p)
{
	struct t_resolver *res = ctx;
	struct t_res_op *op = p;

	res->cancels++;
	op->cancelled = 1;
}

struct t_got {
	int	 done;
	int	 err;
	long	 status;
	char	 body[64];
	char	 error[300];
};

static void
t_http_done(void *arg, int err, const struct http_resp *resp)
{
	struct t_got *g = arg;

	g->done++;
	g->err = err;
	g->status = resp->status;
	snprintf(g->body, sizeof(g->body), "%s", resp->body != NULL ?
	    resp->body : "");
	snprintf(g->error, sizeof(g->error), "%s", resp->error != NULL ?
	    resp->error : "");
}

static void
t_http_get(struct http *h, struct loop *loop, const char *url,
    struct t_got *g)
{
	struct http_req *r = http_req_new(h, "GET", url);
	uint64_t end = loop_clock_ms() + 10000;

	memset(g, 0, sizeof(*g));
	assert_non_null(r);
	http_req_timeout(r, 8000);
	assert_int_equal(http_req_start(r, t_http_done, g), 0);
	assert_int_equal(g->done, 0);
	while (!g->done && loop_clock_ms() < end)
		loop_run_once(loop, 50);
	assert_int_equal(g->done, 1);
}

static void
test_http_resolver(void **state)
{
	struct loop *loop = loop_new();
	struct http *h = http_new(loop);
	struct t_resolver res;
	struct http_resolver hook;
	struct http_req *r;
	struct t_web web;
	struct t_got g;
	char url[128];
	int port;

	(void)state;
	port = t_web_start(&web, loop);
	memset(&res, 0, sizeof(res));
	res.loop = loop;
	res.answer[0] = "127.0.0.1";
	res.n = 1;
	hook.start = t_res_start;
	hook.cancel = t_res_cancel;
	hook.ctx = &res;
	http_set_resolver(h, &hook);

	/* A name no system resolver knows: the hook's address is used. */
	snprintf(url, sizeof(url), "http://svc.invalid:%d/x", port);
	t_http_get(h, loop, url, &g);
	assert_int_equal(g.err, 0);
	assert_int_equal(g.status, 200);
	assert_string_equal(g.body, "ok");
	assert_int_equal(res.asked, 1);
	assert_string_equal(res.last, "svc.invalid");

	/* Every address is handed over: the first refuses (nothing
	 * listens on 127.0.0.2), curl moves on. */
	res.answer[0] = "127.0.0.2";
	res.answer[1] = "127.0.0.1";
	res.n = 2;
	snprintf(url, sizeof(url), "http://other.invalid:%d/x", port);
	t_http_get(h, loop, url, &g);
	assert_int_equal(g.status, 200);
	assert_int_equal(res.asked, 2);

	/* An address in the URL is not looked up. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", port);
	t_http_get(h, loop, url, &g);
	assert_int_equal(g.status, 200);
	assert_int_equal(res.asked, 2);
	assert_int_equal(web.hits, 3);

	/* A failed lookup ends the request, with the name. */
	res.err = DG_ERR_NOTFOUND;
	snprintf(url, sizeof(url), "https://gone.invalid:%d/x", port);
	t_http_get(h, loop, url, &g);
	assert_int_equal(g.err, DG_ERR_NOTFOUND);
	assert_int_equal(g.status, 0);
	assert_non_null(strstr(g.error, "cannot resolve gone.invalid"));
	assert_int_equal(http_pending(h), 0);

	/* Cancelled while resolving: the lookup is cancelled, no callback;
	 * and http_free() cancels one in flight. */
	res.err = 0;
	memset(&g, 0, sizeof(g));
	r = http_req_new(h, "GET", url);
	assert_int_equal(http_req_start(r, t_http_done, &g), 0);
	assert_int_equal(http_pending(h), 1);
	http_req_cancel(r);
	assert_int_equal(res.cancels, 1);
	assert_int_equal(http_pending(h), 0);
	r = http_req_new(h, "GET", url);
	assert_int_equal(http_req_start(r, t_http_done, &g), 0);
	http_free(h);
	assert_int_equal(res.cancels, 2);
	loop_run_once(loop, 0);	/* the deferred answers: both cancelled */
	assert_int_equal(g.done, 0);
	assert_null(res.ops);
	assert_int_equal(web.hits, 3);
	loop_fd_del(web.reg);
	close(web.lfd);
	loop_free(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_values_and_defaults),
		cmocka_unit_test(test_conf_errors),
		cmocka_unit_test(test_conf_dump_roundtrip),
		cmocka_unit_test(test_conf_dump_long_list),
		cmocka_unit_test(test_conf_match),
		cmocka_unit_test(test_conf_parsers),
		cmocka_unit_test(test_conf_list),
		cmocka_unit_test(test_bufq),
		cmocka_unit_test(test_bufq_copyout),
		cmocka_unit_test(test_bufq_reserve),
		cmocka_unit_test(test_loop),
		cmocka_unit_test(test_loop_signal),
		cmocka_unit_test(test_loop_stop_deferred),
		cmocka_unit_test(test_err_and_log),
		cmocka_unit_test(test_err_format),
		cmocka_unit_test(test_http_resolver),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
