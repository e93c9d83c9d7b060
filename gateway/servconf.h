/* servconf.h: the gateway area of the configuration (keyword table and
 * struct), and the combined config of every area (gateway, auth, dns). */
#ifndef DG_SERVCONF_H
#define DG_SERVCONF_H

#include <stddef.h>
#include <stdio.h>

#include "common/conf.h"

#define SERVCONF_DEFAULT_PORT	22
#define SERVCONF_ENV_MAX	63	/* environment name: one DNS label */
#define SERVCONF_USER_MAX	32	/* user name, as useradd's limit */

/* One ListenAddress: a numeric address and a port. */
struct listen_addr {
	char	host[46];	/* numeric IPv4 or IPv6, no brackets */
	int	port;		/* 0 until resolved from Port */
};

struct listen_list {
	struct listen_addr *v;
	size_t		    n;
};

/* MaxStartups start:rate:full, as sshd. */
struct maxstartups {
	int	start;		/* below this many: accept all */
	int	rate;		/* percent refused at start */
	int	full;		/* at this many: refuse all */
};

/* EnvironmentAddress NAME ADDRESS. */
struct env_address {
	char	env[SERVCONF_ENV_MAX + 1];
	char	addr[46];	/* numeric, canonical text */
};

struct env_address_list {
	struct env_address *v;
	size_t		    n;
};

/* Environment NAME owner=USER [members=a,b] [team=T] [profile=P]. */
struct env_def {
	char	env[SERVCONF_ENV_MAX + 1];
	char	owner[SERVCONF_USER_MAX + 1];
	char	team[SERVCONF_ENV_MAX + 1];	/* "" if none */
	char	profile[SERVCONF_ENV_MAX + 1];	/* "" if none */
	char  **members;			/* NULL-ended, or NULL */
	size_t	nmembers;
};

struct env_def_list {
	struct env_def *v;
	size_t		n;
};

enum hostkey_type {
	HOSTKEY_ED25519 = 0,
	HOSTKEY_ECDSA,
	HOSTKEY_RSA,
};

enum log_format_kw {
	SERVCONF_LOG_TEXT = 0,
	SERVCONF_LOG_JSON,
};

struct gateway_config {
	struct listen_list	 listen;	/* ListenAddress */
	int			 port;		/* Port */
	struct conf_list	 hostkeys;	/* HostKey */
	int			 hostkey_type;	/* HostKeyType, for new keys */
	char			*state_dir;	/* StateDirectory */
	char			*pid_file;	/* PidFile */
	char			*kubeconfig;	/* Kubeconfig; NULL: in-cluster
						   or $KUBECONFIG */
	char			*namespace;	/* Namespace; NULL: the
						   kubeconfig's */
	char			*container;	/* Container; NULL: default */
	int			 login_grace;	/* LoginGraceTime, seconds */
	int			 max_auth_tries;	/* MaxAuthTries */
	struct maxstartups	 maxstartups;	/* MaxStartups */
	int			 alive_interval;	/* ClientAlive-
						   Interval */
	int			 alive_count;	/* ClientAliveCountMax */
	int			 log_level;	/* LogLevel (enum log_level) */
	int			 log_format;	/* LogFormat */
	int			 workers;	/* Workers; 0: one per CPU */
	int			 shutdown_grace;	/* ShutdownGraceTime */
	int			 max_sessions;	/* MaxWorkerSessions */
	int			 stream_timeout;	/* StreamConnect-
						   Timeout */
	struct conf_list	 accept_env;	/* AcceptEnv patterns */
	struct env_address_list	 env_addrs;	/* EnvironmentAddress */
	struct env_def_list	 envs;		/* Environment */
};

extern const struct conf_table gateway_conf_table;

/* Every area of devgate's configuration in one struct conf. Never copy it
 * by value: the conf engine points into it. */
struct auth_config;

struct servconf {
	struct conf		 conf;
	struct gateway_config	 gw;
	struct auth_config	*auth;	/* the auth area (auth-conf.h) */
	void			*dns;	/* struct dns_config, when built */
	char			*path;	/* the file read, or NULL: embedded */
};

/* The embedded default configuration (used when no -f is given). */
extern const char servconf_embedded[];

/* Load a file (path != NULL) or the embedded default (path == NULL),
 * apply defaults and check the whole; err gets "file:line: reason". */
int	 servconf_load(struct servconf *, const char *path, char *err,
	    size_t errlen);
/* Same, from a string (tests). */
int	 servconf_load_string(struct servconf *, const char *name,
	    const char *text, char *err, size_t errlen);
void	 servconf_free(struct servconf *);
/* -T: every effective setting of every area. */
void	 servconf_dump(const struct servconf *, FILE *);

/* Parsers shared with tests and fuzz targets. */
int	 servconf_parse_listen(const char *, struct listen_addr *);
int	 servconf_parse_maxstartups(const char *, struct maxstartups *);
/* An environment name: a lowercase DNS label, 1-63 chars. */
int	 servconf_valid_env(const char *);
/* A user name: [a-z_][a-z0-9_.-]*, at most 32 chars. */
int	 servconf_valid_user(const char *);
/* Does name match an AcceptEnv pattern list (shell-style * and ?). */
int	 servconf_accept_env(const struct conf_list *, const char *name);
/* Print a listen address as host:port, [v6]:port. */
void	 servconf_format_listen(const struct listen_addr *, char *, size_t);
/* Expand a leading "~/" with $HOME; returns a new string. */
char	*servconf_expand_path(const char *);

#endif
