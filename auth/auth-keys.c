/* auth-keys.c: the authorized_keys format of sshd(8) (key options, keys,
 * comments) and AuthorizedPrincipalsFile lines; searching them for a key
 * or a CA; reading such files safely. Pure parsing never logs. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/auth.h"
#include "auth/auth-keys.h"
#include "auth/auth-match.h"
#include "auth/auth-sig.h"
#include "auth/auth-wire.h"
#include "common/err.h"
#include "common/xmalloc.h"

#define AUTH_KEYS_MAX_ENV	64
#define AUTH_KEYS_MAX_OPEN	64

void
auth_keyopts_clear(struct auth_keyopts *o)
{
	size_t i;

	free(o->command);
	free(o->principals);
	free(o->from);
	for (i = 0; i < o->nenv; i++)
		free(o->env[i]);
	free(o->env);
	for (i = 0; i < o->npermitopen; i++)
		free(o->permitopen[i]);
	free(o->permitopen);
	memset(o, 0, sizeof(*o));
	o->perms = AUTH_PERM_ALL;
}

void
auth_keyline_clear(struct auth_keyline *kl)
{
	auth_keyopts_clear(&kl->opts);
	free(kl->blob);
	kl->blob = NULL;
	kl->bloblen = 0;
	kl->type[0] = '\0';
}

/* sshd opt_flag: "name" or, when negatable, "no-name"; 1, 0, or -1 when
 * the text does not start with it. */
static int
auth_keys_flag(const char *name, int negatable, const char **sp)
{
	const char *s = *sp;
	size_t n = strlen(name);
	int neg = 0;

	if (negatable && strncasecmp(s, "no-", 3) == 0) {
		s += 3;
		neg = 1;
	}
	if (strncasecmp(s, name, n) != 0)
		return -1;
	*sp = s + n;
	return !neg;
}

/* sshd opt_match: "name=" */
static int
auth_keys_opt(const char **sp, const char *name)
{
	size_t n = strlen(name);

	if (strncasecmp(*sp, name, n) == 0 && (*sp)[n] == '=') {
		*sp += n + 1;
		return 1;
	}
	return 0;
}

/* sshd opt_dequote: a double-quoted value, \" stands for a quote. */
static char *
auth_keys_dequote(const char **sp, const char **errp)
{
	const char *s = *sp;
	char *out;
	size_t i = 0;

	if (*s != '"') {
		*errp = "missing start quote";
		return NULL;
	}
	s++;
	out = xmalloc(strlen(s) + 1);
	while (*s != '\0' && *s != '"') {
		if (s[0] == '\\' && s[1] == '"')
			s++;
		out[i++] = *s++;
	}
	if (*s == '\0') {
		free(out);
		*errp = "missing end quote";
		return NULL;
	}
	out[i] = '\0';
	*sp = s + 1;
	return out;
}

static int
auth_keys_env_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return 0;
	return 1;
}

static int
auth_keys_add_env(struct auth_keyopts *o, char *v, const char **errp)
{
	const char *eq = strchr(v, '=');
	size_t n, i;

	if (eq == NULL || !auth_keys_env_name_ok(v, (size_t)(eq - v))) {
		*errp = "invalid environment string";
		return DG_ERR_PARSE;
	}
	n = (size_t)(eq - v);
	for (i = 0; i < o->nenv; i++) {
		if (strncmp(o->env[i], v, n) == 0 && o->env[i][n] == '=') {
			free(v);	/* first one wins */
			return 0;
		}
	}
	if (o->nenv == AUTH_KEYS_MAX_ENV) {
		*errp = "too many environment options";
		return DG_ERR_PARSE;
	}
	o->env = xreallocarray(o->env, o->nenv + 1, sizeof(*o->env));
	o->env[o->nenv++] = v;
	return 0;
}

static int
auth_keys_add_open(struct auth_keyopts *o, char *v, const char **errp)
{
	char host[256];
	int port;

	if (auth_match_hostport(v, host, sizeof(host), &port) != 0) {
		*errp = "invalid permitopen (expected host:port)";
		return DG_ERR_PARSE;
	}
	if (o->npermitopen == AUTH_KEYS_MAX_OPEN) {
		*errp = "too many permitopen options";
		return DG_ERR_PARSE;
	}
	o->permitopen = xreallocarray(o->permitopen, o->npermitopen + 1,
	    sizeof(*o->permitopen));
	o->permitopen[o->npermitopen++] = v;
	return 0;
}

static void
auth_keys_setperm(struct auth_keyopts *o, unsigned bit, int on)
{
	if (on)
		o->perms |= bit;
	else
		o->perms &= ~bit;
}

int
auth_keyopts_parse(const char *s, const char **endp, struct auth_keyopts *o,
    char *err, size_t errlen)
{
	const char *errstr = NULL, *start = s;
	char *v;
	int64_t t;
	int f, r = DG_ERR_PARSE;

	memset(o, 0, sizeof(*o));
	o->perms = AUTH_PERM_ALL;
	while (*s != '\0' && *s != ' ' && *s != '\t') {
		v = NULL;
		if ((f = auth_keys_flag("restrict", 0, &s)) != -1) {
			o->restricted = 1;
			o->perms = 0;
		} else if ((f = auth_keys_flag("cert-authority", 0, &s)) !=
		    -1) {
			o->cert_authority = 1;
		} else if ((f = auth_keys_flag("port-forwarding", 1, &s)) !=
		    -1) {
			auth_keys_setperm(o, AUTH_PERM_PORT_FWD, f);
		} else if ((f = auth_keys_flag("agent-forwarding", 1, &s)) !=
		    -1) {
			auth_keys_setperm(o, AUTH_PERM_AGENT_FWD, f);
		} else if ((f = auth_keys_flag("x11-forwarding", 1, &s)) !=
		    -1) {
			auth_keys_setperm(o, AUTH_PERM_X11_FWD, f);
		} else if ((f = auth_keys_flag("touch-required", 1, &s)) !=
		    -1) {
			if (f == 1) {
				errstr = "touch-required cannot be enforced "
				    "by devgate";
				r = DG_ERR_NOTSUP;
				goto fail;
			}
		} else if ((f = auth_keys_flag("verify-required", 0, &s)) !=
		    -1) {
			errstr = "verify-required cannot be enforced by devgate";
			r = DG_ERR_NOTSUP;
			goto fail;
		} else if ((f = auth_keys_flag("pty", 1, &s)) != -1) {
			auth_keys_setperm(o, AUTH_PERM_PTY, f);
		} else if ((f = auth_keys_flag("user-rc", 1, &s)) != -1) {
			auth_keys_setperm(o, AUTH_PERM_USER_RC, f);
		} else if (auth_keys_opt(&s, "command")) {
			if (o->command != NULL) {
				errstr = "multiple \"command\" clauses";
				goto fail;
			}
			if ((o->command = auth_keys_dequote(&s, &errstr)) ==
			    NULL)
				goto fail;
		} else if (auth_keys_opt(&s, "principals")) {
			if (o->principals != NULL) {
				errstr = "multiple \"principals\" clauses";
				goto fail;
			}
			if ((o->principals = auth_keys_dequote(&s,
			    &errstr)) == NULL)
				goto fail;
		} else if (auth_keys_opt(&s, "from")) {
			if (o->from != NULL) {
				errstr = "multiple \"from\" clauses";
				goto fail;
			}
			if ((o->from = auth_keys_dequote(&s, &errstr)) == NULL)
				goto fail;
			if (auth_match_addr_list(NULL, o->from) != 0) {
				errstr = "invalid from= patterns";
				goto fail;
			}
		} else if (auth_keys_opt(&s, "expiry-time")) {
			if ((v = auth_keys_dequote(&s, &errstr)) == NULL)
				goto fail;
			if (auth_keys_parse_time(v, &t) != 0) {
				free(v);
				errstr = "invalid expires time";
				goto fail;
			}
			free(v);
			if (o->expiry == 0 || t < o->expiry)
				o->expiry = t;
		} else if (auth_keys_opt(&s, "environment")) {
			if ((v = auth_keys_dequote(&s, &errstr)) == NULL)
				goto fail;
			if (auth_keys_add_env(o, v, &errstr) != 0) {
				free(v);
				goto fail;
			}
		} else if (auth_keys_opt(&s, "permitopen")) {
			if ((v = auth_keys_dequote(&s, &errstr)) == NULL)
				goto fail;
			if (auth_keys_add_open(o, v, &errstr) != 0) {
				free(v);
				goto fail;
			}
		} else if (auth_keys_opt(&s, "permitlisten") ||
		    auth_keys_opt(&s, "tunnel")) {
			errstr = "permitlisten= and tunnel= are not supported "
			    "by devgate";
			r = DG_ERR_NOTSUP;
			goto fail;
		} else {
			errstr = "unsupported option";
			r = DG_ERR_NOTSUP;
			goto fail;
		}
		if (*s == '\0' || *s == ' ' || *s == '\t')
			break;
		if (*s != ',') {
			errstr = "unknown key option";
			r = DG_ERR_NOTSUP;
			goto fail;
		}
		s++;
		if (*s == '\0' || *s == ' ' || *s == '\t') {
			errstr = "unexpected end-of-options";
			goto fail;
		}
	}
	if (endp != NULL)
		*endp = s;
	return 0;
fail:
	snprintf(err, errlen, "%s at \"%.40s\"", errstr,
	    s > start ? s : start);
	auth_keyopts_clear(o);
	return r;
}

/* Skip options text (sshd sshkey_advance_past_options). */
static int
auth_keys_skip_opts(const char **sp)
{
	const char *s = *sp;
	int quoted = 0;

	for (; *s != '\0' && (quoted || (*s != ' ' && *s != '\t')); s++) {
		if (s[0] == '\\' && s[1] == '"')
			s++;
		else if (*s == '"')
			quoted = !quoted;
	}
	*sp = s;
	return quoted ? DG_ERR_PARSE : 0;
}

static size_t
auth_keys_word(const char *s)
{
	return strcspn(s, " \t\r\n");
}

static int
auth_keys_is_type(const char *s, size_t n)
{
	char name[64];
	int cert;

	if (n == 0 || n >= sizeof(name))
		return 0;
	memcpy(name, s, n);
	name[n] = '\0';
	return auth_sig_ktype(name, &cert) != AUTH_KT_UNKNOWN;
}

/* Split a line into options text and key text; NOTFOUND for blanks. */
static int
auth_keys_split(const char *line, const char **optsp, const char **keyp)
{
	const char *s = line, *o;

	s += strspn(s, " \t");
	if (*s == '\0' || *s == '#' || *s == '\r' || *s == '\n')
		return DG_ERR_NOTFOUND;
	if (auth_keys_is_type(s, auth_keys_word(s))) {
		*optsp = NULL;
		*keyp = s;
		return 0;
	}
	o = s;
	if (auth_keys_skip_opts(&s) != 0)
		return DG_ERR_PARSE;
	s += strspn(s, " \t");
	*optsp = o;
	*keyp = s;
	return 0;
}

/* The key part: type, base64, comment. */
static int
auth_keys_parse_key(const char *s, struct auth_keyline *kl, int validate,
    char *err, size_t errlen)
{
	size_t tn, bn;
	const char *b;
	char blobtype[64];
	enum auth_ktype kt;
	int cert;

	tn = auth_keys_word(s);
	if (!auth_keys_is_type(s, tn)) {
		snprintf(err, errlen, "unknown key type \"%.*s\"",
		    (int)(tn > 40 ? 40 : tn), s);
		return DG_ERR_PARSE;
	}
	memcpy(kl->type, s, tn);
	kl->type[tn] = '\0';
	b = s + tn;
	b += strspn(b, " \t");
	bn = auth_keys_word(b);
	if (bn == 0 || auth_b64_decode(b, bn, &kl->blob, &kl->bloblen) != 0) {
		snprintf(err, errlen, "bad base64 key data");
		return DG_ERR_PARSE;
	}
	if (auth_blob_type(kl->blob, kl->bloblen, blobtype,
	    sizeof(blobtype)) != 0 || strcmp(blobtype, kl->type) != 0) {
		snprintf(err, errlen, "key type \"%s\" does not match the key "
		    "data", kl->type);
		return DG_ERR_PARSE;
	}
	kt = auth_sig_ktype(kl->type, &cert);
	if (validate && !cert &&
	    auth_sig_key_blob(kl->blob, kl->bloblen, &kt, NULL) != 0) {
		snprintf(err, errlen, "invalid %s key", kl->type);
		return DG_ERR_PARSE;
	}
	return 0;
}

static int
auth_keys_parse_line_v(const char *line, struct auth_keyline *kl,
    int validate, char *err, size_t errlen)
{
	const char *opts, *key, *end;
	int r;

	memset(kl, 0, sizeof(*kl));
	kl->opts.perms = AUTH_PERM_ALL;
	if ((r = auth_keys_split(line, &opts, &key)) != 0) {
		if (r == DG_ERR_PARSE)
			snprintf(err, errlen, "unbalanced quotes in options");
		return r;
	}
	if ((r = auth_keys_parse_key(key, kl, validate, err, errlen)) != 0)
		goto fail;
	if (opts != NULL) {
		if ((r = auth_keyopts_parse(opts, &end, &kl->opts, err,
		    errlen)) != 0)
			goto fail;
		if (end > key) {
			snprintf(err, errlen, "options run into the key");
			r = DG_ERR_PARSE;
			goto fail;
		}
	}
	if (kl->opts.cert_authority) {
		int cert;

		(void)auth_sig_ktype(kl->type, &cert);
		if (cert) {
			snprintf(err, errlen, "a cert-authority must be a "
			    "plain key");
			r = DG_ERR_PARSE;
			goto fail;
		}
	}
	return 0;
fail:
	auth_keyline_clear(kl);
	return r;
}

int
auth_keys_parse_line(const char *line, struct auth_keyline *kl, char *err,
    size_t errlen)
{
	if (strlen(line) > AUTH_KEYS_MAX_LINE) {
		memset(kl, 0, sizeof(*kl));
		snprintf(err, errlen, "line too long");
		return DG_ERR_PARSE;
	}
	return auth_keys_parse_line_v(line, kl, 1, err, errlen);
}

int
auth_keys_parse_principal(const char *line, char **principalp,
    struct auth_keyopts *o, char *err, size_t errlen)
{
	const char *s = line, *last, *p, *end;
	size_t n;
	int r;

	memset(o, 0, sizeof(*o));
	o->perms = AUTH_PERM_ALL;
	s += strspn(s, " \t");
	n = strlen(s);
	while (n > 0 && strchr(" \t\r\n", s[n - 1]) != NULL)
		n--;
	if (n == 0 || *s == '#')
		return DG_ERR_NOTFOUND;
	/* The principal is the last word; what precedes it are options. */
	last = s + n;
	for (p = last; p > s && p[-1] != ' ' && p[-1] != '\t'; p--)
		;
	if (p > s) {
		if ((r = auth_keyopts_parse(s, &end, o, err, errlen)) != 0)
			return r;
		end += strspn(end, " \t");
		if (end != p) {
			auth_keyopts_clear(o);
			snprintf(err, errlen, "bad options before principal");
			return DG_ERR_PARSE;
		}
	}
	*principalp = xstrndup(p, (size_t)(last - p));
	return 0;
}

int
auth_keys_parse_text(const char *text, size_t len, auth_keys_each_fn *fn,
    void *arg, char *err, size_t errlen)
{
	const char *p = text, *end = text + len, *nl;
	struct auth_keyline kl;
	char *line, why[256];
	int lineno = 0, r;

	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		line = xstrndup(p, nl != NULL ? (size_t)(nl - p) :
		    (size_t)(end - p));
		p = nl != NULL ? nl + 1 : end;
		r = auth_keys_parse_line(line, &kl, why, sizeof(why));
		free(line);
		if (r == DG_ERR_NOTFOUND)
			continue;
		if (r == 0) {
			r = fn(arg, &kl, why, sizeof(why));
			auth_keyline_clear(&kl);
		}
		if (r != 0)
			return dg_errf(err, errlen, DG_ERR_PARSE, "line %d: %s",
			    lineno, why);
	}
	return 0;
}

/* Iterate over lines of text (bounded copies); cb returns 1 to stop. */
typedef int auth_keys_line_fn(void *, const char *line, int lineno);

static void
auth_keys_lines(const char *text, size_t len, auth_keys_line_fn *fn, void *arg)
{
	const char *p = text, *end = text + len, *nl;
	char *buf = xmalloc(AUTH_KEYS_MAX_LINE + 1);
	size_t n;
	int lineno = 0;

	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (n <= AUTH_KEYS_MAX_LINE && memchr(p, '\0', n) == NULL) {
			memcpy(buf, p, n);
			buf[n] = '\0';
			if (fn(arg, buf, lineno))
				break;
		}
		p = nl != NULL ? nl + 1 : end;
	}
	free(buf);
}

struct auth_keys_search {
	const char		*b64;		/* the wanted key, base64 */
	const unsigned char	*blob;
	size_t			 bloblen;
	int			 want_ca;
	struct auth_keyline	*out;
	int			 line;
	int			 found;
	int			 refused;	/* DG_ERR_* of a refused line */
	char			*why;
	size_t			 whylen;
};

static int
auth_keys_find_cb(void *arg, const char *line, int lineno)
{
	struct auth_keys_search *ks = arg;
	const char *opts, *key, *b;
	struct auth_keyline kl;
	char err[256];
	size_t tn, bn;
	int r;

	if (auth_keys_split(line, &opts, &key) != 0)
		return 0;
	/* Cheap filter on the canonical base64 text before parsing. */
	tn = auth_keys_word(key);
	b = key + tn;
	b += strspn(b, " \t");
	bn = auth_keys_word(b);
	if (bn != strlen(ks->b64) || memcmp(b, ks->b64, bn) != 0)
		return 0;
	if ((r = auth_keys_parse_line_v(line, &kl, 1, err, sizeof(err))) !=
	    0) {
		if (ks->refused == 0) {
			ks->refused = r;
			snprintf(ks->why, ks->whylen, "line %d: %s", lineno,
			    err);
		}
		return 0;
	}
	if (!auth_blob_eq(kl.blob, kl.bloblen, ks->blob, ks->bloblen) ||
	    kl.opts.cert_authority != ks->want_ca) {
		auth_keyline_clear(&kl);
		return 0;
	}
	*ks->out = kl;
	ks->line = lineno;
	ks->found = 1;
	return 1;
}

int
auth_keys_find(const char *text, size_t len, const unsigned char *blob,
    size_t bloblen, int want_ca, struct auth_keyline *out, int *linep,
    char *why, size_t whylen)
{
	struct auth_keys_search ks;

	memset(&ks, 0, sizeof(ks));
	ks.b64 = auth_b64_encode(blob, bloblen, 1);
	ks.blob = blob;
	ks.bloblen = bloblen;
	ks.want_ca = want_ca;
	ks.out = out;
	ks.why = why;
	ks.whylen = whylen;
	auth_keys_lines(text, len, auth_keys_find_cb, &ks);
	free((char *)ks.b64);
	if (ks.found) {
		*linep = ks.line;
		return 0;
	}
	return ks.refused != 0 ? ks.refused : DG_ERR_NOTFOUND;
}

struct auth_keys_psearch {
	char *const		*principals;
	size_t			 n;
	char			*match;
	struct auth_keyopts	*opts;
	int			 line;
	int			 refused;
	char			*why;
	size_t			 whylen;
};

static int
auth_keys_principal_cb(void *arg, const char *line, int lineno)
{
	struct auth_keys_psearch *ps = arg;
	struct auth_keyopts o;
	char err[256], *p = NULL;
	size_t i;
	int r;

	if ((r = auth_keys_parse_principal(line, &p, &o, err,
	    sizeof(err))) != 0) {
		if (r != DG_ERR_NOTFOUND && ps->refused == 0) {
			ps->refused = r;
			snprintf(ps->why, ps->whylen, "line %d: %s", lineno,
			    err);
		}
		return 0;
	}
	for (i = 0; i < ps->n; i++) {
		if (strcmp(p, ps->principals[i]) == 0) {
			ps->match = p;
			*ps->opts = o;
			ps->line = lineno;
			return 1;
		}
	}
	free(p);
	auth_keyopts_clear(&o);
	return 0;
}

int
auth_keys_find_principal(const char *text, size_t len,
    char *const *principals, size_t n, char **matchp,
    struct auth_keyopts *opts, int *linep, char *why, size_t whylen)
{
	struct auth_keys_psearch ps;

	memset(&ps, 0, sizeof(ps));
	ps.principals = principals;
	ps.n = n;
	ps.opts = opts;
	ps.why = why;
	ps.whylen = whylen;
	auth_keys_lines(text, len, auth_keys_principal_cb, &ps);
	if (ps.match != NULL) {
		*matchp = ps.match;
		*linep = ps.line;
		return 0;
	}
	return ps.refused != 0 ? ps.refused : DG_ERR_NOTFOUND;
}

/* Times. */

static int
auth_keys_num(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

int
auth_keys_parse_time(const char *s, int64_t *tp)
{
	struct tm tm;
	char buf[16];
	size_t n = strlen(s);
	int utc = 0, i;
	time_t t;

	if (n > 0 && (s[n - 1] == 'Z' || s[n - 1] == 'z')) {
		utc = 1;
		n--;
	}
	if (n != 8 && n != 12 && n != 14)
		return DG_ERR_PARSE;
	for (i = 0; i < (int)n; i++)
		if (!isdigit((unsigned char)s[i]))
			return DG_ERR_PARSE;
	memset(buf, '0', sizeof(buf));
	memcpy(buf, s, n);
	buf[14] = '\0';
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = auth_keys_num(buf, 4) - 1900;
	tm.tm_mon = auth_keys_num(buf + 4, 2) - 1;
	tm.tm_mday = auth_keys_num(buf + 6, 2);
	tm.tm_hour = auth_keys_num(buf + 8, 2);
	tm.tm_min = auth_keys_num(buf + 10, 2);
	tm.tm_sec = auth_keys_num(buf + 12, 2);
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60 || tm.tm_year < 70)
		return DG_ERR_PARSE;
	tm.tm_isdst = -1;
	t = utc ? timegm(&tm) : mktime(&tm);
	if (t == (time_t)-1)
		return DG_ERR_PARSE;
	*tp = (int64_t)t;
	return 0;
}
