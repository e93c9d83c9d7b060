/* test-dns-schema.c: unit tests for dns/dns-schema.c: the v=devgate1 TXT
 * schema of profiles and environments, quantities, effective specs, and
 * the TXT text devgate writes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "dns/dns-quantity.h"
#include "dns/dns-schema.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void
test_quantity(void **state)
{
	static const struct {
		const char	*in;
		int64_t		 milli;
	} ok[] = {
		{ "8", 8000 }, { "500m", 500 }, { "1.5", 1500 },
		{ "0.25", 250 }, { "64Gi", 64LL * 1000 * (1LL << 30) },
		{ "512Mi", 512LL * 1000 * (1 << 20) }, { "1G", 1000000000000LL },
		{ "1e3", 1000000 }, { "1E3", 1000000 }, { "+2", 2000 },
		{ "1.5Gi", 1500LL * (1 << 30) }, { "100k", 100000000 },
		{ "2000000n", 2 }, { "1000u", 1 },
	};
	static const char *const bad[] = { "", "m", "-1", "1.5m", "1x",
		"1 Gi", "1.2.3", "1e", "1e-", "Gi", "99999999999999999999",
		"16Ei", "1e40", "1n", ".", "1e3m" };
	int64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < N(ok); i++) {
		assert_int_equal(dns_quantity_parse(ok[i].in, &v), 0);
		if (v != ok[i].milli)
			fail_msg("%s: %lld != %lld", ok[i].in, (long long)v,
			    (long long)ok[i].milli);
	}
	for (i = 0; i < N(bad); i++)
		if (dns_quantity_parse(bad[i], &v) == 0)
			fail_msg("\"%s\" accepted as %lld", bad[i],
			    (long long)v);
}

static void
test_profile(void **state)
{
	char *s[] = { "v=devgate1", "image=registry.corp/dev/pytorch:2.4",
		"cpu=8", "memory=64Gi", "gpu=1", "pool=gpu-a100", "idle=1h",
		"packages=pip:xgboost apt:htop", "packages=conda:numpy==1.26",
		"tolerations=nvidia.com/gpu=present:NoSchedule dedicated:NoExecute",
		"scratch=200Gi", "description=A100 with PyTorch" };
	struct dns_profile *p = NULL;
	char err[256];

	(void)state;
	assert_int_equal(dns_schema_parse_profile("gpu-a100", s, N(s), &p,
	    err, sizeof(err)), 0);
	assert_string_equal(p->name, "gpu-a100");
	assert_string_equal(p->spec.image, "registry.corp/dev/pytorch:2.4");
	assert_int_equal(p->spec.cpu_milli, 8000);
	assert_int_equal(p->spec.memory, 64LL << 30);
	assert_int_equal(p->spec.gpu, 1);
	assert_string_equal(p->spec.pool, "gpu-a100");
	assert_int_equal(p->spec.idle, 3600);
	assert_int_equal(p->spec.packages.n, 3);
	assert_string_equal(p->spec.packages.v[2], "conda:numpy==1.26");
	assert_int_equal(p->spec.tolerations.n, 2);
	assert_string_equal(p->spec.tolerations.v[0],
	    "nvidia.com/gpu=present:NoSchedule");
	assert_int_equal(p->spec.scratch, 200LL << 30);
	assert_string_equal(p->spec.description, "A100 with PyTorch");
	dns_profile_free(p);
}

static void
expect_profile_error(char **s, size_t n, const char *want)
{
	struct dns_profile *p = NULL;
	char err[256];

	assert_int_equal(dns_schema_parse_profile("p", s, n, &p, err,
	    sizeof(err)), DG_ERR_PARSE);
	assert_null(p);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

static void
test_profile_errors(void **state)
{
	char *v2[] = { "v=devgate2", "image=x" };
	char *nov[] = { "image=x" };
	char *unknown[] = { "v=devgate1", "image=x", "colour=red" };
	char *owner[] = { "v=devgate1", "image=x", "owner=alice" };
	char *twice[] = { "v=devgate1", "image=x", "cpu=1", "cpu=2" };
	char *noimg[] = { "v=devgate1", "cpu=1" };
	char *badcpu[] = { "v=devgate1", "image=x", "cpu=lots" };
	char *zerocpu[] = { "v=devgate1", "image=x", "cpu=0" };
	char *badmem[] = { "v=devgate1", "image=x", "memory=100m" };
	char *badgpu[] = { "v=devgate1", "image=x", "gpu=0.5" };
	char *badpkg[] = { "v=devgate1", "image=x", "packages=apt:vim;rm" };
	char *badmgr[] = { "v=devgate1", "image=x", "packages=brew:vim" };
	char *badtol[] = { "v=devgate1", "image=x", "tolerations=a=b:Never" };
	char *badidle[] = { "v=devgate1", "image=x", "idle=10s" };
	char *empty[] = { "v=devgate1", "image=" };
	char *noeq[] = { "v=devgate1", "image" };
	char *badimg[] = { "v=devgate1", "image=$(reboot)" };
	char *ctl[] = { "v=devgate1", "image=x", "description=a\tb" };

	(void)state;
	expect_profile_error(v2, N(v2), "unsupported schema version");
	expect_profile_error(nov, N(nov), "first string must be");
	expect_profile_error(unknown, N(unknown),
	    "unknown key \"colour\" in a profile");
	expect_profile_error(owner, N(owner), "unknown key \"owner\"");
	expect_profile_error(twice, N(twice), "cpu: given twice");
	expect_profile_error(noimg, N(noimg), "needs image=");
	expect_profile_error(badcpu, N(badcpu), "cpu: \"lots\"");
	expect_profile_error(zerocpu, N(zerocpu), "cpu:");
	expect_profile_error(badmem, N(badmem), "memory:");
	expect_profile_error(badgpu, N(badgpu), "gpu:");
	expect_profile_error(badpkg, N(badpkg), "bad item \"apt:vim;rm\"");
	expect_profile_error(badmgr, N(badmgr), "packages: bad item");
	expect_profile_error(badtol, N(badtol), "tolerations: bad item");
	expect_profile_error(badidle, N(badidle), "idle:");
	expect_profile_error(empty, N(empty), "image: empty value");
	expect_profile_error(noeq, N(noeq), "not key=value");
	expect_profile_error(badimg, N(badimg), "not an image reference");
	expect_profile_error(ctl, N(ctl), "control characters");
}

static void
test_env(void **state)
{
	char *s[] = { "v=devgate1", "owner=alice", "profile=gpu-a100",
		"members=bob,carol", "members=dave", "team=ml",
		"packages=pip:xgboost", "memory=96Gi" };
	char *bad[] = { "v=devgate1", "owner=Alice!", "profile=p" };
	char *noowner[] = { "v=devgate1", "profile=p" };
	char *nothing[] = { "v=devgate1", "owner=a" };
	struct dns_envrec *e = NULL;
	char err[256];

	(void)state;
	assert_int_equal(dns_schema_parse_env("alice-gpu", s, N(s), &e, err,
	    sizeof(err)), 0);
	assert_string_equal(e->owner, "alice");
	assert_string_equal(e->profile, "gpu-a100");
	assert_string_equal(e->team, "ml");
	assert_int_equal(e->members.n, 3);
	assert_string_equal(e->members.v[2], "dave");
	assert_int_equal(e->over.memory, 96LL << 30);
	assert_true(e->over.set & DNS_SPEC_MEMORY);
	assert_false(e->over.set & DNS_SPEC_CPU);
	dns_envrec_free(e);
	assert_int_equal(dns_schema_parse_env("x", bad, N(bad), &e, err,
	    sizeof(err)), DG_ERR_PARSE);
	assert_non_null(strstr(err, "owner: \"Alice!\""));
	assert_int_equal(dns_schema_parse_env("x", noowner, N(noowner), &e,
	    err, sizeof(err)), DG_ERR_PARSE);
	assert_int_equal(dns_schema_parse_env("x", nothing, N(nothing), &e,
	    err, sizeof(err)), DG_ERR_PARSE);
	assert_int_equal(dns_schema_parse_env("Bad_Name", s, N(s), &e, err,
	    sizeof(err)), DG_ERR_PARSE);
}

static void
test_effective(void **state)
{
	char *ps[] = { "v=devgate1", "image=img:1", "cpu=8", "memory=64Gi",
		"packages=apt:htop", "idle=1h" };
	char *es[] = { "v=devgate1", "owner=alice", "profile=p", "cpu=4",
		"packages=pip:xgboost", "idle=never" };
	struct dns_profile *p;
	struct dns_envrec *e;
	struct dns_spec out;
	char err[256];

	(void)state;
	assert_int_equal(dns_schema_parse_profile("p", ps, N(ps), &p, err,
	    sizeof(err)), 0);
	assert_int_equal(dns_schema_parse_env("e", es, N(es), &e, err,
	    sizeof(err)), 0);
	assert_int_equal(dns_schema_effective(&p->spec, &e->over, &out, err,
	    sizeof(err)), 0);
	assert_string_equal(out.image, "img:1");
	assert_int_equal(out.cpu_milli, 4000);
	assert_int_equal(out.memory, 64LL << 30);
	assert_int_equal(out.idle, 0);
	assert_int_equal(out.packages.n, 2);
	dns_spec_clear(&out);
	assert_int_equal(dns_schema_effective(NULL, &e->over, &out, err,
	    sizeof(err)), DG_ERR_PARSE);
	assert_non_null(strstr(err, "no image"));
	dns_profile_free(p);
	dns_envrec_free(e);
}

static void
test_env_txt_roundtrip(void **state)
{
	char *s[] = { "v=devgate1", "owner=alice", "profile=gpu-a100",
		"team=ml", "members=bob", "image=img:2", "cpu=500m",
		"memory=1536Mi", "gpu=2", "idle=2h", "packages=apt:htop",
		"scratch=10Gi" };
	struct dns_envrec *e, *back;
	char *txt, err[256], *strs[32], *p, *q;
	size_t n = 0;

	(void)state;
	assert_int_equal(dns_schema_parse_env("alice-gpu", s, N(s), &e, err,
	    sizeof(err)), 0);
	txt = dns_schema_env_txt(e);
	assert_non_null(txt);
	assert_non_null(strstr(txt, "\"v=devgate1\" \"owner=alice\""));
	/* Split the quoted strings back and parse again. */
	for (p = txt; (p = strchr(p, '"')) != NULL; p = q + 1) {
		q = strchr(p + 1, '"');
		*q = '\0';
		strs[n++] = p + 1;
	}
	assert_int_equal(dns_schema_parse_env("alice-gpu", strs, n, &back,
	    err, sizeof(err)), 0);
	assert_int_equal(back->over.cpu_milli, 500);
	assert_int_equal(back->over.memory, 1536LL << 20);
	assert_int_equal(back->over.idle, 7200);
	assert_int_equal(back->over.scratch, 10LL << 30);
	assert_int_equal(back->over.gpu, 2);
	assert_string_equal(back->team, "ml");
	free(txt);
	dns_envrec_free(back);
	dns_envrec_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantity),
		cmocka_unit_test(test_profile),
		cmocka_unit_test(test_profile_errors),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_effective),
		cmocka_unit_test(test_env_txt_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
