/* auth-methods.c: AuthenticationMethods (sshd syntax): which method may
 * come next, partial success, and when the user is authenticated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/auth-match.h"
#include "common/err.h"
#include "common/xmalloc.h"

#define AUTH_METHODS_MAX_LISTS	32
#define AUTH_METHODS_MAX_STEPS	16

struct auth_methods_list {
	char	*steps[AUTH_METHODS_MAX_STEPS];	/* method names */
	int	 nsteps;
	int	 pos;			/* steps completed */
};

struct auth_methods {
	int			 any;	/* "any": one method is enough */
	struct auth_methods_list lists[AUTH_METHODS_MAX_LISTS];
	int			 nlists;
	char			 done[256];	/* completed, comma-separated */
};

static const char *const auth_methods_known[] = {
	"publickey", "keyboard-interactive", NULL
};

/* Normalise "keyboard-interactive:pam" (the only submethod) to its
 * method; NULL if the name is not a method devgate offers. */
static const char *
auth_methods_canon(const char *name, char *err, size_t errlen)
{
	int i;

	if (strcmp(name, "keyboard-interactive:pam") == 0)
		return "keyboard-interactive";
	for (i = 0; auth_methods_known[i] != NULL; i++)
		if (strcmp(name, auth_methods_known[i]) == 0)
			return auth_methods_known[i];
	if (strcmp(name, "password") == 0 || strcmp(name, "hostbased") == 0 ||
	    strcmp(name, "gssapi-with-mic") == 0 || strcmp(name, "none") == 0)
		snprintf(err, errlen, "method \"%s\" is not supported by "
		    "devgate (use publickey and keyboard-interactive)", name);
	else
		snprintf(err, errlen, "unknown authentication method \"%s\"",
		    name);
	return NULL;
}

static void
auth_methods_clear(struct auth_methods *m)
{
	int i, j;

	for (i = 0; i < m->nlists; i++)
		for (j = 0; j < m->lists[i].nsteps; j++)
			free(m->lists[i].steps[j]);
	m->nlists = 0;
}

static int
auth_methods_parse(const char *spec, struct auth_methods *m, char *err,
    size_t errlen)
{
	char *copy, *p, *word, *step, *q;
	const char *canon;
	struct auth_methods_list *l;
	int r = DG_ERR_PARSE;

	memset(m, 0, sizeof(*m));
	if (spec == NULL || strcmp(spec, "any") == 0) {
		m->any = 1;
		return 0;
	}
	copy = p = xstrdup(spec);
	while ((word = strsep(&p, " \t")) != NULL) {
		if (*word == '\0')
			continue;
		if (strcmp(word, "any") == 0) {
			snprintf(err, errlen, "\"any\" must appear alone");
			goto out;
		}
		if (m->nlists == AUTH_METHODS_MAX_LISTS) {
			snprintf(err, errlen, "too many method lists");
			goto out;
		}
		l = &m->lists[m->nlists++];
		q = word;
		while ((step = strsep(&q, ",")) != NULL) {
			if (*step == '\0') {
				snprintf(err, errlen, "empty method in \"%s\"",
				    spec);
				goto out;
			}
			if ((canon = auth_methods_canon(step, err,
			    errlen)) == NULL)
				goto out;
			if (l->nsteps == AUTH_METHODS_MAX_STEPS) {
				snprintf(err, errlen, "method list too long");
				goto out;
			}
			l->steps[l->nsteps++] = xstrdup(canon);
		}
	}
	if (m->nlists == 0) {
		snprintf(err, errlen, "no authentication methods given");
		goto out;
	}
	r = 0;
out:
	free(copy);
	if (r != 0)
		auth_methods_clear(m);
	return r;
}

int
auth_methods_valid(const char *spec, char *err, size_t errlen)
{
	struct auth_methods m;
	int r;

	if ((r = auth_methods_parse(spec, &m, err, errlen)) == 0)
		auth_methods_clear(&m);
	return r;
}

int
auth_methods_new(const char *spec, struct auth_methods **mp, char *err,
    size_t errlen)
{
	struct auth_methods *m = xcalloc(1, sizeof(*m));
	int r;

	if ((r = auth_methods_parse(spec, m, err, errlen)) != 0) {
		free(m);
		return r;
	}
	*mp = m;
	return 0;
}

void
auth_methods_free(struct auth_methods *m)
{
	if (m == NULL)
		return;
	auth_methods_clear(m);
	free(m);
}

int
auth_methods_allowed(const struct auth_methods *m, const char *method)
{
	char err[128];
	const char *canon;
	int i;

	if ((canon = auth_methods_canon(method, err, sizeof(err))) == NULL)
		return 0;
	if (m->any)
		return 1;
	for (i = 0; i < m->nlists; i++)
		if (m->lists[i].pos < m->lists[i].nsteps &&
		    strcmp(m->lists[i].steps[m->lists[i].pos], canon) == 0)
			return 1;
	return 0;
}

enum auth_methods_state
auth_methods_complete(struct auth_methods *m, const char *method)
{
	char err[128];
	const char *canon;
	struct auth_methods_list *l;
	int i, done = 0;
	size_t n;

	if (!auth_methods_allowed(m, method))
		return AUTH_METHODS_DENIED;
	canon = auth_methods_canon(method, err, sizeof(err));
	n = strlen(m->done);
	snprintf(m->done + n, sizeof(m->done) - n, "%s%s", n ? "," : "",
	    canon);
	if (m->any)
		return AUTH_METHODS_DONE;
	/* As sshd: the method is removed from the head of every list it
	 * heads; a list that empties completes authentication. */
	for (i = 0; i < m->nlists; i++) {
		l = &m->lists[i];
		if (l->pos < l->nsteps && strcmp(l->steps[l->pos], canon) == 0)
			l->pos++;
		if (l->pos == l->nsteps)
			done = 1;
	}
	return done ? AUTH_METHODS_DONE : AUTH_METHODS_PARTIAL;
}

void
auth_methods_next(const struct auth_methods *m, const char *enabled,
    char *buf, size_t len)
{
	const char *name;
	size_t o = 0;
	int i, k;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (k = 0; auth_methods_known[k] != NULL; k++) {
		name = auth_methods_known[k];
		if (enabled != NULL && !auth_match_list_has(enabled, name))
			continue;
		if (!m->any) {
			for (i = 0; i < m->nlists; i++)
				if (m->lists[i].pos < m->lists[i].nsteps &&
				    strcmp(m->lists[i].steps[m->lists[i].pos],
				    name) == 0)
					break;
			if (i == m->nlists)
				continue;
		}
		o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? "," : "",
		    name);
		if (o >= len) {
			buf[len - 1] = '\0';
			return;
		}
	}
}

const char *
auth_methods_done(const struct auth_methods *m)
{
	return m->done;
}
