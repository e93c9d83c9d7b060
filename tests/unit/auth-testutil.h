/* auth-testutil.h: helpers shared by the auth/ unit tests: a temp dir,
 * keys and certificates made with ssh-keygen at run time, configs through
 * the real config engine, and logins driven through the event loop. */
#ifndef DG_AUTH_TESTUTIL_H
#define DG_AUTH_TESTUTIL_H

#include <sys/types.h>

#include <stddef.h>

#include "auth/auth.h"
#include "common/conf.h"
#include "tests/unit/testutil.h"	/* t_write */

struct loop;

extern char t_dir[256];

void	 t_mkdir(const char *prefix);	/* makes t_dir */
void	 t_rmdir(void);
/* Path inside t_dir (static buffer rotation: 8 at a time). */
const char *t_path(const char *name);
char	*t_slurp(const char *path);
/* Run a shell command, fail the test if it fails. */
void	 t_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* ssh-keygen a key NAME (t_dir/NAME and .pub); returns the .pub line. */
char	*t_keygen(const char *name, const char *type);
/* Decode the blob of a "type base64 comment" line. */
void	 t_blob(const char *pub, unsigned char **blobp, size_t *lenp);

void	 t_load_conf(struct conf *, struct auth_config *, const char *text);

/* A config and the auth context made from it. */
struct t_env {
	struct conf		 conf;
	struct auth_config	 a;
	struct auth_ctx		*ctx;
};

/* Load text into e and make its context on the loop (the test fails if
 * either fails); t_env_free undoes it. */
void	 t_env_load(struct t_env *, struct loop *, const char *text);
void	 t_env_free(struct t_env *);

struct t_res {
	int		 called;
	int		 result;
	struct auth_grant *grant;
	char		 reason[512];
};

/* An auth_pubkey_cb filling a struct t_res. */
void	 t_pk_cb(void *, int, struct auth_grant *, const char *);
/* auth_publickey for the key or certificate in pub (a .pub line), run the
 * loop until it answers. */
void	 t_login(struct auth_ctx *, struct loop *, const char *user,
	    const char *addr, const char *pub, int verified, struct t_res *);
/* Run the loop until *flag is non-zero or ms pass; returns *flag. */
int	 t_run_until(struct loop *, const int *flag, int ms);

#endif
