/* dns-pool.h: EnvironmentAddressPool: an IPv4 range or CIDR, or an IPv6
 * prefix, from which environments get their own addresses; the candidate
 * order per environment and the reservation label of an address. Pure. */
#ifndef DG_DNS_POOL_H
#define DG_DNS_POOL_H

#include <stddef.h>
#include <stdint.h>

struct dns_pool {
	int		 family;	/* AF_INET or AF_INET6 */
	uint8_t		 first[16];	/* first usable address */
	uint64_t	 size;		/* usable addresses (>= 1) */
	char		*text;		/* as configured */
};

/*
 * "127.0.10.1-127.0.10.254", "10.20.0.0/24" (network and broadcast
 * addresses skipped up to /30), "fd00:dev:0:1::/64" (prefix 64-127; the
 * all-zero host is skipped). 0 or DG_ERR_INVAL with a reason in err.
 */
int	 dns_pool_parse(const char *text, struct dns_pool **, char *err,
	    size_t errlen);
void	 dns_pool_free(struct dns_pool *);
struct dns_pool *dns_pool_dup(const struct dns_pool *);

/* The address at index i (0 <= i < size): 4 or 16 bytes into out. */
void	 dns_pool_at(const struct dns_pool *, uint64_t i, uint8_t out[16]);
/* Index of an address (text), or -1 when not in the pool or malformed. */
int64_t	 dns_pool_index(const struct dns_pool *, const char *addr);
/* The i-th candidate for an environment: a stable start from a hash of
 * the name, then the following addresses, wrapping. */
uint64_t dns_pool_candidate(const struct dns_pool *, const char *name,
	    uint64_t attempt);
/* Address text ("127.0.10.5", "fd00::5") of index i. */
void	 dns_pool_text(const struct dns_pool *, uint64_t i, char *buf,
	    size_t len);
/* The reservation label of index i: "127-0-10-5" for IPv4, the 32 hex
 * digits of the address for IPv6. */
void	 dns_pool_label(const struct dns_pool *, uint64_t i, char *buf,
	    size_t len);
/* Index for a reservation label, -1 if it is not one of this pool's. */
int64_t	 dns_pool_label_index(const struct dns_pool *, const char *label);

#endif
