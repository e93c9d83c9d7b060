/* dns-registry.h: the registry of profiles and environments read from
 * the zone (TXT schema at NAME._profile / NAME._env, addresses at NAME):
 * an immutable, reference-counted snapshot with the queries the gateway
 * needs. Pure: building reports problems as text, never logs. */
#ifndef DG_DNS_REGISTRY_H
#define DG_DNS_REGISTRY_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "dns/dns-schema.h"

struct dns_zone;
struct dns_registry;

#define DNS_REGISTRY_MAX_ADDRS 8

struct dns_env {
	char		 name[64];	/* "alice-gpu" */
	char		*fqdn;		/* "alice-gpu.dev.corp" */
	const struct dns_envrec *rec;	/* owner, team, members, profile */
	const struct dns_profile *profile; /* NULL if none or unknown */
	struct dns_spec	 spec;		/* effective: profile + overrides */
	int		 valid;		/* 0: record broken; see error */
	char		*error;		/* why not valid, else NULL */
	int		 line;		/* of the _env record in a file, or 0 */
	struct sockaddr_storage addrs[DNS_REGISTRY_MAX_ADDRS];	/* A/AAAA */
	size_t		 naddrs;
	char		*cname;		/* CNAME target at the name, or NULL */
};

struct dns_registry_problem {
	char		*name;		/* record owner, relative to the zone */
	int		 line;		/* 0 when not from a file */
	char		*text;
};

/*
 * Build from a zone: schema records from schema, addresses from addrs
 * (NULL: from schema too). strict: the first problem fails the build
 * (err: "NAME: reason" or, with a line, "line N: NAME: reason"); else
 * problems are kept in the snapshot and broken environments are present
 * with valid = 0 (so that nothing is deleted for a typo).
 */
int	 dns_registry_build(const struct dns_zone *schema,
	    const struct dns_zone *addrs, int strict, struct dns_registry **,
	    char *err, size_t errlen);
/* Parse a registry zone file strictly (for devgate -t and DNSRegistry
 * file:). zone is the default $ORIGIN. err: "PATH:LINE: NAME: reason". */
int	 dns_registry_check_file(const char *path, const char *zone,
	    char *err, size_t errlen);

struct dns_registry *dns_registry_ref(struct dns_registry *);
/* NULL is fine. */
void	 dns_registry_unref(struct dns_registry *);

const char *dns_registry_zone(const struct dns_registry *);
uint32_t dns_registry_serial(const struct dns_registry *);

/* Valid or not; NULL when the name has no _env record. */
const struct dns_env *dns_registry_find(const struct dns_registry *,
	    const char *name);
/* The valid environment whose A/AAAA record is this address (port
 * ignored); NULL if none. */
const struct dns_env *dns_registry_by_address(const struct dns_registry *,
	    const struct sockaddr *);
/* Valid environments the user owns or is a member of, owned first, by
 * name; at most max into out; returns how many there are in all. */
size_t	 dns_registry_for_user(const struct dns_registry *, const char *user,
	    const struct dns_env **out, size_t max);
const struct dns_profile *dns_registry_profile(const struct dns_registry *,
	    const char *name);
/* Every environment (valid or not), sorted by name. */
size_t	 dns_registry_count(const struct dns_registry *);
const struct dns_env *dns_registry_at(const struct dns_registry *, size_t);
size_t	 dns_registry_nprofiles(const struct dns_registry *);
const struct dns_profile *dns_registry_profile_at(
	    const struct dns_registry *, size_t);
/* Problems found while building (non-strict). */
size_t	 dns_registry_nproblems(const struct dns_registry *);
const struct dns_registry_problem *dns_registry_problem_at(
	    const struct dns_registry *, size_t);

#endif
