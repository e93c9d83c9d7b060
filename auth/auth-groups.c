/* auth-groups.c: a user's Unix groups from NSS (getpwnam, getgrouplist,
 * getgrgid), for teams, AdminGroup and Match Group. */
#include <sys/types.h>

#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "common/err.h"
#include "common/xmalloc.h"

#define AUTH_GROUPS_MAX	4096

int
auth_user_groups(const char *user, char ***groupsp, size_t *np)
{
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp;
	char *buf = NULL, *gbuf = NULL, **names = NULL;
	gid_t *gids = NULL;
	int ngids = 64, i, r = DG_ERR_SYSTEM;
	size_t n = 0, buflen = 16384;

	*groupsp = NULL;
	*np = 0;
	buf = xmalloc(buflen);
	if (getpwnam_r(user, &pw, buf, buflen, &pwp) != 0 || pwp == NULL) {
		r = 0;	/* unknown user: no groups */
		goto out;
	}
	for (;;) {
		gids = xreallocarray(gids, (size_t)ngids, sizeof(*gids));
		i = ngids;
		if (getgrouplist(user, pw.pw_gid, gids, &i) >= 0) {
			ngids = i;
			break;
		}
		if (i <= ngids || i > AUTH_GROUPS_MAX)
			goto out;
		ngids = i;
	}
	names = xcalloc((size_t)ngids + 1, sizeof(*names));
	gbuf = xmalloc(buflen);
	for (i = 0; i < ngids; i++) {
		grp = NULL;
		if (getgrgid_r(gids[i], &gr, gbuf, buflen, &grp) != 0 ||
		    grp == NULL)
			continue;
		names[n++] = xstrdup(grp->gr_name);
	}
	*groupsp = names;
	*np = n;
	names = NULL;
	r = 0;
out:
	auth_user_groups_free(names, n);
	free(gids);
	free(buf);
	free(gbuf);
	return r;
}

void
auth_user_groups_free(char **groups, size_t n)
{
	size_t i;

	if (groups == NULL)
		return;
	for (i = 0; i < n; i++)
		free(groups[i]);
	free(groups);
}
