/* dns-conf.c: the dns area of the configuration: keyword table, custom
 * keyword parsers (pool, registry, server) and cross-keyword checks. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/xmalloc.h"
#include "dns/dns-conf.h"
#include "dns/dns-name.h"
#include "dns/dns-pool.h"
#include "dns/dns-registry.h"
#include "dns/dns-tsig.h"

int
dns_conf_hostport(const char *s, char *host, size_t hostlen, int *portp,
    int defport)
{
	const char *colon, *end, *h;
	size_t hlen;
	long port = defport;
	char *e;

	if (s == NULL || *s == '\0')
		return DG_ERR_INVAL;
	if (*s == '[') {
		if ((end = strchr(s, ']')) == NULL)
			return DG_ERR_INVAL;
		h = s + 1;
		hlen = (size_t)(end - h);
		if (end[1] == ':')
			colon = end + 1;
		else if (end[1] == '\0')
			colon = NULL;
		else
			return DG_ERR_INVAL;
	} else if ((colon = strchr(s, ':')) != NULL &&
	    strchr(colon + 1, ':') != NULL) {
		h = s;			/* a bare IPv6 address */
		hlen = strlen(s);
		colon = NULL;
	} else {
		h = s;
		hlen = colon != NULL ? (size_t)(colon - s) : strlen(s);
	}
	if (colon != NULL) {
		port = strtol(colon + 1, &e, 10);
		if (colon[1] == '\0' || *e != '\0' || port < 1 ||
		    port > 65535)
			return DG_ERR_INVAL;
	}
	if (hlen == 0 || hlen >= hostlen || hlen > 253)
		return DG_ERR_INVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (strcspn(host, " \t\"'[]/\\,") != hlen)
		return DG_ERR_INVAL;
	*portp = (int)port;
	return 0;
}

/* Custom string keywords, validated by name. */
static int
dns_conf_parse_str(const struct conf_keyword *kw, void *field, int argc,
    char **argv, char *err, size_t errlen)
{
	char **sp = field, host[256];
	const char *v;
	int port;
	size_t i;

	if (argc != 2)
		return dg_errf(err, errlen, DG_ERR_INVAL,
		    "%s takes exactly one argument", kw->name);
	v = argv[1];
	if (strcasecmp(kw->name, "DNSUpdateServer") == 0) {
		if (strcasecmp(v, "none") != 0 &&
		    dns_conf_hostport(v, host, sizeof(host), &port, 53) != 0)
			return dg_errf(err, errlen, DG_ERR_INVAL,
			    "%s: expected host[:port] or [v6]:port, not \"%s\"",
			    kw->name, v);
	} else if (strcasecmp(kw->name, "DNSRegistry") == 0) {
		if (strcasecmp(v, "axfr") != 0 &&
		    strcasecmp(v, "none") != 0 &&
		    (strncmp(v, "file:", 5) != 0 || v[5] == '\0'))
			return dg_errf(err, errlen, DG_ERR_INVAL,
			    "%s: expected axfr, file:PATH or none, not \"%s\"",
			    kw->name, v);
	} else if (strcasecmp(kw->name, "DNSOwnerId") == 0) {
		for (i = 0; v[i] != '\0'; i++)
			if (!isalnum((unsigned char)v[i]) && v[i] != '-' &&
			    v[i] != '_' && v[i] != '.')
				break;
		if (v[i] != '\0' || i == 0 || i > 63)
			return dg_errf(err, errlen, DG_ERR_INVAL, "%s: 1-63 of "
			    "[A-Za-z0-9._-], not \"%s\"", kw->name, v);
	} else if (strcasecmp(kw->name, "DNSZone") == 0 ||
	    strcasecmp(kw->name, "DNSGatewayName") == 0) {
		if (dns_name_canon(v, host, sizeof(host)) != 0)
			return dg_errf(err, errlen, DG_ERR_INVAL,
			    "%s: \"%s\" is not a valid domain name", kw->name,
			    v);
	}
	free(*sp);
	*sp = (strcasecmp(v, "none") == 0 && (kw->defval == NULL ||
	    strcasecmp(kw->name, "DNSUpdateServer") == 0)) ? NULL : xstrdup(v);
	return 0;
}

static void
dns_conf_dump_str(const struct conf_keyword *kw, const void *field,
    FILE *out)
{
	const char *s = *(char *const *)field;
	const char *k;

	for (k = kw->name; *k != '\0'; k++)
		fputc(tolower((unsigned char)*k), out);
	fputc(' ', out);
	conf_print_word(out, s != NULL ? s : "none");
	fputc('\n', out);
}

static void
dns_conf_free_str(void *field)
{
	free(*(char **)field);
	*(char **)field = NULL;
}

static void
dns_conf_copy_str(void *dst, const void *src)
{
	const char *s = *(char *const *)src;

	*(char **)dst = s != NULL ? xstrdup(s) : NULL;
}

static int
dns_conf_parse_pool(const struct conf_keyword *kw, void *field, int argc,
    char **argv, char *err, size_t errlen)
{
	struct dns_pool **pp = field, *p;
	char why[200];

	if (argc != 2)
		return dg_errf(err, errlen, DG_ERR_INVAL,
		    "%s takes exactly one argument", kw->name);
	if (strcasecmp(argv[1], "none") == 0) {
		dns_pool_free(*pp);
		*pp = NULL;
		return 0;
	}
	if (dns_pool_parse(argv[1], &p, why, sizeof(why)) != 0)
		return dg_errf(err, errlen, DG_ERR_INVAL, "%s: %s", kw->name,
		    why);
	dns_pool_free(*pp);
	*pp = p;
	return 0;
}

static void
dns_conf_dump_pool(const struct conf_keyword *kw, const void *field,
    FILE *out)
{
	const struct dns_pool *p = *(struct dns_pool *const *)field;

	(void)kw;
	fprintf(out, "environmentaddresspool %s\n", p != NULL ? p->text :
	    "none");
}

static void
dns_conf_free_pool(void *field)
{
	dns_pool_free(*(struct dns_pool **)field);
	*(struct dns_pool **)field = NULL;
}

static void
dns_conf_copy_pool(void *dst, const void *src)
{
	*(struct dns_pool **)dst = dns_pool_dup(*(struct dns_pool *const *)src);
}

#define DNS_CUSTOM_STR(name, field, def) \
	{ name, CONF_CUSTOM, offsetof(struct dns_config, field), def, 0, 0, \
	    0, NULL, dns_conf_parse_str, dns_conf_dump_str, \
	    dns_conf_free_str, dns_conf_copy_str }

static const struct conf_keyword dns_conf_kw[] = {
	DNS_CUSTOM_STR("DNSZone", zone, NULL),
	DNS_CUSTOM_STR("DNSUpdateServer", update_server, "none"),
	{ "DNSResolver", CONF_LIST, offsetof(struct dns_config, resolvers),
	    NULL, 0 },
	{ "TSIGKeyFile", CONF_PATH, offsetof(struct dns_config, key_file),
	    "none", 0 },
	{ "TSIGFudge", CONF_TIME, offsetof(struct dns_config, fudge), "300",
	    0, 1, 3600 },
	DNS_CUSTOM_STR("DNSRegistry", registry, "axfr"),
	{ "EnvironmentAddressPool", CONF_CUSTOM,
	    offsetof(struct dns_config, pool), "none", 0, 0, 0, NULL,
	    dns_conf_parse_pool, dns_conf_dump_pool, dns_conf_free_pool,
	    dns_conf_copy_pool },
	DNS_CUSTOM_STR("DNSGatewayName", gateway_name, NULL),
	{ "DNSRecordTTL", CONF_TIME, offsetof(struct dns_config, ttl), "60",
	    0, 1, 86400 },
	DNS_CUSTOM_STR("DNSOwnerId", owner_id, "devgate"),
	/* No default here: the gateway derives StateDirectory/dns. */
	{ "DNSStateDirectory", CONF_PATH,
	    offsetof(struct dns_config, state_dir), NULL, 0 },
	{ "DNSRefreshInterval", CONF_TIME, offsetof(struct dns_config,
	    refresh), "30", 0, 1, 86400 },
	{ "DNSSyncInterval", CONF_TIME, offsetof(struct dns_config,
	    sync_interval), "5m", 0, 10, 7 * 86400 },
	{ "DNSTimeout", CONF_TIME, offsetof(struct dns_config, timeout), "10",
	    0, 1, 600 },
	{ "DNSRetryMax", CONF_TIME, offsetof(struct dns_config, retry_max),
	    "5m", 0, 1, 86400 },
	{ "DNSUpdateBatch", CONF_INT, offsetof(struct dns_config, batch),
	    "100", 0, 1, 2000 },
	{ "DNSDeleteBatch", CONF_INT, offsetof(struct dns_config,
	    delete_batch), "50", 0, 1, 2000 },
	{ "DNSUpdateMaxSize", CONF_SIZE, offsetof(struct dns_config,
	    max_message), "32K", 0, 512, 65535 },
	{ "DNSQueueLimit", CONF_INT, offsetof(struct dns_config,
	    queue_limit), "100000", 0, 1, 10000000 },
	{ NULL }
};

const struct conf_table dns_conf_table = { "dns", dns_conf_kw };

int
dns_conf_zone(const struct dns_config *c, char *buf, size_t len)
{
	if (c->zone == NULL)
		return DG_ERR_NOTFOUND;
	return dns_name_canon(c->zone, buf, len);
}

enum dns_registry_kind
dns_conf_registry(const struct dns_config *c, const char **pathp)
{
	if (pathp != NULL)
		*pathp = NULL;
	if (c->registry == NULL || strcasecmp(c->registry, "axfr") == 0)
		return DNS_REGISTRY_AXFR;
	if (strncmp(c->registry, "file:", 5) == 0) {
		if (pathp != NULL)
			*pathp = c->registry + 5;
		return DNS_REGISTRY_FILE;
	}
	return DNS_REGISTRY_NONE;
}

int
dns_conf_update_server(const struct dns_config *c, char *host,
    size_t hostlen, int *portp)
{
	if (c->update_server == NULL)
		return DG_ERR_NOTFOUND;
	return dns_conf_hostport(c->update_server, host, hostlen, portp, 53);
}

char *
dns_conf_resolvers_csv(const struct dns_config *c)
{
	char *s = NULL, *t;
	size_t i;

	for (i = 0; i < c->resolvers.n; i++) {
		t = xasprintf("%s%s%s", s != NULL ? s : "", s != NULL ? "," :
		    "", c->resolvers.v[i]);
		free(s);
		s = t;
	}
	return s;
}

int
dns_conf_load_key(const struct dns_config *c, struct dns_tsig_key **kp,
    char *err, size_t errlen)
{
	if (c->key_file == NULL) {
		*kp = NULL;
		return 0;
	}
	return dns_tsig_key_load(c->key_file, kp, err, errlen);
}

int
dns_conf_check(const struct dns_config *c, char *err, size_t errlen)
{
	struct dns_tsig_key *k = NULL;
	char zone[DNS_NAME_MAX], gw[DNS_NAME_MAX], host[256], sub[512];
	const char *path;
	size_t i;
	int port, r;

	if (c->zone == NULL)
		return 0;
	if ((r = dns_conf_zone(c, zone, sizeof(zone))) != 0)
		return dg_errf(err, errlen, DG_ERR_INVAL,
		    "DNSZone: \"%s\" is not a valid zone name", c->zone);
	for (i = 0; i < c->resolvers.n; i++)
		if (dns_conf_hostport(c->resolvers.v[i], host, sizeof(host),
		    &port, 53) != 0)
			return dg_errf(err, errlen, DG_ERR_INVAL,
			    "DNSResolver: bad server \"%s\"",
			    c->resolvers.v[i]);
	if (c->gateway_name != NULL &&
	    (dns_name_canon(c->gateway_name, gw, sizeof(gw)) != 0))
		return dg_errf(err, errlen, DG_ERR_INVAL,
		    "DNSGatewayName: bad name \"%s\"", c->gateway_name);
	if (c->key_file == NULL)
		return dg_errf(err, errlen, DG_ERR_INVAL,
		    "DNSZone %s is set but "
		    "TSIGKeyFile is not: updates and transfers are signed",
		    zone);
	if ((r = dns_tsig_key_load(c->key_file, &k, sub, sizeof(sub))) != 0)
		return dg_errf(err, errlen, DG_ERR_INVAL, "TSIGKeyFile %s",
		    sub);
	dns_tsig_key_free(k);
	if (dns_conf_registry(c, &path) == DNS_REGISTRY_FILE &&
	    (r = dns_registry_check_file(path, zone, sub, sizeof(sub))) != 0) {
		snprintf(err, errlen, "DNSRegistry: %s", sub);
		return r;
	}
	return 0;
}
