/* k8s-conn.h: non-blocking TCP + TLS (OpenSSL) connections to the API
 * server for WebSocket streams; one shared SSL_CTX with session
 * resumption per backend. */
#ifndef DG_K8S_CONN_H
#define DG_K8S_CONN_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>

struct loop;
struct k8s_config;
struct k8s_tls;
struct k8s_conn;

/* The TLS context of a backend (CA, client certificate, verification);
 * refcounted: every connection holds a reference. */
int	 k8s_tls_new(const struct k8s_config *, struct k8s_tls **, char *err,
	    size_t errlen);
void	 k8s_tls_unref(struct k8s_tls *);

#define K8S_CONN_CONNECTED	0x1	/* TCP + TLS are up */
#define K8S_CONN_READABLE	0x2	/* k8s_conn_read() may progress */
#define K8S_CONN_WRITABLE	0x4	/* k8s_conn_write() may progress */
#define K8S_CONN_FAILED		0x8	/* connecting failed: see error */

typedef void k8s_conn_cb(void *arg, int events);

/*
 * Start connecting to addr; tls NULL means plain TCP. name is the host
 * name (or address) the certificate must match; sni is sent when it is a
 * DNS name. The callback runs on the loop; no callback after free.
 */
int	 k8s_conn_new(struct loop *, struct k8s_tls *, const struct sockaddr *,
	    socklen_t, const char *name, k8s_conn_cb *, void *arg,
	    struct k8s_conn **);
/* Bytes read (> 0), 0 at a clean end of stream, DG_ERR_AGAIN, or an error
 * (DG_ERR_CLOSED on reset, DG_ERR_TLS, DG_ERR_SYSTEM). */
ssize_t	 k8s_conn_read(struct k8s_conn *, void *, size_t);
/* Bytes written (> 0), DG_ERR_AGAIN, or an error. After DG_ERR_AGAIN
 * retry with the same buffer and length. */
ssize_t	 k8s_conn_write(struct k8s_conn *, const void *, size_t);
/* Which readiness the owner wants reported. */
void	 k8s_conn_want(struct k8s_conn *, int read, int write);
/* Does the TLS layer hold decrypted bytes not yet read? */
int	 k8s_conn_pending(const struct k8s_conn *);
/* Did connecting fail before TLS (refused, unreachable, timed out)? Then
 * another address of the server may work. */
int	 k8s_conn_failed_tcp(const struct k8s_conn *);
/* The reason of the last failure, for logs. */
const char *k8s_conn_error(const struct k8s_conn *);
/* Did TLS resume a previous session (cheaper handshake)? */
int	 k8s_conn_resumed(const struct k8s_conn *);
/* The TLS cipher suite in use, NULL before the handshake. */
const char *k8s_conn_cipher(const struct k8s_conn *);
void	 k8s_conn_free(struct k8s_conn *);

#endif
