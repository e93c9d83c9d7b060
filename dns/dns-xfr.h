/* dns-xfr.h: reading a zone from its primary: a TSIG-signed AXFR whose
 * every message is checked (first and last signed, unsigned ones in
 * between covered by the next signature, RFC 8945 5.3.1), and an SOA
 * serial query. The message handling is pure (dns_xfr_feed) so it can be
 * fuzzed; the loop-driven parts use dns-send. */
#ifndef DG_DNS_XFR_H
#define DG_DNS_XFR_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dns/dns-tsig.h"

struct loop;
struct dns_zone;
struct dns_xfr;

#define DNS_XFR_MAX_MESSAGES 100000

/* State of one transfer's replies. */
struct dns_xfr_state {
	char		*zone;		/* canonical */
	struct dns_tsig_verify v;	/* NULL key: unsigned transfer */
	int		 use_tsig;
	int		 nmsg;
	int		 nsoa;		/* SOA records seen (2 = done) */
	uint32_t	 serial;
	struct dns_zone	*z;		/* being filled */
};

/*
 * Build the signed AXFR request (key may be NULL) and set up st. 0 or
 * DG_ERR_*.
 */
int	 dns_xfr_request(const char *zone, const struct dns_tsig_key *,
	    int fudge, uint8_t **wirep, size_t *lenp, struct dns_xfr_state *);
/*
 * Take one reply message: 0 = more to come, 1 = the transfer ended (the
 * zone is in st->z), or an error with text in err: DG_ERR_DENIED (the
 * server refused: REFUSED/NOTAUTH), DG_ERR_AUTH / DG_ERR_CRYPTO /
 * DG_ERR_EXPIRED (signature), DG_ERR_PROTO (malformed or out of order),
 * DG_ERR_LIMIT.
 */
int	 dns_xfr_feed(struct dns_xfr_state *, const uint8_t *msg, size_t len,
	    time_t now, char *err, size_t errlen);
void	 dns_xfr_state_clear(struct dns_xfr_state *);

/* The zone (owned by the callback) or err with text. */
typedef void dns_xfr_cb(void *arg, int err, struct dns_zone *,
    const char *text);

int	 dns_xfr_start(struct loop *, const struct sockaddr *, socklen_t,
	    const char *zone, const struct dns_tsig_key *, int fudge,
	    int timeout_ms, dns_xfr_cb *, void *arg, struct dns_xfr **);
/* No callback afterwards; NULL is fine. Not from inside the callback. */
void	 dns_xfr_cancel(struct dns_xfr *);

/* SOA serial of zone from the server (UDP, TCP if truncated, unsigned
 * query; the answer must be authoritative). */
typedef void dns_soa_cb(void *arg, int err, uint32_t serial,
    const char *text);
int	 dns_soa_start(struct loop *, const struct sockaddr *, socklen_t,
	    const char *zone, int timeout_ms, dns_soa_cb *, void *arg,
	    struct dns_xfr **);

/* RFC 1982 serial arithmetic: a newer than b. */
int	 dns_serial_gt(uint32_t a, uint32_t b);

#endif
