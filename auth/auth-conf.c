/* auth-conf.c: the auth area of the configuration: keyword table, custom
 * value parsers (PerSourcePenalties, AuthenticationMethods, ...) and the
 * per-connection effective config. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "auth/auth-conf.h"
#include "auth/auth-match.h"
#include "common/err.h"
#include "common/xmalloc.h"

#define OFF(f)	offsetof(struct auth_config, f)

static const char *const auth_fwd_names[] = {
	"yes", "all", "no", "local", "remote", NULL
};

static const char *const auth_ca_algs[] = {
	"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa", NULL
};

static void
auth_conf_name(FILE *out, const char *name)
{
	for (; *name != '\0'; name++)
		fputc(tolower((unsigned char)*name), out);
}

/*
 * A string made of all arguments joined by spaces, checked by a validator.
 * Dumped as separate words so -T output parses back to itself.
 */

typedef int auth_conf_check_fn(const char *, char *, size_t);

static int
auth_conf_words_parse(const struct conf_keyword *kw, void *field, int argc,
    char **argv, char *err, size_t errlen, auth_conf_check_fn *check)
{
	char **sp = field, *s, *p;
	size_t len = 0;
	int i;

	if (argc < 2)
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "%s needs an argument%s", kw->name, "");
	for (i = 1; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = p = xmalloc(len);
	for (i = 1; i < argc; i++) {
		if (i > 1)
			*p++ = ' ';
		strcpy(p, argv[i]);
		p += strlen(argv[i]);
	}
	if (check != NULL && check(s, err, errlen) != 0) {
		free(s);
		return DG_ERR_PARSE;
	}
	free(*sp);
	*sp = s;
	return 0;
}

static void
auth_conf_words_dump(const struct conf_keyword *kw, const void *field,
    FILE *out)
{
	const char *s = *(char *const *)field, *p;
	size_t n;

	if (s == NULL)
		return;
	auth_conf_name(out, kw->name);
	for (p = s; *p != '\0'; p += n) {
		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n == 0)
			break;
		fprintf(out, " %.*s", (int)n, p);
	}
	fputc('\n', out);
}

static void
auth_conf_str_free(void *field)
{
	free(*(char **)field);
	*(char **)field = NULL;
}

static void
auth_conf_str_copy(void *dst, const void *src)
{
	const char *s = *(char *const *)src;

	*(char **)dst = s != NULL ? xstrdup(s) : NULL;
}

static int
auth_conf_check_methods(const char *s, char *err, size_t errlen)
{
	char buf[256];

	if (auth_methods_valid(s, buf, sizeof(buf)) != 0) {
		snprintf(err, errlen, "AuthenticationMethods: %s", buf);
		return DG_ERR_PARSE;
	}
	return 0;
}

static int
auth_conf_methods_parse(const struct conf_keyword *kw, void *field, int argc,
    char **argv, char *err, size_t errlen)
{
	return auth_conf_words_parse(kw, field, argc, argv, err, errlen,
	    auth_conf_check_methods);
}

static int
auth_conf_check_netblock(const char *s, char *err, size_t errlen)
{
	int b4, b6;

	if (auth_conf_netblock(s, &b4, &b6) != 0)
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "PerSourceNetBlockSize: "
		    "expected N[:M] (IPv4 1-32, IPv6 1-128), not \"%s\"%s", s,
		    "");
	return 0;
}

static int
auth_conf_netblock_parse(const struct conf_keyword *kw, void *field,
    int argc, char **argv, char *err, size_t errlen)
{
	if (argc != 2)
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "%s takes one argument%s", kw->name, "");
	return auth_conf_words_parse(kw, field, argc, argv, err, errlen,
	    auth_conf_check_netblock);
}

static int
auth_conf_check_exempt(const char *s, char *err, size_t errlen)
{
	if (strcasecmp(s, "none") != 0 && auth_match_addr_list(NULL, s) != 0)
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "PerSourcePenaltyExemptList: invalid address list \"%s\"%s",
		    s, "");
	return 0;
}

static int
auth_conf_exempt_parse(const struct conf_keyword *kw, void *field, int argc,
    char **argv, char *err, size_t errlen)
{
	if (argc != 2)
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "%s takes one argument%s", kw->name, "");
	return auth_conf_words_parse(kw, field, argc, argv, err, errlen,
	    auth_conf_check_exempt);
}

static int
auth_conf_check_casig(const char *s, char *err, size_t errlen)
{
	char *copy = xstrdup(s), *p = copy, *alg;
	int i, r = 0;

	while ((alg = strsep(&p, ",")) != NULL) {
		for (i = 0; auth_ca_algs[i] != NULL; i++)
			if (strcmp(alg, auth_ca_algs[i]) == 0)
				break;
		if (auth_ca_algs[i] == NULL) {
			r = dg_errf(err, errlen, DG_ERR_PARSE,
			    "CASignatureAlgorithms: "
			    "unsupported algorithm \"%s\"%s", alg, "");
			break;
		}
	}
	free(copy);
	return r;
}

static int
auth_conf_casig_parse(const struct conf_keyword *kw, void *field, int argc,
    char **argv, char *err, size_t errlen)
{
	if (argc != 2)
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "%s takes one argument%s", kw->name, "");
	return auth_conf_words_parse(kw, field, argc, argv, err, errlen,
	    auth_conf_check_casig);
}

static int
auth_conf_check_userenv(const char *s, char *err, size_t errlen)
{
	(void)s;
	(void)err;
	(void)errlen;
	return 0;	/* yes, no, or any pattern list */
}

static int
auth_conf_userenv_parse(const struct conf_keyword *kw, void *field, int argc,
    char **argv, char *err, size_t errlen)
{
	if (argc != 2)
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "%s takes one argument%s", kw->name, "");
	return auth_conf_words_parse(kw, field, argc, argv, err, errlen,
	    auth_conf_check_userenv);
}

int
auth_conf_netblock(const char *s, int *bits4, int *bits6)
{
	char *end;
	long a, b = 128;

	if (!isdigit((unsigned char)*s))
		return DG_ERR_PARSE;
	errno = 0;
	a = strtol(s, &end, 10);
	if (errno != 0 || a < 1 || a > 32)
		return DG_ERR_PARSE;
	if (*end == ':') {
		s = end + 1;
		if (!isdigit((unsigned char)*s))
			return DG_ERR_PARSE;
		b = strtol(s, &end, 10);
		if (errno != 0 || b < 1 || b > 128)
			return DG_ERR_PARSE;
	}
	if (*end != '\0')
		return DG_ERR_PARSE;
	*bits4 = (int)a;
	*bits6 = (int)b;
	return 0;
}

/*
 * PermitOpen: "any", "none", or host:port entries (host "*" and port "*"
 * allowed, IPv6 hosts in brackets). First line wins, as in sshd.
 */

static int
auth_conf_permitopen_parse(const struct conf_keyword *kw, void *field,
    int argc, char **argv, char *err, size_t errlen)
{
	struct conf_list *l = field, tmp = { NULL, 0 };
	char host[256];
	int i, port;

	if (argc < 2)
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "%s needs an argument%s", kw->name, "");
	for (i = 1; i < argc; i++) {
		if ((strcasecmp(argv[i], "any") == 0 ||
		    strcasecmp(argv[i], "none") == 0)) {
			if (argc != 2) {
				conf_list_free(&tmp);
				return dg_errf(err, errlen, DG_ERR_PARSE,
				    "%s: \"%s\" must be alone", kw->name,
				    argv[i]);
			}
		} else if (auth_match_hostport(argv[i], host, sizeof(host),
		    &port) != 0) {
			conf_list_free(&tmp);
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "%s: expected host:port, any or none, not \"%s\"",
			    kw->name, argv[i]);
		}
		conf_list_add(&tmp, argv[i]);
	}
	conf_list_free(l);
	*l = tmp;
	return 0;
}

static void
auth_conf_list_dump(const struct conf_keyword *kw, const void *field,
    FILE *out)
{
	const struct conf_list *l = field;
	size_t i;

	if (l->n == 0)
		return;
	auth_conf_name(out, kw->name);
	for (i = 0; i < l->n; i++) {
		fputc(' ', out);
		conf_print_word(out, l->v[i]);
	}
	fputc('\n', out);
}

static void
auth_conf_list_free(void *field)
{
	conf_list_free(field);
}

static void
auth_conf_list_copy(void *dst, const void *src)
{
	const struct conf_list *s = src;
	struct conf_list *d = dst;
	size_t i;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < s->n; i++)
		conf_list_add(d, s->v[i]);
}

/*
 * PerSourcePenalties: "yes", "no", or sub-options that override the
 * defaults (OpenSSH 9.8's, plus devgate's delay).
 */

static const struct auth_penalty_conf auth_penalty_defaults = {
	1, 90, 5, 1, 10, 600, 15, 2000, 65536, 65536,
	AUTH_OVERFLOW_PERMISSIVE, AUTH_OVERFLOW_PERMISSIVE
};

struct auth_penalty_opt {
	const char	*name;
	size_t		 off;
	int		 kind;	/* 0 seconds, 1 count, 2 overflow, 3 ms */
};

#define POFF(f)	offsetof(struct auth_penalty_conf, f)
static const struct auth_penalty_opt auth_penalty_opts[] = {
	{ "crash", POFF(crash), 0 },
	{ "authfail", POFF(authfail), 0 },
	{ "noauth", POFF(noauth), 0 },
	{ "grace-exceeded", POFF(grace), 0 },
	{ "max", POFF(max), 0 },
	{ "min", POFF(min), 0 },
	{ "delay", POFF(delay), 3 },
	{ "max-sources4", POFF(max_sources4), 1 },
	{ "max-sources6", POFF(max_sources6), 1 },
	{ "overflow", POFF(overflow4), 2 },
	{ "overflow6", POFF(overflow6), 2 },
	{ NULL, 0, 0 }
};

static int
auth_conf_delay_ms(const char *s, int *msp)
{
	size_t n = strlen(s);
	char *end;
	long v;
	int sec;

	if (n > 2 && strcmp(s + n - 2, "ms") == 0 &&
	    isdigit((unsigned char)*s)) {
		errno = 0;
		v = strtol(s, &end, 10);
		if (errno != 0 || end != s + n - 2 || v > 600000)
			return DG_ERR_PARSE;
		*msp = (int)v;
		return 0;
	}
	if (conf_parse_time(s, &sec) != 0 || sec > 600)
		return DG_ERR_PARSE;
	*msp = sec * 1000;
	return 0;
}

static int
auth_conf_penalty_parse(const struct conf_keyword *kw, void *field, int argc,
    char **argv, char *err, size_t errlen)
{
	struct auth_penalty_conf pc = auth_penalty_defaults;
	const struct auth_penalty_opt *o;
	char *colon, *end;
	long v;
	int i, t;

	(void)kw;
	if (argc == 2 && (strcasecmp(argv[1], "yes") == 0 ||
	    strcasecmp(argv[1], "no") == 0)) {
		pc.enabled = strcasecmp(argv[1], "yes") == 0;
		*(struct auth_penalty_conf *)field = pc;
		return 0;
	}
	if (argc < 2)
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "%s needs an argument%s", "PerSourcePenalties", "");
	for (i = 1; i < argc; i++) {
		if ((colon = strchr(argv[i], ':')) == NULL)
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "PerSourcePenalties: "
			    "expected name:value, not \"%s\"%s", argv[i], "");
		for (o = auth_penalty_opts; o->name != NULL; o++)
			if (strlen(o->name) == (size_t)(colon - argv[i]) &&
			    strncmp(o->name, argv[i], colon - argv[i]) == 0)
				break;
		if (o->name == NULL)
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "PerSourcePenalties: unknown option \"%s\"%s",
			    argv[i], "");
		colon++;
		switch (o->kind) {
		case 0:
			if (conf_parse_time(colon, &t) != 0)
				return dg_errf(err, errlen, DG_ERR_PARSE,
				    "PerSourcePenalties: bad time in \"%s\"%s",
				    argv[i], "");
			break;
		case 1:
			errno = 0;
			v = strtol(colon, &end, 10);
			if (!isdigit((unsigned char)*colon) || *end != '\0' ||
			    errno != 0 || v < 1 || v > 16777216)
				return dg_errf(err, errlen, DG_ERR_PARSE,
				    "PerSourcePenalties: bad count in \"%s\" "
				    "(1-16777216)%s", argv[i], "");
			t = (int)v;
			break;
		case 2:
			if (strcmp(colon, "permissive") == 0)
				t = AUTH_OVERFLOW_PERMISSIVE;
			else if (strcmp(colon, "deny-all") == 0)
				t = AUTH_OVERFLOW_DENY_ALL;
			else
				return dg_errf(err, errlen, DG_ERR_PARSE,
				    "PerSourcePenalties: \"%s\": expected "
				    "permissive or deny-all%s", argv[i], "");
			break;
		default:
			if (auth_conf_delay_ms(colon, &t) != 0)
				return dg_errf(err, errlen, DG_ERR_PARSE,
				    "PerSourcePenalties: bad delay in \"%s\" "
				    "(e.g. 500ms, 2s; at most 600s)%s", argv[i],
				    "");
			break;
		}
		*(int *)((char *)&pc + o->off) = t;
	}
	*(struct auth_penalty_conf *)field = pc;
	return 0;
}

static void
auth_conf_penalty_dump(const struct conf_keyword *kw, const void *field,
    FILE *out)
{
	const struct auth_penalty_conf *pc = field;
	const struct auth_penalty_opt *o;
	int v;

	auth_conf_name(out, kw->name);
	if (!pc->enabled) {
		fputs(" no\n", out);
		return;
	}
	for (o = auth_penalty_opts; o->name != NULL; o++) {
		v = *(const int *)((const char *)pc + o->off);
		if (o->kind == 2)
			fprintf(out, " %s:%s", o->name, v ==
			    AUTH_OVERFLOW_DENY_ALL ? "deny-all" : "permissive");
		else if (o->kind == 3)
			fprintf(out, " %s:%dms", o->name, v);
		else
			fprintf(out, " %s:%d", o->name, v);
	}
	fputc('\n', out);
}

static void
auth_conf_penalty_copy(void *dst, const void *src)
{
	memcpy(dst, src, sizeof(struct auth_penalty_conf));
}

#define WORDS(name, field, def, flags, parse)				\
	{ name, CONF_CUSTOM, OFF(field), def, flags, 0, 0, NULL, parse,	\
	    auth_conf_words_dump, auth_conf_str_free, auth_conf_str_copy }

static const struct conf_keyword auth_conf_kw[] = {
	{ "AuthorizedKeysFile", CONF_LIST, OFF(authorized_keys_file),
	    ".ssh/authorized_keys", CONF_F_MATCH },
	{ "AuthorizedKeysURL", CONF_PATH, OFF(authorized_keys_url), "none",
	    0 },
	{ "AuthorizedKeysURLCAFile", CONF_PATH,
	    OFF(authorized_keys_url_ca_file), "none", 0 },
	{ "AuthorizedKeysURLTimeout", CONF_TIME,
	    OFF(authorized_keys_url_timeout), "5", 0, 1, 300 },
	{ "AuthorizedKeysURLMaxSize", CONF_SIZE,
	    OFF(authorized_keys_url_max_size), "256K", 0, 1, 16 << 20 },
	{ "AuthorizedKeysURLCacheTTL", CONF_TIME,
	    OFF(authorized_keys_url_cache_ttl), "5m", 0, 0, 604800 },
	{ "AuthorizedKeysURLStaleTTL", CONF_TIME,
	    OFF(authorized_keys_url_stale_ttl), "1d", 0, 0, 2592000 },
	{ "AuthorizedKeysURLNegativeTTL", CONF_TIME,
	    OFF(authorized_keys_url_negative_ttl), "1m", 0, 0, 86400 },
	{ "AuthorizedKeysURLCacheSize", CONF_INT,
	    OFF(authorized_keys_url_cache_size), "10000", 0, 1, 1000000 },
	{ "AuthorizedKeysURLMaxFetches", CONF_INT,
	    OFF(authorized_keys_url_max_fetches), "16", 0, 1, 1024 },
	{ "StrictModes", CONF_BOOL, OFF(strict_modes), "yes", 0 },
	WORDS("PermitUserEnvironment", permit_user_environment, "no", 0,
	    auth_conf_userenv_parse),
	{ "PubkeyAuthentication", CONF_BOOL, OFF(pubkey_authentication),
	    "yes", CONF_F_MATCH },
	{ "TrustedUserCAKeys", CONF_PATH, OFF(trusted_user_ca_keys), "none",
	    0 },
	{ "AuthorizedPrincipalsFile", CONF_PATH,
	    OFF(authorized_principals_file), "none", CONF_F_MATCH },
	{ "RevokedKeys", CONF_PATH, OFF(revoked_keys), "none", 0 },
	WORDS("CASignatureAlgorithms", ca_signature_algorithms,
	    "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,"
	    "ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256", 0,
	    auth_conf_casig_parse),
	{ "CertificateClockSkew", CONF_TIME, OFF(certificate_clock_skew), "0",
	    0, 0, 3600 },
	{ "UsePAM", CONF_BOOL, OFF(use_pam), "no", 0 },
	{ "PAMServiceName", CONF_STR, OFF(pam_service_name), "devgate", 0 },
	{ "KbdInteractiveAuthentication", CONF_BOOL, OFF(kbd_interactive),
	    "yes", CONF_F_MATCH },
	WORDS("AuthenticationMethods", authentication_methods, "any",
	    CONF_F_MATCH, auth_conf_methods_parse),
	{ "AdminUsers", CONF_LIST, OFF(admin_users), NULL, 0 },
	{ "AdminGroup", CONF_LIST, OFF(admin_groups), NULL, 0 },
	{ "MaxSessions", CONF_INT, OFF(max_sessions), "10", CONF_F_MATCH, 0,
	    100000 },
	{ "PermitTTY", CONF_BOOL, OFF(permit_tty), "yes", CONF_F_MATCH },
	{ "PermitShell", CONF_BOOL, OFF(permit_shell), "yes", CONF_F_MATCH },
	{ "PermitExec", CONF_BOOL, OFF(permit_exec), "yes", CONF_F_MATCH },
	{ "PermitSFTP", CONF_BOOL, OFF(permit_sftp), "yes", CONF_F_MATCH },
	{ "AllowTcpForwarding", CONF_ENUM, OFF(allow_tcp_forwarding), "yes",
	    CONF_F_MATCH, 0, 0, auth_fwd_names },
	{ "AllowAgentForwarding", CONF_BOOL, OFF(allow_agent_forwarding),
	    "yes", CONF_F_MATCH },
	{ "X11Forwarding", CONF_BOOL, OFF(x11_forwarding), "no",
	    CONF_F_MATCH },
	{ "DisableForwarding", CONF_BOOL, OFF(disable_forwarding), "no",
	    CONF_F_MATCH },
	{ "PermitOpen", CONF_CUSTOM, OFF(permit_open), "any", CONF_F_MATCH,
	    0, 0, NULL, auth_conf_permitopen_parse, auth_conf_list_dump,
	    auth_conf_list_free, auth_conf_list_copy },
	{ "ForceCommand", CONF_PATH, OFF(force_command), "none",
	    CONF_F_MATCH },
	{ "PerSourcePenalties", CONF_CUSTOM, OFF(penalties), "yes", 0, 0, 0,
	    NULL, auth_conf_penalty_parse, auth_conf_penalty_dump, NULL,
	    auth_conf_penalty_copy },
	WORDS("PerSourcePenaltyExemptList", penalty_exempt, "none", 0,
	    auth_conf_exempt_parse),
	WORDS("PerSourceNetBlockSize", net_block_size, "32:128", 0,
	    auth_conf_netblock_parse),
	{ "AuditLog", CONF_STR, OFF(audit_log), "none", 0 },
	{ NULL }
};

const struct conf_table auth_conf_table = { "auth", auth_conf_kw };

/* Per-connection config. */

int
auth_config_for(const struct conf *c, const struct auth_match_ctx *m,
    void *const *copies, char *err, size_t errlen)
{
	size_t i;
	int r;

	for (i = 0; i < c->nareas; i++)
		if (copies[i] != NULL)
			conf_area_copy(c->tables[i], copies[i], c->areas[i]);
	r = conf_match_apply(c, auth_match_eval, (void *)m, copies, err,
	    errlen);
	if (r != 0)
		auth_config_for_free(c, copies);
	return r;
}

void
auth_config_for_free(const struct conf *c, void *const *copies)
{
	size_t i;

	for (i = 0; i < c->nareas; i++)
		if (copies[i] != NULL)
			conf_area_free(c->tables[i], copies[i]);
}

void
auth_config_copy(struct auth_config *dst, const struct auth_config *src)
{
	memset(dst, 0, sizeof(*dst));
	conf_area_copy(&auth_conf_table, dst, src);
}

void
auth_config_free(struct auth_config *c)
{
	if (c == NULL)
		return;
	conf_area_free(&auth_conf_table, c);
	memset(c, 0, sizeof(*c));
}
