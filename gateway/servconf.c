/* servconf.c: the gateway keyword table, its custom keywords (ListenAddress,
 * MaxStartups, LogLevel, HostKey, AcceptEnv; the environment ones are in
 * servconf-env.c) and the combined configuration of every area with its
 * embedded default. */
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/auth-conf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "dns/dns-conf.h"
#include "gateway/servconf.h"
#include "gateway/servconf-kw.h"

#define GW_OFF(f) offsetof(struct gateway_config, f)

const char servconf_embedded[] =
    "# devgate's embedded default: the quick start on one machine.\n"
    "ListenAddress 127.0.0.1:2222\n"
    "StateDirectory ~/.local/state/devgate\n"
    "HostKey ~/.local/state/devgate/ssh_host_ed25519_key\n"
    "Kubeconfig ~/.local/state/devgate/kubesim/kubeconfig\n"
    "AuthorizedKeysFile ~/.local/state/devgate/authorized_keys/%u\n"
    "Workers 1\n";

/* Names. */

int
servconf_valid_env(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > SERVCONF_ENV_MAX || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) ||
		        isdigit((unsigned char)s[i]) || s[i] == '-'))
			return 0;
	return 1;
}

int
servconf_valid_user(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > SERVCONF_USER_MAX)
		return 0;
	if (!(islower((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (i = 1; i < n; i++)
		if (!(islower((unsigned char)s[i]) ||
		        isdigit((unsigned char)s[i]) || s[i] == '_' ||
		        s[i] == '.' || s[i] == '-'))
			return 0;
	return 1;
}

int
servconf_accept_env(const struct conf_list *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (fnmatch(l->v[i], name, 0) == 0)
			return 1;
	return 0;
}

char *
servconf_expand_path(const char *p)
{
	const char *home;

	if (p[0] == '~' && (p[1] == '/' || p[1] == '\0') &&
	    (home = getenv("HOME")) != NULL && *home != '\0')
		return xasprintf("%s%s", home, p + 1);
	return xstrdup(p);
}

/* Addresses. */

int
servconf_canon_addr(const char *in, char *out, size_t outlen)
{
	unsigned char buf[16];

	if (inet_pton(AF_INET, in, buf) == 1)
		return inet_ntop(AF_INET, buf, out, outlen) ? 0 : DG_ERR_INVAL;
	if (inet_pton(AF_INET6, in, buf) == 1)
		return inet_ntop(AF_INET6, buf, out, outlen) ? 0 : DG_ERR_INVAL;
	return DG_ERR_INVAL;
}

static int
sc_parse_port(const char *s, int *portp)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return DG_ERR_PARSE;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0' || errno != 0 || v < 1 || v > 65535)
		return DG_ERR_RANGE;
	*portp = (int)v;
	return 0;
}

int
servconf_parse_listen(const char *s, struct listen_addr *out)
{
	struct listen_addr la;
	char host[64];
	const char *colon, *close;
	size_t n;
	int r;

	memset(&la, 0, sizeof(la));
	if (strlen(s) >= sizeof(host) + 8)
		return DG_ERR_TOOBIG;
	if (s[0] == '[') {
		if ((close = strchr(s, ']')) == NULL)
			return DG_ERR_PARSE;
		n = (size_t)(close - s - 1);
		if (n == 0 || n >= sizeof(host))
			return DG_ERR_PARSE;
		memcpy(host, s + 1, n);
		host[n] = '\0';
		if (strchr(host, ':') == NULL)
			return DG_ERR_PARSE; /* brackets are for IPv6 */
		if (close[1] == ':') {
			if ((r = sc_parse_port(close + 2, &la.port)) != 0)
				return r;
		} else if (close[1] != '\0')
			return DG_ERR_PARSE;
	} else if ((colon = strchr(s, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		/* host:port with an IPv4 address */
		n = (size_t)(colon - s);
		if (n == 0 || n >= sizeof(host))
			return DG_ERR_PARSE;
		memcpy(host, s, n);
		host[n] = '\0';
		if ((r = sc_parse_port(colon + 1, &la.port)) != 0)
			return r;
	} else {
		/* a bare IPv4 or IPv6 address */
		if (strlen(s) >= sizeof(host))
			return DG_ERR_PARSE;
		strcpy(host, s);
	}
	if (servconf_canon_addr(host, la.host, sizeof(la.host)) != 0)
		return DG_ERR_INVAL;
	*out = la;
	return 0;
}

void
servconf_format_listen(const struct listen_addr *la, char *buf, size_t len)
{
	if (strchr(la->host, ':') != NULL)
		snprintf(buf, len, "[%s]:%d", la->host, la->port);
	else
		snprintf(buf, len, "%s:%d", la->host, la->port);
}

static int
sc_listen_parse(const struct conf_keyword *kw, void *field, int argc,
    char **argv, char *err, size_t errlen)
{
	struct listen_list *l = field;
	struct listen_addr la;
	size_t i;
	int r;

	if (argc != 2)
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "%s takes one address "
		    "(address, address:port or [address]:port)",
		    kw->name);
	if ((r = servconf_parse_listen(argv[1], &la)) != 0)
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "%s: \"%s\" is not a numeric IPv4 "
		    "or IPv6 address with an optional port (1-65535), as "
		    "127.0.0.1:2222 or [::1]:2222",
		    kw->name, argv[1]);
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].host, la.host) == 0 &&
		    l->v[i].port == la.port)
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "%s: %s given twice", kw->name, argv[1]);
	if (l->n >= 64)
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "%s: more than 64 addresses", kw->name);
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = la;
	return 0;
}

static void
sc_listen_dump(const struct conf_keyword *kw, const void *field, FILE *out)
{
	const struct listen_list *l = field;
	char buf[80];
	size_t i;

	(void)kw;
	for (i = 0; i < l->n; i++) {
		servconf_format_listen(&l->v[i], buf, sizeof(buf));
		fprintf(out, "listenaddress %s\n", buf);
	}
}

static void
sc_listen_free(void *field)
{
	struct listen_list *l = field;

	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void
sc_listen_copy(void *dst, const void *src)
{
	const struct listen_list *s = src;
	struct listen_list *d = dst;

	d->n = s->n;
	d->v = s->n ? xreallocarray(NULL, s->n, sizeof(*d->v)) : NULL;
	if (s->n)
		memcpy(d->v, s->v, s->n * sizeof(*d->v));
}

/* MaxStartups. */

int
servconf_parse_maxstartups(const char *s, struct maxstartups *out)
{
	struct maxstartups m;
	long v[3];
	char *end;
	const char *p = s;
	int i, n = 0;

	for (i = 0; i < 3; i++) {
		if (!isdigit((unsigned char)*p))
			return DG_ERR_PARSE;
		errno = 0;
		v[i] = strtol(p, &end, 10);
		if (errno != 0 || v[i] > 100000)
			return DG_ERR_RANGE;
		n++;
		if (*end == '\0')
			break;
		if (*end != ':' || i == 2)
			return DG_ERR_PARSE;
		p = end + 1;
	}
	if (n == 2)
		return DG_ERR_PARSE;
	if (n == 1) {
		m.start = m.full = (int)v[0];
		m.rate = 100;
	} else {
		m.start = (int)v[0];
		m.rate = (int)v[1];
		m.full = (int)v[2];
	}
	if (m.start < 1 || m.full < m.start || m.rate < 1 || m.rate > 100)
		return DG_ERR_RANGE;
	*out = m;
	return 0;
}

static int
sc_maxstartups_parse(const struct conf_keyword *kw, void *field, int argc,
    char **argv, char *err, size_t errlen)
{
	if (argc != 2 || servconf_parse_maxstartups(argv[1], field) != 0)
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "%s: expected start:rate:full with "
		    "1 <= start <= full and rate 1-100 (as 10:30:100), or "
		    "one number",
		    kw->name);
	return 0;
}

static void
sc_maxstartups_dump(const struct conf_keyword *kw, const void *field, FILE *out)
{
	const struct maxstartups *m = field;

	(void)kw;
	fprintf(out, "maxstartups %d:%d:%d\n", m->start, m->rate, m->full);
}

static void
sc_plain_copy_maxstartups(void *dst, const void *src)
{
	memcpy(dst, src, sizeof(struct maxstartups));
}

/* LogLevel, with sshd's names and DEBUG as DEBUG1. */

static int
sc_loglevel_parse(const struct conf_keyword *kw, void *field, int argc,
    char **argv, char *err, size_t errlen)
{
	int l;

	if (argc != 2 || (l = log_level_from_name(argv[1])) < 0)
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "%s: expected QUIET, FATAL, ERROR, "
		    "INFO, VERBOSE, DEBUG, DEBUG1, DEBUG2 or DEBUG3",
		    kw->name);
	*(int *)field = l;
	return 0;
}

static void
sc_loglevel_dump(const struct conf_keyword *kw, const void *field, FILE *out)
{
	(void)kw;
	fprintf(out, "loglevel %s\n", log_level_name(*(const int *)field));
}

static void
sc_int_copy(void *dst, const void *src)
{
	*(int *)dst = *(const int *)src;
}

/* Lists whose words are checked: HostKey (absolute paths or ~/), AcceptEnv
 * (environment name patterns). */

static int
sc_valid_path(const char *w)
{
	return (w[0] == '/' || (w[0] == '~' && w[1] == '/')) &&
	    strlen(w) < 4096;
}

static int
sc_valid_envpat(const char *w)
{
	size_t i;

	for (i = 0; w[i] != '\0'; i++)
		if (!(isalnum((unsigned char)w[i]) || w[i] == '_' ||
		        w[i] == '*' || w[i] == '?') ||
		    i >= 255)
			return 0;
	return i > 0;
}

static int
sc_checked_list(const struct conf_keyword *kw, void *field, int argc,
    char **argv, char *err, size_t errlen, int (*ok)(const char *),
    const char *what)
{
	int i;

	if (argc < 2)
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "%s needs an argument", kw->name);
	for (i = 1; i < argc; i++)
		if (!ok(argv[i]))
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "%s: \"%.64s\" is not %s", kw->name, argv[i], what);
	for (i = 1; i < argc; i++)
		conf_list_add(field, argv[i]);
	return 0;
}

static int
sc_hostkey_parse(const struct conf_keyword *kw, void *field, int argc,
    char **argv, char *err, size_t errlen)
{
	return sc_checked_list(kw, field, argc, argv, err, errlen,
	    sc_valid_path, "an absolute path (or ~/path)");
}

static int
sc_acceptenv_parse(const struct conf_keyword *kw, void *field, int argc,
    char **argv, char *err, size_t errlen)
{
	return sc_checked_list(kw, field, argc, argv, err, errlen,
	    sc_valid_envpat,
	    "a variable name pattern (letters, digits, _, "
	    "* and ?)");
}

static void
sc_list_dump(const struct conf_keyword *kw, const void *field, FILE *out)
{
	const struct conf_list *l = field;
	const char *p;
	size_t i;

	/* 64 words a line: a line holds at most 256, repeats append. */
	for (i = 0; i < l->n; i++) {
		if (i % 64 == 0) {
			if (i > 0)
				fputc('\n', out);
			for (p = kw->name; *p != '\0'; p++)
				fputc(tolower((unsigned char)*p), out);
		}
		fputc(' ', out);
		conf_print_word(out, l->v[i]);
	}
	if (l->n > 0)
		fputc('\n', out);
}

static void
sc_list_free(void *field)
{
	conf_list_free(field);
}

static void
sc_list_copy(void *dst, const void *src)
{
	const struct conf_list *s = src;
	size_t i;

	memset(dst, 0, sizeof(struct conf_list));
	for (i = 0; i < s->n; i++)
		conf_list_add(dst, s->v[i]);
}

static const char *const sc_hostkey_types[] = { "ed25519", "ecdsa", "rsa",
	NULL };
static const char *const sc_log_formats[] = { "text", "json", NULL };

#define SC_CUSTOM(parse, dump, free, copy) 0, 0, NULL, parse, dump, free, copy

static const struct conf_keyword gateway_kw[] = {
	{ "ListenAddress", CONF_CUSTOM, GW_OFF(listen), NULL, CONF_F_REPEAT,
	    SC_CUSTOM(sc_listen_parse, sc_listen_dump, sc_listen_free,
	        sc_listen_copy) },
	{ "Port", CONF_INT, GW_OFF(port), "22", 0, 1, 65535 },
	{ "HostKey", CONF_CUSTOM, GW_OFF(hostkeys), NULL, CONF_F_REPEAT,
	    SC_CUSTOM(sc_hostkey_parse, sc_list_dump, sc_list_free,
	        sc_list_copy) },
	{ "HostKeyType", CONF_ENUM, GW_OFF(hostkey_type), "ed25519", 0, 0, 0,
	    sc_hostkey_types },
	{ "StateDirectory", CONF_PATH, GW_OFF(state_dir), "/var/lib/devgate",
	    0 },
	{ "PidFile", CONF_PATH, GW_OFF(pid_file), "none", 0 },
	{ "Kubeconfig", CONF_PATH, GW_OFF(kubeconfig), "none", 0 },
	{ "Namespace", CONF_STR, GW_OFF(namespace), NULL, 0 },
	{ "Container", CONF_STR, GW_OFF(container), NULL, 0 },
	{ "LoginGraceTime", CONF_TIME, GW_OFF(login_grace), "120", 0, 0,
	    86400 },
	{ "MaxAuthTries", CONF_INT, GW_OFF(max_auth_tries), "6", 0, 1, 1000 },
	{ "MaxStartups", CONF_CUSTOM, GW_OFF(maxstartups), "10:30:100", 0,
	    SC_CUSTOM(sc_maxstartups_parse, sc_maxstartups_dump, NULL,
	        sc_plain_copy_maxstartups) },
	{ "ClientAliveInterval", CONF_TIME, GW_OFF(alive_interval), "0",
	    CONF_F_MATCH, 0, 86400 },
	{ "ClientAliveCountMax", CONF_INT, GW_OFF(alive_count), "3",
	    CONF_F_MATCH, 0, 1000 },
	{ "LogLevel", CONF_CUSTOM, GW_OFF(log_level), "INFO", 0,
	    SC_CUSTOM(sc_loglevel_parse, sc_loglevel_dump, NULL, sc_int_copy) },
	{ "LogFormat", CONF_ENUM, GW_OFF(log_format), "text", 0, 0, 0,
	    sc_log_formats },
	{ "Workers", CONF_INT, GW_OFF(workers), "0", 0, 0, 256 },
	{ "ShutdownGraceTime", CONF_TIME, GW_OFF(shutdown_grace), "60", 0, 0,
	    86400 },
	{ "MaxWorkerSessions", CONF_INT, GW_OFF(max_sessions), "10000", 0, 1,
	    1000000 },
	{ "StreamConnectTimeout", CONF_TIME, GW_OFF(stream_timeout), "15", 0, 1,
	    3600 },
	{ "AcceptEnv", CONF_CUSTOM, GW_OFF(accept_env), NULL,
	    CONF_F_MATCH | CONF_F_REPEAT,
	    SC_CUSTOM(sc_acceptenv_parse, sc_list_dump, sc_list_free,
	        sc_list_copy) },
	{ "EnvironmentAddress", CONF_CUSTOM, GW_OFF(env_addrs), NULL,
	    CONF_F_REPEAT,
	    SC_CUSTOM(servconf_env_addr_parse, servconf_env_addr_dump,
	        servconf_env_addr_free, servconf_env_addr_copy) },
	{ "Environment", CONF_CUSTOM, GW_OFF(envs), NULL, CONF_F_REPEAT,
	    SC_CUSTOM(servconf_env_def_parse, servconf_env_def_dump,
	        servconf_env_def_free, servconf_env_def_copy) },
	{ NULL }
};

const struct conf_table gateway_conf_table = { "gateway", gateway_kw };

/* The combined configuration. */

static void
sc_init(struct servconf *sc)
{
	const struct conf_table *tables[CONF_MAX_AREAS];
	void *areas[CONF_MAX_AREAS];
	size_t n = 0;

	memset(sc, 0, sizeof(*sc));
	sc->auth = xcalloc(1, sizeof(struct auth_config));
	tables[n] = &gateway_conf_table;
	areas[n++] = &sc->gw;
	tables[n] = &auth_conf_table;
	areas[n++] = sc->auth;
	sc->dns = xcalloc(1, sizeof(struct dns_config));
	tables[n] = &dns_conf_table;
	areas[n++] = sc->dns;
	conf_init(&sc->conf, n, tables, areas);
	conf_set_match_check(&sc->conf, auth_match_check);
}

static void
sc_expand(char **pp)
{
	char *p;

	if (*pp == NULL)
		return;
	p = servconf_expand_path(*pp);
	free(*pp);
	*pp = p;
}

/* Checks and derived values once every keyword has its value. */
static int
sc_finish(struct servconf *sc, char *err, size_t errlen)
{
	struct gateway_config *gw = &sc->gw;
	struct dns_config *dns = sc->dns;
	size_t i, j;
	char *p;
	int r;

	if ((r = conf_finish(&sc->conf, err, errlen)) != 0)
		return r;
	sc_expand(&gw->state_dir);
	sc_expand(&gw->pid_file);
	sc_expand(&dns->state_dir);
	/* The DNS queue lives under StateDirectory unless placed elsewhere. */
	if (dns->state_dir == NULL && gw->state_dir != NULL &&
	    !conf_isset(&sc->conf, "DNSStateDirectory"))
		dns->state_dir = xasprintf("%s/dns", gw->state_dir);
	sc_expand(&gw->kubeconfig);
	for (i = 0; i < gw->hostkeys.n; i++) {
		p = servconf_expand_path(gw->hostkeys.v[i]);
		free(gw->hostkeys.v[i]);
		gw->hostkeys.v[i] = p;
	}
	/* "~/" is the home of whoever runs devgate, in every area. */
	for (i = 0; i < sc->auth->authorized_keys_file.n; i++) {
		p = servconf_expand_path(sc->auth->authorized_keys_file.v[i]);
		free(sc->auth->authorized_keys_file.v[i]);
		sc->auth->authorized_keys_file.v[i] = p;
	}
	if (gw->hostkeys.n == 0 && gw->state_dir != NULL) {
		p = xasprintf("%s/ssh_host_%s_key", gw->state_dir,
		    sc_hostkey_types[gw->hostkey_type]);
		conf_list_add(&gw->hostkeys, p);
		free(p);
	}
	if (gw->hostkeys.n == 0)
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "HostKey: none given and "
		    "StateDirectory is none");
	if (gw->listen.n == 0) {
		sc_listen_parse(&gateway_kw[0], &gw->listen, 2,
		    (char *[]){ "ListenAddress", "0.0.0.0", NULL }, err,
		    errlen);
		sc_listen_parse(&gateway_kw[0], &gw->listen, 2,
		    (char *[]){ "ListenAddress", "::", NULL }, err, errlen);
	}
	for (i = 0; i < gw->listen.n; i++)
		if (gw->listen.v[i].port == 0)
			gw->listen.v[i].port = gw->port;
	/* The same address with the port from Port twice. */
	for (i = 0; i < gw->listen.n; i++)
		for (j = i + 1; j < gw->listen.n; j++)
			if (strcmp(gw->listen.v[i].host,
			        gw->listen.v[j].host) == 0 &&
			    gw->listen.v[i].port == gw->listen.v[j].port)
				return dg_errf(err, errlen, DG_ERR_PARSE,
				    "ListenAddress "
				    "%s port %d is given twice",
				    gw->listen.v[i].host, gw->listen.v[i].port);
	if (gw->namespace != NULL && !servconf_valid_env(gw->namespace))
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "Namespace: \"%s\" is not a "
		    "Kubernetes namespace name",
		    gw->namespace);
	return dns_conf_check(sc->dns, err, errlen);
}

int
servconf_load_string(struct servconf *sc, const char *name, const char *text,
    char *err, size_t errlen)
{
	int r;

	sc_init(sc);
	if ((r = conf_load_string(&sc->conf, name, text, err, errlen)) != 0)
		return r;
	return sc_finish(sc, err, errlen);
}

int
servconf_load(struct servconf *sc, const char *path, char *err, size_t errlen)
{
	int r;

	if (path == NULL)
		return servconf_load_string(sc, "(embedded default)",
		    servconf_embedded, err, errlen);
	sc_init(sc);
	sc->path = xstrdup(path);
	if ((r = conf_load_file(&sc->conf, path, err, errlen)) != 0)
		return r;
	return sc_finish(sc, err, errlen);
}

void
servconf_free(struct servconf *sc)
{
	if (sc == NULL)
		return;
	conf_free(&sc->conf);
	free(sc->auth);
	sc->auth = NULL;
	free(sc->dns);
	sc->dns = NULL;
	free(sc->path);
	sc->path = NULL;
}

void
servconf_dump(const struct servconf *sc, FILE *out)
{
	conf_dump(&sc->conf, out);
}
