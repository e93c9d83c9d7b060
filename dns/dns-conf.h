/* dns-conf.h: the dns area of the configuration (keyword table for
 * common/conf.h) and its cross-keyword checks. */
#ifndef DG_DNS_CONF_H
#define DG_DNS_CONF_H

#include <stddef.h>

#include "common/conf.h"

struct dns_pool;
struct dns_tsig_key;

enum dns_registry_kind {
	DNS_REGISTRY_NONE = 0,	/* no registry: publish only what is queued */
	DNS_REGISTRY_AXFR,	/* signed AXFR from the primary */
	DNS_REGISTRY_FILE,	/* a zone file */
};

struct dns_config {
	char		*zone;		/* DNSZone, as given; NULL: DNS off */
	char		*update_server;	/* DNSUpdateServer host[:port] */
	struct conf_list resolvers;	/* DNSResolver host[:port]... */
	char		*key_file;	/* TSIGKeyFile */
	int		 fudge;		/* TSIGFudge, seconds */
	char		*registry;	/* DNSRegistry axfr|file:PATH|none */
	struct dns_pool	*pool;		/* EnvironmentAddressPool or NULL */
	char		*gateway_name;	/* DNSGatewayName; NULL: zone apex */
	int		 ttl;		/* DNSRecordTTL */
	char		*owner_id;	/* DNSOwnerId */
	char		*state_dir;	/* DNSStateDirectory */
	int		 refresh;	/* DNSRefreshInterval, seconds */
	int		 sync_interval;	/* DNSSyncInterval, seconds */
	int		 timeout;	/* DNSTimeout, seconds */
	int		 retry_max;	/* DNSRetryMax, seconds */
	int		 batch;		/* DNSUpdateBatch, names per message */
	int		 delete_batch;	/* DNSDeleteBatch, names per message */
	long long	 max_message;	/* DNSUpdateMaxSize, bytes */
	int		 queue_limit;	/* DNSQueueLimit, names */
};

extern const struct conf_table dns_conf_table;

/*
 * After conf_finish(): check what single keywords cannot: the zone name,
 * the key file (read and parsed: algorithm, secret), the registry file
 * (parsed with the TXT schema, line-numbered errors), that updates have a
 * key. 0 or DG_ERR_* with a reason in err. Does nothing when DNSZone is
 * unset.
 */
int	 dns_conf_check(const struct dns_config *, char *err, size_t errlen);
/* Canonical zone ("dev.corp", lowercase, no trailing dot). */
int	 dns_conf_zone(const struct dns_config *, char *buf, size_t len);
enum dns_registry_kind dns_conf_registry(const struct dns_config *,
	    const char **pathp);
/* Split DNSUpdateServer into host and port (default 53); 0 or
 * DG_ERR_NOTFOUND when unset. */
int	 dns_conf_update_server(const struct dns_config *, char *host,
	    size_t hostlen, int *portp);
/* The DNSResolver list as a c-ares server CSV (NULL: system). */
char	*dns_conf_resolvers_csv(const struct dns_config *);
/* Load the TSIG key (NULL when TSIGKeyFile is none). */
int	 dns_conf_load_key(const struct dns_config *, struct dns_tsig_key **,
	    char *err, size_t errlen);
/* Parse host[:port] / [v6]:port / bare v6; 0 or DG_ERR_INVAL. */
int	 dns_conf_hostport(const char *, char *host, size_t hostlen,
	    int *portp, int defport);

#endif
