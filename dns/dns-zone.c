/* dns-zone.c: a zone's records in memory indexed by owner name; zone file
 * reading with line numbers; applying UPDATE records. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/xmalloc.h"
#include "dns/dns-name.h"
#include "dns/dns-wire.h"
#include "dns/dns-zone.h"

struct dns_zone {
	char		 *origin;	/* canonical */
	struct dns_znode **hash;
	size_t		  hsize;	/* power of two */
	struct dns_znode **nodes;	/* insertion order */
	size_t		  nnodes, capnodes;
	size_t		  count;	/* records */
};

struct dns_zone *
dns_zone_new(const char *origin)
{
	struct dns_zone *z = xcalloc(1, sizeof(*z));

	z->origin = xstrdup(origin);
	z->hsize = 64;
	z->hash = xcalloc(z->hsize, sizeof(*z->hash));
	return z;
}

void
dns_zone_free(struct dns_zone *z)
{
	size_t i, k;

	if (z == NULL)
		return;
	for (i = 0; i < z->nnodes; i++) {
		for (k = 0; k < z->nodes[i]->n; k++)
			ldns_rr_free(z->nodes[i]->rec[k].rr);
		free(z->nodes[i]->rec);
		free(z->nodes[i]->name);
		free(z->nodes[i]);
	}
	free(z->nodes);
	free(z->hash);
	free(z->origin);
	free(z);
}

const char *
dns_zone_origin(const struct dns_zone *z)
{
	return z->origin;
}

size_t
dns_zone_count(const struct dns_zone *z)
{
	return z->count;
}

int
dns_rr_owner(const ldns_rr *rr, char *buf, size_t len)
{
	char *s;
	int r;

	if ((s = ldns_rdf2str(ldns_rr_owner(rr))) == NULL)
		return DG_ERR_INVAL;
	r = dns_name_canon(s, buf, len);
	free(s);
	return r;
}

const struct dns_znode *
dns_zone_find(const struct dns_zone *z, const char *name)
{
	struct dns_znode *n;

	for (n = z->hash[dns_name_hash(name) & (z->hsize - 1)]; n != NULL;
	    n = n->hnext)
		if (strcmp(n->name, name) == 0)
			return n->n > 0 ? n : NULL;
	return NULL;
}

static void
dns_zone_grow(struct dns_zone *z)
{
	struct dns_znode **h, *n, *next;
	size_t i, size = z->hsize * 2;

	h = xcalloc(size, sizeof(*h));
	for (i = 0; i < z->hsize; i++) {
		for (n = z->hash[i]; n != NULL; n = next) {
			next = n->hnext;
			n->hnext = h[dns_name_hash(n->name) & (size - 1)];
			h[dns_name_hash(n->name) & (size - 1)] = n;
		}
	}
	free(z->hash);
	z->hash = h;
	z->hsize = size;
}

static struct dns_znode *
dns_zone_node(struct dns_zone *z, const char *name, int create)
{
	struct dns_znode *n;
	size_t b = dns_name_hash(name) & (z->hsize - 1);

	for (n = z->hash[b]; n != NULL; n = n->hnext)
		if (strcmp(n->name, name) == 0)
			return n;
	if (!create)
		return NULL;
	if (z->nnodes >= z->hsize) {
		dns_zone_grow(z);
		b = dns_name_hash(name) & (z->hsize - 1);
	}
	n = xcalloc(1, sizeof(*n));
	n->name = xstrdup(name);
	n->hnext = z->hash[b];
	z->hash[b] = n;
	if (z->nnodes == z->capnodes) {
		z->capnodes = z->capnodes ? z->capnodes * 2 : 64;
		z->nodes = xreallocarray(z->nodes, z->capnodes,
		    sizeof(*z->nodes));
	}
	z->nodes[z->nnodes++] = n;
	return n;
}

const struct dns_znode *
dns_zone_next(const struct dns_zone *z, size_t *ip)
{
	while (*ip < z->nnodes) {
		if (z->nodes[*ip]->n > 0)
			return z->nodes[(*ip)++];
		(*ip)++;
	}
	return NULL;
}

size_t
dns_znode_count(const struct dns_znode *n, uint16_t type)
{
	size_t i, c = 0;

	if (n == NULL)
		return 0;
	for (i = 0; i < n->n; i++)
		if (ldns_rr_get_type(n->rec[i].rr) == type)
			c++;
	return c;
}

/* Same type and rdata (owner and class are the caller's concern). */
static int
dns_zone_rr_same(const ldns_rr *a, const ldns_rr *b)
{
	size_t i;

	if (ldns_rr_get_type(a) != ldns_rr_get_type(b) ||
	    ldns_rr_rd_count(a) != ldns_rr_rd_count(b))
		return 0;
	for (i = 0; i < ldns_rr_rd_count(a); i++)
		if (ldns_rdf_compare(ldns_rr_rdf(a, i), ldns_rr_rdf(b, i)) != 0)
			return 0;
	return 1;
}

static void
dns_zone_remove_at(struct dns_zone *z, struct dns_znode *n, size_t i)
{
	ldns_rr_free(n->rec[i].rr);
	memmove(&n->rec[i], &n->rec[i + 1], (n->n - i - 1) * sizeof(*n->rec));
	n->n--;
	z->count--;
}

static void
dns_zone_insert(struct dns_zone *z, struct dns_znode *n, ldns_rr *rr,
    int line)
{
	size_t i;

	for (i = 0; i < n->n; i++) {
		if (dns_zone_rr_same(n->rec[i].rr, rr)) {
			ldns_rr_free(n->rec[i].rr);
			n->rec[i].rr = rr;
			n->rec[i].line = line;
			return;
		}
	}
	if (n->n == n->cap) {
		n->cap = n->cap ? n->cap * 2 : 2;
		n->rec = xreallocarray(n->rec, n->cap, sizeof(*n->rec));
	}
	n->rec[n->n].rr = rr;
	n->rec[n->n].line = line;
	n->n++;
	z->count++;
}

int
dns_zone_add(struct dns_zone *z, ldns_rr *rr, int line)
{
	char owner[DNS_NAME_MAX];

	if (dns_rr_owner(rr, owner, sizeof(owner)) != 0 ||
	    dns_name_rel(owner, z->origin) < 0 ||
	    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
		ldns_rr_free(rr);
		return DG_ERR_INVAL;
	}
	if (z->count >= DNS_ZONE_MAX_RECORDS) {
		ldns_rr_free(rr);
		return DG_ERR_LIMIT;
	}
	dns_zone_insert(z, dns_zone_node(z, owner, 1), rr, line);
	return 0;
}

int
dns_zone_serial(const struct dns_zone *z, uint32_t *serialp)
{
	const struct dns_znode *n = dns_zone_find(z, z->origin);
	size_t i;

	*serialp = 0;
	if (n == NULL)
		return DG_ERR_NOTFOUND;
	for (i = 0; i < n->n; i++) {
		if (ldns_rr_get_type(n->rec[i].rr) == LDNS_RR_TYPE_SOA &&
		    ldns_rr_rd_count(n->rec[i].rr) >= 3) {
			*serialp = ldns_rdf2native_int32(
			    ldns_rr_rdf(n->rec[i].rr, 2));
			return 0;
		}
	}
	return DG_ERR_NOTFOUND;
}

static void
dns_zone_apply_one(struct dns_zone *z, const ldns_rr *u)
{
	char owner[DNS_NAME_MAX];
	struct dns_znode *n;
	ldns_rr *c;
	uint16_t type = ldns_rr_get_type(u), t;
	int apex;
	size_t i;

	if (dns_rr_owner(u, owner, sizeof(owner)) != 0 ||
	    dns_name_rel(owner, z->origin) < 0)
		return;
	apex = strcmp(owner, z->origin) == 0;
	switch (ldns_rr_get_class(u)) {
	case LDNS_RR_CLASS_IN:
		if (type == DNS_TYPE_SOA)
			return;
		n = dns_zone_node(z, owner, 1);
		/* CNAME and other data never share a name. */
		for (i = 0; i < n->n; i++) {
			t = ldns_rr_get_type(n->rec[i].rr);
			if (type == DNS_TYPE_CNAME && t != DNS_TYPE_CNAME)
				return;
			if (type != DNS_TYPE_CNAME && t == DNS_TYPE_CNAME)
				return;
		}
		if (type == DNS_TYPE_CNAME)
			while (n->n > 0)
				dns_zone_remove_at(z, n, 0);
		c = ldns_rr_clone(u);
		dns_zone_insert(z, n, c, 0);
		return;
	case LDNS_RR_CLASS_ANY:
	case LDNS_RR_CLASS_NONE:
		if ((n = dns_zone_node(z, owner, 0)) == NULL)
			return;
		for (i = n->n; i-- > 0;) {
			t = ldns_rr_get_type(n->rec[i].rr);
			if (apex && (t == DNS_TYPE_SOA || t == LDNS_RR_TYPE_NS))
				continue;
			if (ldns_rr_get_class(u) == LDNS_RR_CLASS_ANY ?
			    (type == DNS_TYPE_ANY || type == t) :
			    dns_zone_rr_same(n->rec[i].rr, u))
				dns_zone_remove_at(z, n, i);
		}
		return;
	default:
		return;
	}
}

void
dns_zone_apply(struct dns_zone *z, const ldns_rr_list *l)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(l); i++)
		dns_zone_apply_one(z, ldns_rr_list_rr(l, i));
}

/* The line where the record read from buf[off...] starts: ldns skips
 * blank and comment lines inside one call, so skip them here too. */
static int
dns_zone_start_line(const char *buf, size_t len, size_t off, int line)
{
	size_t i = off;

	line++;
	while (i < len) {
		while (i < len && (buf[i] == ' ' || buf[i] == '\t' ||
		    buf[i] == '\r'))
			i++;
		if (i < len && buf[i] == ';')
			while (i < len && buf[i] != '\n')
				i++;
		if (i >= len || buf[i] != '\n')
			break;
		i++;
		line++;
	}
	return line;
}

static int
dns_zone_read(const char *name, const char *buf, size_t len,
    const char *origin, struct dns_zone **zp, char *err, size_t errlen)
{
	struct dns_zone *z;
	ldns_rdf *orig = NULL, *prev = NULL;
	ldns_rr *rr;
	ldns_status st;
	uint32_t ttl = 3600;
	FILE *fp;
	long pos;
	char *fq;
	int line = 0, start, r = 0;

	if (len == 0) {
		*zp = dns_zone_new(origin);
		return 0;
	}
	fq = xasprintf("%s.", origin);
	orig = ldns_dname_new_frm_str(fq);
	free(fq);
	if (orig == NULL) {
		snprintf(err, errlen, "%s: bad origin %s", name, origin);
		return DG_ERR_INVAL;
	}
	if ((fp = fmemopen((void *)buf, len, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		ldns_rdf_deep_free(orig);
		return DG_ERR_SYSTEM;
	}
	z = dns_zone_new(origin);
	while (!feof(fp)) {
		rr = NULL;
		if ((pos = ftell(fp)) < 0)
			pos = 0;
		start = dns_zone_start_line(buf, len, (size_t)pos, line);
		st = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &orig, &prev, &line);
		if (st == LDNS_STATUS_SYNTAX_EMPTY ||
		    st == LDNS_STATUS_SYNTAX_TTL ||
		    st == LDNS_STATUS_SYNTAX_ORIGIN)
			continue;
		if (st == LDNS_STATUS_SYNTAX_INCLUDE) {
			snprintf(err, errlen, "%s:%d: $INCLUDE is not "
			    "supported", name, start);
			r = DG_ERR_PARSE;
			break;
		}
		if (st != LDNS_STATUS_OK) {
			snprintf(err, errlen, "%s:%d: %s", name, start,
			    ldns_get_errorstr_by_id(st));
			ldns_rr_free(rr);
			r = DG_ERR_PARSE;
			break;
		}
		if ((r = dns_zone_add(z, rr, start)) != 0) {
			snprintf(err, errlen, "%s:%d: %s", name, start,
			    r == DG_ERR_LIMIT ? "too many records" :
			    "record outside the zone or not class IN");
			r = r == DG_ERR_LIMIT ? DG_ERR_TOOBIG : DG_ERR_PARSE;
			break;
		}
	}
	fclose(fp);
	ldns_rdf_deep_free(orig);
	ldns_rdf_deep_free(prev);
	if (r != 0) {
		dns_zone_free(z);
		return r;
	}
	*zp = z;
	return 0;
}

int
dns_zone_load_buf(const char *name, const char *buf, size_t len,
    const char *origin, struct dns_zone **zp, char *err, size_t errlen)
{
	if (len > DNS_ZONE_MAX_FILE) {
		snprintf(err, errlen, "%s: larger than %d MiB", name,
		    DNS_ZONE_MAX_FILE >> 20);
		return DG_ERR_TOOBIG;
	}
	return dns_zone_read(name, buf, len, origin, zp, err, errlen);
}

int
dns_zone_load_file(const char *path, const char *origin,
    struct dns_zone **zp, char *err, size_t errlen)
{
	struct stat sb;
	char *buf;
	size_t len = 0;
	ssize_t n;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return DG_ERR_SYSTEM;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > DNS_ZONE_MAX_FILE) {
		snprintf(err, errlen, "%s: %s", path, !S_ISREG(sb.st_mode) ?
		    "not a regular file" : "larger than 64 MiB");
		close(fd);
		return DG_ERR_TOOBIG;
	}
	buf = xmalloc((size_t)sb.st_size + 1);
	while (len < (size_t)sb.st_size &&
	    (n = read(fd, buf + len, (size_t)sb.st_size - len)) > 0)
		len += (size_t)n;
	close(fd);
	r = dns_zone_read(path, buf, len, origin, zp, err, errlen);
	free(buf);
	return r;
}

int
dns_txt_strings(const ldns_rr *rr, char ***strsp, size_t *np)
{
	const ldns_rdf *f;
	const uint8_t *d;
	char **v;
	size_t i, n = ldns_rr_rd_count(rr);

	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TXT)
		return DG_ERR_INVAL;
	v = xcalloc(n + 1, sizeof(*v));
	for (i = 0; i < n; i++) {
		f = ldns_rr_rdf(rr, i);
		d = ldns_rdf_data(f);
		if (ldns_rdf_get_type(f) != LDNS_RDF_TYPE_STR ||
		    ldns_rdf_size(f) < 1 || (size_t)d[0] + 1 !=
		    ldns_rdf_size(f) || memchr(d + 1, '\0', d[0]) != NULL) {
			dns_txt_free(v, i);
			return DG_ERR_INVAL;
		}
		v[i] = xstrndup((const char *)d + 1, d[0]);
	}
	*strsp = v;
	*np = n;
	return 0;
}

void
dns_txt_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

char *
dns_rr_rdata_text(const ldns_rr *rr)
{
	char *s = xstrdup(""), *t, *f;
	size_t i;

	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		f = ldns_rdf2str(ldns_rr_rdf(rr, i));
		t = xasprintf("%s%s%s", s, i ? " " : "", f ? f : "");
		free(f);
		free(s);
		s = t;
	}
	return s;
}
