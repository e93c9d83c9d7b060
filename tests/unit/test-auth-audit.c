/* test-auth-audit.c: unit tests for the audit log (auth/audit.c and the
 * audit calls of auth.c): every line is one valid JSON object with the
 * documented fields, escaping, truncation, and a stalled stdout pipe never
 * blocks the writer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "auth/auditlog.h"
#include "auth/auth.h"
#include "common/err.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "tests/unit/auth-testutil.h"

static cJSON *
t_line(const char *text, int n)
{
	const char *p = text;
	char *line;
	cJSON *j;
	size_t len;

	while (n-- > 0) {
		p = strchr(p, '\n');
		assert_non_null(p);
		p++;
	}
	len = strcspn(p, "\n");
	line = xstrndup(p, len);
	j = cJSON_Parse(line);
	if (j == NULL)
		fail_msg("not JSON: %s", line);
	free(line);
	return j;
}

static const char *
t_str(cJSON *j, const char *k)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double
t_num(cJSON *j, const char *k)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);

	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

static void
test_audit_records(void **state)
{
	struct conf c;
	struct auth_config a;
	struct auth_ctx *ctx;
	struct loop *l = loop_new();
	struct auth_peer p;
	struct auth_grant g;
	char text[512], err[256], *log;
	cJSON *j;

	(void)state;
	t_mkdir("test-auth-audit");
	snprintf(text, sizeof(text), "AuditLog %s\n", t_path("audit.log"));
	t_load_conf(&c, &a, text);
	ctx = auth_ctx_new(l, &a, err, sizeof(err));
	assert_non_null(ctx);
	memset(&p, 0, sizeof(p));
	p.session = "s42";
	p.user = "alice";
	p.env = "alice-gpu";
	p.addr = "10.0.0.5";
	p.port = 51234;
	p.laddr = "127.0.0.7";
	p.lport = 22;
	memset(&g, 0, sizeof(g));
	g.method = AUTH_METHOD_PUBLICKEY;
	snprintf(g.key_type, sizeof(g.key_type), "ssh-ed25519-cert-v01@"
	    "openssh.com");
	snprintf(g.fingerprint, sizeof(g.fingerprint), "SHA256:abc");
	g.is_cert = 1;
	g.cert_key_id = "alice \"laptop\"\n";
	g.cert_serial = 18446744073709551615ULL;
	snprintf(g.ca_fingerprint, sizeof(g.ca_fingerprint), "SHA256:ca");
	auth_audit_login(ctx, &p, &g, 1, "publickey,keyboard-interactive",
	    NULL);
	auth_audit_channel_open(ctx, &p, 3, AUTH_CHAN_EXEC, "make -j8", NULL);
	auth_audit_channel_open(ctx, &p, 4, AUTH_CHAN_FORWARD,
	    "localhost:5432", "forward target not in PermitOpen");
	auth_audit_channel_close(ctx, &p, 3, AUTH_CHAN_EXEC, 1234, 987654321,
	    45000, 2);
	auth_audit_login(ctx, &p, NULL, 0, "", "too many authentication "
	    "failures");
	log = t_slurp(t_path("audit.log"));

	j = t_line(log, 0);
	assert_string_equal(t_str(j, "event"), "login");
	assert_string_equal(t_str(j, "session"), "s42");
	assert_string_equal(t_str(j, "user"), "alice");
	assert_string_equal(t_str(j, "env"), "alice-gpu");
	assert_string_equal(t_str(j, "src"), "10.0.0.5");
	assert_int_equal((int)t_num(j, "src_port"), 51234);
	assert_string_equal(t_str(j, "methods"),
	    "publickey,keyboard-interactive");
	assert_string_equal(t_str(j, "cert_id"), "alice \"laptop\"\n");
	assert_string_equal(t_str(j, "fingerprint"), "SHA256:abc");
	assert_string_equal(t_str(j, "decision"), "accept");
	assert_non_null(strstr(log, "\"cert_serial\":18446744073709551615"));
	assert_int_equal(strlen(t_str(j, "ts")), 24);	/* ms, UTC */
	assert_int_equal(t_str(j, "ts")[23], 'Z');
	cJSON_Delete(j);
	j = t_line(log, 1);
	assert_string_equal(t_str(j, "event"), "channel_open");
	assert_string_equal(t_str(j, "kind"), "exec");
	assert_string_equal(t_str(j, "detail"), "make -j8");
	cJSON_Delete(j);
	j = t_line(log, 2);
	assert_string_equal(t_str(j, "decision"), "refuse");
	assert_string_equal(t_str(j, "reason"),
	    "forward target not in PermitOpen");
	cJSON_Delete(j);
	j = t_line(log, 3);
	assert_string_equal(t_str(j, "event"), "channel_close");
	assert_int_equal((long)t_num(j, "bytes_out"), 987654321);
	assert_int_equal((int)t_num(j, "bytes_in"), 1234);
	assert_int_equal((int)t_num(j, "duration_ms"), 45000);
	assert_int_equal((int)t_num(j, "exit_status"), 2);
	cJSON_Delete(j);
	j = t_line(log, 4);
	assert_string_equal(t_str(j, "reason"),
	    "too many authentication failures");
	cJSON_Delete(j);
	free(log);
	auth_ctx_free(ctx);
	conf_free(&c);
	loop_free(l);
	t_rmdir();
}

static void
test_audit_truncation(void **state)
{
	struct auditlog_rec r;
	char *big = xmalloc(10000);
	cJSON *j;

	(void)state;
	memset(big, 'x', 9999);
	big[9999] = '\0';
	auditlog_rec_init(&r, "auth");
	auditlog_rec_str(&r, "a", "short");
	auditlog_rec_str(&r, "big", big);
	auditlog_rec_str(&r, "b", "after");
	j = cJSON_Parse(auditlog_rec_finish(&r));
	assert_non_null(j);
	assert_string_equal(t_str(j, "a"), "short");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "truncated")));
	assert_true(r.len < sizeof(r.buf));
	cJSON_Delete(j);
	/* Control characters are escaped. */
	auditlog_rec_init(&r, "x");
	auditlog_rec_str(&r, "v", "a\tb\001\\");
	j = cJSON_Parse(auditlog_rec_finish(&r));
	assert_non_null(j);
	assert_string_equal(t_str(j, "v"), "a\tb\001\\");
	cJSON_Delete(j);
	free(big);
}

static void
test_audit_stalled_pipe(void **state)
{
	struct auditlog *au;
	struct auditlog_rec r;
	struct timespec t0, t1;
	int fds[2], saved, i;
	char err[128];

	(void)state;
	/* stdout is a pipe nobody reads: writes must not block. */
	assert_int_equal(pipe(fds), 0);
	saved = dup(1);
	dup2(fds[1], 1);
	assert_int_equal(auditlog_open("stdout", &au, err, sizeof(err)), 0);
	dup2(saved, 1);
	close(saved);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 2000; i++) {
		auditlog_rec_init(&r, "auth");
		auditlog_rec_str(&r, "pad", "0123456789012345678901234567890123"
		    "456789012345678901234567890123456789");
		auditlog_rec_write(au, &r);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(auditlog_dropped(au) > 0);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	auditlog_close(au);
	close(fds[0]);
	close(fds[1]);
	/* none: nothing, no error. */
	assert_int_equal(auditlog_open("none", &au, err, sizeof(err)), 0);
	assert_null(au);
	assert_int_equal(auditlog_open("/nonexistent/dir/a.log", &au, err,
	    sizeof(err)), DG_ERR_SYSTEM);
	assert_non_null(strstr(err, "AuditLog"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_records),
		cmocka_unit_test(test_audit_truncation),
		cmocka_unit_test(test_audit_stalled_pipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
