/* test-auth-cert.c: unit tests for OpenSSH user certificates (auth/auth-
 * cert.c and the certificate path of auth_publickey): certificates made
 * with ssh-keygen -s at run time, each accepted or refused as sshd would,
 * with the reason in the audit log. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "auth/auth-cert.h"
#include "auth/auth-wire.h"
#include "common/err.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "tests/unit/auth-testutil.h"

static struct loop *l;

/* Sign a copy of user key KEY as certificate NAME; returns the cert line. */
static char *
t_cert(const char *name, const char *ca, const char *key, const char *opts)
{
	char cert[1024];

	t_sh("cp '%s.pub' '%s.pub' && ssh-keygen -q -s '%s' %s '%s.pub' "
	    ">/dev/null 2>&1", t_path(key), t_path(name), t_path(ca), opts,
	    t_path(name));
	snprintf(cert, sizeof(cert), "%s-cert.pub", t_path(name));
	return t_slurp(cert);
}

static int
t_setup(void **state)
{
	char *s, cas[8192];
	char *ca1, *ca2, *ca3;

	(void)state;
	log_init("test", LOG_L_QUIET, LOG_FMT_TEXT, 2);
	t_mkdir("test-auth-cert");
	ca1 = t_keygen("ca", "ed25519");
	ca2 = t_keygen("ca_ec", "ecdsa -b 384");
	ca3 = t_keygen("ca_rsa", "rsa -b 2048");
	free(t_keygen("other", "ed25519"));
	free(t_keygen("u", "ed25519"));
	free(t_keygen("u_ec", "ecdsa -b 256"));
	free(t_keygen("u_ec5", "ecdsa -b 521"));
	free(t_keygen("u_rsa", "rsa -b 3072"));
	snprintf(cas, sizeof(cas), "# the company CAs\n%s\n\n%s\n%s\n", ca1,
	    ca2, ca3);
	t_write(t_path("trusted"), cas, 0644);
	free(ca1);
	free(ca2);
	free(ca3);
	s = t_slurp(t_path("u.pub"));
	t_write(t_path("alice.keys"), s, 0600);
	free(s);
	l = loop_new();
	return 0;
}

static int
t_teardown(void **state)
{
	(void)state;
	loop_free(l);
	t_rmdir();
	return 0;
}

static void
t_env_new(struct t_env *e, const char *extra)
{
	char text[4096];

	snprintf(text, sizeof(text), "TrustedUserCAKeys %s\n"
	    "AuthorizedKeysFile %s/%%u.keys\nStrictModes no\nAuditLog %s\n%s",
	    t_path("trusted"), t_dir, t_path("audit.log"), extra);
	t_env_load(e, l, text);
}

/* Log in as user from addr with the certificate; check the verdict. */
static struct auth_grant *
t_expect(struct t_env *e, const char *user, const char *addr,
    const char *cert, int expect, const char *reason)
{
	struct t_res res;

	t_login(e->ctx, l, user, addr, cert, 1, &res);
	if (res.result != expect)
		fail_msg("expected %d (%s), got %d: %s", expect, reason ?
		    reason : "", res.result, res.reason);
	if (reason != NULL && strstr(res.reason, reason) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", res.reason, reason);
	if (expect == 0)
		assert_non_null(res.grant);
	else
		assert_null(res.grant);
	return res.grant;
}

/* TrustedUserCAKeys text: plain keys only, the bad line named. */
static void
test_cas_parse(void **state)
{
	struct auth_cas *cas = NULL;
	unsigned char *blob;
	size_t len;
	char *ca, *ca2, *cert, text[16384], err[256];

	(void)state;
	ca = t_slurp(t_path("ca.pub"));
	ca2 = t_slurp(t_path("ca_ec.pub"));
	cert = t_cert("cas1", "ca", "u", "-I id -n alice");
	snprintf(text, sizeof(text), "# CAs\n%s\n\n%s", ca, ca2);
	assert_int_equal(auth_cas_parse(text, strlen(text), &cas, err,
	    sizeof(err)), 0);
	assert_int_equal(auth_cas_count(cas), 2);
	t_blob(ca2, &blob, &len);
	assert_true(auth_cas_trusted(cas, blob, len));
	free(blob);
	auth_cas_free(cas);
	cas = NULL;
	snprintf(text, sizeof(text), "%s\n# c\n%s", ca, cert);
	assert_int_equal(auth_cas_parse(text, strlen(text), &cas, err,
	    sizeof(err)), DG_ERR_PARSE);
	assert_null(cas);
	assert_string_equal(err, "line 3: not a plain CA key "
	    "(ssh-ed25519-cert-v01@openssh.com)");
	snprintf(text, sizeof(text), "%s\nssh-ed25519 AAAA!!!! x\n", ca);
	assert_int_equal(auth_cas_parse(text, strlen(text), &cas, err,
	    sizeof(err)), DG_ERR_PARSE);
	assert_non_null(strstr(err, "line 2: "));
	free(ca);
	free(ca2);
	free(cert);
}

static void
test_cert_parse(void **state)
{
	struct auth_cert *c;
	unsigned char *blob;
	size_t len;
	char *cert, err[256];

	(void)state;
	cert = t_cert("p1", "ca", "u", "-I key-id-1 -n alice,ops -z 77 "
	    "-V 20200101:20400101");
	t_blob(cert, &blob, &len);
	assert_int_equal(auth_cert_parse(blob, len, "ssh-ed25519", &c, err,
	    sizeof(err)), 0);
	assert_string_equal(c->type, "ssh-ed25519-cert-v01@openssh.com");
	assert_string_equal(c->key_id, "key-id-1");
	assert_int_equal(c->serial, 77);
	assert_int_equal(c->cert_type, AUTH_CERT_USER);
	assert_int_equal(c->nprincipals, 2);
	assert_string_equal(c->principals[1], "ops");
	assert_true(c->valid_after > 1577000000 && c->valid_after < 1578000000);
	assert_string_equal(c->sig_alg, "ssh-ed25519");
	assert_int_equal(c->perms, AUTH_PERM_ALL);
	assert_null(c->bad_option);
	assert_int_equal(auth_cert_check_time(c, 1700000000, 0, err,
	    sizeof(err)), 0);
	assert_int_equal(auth_cert_check_time(c, 2300000000, 0, err,
	    sizeof(err)), DG_ERR_EXPIRED);
	assert_non_null(strstr(err, "expired at 2040-01-01"));
	auth_cert_free(c);
	/* The signature algorithm must be allowed. */
	assert_int_equal(auth_cert_parse(blob, len, "rsa-sha2-512", &c, err,
	    sizeof(err)), DG_ERR_DENIED);
	/* Any bit flipped, in the signed part or the signature, fails. */
	blob[len - 1] ^= 0x01;
	assert_int_equal(auth_cert_parse(blob, len, NULL, &c, err,
	    sizeof(err)), DG_ERR_CRYPTO);
	blob[len - 1] ^= 0x01;
	blob[120] ^= 0x40;
	assert_true(auth_cert_parse(blob, len, NULL, &c, err, sizeof(err)) !=
	    0);
	blob[120] ^= 0x40;
	/* Truncated. */
	assert_int_equal(auth_cert_parse(blob, len - 10, NULL, &c, err,
	    sizeof(err)), DG_ERR_PARSE);
	free(blob);
	free(cert);
}

static void
test_cert_valid_all_types(void **state)
{
	struct t_env e;
	struct auth_grant *g;
	char *cert, *upub, fp[64];
	unsigned char *blob;
	size_t len;

	(void)state;
	t_env_new(&e, "");
	cert = t_cert("v1", "ca", "u", "-I alice@laptop -n alice -z 42 "
	    "-V -5m:+1h");
	g = t_expect(&e, "alice", "10.0.0.1", cert, 0, NULL);
	assert_true(g->is_cert);
	assert_string_equal(g->cert_key_id, "alice@laptop");
	assert_int_equal(g->cert_serial, 42);
	assert_string_equal(g->cert_principal, "alice");
	assert_string_equal(g->key_type, "ssh-ed25519-cert-v01@openssh.com");
	assert_int_equal(g->perms, AUTH_PERM_ALL);
	assert_true(g->expiry > (int64_t)time(NULL) + 3000);
	assert_memory_equal(g->ca_fingerprint, "SHA256:", 7);
	/* The fingerprint is the certified key's, as sshd logs it. */
	upub = t_slurp(t_path("u.pub"));
	t_blob(upub, &blob, &len);
	auth_fingerprint(blob, len, fp, sizeof(fp));
	assert_string_equal(g->fingerprint, fp);
	free(blob);
	free(upub);
	auth_grant_free(g);
	free(cert);

	cert = t_cert("v2", "ca_ec", "u_ec", "-I ec -n alice");
	auth_grant_free(t_expect(&e, "alice", "10.0.0.1", cert, 0, NULL));
	free(cert);
	cert = t_cert("v3", "ca_rsa", "u_ec5", "-I ec5 -n alice");
	auth_grant_free(t_expect(&e, "alice", "10.0.0.1", cert, 0, NULL));
	free(cert);
	cert = t_cert("v4", "ca_rsa", "u_rsa", "-t rsa-sha2-256 -I r -n alice");
	auth_grant_free(t_expect(&e, "alice", "10.0.0.1", cert, 0, NULL));
	free(cert);
	t_env_free(&e);
}

static void
test_cert_sha1_ca(void **state)
{
	struct t_env e;
	char *cert;

	(void)state;
	cert = t_cert("sha1", "ca_rsa", "u", "-t ssh-rsa -I old -n alice");
	t_env_new(&e, "");
	t_expect(&e, "alice", "10.0.0.1", cert, DG_ERR_DENIED,
	    "ssh-rsa is not in CASignatureAlgorithms");
	t_env_free(&e);
	t_env_new(&e, "CASignatureAlgorithms ssh-ed25519,rsa-sha2-512,"
	    "ssh-rsa\n");
	auth_grant_free(t_expect(&e, "alice", "10.0.0.1", cert, 0, NULL));
	t_env_free(&e);
	free(cert);
}

static void
test_cert_validity(void **state)
{
	struct t_env e;
	char *c1, *c2, *c3;

	(void)state;
	c1 = t_cert("exp", "ca", "u", "-I exp -n alice -V 20200101:20200102");
	c2 = t_cert("nyv", "ca", "u", "-I nyv -n alice -V +1d:+2d");
	c3 = t_cert("soon", "ca", "u", "-I soon -n alice -V +2m:+1h");
	t_env_new(&e, "");
	t_expect(&e, "alice", "10.0.0.1", c1, DG_ERR_EXPIRED,
	    "expired at 2020-01-02");
	t_expect(&e, "alice", "10.0.0.1", c2, DG_ERR_EXPIRED,
	    "not yet valid");
	t_expect(&e, "alice", "10.0.0.1", c3, DG_ERR_EXPIRED,
	    "not yet valid");
	t_env_free(&e);
	/* A clock skew allowance admits the one starting in two minutes. */
	t_env_new(&e, "CertificateClockSkew 5m\n");
	auth_grant_free(t_expect(&e, "alice", "10.0.0.1", c3, 0, NULL));
	t_expect(&e, "alice", "10.0.0.1", c2, DG_ERR_EXPIRED, NULL);
	t_env_free(&e);
	free(c1);
	free(c2);
	free(c3);
}

static void
test_cert_principals_and_ca(void **state)
{
	struct t_env e;
	char *bob, *other, *host, *nop;

	(void)state;
	bob = t_cert("bob", "ca", "u", "-I b -n bob,carol");
	other = t_cert("oth", "other", "u", "-I o -n alice");
	host = t_cert("host", "ca", "u", "-h -I h -n alice");
	nop = t_cert("nop", "ca", "u", "-I nop");
	t_env_new(&e, "");
	t_expect(&e, "alice", "10.0.0.1", bob, DG_ERR_AUTH,
	    "principals (bob,carol) do not include alice");
	auth_grant_free(t_expect(&e, "bob", "10.0.0.1", bob, 0, NULL));
	t_expect(&e, "alice", "10.0.0.1", other, DG_ERR_AUTH, "not trusted");
	t_expect(&e, "alice", "10.0.0.1", host, DG_ERR_AUTH,
	    "host certificate");
	t_expect(&e, "alice", "10.0.0.1", nop, DG_ERR_AUTH,
	    "lacks a principal list");
	t_env_free(&e);
	free(bob);
	free(other);
	free(host);
	free(nop);
}

static void
test_cert_options(void **state)
{
	struct t_env e;
	struct auth_grant *g;
	char *fc, *sa, *crit, *ext, *clr;

	(void)state;
	fc = t_cert("fc", "ca", "u", "-I fc -n alice "
	    "-O force-command='echo forced'");
	sa = t_cert("sa", "ca", "u", "-I sa -n alice "
	    "-O source-address=10.0.0.0/8,192.168.7.7");
	crit = t_cert("crit", "ca", "u", "-I crit -n alice "
	    "-O critical:frobnicate=yes");
	ext = t_cert("ext", "ca", "u", "-I ext -n alice "
	    "-O extension:my-ext@example.com");
	clr = t_cert("clr", "ca", "u", "-I clr -n alice -O clear "
	    "-O permit-pty");
	t_env_new(&e, "");
	g = t_expect(&e, "alice", "10.0.0.1", fc, 0, NULL);
	assert_string_equal(g->force_command, "echo forced");
	assert_string_equal(auth_forced_command(&e.a, g), "echo forced");
	auth_grant_free(g);
	t_expect(&e, "alice", "172.16.0.1", sa, DG_ERR_DENIED,
	    "not in certificate source-address");
	auth_grant_free(t_expect(&e, "alice", "10.200.0.1", sa, 0, NULL));
	auth_grant_free(t_expect(&e, "alice", "192.168.7.7", sa, 0, NULL));
	t_expect(&e, "alice", "10.0.0.1", crit, DG_ERR_DENIED,
	    "critical option \"frobnicate\" is not supported");
	auth_grant_free(t_expect(&e, "alice", "10.0.0.1", ext, 0, NULL));
	g = t_expect(&e, "alice", "10.0.0.1", clr, 0, NULL);
	assert_int_equal(g->perms, AUTH_PERM_PTY);
	auth_grant_free(g);
	t_env_free(&e);
	free(fc);
	free(sa);
	free(crit);
	free(ext);
	free(clr);
}

static void
test_cert_revoked(void **state)
{
	struct t_env e;
	char *ok, *ok2, *ca, *upub;

	(void)state;
	ok = t_cert("rv", "ca", "u", "-I revme -n alice -z 42");
	ok2 = t_cert("rv2", "ca", "u_ec", "-I keep -n alice -z 7");
	upub = t_slurp(t_path("u.pub"));
	ca = t_slurp(t_path("ca.pub"));
	t_write(t_path("revoked"), "# nothing yet\n", 0644);
	{
		char extra[512];

		snprintf(extra, sizeof(extra), "RevokedKeys %s\n",
		    t_path("revoked"));
		t_env_new(&e, extra);
	}
	auth_grant_free(t_expect(&e, "alice", "10.0.0.1", ok, 0, NULL));
	/* Plain list naming the certified key; picked up without reload. */
	t_write(t_path("revoked"), upub, 0644);
	t_expect(&e, "alice", "10.0.0.1", ok, DG_ERR_REVOKED, "revoked");
	auth_grant_free(t_expect(&e, "alice", "10.0.0.1", ok2, 0, NULL));
	/* Plain list naming the CA. */
	t_write(t_path("revoked"), ca, 0644);
	t_expect(&e, "alice", "10.0.0.1", ok2, DG_ERR_REVOKED, "CA");
	/* KRL by serial for this CA. */
	t_write(t_path("spec"), "serial: 42\n", 0644);
	t_sh("ssh-keygen -q -k -f '%s' -s '%s.pub' '%s' 2>/dev/null",
	    t_path("revoked"), t_path("ca"), t_path("spec"));
	t_expect(&e, "alice", "10.0.0.1", ok, DG_ERR_REVOKED, "serial 42");
	auth_grant_free(t_expect(&e, "alice", "10.0.0.1", ok2, 0, NULL));
	/* KRL by serial range, by key id, by key, by SHA256 hash. */
	t_write(t_path("spec"), "serial: 5-9\n", 0644);
	t_sh("ssh-keygen -q -k -f '%s' -s '%s.pub' '%s' 2>/dev/null",
	    t_path("revoked"), t_path("ca"), t_path("spec"));
	t_expect(&e, "alice", "10.0.0.1", ok2, DG_ERR_REVOKED, NULL);
	auth_grant_free(t_expect(&e, "alice", "10.0.0.1", ok, 0, NULL));
	t_write(t_path("spec"), "id: revme\n", 0644);
	t_sh("ssh-keygen -q -k -f '%s' -s '%s.pub' '%s' 2>/dev/null",
	    t_path("revoked"), t_path("ca"), t_path("spec"));
	t_expect(&e, "alice", "10.0.0.1", ok, DG_ERR_REVOKED, "revme");
	t_sh("ssh-keygen -q -k -f '%s' '%s.pub' 2>/dev/null",
	    t_path("revoked"), t_path("u_ec"));
	t_expect(&e, "alice", "10.0.0.1", ok2, DG_ERR_REVOKED, NULL);
	auth_grant_free(t_expect(&e, "alice", "10.0.0.1", ok, 0, NULL));
	t_sh("ssh-keygen -lf '%s.pub' -E sha256 | awk '{print \"hash: \" $2}'"
	    " > '%s'", t_path("u"), t_path("spec"));
	t_sh("ssh-keygen -q -k -f '%s' '%s' 2>/dev/null", t_path("revoked"),
	    t_path("spec"));
	t_expect(&e, "alice", "10.0.0.1", ok, DG_ERR_REVOKED, NULL);
	/* An unreadable list refuses everything rather than nothing. */
	t_write(t_path("revoked"), "garbage that is not a key\n", 0644);
	t_expect(&e, "alice", "10.0.0.1", ok2, DG_ERR_REVOKED, NULL);
	t_env_free(&e);
	free(ok);
	free(ok2);
	free(upub);
	free(ca);
}

static void
test_cert_authority_lines(void **state)
{
	struct t_env e;
	struct auth_grant *g;
	char *other, *nop, *dev, *qa, *fc, *capub, keys[8192];

	(void)state;
	/* "other" is not in TrustedUserCAKeys but is a cert-authority of
	 * alice's keys file, with principals= and a command. */
	capub = t_slurp(t_path("other.pub"));
	snprintf(keys, sizeof(keys), "cert-authority,principals=\"dev,ops\","
	    "command=\"run-dev\",no-agent-forwarding %s\n", capub);
	t_write(t_path("alice.keys"), keys, 0600);
	snprintf(keys, sizeof(keys), "cert-authority %s\n", capub);
	t_write(t_path("bob.keys"), keys, 0600);
	other = t_cert("ca1", "other", "u", "-I o -n alice");
	nop = t_cert("ca2", "other", "u", "-I n");
	dev = t_cert("ca3", "other", "u", "-I d -n qa,dev");
	qa = t_cert("ca4", "other", "u", "-I q -n qa");
	fc = t_cert("ca5", "other", "u", "-I f -n dev -O force-command=x");
	t_env_new(&e, "");
	t_expect(&e, "alice", "10.0.0.1", other, DG_ERR_AUTH,
	    "not in principals=\"dev,ops\"");
	g = t_expect(&e, "alice", "10.0.0.1", dev, 0, NULL);
	assert_string_equal(g->cert_principal, "dev");
	assert_string_equal(g->force_command, "run-dev");
	assert_false(g->perms & AUTH_PERM_AGENT_FWD);
	assert_true(g->perms & AUTH_PERM_PTY);
	assert_non_null(strstr(g->source, "alice.keys:1"));
	auth_grant_free(g);
	t_expect(&e, "alice", "10.0.0.1", qa, DG_ERR_AUTH, NULL);
	t_expect(&e, "alice", "10.0.0.1", fc, DG_ERR_DENIED, "differ");
	/* Without principals=, the user's name must be among them; an empty
	 * list is valid for anyone (sshd's rule for cert-authority). */
	t_expect(&e, "bob", "10.0.0.1", other, DG_ERR_AUTH, "do not include");
	auth_grant_free(t_expect(&e, "bob", "10.0.0.1", nop, 0, NULL));
	t_env_free(&e);
	t_write(t_path("alice.keys"), "", 0600);
	free(capub);
	free(other);
	free(nop);
	free(dev);
	free(qa);
	free(fc);
}

static void
test_cert_principals_file(void **state)
{
	struct t_env e;
	struct auth_grant *g;
	char *ops, *alice, extra[512];

	(void)state;
	t_write(t_path("alice.principals"), "# who may be alice\n"
	    "no-pty ops\n", 0644);
	snprintf(extra, sizeof(extra), "AuthorizedPrincipalsFile "
	    "%s/%%u.principals\n", t_dir);
	ops = t_cert("pf1", "ca", "u", "-I o -n ops");
	alice = t_cert("pf2", "ca", "u", "-I a -n alice");
	t_env_new(&e, extra);
	g = t_expect(&e, "alice", "10.0.0.1", ops, 0, NULL);
	assert_string_equal(g->cert_principal, "ops");
	assert_false(g->perms & AUTH_PERM_PTY);
	assert_non_null(strstr(g->source, "alice.principals:2"));
	auth_grant_free(g);
	/* With a principals file, the user name itself is not enough. */
	t_expect(&e, "alice", "10.0.0.1", alice, DG_ERR_AUTH, "no principal");
	t_expect(&e, "bob", "10.0.0.1", ops, DG_ERR_AUTH, "no principals file");
	t_env_free(&e);
	free(ops);
	free(alice);
}

static void
test_cert_speed(void **state)
{
	struct t_env e;
	struct timespec t0, t1;
	char *ed, *rsa;
	double ms;
	int i, n = 200;

	(void)state;
	ed = t_cert("sp1", "ca", "u", "-I speed -n alice");
	rsa = t_cert("sp2", "ca_rsa", "u_rsa", "-I speed-rsa -n alice");
	t_env_new(&e, "");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++)
		auth_grant_free(t_expect(&e, "alice", "10.0.0.1", ed, 0, NULL));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = ((double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6) / n;
	printf("# ed25519 certificate by an ed25519 CA: %.3f ms per check "
	    "(parse, verify, revocation, CA, principals, audit)\n", ms);
	assert_true(ms < 20);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++)
		auth_grant_free(t_expect(&e, "alice", "10.0.0.1", rsa, 0,
		    NULL));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = ((double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6) / n;
	printf("# RSA-3072 certificate by an RSA-2048 CA (rsa-sha2-512): %.3f "
	    "ms per check\n", ms);
	assert_true(ms < 20);
	t_env_free(&e);
	free(ed);
	free(rsa);
}

static void
test_cert_reload(void **state)
{
	struct t_env e;
	struct conf c2, c3;
	struct auth_config a2, a3;
	char *cert, *rsaca, text[1024], err[256];

	(void)state;
	cert = t_cert("rl", "ca", "u", "-I reload -n alice");
	rsaca = t_slurp(t_path("ca_rsa.pub"));
	t_write(t_path("trusted-rsa-only"), rsaca, 0644);
	t_env_new(&e, "");
	auth_grant_free(t_expect(&e, "alice", "10.0.0.1", cert, 0, NULL));
	/* A reload with another CA list applies to the next login. */
	snprintf(text, sizeof(text), "TrustedUserCAKeys %s\nStrictModes no\n",
	    t_path("trusted-rsa-only"));
	t_load_conf(&c2, &a2, text);
	assert_int_equal(auth_ctx_reload(e.ctx, &a2, err, sizeof(err)), 0);
	conf_free(&c2);	/* the context keeps its own copy */
	t_expect(&e, "alice", "10.0.0.1", cert, DG_ERR_AUTH, "not trusted");
	/* A reload that fails changes nothing. */
	snprintf(text, sizeof(text), "TrustedUserCAKeys %s\n",
	    t_path("no-such-file"));
	t_load_conf(&c3, &a3, text);
	assert_int_equal(auth_ctx_reload(e.ctx, &a3, err, sizeof(err)),
	    DG_ERR_NOTFOUND);
	assert_non_null(strstr(err, "no-such-file"));
	conf_free(&c3);
	t_expect(&e, "alice", "10.0.0.1", cert, DG_ERR_AUTH, "not trusted");
	assert_string_equal(auth_ctx_config(e.ctx)->trusted_user_ca_keys,
	    t_path("trusted-rsa-only"));
	t_env_free(&e);
	free(cert);
	free(rsaca);
}

static void
test_cert_audit(void **state)
{
	char *log;

	(void)state;
	log = t_slurp(t_path("audit.log"));
	assert_non_null(strstr(log, "\"event\":\"auth\""));
	assert_non_null(strstr(log, "\"cert_id\":\"alice@laptop\""));
	assert_non_null(strstr(log, "\"cert_serial\":42"));
	assert_non_null(strstr(log, "\"ca_fingerprint\":\"SHA256:"));
	assert_non_null(strstr(log, "\"reason\":\"certificate expired at "));
	assert_non_null(strstr(log, "\"reason\":\"host certificate"));
	assert_non_null(strstr(log, "\"reason\":\"certificate revoked"));
	assert_non_null(strstr(log, "critical option \\\"frobnicate\\\""));
	assert_non_null(strstr(log, "\"decision\":\"refuse\""));
	assert_non_null(strstr(log, "\"src\":\"172.16.0.1\""));
	free(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cas_parse),
		cmocka_unit_test(test_cert_parse),
		cmocka_unit_test(test_cert_valid_all_types),
		cmocka_unit_test(test_cert_sha1_ca),
		cmocka_unit_test(test_cert_validity),
		cmocka_unit_test(test_cert_principals_and_ca),
		cmocka_unit_test(test_cert_options),
		cmocka_unit_test(test_cert_revoked),
		cmocka_unit_test(test_cert_authority_lines),
		cmocka_unit_test(test_cert_principals_file),
		cmocka_unit_test(test_cert_reload),
		cmocka_unit_test(test_cert_audit),
		cmocka_unit_test(test_cert_speed),
	};

	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
