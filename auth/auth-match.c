/* auth-match.c: sshd-compatible pattern lists (wildcards, negation),
 * address lists with CIDR, and the Match criteria; pure, never logs. */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/auth-conf.h"
#include "auth/auth-match.h"
#include "common/err.h"
#include "common/xmalloc.h"

#define AUTH_MATCH_MAX_SUB	1024	/* longest sub-pattern, as sshd */

int
auth_match_pattern(const char *s, const char *p)
{
	const char *star = NULL, *resume = NULL;

	/* Iterative glob with one backtrack point: linear in practice. */
	for (;;) {
		if (*p == '*') {
			while (*p == '*')
				p++;
			if (*p == '\0')
				return 1;
			star = p;
			resume = s;
			continue;
		}
		if (*s == '\0')
			return *p == '\0';
		if (*p != '\0' && (*p == '?' || *p == *s)) {
			p++;
			s++;
			continue;
		}
		if (star == NULL)
			return 0;
		p = star;
		s = ++resume;
	}
}

int
auth_match_pattern_list(const char *s, const char *list, int dolower)
{
	char sub[AUTH_MATCH_MAX_SUB];
	size_t i = 0, len = strlen(list), n;
	int negated, positive = 0;

	while (i < len) {
		negated = 0;
		if (list[i] == '!') {
			negated = 1;
			i++;
		}
		for (n = 0; i < len && list[i] != ','; n++, i++) {
			if (n >= sizeof(sub) - 1)
				return 0;
			sub[n] = dolower ?
			    (char)tolower((unsigned char)list[i]) : list[i];
		}
		sub[n] = '\0';
		if (i < len && list[i] == ',')
			i++;
		if (auth_match_pattern(s, sub)) {
			if (negated)
				return -1;
			positive = 1;
		}
	}
	return positive;
}

/* Addresses. */

int
auth_addr_parse(const char *s, struct auth_addr *a)
{
	char buf[INET6_ADDRSTRLEN + 1];

	if (strlen(s) >= sizeof(buf))
		return DG_ERR_PARSE;
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->a) == 1) {
		a->af = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->a) == 1) {
		a->af = AF_INET6;
		return 0;
	}
	return DG_ERR_PARSE;
}

static int
auth_addr_bits(const struct auth_addr *a)
{
	return a->af == AF_INET ? 32 : 128;
}

void
auth_addr_mask(struct auth_addr *a, int bits)
{
	int i, total = auth_addr_bits(a);

	for (i = bits; i < total; i++)
		a->a[i / 8] &= (unsigned char)~(0x80 >> (i % 8));
}

int
auth_addr_parse_cidr(const char *s, struct auth_addr *a, int *bitsp)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	struct auth_addr masked;
	long bits;

	if (strlen(s) >= sizeof(buf))
		return DG_ERR_PARSE;
	strcpy(buf, s);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (auth_addr_parse(buf, a) != 0)
		return DG_ERR_PARSE;
	bits = auth_addr_bits(a);
	if (slash != NULL) {
		if (!isdigit((unsigned char)*slash))
			return DG_ERR_PARSE;
		errno = 0;
		bits = strtol(slash, &end, 10);
		if (*end != '\0' || errno != 0 || bits < 0 ||
		    bits > auth_addr_bits(a))
			return DG_ERR_PARSE;
	}
	masked = *a;
	auth_addr_mask(&masked, (int)bits);
	if (memcmp(masked.a, a->a, sizeof(a->a)) != 0)
		return DG_ERR_INVAL;
	*bitsp = (int)bits;
	return 0;
}

int
auth_addr_in_net(const struct auth_addr *a, const struct auth_addr *net,
    int bits)
{
	struct auth_addr m;

	if (a->af != net->af)
		return 0;
	m = *a;
	auth_addr_mask(&m, bits);
	return memcmp(m.a, net->a, sizeof(m.a)) == 0;
}

int
auth_match_addr_list(const char *addr, const char *list)
{
	struct auth_addr try, net;
	char *copy, *p, *cp;
	int bits, neg, r, ret = 0;

	if (addr != NULL && auth_addr_parse(addr, &try) != 0)
		return 0;
	copy = p = xstrdup(list);
	while ((cp = strsep(&p, ",")) != NULL) {
		neg = *cp == '!';
		if (neg)
			cp++;
		if (*cp == '\0') {
			ret = -2;
			break;
		}
		r = auth_addr_parse_cidr(cp, &net, &bits);
		if (r == DG_ERR_INVAL) {
			ret = -2;
			break;
		}
		if (r == 0) {
			if (addr == NULL || !auth_addr_in_net(&try, &net, bits))
				continue;
		} else if (strchr(cp, '/') != NULL) {
			/* A mask on something that is not an address. */
			ret = -2;
			break;
		} else if (addr == NULL || auth_match_pattern(addr, cp) != 1)
			continue;
		if (neg) {
			ret = -1;
			break;
		}
		ret = 1;
	}
	free(copy);
	return ret;
}

int
auth_match_cidr_list(const char *addr, const char *list)
{
	struct auth_addr try, net;
	char *copy, *p, *cp;
	int bits, ret = 0;

	if (addr != NULL && auth_addr_parse(addr, &try) != 0)
		return 0;
	if (strlen(list) > 8192)
		return -1;
	copy = p = xstrdup(list);
	while ((cp = strsep(&p, ",")) != NULL) {
		if (*cp == '\0' || strlen(cp) > INET6_ADDRSTRLEN + 3 ||
		    strspn(cp, "0123456789abcdefABCDEF.:/") != strlen(cp) ||
		    auth_addr_parse_cidr(cp, &net, &bits) != 0) {
			ret = -1;
			break;
		}
		if (addr != NULL && ret == 0 &&
		    auth_addr_in_net(&try, &net, bits))
			ret = 1;
	}
	free(copy);
	return ret;
}

int
auth_match_list_has(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
		if ((p = strchr(p, ',')) != NULL)
			p++;
	}
	return 0;
}

int
auth_match_from(const char *ip, const char *patterns)
{
	char *lower;
	size_t i;
	int mip, mhost;

	if ((mip = auth_match_addr_list(ip, patterns)) == -2)
		return -1;
	if (mip == -1)
		return 0;
	/* The address text stands in for the host name (no reverse DNS). */
	lower = xstrdup(ip);
	for (i = 0; lower[i] != '\0'; i++)
		lower[i] = (char)tolower((unsigned char)lower[i]);
	mhost = auth_match_pattern_list(lower, patterns, 1);
	free(lower);
	if (mhost == -1)
		return 0;
	return mhost == 1 || mip == 1;
}

int
auth_match_hostport(const char *s, char *host, size_t hostlen, int *portp)
{
	const char *colon, *h = s;
	size_t n;
	char *end;
	long port;

	if (*s == '[') {
		if ((colon = strchr(s, ']')) == NULL || colon[1] != ':')
			return DG_ERR_PARSE;
		h = s + 1;
		n = (size_t)(colon - h);
		colon++;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return DG_ERR_PARSE;
		n = (size_t)(colon - s);
	}
	if (n == 0 || n >= hostlen)
		return DG_ERR_PARSE;
	memcpy(host, h, n);
	host[n] = '\0';
	if (strcmp(colon + 1, "*") == 0) {
		*portp = -1;
		return 0;
	}
	if (!isdigit((unsigned char)colon[1]))
		return DG_ERR_PARSE;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || errno != 0 || port < 1 || port > 65535)
		return DG_ERR_PARSE;
	*portp = (int)port;
	return 0;
}

/* Match criteria. */

enum auth_crit {
	AUTH_CRIT_ALL = 0,
	AUTH_CRIT_USER,
	AUTH_CRIT_GROUP,
	AUTH_CRIT_ADDRESS,
	AUTH_CRIT_LADDRESS,
	AUTH_CRIT_LPORT,
	AUTH_CRIT_ENV,
};

static const char *const auth_crit_names[] = {
	"All", "User", "Group", "Address", "LocalAddress", "LocalPort",
	"Environment", NULL
};

static int
auth_crit_lookup(const char *s)
{
	int i;

	for (i = 0; auth_crit_names[i] != NULL; i++)
		if (strcasecmp(s, auth_crit_names[i]) == 0)
			return i;
	return -1;
}

static int
auth_match_port(const char *s)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0' || errno != 0 || v < 1 || v > 65535)
		return -1;
	return (int)v;
}

int
auth_match_check(int argc, char **criteria, char *err, size_t errlen)
{
	int i, c;

	if (argc == 1 && strcasecmp(criteria[0], "All") == 0)
		return 0;
	for (i = 0; i < argc; i += 2) {
		if ((c = auth_crit_lookup(criteria[i])) < 0) {
			snprintf(err, errlen, "unsupported Match criterion "
			    "\"%s\" (use User, Group, Address, LocalAddress, "
			    "LocalPort, Environment or All)", criteria[i]);
			return DG_ERR_PARSE;
		}
		if (c == AUTH_CRIT_ALL) {
			snprintf(err, errlen, "\"All\" cannot be combined "
			    "with other Match criteria");
			return DG_ERR_PARSE;
		}
		if (i + 1 >= argc || *criteria[i + 1] == '\0') {
			snprintf(err, errlen, "Match %s needs a value",
			    auth_crit_names[c]);
			return DG_ERR_PARSE;
		}
		switch (c) {
		case AUTH_CRIT_ADDRESS:
		case AUTH_CRIT_LADDRESS:
			if (auth_match_addr_list(NULL, criteria[i + 1]) != 0) {
				snprintf(err, errlen, "Match %s: invalid "
				    "address list \"%s\"", auth_crit_names[c],
				    criteria[i + 1]);
				return DG_ERR_PARSE;
			}
			break;
		case AUTH_CRIT_LPORT:
			if (auth_match_port(criteria[i + 1]) < 0) {
				snprintf(err, errlen, "Match LocalPort: invalid "
				    "port \"%s\"", criteria[i + 1]);
				return DG_ERR_PARSE;
			}
			break;
		default:
			break;
		}
	}
	return 0;
}

static int
auth_match_groups(const struct auth_match_ctx *m, const char *list)
{
	size_t i;
	int r, found = 0;

	if (m->groups == NULL)
		return 0;
	for (i = 0; i < m->ngroups; i++) {
		r = auth_match_pattern_list(m->groups[i], list, 0);
		if (r == -1)
			return 0;	/* a negated group matched */
		if (r == 1)
			found = 1;
	}
	return found;
}

int
auth_match_eval(void *ctx, int argc, char **criteria)
{
	const struct auth_match_ctx *m = ctx;
	const char *v;
	int i, c, ok;

	if (argc == 1 && strcasecmp(criteria[0], "All") == 0)
		return 1;
	for (i = 0; i + 1 < argc; i += 2) {
		c = auth_crit_lookup(criteria[i]);
		v = criteria[i + 1];
		switch (c) {
		case AUTH_CRIT_USER:
			ok = m->user != NULL &&
			    auth_match_pattern_list(m->user, v, 0) == 1;
			break;
		case AUTH_CRIT_GROUP:
			ok = auth_match_groups(m, v);
			break;
		case AUTH_CRIT_ADDRESS:
			ok = m->addr != NULL &&
			    auth_match_addr_list(m->addr, v) == 1;
			break;
		case AUTH_CRIT_LADDRESS:
			ok = m->laddr != NULL &&
			    auth_match_addr_list(m->laddr, v) == 1;
			break;
		case AUTH_CRIT_LPORT:
			ok = m->lport > 0 && auth_match_port(v) == m->lport;
			break;
		case AUTH_CRIT_ENV:
			ok = m->env != NULL &&
			    auth_match_pattern_list(m->env, v, 0) == 1;
			break;
		default:
			return -1;	/* checked at load: cannot happen */
		}
		if (!ok)
			return 0;
	}
	return 1;
}
