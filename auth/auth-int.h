/* auth-int.h: what the files of auth/ share inside the library: the
 * context, pending operations and their delivery on the loop. */
#ifndef DG_AUTH_INT_H
#define DG_AUTH_INT_H

#include "auth/auth.h"

struct auditlog;
struct auth_cas;
struct auth_krl;
struct auth_keysrv;
struct auth_keysrv_req;
struct auth_groups_job;
struct auth_pam_job;
struct auth_pk;

/* A deep copy of a peer; view points into it. */
struct auth_peer_copy {
	struct auth_peer	 view;
	char			*session, *user, *env, *addr, *laddr;
	char		       **groups;
	size_t			 ngroups;
};

void	 auth_peer_copy(struct auth_peer_copy *, const struct auth_peer *);
void	 auth_peer_clear(struct auth_peer_copy *);

struct auth_ctx {
	struct loop		*loop;		/* not owned */
	struct auth_config	 conf;		/* deep copy */
	struct auth_cas		*cas;		/* TrustedUserCAKeys */
	struct auth_krl		*krl;		/* RevokedKeys */
	struct auth_keysrv	*keysrv;	/* AuthorizedKeysURL cache */
	struct auth_penalty	*penalty;
	int			 penalty_own;	/* created here, freed here */
	struct auditlog		*audit;
	struct auth_op		*ops;		/* pending */
	struct auth_kbdint	*kbs;		/* live conversations */
	struct auth_groups_job	*gjobs;		/* group lookups running */
	int			 ngjobs;
	struct auth_op		*gwait;		/* group lookups waiting for
						   a thread, FIFO */
	struct auth_op	       **gwait_tail;
};

enum auth_op_kind {
	AUTH_OP_PUBKEY = 0,
	AUTH_OP_PAM_ACCOUNT,
	AUTH_OP_GROUPS,
};

struct auth_op {
	struct auth_ctx		*ctx;		/* parent; NULL once cancelled */
	enum auth_op_kind	 kind;
	struct auth_peer_copy	 peer;
	int			 queued;	/* a delivery is in loop_defer */
	int			 cancelled;

	/* publickey */
	char			*algo;
	unsigned char		*blob;
	size_t			 bloblen;
	int			 verified;
	auth_pubkey_cb		*pk_cb;
	struct auth_pk		*pk;		/* auth-pubkey.c state */

	/* PAM */
	auth_done_cb		*done_cb;
	struct auth_pam_job	*pam;

	/* groups */
	auth_groups_cb		*groups_cb;
	struct auth_groups_job	*gjob;		/* its thread, if running */
	int			 gwaiting;	/* in ctx->gwait */
	struct auth_op		*gnext;		/* ctx->gwait */
	char		       **groups;
	size_t			 ngroups;

	void			*arg;

	/* result */
	int			 result;
	struct auth_grant	*grant;
	char			 reason[512];

	struct auth_op		*next, **prevp;
};

struct auth_op *auth_op_new(struct auth_ctx *, enum auth_op_kind,
	    const struct auth_peer *);
/* Record the result and deliver it from the loop (never inline). */
void	 auth_op_finish(struct auth_op *, int result, struct auth_grant *,
	    const char *reasonfmt, ...) __attribute__((format(printf, 4, 5)));

/* The effective config of an op's peer. */
const struct auth_config *auth_op_conf(const struct auth_op *);

/* Publickey checks (auth-pubkey.c). */
void	 auth_pubkey_start(struct auth_op *);
void	 auth_pubkey_cancel(struct auth_op *);
void	 auth_pubkey_cleanup(struct auth_op *);

/* Group lookups (auth-groups.c). */
void	 auth_groups_start(struct auth_op *);
void	 auth_groups_cancel(struct auth_op *);
void	 auth_groups_ctx_gone(struct auth_ctx *);
/* Lookups whose thread has not been answered on a loop yet (tests). */
int	 auth_groups_live(void);

/* PAM (auth-pam.c). */
int	 auth_pam_account_start(struct auth_op *);
void	 auth_pam_cancel(struct auth_op *);
void	 auth_kbdint_ctx_gone(struct auth_kbdint *);

/* Audit helpers (auth.c). */
void	 auth_audit_auth(struct auth_ctx *, const struct auth_peer *,
	    const char *method, const char *stage, const struct auth_grant *,
	    const char *key_type, const char *fingerprint, int result,
	    const char *reason);

#endif
