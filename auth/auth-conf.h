/* auth-conf.h: the auth area of the configuration (keyword table, struct
 * auth_config) and the Match criteria devgate understands. */
#ifndef DG_AUTH_CONF_H
#define DG_AUTH_CONF_H

#include <stddef.h>

#include "common/conf.h"

/* AllowTcpForwarding values (index into the keyword's names). */
enum auth_fwd_mode {
	AUTH_FWD_YES = 0,	/* "yes" */
	AUTH_FWD_ALL,		/* "all": same as yes */
	AUTH_FWD_NO,		/* "no" */
	AUTH_FWD_LOCAL,		/* "local": -L / direct-tcpip only */
	AUTH_FWD_REMOTE,	/* "remote": -R / tcpip-forward only */
};

/* PerSourcePenalties overflow behaviour. */
enum auth_overflow {
	AUTH_OVERFLOW_PERMISSIVE = 0,	/* evict the soonest-to-expire entry */
	AUTH_OVERFLOW_DENY_ALL,		/* refuse every source of the family */
};

/* PerSourcePenalties, as in OpenSSH 9.8 sshd_config(5), plus "delay". */
struct auth_penalty_conf {
	int	enabled;	/* "no" turns the whole feature off */
	int	crash;		/* seconds added when a session crashes a worker */
	int	authfail;	/* ... when a connection ends with failed auth */
	int	noauth;		/* ... when it ends without trying to auth */
	int	grace;		/* ... when it exceeds LoginGraceTime */
	int	max;		/* cap on the outstanding penalty, seconds */
	int	min;		/* refuse once the outstanding penalty exceeds */
	int	delay;		/* devgate: delay (ms) just below min; scales */
	int	max_sources4;	/* table size for IPv4 netblocks */
	int	max_sources6;	/* table size for IPv6 netblocks */
	int	overflow4;	/* enum auth_overflow */
	int	overflow6;	/* enum auth_overflow */
};

/*
 * Every field is set by the keyword named in its comment (defaults in
 * auth-conf.c and the README). "M" marks keywords allowed in a Match block.
 */
struct auth_config {
	/* Identity: keys. */
	struct conf_list authorized_keys_file;	/* AuthorizedKeysFile, M */
	char	*authorized_keys_url;		/* AuthorizedKeysURL */
	char	*authorized_keys_url_ca_file;	/* AuthorizedKeysURLCAFile */
	int	 authorized_keys_url_timeout;	/* AuthorizedKeysURLTimeout */
	long long authorized_keys_url_max_size;	/* AuthorizedKeysURLMaxSize */
	int	 authorized_keys_url_cache_ttl;	/* AuthorizedKeysURLCacheTTL */
	int	 authorized_keys_url_stale_ttl;	/* AuthorizedKeysURLStaleTTL */
	int	 authorized_keys_url_negative_ttl; /* ...URLNegativeTTL */
	int	 authorized_keys_url_cache_size;	/* ...URLCacheSize (users) */
	int	 authorized_keys_url_max_fetches;	/* ...URLMaxFetches */
	int	 strict_modes;			/* StrictModes */
	char	*permit_user_environment;	/* PermitUserEnvironment:
						   yes, no or a pattern list */
	int	 pubkey_authentication;		/* PubkeyAuthentication, M */

	/* Identity: certificates. */
	char	*trusted_user_ca_keys;		/* TrustedUserCAKeys */
	char	*authorized_principals_file;	/* AuthorizedPrincipalsFile, M */
	char	*revoked_keys;			/* RevokedKeys */
	char	*ca_signature_algorithms;	/* CASignatureAlgorithms */
	int	 certificate_clock_skew;	/* CertificateClockSkew, s */

	/* Identity: PAM and method sequencing. */
	int	 use_pam;			/* UsePAM */
	char	*pam_service_name;		/* PAMServiceName */
	int	 kbd_interactive;		/* KbdInteractiveAuthentication,
						   M */
	char	*authentication_methods;	/* AuthenticationMethods, M
						   (syntax-checked at load) */

	/* Authorization. */
	struct conf_list admin_users;		/* AdminUsers */
	struct conf_list admin_groups;		/* AdminGroup */
	int	 max_sessions;			/* MaxSessions, M */
	int	 permit_tty;			/* PermitTTY, M */
	int	 permit_shell;			/* PermitShell, M */
	int	 permit_exec;			/* PermitExec, M */
	int	 permit_sftp;			/* PermitSFTP, M */
	int	 allow_tcp_forwarding;		/* AllowTcpForwarding, M */
	int	 allow_agent_forwarding;	/* AllowAgentForwarding, M */
	int	 x11_forwarding;		/* X11Forwarding, M */
	int	 disable_forwarding;		/* DisableForwarding, M */
	struct conf_list permit_open;		/* PermitOpen, M */
	char	*force_command;			/* ForceCommand, M */

	/* Abuse and audit. */
	struct auth_penalty_conf penalties;	/* PerSourcePenalties */
	char	*penalty_exempt;		/* PerSourcePenaltyExemptList */
	char	*net_block_size;		/* PerSourceNetBlockSize v4:v6 */
	char	*audit_log;			/* AuditLog PATH|stdout|none */
};

extern const struct conf_table auth_conf_table;

/*
 * Match criteria, as in sshd_config(5): "User", "Group", "Address",
 * "LocalAddress", "LocalPort", "Environment" (devgate: the target
 * environment), each followed by a pattern list ("alice,b*,!bob"; Address
 * and LocalAddress also take CIDR: "10.0.0.0/8,!10.1.0.0/16"), and "All"
 * alone. Several criteria on one line must all match. Keywords are
 * case-insensitive.
 */

/* Load-time syntax check; register with conf_set_match_check(). */
int	 auth_match_check(int argc, char **criteria, char *err, size_t errlen);

/* What a connection looks like to Match. Strings are borrowed. */
struct auth_match_ctx {
	const char		*user;		/* login user (alice) */
	const char *const	*groups;	/* the user's groups; may be
						   NULL (no Group matches) */
	size_t			 ngroups;
	const char		*addr;		/* client address, text */
	const char		*laddr;		/* local address, text */
	int			 lport;		/* local port */
	const char		*env;		/* target environment; NULL
						   when not known yet (then
						   "Environment" never
						   matches) */
};

/* conf_match_eval_fn: ctx is a const struct auth_match_ctx *. Returns 1
 * match, 0 no match. */
int	 auth_match_eval(void *ctx, int argc, char **criteria);

/*
 * The effective configuration of one connection, as sshd computes it once
 * the user (and here the target environment) is known: copies every area
 * of c into copies[i] (zeroed structs, one per area, in c's order) and
 * applies the Match blocks that match m. copies MUST have c->nareas
 * entries; declare it as void *copies[CONF_MAX_AREAS] = { &gw_copy,
 * &auth_copy } so areas added later (dns) are NULL: a NULL entry is an
 * area the caller does not need, neither copied nor matched. Call again
 * with a fuller m (say, once the environment is known) after
 * auth_config_for_free(). Returns 0 or DG_ERR_* with err.
 */
int	 auth_config_for(const struct conf *c, const struct auth_match_ctx *m,
	    void *const *copies, char *err, size_t errlen);
/* Free what auth_config_for() put in copies (the structs stay). */
void	 auth_config_for_free(const struct conf *c, void *const *copies);

/* Copy and free one auth_config (deep). */
void	 auth_config_copy(struct auth_config *dst,
	    const struct auth_config *src);
void	 auth_config_free(struct auth_config *);

/* Parse "N:M" of PerSourceNetBlockSize (defaults 32 and 128). */
int	 auth_conf_netblock(const char *, int *bits4, int *bits6);

#endif
