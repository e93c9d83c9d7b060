/* dns-ctl.h: the DNS controller: keeps the registry current (dns-watch),
 * reconciles the zone with it whenever it changes and every
 * DNSSyncInterval (dns-sync), and publishes through the persistent
 * updater (dns-updater). Runs in the supervisor's controller loop, or in
 * its own process ("devgate dns run"). */
#ifndef DG_DNS_CTL_H
#define DG_DNS_CTL_H

#include <stddef.h>

struct loop;
struct dns_config;
struct dns_ctl;
struct dns_registry;
struct dns_want;

/* Called with each new registry (borrowed), e.g. to hand it to workers. */
typedef void dns_ctl_registry_cb(void *arg, struct dns_registry *);

/* cfg is copied where needed. The queue lives in DNSStateDirectory. */
int	 dns_ctl_new(struct loop *, const struct dns_config *,
	    struct dns_ctl **, char *err, size_t errlen);
void	 dns_ctl_free(struct dns_ctl *);
void	 dns_ctl_set_registry_cb(struct dns_ctl *, dns_ctl_registry_cb *,
	    void *);
/* Publish a desired state now (e.g. the _env record of an environment a
 * user created): 0 or DG_ERR_INVAL / DG_ERR_LIMIT. */
int	 dns_ctl_want(struct dns_ctl *, const struct dns_want *);
/* The current registry (borrowed) or NULL. */
struct dns_registry *dns_ctl_registry(const struct dns_ctl *);
/* Names waiting to be published. */
size_t	 dns_ctl_pending(const struct dns_ctl *);

#endif
