/* dns-schema.h: the v=devgate1 TXT schema of profiles (NAME._profile) and
 * environments (NAME._env): strict parsing into structs, Kubernetes-style
 * quantities, the effective spec of an environment, and the TXT text for
 * writing one. Pure: errors come back as text, never logged. */
#ifndef DG_DNS_SCHEMA_H
#define DG_DNS_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "common/conf.h"

#define DNS_SCHEMA_VERSION	"v=devgate1"
#define DNS_SCHEMA_PROFILE	"_profile"	/* label under the zone */
#define DNS_SCHEMA_ENV		"_env"

/* Which fields of a spec were given. */
#define DNS_SPEC_IMAGE		0x001
#define DNS_SPEC_CPU		0x002
#define DNS_SPEC_MEMORY		0x004
#define DNS_SPEC_GPU		0x008
#define DNS_SPEC_POOL		0x010
#define DNS_SPEC_TOLERATIONS	0x020
#define DNS_SPEC_IDLE		0x040
#define DNS_SPEC_PACKAGES	0x080
#define DNS_SPEC_SCRATCH	0x100
#define DNS_SPEC_DESCRIPTION	0x200

/* What an environment runs: a profile, or an environment's overrides. */
struct dns_spec {
	unsigned	 set;		/* DNS_SPEC_* given */
	char		*image;		/* OCI image reference */
	int64_t		 cpu_milli;	/* CPU in millicores */
	int64_t		 memory;	/* bytes */
	int		 gpu;		/* count */
	char		*pool;		/* node pool name */
	struct conf_list tolerations;	/* "key=value:Effect", "key:Effect" */
	int		 idle;		/* seconds before reaping; 0 = never */
	struct conf_list packages;	/* "apt:htop", "pip:xgboost==2.0" */
	int64_t		 scratch;	/* memory-backed scratch, bytes */
	char		*description;
};

struct dns_profile {
	char		*name;		/* label: "gpu-a100" */
	struct dns_spec	 spec;
};

struct dns_envrec {
	char		*name;		/* label: "alice-gpu" */
	char		*owner;		/* user name */
	char		*team;		/* NULL if none */
	char		*profile;	/* NULL if the record gives an image */
	struct conf_list members;	/* user names besides the owner */
	struct dns_spec	 over;		/* overrides of the profile */
};

/*
 * strs are the TXT character-strings; strs[0] must be "v=devgate1", each
 * other one "key=value". name is the label (checked). Unknown keys, a
 * repeated single-valued key, bad values: DG_ERR_PARSE with the reason in
 * err (the key and the offending value, never more than 80 bytes of it).
 */
int	 dns_schema_parse_profile(const char *name, char *const *strs,
	    size_t n, struct dns_profile **, char *err, size_t errlen);
int	 dns_schema_parse_env(const char *name, char *const *strs, size_t n,
	    struct dns_envrec **, char *err, size_t errlen);
void	 dns_profile_free(struct dns_profile *);
void	 dns_envrec_free(struct dns_envrec *);

/* Effective spec: the profile's (NULL: none) with the overrides on top.
 * DG_ERR_INVAL with err when no image results. out is cleared first. */
int	 dns_schema_effective(const struct dns_spec *profile,
	    const struct dns_spec *over, struct dns_spec *out, char *err,
	    size_t errlen);
void	 dns_spec_clear(struct dns_spec *);
void	 dns_spec_copy(struct dns_spec *dst, const struct dns_spec *src);

/* A user name as devgate accepts it ([a-z_][a-z0-9_.-]{0,31}). */
int	 dns_schema_user_ok(const char *);

/* The TXT rdata (presentation form, quoted strings) that describes env,
 * as devgate writes it; NULL if a value would not fit a string. */
char	*dns_schema_env_txt(const struct dns_envrec *);

#endif
