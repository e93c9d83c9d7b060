/* auth-match.h: sshd-compatible pattern lists (wildcards, negation),
 * address lists with CIDR, and the Match criteria; pure, never logs. */
#ifndef DG_AUTH_MATCH_H
#define DG_AUTH_MATCH_H

#include <stddef.h>

/* An IPv4 or IPv6 address in network order. */
struct auth_addr {
	int		af;	/* AF_INET or AF_INET6 */
	unsigned char	a[16];	/* 4 or 16 bytes used */
};

/* Glob match with '*' and '?': 1 or 0. */
int	 auth_match_pattern(const char *s, const char *pattern);
/* Comma-separated patterns, each optionally negated with '!' (sshd
 * match_pattern_list): 1 a positive match and no negated one, -1 a negated
 * pattern matched, 0 nothing matched. dolower: compare the patterns in
 * lower case (host names). */
int	 auth_match_pattern_list(const char *s, const char *list, int dolower);
/* Is name one of the comma-separated words of list, exactly (no patterns,
 * no negation)? 1 or 0. */
int	 auth_match_list_has(const char *list, const char *name);
/* sshd addr_match_list: entries are CIDR ("10.0.0.0/8", an address alone
 * is a /32 or /128) or wildcard patterns ("192.168.*"), '!' negates. 1
 * match, 0 none, -1 negated match, -2 malformed list (e.g. host bits set
 * past the mask). addr NULL: only check the list's syntax (0 or -2). */
int	 auth_match_addr_list(const char *addr, const char *list);
/* sshd addr_match_cidr_list (certificate source-address): CIDR entries
 * only, no negation, no wildcards. 1 match, 0 none, -1 malformed. addr
 * NULL: syntax check only. */
int	 auth_match_cidr_list(const char *addr, const char *list);
/* authorized_keys from=: the client's address text is both host and ip
 * (devgate does no reverse DNS, like UseDNS no). 1 allowed, 0 not, -1
 * malformed patterns. */
int	 auth_match_from(const char *ip, const char *patterns);

/* Split "host:port" or "[v6]:port" (port "*" gives -1) for PermitOpen and
 * permitopen=; 0 or DG_ERR_PARSE. */
int	 auth_match_hostport(const char *, char *host, size_t hostlen,
	    int *portp);
/* Parse an address (no mask); 0 or DG_ERR_PARSE. */
int	 auth_addr_parse(const char *, struct auth_addr *);
/* Parse "addr[/bits]"; DG_ERR_PARSE, or DG_ERR_INVAL when host bits are
 * set past the mask. */
int	 auth_addr_parse_cidr(const char *, struct auth_addr *, int *bitsp);
/* Is a inside net/bits (same family)? */
int	 auth_addr_in_net(const struct auth_addr *, const struct auth_addr *net,
	    int bits);
/* Keep the first bits bits of a (netblock of a source). */
void	 auth_addr_mask(struct auth_addr *, int bits);

#endif
