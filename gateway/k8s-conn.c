/* k8s-conn.c: non-blocking TCP + TLS (OpenSSL) connections to the API
 * server for WebSocket streams. */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "gateway/k8s-config.h"
#include "gateway/k8s-conn.h"

struct k8s_tls {
	SSL_CTX		*ctx;
	SSL_SESSION	*session;	/* latest, for resumption */
	int		 refs;
};

enum k8s_conn_state {
	KC_CONNECTING,
	KC_HANDSHAKE,
	KC_OPEN,
	KC_FAILED,
};

struct k8s_conn {
	struct loop	*loop;		/* not owned */
	struct k8s_tls	*tls;		/* reference, NULL for plain TCP */
	SSL		*ssl;
	int		 fd;
	struct loop_fd	*reg;
	enum k8s_conn_state state;
	int		 want_read, want_write;	/* owner's interest */
	int		 read_wants_write;	/* SSL_read needs writable */
	int		 write_wants_read;	/* SSL_write needs readable */
	int		 hs_wants_write;	/* handshake needs writable */
	int		 tcp_failed;	/* connect() itself failed */
	int		 drained;	/* the last read emptied socket and TLS:
					   do not call SSL_read (it would pin
					   a 17 KB buffer while idle) */
	k8s_conn_cb	*cb;
	void		*arg;
	char		 error[160];
};

#define KC_READ_AHEAD	(128 * 1024)	/* TLS read buffer while active */

static int kc_tls_index = -1;

static int
kct_new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct k8s_tls *t = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl),
	    kc_tls_index);
	SSL_SESSION *copy;

	if (t == NULL)
		return 0;
	/*
	 * Keep a copy, not the connection's own session: OpenSSL marks
	 * that one not resumable when the SSL is freed without a
	 * close_notify sent (SSL_free -> ssl_clear_bad_session), which is
	 * how every exec stream ends, so the next stream would do a full
	 * handshake (seen: ClientHello without a PSK, the server's
	 * certificate sent each time).
	 */
	if ((copy = SSL_SESSION_dup(sess)) == NULL)
		return 0;
	if (t->session != NULL)
		SSL_SESSION_free(t->session);
	t->session = copy;
	return 0;	/* OpenSSL drops its reference to sess */
}

static int
kct_fail(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[160];

	ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, errlen, "%s: %s", what, e ? buf : "failed");
	ERR_clear_error();
	return DG_ERR_TLS;
}

static int
kct_load_ca(SSL_CTX *ctx, const unsigned char *pem, size_t len)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	STACK_OF(X509_INFO) *infos;
	X509_INFO *xi;
	BIO *bio;
	int i, n = 0;

	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return 0;
	infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (infos == NULL)
		return 0;
	for (i = 0; i < sk_X509_INFO_num(infos); i++) {
		xi = sk_X509_INFO_value(infos, i);
		if (xi->x509 != NULL && X509_STORE_add_cert(store, xi->x509))
			n++;
	}
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	return n;
}

static int
kct_load_client(SSL_CTX *ctx, const struct k8s_config *c, char *err,
    size_t errlen)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL, *ca;
	BIO *bio;
	int r = DG_ERR_TLS;

	if ((bio = BIO_new_mem_buf(c->cert_pem, (int)c->cert_len)) == NULL)
		return DG_ERR_NOMEM;
	if ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL ||
	    SSL_CTX_use_certificate(ctx, cert) != 1) {
		BIO_free(bio);
		r = kct_fail(err, errlen, "client certificate");
		goto out;
	}
	/* The rest of the PEM is the chain. */
	while ((ca = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (SSL_CTX_add0_chain_cert(ctx, ca) != 1)
			X509_free(ca);
	ERR_clear_error();
	BIO_free(bio);
	if ((bio = BIO_new_mem_buf(c->key_pem, (int)c->key_len)) == NULL) {
		r = DG_ERR_NOMEM;
		goto out;
	}
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (key == NULL || SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		r = kct_fail(err, errlen, "client key");
		goto out;
	}
	r = 0;
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	return r;
}

int
k8s_tls_new(const struct k8s_config *c, struct k8s_tls **out, char *err,
    size_t errlen)
{
	struct k8s_tls *t;
	SSL_CTX *ctx;
	int r;

	if (kc_tls_index < 0)
		kc_tls_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL,
		    NULL);
	/* Writes to a reset connection must not kill the process. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return DG_ERR_SYSTEM;
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return kct_fail(err, errlen, "SSL_CTX_new");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/*
	 * AES-128-GCM first, as Go's TLS stack (the API server's) prefers
	 * on AES-NI hardware: OpenSSL's default order starts with
	 * AES-256-GCM, which costs ~25% more per byte of exec stream
	 * (`openssl speed -evp`: 2.15 against 2.69 GB/s here).
	 */
	if (SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:"
	    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256") != 1) {
		SSL_CTX_free(ctx);
		return kct_fail(err, errlen, "SSL_CTX_set_ciphersuites");
	}
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/*
	 * Read ahead into a large buffer: one recv() takes in several
	 * records, where reading record by record costs a 5-byte header
	 * read, a body read and a FIONREAD per 16 KB. The buffer is
	 * released when a read leaves it empty (RELEASE_BUFFERS, and
	 * k8s_conn_read when the socket is drained), so idle streams do not
	 * hold it.
	 */
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_default_read_buffer_len(ctx, KC_READ_AHEAD);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, kct_new_session);
	if (c->insecure)
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		if (c->ca_pem != NULL) {
			if (kct_load_ca(ctx, c->ca_pem, c->ca_len) == 0) {
				SSL_CTX_free(ctx);
				snprintf(err, errlen, "certificate authority: "
				    "no PEM certificate found");
				return DG_ERR_TLS;
			}
		} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
			SSL_CTX_free(ctx);
			return kct_fail(err, errlen, "system CA store");
		}
	}
	if (c->cert_pem != NULL &&
	    (r = kct_load_client(ctx, c, err, errlen)) != 0) {
		SSL_CTX_free(ctx);
		return r;
	}
	t = xcalloc(1, sizeof(*t));
	t->ctx = ctx;
	t->refs = 1;
	SSL_CTX_set_ex_data(ctx, kc_tls_index, t);
	*out = t;
	return 0;
}

void
k8s_tls_unref(struct k8s_tls *t)
{
	if (t == NULL || --t->refs > 0)
		return;
	SSL_CTX_set_ex_data(t->ctx, kc_tls_index, NULL);
	if (t->session != NULL)
		SSL_SESSION_free(t->session);
	SSL_CTX_free(t->ctx);
	free(t);
}

/* Connections. */

static void kc_ready(int, int, void *);

static void
kc_update(struct k8s_conn *c)
{
	int ev = 0;

	if (c->reg == NULL)
		return;
	switch (c->state) {
	case KC_CONNECTING:
		ev = LOOP_WRITE;
		break;
	case KC_HANDSHAKE:
		ev = c->hs_wants_write ? LOOP_WRITE : LOOP_READ;
		break;
	case KC_OPEN:
		if ((c->want_read && !c->read_wants_write) ||
		    c->write_wants_read)
			ev |= LOOP_READ;
		if ((c->want_write && !c->write_wants_read) ||
		    c->read_wants_write)
			ev |= LOOP_WRITE;
		break;
	case KC_FAILED:
		break;
	}
	loop_fd_set(c->reg, ev);
}

/* prefix + detail as the error text. */
static void
kc_set_error(struct k8s_conn *c, const char *prefix, const char *detail)
{
	snprintf(c->error, sizeof(c->error), "%s%s", prefix, detail);
}

static void
kc_tls_error(struct k8s_conn *c, const char *what)
{
	unsigned long e = ERR_get_error();
	long v = c->ssl != NULL ? SSL_get_verify_result(c->ssl) : X509_V_OK;
	char buf[120];

	if (v != X509_V_OK)
		snprintf(c->error, sizeof(c->error), "%s: certificate "
		    "verification failed: %s", what,
		    X509_verify_cert_error_string(v));
	else if (e != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		snprintf(c->error, sizeof(c->error), "%s: %s", what, buf);
	} else
		snprintf(c->error, sizeof(c->error), "%s: %s", what,
		    errno ? strerror(errno) : "connection closed");
	ERR_clear_error();
}

static void
kc_fail(struct k8s_conn *c)
{
	c->state = KC_FAILED;
	kc_update(c);
	c->cb(c->arg, K8S_CONN_FAILED);
}

static void
kc_handshake(struct k8s_conn *c)
{
	int r, e;

	ERR_clear_error();
	errno = 0;
	r = SSL_connect(c->ssl);
	if (r == 1) {
		c->state = KC_OPEN;
		kc_update(c);
		c->cb(c->arg, K8S_CONN_CONNECTED);
		return;
	}
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		c->hs_wants_write = e == SSL_ERROR_WANT_WRITE;
		kc_update(c);
		return;
	}
	kc_tls_error(c, "TLS handshake");
	kc_fail(c);
}

static void
kc_ready(int fd, int events, void *arg)
{
	struct k8s_conn *c = arg;
	int err = 0, ev = 0;
	socklen_t len = sizeof(err);

	switch (c->state) {
	case KC_CONNECTING:
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
			err = errno;
		if (err == EINPROGRESS)
			return;
		if (err != 0) {
			kc_set_error(c, "connect: ", strerror(err));
			c->tcp_failed = 1;
			kc_fail(c);
			return;
		}
		if (c->ssl == NULL) {
			c->state = KC_OPEN;
			kc_update(c);
			c->cb(c->arg, K8S_CONN_CONNECTED);
			return;
		}
		c->state = KC_HANDSHAKE;
		kc_handshake(c);
		return;
	case KC_HANDSHAKE:
		kc_handshake(c);
		return;
	case KC_OPEN:
		if (events & LOOP_ERROR)
			events |= LOOP_READ | LOOP_WRITE;
		if (((events & LOOP_READ) && !c->read_wants_write) ||
		    ((events & LOOP_WRITE) && c->read_wants_write))
			ev |= K8S_CONN_READABLE;
		if (((events & LOOP_WRITE) && !c->write_wants_read) ||
		    ((events & LOOP_READ) && c->write_wants_read))
			ev |= K8S_CONN_WRITABLE;
		if (ev != 0)
			c->cb(c->arg, ev);
		return;
	case KC_FAILED:
		return;
	}
}

static int
kc_is_ip(const char *name)
{
	struct in6_addr a6;
	struct in_addr a4;

	return inet_pton(AF_INET, name, &a4) == 1 ||
	    inet_pton(AF_INET6, name, &a6) == 1;
}

int
k8s_conn_new(struct loop *loop, struct k8s_tls *tls,
    const struct sockaddr *sa, socklen_t salen, const char *name,
    k8s_conn_cb *cb, void *arg, struct k8s_conn **out)
{
	struct k8s_conn *c;
	int one = 1, idle = 60, intvl = 15, cnt = 4, r;
	X509_VERIFY_PARAM *vp;

	c = xcalloc(1, sizeof(*c));
	c->loop = loop;
	c->cb = cb;
	c->arg = arg;
	c->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		r = DG_ERR_SYSTEM;
		goto fail;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(c->fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	if (tls != NULL) {
		if ((c->ssl = SSL_new(tls->ctx)) == NULL ||
		    SSL_set_fd(c->ssl, c->fd) != 1) {
			r = DG_ERR_TLS;
			goto fail;
		}
		vp = SSL_get0_param(c->ssl);
		if (kc_is_ip(name)) {
			if (X509_VERIFY_PARAM_set1_ip_asc(vp, name) != 1) {
				r = DG_ERR_TLS;
				goto fail;
			}
		} else {
			SSL_set_tlsext_host_name(c->ssl, name);
			if (SSL_set1_host(c->ssl, name) != 1) {
				r = DG_ERR_TLS;
				goto fail;
			}
		}
		if (tls->session != NULL)
			SSL_set_session(c->ssl, tls->session);
		SSL_set_connect_state(c->ssl);
		c->tls = tls;
		tls->refs++;
	}
	c->state = KC_CONNECTING;
	if (connect(c->fd, sa, salen) != 0 && errno != EINPROGRESS) {
		r = errno == ECONNREFUSED || errno == ENETUNREACH ||
		    errno == EHOSTUNREACH ? DG_ERR_UNAVAIL : DG_ERR_SYSTEM;
		goto fail;
	}
	if ((c->reg = loop_fd_add(loop, c->fd, LOOP_WRITE, kc_ready, c)) ==
	    NULL) {
		r = DG_ERR_SYSTEM;
		goto fail;
	}
	*out = c;
	return 0;
fail:
	ERR_clear_error();
	k8s_conn_free(c);
	return r;
}

static ssize_t
kc_ssl_result(struct k8s_conn *c, int r, int reading)
{
	int e = SSL_get_error(c->ssl, r);

	switch (e) {
	case SSL_ERROR_WANT_READ:
		if (!reading)
			c->write_wants_read = 1;
		else
			SSL_free_buffers(c->ssl);	/* fails if in use */
		kc_update(c);
		return DG_ERR_AGAIN;
	case SSL_ERROR_WANT_WRITE:
		if (reading)
			c->read_wants_write = 1;
		kc_update(c);
		return DG_ERR_AGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (errno == 0 || errno == EPIPE || errno == ECONNRESET) {
			kc_set_error(c, "", "connection closed by the server");
			ERR_clear_error();
			return DG_ERR_CLOSED;
		}
		kc_set_error(c, "", strerror(errno));
		ERR_clear_error();
		return DG_ERR_SYSTEM;
	default:
		if (ERR_GET_REASON(ERR_peek_error()) ==
		    SSL_R_UNEXPECTED_EOF_WHILE_READING) {
			kc_set_error(c, "", "connection closed by the server "
			    "(no TLS close_notify)");
			ERR_clear_error();
			return DG_ERR_CLOSED;
		}
		kc_tls_error(c, "TLS");
		return DG_ERR_TLS;
	}
}

ssize_t
k8s_conn_read(struct k8s_conn *c, void *buf, size_t len)
{
	size_t n = 0;
	ssize_t k;
	int r, avail;

	if (c->state != KC_OPEN)
		return DG_ERR_AGAIN;
	if (c->ssl == NULL) {
		k = recv(c->fd, buf, len, 0);
		if (k >= 0)
			return k;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return DG_ERR_AGAIN;
		kc_set_error(c, "", strerror(errno));
		return errno == ECONNRESET ? DG_ERR_CLOSED : DG_ERR_SYSTEM;
	}
	if (c->drained) {
		c->drained = 0;
		/* Idle: give back the record buffers (~17 KB each). */
		SSL_free_buffers(c->ssl);
		return DG_ERR_AGAIN;
	}
	c->read_wants_write = 0;
	ERR_clear_error();
	errno = 0;
	r = SSL_read_ex(c->ssl, buf, len, &n);
	if (r == 1) {
		if (c->write_wants_read) {
			c->write_wants_read = 0;
			kc_update(c);
		}
		if (!SSL_has_pending(c->ssl) && ioctl(c->fd, FIONREAD,
		    &avail) == 0 && avail == 0)
			c->drained = 1;
		return (ssize_t)n;
	}
	return kc_ssl_result(c, 0, 1);
}

ssize_t
k8s_conn_write(struct k8s_conn *c, const void *buf, size_t len)
{
	size_t n = 0;
	ssize_t k;
	int r;

	if (c->state != KC_OPEN)
		return DG_ERR_AGAIN;
	if (c->ssl == NULL) {
		k = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (k >= 0)
			return k;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return DG_ERR_AGAIN;
		kc_set_error(c, "", strerror(errno));
		return errno == ECONNRESET || errno == EPIPE ? DG_ERR_CLOSED :
		    DG_ERR_SYSTEM;
	}
	c->write_wants_read = 0;
	ERR_clear_error();
	errno = 0;
	r = SSL_write_ex(c->ssl, buf, len, &n);
	if (r == 1) {
		if (c->read_wants_write) {
			c->read_wants_write = 0;
			kc_update(c);
		}
		return (ssize_t)n;
	}
	return kc_ssl_result(c, 0, 0);
}

void
k8s_conn_want(struct k8s_conn *c, int rd, int wr)
{
	if (c->want_read == rd && c->want_write == wr)
		return;
	c->want_read = rd;
	c->want_write = wr;
	kc_update(c);
}

int
k8s_conn_pending(const struct k8s_conn *c)
{
	return c->ssl != NULL && c->state == KC_OPEN &&
	    (SSL_pending(c->ssl) > 0 || SSL_has_pending(c->ssl));
}

int
k8s_conn_failed_tcp(const struct k8s_conn *c)
{
	return c->tcp_failed;
}

const char *
k8s_conn_error(const struct k8s_conn *c)
{
	return c->error[0] ? c->error : "unknown error";
}

int
k8s_conn_resumed(const struct k8s_conn *c)
{
	return c->ssl != NULL && SSL_session_reused(c->ssl);
}

const char *
k8s_conn_cipher(const struct k8s_conn *c)
{
	const SSL_CIPHER *sc;

	if (c->ssl == NULL || (sc = SSL_get_current_cipher(c->ssl)) == NULL)
		return NULL;
	return SSL_CIPHER_get_name(sc);
}

void
k8s_conn_free(struct k8s_conn *c)
{
	if (c == NULL)
		return;
	loop_fd_del(c->reg);
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	k8s_tls_unref(c->tls);
	free(c);
}
