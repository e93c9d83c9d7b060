/* dns-registry.c: the registry snapshot: built from a zone's v=devgate1
 * TXT records and address records; lookups by name, address, user. */
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xmalloc.h"
#include "dns/dns-name.h"
#include "dns/dns-registry.h"
#include "dns/dns-schema.h"
#include "dns/dns-wire.h"
#include "dns/dns-zone.h"

struct dns_registry_addr {
	uint8_t		 family;
	uint8_t		 a[16];
	size_t		 env;		/* index into envs */
};

struct dns_registry {
	int		 refs;
	char		*zone;
	uint32_t	 serial;
	struct dns_profile **profiles;	/* sorted by name */
	size_t		 nprofiles;
	struct dns_env	*envs;		/* sorted by name */
	size_t		 nenvs;
	struct dns_registry_addr *addrs;	/* sorted */
	size_t		 naddrs;
	struct dns_registry_problem *problems;
	size_t		 nproblems;
};

struct dns_registry_build {
	struct dns_registry *reg;
	int		 strict;
	char		*err;
	size_t		 errlen;
	int		 failed;
};

static void dns_registry_problem(struct dns_registry_build *, const char *,
    int, const char *, ...) __attribute__((format(printf, 4, 5)));

static void
dns_registry_problem(struct dns_registry_build *b, const char *name,
    int line, const char *fmt, ...)
{
	struct dns_registry *reg = b->reg;
	struct dns_registry_problem *p;
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (b->strict) {
		if (!b->failed) {
			if (line > 0)
				snprintf(b->err, b->errlen, "line %d: %s: %s",
				    line, name, text);
			else
				snprintf(b->err, b->errlen, "%s: %s", name,
				    text);
		}
		b->failed = 1;
		return;
	}
	if (reg->nproblems >= 1000)
		return;
	reg->problems = xreallocarray(reg->problems, reg->nproblems + 1,
	    sizeof(*reg->problems));
	p = &reg->problems[reg->nproblems++];
	p->name = xstrdup(name);
	p->line = line;
	p->text = xstrdup(text);
}

static int
dns_registry_cmp_env(const void *a, const void *b)
{
	return strcmp(((const struct dns_env *)a)->name,
	    ((const struct dns_env *)b)->name);
}

static int
dns_registry_cmp_profile(const void *a, const void *b)
{
	return strcmp((*(struct dns_profile *const *)a)->name,
	    (*(struct dns_profile *const *)b)->name);
}

static int
dns_registry_cmp_addr(const void *a, const void *b)
{
	const struct dns_registry_addr *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->a, y->a, 16);
}

/* The single TXT record at a node, or NULL with a problem noted. */
static const struct dns_zrec *
dns_registry_one_txt(struct dns_registry_build *b, const struct dns_znode *n,
    const char *rel)
{
	const struct dns_zrec *found = NULL;
	size_t i, count = 0;

	for (i = 0; i < n->n; i++) {
		if (ldns_rr_get_type(n->rec[i].rr) != LDNS_RR_TYPE_TXT)
			continue;
		if (found == NULL)
			found = &n->rec[i];
		count++;
	}
	if (count > 1) {
		dns_registry_problem(b, rel, found->line, "%zu TXT records; "
		    "exactly one is expected", count);
		return NULL;
	}
	return found;
}

static void
dns_registry_add_env(struct dns_registry_build *b, const char *label,
    struct dns_envrec *rec, const char *error, int line)
{
	struct dns_registry *reg = b->reg;
	struct dns_env *e;

	reg->envs = xreallocarray(reg->envs, reg->nenvs + 1,
	    sizeof(*reg->envs));
	e = &reg->envs[reg->nenvs++];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", label);
	e->rec = rec;
	e->fqdn = xasprintf("%s.%s", label, reg->zone);
	e->line = line;
	e->valid = rec != NULL;
	e->error = error != NULL ? xstrdup(error) : NULL;
}

static void
dns_registry_node(struct dns_registry_build *b, const struct dns_znode *n,
    const char *zone)
{
	struct dns_profile *p;
	struct dns_envrec *rec;
	const struct dns_zrec *z;
	char rel[DNS_NAME_MAX], label[64], why[300], **strs;
	size_t nstrs, i, len;
	int rl, is_env, is_prof, r;
	const char *dot;

	if ((rl = dns_name_rel(n->name, zone)) <= 0)
		return;
	memcpy(rel, n->name, (size_t)rl);
	rel[rl] = '\0';
	len = (size_t)rl;
	is_env = len > 5 && strcmp(rel + len - 5, "." DNS_SCHEMA_ENV) == 0;
	is_prof = len > 9 &&
	    strcmp(rel + len - 9, "." DNS_SCHEMA_PROFILE) == 0;
	if (!is_env && !is_prof) {
		for (i = 0; i < n->n; i++) {
			if (ldns_rr_get_type(n->rec[i].rr) != LDNS_RR_TYPE_TXT ||
			    dns_txt_strings(n->rec[i].rr, &strs, &nstrs) != 0)
				continue;
			if (nstrs > 0 && strncmp(strs[0], "v=devgate", 9) == 0 &&
			    strncmp(strs[0], "v=devgate-", 10) != 0)
				dns_registry_problem(b, rel, n->rec[i].line,
				    "devgate records live at NAME._env or "
				    "NAME._profile (a CNAME cannot share its "
				    "name with a TXT)");
			dns_txt_free(strs, nstrs);
		}
		return;
	}
	len -= is_env ? 5 : 9;
	dot = memchr(rel, '.', len);
	if ((z = dns_registry_one_txt(b, n, rel)) == NULL)
		return;
	if (dot != NULL || len >= sizeof(label) ||
	    !dns_label_okn(rel, len)) {
		dns_registry_problem(b, rel, z->line, "\"%.*s\" is not a valid "
		    "%s name (one label of a-z, 0-9, -)", (int)len, rel,
		    is_env ? "environment" : "profile");
		return;
	}
	memcpy(label, rel, len);
	label[len] = '\0';
	if (dns_txt_strings(z->rr, &strs, &nstrs) != 0) {
		dns_registry_problem(b, rel, z->line, "TXT strings with NUL "
		    "bytes");
		if (is_env)
			dns_registry_add_env(b, label, NULL, "bad TXT",
			    z->line);
		return;
	}
	if (is_prof) {
		r = dns_schema_parse_profile(label, strs, nstrs, &p, why,
		    sizeof(why));
		if (r != 0) {
			dns_registry_problem(b, rel, z->line, "%s", why);
		} else {
			b->reg->profiles = xreallocarray(b->reg->profiles,
			    b->reg->nprofiles + 1, sizeof(*b->reg->profiles));
			b->reg->profiles[b->reg->nprofiles++] = p;
		}
	} else {
		r = dns_schema_parse_env(label, strs, nstrs, &rec, why,
		    sizeof(why));
		if (r != 0) {
			dns_registry_problem(b, rel, z->line, "%s", why);
			dns_registry_add_env(b, label, NULL, why, z->line);
		} else {
			dns_registry_add_env(b, label, rec, NULL, z->line);
		}
	}
	dns_txt_free(strs, nstrs);
}

static void
dns_registry_addresses(struct dns_registry_build *b, struct dns_env *e,
    const struct dns_zone *addrs)
{
	const struct dns_znode *n = dns_zone_find(addrs, e->fqdn);
	struct sockaddr_in *s4;
	struct sockaddr_in6 *s6;
	const ldns_rdf *f;
	ldns_rr *rr;
	size_t i;

	(void)b;
	if (n == NULL)
		return;
	for (i = 0; i < n->n && e->naddrs < DNS_REGISTRY_MAX_ADDRS; i++) {
		rr = n->rec[i].rr;
		if (ldns_rr_rd_count(rr) < 1)
			continue;
		f = ldns_rr_rdf(rr, 0);
		switch (ldns_rr_get_type(rr)) {
		case LDNS_RR_TYPE_A:
			if (ldns_rdf_size(f) != 4)
				continue;
			s4 = (struct sockaddr_in *)&e->addrs[e->naddrs++];
			memset(s4, 0, sizeof(*s4));
			s4->sin_family = AF_INET;
			memcpy(&s4->sin_addr, ldns_rdf_data(f), 4);
			break;
		case LDNS_RR_TYPE_AAAA:
			if (ldns_rdf_size(f) != 16)
				continue;
			s6 = (struct sockaddr_in6 *)&e->addrs[e->naddrs++];
			memset(s6, 0, sizeof(*s6));
			s6->sin6_family = AF_INET6;
			memcpy(&s6->sin6_addr, ldns_rdf_data(f), 16);
			break;
		case LDNS_RR_TYPE_CNAME:
			free(e->cname);
			e->cname = ldns_rdf2str(f);
			break;
		default:
			break;
		}
	}
}

/* The lookup key of a socket address (by bytes: no aliasing games); a
 * v4-mapped IPv6 address (dual-stack listener) is its IPv4 address. */
static void
dns_registry_key(const struct sockaddr *sa, struct dns_registry_addr *k)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff };

	memset(k, 0, sizeof(*k));
	k->family = (uint8_t)sa->sa_family;
	if (sa->sa_family == AF_INET) {
		memcpy(&s4, sa, sizeof(s4));
		memcpy(k->a, &s4.sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		memcpy(&s6, sa, sizeof(s6));
		if (memcmp(&s6.sin6_addr, mapped, 12) == 0) {
			k->family = AF_INET;
			memcpy(k->a, (const uint8_t *)&s6.sin6_addr + 12, 4);
		} else {
			memcpy(k->a, &s6.sin6_addr, 16);
		}
	}
}

/* Index the addresses of valid environments; an address claimed by two
 * environments routes to neither. */
static void
dns_registry_index(struct dns_registry_build *b)
{
	struct dns_registry *reg = b->reg;
	struct dns_registry_addr *a;
	size_t i, k, out;
	int dup;

	for (i = 0; i < reg->nenvs; i++) {
		if (!reg->envs[i].valid)
			continue;
		for (k = 0; k < reg->envs[i].naddrs; k++) {
			reg->addrs = xreallocarray(reg->addrs, reg->naddrs + 1,
			    sizeof(*reg->addrs));
			a = &reg->addrs[reg->naddrs++];
			dns_registry_key((const struct sockaddr *)
			    &reg->envs[i].addrs[k], a);
			a->env = i;
		}
	}
	if (reg->naddrs > 1)
		qsort(reg->addrs, reg->naddrs, sizeof(*reg->addrs),
		    dns_registry_cmp_addr);
	for (i = 0, out = 0; i < reg->naddrs; i = k) {
		for (k = i + 1; k < reg->naddrs &&
		    dns_registry_cmp_addr(&reg->addrs[i], &reg->addrs[k]) == 0;
		    k++)
			;
		dup = k - i > 1 && reg->addrs[i].env != reg->addrs[k - 1].env;
		if (dup) {
			dns_registry_problem(b, reg->envs[reg->addrs[i].env].name,
			    0, "its address is also used by %s; neither is "
			    "routed by address",
			    reg->envs[reg->addrs[k - 1].env].name);
			continue;
		}
		reg->addrs[out++] = reg->addrs[i];
	}
	reg->naddrs = out;
}

static void
dns_registry_resolve(struct dns_registry_build *b, const struct dns_zone *addrs)
{
	struct dns_registry *reg = b->reg;
	struct dns_profile key, *kp = &key, **found;
	struct dns_env *e;
	char why[300];
	size_t i;

	if (reg->nenvs > 1)
		qsort(reg->envs, reg->nenvs, sizeof(*reg->envs),
		    dns_registry_cmp_env);
	for (i = 0; i < reg->nenvs; i++) {
		e = &reg->envs[i];
		dns_registry_addresses(b, e, addrs);
		if (!e->valid)
			continue;
		e->profile = NULL;
		if (e->rec->profile != NULL) {
			key.name = e->rec->profile;
			found = reg->nprofiles == 0 ? NULL : bsearch(&kp,
			    reg->profiles, reg->nprofiles, sizeof(kp),
			    dns_registry_cmp_profile);
			if (found == NULL) {
				snprintf(why, sizeof(why), "profile \"%s\" is "
				    "not defined", e->rec->profile);
				goto bad;
			}
			e->profile = *found;
		}
		if (dns_schema_effective(e->profile != NULL ?
		    &e->profile->spec : NULL, &e->rec->over, &e->spec, why,
		    sizeof(why)) != 0)
			goto bad;
		continue;
bad:
		dns_registry_problem(b, e->name, e->line, "%s", why);
		e->valid = 0;
		free(e->error);
		e->error = xstrdup(why);
	}
	dns_registry_index(b);
}

int
dns_registry_build(const struct dns_zone *schema, const struct dns_zone *addrs,
    int strict, struct dns_registry **regp, char *err, size_t errlen)
{
	struct dns_registry_build b;
	struct dns_registry *reg;
	const struct dns_znode *n;
	size_t it = 0;

	reg = xcalloc(1, sizeof(*reg));
	reg->refs = 1;
	reg->zone = xstrdup(dns_zone_origin(schema));
	dns_zone_serial(addrs != NULL ? addrs : schema, &reg->serial);
	memset(&b, 0, sizeof(b));
	b.reg = reg;
	b.strict = strict;
	b.err = err;
	b.errlen = errlen;
	while ((n = dns_zone_next(schema, &it)) != NULL && !b.failed)
		dns_registry_node(&b, n, reg->zone);
	if (reg->nprofiles > 1)
		qsort(reg->profiles, reg->nprofiles, sizeof(*reg->profiles),
		    dns_registry_cmp_profile);
	if (!b.failed)
		dns_registry_resolve(&b, addrs != NULL ? addrs : schema);
	if (b.failed) {
		dns_registry_unref(reg);
		return DG_ERR_PARSE;
	}
	*regp = reg;
	return 0;
}

int
dns_registry_check_file(const char *path, const char *zone, char *err,
    size_t errlen)
{
	struct dns_zone *z = NULL;
	struct dns_registry *reg = NULL;
	char sub[512];
	int r;

	if ((r = dns_zone_load_file(path, zone, &z, err, errlen)) != 0)
		return r;
	if ((r = dns_registry_build(z, NULL, 1, &reg, sub,
	    sizeof(sub))) != 0) {
		/* "line N: NAME: reason" -> "PATH:N: NAME: reason" */
		if (strncmp(sub, "line ", 5) == 0)
			snprintf(err, errlen, "%s:%s", path, sub + 5);
		else
			snprintf(err, errlen, "%s: %s", path, sub);
	}
	dns_registry_unref(reg);
	dns_zone_free(z);
	return r;
}

struct dns_registry *
dns_registry_ref(struct dns_registry *reg)
{
	__atomic_add_fetch(&reg->refs, 1, __ATOMIC_RELAXED);
	return reg;
}

void
dns_registry_unref(struct dns_registry *reg)
{
	size_t i;

	if (reg == NULL ||
	    __atomic_sub_fetch(&reg->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (i = 0; i < reg->nprofiles; i++)
		dns_profile_free(reg->profiles[i]);
	free(reg->profiles);
	for (i = 0; i < reg->nenvs; i++) {
		dns_envrec_free((struct dns_envrec *)reg->envs[i].rec);
		dns_spec_clear(&reg->envs[i].spec);
		free(reg->envs[i].fqdn);
		free(reg->envs[i].error);
		free(reg->envs[i].cname);
	}
	free(reg->envs);
	free(reg->addrs);
	for (i = 0; i < reg->nproblems; i++) {
		free(reg->problems[i].name);
		free(reg->problems[i].text);
	}
	free(reg->problems);
	free(reg->zone);
	free(reg);
}

const char *
dns_registry_zone(const struct dns_registry *reg)
{
	return reg->zone;
}

uint32_t
dns_registry_serial(const struct dns_registry *reg)
{
	return reg->serial;
}

const struct dns_env *
dns_registry_find(const struct dns_registry *reg, const char *name)
{
	struct dns_env key;

	if (name == NULL || strlen(name) >= sizeof(key.name) ||
	    reg->nenvs == 0)
		return NULL;
	snprintf(key.name, sizeof(key.name), "%s", name);
	return bsearch(&key, reg->envs, reg->nenvs, sizeof(key),
	    dns_registry_cmp_env);
}

const struct dns_env *
dns_registry_by_address(const struct dns_registry *reg,
    const struct sockaddr *sa)
{
	struct dns_registry_addr key, *a;

	if (reg->naddrs == 0)
		return NULL;
	dns_registry_key(sa, &key);
	a = bsearch(&key, reg->addrs, reg->naddrs, sizeof(key),
	    dns_registry_cmp_addr);
	return a != NULL ? &reg->envs[a->env] : NULL;
}

size_t
dns_registry_for_user(const struct dns_registry *reg, const char *user,
    const struct dns_env **out, size_t max)
{
	const struct dns_env *e;
	size_t i, k, n = 0;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < reg->nenvs; i++) {
			e = &reg->envs[i];
			if (!e->valid)
				continue;
			if (pass == 0 && strcmp(e->rec->owner, user) != 0)
				continue;
			if (pass == 1) {
				if (strcmp(e->rec->owner, user) == 0)
					continue;
				for (k = 0; k < e->rec->members.n; k++)
					if (strcmp(e->rec->members.v[k],
					    user) == 0)
						break;
				if (k == e->rec->members.n)
					continue;
			}
			if (n < max)
				out[n] = e;
			n++;
		}
	}
	return n;
}

const struct dns_profile *
dns_registry_profile(const struct dns_registry *reg, const char *name)
{
	struct dns_profile key, *kp = &key, **found;

	if (reg->nprofiles == 0 || name == NULL)
		return NULL;
	key.name = (char *)name;
	found = bsearch(&kp, reg->profiles, reg->nprofiles, sizeof(kp),
	    dns_registry_cmp_profile);
	return found != NULL ? *found : NULL;
}

size_t
dns_registry_count(const struct dns_registry *reg)
{
	return reg->nenvs;
}

const struct dns_env *
dns_registry_at(const struct dns_registry *reg, size_t i)
{
	return i < reg->nenvs ? &reg->envs[i] : NULL;
}

size_t
dns_registry_nprofiles(const struct dns_registry *reg)
{
	return reg->nprofiles;
}

const struct dns_profile *
dns_registry_profile_at(const struct dns_registry *reg, size_t i)
{
	return i < reg->nprofiles ? reg->profiles[i] : NULL;
}

size_t
dns_registry_nproblems(const struct dns_registry *reg)
{
	return reg->nproblems;
}

const struct dns_registry_problem *
dns_registry_problem_at(const struct dns_registry *reg, size_t i)
{
	return i < reg->nproblems ? &reg->problems[i] : NULL;
}
