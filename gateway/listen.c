/* listen.c: listening sockets (one SO_REUSEPORT socket per address and
 * worker slot, owned by the supervisor), accepted-socket options, and the
 * MaxStartups limit counted across all workers in shared memory. */
#include <sys/mman.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "gateway/listen.h"

struct listen_shared {
	atomic_int	used[LISTEN_SHARED_MAX];	/* allocated */
	atomic_int	count[LISTEN_SHARED_MAX];	/* unauthenticated */
};

struct listen_shared *
listen_shared_new(void)
{
	void *p;

	p = mmap(NULL, sizeof(struct listen_shared), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void
listen_shared_free(struct listen_shared *sh)
{
	if (sh != NULL)
		munmap(sh, sizeof(*sh));
}

int
listen_shared_alloc(struct listen_shared *sh)
{
	int i, zero;

	for (i = 0; i < LISTEN_SHARED_MAX; i++) {
		zero = 0;
		if (atomic_compare_exchange_strong(&sh->used[i], &zero, 1)) {
			atomic_store(&sh->count[i], 0);
			return i;
		}
	}
	return -1;
}

void
listen_shared_release(struct listen_shared *sh, int idx)
{
	if (idx < 0 || idx >= LISTEN_SHARED_MAX)
		return;
	atomic_store(&sh->count[idx], 0);
	atomic_store(&sh->used[idx], 0);
}

void
listen_shared_set(struct listen_shared *sh, int idx, int count)
{
	if (idx >= 0 && idx < LISTEN_SHARED_MAX)
		atomic_store(&sh->count[idx], count);
}

int
listen_shared_total(const struct listen_shared *sh)
{
	int i, total = 0;

	for (i = 0; i < LISTEN_SHARED_MAX; i++)
		if (atomic_load(&sh->used[i]))
			total += atomic_load(&sh->count[i]);
	return total;
}

int
listen_maxstartups_refuse(const struct maxstartups *m, int current, int rnd)
{
	int p;

	if (current >= m->full)
		return 1;
	if (current < m->start)
		return 0;
	/* From rate% at start, rising linearly to 100% at full. */
	p = 100 - m->rate;
	p *= current - m->start;
	p /= m->full - m->start;
	p += m->rate;
	return rnd < p;
}

int
listen_open(const struct listen_addr *la, int *fdp, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, on = 1, af;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, la->host, &sin->sin_addr) == 1) {
		af = sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)la->port);
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, la->host, &sin6->sin6_addr) == 1) {
		af = sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)la->port);
		len = sizeof(*sin6);
	} else {
		snprintf(err, errlen, "ListenAddress %s: not numeric",
		    la->host);
		return DG_ERR_INVAL;
	}
	fd = socket(af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0)
		goto fail;
	/* [::] serves IPv6 only: IPv4 gets its own ListenAddress, as sshd. */
	if (af == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
	    sizeof(on)) != 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 512) != 0)
		goto fail;
	*fdp = fd;
	return 0;
fail:
	snprintf(err, errlen, "ListenAddress %s port %d: %s", la->host,
	    la->port, strerror(errno));
	if (fd >= 0)
		close(fd);
	return DG_ERR_SYSTEM;
}

void
listen_tune(int fd)
{
	int on = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
}

void
listen_addr_text(const struct sockaddr *sa, char *buf, size_t len, int *portp)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, buf, len);
		*portp = ntohs(sin->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		/* IPv4-mapped addresses read as IPv4, as sshd shows them. */
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], buf,
			    len);
		else
			inet_ntop(AF_INET6, &sin6->sin6_addr, buf, len);
		*portp = ntohs(sin6->sin6_port);
	} else {
		snprintf(buf, len, "unknown");
		*portp = 0;
	}
}
