/* conf.c: sshd_config-style configuration engine driven by keyword tables;
 * each area (gateway, auth, dns) owns a table and a struct it fills. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "err.h"
#include "xmalloc.h"

#define CONF_MAX_LINE	8192
#define CONF_MAX_ARGS	256
#define CONF_MAX_FILE	(4 << 20)
#define CONF_DUMP_WORDS	64	/* list words per dumped line */

#define FIELD(area, kw)	((char *)(area) + (kw)->offset)

void
conf_init(struct conf *c, size_t n, const struct conf_table *const *tables,
    void *const *areas)
{
	size_t i, k;

	memset(c, 0, sizeof(*c));
	if (n > CONF_MAX_AREAS)
		n = CONF_MAX_AREAS;
	c->nareas = n;
	for (i = 0; i < n; i++) {
		c->tables[i] = tables[i];
		c->areas[i] = areas[i];
		for (k = 0; tables[i]->kw[k].name != NULL; k++)
			;
		c->isset[i] = xcalloc(k + 1, 1);
	}
}

void
conf_set_match_check(struct conf *c, conf_match_check_fn *fn)
{
	c->match_check = fn;
}

/* Tokenizer. */

int
conf_split(char *line, char **argv, int max)
{
	char *p = line, *w, quote;
	int argc = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p == '\0' || *p == '#')
			break;
		if (argc == max)
			return DG_ERR_TOOBIG;
		w = p;
		argv[argc++] = w;
		quote = 0;
		/* Copy the word onto itself, dropping quotes and escapes. */
		for (; *p != '\0'; p++) {
			if (quote == 0 && (*p == ' ' || *p == '\t' ||
			    *p == '\r' || *p == '\n'))
				break;
			if (quote == 0 && (*p == '"' || *p == '\'')) {
				quote = *p;
				continue;
			}
			if (quote != 0 && *p == quote) {
				quote = 0;
				continue;
			}
			if (quote != 0 && *p == '\\' &&
			    (p[1] == quote || p[1] == '\\')) {
				*w++ = *++p;
				continue;
			}
			*w++ = *p;
		}
		if (quote != 0)
			return DG_ERR_PARSE;
		if (*p != '\0')
			p++;
		*w = '\0';
	}
	return argc;
}

void
conf_print_word(FILE *out, const char *s)
{
	const char *p;

	if (*s != '\0' && strpbrk(s, " \t\"'#\\") == NULL) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', out);
		fputc(*p, out);
	}
	fputc('"', out);
}

/* Value parsers. */

int
conf_parse_bool(const char *s, int *boolp)
{
	if (strcasecmp(s, "yes") == 0 || strcasecmp(s, "true") == 0 ||
	    strcasecmp(s, "on") == 0)
		*boolp = 1;
	else if (strcasecmp(s, "no") == 0 || strcasecmp(s, "false") == 0 ||
	    strcasecmp(s, "off") == 0)
		*boolp = 0;
	else
		return DG_ERR_PARSE;
	return 0;
}

int
conf_parse_time(const char *s, int *secondsp)
{
	long long total = 0, n;
	const char *p = s;
	char *end;
	int mult;

	if (*s == '\0')
		return DG_ERR_PARSE;
	while (*p != '\0') {
		if (!isdigit((unsigned char)*p))
			return DG_ERR_PARSE;
		errno = 0;
		n = strtoll(p, &end, 10);
		if (errno != 0 || n > INT_MAX)
			return DG_ERR_RANGE;
		switch (*end) {
		case '\0':
		case 's':
		case 'S':
			mult = 1;
			break;
		case 'm':
		case 'M':
			mult = 60;
			break;
		case 'h':
		case 'H':
			mult = 3600;
			break;
		case 'd':
		case 'D':
			mult = 86400;
			break;
		case 'w':
		case 'W':
			mult = 604800;
			break;
		default:
			return DG_ERR_PARSE;
		}
		total += n * mult;
		if (total > INT_MAX)
			return DG_ERR_RANGE;
		p = *end == '\0' ? end : end + 1;
	}
	*secondsp = (int)total;
	return 0;
}

int
conf_parse_size(const char *s, long long *bytesp)
{
	long long n;
	char *end;
	int shift = 0;

	if (!isdigit((unsigned char)*s))
		return DG_ERR_PARSE;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0)
		return DG_ERR_RANGE;
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case 't':
	case 'T':
		shift = 40;
		break;
	default:
		return DG_ERR_PARSE;
	}
	if (*end != '\0' && end[1] != '\0' &&
	    !((end[1] == 'i' || end[1] == 'B') && end[2] == '\0'))
		return DG_ERR_PARSE;
	if (n > (LLONG_MAX >> shift))
		return DG_ERR_RANGE;
	*bytesp = n << shift;
	return 0;
}

void
conf_list_add(struct conf_list *l, const char *s)
{
	l->v = xreallocarray(l->v, l->n + 2, sizeof(*l->v));
	l->v[l->n++] = xstrdup(s);
	l->v[l->n] = NULL;
}

void
conf_list_free(struct conf_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void
conf_list_copy(struct conf_list *dst, const struct conf_list *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		conf_list_add(dst, src->v[i]);
}

int
conf_list_has(const struct conf_list *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

/* Keyword lookup and setters. */

static const struct conf_keyword *
conf_lookup(const struct conf *c, const char *name, size_t *areap,
    size_t *idxp)
{
	const struct conf_keyword *kw;
	size_t i, k;

	for (i = 0; i < c->nareas; i++) {
		for (k = 0; (kw = &c->tables[i]->kw[k])->name != NULL; k++) {
			if (strcasecmp(kw->name, name) == 0) {
				*areap = i;
				*idxp = k;
				return kw;
			}
		}
	}
	return NULL;
}

static void
conf_field_free(const struct conf_keyword *kw, void *field)
{
	switch (kw->type) {
	case CONF_STR:
	case CONF_PATH:
		if (kw->flags & CONF_F_SECRET)
			freezero_str(*(char **)field);
		else
			free(*(char **)field);
		*(char **)field = NULL;
		break;
	case CONF_LIST:
		conf_list_free(field);
		break;
	case CONF_CUSTOM:
		if (kw->free != NULL)
			kw->free(field);
		break;
	default:
		break;
	}
}

static int
conf_check_range(const struct conf_keyword *kw, long long v, char *err,
    size_t errlen)
{
	if (kw->max > kw->min && (v < kw->min || v > kw->max))
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "%s: %lld is out of range %lld-%lld", kw->name, v, kw->min,
		    kw->max);
	return 0;
}

/* Parse argv (argv[0] is the keyword) into the field. */
static int
conf_set(const struct conf_keyword *kw, void *field, int argc, char **argv,
    char *err, size_t errlen)
{
	long long ll;
	char *end;
	int i, v, r;

	if (kw->type != CONF_CUSTOM && kw->type != CONF_LIST && argc != 2)
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "%s takes exactly one argument", kw->name);
	switch (kw->type) {
	case CONF_STR:
	case CONF_PATH:
		conf_field_free(kw, field);
		/* "none" unsets a path, and a string that is unset by
		 * default (-T prints such a string as "none"). */
		if ((kw->type == CONF_PATH || kw->defval == NULL) &&
		    strcasecmp(argv[1], "none") == 0)
			break;
		*(char **)field = xstrdup(argv[1]);
		break;
	case CONF_INT:
		errno = 0;
		ll = strtoll(argv[1], &end, 10);
		if (*argv[1] == '\0' || *end != '\0' || errno != 0 ||
		    ll < INT_MIN || ll > INT_MAX)
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "%s: bad number \"%s\"", kw->name, argv[1]);
		if ((r = conf_check_range(kw, ll, err, errlen)) != 0)
			return r;
		*(int *)field = (int)ll;
		break;
	case CONF_BOOL:
		if (conf_parse_bool(argv[1], &v) != 0)
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "%s: expected yes or no, not \"%s\"", kw->name,
			    argv[1]);
		*(int *)field = v;
		break;
	case CONF_TIME:
		if (conf_parse_time(argv[1], &v) != 0)
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "%s: bad time \"%s\" (use 30, 1m30s, 2h, 1d)",
			    kw->name, argv[1]);
		if ((r = conf_check_range(kw, v, err, errlen)) != 0)
			return r;
		*(int *)field = v;
		break;
	case CONF_SIZE:
		if (conf_parse_size(argv[1], &ll) != 0)
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "%s: bad size \"%s\" (use 512, 64K, 10M, 2G)",
			    kw->name, argv[1]);
		if ((r = conf_check_range(kw, ll, err, errlen)) != 0)
			return r;
		*(long long *)field = ll;
		break;
	case CONF_ENUM:
		for (i = 0; kw->names[i] != NULL; i++)
			if (strcasecmp(kw->names[i], argv[1]) == 0)
				break;
		if (kw->names[i] == NULL)
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "%s: unknown value \"%s\"", kw->name, argv[1]);
		*(int *)field = i;
		break;
	case CONF_LIST:
		if (argc < 2)
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "%s needs an argument", kw->name);
		for (i = 1; i < argc; i++)
			conf_list_add(field, argv[i]);
		break;
	case CONF_CUSTOM:
		return kw->parse(kw, field, argc, argv, err, errlen);
	}
	return 0;
}

/* Lines and files. */

struct conf_parse {
	const char	  *name;
	int		   line;
	struct conf_match *match;	/* open Match block, if any */
};

static int
conf_line(struct conf *c, struct conf_parse *ps, char *text, char *err,
    size_t errlen)
{
	char *argv[CONF_MAX_ARGS], *eq, errbuf[512];
	const struct conf_keyword *kw;
	struct conf_match *m;
	struct conf_match_line *ml;
	size_t area, idx;
	int argc, i, r;

	argc = conf_split(text, argv, CONF_MAX_ARGS);
	if (argc == DG_ERR_TOOBIG)
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "%s:%d: too many arguments", ps->name, ps->line);
	if (argc < 0)
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "%s:%d: unbalanced quotes", ps->name, ps->line);
	if (argc == 0)
		return 0;
	/* "Keyword=value" and "Keyword = value" as in sshd. */
	if ((eq = strchr(argv[0], '=')) != NULL) {
		*eq++ = '\0';
		if (*eq != '\0') {
			if (argc == CONF_MAX_ARGS)
				return dg_errf(err, errlen, DG_ERR_PARSE,
				    "%s:%d: too many arguments", ps->name,
				    ps->line);
			memmove(&argv[2], &argv[1], (argc - 1) * sizeof(*argv));
			argv[1] = eq;
			argc++;
		}
	} else if (argc > 1 && strcmp(argv[1], "=") == 0) {
		memmove(&argv[1], &argv[2], (argc - 2) * sizeof(*argv));
		argc--;
	}
	if (strcasecmp(argv[0], "Match") == 0) {
		if (c->match_check == NULL)
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "%s:%d: Match is not supported here", ps->name,
			    ps->line);
		if (argc < 2)
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "%s:%d: Match needs criteria", ps->name, ps->line);
		errbuf[0] = '\0';
		if (c->match_check(argc - 1, argv + 1, errbuf,
		    sizeof(errbuf)) != 0)
			return dg_errf(err, errlen, DG_ERR_PARSE, "%s:%d: %s",
			    ps->name, ps->line, errbuf);
		c->matches = xreallocarray(c->matches, c->nmatches + 1,
		    sizeof(*c->matches));
		m = &c->matches[c->nmatches++];
		memset(m, 0, sizeof(*m));
		m->argc = argc - 1;
		m->criteria = xcalloc(argc, sizeof(char *));
		for (i = 1; i < argc; i++)
			m->criteria[i - 1] = xstrdup(argv[i]);
		m->file = xstrdup(ps->name);
		m->line = ps->line;
		ps->match = m;
		return 0;
	}
	if ((kw = conf_lookup(c, argv[0], &area, &idx)) == NULL)
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "%s:%d: unknown keyword \"%s\"", ps->name, ps->line,
		    argv[0]);
	if (ps->match != NULL) {
		if (!(kw->flags & CONF_F_MATCH))
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "%s:%d: %s is not allowed in a Match block",
			    ps->name, ps->line, kw->name);
		/* Check the value now on a scratch field, apply it later. */
		{
			union {
				char *s;
				int i;
				long long ll;
				struct conf_list l;
				unsigned char custom[256];
			} scratch;

			memset(&scratch, 0, sizeof(scratch));
			errbuf[0] = '\0';
			r = conf_set(kw, &scratch, argc, argv, errbuf,
			    sizeof(errbuf));
			conf_field_free(kw, &scratch);
			if (r != 0)
				return dg_errf(err, errlen, DG_ERR_PARSE,
				    "%s:%d: %s", ps->name, ps->line, errbuf);
		}
		m = ps->match;
		m->lines = xreallocarray(m->lines, m->nlines + 1,
		    sizeof(*m->lines));
		ml = &m->lines[m->nlines++];
		ml->argc = argc;
		ml->argv = xcalloc(argc + 1, sizeof(char *));
		for (i = 0; i < argc; i++)
			ml->argv[i] = xstrdup(argv[i]);
		ml->line = ps->line;
		return 0;
	}
	/* First value wins, except lists and repeatable custom keywords. */
	if (c->isset[area][idx] && kw->type != CONF_LIST &&
	    !(kw->flags & CONF_F_REPEAT))
		return 0;
	errbuf[0] = '\0';
	if ((r = conf_set(kw, FIELD(c->areas[area], kw), argc, argv, errbuf,
	    sizeof(errbuf))) != 0)
		return dg_errf(err, errlen, DG_ERR_PARSE, "%s:%d: %s", ps->name,
		    ps->line, errbuf);
	c->isset[area][idx] = 1;
	return 0;
}

int
conf_load_string(struct conf *c, const char *name, const char *text,
    char *err, size_t errlen)
{
	struct conf_parse ps = { name, 0, NULL };
	char line[CONF_MAX_LINE + 1];
	const char *p = text, *nl;
	size_t len;
	int r;

	while (*p != '\0') {
		ps.line++;
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (len > CONF_MAX_LINE)
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "%s:%d: line too long", name, ps.line);
		memcpy(line, p, len);
		line[len] = '\0';
		if ((r = conf_line(c, &ps, line, err, errlen)) != 0)
			return r;
		p = nl != NULL ? nl + 1 : p + len;
	}
	return 0;
}

int
conf_load_file(struct conf *c, const char *path, char *err, size_t errlen)
{
	FILE *f;
	char *text = NULL;
	size_t len = 0, n;
	int r = DG_ERR_SYSTEM;

	if ((f = fopen(path, "r")) == NULL) {
		dg_errf(err, errlen, DG_ERR_PARSE, "%s: %s", path,
		    strerror(errno));
		return DG_ERR_SYSTEM;
	}
	text = xmalloc(CONF_MAX_FILE + 1);
	while ((n = fread(text + len, 1, CONF_MAX_FILE + 1 - len, f)) > 0)
		len += n;
	if (ferror(f)) {
		dg_errf(err, errlen, DG_ERR_PARSE, "%s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (len > CONF_MAX_FILE) {
		r = dg_errf(err, errlen, DG_ERR_PARSE, "%s: file too large",
		    path);
		goto out;
	}
	if (memchr(text, '\0', len) != NULL) {
		r = dg_errf(err, errlen, DG_ERR_PARSE,
		    "%s: file contains a NUL byte", path);
		goto out;
	}
	text[len] = '\0';
	r = conf_load_string(c, path, text, err, errlen);
out:
	free(text);
	fclose(f);
	return r;
}

int
conf_finish(struct conf *c, char *err, size_t errlen)
{
	const struct conf_keyword *kw;
	char *argv[CONF_MAX_ARGS], *text, errbuf[512];
	size_t i, k;
	int argc, r;

	for (i = 0; i < c->nareas; i++) {
		for (k = 0; (kw = &c->tables[i]->kw[k])->name != NULL; k++) {
			if (c->isset[i][k] || kw->defval == NULL)
				continue;
			text = xasprintf("%s %s", kw->name, kw->defval);
			argc = conf_split(text, argv, CONF_MAX_ARGS);
			errbuf[0] = '\0';
			r = argc < 0 ? DG_ERR_PARSE :
			    conf_set(kw, FIELD(c->areas[i], kw), argc, argv,
			    errbuf, sizeof(errbuf));
			free(text);
			if (r != 0)
				return dg_errf(err, errlen, DG_ERR_PARSE,
				    "default for %s: %s", kw->name, errbuf);
		}
	}
	return 0;
}

int
conf_isset(const struct conf *c, const char *keyword)
{
	size_t area, idx;

	if (conf_lookup(c, keyword, &area, &idx) == NULL)
		return 0;
	return c->isset[area][idx];
}

/* Dump. */

static void
conf_dump_name(FILE *out, const char *name)
{
	for (; *name != '\0'; name++)
		fputc(tolower((unsigned char)*name), out);
}

static void
conf_dump_time(FILE *out, int s)
{
	fprintf(out, "%d", s);
}

static void
conf_dump_field(const struct conf_keyword *kw, const void *field, FILE *out)
{
	const struct conf_list *l;
	const char *s;
	size_t i;

	if (kw->type == CONF_CUSTOM) {
		if (kw->dump != NULL)
			kw->dump(kw, field, out);
		return;
	}
	if (kw->type == CONF_LIST) {
		/* A few words per line: repeats append, and a line holds at
		 * most CONF_MAX_ARGS words, so long lists still parse back. */
		l = field;
		for (i = 0; i < l->n; i++) {
			if (i % CONF_DUMP_WORDS == 0) {
				if (i > 0)
					fputc('\n', out);
				conf_dump_name(out, kw->name);
			}
			fputc(' ', out);
			conf_print_word(out, l->v[i]);
		}
		if (l->n > 0)
			fputc('\n', out);
		return;
	}
	if ((kw->type == CONF_STR || kw->type == CONF_PATH) &&
	    *(char *const *)field == NULL) {
		conf_dump_name(out, kw->name);
		fputs(" none\n", out);
		return;
	}
	conf_dump_name(out, kw->name);
	fputc(' ', out);
	switch (kw->type) {
	case CONF_STR:
	case CONF_PATH:
		s = *(char *const *)field;
		if (kw->flags & CONF_F_SECRET)
			fputs("(hidden)", out);
		else
			conf_print_word(out, s);
		break;
	case CONF_INT:
		fprintf(out, "%d", *(const int *)field);
		break;
	case CONF_BOOL:
		fputs(*(const int *)field ? "yes" : "no", out);
		break;
	case CONF_TIME:
		conf_dump_time(out, *(const int *)field);
		break;
	case CONF_SIZE:
		fprintf(out, "%lld", *(const long long *)field);
		break;
	case CONF_ENUM:
		fputs(kw->names[*(const int *)field], out);
		break;
	default:
		break;
	}
	fputc('\n', out);
}

void
conf_dump(const struct conf *c, FILE *out)
{
	const struct conf_keyword *kw;
	size_t i, k;

	for (i = 0; i < c->nareas; i++)
		for (k = 0; (kw = &c->tables[i]->kw[k])->name != NULL; k++)
			conf_dump_field(kw, FIELD(c->areas[i], kw), out);
}

/* Copies, frees, Match. */

void
conf_area_copy(const struct conf_table *t, void *dst, const void *src)
{
	const struct conf_keyword *kw;
	const struct conf_list *sl;
	struct conf_list *dl;
	size_t k;
	char **sp;

	for (k = 0; (kw = &t->kw[k])->name != NULL; k++) {
		switch (kw->type) {
		case CONF_STR:
		case CONF_PATH:
			sp = (char **)FIELD(src, kw);
			*(char **)FIELD(dst, kw) = *sp ? xstrdup(*sp) : NULL;
			break;
		case CONF_INT:
		case CONF_BOOL:
		case CONF_TIME:
		case CONF_ENUM:
			*(int *)FIELD(dst, kw) = *(const int *)FIELD(src, kw);
			break;
		case CONF_SIZE:
			*(long long *)FIELD(dst, kw) =
			    *(const long long *)FIELD(src, kw);
			break;
		case CONF_LIST:
			sl = (const struct conf_list *)FIELD(src, kw);
			dl = (struct conf_list *)FIELD(dst, kw);
			memset(dl, 0, sizeof(*dl));
			conf_list_copy(dl, sl);
			break;
		case CONF_CUSTOM:
			if (kw->copy != NULL)
				kw->copy(FIELD(dst, kw), FIELD(src, kw));
			break;
		}
	}
}

void
conf_area_free(const struct conf_table *t, void *area)
{
	const struct conf_keyword *kw;
	size_t k;

	for (k = 0; (kw = &t->kw[k])->name != NULL; k++)
		conf_field_free(kw, FIELD(area, kw));
}

static void
conf_match_free(struct conf_match *m)
{
	size_t i;
	int j;

	for (j = 0; j < m->argc; j++)
		free(m->criteria[j]);
	free(m->criteria);
	for (i = 0; i < m->nlines; i++) {
		for (j = 0; j < m->lines[i].argc; j++)
			free(m->lines[i].argv[j]);
		free(m->lines[i].argv);
	}
	free(m->lines);
	free(m->file);
}

void
conf_free(struct conf *c)
{
	size_t i;

	for (i = 0; i < c->nareas; i++) {
		conf_area_free(c->tables[i], c->areas[i]);
		free(c->isset[i]);
		c->isset[i] = NULL;
	}
	for (i = 0; i < c->nmatches; i++)
		conf_match_free(&c->matches[i]);
	free(c->matches);
	c->matches = NULL;
	c->nmatches = 0;
}

int
conf_match_apply(const struct conf *c, conf_match_eval_fn *eval, void *ctx,
    void *const *areas, char *err, size_t errlen)
{
	const struct conf_keyword *kw;
	const struct conf_match *m;
	const struct conf_match_line *ml;
	unsigned char *seen[CONF_MAX_AREAS];
	char errbuf[512], *argv[CONF_MAX_ARGS];
	size_t i, j, area, idx, k;
	int r = 0, a;

	for (i = 0; i < c->nareas; i++) {
		for (k = 0; c->tables[i]->kw[k].name != NULL; k++)
			;
		seen[i] = xcalloc(k + 1, 1);
	}
	for (i = 0; i < c->nmatches; i++) {
		m = &c->matches[i];
		if ((r = eval(ctx, m->argc, m->criteria)) < 0) {
			dg_errf(err, errlen, DG_ERR_PARSE,
			    "%s:%d: Match could not be evaluated", m->file,
			    m->line);
			goto out;
		}
		if (r == 0)
			continue;
		for (j = 0; j < m->nlines; j++) {
			ml = &m->lines[j];
			kw = conf_lookup(c, ml->argv[0], &area, &idx);
			/* A NULL area is one the caller does not need. */
			if (kw == NULL || areas[area] == NULL)
				continue;
			if (seen[area][idx] && kw->type != CONF_LIST &&
			    !(kw->flags & CONF_F_REPEAT))
				continue;
			/* A Match value replaces the global one. */
			if (!seen[area][idx] &&
			    (kw->type == CONF_LIST || kw->type == CONF_CUSTOM))
				conf_field_free(kw, FIELD(areas[area], kw));
			for (a = 0; a < ml->argc; a++)
				argv[a] = ml->argv[a];
			errbuf[0] = '\0';
			if ((r = conf_set(kw, FIELD(areas[area], kw), ml->argc,
			    argv, errbuf, sizeof(errbuf))) != 0) {
				dg_errf(err, errlen, DG_ERR_PARSE, "%s:%d: %s",
				    m->file, ml->line, errbuf);
				goto out;
			}
			seen[area][idx] = 1;
		}
	}
	r = 0;
out:
	for (i = 0; i < c->nareas; i++)
		free(seen[i]);
	return r;
}
