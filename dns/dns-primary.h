/* dns-primary.h: where the zone's primary server is: DNSUpdateServer, or
 * the MNAME of the zone's SOA found with c-ares; resolved without
 * blocking, cached, and found again after repeated failures. */
#ifndef DG_DNS_PRIMARY_H
#define DG_DNS_PRIMARY_H

#include <sys/socket.h>

struct loop;
struct dns_config;
struct dns_primary;

/* Called on the loop when a lookup ends: err 0 (dns_primary_addr now
 * answers) or the failure, with a text for the log. */
typedef void dns_primary_cb(void *arg, int err, const char *text);

int	 dns_primary_new(struct loop *, const struct dns_config *,
	    dns_primary_cb *, void *arg, struct dns_primary **, char *err,
	    size_t errlen);
void	 dns_primary_free(struct dns_primary *);
/* 0 with the address, or DG_ERR_AGAIN after starting a lookup (the
 * callback tells when it ends). */
int	 dns_primary_addr(struct dns_primary *, const struct sockaddr **,
	    socklen_t *);
/* The server did not answer: after every third time, look it up again. */
void	 dns_primary_unreachable(struct dns_primary *);
/* The server answered. */
void	 dns_primary_reachable(struct dns_primary *);
/* "127.0.0.1#5300", or "(unresolved)". */
const char *dns_primary_text(const struct dns_primary *);

#endif
