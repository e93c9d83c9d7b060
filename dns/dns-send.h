/* dns-send.h: one DNS exchange on the event loop, never blocking: a
 * request over UDP or TCP, its reply (or, for transfers, a stream of
 * replies) matched by id, with a deadline. No TSIG here: the caller
 * verifies what it receives. */
#ifndef DG_DNS_SEND_H
#define DG_DNS_SEND_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

struct loop;
struct dns_send;

#define DNS_SEND_TCP	0x1	/* TCP (else UDP) */
#define DNS_SEND_STREAM	0x2	/* TCP: several reply messages (AXFR) */

/*
 * Called on the loop with each reply message (err 0), or once with an
 * error: DG_ERR_TIMEOUT, DG_ERR_UNAVAIL (connection refused or reset),
 * DG_ERR_CLOSED (closed before the reply ended), DG_ERR_PROTO (a reply
 * that does not match the request), DG_ERR_SYSTEM. Return 1 to wait for
 * another message (stream), 0 to finish; after an error or a 0 the
 * exchange is freed. The deadline restarts with every message.
 */
typedef int dns_send_cb(void *arg, int err, const uint8_t *msg, size_t len);

int	 dns_send_start(struct loop *, const struct sockaddr *, socklen_t,
	    int flags, const uint8_t *req, size_t len, int timeout_ms,
	    dns_send_cb *, void *arg, struct dns_send **);
/* No further callback; safe from inside the exchange's own callback.
 * NULL is fine. */
void	 dns_send_cancel(struct dns_send *);

/* A transport error in words: "connection refused", "no answer
 * (timeout)", ... */
const char *dns_send_strerror(int err);
/* "127.0.0.1#5300" / "[fd00::1]#53" for log lines. */
void	 dns_send_addr_text(const struct sockaddr *, char *buf, size_t len);

#endif
