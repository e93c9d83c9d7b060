/* servconf-env.c: the environment keywords of the gateway config:
 * EnvironmentAddress NAME ADDRESS and Environment NAME owner=USER
 * [members=U1,U2] [team=T] [profile=P]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xmalloc.h"
#include "gateway/servconf.h"
#include "gateway/servconf-kw.h"

/* EnvironmentAddress NAME ADDRESS. */

int
servconf_env_addr_parse(const struct conf_keyword *kw, void *field, int argc,
    char **argv, char *err, size_t errlen)
{
	struct env_address_list *l = field;
	struct env_address ea;
	size_t i;

	if (argc != 3)
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "%s takes an environment name and "
		    "a numeric address",
		    kw->name);
	if (!servconf_valid_env(argv[1]))
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "%s: \"%s\" is not an environment "
		    "name (lowercase letters, digits and '-', at most 63)",
		    kw->name, argv[1]);
	memset(&ea, 0, sizeof(ea));
	strcpy(ea.env, argv[1]);
	if (servconf_canon_addr(argv[2], ea.addr, sizeof(ea.addr)) != 0)
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "%s: \"%s\" is not a numeric IPv4 "
		    "or IPv6 address",
		    kw->name, argv[2]);
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].addr, ea.addr) == 0)
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "%s: %s already belongs "
			    "to %s",
			    kw->name, ea.addr, l->v[i].env);
	if (l->n >= 65536)
		return dg_errf(err, errlen, DG_ERR_PARSE, "%s: too many",
		    kw->name);
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = ea;
	return 0;
}

void
servconf_env_addr_dump(const struct conf_keyword *kw, const void *field,
    FILE *out)
{
	const struct env_address_list *l = field;
	size_t i;

	(void)kw;
	for (i = 0; i < l->n; i++)
		fprintf(out, "environmentaddress %s %s\n", l->v[i].env,
		    l->v[i].addr);
}

void
servconf_env_addr_free(void *field)
{
	struct env_address_list *l = field;

	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void
servconf_env_addr_copy(void *dst, const void *src)
{
	const struct env_address_list *s = src;
	struct env_address_list *d = dst;

	d->n = s->n;
	d->v = s->n ? xreallocarray(NULL, s->n, sizeof(*d->v)) : NULL;
	if (s->n)
		memcpy(d->v, s->v, s->n * sizeof(*d->v));
}

/* Environment NAME owner=USER [members=u1,u2] [team=T] [profile=P]. */

static void
servconf_env_def_clear(struct env_def *e)
{
	size_t i;

	for (i = 0; i < e->nmembers; i++)
		free(e->members[i]);
	free(e->members);
	e->members = NULL;
	e->nmembers = 0;
}

static void
servconf_env_def_add_member(struct env_def *e, const char *user)
{
	e->members = xreallocarray(e->members, e->nmembers + 2,
	    sizeof(char *));
	e->members[e->nmembers++] = xstrdup(user);
	e->members[e->nmembers] = NULL;
}

static int
servconf_env_def_members(struct env_def *e, const char *list, char *bad,
    size_t badlen)
{
	char *copy, *p, *tok;
	int r = 0;

	copy = xstrdup(list);
	for (p = copy; (tok = strsep(&p, ",")) != NULL;) {
		if (!servconf_valid_user(tok) || e->nmembers >= 1024) {
			snprintf(bad, badlen, "%s", tok);
			r = DG_ERR_PARSE;
			break;
		}
		servconf_env_def_add_member(e, tok);
	}
	free(copy);
	return r;
}

int
servconf_env_def_parse(const struct conf_keyword *kw, void *field, int argc,
    char **argv, char *err, size_t errlen)
{
	struct env_def_list *l = field;
	struct env_def e;
	char bad[64];
	const char *v;
	size_t i;
	int a;

	memset(&e, 0, sizeof(e));
	if (argc < 3)
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "%s takes a name and owner=USER "
		    "[members=U1,U2] [team=T] [profile=P]",
		    kw->name);
	if (!servconf_valid_env(argv[1]))
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "%s: \"%s\" is not an environment "
		    "name (lowercase letters, digits and '-', at most 63)",
		    kw->name, argv[1]);
	strcpy(e.env, argv[1]);
	for (a = 2; a < argc; a++) {
		if (strncmp(argv[a], "owner=", 6) == 0) {
			v = argv[a] + 6;
			if (!servconf_valid_user(v) || e.owner[0] != '\0')
				goto bad;
			strcpy(e.owner, v);
		} else if (strncmp(argv[a], "members=", 8) == 0) {
			if (e.nmembers > 0 || argv[a][8] == '\0')
				goto bad;
			if (servconf_env_def_members(&e, argv[a] + 8, bad,
			        sizeof(bad)) != 0) {
				servconf_env_def_clear(&e);
				return dg_errf(err, errlen, DG_ERR_PARSE,
				    "%s %s: \"%s\" is "
				    "not a user name",
				    kw->name, e.env, bad);
			}
		} else if (strncmp(argv[a], "team=", 5) == 0) {
			v = argv[a] + 5;
			if (!servconf_valid_env(v) || e.team[0] != '\0')
				goto bad;
			strcpy(e.team, v);
		} else if (strncmp(argv[a], "profile=", 8) == 0) {
			v = argv[a] + 8;
			if (!servconf_valid_env(v) || e.profile[0] != '\0')
				goto bad;
			strcpy(e.profile, v);
		} else
			goto bad;
	}
	if (e.owner[0] == '\0') {
		servconf_env_def_clear(&e);
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "%s %s: owner=USER is required", kw->name, e.env);
	}
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].env, e.env) == 0) {
			servconf_env_def_clear(&e);
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "%s %s is defined twice", kw->name, e.env);
		}
	if (l->n >= 65536) {
		servconf_env_def_clear(&e);
		return dg_errf(err, errlen, DG_ERR_PARSE, "%s: too many",
		    kw->name);
	}
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = e;
	return 0;
bad:
	servconf_env_def_clear(&e);
	return dg_errf(err, errlen, DG_ERR_PARSE,
	    "%s %s: bad or repeated \"%s\" (expected "
	    "owner=USER, members=U1,U2, team=T, profile=P)",
	    kw->name, argv[1], argv[a]);
}

void
servconf_env_def_dump(const struct conf_keyword *kw, const void *field,
    FILE *out)
{
	const struct env_def_list *l = field;
	const struct env_def *e;
	size_t i, j;

	(void)kw;
	for (i = 0; i < l->n; i++) {
		e = &l->v[i];
		fprintf(out, "environment %s owner=%s", e->env, e->owner);
		for (j = 0; j < e->nmembers; j++)
			fprintf(out, "%s%s",
			    j ? "," : " members=", e->members[j]);
		if (e->team[0] != '\0')
			fprintf(out, " team=%s", e->team);
		if (e->profile[0] != '\0')
			fprintf(out, " profile=%s", e->profile);
		fputc('\n', out);
	}
}

void
servconf_env_def_free(void *field)
{
	struct env_def_list *l = field;
	size_t i;

	for (i = 0; i < l->n; i++)
		servconf_env_def_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void
servconf_env_def_copy(void *dst, const void *src)
{
	const struct env_def_list *s = src;
	struct env_def_list *d = dst;
	size_t i, j;

	d->n = s->n;
	d->v = s->n ? xreallocarray(NULL, s->n, sizeof(*d->v)) : NULL;
	for (i = 0; i < s->n; i++) {
		d->v[i] = s->v[i];
		d->v[i].members = NULL;
		d->v[i].nmembers = 0;
		for (j = 0; j < s->v[i].nmembers; j++)
			servconf_env_def_add_member(&d->v[i],
			    s->v[i].members[j]);
	}
}
