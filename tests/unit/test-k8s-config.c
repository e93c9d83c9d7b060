/* test-k8s-config.c: unit tests for gateway/k8s-config.c: kubeconfig
 * variants (token, tokenFile, inline data vs files, relative paths,
 * context selection, server URLs), refusals (exec plugins, auth-provider,
 * proxy-url), missing fields, in-cluster config, token re-reads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "gateway/k8s-config.h"
#include "tests/unit/testutil.h"

static char t_dir[] = "/tmp/test-k8s-config.XXXXXX";

/* Write name in t_dir. */
static void
t_put(const char *name, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", t_dir, name);
	t_write(path, text, 0644);
}

static int
t_parse(const char *text, const char *context, struct k8s_config **c,
    char *err)
{
	err[0] = '\0';
	return k8s_config_parse(text, strlen(text), t_dir, context, c, err,
	    256);
}

#define T_HEAD \
	"apiVersion: v1\nkind: Config\ncurrent-context: gw\n" \
	"contexts:\n- name: gw\n  context: {cluster: c1, user: u1, " \
	"namespace: devenvs}\n- name: other\n  context: {cluster: c2, " \
	"user: u2}\n"

static void
t_token(void **state)
{
	struct k8s_config *c = NULL;
	char err[256];

	(void)state;
	assert_int_equal(t_parse(T_HEAD
	    "clusters:\n- name: c1\n  cluster:\n    server: "
	    "https://203.0.113.10:6443/\n    certificate-authority-data: "
	    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\n"
	    "- name: c2\n  cluster: {server: 'http://k.example'}\n"
	    "users:\n- name: u1\n  user: {token: abc.def}\n"
	    "- name: u2\n  user: {}\n", NULL, &c, err), 0);
	assert_string_equal(c->server, "https://203.0.113.10:6443");
	assert_string_equal(c->host, "203.0.113.10");
	assert_int_equal(c->port, 6443);
	assert_true(c->tls);
	assert_string_equal(c->base_path, "");
	assert_string_equal(c->namespace, "devenvs");
	assert_string_equal(c->token, "abc.def");
	assert_int_equal(c->ca_len, 28);
	assert_memory_equal(c->ca_pem, "-----BEGIN CERTIFICATE-----\n", 28);
	assert_null(c->cert_pem);
	assert_false(c->insecure);
	k8s_config_free(c);
	/* Another context: http, default port, no namespace, no user data. */
	assert_int_equal(t_parse(T_HEAD
	    "clusters:\n- name: c1\n  cluster: {server: https://a:1}\n"
	    "- name: c2\n  cluster: {server: 'http://k.example'}\n"
	    "users:\n- name: u1\n  user: {token: x}\n- name: u2\n  user: {}\n",
	    "other", &c, err), 0);
	assert_string_equal(c->server, "http://k.example:80");
	assert_false(c->tls);
	assert_string_equal(c->namespace, "default");
	assert_null(c->token);
	k8s_config_free(c);
}

static void
t_files_relative(void **state)
{
	struct k8s_config *c = NULL;
	char err[256];

	(void)state;
	t_put("ca.pem", "CA PEM\n");
	t_put("client.pem", "CERT PEM\n");
	t_put("client.key", "KEY PEM\n");
	t_put("tok", "  file-token\n");
	assert_int_equal(t_parse(T_HEAD
	    "clusters:\n- name: c1\n  cluster:\n    server: "
	    "https://[2001:db8::1]:443/k8s/clusters/c-1\n"
	    "    certificate-authority: ca.pem\n"
	    "    tls-server-name: kubernetes.default.svc\n"
	    "users:\n- name: u1\n  user:\n    client-certificate: "
	    "client.pem\n    client-key: client.key\n    tokenFile: tok\n",
	    NULL, &c, err), 0);
	assert_string_equal(c->host, "2001:db8::1");
	assert_string_equal(c->server, "https://[2001:db8::1]:443");
	assert_string_equal(c->base_path, "/k8s/clusters/c-1");
	assert_string_equal(c->tls_server_name, "kubernetes.default.svc");
	assert_int_equal(c->ca_len, 7);
	assert_memory_equal(c->ca_pem, "CA PEM\n", 7);
	assert_memory_equal(c->cert_pem, "CERT PEM\n", 9);
	assert_memory_equal(c->key_pem, "KEY PEM\n", 8);
	assert_string_equal(c->token, "file-token");
	assert_non_null(strstr(c->token_file, "/tok"));
	assert_int_equal(c->token_file[0], '/');
	/* The file changes: not re-read within a minute, re-read when
	 * forced or later. */
	t_put("tok", "second\n");
	assert_int_equal(k8s_config_token_refresh(c, c->token_read_ms + 1000,
	    0), 0);
	assert_string_equal(c->token, "file-token");
	assert_int_equal(k8s_config_token_refresh(c, c->token_read_ms + 1000,
	    1), 1);
	assert_string_equal(c->token, "second");
	t_put("tok", "third");
	assert_int_equal(k8s_config_token_refresh(c, c->token_read_ms +
	    K8S_TOKEN_REREAD_MS, 0), 1);
	assert_string_equal(c->token, "third");
	assert_int_equal(k8s_config_token_refresh(c, c->token_read_ms +
	    K8S_TOKEN_REREAD_MS, 0), 0);
	/* An unreadable file keeps the old token. */
	t_put("tok", "\n\n");
	assert_int_equal(k8s_config_token_refresh(c, 0, 1), DG_ERR_PARSE);
	assert_string_equal(c->token, "third");
	k8s_config_free(c);
	/* data wins over a path; a missing file is an error naming it. */
	assert_int_equal(t_parse(T_HEAD
	    "clusters:\n- name: c1\n  cluster:\n    server: https://h\n"
	    "    certificate-authority: missing.pem\n"
	    "users:\n- name: u1\n  user: {token: t}\n", NULL, &c, err),
	    DG_ERR_NOTFOUND);
	assert_non_null(strstr(err, "missing.pem"));
}

static void
t_refused(void **state)
{
	struct k8s_config *c = NULL;
	char err[256];

	(void)state;
	assert_int_equal(t_parse(T_HEAD
	    "clusters:\n- name: c1\n  cluster: {server: https://h}\n"
	    "users:\n- name: u1\n  user:\n    exec:\n      apiVersion: "
	    "client.authentication.k8s.io/v1\n      command: aws\n", NULL, &c,
	    err), DG_ERR_NOTSUP);
	assert_non_null(strstr(err, "\"exec\" is not supported"));
	assert_int_equal(t_parse(T_HEAD
	    "clusters:\n- name: c1\n  cluster: {server: https://h}\n"
	    "users:\n- name: u1\n  user:\n    auth-provider: {name: gcp}\n",
	    NULL, &c, err), DG_ERR_NOTSUP);
	assert_non_null(strstr(err, "auth-provider"));
	assert_int_equal(t_parse(T_HEAD
	    "clusters:\n- name: c1\n  cluster: {server: https://h, "
	    "proxy-url: 'http://proxy:3128'}\n"
	    "users:\n- name: u1\n  user: {token: t}\n", NULL, &c, err),
	    DG_ERR_NOTSUP);
	assert_non_null(strstr(err, "proxy-url"));
	assert_int_equal(t_parse(T_HEAD
	    "clusters:\n- name: c1\n  cluster: {server: https://h}\n"
	    "users:\n- name: u1\n  user: {username: a, password: b}\n", NULL,
	    &c, err), DG_ERR_NOTSUP);
}

static void
t_missing(void **state)
{
	struct k8s_config *c = NULL;
	char err[256];

	(void)state;
	assert_int_equal(t_parse("", NULL, &c, err), DG_ERR_PARSE);
	assert_int_equal(t_parse("- a\n- b\n", NULL, &c, err), DG_ERR_PARSE);
	assert_int_equal(t_parse("a: [\n", NULL, &c, err), DG_ERR_PARSE);
	assert_non_null(strstr(err, "yaml"));
	assert_int_equal(t_parse("kind: Config\n", NULL, &c, err),
	    DG_ERR_INVAL);
	assert_non_null(strstr(err, "current-context"));
	assert_int_equal(t_parse(T_HEAD "clusters: []\n", "nope", &c, err),
	    DG_ERR_NOTFOUND);
	assert_non_null(strstr(err, "nope"));
	assert_int_equal(t_parse(T_HEAD "clusters: []\n", NULL, &c, err),
	    DG_ERR_NOTFOUND);
	assert_non_null(strstr(err, "cluster \"c1\""));
	assert_int_equal(t_parse(T_HEAD
	    "clusters:\n- name: c1\n  cluster: {insecure-skip-tls-verify: "
	    "true}\n", NULL, &c, err), DG_ERR_INVAL);
	assert_non_null(strstr(err, "no server"));
	assert_int_equal(t_parse(T_HEAD
	    "clusters:\n- name: c1\n  cluster: {server: https://h}\n",
	    NULL, &c, err), DG_ERR_NOTFOUND);
	assert_non_null(strstr(err, "user \"u1\""));
	assert_int_equal(t_parse(T_HEAD
	    "clusters:\n- name: c1\n  cluster: {server: ftp://h}\n"
	    "users:\n- name: u1\n  user: {token: t}\n", NULL, &c, err),
	    DG_ERR_PARSE);
	assert_int_equal(t_parse(T_HEAD
	    "clusters:\n- name: c1\n  cluster: {server: 'https://h:99999'}\n"
	    "users:\n- name: u1\n  user: {token: t}\n", NULL, &c, err),
	    DG_ERR_PARSE);
	assert_int_equal(t_parse(T_HEAD
	    "clusters:\n- name: c1\n  cluster: {server: https://h, "
	    "certificate-authority-data: '!!!'}\n"
	    "users:\n- name: u1\n  user: {token: t}\n", NULL, &c, err),
	    DG_ERR_PARSE);
	assert_int_equal(t_parse(T_HEAD
	    "clusters:\n- name: c1\n  cluster: {server: https://h}\n"
	    "users:\n- name: u1\n  user: {client-certificate-data: QQ==}\n",
	    NULL, &c, err), DG_ERR_INVAL);
	assert_non_null(strstr(err, "client-key"));
	/* insecure-skip-tls-verify */
	assert_int_equal(t_parse(T_HEAD
	    "clusters:\n- name: c1\n  cluster: {server: https://h, "
	    "insecure-skip-tls-verify: true}\n"
	    "users:\n- name: u1\n  user: {token: t}\n", NULL, &c, err), 0);
	assert_true(c->insecure);
	k8s_config_free(c);
}

static void
t_load_and_in_cluster(void **state)
{
	struct k8s_config *c = NULL;
	char err[256], path[512];

	(void)state;
	t_put("kubeconfig", T_HEAD
	    "clusters:\n- name: c1\n  cluster: {server: https://h:8443, "
	    "certificate-authority: ca.pem}\n"
	    "users:\n- name: u1\n  user: {token: t}\n");
	t_put("ca.pem", "CA\n");
	snprintf(path, sizeof(path), "%s/kubeconfig", t_dir);
	assert_int_equal(k8s_config_load(path, NULL, &c, err, sizeof(err)), 0);
	assert_int_equal(c->ca_len, 3);
	assert_non_null(strstr(c->source, "kubeconfig"));
	k8s_config_free(c);
	/* $KUBECONFIG: the first entry of the list. */
	setenv("KUBECONFIG", path, 1);
	strcat(path, ":/nonexistent");
	setenv("KUBECONFIG", path, 1);
	assert_int_equal(k8s_config_auto(NULL, &c, err, sizeof(err)), 0);
	k8s_config_free(c);
	unsetenv("KUBECONFIG");
	assert_int_equal(k8s_config_load("/nonexistent/kc", NULL, &c, err,
	    sizeof(err)), DG_ERR_NOTFOUND);
	assert_non_null(strstr(err, "/nonexistent/kc"));

	/* In-cluster. */
	snprintf(path, sizeof(path), "%s/sa", t_dir);
	mkdir(path, 0700);
	t_put("sa/token", "sa-token\n");
	t_put("sa/ca.crt", "SA CA\n");
	t_put("sa/namespace", "gw\n");
	unsetenv("KUBERNETES_SERVICE_HOST");
	assert_int_equal(k8s_config_in_cluster(path, &c, err, sizeof(err)),
	    DG_ERR_NOTFOUND);
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_equal(k8s_config_in_cluster(path, &c, err, sizeof(err)), 0);
	assert_string_equal(c->server, "https://[fd00::1]:443");
	assert_string_equal(c->namespace, "gw");
	assert_string_equal(c->token, "sa-token");
	assert_memory_equal(c->ca_pem, "SA CA\n", 6);
	assert_non_null(c->token_file);
	k8s_config_free(c);
	setenv("DEVGATE_K8S_SA_DIR", path, 1);
	assert_int_equal(k8s_config_auto(NULL, &c, err, sizeof(err)), 0);
	assert_string_equal(c->namespace, "gw");
	k8s_config_free(c);
	unsetenv("KUBERNETES_SERVICE_HOST");
}

static void
t_base64(void **state)
{
	unsigned char *out;
	size_t n;

	(void)state;
	assert_int_equal(k8s_base64_decode("aGVs\nbG8=", 9, &out, &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "hello", 5);
	free(out);
	assert_int_equal(k8s_base64_decode("aGVsbG8", 7, &out, &n), 0);
	assert_int_equal(n, 5);
	free(out);
	assert_int_equal(k8s_base64_decode("aGV=sbG8", 8, &out, &n),
	    DG_ERR_PARSE);
	assert_int_equal(k8s_base64_decode("a", 1, &out, &n), DG_ERR_PARSE);
	assert_int_equal(k8s_base64_decode("a$==", 4, &out, &n), DG_ERR_PARSE);
}

static int
t_setup(void **state)
{
	(void)state;
	return mkdtemp(t_dir) == NULL;
}

static int
t_teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t_dir);
	return system(cmd) != 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_token),
		cmocka_unit_test(t_files_relative),
		cmocka_unit_test(t_refused),
		cmocka_unit_test(t_missing),
		cmocka_unit_test(t_load_and_in_cluster),
		cmocka_unit_test(t_base64),
	};

	return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
