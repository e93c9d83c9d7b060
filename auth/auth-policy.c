/* auth-policy.c: who may reach which environment and what they may do
 * there (channel kinds, MaxSessions, forwarding); pure decisions, the
 * caller logs. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/auth.h"
#include "auth/auth-match.h"
#include "common/err.h"

static const char *const auth_reach_names[] = {
	"missing", "forbidden", "owner", "member", "team", "admin"
};

const char *
auth_reach_name(enum auth_reach r)
{
	if ((unsigned)r >= sizeof(auth_reach_names) / sizeof(*auth_reach_names))
		return "unknown";
	return auth_reach_names[r];
}

static const char *const auth_chan_names[] = {
	"session", "shell", "exec", "sftp", "subsystem", "pty", "forward",
	"remote-forward", "agent", "x11", "env"
};

const char *
auth_chan_name(enum auth_chan c)
{
	if ((unsigned)c >= sizeof(auth_chan_names) / sizeof(*auth_chan_names))
		return "unknown";
	return auth_chan_names[c];
}

static const struct auth_config *
auth_policy_conf(const struct auth_config *conf, const struct auth_peer *p)
{
	return conf != NULL ? conf : p->conf;
}

/* Is name in the list (AdminUsers entries may be patterns)? */
static int
auth_policy_in_list(const struct conf_list *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (auth_match_pattern_list(name, l->v[i], 0) == 1)
			return 1;
	return 0;
}

static int
auth_policy_has_group(const struct auth_peer *p, const char *group)
{
	size_t i;

	if (p->groups == NULL)
		return 0;
	for (i = 0; i < p->ngroups; i++)
		if (p->groups[i] != NULL && strcmp(p->groups[i], group) == 0)
			return 1;
	return 0;
}

static int
auth_policy_is_admin(const struct auth_config *c, const struct auth_peer *p)
{
	size_t i;

	if (c == NULL)
		return 0;
	if (auth_policy_in_list(&c->admin_users, p->user))
		return 1;
	for (i = 0; i < c->admin_groups.n; i++)
		if (auth_policy_has_group(p, c->admin_groups.v[i]))
			return 1;
	return 0;
}

int
auth_may_reach(const struct auth_config *conf, const struct auth_peer *p,
    const struct auth_env_acl *acl, enum auth_reach *whyp)
{
	const struct auth_config *c = auth_policy_conf(conf, p);
	enum auth_reach why = AUTH_REACH_FORBIDDEN;
	size_t i;

	if (acl == NULL || acl->name == NULL) {
		why = AUTH_REACH_MISSING;
		goto out;
	}
	if (p->user == NULL || *p->user == '\0')
		goto out;
	if (acl->owner != NULL && strcmp(acl->owner, p->user) == 0) {
		why = AUTH_REACH_OWNER;
		goto out;
	}
	for (i = 0; acl->members != NULL && i < acl->nmembers; i++) {
		if (acl->members[i] != NULL &&
		    strcmp(acl->members[i], p->user) == 0) {
			why = AUTH_REACH_MEMBER;
			goto out;
		}
	}
	if (acl->team != NULL && *acl->team != '\0' &&
	    auth_policy_has_group(p, acl->team)) {
		why = AUTH_REACH_TEAM;
		goto out;
	}
	if (auth_policy_is_admin(c, p))
		why = AUTH_REACH_ADMIN;
out:
	if (whyp != NULL)
		*whyp = why;
	return why >= AUTH_REACH_OWNER ? 0 : DG_ERR_NOTFOUND;
}

static int
auth_policy_hostport_ok(const char *entry, const char *host, int port)
{
	char h[256];
	int p;

	if (auth_match_hostport(entry, h, sizeof(h), &p) != 0)
		return 0;
	if (p != -1 && p != port)
		return 0;
	return strcmp(h, "*") == 0 || strcasecmp(h, host) == 0;
}

static int
auth_policy_forward(const struct auth_config *c, const struct auth_grant *g,
    const struct auth_chan_req *req, const char **reasonp)
{
	size_t i;
	int ok;

	if (c->disable_forwarding) {
		*reasonp = "forwarding disabled (DisableForwarding)";
		return DG_ERR_DENIED;
	}
	if (req->kind == AUTH_CHAN_FORWARD ?
	    (c->allow_tcp_forwarding == AUTH_FWD_NO ||
	    c->allow_tcp_forwarding == AUTH_FWD_REMOTE) :
	    (c->allow_tcp_forwarding == AUTH_FWD_NO ||
	    c->allow_tcp_forwarding == AUTH_FWD_LOCAL)) {
		*reasonp = "port forwarding disabled (AllowTcpForwarding)";
		return DG_ERR_DENIED;
	}
	if (!(g->perms & AUTH_PERM_PORT_FWD)) {
		*reasonp = "port forwarding not permitted by the key or "
		    "certificate";
		return DG_ERR_DENIED;
	}
	if (req->kind != AUTH_CHAN_FORWARD)
		return 0;
	if (req->host == NULL || req->port < 0 || req->port > 65535) {
		*reasonp = "bad forward target";
		return DG_ERR_DENIED;
	}
	/* PermitOpen from the config ... */
	if (c->permit_open.n == 1 &&
	    strcasecmp(c->permit_open.v[0], "none") == 0) {
		*reasonp = "forwarding to any target refused (PermitOpen none)";
		return DG_ERR_DENIED;
	}
	if (!(c->permit_open.n == 0 || (c->permit_open.n == 1 &&
	    strcasecmp(c->permit_open.v[0], "any") == 0))) {
		for (ok = 0, i = 0; !ok && i < c->permit_open.n; i++)
			ok = auth_policy_hostport_ok(c->permit_open.v[i],
			    req->host, req->port);
		if (!ok) {
			*reasonp = "forward target not in PermitOpen";
			return DG_ERR_DENIED;
		}
	}
	/* ... and permitopen= from the key: both must allow. */
	if (g->npermitopen > 0) {
		for (ok = 0, i = 0; !ok && i < g->npermitopen; i++)
			ok = auth_policy_hostport_ok(g->permitopen[i],
			    req->host, req->port);
		if (!ok) {
			*reasonp = "forward target not in the key's permitopen";
			return DG_ERR_DENIED;
		}
	}
	return 0;
}

int
auth_may_open(const struct auth_config *conf, const struct auth_peer *p,
    const struct auth_grant *g, const struct auth_env_acl *acl,
    const struct auth_chan_req *req, const char **reasonp)
{
	const struct auth_config *c = auth_policy_conf(conf, p);
	const char *reason = NULL;
	int64_t now;
	int r;

	if ((r = auth_may_reach(c, p, acl, NULL)) != 0) {
		reason = "no such environment";
		goto out;
	}
	r = DG_ERR_DENIED;
	if (c == NULL) {
		reason = "no configuration";
		goto out;
	}
	if (g == NULL) {
		r = DG_ERR_AUTH;
		reason = "not authenticated";
		goto out;
	}
	now = req->now != 0 ? req->now : (int64_t)time(NULL);
	if (g->expiry != 0 && now >= g->expiry) {
		r = DG_ERR_EXPIRED;
		reason = "the key or certificate of this login has expired";
		goto out;
	}
	switch (req->kind) {
	case AUTH_CHAN_SESSION:
		if (req->nsessions >= c->max_sessions) {
			r = DG_ERR_LIMIT;
			reason = "too many sessions (MaxSessions)";
			goto out;
		}
		break;
	case AUTH_CHAN_SHELL:
		if (!c->permit_shell) {
			reason = "shell sessions not permitted (PermitShell)";
			goto out;
		}
		break;
	case AUTH_CHAN_EXEC:
		if (!c->permit_exec) {
			reason = "commands not permitted (PermitExec)";
			goto out;
		}
		break;
	case AUTH_CHAN_SFTP:
		if (!c->permit_sftp) {
			reason = "SFTP not permitted (PermitSFTP)";
			goto out;
		}
		break;
	case AUTH_CHAN_SUBSYSTEM:
		reason = "unknown subsystem";
		goto out;
	case AUTH_CHAN_PTY:
		if (!c->permit_tty) {
			reason = "terminal not permitted (PermitTTY)";
			goto out;
		}
		if (!(g->perms & AUTH_PERM_PTY)) {
			reason = "terminal not permitted by the key or "
			    "certificate";
			goto out;
		}
		break;
	case AUTH_CHAN_FORWARD:
	case AUTH_CHAN_REMOTE_FORWARD:
		if ((r = auth_policy_forward(c, g, req, &reason)) != 0)
			goto out;
		break;
	case AUTH_CHAN_AGENT:
		if (c->disable_forwarding || !c->allow_agent_forwarding) {
			reason = "agent forwarding disabled "
			    "(AllowAgentForwarding)";
			goto out;
		}
		if (!(g->perms & AUTH_PERM_AGENT_FWD)) {
			reason = "agent forwarding not permitted by the key or "
			    "certificate";
			goto out;
		}
		break;
	case AUTH_CHAN_X11:
		if (c->disable_forwarding || !c->x11_forwarding) {
			reason = "X11 forwarding disabled (X11Forwarding)";
			goto out;
		}
		if (!(g->perms & AUTH_PERM_X11_FWD)) {
			reason = "X11 forwarding not permitted by the key or "
			    "certificate";
			goto out;
		}
		break;
	case AUTH_CHAN_ENV:
		break;
	default:
		reason = "unknown request";
		goto out;
	}
	r = 0;
out:
	if (reasonp != NULL)
		*reasonp = r == 0 ? NULL : reason;
	return r;
}

const char *
auth_forced_command(const struct auth_config *conf,
    const struct auth_grant *g)
{
	if (conf != NULL && conf->force_command != NULL)
		return conf->force_command;
	if (g != NULL && g->force_command != NULL)
		return g->force_command;
	return NULL;
}
