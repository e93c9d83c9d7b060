/* conf.h: sshd_config-style configuration engine driven by keyword tables;
 * each area (gateway, auth, dns) owns a table and a struct it fills. */
#ifndef DG_CONF_H
#define DG_CONF_H

#include <stddef.h>
#include <stdio.h>

enum conf_type {
	CONF_STR,	/* char *, owned */
	CONF_PATH,	/* char *, owned; "none" clears */
	CONF_INT,	/* int, within [min, max] when max > min */
	CONF_BOOL,	/* int 0/1: yes/no (true/false/on/off accepted) */
	CONF_TIME,	/* int seconds: 90, 1m30s, 2h, 1d, 1w */
	CONF_SIZE,	/* long long bytes: 512, 64K, 10M, 2G */
	CONF_ENUM,	/* int index into names[] */
	CONF_LIST,	/* struct conf_list: each argument appended, repeats append */
	CONF_CUSTOM,	/* parse/dump/free/copy callbacks */
};

#define CONF_F_MATCH	0x1	/* allowed inside a Match block */
#define CONF_F_REPEAT	0x2	/* CONF_CUSTOM: every occurrence is parsed */
#define CONF_F_SECRET	0x4	/* -T prints "(hidden)" */

struct conf_list {
	char	**v;		/* NULL-terminated when n > 0 */
	size_t	  n;
};

struct conf_keyword;
typedef int conf_parse_fn(const struct conf_keyword *, void *field, int argc,
    char **argv, char *err, size_t errlen);
/* Print zero or more whole lines ("keyword value\n") for -T. */
typedef void conf_dump_fn(const struct conf_keyword *, const void *field,
    FILE *);
typedef void conf_free_fn(void *field);
typedef void conf_copy_fn(void *dst, const void *src);

struct conf_keyword {
	const char	*name;		/* as documented: "ListenAddress" */
	enum conf_type	 type;
	size_t		 offset;	/* of the field in the area struct */
	const char	*defval;	/* default, as config text; NULL: none */
	int		 flags;		/* CONF_F_* */
	long long	 min, max;	/* numeric bounds, checked when max > min */
	const char *const *names;	/* CONF_ENUM: NULL-terminated */
	conf_parse_fn	*parse;		/* CONF_CUSTOM */
	conf_dump_fn	*dump;		/* CONF_CUSTOM */
	conf_free_fn	*free;		/* CONF_CUSTOM */
	conf_copy_fn	*copy;		/* CONF_CUSTOM */
};

struct conf_table {
	const char		  *area;	/* "gateway", "auth", "dns" */
	const struct conf_keyword *kw;		/* ends with a NULL name */
};

/* One line inside a Match block, kept for evaluation per connection. */
struct conf_match_line {
	int	  argc;
	char	**argv;		/* argv[0] is the keyword */
	int	  line;
};

struct conf_match {
	int			 argc;
	char			**criteria;	/* the words after "Match" */
	char			*file;
	int			 line;
	struct conf_match_line	*lines;
	size_t			 nlines;
};

/* Checks the criteria of a Match line at load time; 0 or DG_ERR_* with err. */
typedef int conf_match_check_fn(int argc, char **criteria, char *err,
    size_t errlen);
/* Evaluates criteria for one connection: 1 match, 0 no match, <0 error. */
typedef int conf_match_eval_fn(void *ctx, int argc, char **criteria);

#define CONF_MAX_AREAS 4

struct conf {
	size_t			 nareas;
	const struct conf_table	*tables[CONF_MAX_AREAS];
	void			*areas[CONF_MAX_AREAS];
	unsigned char		*isset[CONF_MAX_AREAS];	/* per keyword */
	conf_match_check_fn	*match_check;	/* NULL: Match is refused */
	struct conf_match	*matches;
	size_t			 nmatches;
};

/* Bind tables to zeroed area structs. */
void	 conf_init(struct conf *, size_t n, const struct conf_table *const *,
	    void *const *areas);
void	 conf_set_match_check(struct conf *, conf_match_check_fn *);
/* Parse a file or a string; err gets "name:line: reason". First value wins
 * for single-valued keywords, as in sshd. */
int	 conf_load_file(struct conf *, const char *path, char *err, size_t);
int	 conf_load_string(struct conf *, const char *name, const char *text,
	    char *err, size_t);
/* Apply defaults to every keyword not set. */
int	 conf_finish(struct conf *, char *err, size_t);
/* Print every effective setting, one "lowercasekeyword value" per line, in
 * table order; the output parses back to the same settings. */
void	 conf_dump(const struct conf *, FILE *);
/* Free every owned field of the areas, and the Match blocks. */
void	 conf_free(struct conf *);
/* Was this keyword given explicitly (not a default)? */
int	 conf_isset(const struct conf *, const char *keyword);

/* Deep-copy/free one area struct by its table (for per-connection copies). */
void	 conf_area_copy(const struct conf_table *, void *dst, const void *src);
void	 conf_area_free(const struct conf_table *, void *area);
/* Apply matching Match blocks onto areas (copies made by conf_area_copy),
 * in file order; within the applied blocks the first value wins. areas
 * has one entry per area; a NULL entry is an area the caller does not
 * need: its Match lines are skipped. */
int	 conf_match_apply(const struct conf *, conf_match_eval_fn *, void *ctx,
	    void *const *areas, char *err, size_t);

/* Parsers shared with custom keywords. */
int	 conf_parse_time(const char *, int *secondsp);
int	 conf_parse_size(const char *, long long *bytesp);
int	 conf_parse_bool(const char *, int *boolp);
void	 conf_list_add(struct conf_list *, const char *);
void	 conf_list_free(struct conf_list *);
/* Append copies of all of src's strings to dst. */
void	 conf_list_copy(struct conf_list *dst, const struct conf_list *src);
int	 conf_list_has(const struct conf_list *, const char *);
/* Split a config line into words, sshd style (quotes, # comments); at most
 * max words. Returns the count, or DG_ERR_PARSE for bad quoting. The words
 * point into line, which is modified. */
int	 conf_split(char *line, char **argv, int max);
/* Print a value quoted if it holds spaces, quotes or '#'. */
void	 conf_print_word(FILE *, const char *);

#endif
