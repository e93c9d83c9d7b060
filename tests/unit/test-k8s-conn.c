/* test-k8s-conn.c: unit tests for gateway/k8s-conn.c against a TLS 1.3
 * server in a child process: connect, read, and resumption of the session
 * by later connections when earlier ones ended without a close_notify, as
 * every exec stream does. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/loop.h"
#include "gateway/k8s-config.h"
#include "gateway/k8s-conn.h"

#define T_CONNS	4

/* A self-signed P-256 certificate for the server. */
static void
t_server_cert(SSL_CTX *ctx)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;

	assert_non_null(key);
	assert_non_null(x);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"test", -1, -1, 0);
	X509_set_issuer_name(x, name);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	assert_int_equal(SSL_CTX_use_certificate(ctx, x), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(ctx, key), 1);
	X509_free(x);
	EVP_PKEY_free(key);
}

/* The child: accept n connections one by one; on each, complete the
 * handshake (tickets follow it), send "hello", wait for the peer to go. */
static void
t_server(int lfd, int n)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	char buf[64];
	SSL *ssl;
	int i, fd;

	/* Gone with the test, whatever happens to it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(60);
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	t_server_cert(ctx);
	for (i = 0; i < n; i++) {
		if ((fd = accept(lfd, NULL, NULL)) < 0)
			_exit(2);
		ssl = SSL_new(ctx);
		SSL_set_fd(ssl, fd);
		if (SSL_accept(ssl) == 1 && SSL_write(ssl, "hello", 5) == 5)
			while (SSL_read(ssl, buf, sizeof(buf)) > 0)
				;
		SSL_free(ssl);
		close(fd);
	}
	SSL_CTX_free(ctx);
	_exit(0);
}

struct t_client {
	struct loop	*loop;
	struct k8s_conn	*c;
	char		 got[64];
	size_t		 len;
	int		 failed;
};

static void
t_client_cb(void *arg, int events)
{
	struct t_client *t = arg;
	ssize_t n;

	if (events & K8S_CONN_FAILED) {
		t->failed = 1;
		loop_stop(t->loop);
		return;
	}
	if (events & K8S_CONN_CONNECTED)
		k8s_conn_want(t->c, 1, 0);
	if (!(events & (K8S_CONN_READABLE | K8S_CONN_CONNECTED)))
		return;
	while ((n = k8s_conn_read(t->c, t->got + t->len,
	    sizeof(t->got) - 1 - t->len)) > 0)
		t->len += (size_t)n;
	if (t->len >= 5 || (n != DG_ERR_AGAIN && n <= 0))
		loop_stop(t->loop);
}

static void
test_resume(void **state)
{
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	struct k8s_config cfg;
	struct k8s_tls *tls;
	struct t_client t;
	char err[256];
	int lfd, i, status;
	pid_t pid;

	(void)state;
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 8), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &salen), 0);
	if ((pid = fork()) == 0)
		t_server(lfd, T_CONNS);
	assert_true(pid > 0);
	close(lfd);

	memset(&cfg, 0, sizeof(cfg));
	cfg.insecure = 1;
	assert_int_equal(k8s_tls_new(&cfg, &tls, err, sizeof(err)), 0);
	memset(&t, 0, sizeof(t));
	t.loop = loop_new();
	for (i = 0; i < T_CONNS; i++) {
		t.len = 0;
		t.failed = 0;
		assert_int_equal(k8s_conn_new(t.loop, tls,
		    (struct sockaddr *)&sa, salen, "127.0.0.1", t_client_cb, &t,
		    &t.c), 0);
		loop_run(t.loop);
		assert_false(t.failed);
		t.got[t.len] = '\0';
		assert_string_equal(t.got, "hello");
		/* The first is a full handshake; each later one resumes,
		 * though the one before it ended without a close_notify. */
		assert_int_equal(k8s_conn_resumed(t.c), i > 0);
		/* The server takes the client's order: AES-128-GCM first,
		 * as the API server (Go) picks on AES-NI hardware. */
		assert_string_equal(k8s_conn_cipher(t.c),
		    "TLS_AES_128_GCM_SHA256");
		k8s_conn_free(t.c);
	}
	k8s_tls_unref(tls);
	loop_free(t.loop);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resume),
	};

	signal(SIGPIPE, SIG_IGN);
	alarm(60);	/* a hang fails the test */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
