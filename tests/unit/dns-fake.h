/* dns-fake.h: a tiny DNS server for unit tests, in a thread, on
 * 127.0.0.1 (UDP and TCP on one port), answering through a callback. */
#ifndef DG_TEST_DNS_FAKE_H
#define DG_TEST_DNS_FAKE_H

#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

struct dns_fake;

/*
 * Called on the server thread for each request (wire bytes). Write up to
 * max reply messages into out[i] / outlen[i] (each at most 65535 bytes,
 * buffers provided) and return how many; 0 means "do not answer".
 * tcp tells the transport. Or the count with DNS_FAKE_CLOSE: over TCP,
 * close the connection after sending.
 */
#define DNS_FAKE_CLOSE 0x1000
typedef int dns_fake_fn(void *arg, int tcp, const uint8_t *req, size_t len,
    uint8_t **out, size_t *outlen, int max);

struct dns_fake *dns_fake_start(dns_fake_fn *, void *arg);
int	 dns_fake_port(const struct dns_fake *);
/* Requests seen so far (UDP and TCP). */
int	 dns_fake_count(struct dns_fake *);
void	 dns_fake_stop(struct dns_fake *);

/* For callbacks: the start of an answer to q (q's id, QR and AA set, q's
 * question copied), and that answer in wire form into out (a reply
 * buffer): its length, or 0 if it did not fit; the answer is freed. */
ldns_pkt *dns_fake_answer_new(const ldns_pkt *q);
size_t	 dns_fake_answer_put(ldns_pkt *a, uint8_t *out);

#endif
