/* dns-zone.h: a zone's records in memory, indexed by owner name: filled
 * from a zone file (line numbers kept) or a transfer, queried by name and
 * type, and changed by applying an UPDATE's records as a server would. */
#ifndef DG_DNS_ZONE_H
#define DG_DNS_ZONE_H

#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#define DNS_ZONE_MAX_FILE	(64 * 1024 * 1024)
#define DNS_ZONE_MAX_RECORDS	4000000

struct dns_zone;

struct dns_zrec {
	ldns_rr		*rr;	/* owned */
	int		 line;	/* in the zone file; 0 if not from a file */
};

struct dns_znode {
	char		*name;	/* canonical: lowercase, no trailing dot */
	struct dns_zrec	*rec;
	size_t		 n, cap;
	struct dns_znode *hnext;	/* hash chain */
};

struct dns_zone *dns_zone_new(const char *origin);
void	 dns_zone_free(struct dns_zone *);
const char *dns_zone_origin(const struct dns_zone *);

/* Take rr (freed on error): DG_ERR_INVAL when its owner is outside the
 * zone or it is not class IN; DG_ERR_LIMIT past DNS_ZONE_MAX_RECORDS.
 * An identical record (same owner, type, rdata) replaces the old one. */
int	 dns_zone_add(struct dns_zone *, ldns_rr *rr, int line);
size_t	 dns_zone_count(const struct dns_zone *);
/* The SOA serial; 0 and DG_ERR_NOTFOUND without an SOA at the apex. */
int	 dns_zone_serial(const struct dns_zone *, uint32_t *);

/* NULL when the name has no records. */
const struct dns_znode *dns_zone_find(const struct dns_zone *,
	    const char *name);
/* Number of records of a type at a node (NULL node: 0). */
size_t	 dns_znode_count(const struct dns_znode *, uint16_t type);
/* Iterate: nodes in insertion order; *ip starts at 0. Skips empty
 * nodes. NULL at the end. */
const struct dns_znode *dns_zone_next(const struct dns_zone *, size_t *ip);

/*
 * Apply an update section as RFC 2136 3.4.2 does: class IN adds (a CNAME
 * replaces the node's CNAME), class ANY deletes an RRset (type ANY: all at
 * the name, apex SOA/NS kept), class NONE deletes one record.
 */
void	 dns_zone_apply(struct dns_zone *, const ldns_rr_list *);

/*
 * Read a zone file ($ORIGIN, $TTL, relative names, parentheses,
 * multi-string TXT; $INCLUDE refused). origin is the default $ORIGIN.
 * err gets "PATH:LINE: reason". 0, DG_ERR_SYSTEM, DG_ERR_PARSE,
 * DG_ERR_TOOBIG.
 */
int	 dns_zone_load_file(const char *path, const char *origin,
	    struct dns_zone **, char *err, size_t errlen);
/* The same from memory (name is used in messages). */
int	 dns_zone_load_buf(const char *name, const char *buf, size_t len,
	    const char *origin, struct dns_zone **, char *err, size_t errlen);

/* The character-strings of a TXT record as NUL-terminated copies (NUL
 * bytes inside refused). 0 or DG_ERR_INVAL. Free with dns_txt_free. */
int	 dns_txt_strings(const ldns_rr *, char ***strsp, size_t *np);
void	 dns_txt_free(char **, size_t);
/* Canonical owner name of an RR (lowercase, no dot) into buf. */
int	 dns_rr_owner(const ldns_rr *, char *buf, size_t len);
/* Presentation form of the rdata ("127.0.0.7", "\"a\" \"b\""); malloc'd. */
char	*dns_rr_rdata_text(const ldns_rr *);

#endif
