/* route.c: which environment a connection reaches and as whom, as a pure
 * function of the SSH user name, the dialled address and the user's
 * environments. Never logs. */
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "gateway/route.h"

int
route_parse_user(const char *ssh_user, struct route_user *out)
{
	struct route_user u;
	const char *sep, *suffix;
	size_t n;

	memset(&u, 0, sizeof(u));
	if ((sep = strchr(ssh_user, ROUTE_SEP)) == NULL) {
		if (!servconf_valid_user(ssh_user))
			return DG_ERR_INVAL;
		strcpy(u.login, ssh_user);
		*out = u;
		return 0;
	}
	n = (size_t)(sep - ssh_user);
	if (n == 0 || n > SERVCONF_USER_MAX)
		return DG_ERR_INVAL;
	memcpy(u.login, ssh_user, n);
	u.login[n] = '\0';
	if (!servconf_valid_user(u.login))
		return DG_ERR_INVAL;
	suffix = sep + 1;
	if (*suffix == ROUTE_EXACT) {
		suffix++;
		if (strlen(suffix) > SERVCONF_ENV_MAX)
			return DG_ERR_TOOBIG;
		if (!servconf_valid_env(suffix))
			return DG_ERR_INVAL;
		strcpy(u.env, suffix);
	} else {
		if (!servconf_valid_env(suffix))
			return strlen(suffix) > SERVCONF_ENV_MAX ?
			    DG_ERR_TOOBIG : DG_ERR_INVAL;
		/* The login may hold '.' or '_', which a DNS label may not. */
		if (n + 1 + strlen(suffix) > SERVCONF_ENV_MAX)
			return DG_ERR_TOOBIG;
		snprintf(u.env, sizeof(u.env), "%s-%s", u.login, suffix);
		if (!servconf_valid_env(u.env))
			return DG_ERR_INVAL;
	}
	*out = u;
	return 0;
}

int
route_needs_candidates(const struct route_input *in)
{
	return in->user->env[0] == '\0' && in->addr_env == NULL;
}

int
route_decide(const struct route_input *in, struct route_result *res)
{
	struct route_result r;
	const char *only = NULL;
	size_t i;

	memset(&r, 0, sizeof(r));
	if (in->addr_env != NULL) {
		if (in->user->env[0] != '\0' &&
		    strcmp(in->user->env, in->addr_env) != 0)
			return DG_ERR_CONFLICT;
		snprintf(r.env, sizeof(r.env), "%s", in->addr_env);
		r.how = ROUTE_BY_ADDRESS;
		*res = r;
		return 0;
	}
	if (in->user->env[0] != '\0') {
		snprintf(r.env, sizeof(r.env), "%s", in->user->env);
		r.how = ROUTE_BY_NAME;
		*res = r;
		return 0;
	}
	for (i = 0; i < in->ncandidates; i++) {
		if (in->candidates[i] == NULL || in->candidates[i][0] == '\0')
			continue;
		if (only == NULL)
			only = in->candidates[i];
		else if (strcmp(only, in->candidates[i]) != 0)
			return DG_ERR_CONFLICT;
	}
	if (only == NULL)
		return DG_ERR_NOTFOUND;
	snprintf(r.env, sizeof(r.env), "%s", only);
	r.how = ROUTE_BY_DEFAULT;
	*res = r;
	return 0;
}

void
route_refusal(int err, const struct route_user *u, const char *ssh_user,
    char *buf, size_t len)
{
	const char *login = u != NULL && u->login[0] != '\0' ? u->login :
	    "USER";

	switch (err) {
	case DG_ERR_INVAL:
	case DG_ERR_TOOBIG:
		snprintf(buf, len, "devgate: \"%.64s\" is not a valid user "
		    "name: use USER, USER+ENV (environment USER-ENV) or "
		    "USER+=ENVIRONMENT", ssh_user);
		break;
	case DG_ERR_NOTFOUND:
		snprintf(buf, len, "devgate: %s has no environment: connect "
		    "to an environment's address or use %s+ENV as user name",
		    login, login);
		break;
	case DG_ERR_CONFLICT:
		snprintf(buf, len, "devgate: which environment? Connect to an "
		    "environment's address or use %s+ENV (or %s+=NAME) as "
		    "user name", login, login);
		break;
	default:
		snprintf(buf, len, "devgate: cannot route this connection");
		break;
	}
}

const char *
route_how_name(enum route_how how)
{
	switch (how) {
	case ROUTE_BY_ADDRESS:
		return "address";
	case ROUTE_BY_NAME:
		return "user name";
	case ROUTE_BY_DEFAULT:
		return "default";
	}
	return "?";
}
