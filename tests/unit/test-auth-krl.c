/* test-auth-krl.c: unit tests for RevokedKeys parsing and lookups (auth/
 * auth-krl.c) on KRLs made by ssh-keygen -k: serial lists, ranges and
 * bitmaps per CA, key ids, explicit keys, SHA1/SHA256 hashes, plain lists,
 * malformed input, and reloading a changed file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth-krl.h"
#include "common/err.h"
#include "common/xmalloc.h"
#include "tests/unit/auth-testutil.h"

static unsigned char *ca, *ca2, *k1, *k2;
static size_t calen, ca2len, k1len, k2len;

static int
t_setup(void **state)
{
	char *s;

	(void)state;
	t_mkdir("test-auth-krl");
	s = t_keygen("ca", "ed25519");
	t_blob(s, &ca, &calen);
	free(s);
	s = t_keygen("ca2", "ecdsa");
	t_blob(s, &ca2, &ca2len);
	free(s);
	s = t_keygen("k1", "ed25519");
	t_blob(s, &k1, &k1len);
	free(s);
	s = t_keygen("k2", "rsa -b 2048");
	t_blob(s, &k2, &k2len);
	free(s);
	return 0;
}

static int
t_teardown(void **state)
{
	(void)state;
	free(ca);
	free(ca2);
	free(k1);
	free(k2);
	t_rmdir();
	return 0;
}

static struct auth_krl *
t_krl(const char *spec, const char *args)
{
	struct auth_krl *k;
	char err[256];

	t_write(t_path("spec"), spec, 0644);
	t_sh("rm -f '%s' && ssh-keygen -q -k -f '%s' %s 2>/dev/null",
	    t_path("krl"), t_path("krl"), args);
	if (auth_krl_load(t_path("krl"), &k, err, sizeof(err)) != 0)
		fail_msg("load: %s", err);
	return k;
}

static void
test_krl_serials(void **state)
{
	struct auth_krl *k;
	char args[1024];
	uint64_t s;

	(void)state;
	snprintf(args, sizeof(args), "-s '%s.pub' '%s'", t_path("ca"),
	    t_path("spec"));
	/* Odd serials below 40 (ssh-keygen packs them as a bitmap), a range
	 * and a single large one. */
	{
		char spec[4096];
		size_t n = 0;

		for (s = 1; s < 40; s += 2)
			n += (size_t)snprintf(spec + n, sizeof(spec) - n,
			    "serial: %llu\n", (unsigned long long)s);
		snprintf(spec + n, sizeof(spec) - n, "serial: 1000-2000\n"
		    "serial: 18446744073709551615\nid: lost laptop\n");
		k = t_krl(spec, args);
	}
	for (s = 1; s < 40; s++)
		assert_int_equal(auth_krl_cert_revoked(k, ca, calen, s, "x"),
		    (int)(s % 2));
	assert_int_equal(auth_krl_cert_revoked(k, ca, calen, 999, "x"), 0);
	assert_int_equal(auth_krl_cert_revoked(k, ca, calen, 1000, "x"), 1);
	assert_int_equal(auth_krl_cert_revoked(k, ca, calen, 2000, "x"), 1);
	assert_int_equal(auth_krl_cert_revoked(k, ca, calen, 2001, "x"), 0);
	assert_int_equal(auth_krl_cert_revoked(k, ca, calen, UINT64_MAX, "x"),
	    1);
	/* Serial 0 is never revoked by serial; key ids still are. */
	assert_int_equal(auth_krl_cert_revoked(k, ca, calen, 0, "x"), 0);
	assert_int_equal(auth_krl_cert_revoked(k, ca, calen, 0,
	    "lost laptop"), 1);
	/* Another CA's certificates are untouched. */
	assert_int_equal(auth_krl_cert_revoked(k, ca2, ca2len, 3,
	    "lost laptop"), 0);
	assert_int_equal(auth_krl_key_revoked(k, k1, k1len), 0);
	assert_true(auth_krl_count(k) > 0);
	auth_krl_free(k);
}

static void
test_krl_keys_and_hashes(void **state)
{
	struct auth_krl *k;
	char args[1024], spec[1024], *pub;

	(void)state;
	snprintf(args, sizeof(args), "'%s.pub'", t_path("k1"));
	k = t_krl("", args);
	assert_int_equal(auth_krl_key_revoked(k, k1, k1len), 1);
	assert_int_equal(auth_krl_key_revoked(k, k2, k2len), 0);
	auth_krl_free(k);
	t_sh("ssh-keygen -lf '%s.pub' -E sha256 | awk '{print \"hash: \" $2}' "
	    "> '%s'", t_path("k2"), t_path("hashspec"));
	snprintf(args, sizeof(args), "'%s'", t_path("hashspec"));
	k = t_krl("", args);
	assert_int_equal(auth_krl_key_revoked(k, k2, k2len), 1);
	assert_int_equal(auth_krl_key_revoked(k, k1, k1len), 0);
	auth_krl_free(k);
	pub = t_slurp(t_path("k1.pub"));
	snprintf(spec, sizeof(spec), "sha1: %s\n", pub);
	free(pub);
	snprintf(args, sizeof(args), "'%s'", t_path("spec"));
	k = t_krl(spec, args);
	assert_int_equal(auth_krl_key_revoked(k, k1, k1len), 1);
	auth_krl_free(k);
}

static void
test_krl_plain_and_bad(void **state)
{
	struct auth_krl *k;
	char *pub, err[256];
	unsigned char junk[64];

	(void)state;
	pub = t_slurp(t_path("k2.pub"));
	assert_int_equal(auth_krl_parse((unsigned char *)pub, strlen(pub), &k,
	    err, sizeof(err)), 0);
	assert_int_equal(auth_krl_key_revoked(k, k2, k2len), 1);
	assert_int_equal(auth_krl_cert_revoked(k, ca, calen, 5, "x"), 0);
	auth_krl_free(k);
	free(pub);
	assert_int_equal(auth_krl_parse((const unsigned char *)"not a key\n",
	    10, &k, err, sizeof(err)), DG_ERR_PARSE);
	assert_non_null(strstr(err, "line 1"));
	memcpy(junk, "SSHKRL\n\0\0\0\0\2", 12);
	assert_int_equal(auth_krl_parse(junk, 12, &k, err, sizeof(err)),
	    DG_ERR_PARSE);
	assert_int_equal(auth_krl_parse((const unsigned char *)"", 0, &k, err,
	    sizeof(err)), 0);
	assert_int_equal(auth_krl_count(k), 0);
	auth_krl_free(k);
}

static void
test_krl_refresh(void **state)
{
	struct auth_krl *k;
	char *pub, err[256];

	(void)state;
	t_write(t_path("list"), "", 0644);
	assert_int_equal(auth_krl_load(t_path("list"), &k, err, sizeof(err)),
	    0);
	assert_int_equal(auth_krl_key_revoked(k, k1, k1len), 0);
	pub = t_slurp(t_path("k1.pub"));
	t_write(t_path("list"), pub, 0644);
	assert_int_equal(auth_krl_refresh(k, err, sizeof(err)), 0);
	assert_int_equal(auth_krl_key_revoked(k, k1, k1len), 1);
	/* A broken file revokes everything until it is fixed. */
	t_write(t_path("list"), "broken\n", 0644);
	assert_int_equal(auth_krl_refresh(k, err, sizeof(err)), DG_ERR_PARSE);
	assert_int_equal(auth_krl_key_revoked(k, k2, k2len), 1);
	t_write(t_path("list"), "", 0644);
	assert_int_equal(auth_krl_refresh(k, err, sizeof(err)), 0);
	assert_int_equal(auth_krl_key_revoked(k, k1, k1len), 0);
	free(pub);
	auth_krl_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_krl_serials),
		cmocka_unit_test(test_krl_keys_and_hashes),
		cmocka_unit_test(test_krl_plain_and_bad),
		cmocka_unit_test(test_krl_refresh),
	};

	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
