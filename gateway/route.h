/* route.h: which environment a connection reaches and as whom, as a pure
 * function of the SSH user name, the dialled address and the user's
 * environments (design.md section 4). */
#ifndef DG_ROUTE_H
#define DG_ROUTE_H

#include <stddef.h>

#include "gateway/servconf.h"

/* "alice+gpu": environment alice-gpu acting as alice. */
#define ROUTE_SEP	'+'
/* "alice+=ml-shared": environment ml-shared (not prefixed) as alice. */
#define ROUTE_EXACT	'='

struct route_user {
	char	login[SERVCONF_USER_MAX + 1];	/* who acts: alice */
	char	env[SERVCONF_ENV_MAX + 1];	/* named env, "" if none */
};

/* Split an SSH user name. DG_ERR_INVAL: not a valid user name or env
 * suffix; DG_ERR_TOOBIG: the environment name would exceed 63. */
int	 route_parse_user(const char *ssh_user, struct route_user *);

enum route_how {
	ROUTE_BY_ADDRESS = 1,	/* the local address the client dialled */
	ROUTE_BY_NAME,		/* user+env */
	ROUTE_BY_DEFAULT,	/* the user's only environment */
};

struct route_input {
	const struct route_user	 *user;
	const char		 *addr_env;	/* env of the dialled
						   address, or NULL */
	const char *const	 *candidates;	/* the user's environments */
	size_t			  ncandidates;	/* (duplicates allowed) */
};

struct route_result {
	char		env[SERVCONF_ENV_MAX + 1];
	enum route_how	how;
};

/* Do we need the user's environments (candidates) to decide? */
int	 route_needs_candidates(const struct route_input *);
/* 0 and *res; DG_ERR_NOTFOUND: the user has no environment;
 * DG_ERR_CONFLICT: several and none named, or the name and the address
 * disagree. */
int	 route_decide(const struct route_input *, struct route_result *);
/* The one line a client sees for a routing failure (err from
 * route_parse_user or route_decide); user may be NULL. */
void	 route_refusal(int err, const struct route_user *, const char *ssh_user,
	    char *buf, size_t len);
const char *route_how_name(enum route_how);

#endif
