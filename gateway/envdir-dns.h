/* envdir-dns.h: the environment directory's DNS source: environments,
 * owners, members, teams, profiles and addresses from the registry in the
 * zone (dns/dns-watch.h), kept current on the process's loop. */
#ifndef DG_ENVDIR_DNS_H
#define DG_ENVDIR_DNS_H

struct dns_config;
struct envdir;
struct loop;

/* Add the source when DNSZone is set and DNSRegistry is not none; 0, or
 * DG_ERR_* with err (the directory is unchanged then). */
int	 envdir_add_dns(struct envdir *, struct loop *,
	    const struct dns_config *, char *err, size_t errlen);

#endif
