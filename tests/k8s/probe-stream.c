/* probe-stream.c: the stream commands of k8s-probe: exec and pf bridge
 * stdin/stdout to a stream; bench pushes data through `cat` and checks
 * it; idle opens N quiet exec streams and reports memory. */
#include <sys/resource.h>
#include <sys/time.h>

#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "gateway/backend.h"
#include "gateway/k8s-stream.h"
#include "tests/k8s/k8s-probe.h"

#define PATTERN_LEN	(1u << 20)

static struct {
	struct bstream	 *s;
	struct loop_fd	 *in;		/* stdin watcher */
	int		  in_eof;
	int		  send_eof;	/* close stdin at EOF */
	int		  in_blocked;	/* short write: wait for drain */
	char		  inbuf[65536];
	size_t		  inlen, inoff;

	/* -s: a slow reader that pauses the stream after every delivery */
	int		  slow;
	struct loop_timer *resume;
	unsigned long	  pauses;

	/* bench */
	uint8_t		 *pattern;
	uint64_t	  total, sent, recvd;
	int		  bad;
	uint64_t	  t0;
	int		  bench;

	/* idle */
	struct bstream	**many;
	size_t		  nmany, opened, failed, started;
	const char	 *pod;
	long		  rss0;
	size_t		  heap0;
} S;

static long
probe_rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

static void
probe_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

/* stdin → stream */

static void
probe_close_failed(int err)
{
	fprintf(stderr, "close_stdin: %s\n", dg_strerror(err));
}

static void
probe_pump_stdin(void)
{
	ssize_t w, n;

	for (;;) {
		if (S.inoff == S.inlen) {
			if (S.in_eof)
				break;
			n = read(0, S.inbuf, sizeof(S.inbuf));
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return;
			if (n <= 0) {
				S.in_eof = 1;
				loop_fd_del(S.in);
				S.in = NULL;
				if (S.send_eof) {
					if ((n = bstream_close_stdin(S.s)) != 0)
						probe_close_failed((int)n);
				}
				return;
			}
			S.inlen = (size_t)n;
			S.inoff = 0;
		}
		w = bstream_write(S.s, S.inbuf + S.inoff, S.inlen - S.inoff);
		if (w < 0) {
			fprintf(stderr, "write: %s\n", dg_strerror((int)w));
			return;
		}
		S.inoff += (size_t)w;
		if (S.inoff < S.inlen) {
			S.in_blocked = 1;
			if (S.in != NULL)
				loop_fd_set(S.in, 0);
			return;
		}
	}
}

static void
probe_stdin_ready(int fd, int events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	probe_pump_stdin();
}

/* bench: the writer side */

static void
probe_bench_push(void)
{
	uint64_t off;
	size_t n;
	ssize_t w;

	while (S.sent < S.total) {
		off = S.sent % PATTERN_LEN;
		n = PATTERN_LEN - (size_t)off;
		if (n > S.total - S.sent)
			n = (size_t)(S.total - S.sent);
		w = bstream_write(S.s, S.pattern + off, n);
		if (w <= 0)
			return;
		S.sent += (uint64_t)w;
	}
	if (S.sent == S.total && !S.in_eof) {
		S.in_eof = 1;
		bstream_close_stdin(S.s);
	}
}

static void
probe_bench_report(void)
{
	struct rusage ru;
	double secs = (double)(loop_clock_ms() - S.t0) / 1000.0;

	getrusage(RUSAGE_SELF, &ru);
	printf("bench bytes=%llu secs=%.3f MBps=%.1f cpu_user=%.3f "
	    "cpu_sys=%.3f verified=%s\n", (unsigned long long)S.recvd, secs,
	    secs > 0 ? (double)S.recvd / secs / 1e6 : 0.0,
	    (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
	    S.bad ? "no" : "yes");
}

static void
probe_resume(void *arg)
{
	(void)arg;
	bstream_pause(S.s, 0);
}

static long
probe_hwm_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

/* Stream callbacks (single stream). */

static void
probe_open(void *arg)
{
	(void)arg;
	fprintf(stderr, "open protocol=%s\n", k8s_stream_protocol(S.s));
}

static void
probe_data(void *arg, int fd, const void *buf, size_t len)
{
	uint64_t off;
	size_t k;
	const uint8_t *p = buf;

	(void)arg;
	if (!S.bench) {
		probe_write_all(fd == 2 ? 2 : 1, buf, len);
		if (S.slow && !loop_timer_pending(S.resume)) {
			bstream_pause(S.s, 1);
			S.pauses++;
			loop_timer_start(S.resume, 1);
		}
		return;
	}
	while (len > 0) {
		off = S.recvd % PATTERN_LEN;
		k = PATTERN_LEN - (size_t)off < len ? PATTERN_LEN -
		    (size_t)off : len;
		if (memcmp(S.pattern + off, p, k) != 0)
			S.bad = 1;
		S.recvd += k;
		p += k;
		len -= k;
	}
}

static void
probe_drain(void *arg)
{
	(void)arg;
	if (S.bench) {
		probe_bench_push();
		return;
	}
	if (S.in_blocked) {
		S.in_blocked = 0;
		if (S.in != NULL)
			loop_fd_set(S.in, LOOP_READ);
		probe_pump_stdin();
	}
}

static void
probe_exit(void *arg, const struct bstream_exit *ex)
{
	(void)arg;
	if (S.bench) {
		probe_bench_report();
		probe_finish(S.bad || S.recvd != S.total ? 1 : ex->status);
		return;
	}
	if (S.slow)
		fprintf(stderr, "slow pauses=%lu peak_rss_kb=%ld\n", S.pauses,
		    probe_hwm_kb());
	if (ex->status < 0) {
		fprintf(stderr, "exit-message: %s\n", ex->message);
		probe_finish(125);
		return;
	}
	probe_finish(ex->status);
}

static void
probe_error(void *arg, int err, const char *reason)
{
	(void)arg;
	printf("error: %s: %s\n", dg_strerror(err), reason);
	fflush(stdout);
	if (S.bench)
		probe_bench_report();
	probe_finish(100);
}

static const struct bstream_cbs probe_cbs = {
	.open = probe_open,
	.data = probe_data,
	.drain = probe_drain,
	.exit = probe_exit,
	.error = probe_error,
};

/* idle: many streams */

static const struct bstream_cbs probe_idle_cbs;

/* Keep 8 streams connecting at a time, as sessions arriving over time
 * would (a burst of handshakes inflates the heap). */
static int
probe_idle_more(void)
{
	static char *cat_argv[] = { "cat", NULL };
	struct bexec_spec spec;
	int r;

	memset(&spec, 0, sizeof(spec));
	spec.argv = cat_argv;
	while (S.started < S.nmany && S.started - S.opened - S.failed < 8) {
		if ((r = backend_exec(P.b, S.pod, &spec, &probe_idle_cbs, NULL,
		    &S.many[S.started])) != 0)
			return r;
		S.started++;
	}
	return 0;
}

static void
probe_idle_report(void)
{
	struct mallinfo2 mi = mallinfo2();
	long rss = probe_rss_kb();

	printf("idle streams=%zu failed=%zu rss_before_kb=%ld "
	    "rss_after_kb=%ld rss_per_stream=%ld heap_per_stream=%zu\n",
	    S.opened, S.failed, S.rss0, rss, S.opened ? (rss - S.rss0) *
	    1024 / (long)S.opened : 0, S.opened ? (mi.uordblks - S.heap0) /
	    S.opened : 0);
	probe_finish(S.failed ? 1 : 0);
}

static void
probe_idle_open(void *arg)
{
	(void)arg;
	S.opened++;
	if (probe_idle_more() != 0)
		probe_finish(1);
	else if (S.opened + S.failed == S.nmany)
		probe_idle_report();
}

static void
probe_idle_data(void *arg, int fd, const void *buf, size_t len)
{
	(void)arg;
	(void)fd;
	(void)buf;
	(void)len;
}

static void
probe_idle_exit(void *arg, const struct bstream_exit *ex)
{
	(void)arg;
	(void)ex;
	S.failed++;
}

static void
probe_idle_error(void *arg, int err, const char *reason)
{
	(void)arg;
	fprintf(stderr, "idle stream: %s: %s\n", dg_strerror(err), reason);
	S.failed++;
	if (probe_idle_more() != 0 || S.opened + S.failed == S.nmany)
		probe_idle_report();
}

static const struct bstream_cbs probe_idle_cbs = {
	.open = probe_idle_open,
	.data = probe_idle_data,
	.exit = probe_idle_exit,
	.error = probe_idle_error,
};

static int
probe_size(const char *s, unsigned *c, unsigned *r)
{
	return sscanf(s, "%ux%u", c, r) == 2 ? 0 : DG_ERR_INVAL;
}

int
probe_stream_cmd(int argc, char **argv)
{
	struct bexec_spec spec;
	static char *cat_argv[] = { "cat", NULL };
	unsigned rc = 0, rr = 0;
	const char *cmd = argv[0];
	size_t i;
	int ch, r, resize = 0;

	memset(&spec, 0, sizeof(spec));
	S.send_eof = 1;
	if (strcmp(cmd, "exec") == 0) {
		optind = 1;
		while ((ch = getopt(argc, argv, "+t:r:nc:s")) != -1) {
			switch (ch) {
			case 's':
				S.slow = 1;
				S.resume = loop_timer_new(P.loop, probe_resume,
				    NULL);
				break;
			case 't':
				spec.tty = 1;
				if (probe_size(optarg, &spec.cols,
				    &spec.rows) != 0)
					return DG_ERR_INVAL;
				break;
			case 'r':
				resize = 1;
				if (probe_size(optarg, &rc, &rr) != 0)
					return DG_ERR_INVAL;
				break;
			case 'n':
				S.send_eof = 0;
				break;
			case 'c':
				spec.container = optarg;
				break;
			default:
				return DG_ERR_INVAL;
			}
		}
		if (argc - optind < 2)
			return DG_ERR_INVAL;
		spec.argv = argv + optind + 1;
		r = backend_exec(P.b, argv[optind], &spec, &probe_cbs, NULL,
		    &S.s);
		if (r != 0)
			return r;
		if (resize && (r = bstream_resize(S.s, rc, rr)) != 0)
			return r;
	} else if (strcmp(cmd, "pf") == 0 && argc == 3) {
		S.send_eof = 0;
		r = backend_portforward(P.b, argv[1], (uint16_t)atoi(argv[2]),
		    &probe_cbs, NULL, &S.s);
		if (r != 0)
			return r;
	} else if (strcmp(cmd, "bench") == 0 && argc == 3) {
		S.bench = 1;
		S.total = strtoull(argv[2], NULL, 10) << 20;
		S.pattern = xmalloc(PATTERN_LEN);
		for (i = 0; i < PATTERN_LEN; i++)
			S.pattern[i] = (uint8_t)(i * 2654435761u >> 13);
		spec.argv = cat_argv;
		S.t0 = loop_clock_ms();
		r = backend_exec(P.b, argv[1], &spec, &probe_cbs, NULL, &S.s);
		if (r != 0)
			return r;
		probe_bench_push();
		return 0;
	} else if (strcmp(cmd, "idle") == 0 && argc == 3) {
		S.nmany = strtoul(argv[2], NULL, 10);
		S.many = xcalloc(S.nmany ? S.nmany : 1, sizeof(*S.many));
		spec.argv = cat_argv;
		S.pod = argv[1];
		S.rss0 = probe_rss_kb();
		S.heap0 = mallinfo2().uordblks;
		return probe_idle_more();
	} else
		return DG_ERR_INVAL;
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	if ((S.in = loop_fd_add(P.loop, 0, LOOP_READ, probe_stdin_ready,
	    NULL)) == NULL) {
		/* A regular file or /dev/null: read it all now. */
		probe_pump_stdin();
	}
	return 0;
}

void
probe_stream_cleanup(void)
{
	size_t i;

	loop_fd_del(S.in);
	loop_timer_free(S.resume);
	bstream_close(S.s);
	for (i = 0; i < S.started; i++)
		bstream_close(S.many[i]);
	free(S.many);
	free(S.pattern);
}
