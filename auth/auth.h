/* auth.h: what the gateway calls to learn who a user is (keys, certificates,
 * PAM) and what they may reach (environments, channels), plus penalties per
 * source and the audit log. One struct auth_ctx per worker process. */
#ifndef DG_AUTH_H
#define DG_AUTH_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "auth/auth-conf.h"

struct loop;
struct auth_ctx;
struct auth_op;		/* a pending check; cancellable until it calls back */
struct auth_kbdint;	/* a keyboard-interactive (PAM) conversation */
struct auth_penalty;	/* per-source penalty table (may be shared) */
struct http_resolver;	/* common/http.h */

/*
 * Rules for every asynchronous call below:
 * - Callbacks run on the loop thread and NEVER before the call returns,
 *   even when the answer is known at once (it is delivered through
 *   loop_defer before the loop next sleeps). So a call that returns 0 has
 *   always set *opp, and the caller may store it before the callback.
 * - A call that returns a negative DG_ERR_* does not call back.
 * - auth_op_cancel(op) before the callback: no callback ever follows. After
 *   the callback the op is gone; do not cancel it.
 * - The peer and its strings are copied; the caller may free them.
 */

/* Who is asking: passed into every check, copied. */
struct auth_peer {
	const char		*session;	/* "s42", for logs and audit */
	const char		*user;		/* login user, already split
						   from "alice+gpu" */
	const char *const	*groups;	/* the user's groups (from
						   auth_user_groups); NULL:
						   none */
	size_t			 ngroups;
	const char		*env;		/* target environment; NULL
						   when not known */
	const char		*addr;		/* client address, text */
	int			 port;		/* client port */
	const char		*laddr;		/* local address, text */
	int			 lport;		/* local port */
	const struct auth_config *conf;	/* effective config of this
						   connection (auth_config_for);
						   NULL: the ctx's global one.
						   Borrowed: must outlive the
						   call's op */
};

enum auth_method {
	AUTH_METHOD_NONE = 0,
	AUTH_METHOD_PUBLICKEY,
	AUTH_METHOD_KBDINT,		/* keyboard-interactive via PAM */
};

/* Grant permissions (bits of auth_grant.perms). */
#define AUTH_PERM_PTY		0x01	/* pty-req */
#define AUTH_PERM_PORT_FWD	0x02	/* -L / -R / direct-tcpip */
#define AUTH_PERM_AGENT_FWD	0x04	/* auth-agent-req@openssh.com */
#define AUTH_PERM_X11_FWD	0x08	/* x11-req */
#define AUTH_PERM_USER_RC	0x10	/* ~/.ssh/rc (devgate never runs it) */
#define AUTH_PERM_ALL		0x1f

/*
 * What one successful check allows. Owned by whoever receives it; free
 * with auth_grant_free(). Restrictions from key options and certificate
 * extensions are already folded in; from= / source-address are already
 * enforced (a mismatch is a refusal, never a grant).
 */
struct auth_grant {
	enum auth_method method;
	char	 key_type[64];		/* "ssh-ed25519-cert-v01@openssh.com" */
	char	 fingerprint[64];	/* "SHA256:..." of the key itself (for a
					   certificate: of the certified key) */
	int	 is_cert;
	char	*cert_key_id;		/* certificate key id, or NULL */
	uint64_t cert_serial;
	char	 ca_fingerprint[64];	/* SHA256 of the signing CA, or "" */
	char	*cert_principal;	/* the principal that matched, or NULL */
	char	*source;		/* where the key was found:
					   "/etc/devgate/keys/alice:3",
					   "https://keys.corp/alice.keys:2",
					   "TrustedUserCAKeys" */
	char	*force_command;		/* key command= or certificate
					   force-command; NULL: none */
	unsigned perms;			/* AUTH_PERM_* */
	char   **permitopen;		/* "host:port" from permitopen=; NULL
					   (n = 0): no restriction */
	size_t	 npermitopen;
	char   **environment;		/* "NAME=value" from environment=
					   (only when PermitUserEnvironment
					   allows it) */
	size_t	 nenvironment;
	int64_t	 expiry;		/* unix seconds after which the grant is
					   void (expiry-time=, certificate
					   valid before); 0: none */
};

void	 auth_grant_free(struct auth_grant *);
struct auth_grant *auth_grant_dup(const struct auth_grant *);

/*
 * Context.
 */

/* One per worker process: key server cache, CA keys, revocation list,
 * penalty table, audit sink. The config is copied. Returns NULL with err
 * when a file named by the config cannot be loaded. */
struct auth_ctx *auth_ctx_new(struct loop *, const struct auth_config *,
	    char *err, size_t errlen);
/* Cancels pending ops (no callbacks), frees everything it owns. */
void	 auth_ctx_free(struct auth_ctx *);
/* Apply a new config (SIGHUP): CA keys, revocation list and audit sink are
 * reloaded; the key server cache is kept when the URL is unchanged; the
 * penalty table is kept (new amounts apply, its size does not change).
 * On error nothing changes. */
int	 auth_ctx_reload(struct auth_ctx *, const struct auth_config *,
	    char *err, size_t errlen);
/* The global (not per-connection) config the ctx uses. */
const struct auth_config *auth_ctx_config(const struct auth_ctx *);
/* How the key server's host name is resolved (copied; NULL: libcurl's
 * own resolver). The gateway installs c-ares on its loop so that no
 * lookup ever blocks it; auth/ itself knows nothing of DNS. */
void	 auth_ctx_set_resolver(struct auth_ctx *,
	    const struct http_resolver *);

/*
 * Public keys and certificates.
 */

/*
 * result: 0 with a grant (owned by the callee), or a negative DG_ERR_* with
 * grant NULL and reason (always set; for the log: "key not in
 * /etc/devgate/keys/alice or https://keys.corp/alice.keys", "certificate
 * expired at 2024-05-01T10:00:00Z", ...). Codes: DG_ERR_AUTH not authorized,
 * DG_ERR_EXPIRED, DG_ERR_REVOKED, DG_ERR_DENIED (from=, source-address,
 * key option that cannot be honoured), DG_ERR_CRYPTO (bad CA signature),
 * DG_ERR_INVAL (malformed blob), DG_ERR_UNAVAIL (key server down, no cache).
 */
typedef void auth_pubkey_cb(void *arg, int result, struct auth_grant *grant,
    const char *reason);

/*
 * May peer->user log in with this key? algo is the algorithm name from the
 * userauth request ("ssh-ed25519", "rsa-sha2-512",
 * "ssh-ed25519-cert-v01@openssh.com"); blob is the public key blob from the
 * request (raw, as on the wire). signature_verified 0 is the "would you
 * accept this key?" query (answer with PK_OK on success); 1 means libssh has
 * verified the signature, and the answer is audited. Both run the same
 * checks. Plain keys: AuthorizedKeysFile(s), then AuthorizedKeysURL (cached,
 * stale-served when the server is down). Certificates: TrustedUserCAKeys
 * (or a cert-authority line in the user's keys), principals, validity,
 * RevokedKeys, critical options, extensions.
 */
int	 auth_publickey(struct auth_ctx *, const struct auth_peer *,
	    const char *algo, const unsigned char *blob, size_t len,
	    int signature_verified, auth_pubkey_cb *, void *arg,
	    struct auth_op **opp);

/* Abort a pending op: no callback follows. NULL is fine. */
void	 auth_op_cancel(struct auth_op *);

/*
 * PAM (UsePAM yes). PAM always runs in a helper thread; results come back
 * through loop_post. pam_start(PAMServiceName, user); PAM_RHOST is the
 * client address; PAM_RUSER the user.
 */

typedef void auth_done_cb(void *arg, int result, const char *reason);

/* pam_acct_mgmt for peer->user: run it on every login that did not go
 * through auth_kbdint (which runs it itself). result 0, or DG_ERR_DENIED
 * (expired, locked, refused by the stack) with the PAM reason. With UsePAM
 * no: always 0. */
int	 auth_pam_account(struct auth_ctx *, const struct auth_peer *,
	    auth_done_cb *, void *arg, struct auth_op **opp);

/* One round of prompts: exactly what ssh_message_auth_interactive_request
 * takes. Valid during the callback only. */
struct auth_prompts {
	const char		*name;
	const char		*instruction;
	unsigned		 n;
	const char *const	*prompts;
	const char		*echo;		/* n flags, 1 = echo input */
};
typedef void auth_prompt_cb(void *arg, const struct auth_prompts *);

/*
 * Keyboard-interactive through PAM: pam_authenticate with a conversation
 * that hands each batch of prompts to prompt_cb and waits for
 * auth_kbdint_answer(), then pam_acct_mgmt. done_cb runs once with 0 or
 * DG_ERR_AUTH / DG_ERR_DENIED and a reason; after it, or to cancel at any
 * time (no callback follows), call auth_kbdint_free(). PAM_TEXT_INFO and
 * PAM_ERROR_MSG lines are passed as the instruction of the next prompt
 * round (or of an empty round when PAM ends without prompting again).
 * Refused with DG_ERR_NOTSUP when UsePAM or KbdInteractiveAuthentication
 * is off. The attempt is audited.
 */
int	 auth_kbdint_start(struct auth_ctx *, const struct auth_peer *,
	    auth_prompt_cb *, auth_done_cb *, void *arg,
	    struct auth_kbdint **kbp);
/* Answers to the last prompts (copied, then wiped): n must match. */
int	 auth_kbdint_answer(struct auth_kbdint *, unsigned n,
	    const char *const *answers);
void	 auth_kbdint_free(struct auth_kbdint *);

/*
 * AuthenticationMethods (sshd syntax): "any", or space-separated lists
 * of comma-separated methods ("publickey,keyboard-interactive publickey,
 * publickey"). One struct per connection, from the effective config.
 */
struct auth_methods;

enum auth_methods_state {
	AUTH_METHODS_DONE = 0,		/* authenticated: reply success */
	AUTH_METHODS_PARTIAL,		/* reply failure with partial success
					   and advertise next */
	AUTH_METHODS_DENIED,		/* this method is not allowed now */
};

/* spec NULL or "any": any one method completes authentication. */
int	 auth_methods_new(const char *spec, struct auth_methods **mp,
	    char *err, size_t errlen);
void	 auth_methods_free(struct auth_methods *);
/* Syntax check of an AuthenticationMethods value. */
int	 auth_methods_valid(const char *spec, char *err, size_t errlen);
/* May this method ("publickey", "keyboard-interactive") be tried now? */
int	 auth_methods_allowed(const struct auth_methods *, const char *method);
/* The method succeeded: DONE, PARTIAL, or DENIED if it was not allowed. */
enum auth_methods_state auth_methods_complete(struct auth_methods *,
	    const char *method);
/* Comma-separated methods to advertise now ("publickey,keyboard-
 * interactive"), limited to those in enabled (a comma list of what the
 * server supports, e.g. from PubkeyAuthentication/UsePAM). */
void	 auth_methods_next(const struct auth_methods *, const char *enabled,
	    char *buf, size_t len);
/* Methods completed so far, comma-separated, for the log and audit. */
const char *auth_methods_done(const struct auth_methods *);

/*
 * Authorization: pure decisions (no logging, no I/O); the caller logs.
 */

/* An environment's access list, from the gateway's environment directory
 * (later the DNS registry). Strings are borrowed. */
struct auth_env_acl {
	const char		*name;		/* alice-gpu */
	const char		*owner;		/* alice */
	const char *const	*members;	/* extra users; may be NULL */
	size_t			 nmembers;
	const char		*team;		/* a Unix group (NSS); members
						   of it may reach the env */
};

/* Why a user may (or may not) reach an environment. */
enum auth_reach {
	AUTH_REACH_MISSING = 0,	/* no such environment */
	AUTH_REACH_FORBIDDEN,	/* exists, but not this user's */
	AUTH_REACH_OWNER,
	AUTH_REACH_MEMBER,
	AUTH_REACH_TEAM,
	AUTH_REACH_ADMIN,	/* AdminUsers or AdminGroup */
};
const char *auth_reach_name(enum auth_reach);

/*
 * May peer->user (with peer->groups) reach acl? acl NULL means the
 * environment does not exist. Returns 0, or DG_ERR_NOTFOUND for BOTH a
 * missing and a forbidden environment, so that the natural reply is "no
 * such environment" and names never leak; *whyp (may be NULL) tells the
 * log which. conf NULL: peer->conf.
 */
int	 auth_may_reach(const struct auth_config *conf,
	    const struct auth_peer *peer, const struct auth_env_acl *acl,
	    enum auth_reach *whyp);

/* What a channel open or channel request wants. */
enum auth_chan {
	AUTH_CHAN_SESSION = 0,	/* "session" channel open (MaxSessions) */
	AUTH_CHAN_SHELL,	/* shell request */
	AUTH_CHAN_EXEC,		/* exec request */
	AUTH_CHAN_SFTP,		/* subsystem sftp */
	AUTH_CHAN_SUBSYSTEM,	/* any other subsystem: refused */
	AUTH_CHAN_PTY,		/* pty-req */
	AUTH_CHAN_FORWARD,	/* direct-tcpip (-L, -J, -D) */
	AUTH_CHAN_REMOTE_FORWARD, /* tcpip-forward (-R) */
	AUTH_CHAN_AGENT,	/* auth-agent-req@openssh.com */
	AUTH_CHAN_X11,		/* x11-req */
	AUTH_CHAN_ENV,		/* env request: host = NAME (AcceptEnv is the
				   gateway's; this only checks nothing
				   forbids it) */
};
const char *auth_chan_name(enum auth_chan);

struct auth_chan_req {
	enum auth_chan	 kind;
	const char	*host;		/* AUTH_CHAN_FORWARD: target host */
	int		 port;		/* AUTH_CHAN_FORWARD: target port */
	int		 nsessions;	/* session channels already open on
					   this connection (for MaxSessions) */
	int64_t		 now;		/* unix seconds; 0: time(NULL) */
};

/*
 * May the authenticated peer do req in environment acl, given the grant of
 * its login? Order: environment reachable (else DG_ERR_NOTFOUND, as
 * auth_may_reach), grant not expired (DG_ERR_EXPIRED), MaxSessions
 * (DG_ERR_LIMIT), then the kind: PermitShell/PermitExec/PermitSFTP,
 * PermitTTY and the grant's pty permission, AllowTcpForwarding /
 * DisableForwarding / PermitOpen and the grant's port-forwarding and
 * permitopen list, AllowAgentForwarding and the grant's agent permission,
 * X11Forwarding (DG_ERR_DENIED). *reasonp (may be NULL) gets a static
 * English reason on refusal. conf NULL: peer->conf.
 */
int	 auth_may_open(const struct auth_config *conf,
	    const struct auth_peer *peer, const struct auth_grant *grant,
	    const struct auth_env_acl *acl, const struct auth_chan_req *req,
	    const char **reasonp);

/* The command that replaces what the client asked to run (exec, shell and
 * subsystem alike, as sshd does): ForceCommand from the config first, then
 * the grant's (key command= / certificate force-command). NULL: none. The
 * gateway puts the original command in SSH_ORIGINAL_COMMAND. */
const char *auth_forced_command(const struct auth_config *conf,
	    const struct auth_grant *grant);

/* The groups of user from NSS (getpwnam + getgrouplist + getgrgid), so
 * tests can use nss_wrapper. Blocks as long as NSS does (LDAP, sssd):
 * never on the loop, use auth_user_groups_start() there. Returns 0
 * (possibly n = 0 for an unknown user) or DG_ERR_*. Free with
 * auth_user_groups_free(). */
int	 auth_user_groups(const char *user, char ***groupsp, size_t *np);
void	 auth_user_groups_free(char **groups, size_t n);

/* result 0: groups (n may be 0; owned by the callee, free with
 * auth_user_groups_free), or a DG_ERR_* with the reason. */
typedef void auth_groups_cb(void *arg, int result, char **groups, size_t n,
    const char *reason);
/* auth_user_groups() on a helper thread (at most AUTH_GROUPS_THREADS at
 * once per ctx, the rest wait their turn), answered on the loop; the
 * rules of the asynchronous calls above. */
#define AUTH_GROUPS_THREADS	16
int	 auth_user_groups_start(struct auth_ctx *, const char *user,
	    auth_groups_cb *, void *arg, struct auth_op **opp);

/*
 * Penalties per source address (PerSourcePenalties). The table has a fixed
 * size (max-sources4 + max-sources6 entries) whatever the number of
 * sources. Create it in the supervisor BEFORE forking workers with
 * auth_penalty_new(conf, 1) to share it between workers (MAP_SHARED memory
 * with a process-shared robust mutex) and hand it to each worker's ctx with
 * auth_ctx_set_penalty(); a ctx without one creates a private table.
 */
enum auth_penalty_event {
	AUTH_PENALTY_AUTHFAIL = 0,	/* connection ended, auth attempted
					   but never succeeded */
	AUTH_PENALTY_NOAUTH,		/* connection ended without any auth
					   attempt */
	AUTH_PENALTY_GRACE,		/* LoginGraceTime exceeded */
	AUTH_PENALTY_CRASH,		/* the session crashed its worker */
	AUTH_PENALTY_SUCCESS,		/* authenticated: nothing is added */
};

struct auth_penalty *auth_penalty_new(const struct auth_config *,
	    int shared);
void	 auth_penalty_free(struct auth_penalty *);
void	 auth_ctx_set_penalty(struct auth_ctx *, struct auth_penalty *);

/* On accept: 0 (proceed; when *delay_msp > 0, wait that long before
 * starting the SSH exchange — the delay grows as the source's penalty
 * nears the refusal threshold) or DG_ERR_DENIED (close now; *reasonp says
 * why, for the log). Exempt and unpenalised sources: 0 with no delay. */
int	 auth_penalty_check(struct auth_ctx *, const struct sockaddr *,
	    socklen_t, unsigned *delay_msp, const char **reasonp);
/* When a connection ends (or the grace timer fires). */
void	 auth_penalty_record(struct auth_ctx *, const struct sockaddr *,
	    socklen_t, enum auth_penalty_event);

/*
 * Audit (AuditLog). Authentication decisions of auth_publickey (with
 * signature_verified), auth_pam_account and auth_kbdint are written by
 * auth/ itself; the gateway reports the overall login result and sessions.
 * One JSON object per line; see the README for the fields.
 */

/* The login as a whole: success (methods e.g. "publickey,keyboard-
 * interactive"), or failure with a reason ("too many authentication
 * failures", "disconnected", "login grace time exceeded"). */
void	 auth_audit_login(struct auth_ctx *, const struct auth_peer *,
	    const struct auth_grant *, int success, const char *methods,
	    const char *reason);
/* Whether the user may reach the environment (after auth_may_reach):
 * "reach" with decision accept (and how: owner, member, team, admin) or
 * refuse (missing, forbidden). env is the name the user asked for. */
void	 auth_audit_reach(struct auth_ctx *, const struct auth_peer *,
	    const char *env, enum auth_reach why);
/* A channel was opened (kind, e.g. AUTH_CHAN_SHELL, with the command or
 * forward target as detail) or refused (reason non-NULL). */
void	 auth_audit_channel_open(struct auth_ctx *, const struct auth_peer *,
	    int channel, enum auth_chan, const char *detail,
	    const char *refused_reason);
/* A channel closed: bytes in (client to environment) and out, duration,
 * exit status (-1 unknown). */
void	 auth_audit_channel_close(struct auth_ctx *, const struct auth_peer *,
	    int channel, enum auth_chan, uint64_t bytes_in, uint64_t bytes_out,
	    uint64_t duration_ms, int exit_status);

#endif
