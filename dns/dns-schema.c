/* dns-schema.c: the v=devgate1 TXT schema of profiles and environments:
 * a key table, strict value checks, Kubernetes quantities. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"
#include "common/err.h"
#include "common/xmalloc.h"
#include "dns/dns-name.h"
#include "dns/dns-quantity.h"
#include "dns/dns-schema.h"

#define DNS_SCHEMA_MAX_CPU	(1024LL * 1000)		/* 1024 cores */
#define DNS_SCHEMA_MAX_BYTES	(64LL << 40)		/* 64 TiB */
#define DNS_SCHEMA_MAX_GPU	64
#define DNS_SCHEMA_MAX_LIST	256

enum dns_schema_key {
	K_IMAGE, K_CPU, K_MEMORY, K_GPU, K_POOL, K_TOLERATIONS, K_IDLE,
	K_PACKAGES, K_SCRATCH, K_DESCRIPTION, K_OWNER, K_MEMBERS, K_TEAM,
	K_PROFILE,
};

#define F_PROFILE	0x1	/* allowed in a profile */
#define F_ENV		0x2	/* allowed in an environment */
#define F_LIST		0x4	/* may repeat; values append */

static const struct {
	const char	*name;
	enum dns_schema_key key;
	int		 flags;
	unsigned	 bit;	/* DNS_SPEC_* for spec keys */
} dns_schema_keys[] = {
	{ "image", K_IMAGE, F_PROFILE | F_ENV, DNS_SPEC_IMAGE },
	{ "cpu", K_CPU, F_PROFILE | F_ENV, DNS_SPEC_CPU },
	{ "memory", K_MEMORY, F_PROFILE | F_ENV, DNS_SPEC_MEMORY },
	{ "gpu", K_GPU, F_PROFILE | F_ENV, DNS_SPEC_GPU },
	{ "pool", K_POOL, F_PROFILE | F_ENV, DNS_SPEC_POOL },
	{ "tolerations", K_TOLERATIONS, F_PROFILE | F_ENV | F_LIST,
	    DNS_SPEC_TOLERATIONS },
	{ "idle", K_IDLE, F_PROFILE | F_ENV, DNS_SPEC_IDLE },
	{ "packages", K_PACKAGES, F_PROFILE | F_ENV | F_LIST,
	    DNS_SPEC_PACKAGES },
	{ "scratch", K_SCRATCH, F_PROFILE | F_ENV, DNS_SPEC_SCRATCH },
	{ "description", K_DESCRIPTION, F_PROFILE | F_ENV,
	    DNS_SPEC_DESCRIPTION },
	{ "owner", K_OWNER, F_ENV, 0 },
	{ "members", K_MEMBERS, F_ENV | F_LIST, 0 },
	{ "team", K_TEAM, F_ENV, 0 },
	{ "profile", K_PROFILE, F_ENV, 0 },
};
#define DNS_SCHEMA_NKEYS (sizeof(dns_schema_keys) / sizeof(dns_schema_keys[0]))

/* Printable shortened copy of untrusted text for error messages. */
static const char *
dns_schema_show(const char *s, char *buf, size_t len)
{
	size_t i, o = 0;

	for (i = 0; s[i] != '\0' && o + 4 < len && i < 80; i++)
		buf[o++] = isprint((unsigned char)s[i]) ? s[i] : '?';
	if (s[i] != '\0' && o + 4 < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

int
dns_schema_user_ok(const char *s)
{
	size_t i;

	if (s == NULL || !((*s >= 'a' && *s <= 'z') || *s == '_'))
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '.' && s[i] != '-')
			return 0;
	return i <= 32;
}

/* Kubernetes label value / node pool: [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])? */
static int
dns_schema_labelvalue_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 63 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[len - 1]))
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_' && s[i] != '.')
			return 0;
	return 1;
}

/* Kubernetes label key: [prefix/]name, prefix a DNS subdomain. */
static int
dns_schema_labelkey_ok(const char *s, size_t len)
{
	const char *slash = memchr(s, '/', len);
	size_t i;

	if (slash == NULL)
		return dns_schema_labelvalue_ok(s, len);
	if (slash == s || (size_t)(slash - s) > 253)
		return 0;
	for (i = 0; s + i < slash; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '.')
			return 0;
	return dns_schema_labelvalue_ok(slash + 1, len - (size_t)(slash -
	    s) - 1);
}

static int
dns_schema_image_ok(const char *s)
{
	size_t i;

	if (!isalnum((unsigned char)s[0]))
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("./:@_-", s[i]) == NULL)
			return 0;
	return i <= 255;
}

/* "key=value:Effect" or "key:Effect". */
static int
dns_schema_toleration_ok(const char *s)
{
	const char *colon = strrchr(s, ':'), *eq;
	size_t klen;

	if (colon == NULL || (strcmp(colon + 1, "NoSchedule") != 0 &&
	    strcmp(colon + 1, "PreferNoSchedule") != 0 &&
	    strcmp(colon + 1, "NoExecute") != 0))
		return 0;
	eq = memchr(s, '=', (size_t)(colon - s));
	klen = eq != NULL ? (size_t)(eq - s) : (size_t)(colon - s);
	if (!dns_schema_labelkey_ok(s, klen))
		return 0;
	return eq == NULL || eq + 1 == colon ||
	    dns_schema_labelvalue_ok(eq + 1, (size_t)(colon - eq - 1));
}

/* "mgr:name[spec]": no shell metacharacters. */
static int
dns_schema_package_ok(const char *s)
{
	static const char *const mgrs[] = { "apt:", "pip:", "conda:",
		"npm:", "cran:" };
	const char *p = NULL;
	size_t i;

	for (i = 0; i < sizeof(mgrs) / sizeof(mgrs[0]); i++)
		if (strncmp(s, mgrs[i], strlen(mgrs[i])) == 0)
			p = s + strlen(mgrs[i]);
	if (p == NULL || !isalnum((unsigned char)*p))
		return 0;
	for (; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) &&
		    strchr("._+-=<>~@/:,[]", *p) == NULL)
			return 0;
	return 1;
}

static int
dns_schema_text_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* Split value on spaces (and commas for members) into a list. */
static int
dns_schema_list(const char *key, const char *value, const char *seps,
    int (*ok)(const char *), struct conf_list *l, char *err,
    size_t errlen)
{
	char *copy = xstrdup(value), *tok, *save = NULL, show[100];
	int r = 0;

	for (tok = strtok_r(copy, seps, &save); tok != NULL;
	    tok = strtok_r(NULL, seps, &save)) {
		if (!ok(tok)) {
			r = dg_errf(err, errlen, DG_ERR_PARSE,
			    "%s: bad item \"%s\"", key,
			    dns_schema_show(tok, show, sizeof(show)));
			break;
		}
		if (l->n >= DNS_SCHEMA_MAX_LIST) {
			r = dg_errf(err, errlen, DG_ERR_PARSE,
			    "%s: more than %d items", key, DNS_SCHEMA_MAX_LIST);
			break;
		}
		conf_list_add(l, tok);
	}
	free(copy);
	return r;
}

struct dns_schema_rec {
	struct dns_spec	*spec;
	char		**owner, **team, **profile;	/* NULL in a profile */
	struct conf_list *members;
};

static int
dns_schema_set(struct dns_schema_rec *rec, enum dns_schema_key key,
    const char *k, const char *v, char *err, size_t errlen)
{
	struct dns_spec *sp = rec->spec;
	char show[100];
	int64_t q;
	int t;

	dns_schema_show(v, show, sizeof(show));
	switch (key) {
	case K_IMAGE:
		if (!dns_schema_image_ok(v))
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "image: \"%s\" is not an image reference", show);
		sp->image = xstrdup(v);
		return 0;
	case K_CPU:
		if (dns_quantity_parse(v, &q) != 0 || q <= 0 ||
		    q > DNS_SCHEMA_MAX_CPU)
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "cpu: \"%s\" is not "
			    "a CPU quantity (8, 500m, 1.5; at most 1024)",
			    show);
		sp->cpu_milli = q;
		return 0;
	case K_MEMORY:
	case K_SCRATCH:
		if (dns_quantity_parse(v, &q) != 0 || q <= 0 ||
		    q % 1000 != 0 || q / 1000 > DNS_SCHEMA_MAX_BYTES)
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "%s: \"%s\" is not "
			    "a size in bytes (64Gi, 512Mi, 1G)", k, show);
		if (key == K_MEMORY)
			sp->memory = q / 1000;
		else
			sp->scratch = q / 1000;
		return 0;
	case K_GPU:
		if (dns_quantity_parse(v, &q) != 0 || q % 1000 != 0 ||
		    q / 1000 > DNS_SCHEMA_MAX_GPU)
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "gpu: \"%s\" is not a whole number 0-%d", show,
			    DNS_SCHEMA_MAX_GPU);
		sp->gpu = (int)(q / 1000);
		return 0;
	case K_POOL:
		if (!dns_schema_labelvalue_ok(v, strlen(v)))
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "pool: \"%s\" is not a node pool name", show);
		sp->pool = xstrdup(v);
		return 0;
	case K_TOLERATIONS:
		return dns_schema_list(k, v, " ", dns_schema_toleration_ok,
		    &sp->tolerations, err, errlen);
	case K_PACKAGES:
		return dns_schema_list(k, v, " ", dns_schema_package_ok,
		    &sp->packages, err, errlen);
	case K_IDLE:
		if (strcmp(v, "never") == 0) {
			sp->idle = 0;
			return 0;
		}
		if (conf_parse_time(v, &t) != 0 || t < 60)
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "idle: \"%s\" is "
			    "not a duration of a minute or more (30m, 2h, 1d)"
			    " or never", show);
		sp->idle = t;
		return 0;
	case K_DESCRIPTION:
		if (!dns_schema_text_ok(v))
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "description: control characters");
		sp->description = xstrdup(v);
		return 0;
	case K_OWNER:
		if (!dns_schema_user_ok(v))
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "owner: \"%s\" is not a user name", show);
		*rec->owner = xstrdup(v);
		return 0;
	case K_MEMBERS:
		return dns_schema_list(k, v, " ,", dns_schema_user_ok,
		    rec->members, err, errlen);
	case K_TEAM:
		if (!dns_schema_labelvalue_ok(v, strlen(v)))
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "team: \"%s\" is not a team name", show);
		*rec->team = xstrdup(v);
		return 0;
	case K_PROFILE:
		if (!dns_label_ok(v))
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "profile: \"%s\" is not a profile name", show);
		*rec->profile = xstrdup(v);
		return 0;
	}
	return DG_ERR_INTERNAL;
}

static int
dns_schema_parse(int kind, char *const *strs, size_t n,
    struct dns_schema_rec *rec, char *err, size_t errlen)
{
	unsigned seen = 0;
	const char *eq;
	char key[32], show[100];
	size_t i, k, klen;
	int r;

	if (n == 0 || strcmp(strs[0], DNS_SCHEMA_VERSION) != 0) {
		if (n > 0 && strncmp(strs[0], "v=devgate", 9) == 0)
			return dg_errf(err, errlen, DG_ERR_PARSE, "unsupported "
			    "schema version \"%s\" (this devgate reads %s)",
			    dns_schema_show(strs[0], show, sizeof(show)),
			    DNS_SCHEMA_VERSION);
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "the first string must be \"%s\"", DNS_SCHEMA_VERSION);
	}
	for (i = 1; i < n; i++) {
		if ((eq = strchr(strs[i], '=')) == NULL ||
		    (klen = (size_t)(eq - strs[i])) == 0 ||
		    klen >= sizeof(key))
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "\"%s\" is not key=value",
			    dns_schema_show(strs[i], show, sizeof(show)));
		memcpy(key, strs[i], klen);
		key[klen] = '\0';
		for (k = 0; k < DNS_SCHEMA_NKEYS; k++)
			if (strcmp(dns_schema_keys[k].name, key) == 0)
				break;
		if (k == DNS_SCHEMA_NKEYS ||
		    !(dns_schema_keys[k].flags & kind))
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "unknown key \"%s\" in %s",
			    dns_schema_show(key, show, sizeof(show)),
			    kind == F_ENV ? "an environment" : "a profile");
		if (eq[1] == '\0')
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "%s: empty value", key);
		if ((seen & (1U << k)) && !(dns_schema_keys[k].flags & F_LIST))
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "%s: given twice", key);
		seen |= 1U << k;
		rec->spec->set |= dns_schema_keys[k].bit;
		if ((r = dns_schema_set(rec, dns_schema_keys[k].key, key,
		    eq + 1, err, errlen)) != 0)
			return r;
	}
	return 0;
}

void
dns_spec_clear(struct dns_spec *s)
{
	free(s->image);
	free(s->pool);
	free(s->description);
	conf_list_free(&s->tolerations);
	conf_list_free(&s->packages);
	memset(s, 0, sizeof(*s));
}

void
dns_spec_copy(struct dns_spec *dst, const struct dns_spec *src)
{
	*dst = *src;
	dst->image = src->image ? xstrdup(src->image) : NULL;
	dst->pool = src->pool ? xstrdup(src->pool) : NULL;
	dst->description = src->description ? xstrdup(src->description) :
	    NULL;
	memset(&dst->tolerations, 0, sizeof(dst->tolerations));
	memset(&dst->packages, 0, sizeof(dst->packages));
	conf_list_copy(&dst->tolerations, &src->tolerations);
	conf_list_copy(&dst->packages, &src->packages);
}

void
dns_profile_free(struct dns_profile *p)
{
	if (p == NULL)
		return;
	free(p->name);
	dns_spec_clear(&p->spec);
	free(p);
}

void
dns_envrec_free(struct dns_envrec *e)
{
	if (e == NULL)
		return;
	free(e->name);
	free(e->owner);
	free(e->team);
	free(e->profile);
	conf_list_free(&e->members);
	dns_spec_clear(&e->over);
	free(e);
}

int
dns_schema_parse_profile(const char *name, char *const *strs, size_t n,
    struct dns_profile **pp, char *err, size_t errlen)
{
	struct dns_profile *p;
	struct dns_schema_rec rec;
	int r;

	if (!dns_label_ok(name))
		return dg_errf(err, errlen, DG_ERR_PARSE, "bad profile name");
	p = xcalloc(1, sizeof(*p));
	p->name = xstrdup(name);
	memset(&rec, 0, sizeof(rec));
	rec.spec = &p->spec;
	if ((r = dns_schema_parse(F_PROFILE, strs, n, &rec, err,
	    errlen)) != 0) {
		dns_profile_free(p);
		return r;
	}
	if (p->spec.image == NULL) {
		dns_profile_free(p);
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "a profile needs image=");
	}
	*pp = p;
	return 0;
}

int
dns_schema_parse_env(const char *name, char *const *strs, size_t n,
    struct dns_envrec **ep, char *err, size_t errlen)
{
	struct dns_envrec *e;
	struct dns_schema_rec rec;
	int r;

	if (!dns_label_ok(name))
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "bad environment name");
	e = xcalloc(1, sizeof(*e));
	e->name = xstrdup(name);
	rec.spec = &e->over;
	rec.owner = &e->owner;
	rec.team = &e->team;
	rec.profile = &e->profile;
	rec.members = &e->members;
	if ((r = dns_schema_parse(F_ENV, strs, n, &rec, err, errlen)) != 0) {
		dns_envrec_free(e);
		return r;
	}
	if (e->owner == NULL || (e->profile == NULL && e->over.image == NULL)) {
		r = dg_errf(err, errlen, DG_ERR_PARSE,
		    "an environment needs owner= and profile= (or image=)");
		dns_envrec_free(e);
		return r;
	}
	*ep = e;
	return 0;
}

int
dns_schema_effective(const struct dns_spec *profile,
    const struct dns_spec *over, struct dns_spec *out, char *err,
    size_t errlen)
{
	struct dns_spec base;

	memset(out, 0, sizeof(*out));
	memset(&base, 0, sizeof(base));
	if (profile != NULL)
		dns_spec_copy(&base, profile);
	if (over->set & DNS_SPEC_IMAGE) {
		free(base.image);
		base.image = xstrdup(over->image);
	}
	if (over->set & DNS_SPEC_CPU)
		base.cpu_milli = over->cpu_milli;
	if (over->set & DNS_SPEC_MEMORY)
		base.memory = over->memory;
	if (over->set & DNS_SPEC_GPU)
		base.gpu = over->gpu;
	if (over->set & DNS_SPEC_POOL) {
		free(base.pool);
		base.pool = xstrdup(over->pool);
	}
	if (over->set & DNS_SPEC_TOLERATIONS) {
		conf_list_free(&base.tolerations);
		conf_list_copy(&base.tolerations, &over->tolerations);
	}
	if (over->set & DNS_SPEC_IDLE)
		base.idle = over->idle;
	/* Packages add to the profile's. */
	if (over->set & DNS_SPEC_PACKAGES)
		conf_list_copy(&base.packages, &over->packages);
	if (over->set & DNS_SPEC_SCRATCH)
		base.scratch = over->scratch;
	if (over->set & DNS_SPEC_DESCRIPTION) {
		free(base.description);
		base.description = xstrdup(over->description);
	}
	base.set |= over->set;
	if (base.image == NULL) {
		dns_spec_clear(&base);
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "no image (neither the "
		    "profile nor the environment gives one)");
	}
	*out = base;
	return 0;
}

/* Append one "key=value" string; 0 or -1 when it cannot be a TXT string. */
static int
dns_schema_put(char **txt, const char *key, const char *value)
{
	char *t;

	if (strlen(key) + 1 + strlen(value) > 255 ||
	    strpbrk(value, "\"\\") != NULL || !dns_schema_text_ok(value))
		return -1;
	t = xasprintf("%s \"%s=%s\"", *txt, key, value);
	free(*txt);
	*txt = t;
	return 0;
}

static char *
dns_schema_qty(int64_t v, int bytes)
{
	if (!bytes)
		return v % 1000 == 0 ? xasprintf("%lld", (long long)(v / 1000)) :
		    xasprintf("%lldm", (long long)v);
	if (v % (1LL << 30) == 0)
		return xasprintf("%lldGi", (long long)(v >> 30));
	if (v % (1LL << 20) == 0)
		return xasprintf("%lldMi", (long long)(v >> 20));
	return xasprintf("%lld", (long long)v);
}

char *
dns_schema_env_txt(const struct dns_envrec *e)
{
	const struct dns_spec *s = &e->over;
	char *txt = xstrdup("\"" DNS_SCHEMA_VERSION "\""), *q;
	size_t i;
	int bad = 0;

	bad |= dns_schema_put(&txt, "owner", e->owner);
	if (e->profile != NULL)
		bad |= dns_schema_put(&txt, "profile", e->profile);
	if (e->team != NULL)
		bad |= dns_schema_put(&txt, "team", e->team);
	for (i = 0; i < e->members.n; i++)
		bad |= dns_schema_put(&txt, "members", e->members.v[i]);
	if (s->set & DNS_SPEC_IMAGE)
		bad |= dns_schema_put(&txt, "image", s->image);
	if (s->set & DNS_SPEC_CPU) {
		q = dns_schema_qty(s->cpu_milli, 0);
		bad |= dns_schema_put(&txt, "cpu", q);
		free(q);
	}
	if (s->set & DNS_SPEC_MEMORY) {
		q = dns_schema_qty(s->memory, 1);
		bad |= dns_schema_put(&txt, "memory", q);
		free(q);
	}
	if (s->set & DNS_SPEC_GPU) {
		q = xasprintf("%d", s->gpu);
		bad |= dns_schema_put(&txt, "gpu", q);
		free(q);
	}
	if (s->set & DNS_SPEC_POOL)
		bad |= dns_schema_put(&txt, "pool", s->pool);
	for (i = 0; i < s->tolerations.n; i++)
		bad |= dns_schema_put(&txt, "tolerations", s->tolerations.v[i]);
	if (s->set & DNS_SPEC_IDLE) {
		q = s->idle == 0 ? xstrdup("never") : xasprintf("%ds", s->idle);
		bad |= dns_schema_put(&txt, "idle", q);
		free(q);
	}
	for (i = 0; i < s->packages.n; i++)
		bad |= dns_schema_put(&txt, "packages", s->packages.v[i]);
	if (s->set & DNS_SPEC_SCRATCH) {
		q = dns_schema_qty(s->scratch, 1);
		bad |= dns_schema_put(&txt, "scratch", q);
		free(q);
	}
	if (s->set & DNS_SPEC_DESCRIPTION)
		bad |= dns_schema_put(&txt, "description", s->description);
	if (bad) {
		free(txt);
		return NULL;
	}
	return txt;
}
