/* dns-fake.c: a tiny DNS server for unit tests, in a thread, on
 * 127.0.0.1 (UDP and TCP on one port), answering through a callback. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/dns-fake.h"

#define DNS_FAKE_MAXOUT 64

struct dns_fake {
	int		 udp, tcp, stopfd[2];
	int		 port;
	dns_fake_fn	*fn;
	void		*arg;
	pthread_t	 th;
	pthread_mutex_t	 lock;
	int		 count;
	uint8_t		*out[DNS_FAKE_MAXOUT];
	size_t		 outlen[DNS_FAKE_MAXOUT];
};

static int
dns_fake_readn(int fd, uint8_t *p, size_t n)
{
	ssize_t r;

	while (n > 0) {
		if ((r = read(fd, p, n)) <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int
dns_fake_call(struct dns_fake *f, int tcp, const uint8_t *req, size_t len)
{
	pthread_mutex_lock(&f->lock);
	f->count++;
	pthread_mutex_unlock(&f->lock);
	return f->fn(f->arg, tcp, req, len, f->out, f->outlen,
	    DNS_FAKE_MAXOUT);
}

static void
dns_fake_tcp_conn(struct dns_fake *f, int c)
{
	uint8_t hdr[2], *req;
	size_t len;
	int i, n, close_after;

	for (;;) {
		if (dns_fake_readn(c, hdr, 2) != 0)
			break;
		len = (size_t)hdr[0] << 8 | hdr[1];
		req = malloc(len ? len : 1);
		if (dns_fake_readn(c, req, len) != 0) {
			free(req);
			break;
		}
		n = dns_fake_call(f, 1, req, len);
		free(req);
		close_after = (n & DNS_FAKE_CLOSE) != 0;
		n &= ~DNS_FAKE_CLOSE;
		for (i = 0; i < n; i++) {
			hdr[0] = f->outlen[i] >> 8;
			hdr[1] = f->outlen[i] & 0xff;
			/* The client may be gone (cancelled): no SIGPIPE. */
			if (send(c, hdr, 2, MSG_NOSIGNAL) != 2 ||
			    send(c, f->out[i], f->outlen[i], MSG_NOSIGNAL) !=
			    (ssize_t)f->outlen[i])
				break;
		}
		if (n == 0 || close_after)
			break;	/* "no answer": drop the connection */
	}
	close(c);
}

static void *
dns_fake_main(void *arg)
{
	struct dns_fake *f = arg;
	struct pollfd pfd[3];
	struct sockaddr_storage from;
	socklen_t fromlen;
	uint8_t buf[65536];
	ssize_t len;
	int c, n;

	pfd[0].fd = f->udp;
	pfd[1].fd = f->tcp;
	pfd[2].fd = f->stopfd[0];
	for (;;) {
		pfd[0].events = pfd[1].events = pfd[2].events = POLLIN;
		if (poll(pfd, 3, -1) < 0)
			continue;
		if (pfd[2].revents)
			break;
		if (pfd[0].revents & POLLIN) {
			fromlen = sizeof(from);
			len = recvfrom(f->udp, buf, sizeof(buf), 0,
			    (struct sockaddr *)&from, &fromlen);
			if (len > 0 && ((n = dns_fake_call(f, 0, buf,
			    (size_t)len)) & ~DNS_FAKE_CLOSE) > 0)
				sendto(f->udp, f->out[0], f->outlen[0], 0,
				    (struct sockaddr *)&from, fromlen);
		}
		if (pfd[1].revents & POLLIN) {
			if ((c = accept(f->tcp, NULL, NULL)) >= 0)
				dns_fake_tcp_conn(f, c);
		}
	}
	return NULL;
}

struct dns_fake *
dns_fake_start(dns_fake_fn *fn, void *arg)
{
	struct dns_fake *f;
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	int i, one = 1;

	f = calloc(1, sizeof(*f));
	f->fn = fn;
	f->arg = arg;
	pthread_mutex_init(&f->lock, NULL);
	for (i = 0; i < DNS_FAKE_MAXOUT; i++)
		f->out[i] = malloc(65536);
	/* Same port for UDP and TCP: bind TCP first, then UDP to it. */
	for (;;) {
		f->tcp = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(f->tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(f->tcp, (struct sockaddr *)&sin, sizeof(sin)) != 0)
			abort();
		getsockname(f->tcp, (struct sockaddr *)&sin, &slen);
		f->udp = socket(AF_INET, SOCK_DGRAM, 0);
		if (bind(f->udp, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			break;
		close(f->tcp);
		close(f->udp);
	}
	listen(f->tcp, 16);
	f->port = ntohs(sin.sin_port);
	if (pipe(f->stopfd) != 0)
		abort();
	pthread_create(&f->th, NULL, dns_fake_main, f);
	return f;
}

int
dns_fake_port(const struct dns_fake *f)
{
	return f->port;
}

int
dns_fake_count(struct dns_fake *f)
{
	int n;

	pthread_mutex_lock(&f->lock);
	n = f->count;
	pthread_mutex_unlock(&f->lock);
	return n;
}

void
dns_fake_stop(struct dns_fake *f)
{
	int i;

	if (write(f->stopfd[1], "x", 1) != 1)
		abort();
	pthread_join(f->th, NULL);
	close(f->udp);
	close(f->tcp);
	close(f->stopfd[0]);
	close(f->stopfd[1]);
	for (i = 0; i < DNS_FAKE_MAXOUT; i++)
		free(f->out[i]);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

ldns_pkt *
dns_fake_answer_new(const ldns_pkt *q)
{
	ldns_pkt *a = ldns_pkt_new();

	ldns_pkt_set_id(a, ldns_pkt_id(q));
	ldns_pkt_set_qr(a, true);
	ldns_pkt_set_aa(a, true);
	ldns_pkt_push_rr(a, LDNS_SECTION_QUESTION,
	    ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(q), 0)));
	return a;
}

size_t
dns_fake_answer_put(ldns_pkt *a, uint8_t *out)
{
	uint8_t *wire = NULL;
	size_t len = 0;

	if (ldns_pkt2wire(&wire, a, &len) != LDNS_STATUS_OK || len > 65535)
		len = 0;
	else
		memcpy(out, wire, len);
	free(wire);
	ldns_pkt_free(a);
	return len;
}
