/* auth-testutil.c: helpers shared by the auth/ unit tests: a temp dir,
 * keys and certificates made with ssh-keygen at run time, configs through
 * the real config engine, and logins driven through the event loop. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth-wire.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "tests/unit/auth-testutil.h"

char t_dir[256];

void
t_mkdir(const char *prefix)
{
	snprintf(t_dir, sizeof(t_dir), "/tmp/%s.XXXXXX", prefix);
	assert_non_null(mkdtemp(t_dir));
	chmod(t_dir, 0755);
}

void
t_rmdir(void)
{
	char cmd[512];

	if (t_dir[0] == '\0' || getenv("TST_KEEP") != NULL)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", t_dir);
}

const char *
t_path(const char *name)
{
	static char bufs[8][1024];
	static int n;
	char *b = bufs[n++ % 8];

	snprintf(b, sizeof(bufs[0]), "%s/%s", t_dir, name);
	return b;
}

char *
t_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n, cap = 1 << 20;

	if (f == NULL)
		fail_msg("cannot read %s", path);
	buf = xmalloc(cap + 1);
	n = fread(buf, 1, cap, f);
	fclose(f);
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return buf;
}

void
t_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if ((r = system(cmd)) != 0)
		fail_msg("command failed (%d): %s", r, cmd);
}

char *
t_keygen(const char *name, const char *type)
{
	char pub[600];

	t_sh("ssh-keygen -q -t %s -N '' -C %s -f '%s' >/dev/null 2>&1", type,
	    name, t_path(name));
	snprintf(pub, sizeof(pub), "%s.pub", t_path(name));
	return t_slurp(pub);
}

void
t_blob(const char *pub, unsigned char **blobp, size_t *lenp)
{
	const char *b = strchr(pub, ' ');
	size_t n;

	assert_non_null(b);
	b++;
	n = strcspn(b, " \n");
	assert_int_equal(auth_b64_decode(b, n, blobp, lenp), 0);
}

void
t_load_conf(struct conf *c, struct auth_config *a, const char *text)
{
	const struct conf_table *tables[] = { &auth_conf_table };
	void *areas[] = { a };
	char err[256];

	memset(a, 0, sizeof(*a));
	conf_init(c, 1, tables, areas);
	conf_set_match_check(c, auth_match_check);
	if (conf_load_string(c, "t.conf", text, err, sizeof(err)) != 0)
		fail_msg("config: %s", err);
	if (conf_finish(c, err, sizeof(err)) != 0)
		fail_msg("config defaults: %s", err);
}

void
t_env_load(struct t_env *e, struct loop *l, const char *text)
{
	char err[256];

	t_load_conf(&e->conf, &e->a, text);
	e->ctx = auth_ctx_new(l, &e->a, err, sizeof(err));
	if (e->ctx == NULL)
		fail_msg("auth_ctx_new: %s", err);
}

void
t_env_free(struct t_env *e)
{
	auth_ctx_free(e->ctx);
	conf_free(&e->conf);
}

void
t_pk_cb(void *arg, int result, struct auth_grant *g, const char *reason)
{
	struct t_res *r = arg;

	r->called++;
	r->result = result;
	r->grant = g;
	snprintf(r->reason, sizeof(r->reason), "%s", reason ? reason : "");
}

int
t_run_until(struct loop *l, const int *flag, int ms)
{
	uint64_t end = loop_clock_ms() + (uint64_t)ms;
	int first = 1;

	/* The first pass runs deferred work without sleeping afterwards;
	 * then wait for events (the loop wakes up for them). */
	while (*flag == 0 && loop_clock_ms() < end) {
		loop_run_once(l, first ? 0 : 10);
		first = 0;
	}
	return *flag;
}

void
t_login(struct auth_ctx *ctx, struct loop *l, const char *user,
    const char *addr, const char *pub, int verified, struct t_res *res)
{
	struct auth_peer p;
	struct auth_op *op = NULL;
	unsigned char *blob;
	size_t len;
	char type[128];

	memset(&p, 0, sizeof(p));
	memset(res, 0, sizeof(*res));
	p.session = "s1";
	p.user = user;
	p.addr = addr;
	p.port = 40000;
	t_blob(pub, &blob, &len);
	snprintf(type, sizeof(type), "%.*s", (int)strcspn(pub, " "), pub);
	assert_int_equal(auth_publickey(ctx, &p, type, blob, len, verified,
	    t_pk_cb, res, &op), 0);
	assert_non_null(op);
	assert_int_equal(res->called, 0);	/* never before returning */
	t_run_until(l, &res->called, 10000);
	assert_int_equal(res->called, 1);
	free(blob);
}
