/* dns-update.c: building RFC 2136 UPDATE messages with ldns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xmalloc.h"
#include "dns/dns-name.h"
#include "dns/dns-update.h"
#include "dns/dns-wire.h"

struct dns_update {
	char		*zone;		/* canonical */
	ldns_rr_list	*pre;		/* prerequisite section */
	ldns_rr_list	*up;		/* update section */
	size_t		 size;		/* estimated wire bytes */
};

struct dns_update *
dns_update_new(const char *zone)
{
	struct dns_update *u = xcalloc(1, sizeof(*u));

	u->zone = xstrdup(zone);
	u->pre = ldns_rr_list_new();
	u->up = ldns_rr_list_new();
	/* header + zone section */
	u->size = DNS_WIRE_HDRLEN + strlen(zone) + 2 + 4;
	return u;
}

void
dns_update_free(struct dns_update *u)
{
	if (u == NULL)
		return;
	ldns_rr_list_deep_free(u->pre);
	ldns_rr_list_deep_free(u->up);
	free(u->zone);
	free(u);
}

const char *
dns_update_type_name(uint16_t type)
{
	static char buf[16];

	switch (type) {
	case DNS_TYPE_A:
		return "A";
	case DNS_TYPE_AAAA:
		return "AAAA";
	case DNS_TYPE_CNAME:
		return "CNAME";
	case DNS_TYPE_TXT:
		return "TXT";
	case DNS_TYPE_SOA:
		return "SOA";
	case DNS_TYPE_ANY:
		return "ANY";
	default:
		snprintf(buf, sizeof(buf), "TYPE%u", type);
		return buf;
	}
}

/* An RR with owner, type, class and TTL but no rdata. */
static int
dns_update_bare(struct dns_update *u, const char *name, uint16_t type,
    uint16_t class, ldns_rr **rrp)
{
	ldns_rdf *owner;
	ldns_rr *rr;
	char *fq;

	if (dns_name_rel(name, u->zone) < 0)
		return DG_ERR_INVAL;
	fq = xasprintf("%s.", name);
	owner = ldns_dname_new_frm_str(fq);
	free(fq);
	if (owner == NULL)
		return DG_ERR_INVAL;
	rr = ldns_rr_new();
	ldns_rr_set_owner(rr, owner);
	ldns_rr_set_type(rr, (ldns_rr_type)type);
	ldns_rr_set_class(rr, (ldns_rr_class)class);
	ldns_rr_set_ttl(rr, 0);
	*rrp = rr;
	return 0;
}

/* An RR parsed from "name. ttl IN TYPE rdata", then given the class. */
static int
dns_update_full(struct dns_update *u, const char *name, uint32_t ttl,
    uint16_t type, uint16_t class, const char *rdata, ldns_rr **rrp)
{
	ldns_rr *rr = NULL;
	char *text;
	ldns_status st;

	if (dns_name_rel(name, u->zone) < 0 || rdata == NULL ||
	    *rdata == '\0' || strchr(rdata, '\n') != NULL ||
	    strchr(rdata, ';') != NULL)
		return DG_ERR_INVAL;
	text = xasprintf("%s. %u IN %s %s", name, ttl,
	    dns_update_type_name(type), rdata);
	st = ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL);
	free(text);
	if (st != LDNS_STATUS_OK || rr == NULL ||
	    ldns_rr_get_type(rr) != type) {
		ldns_rr_free(rr);
		return DG_ERR_INVAL;
	}
	ldns_rr_set_class(rr, (ldns_rr_class)class);
	*rrp = rr;
	return 0;
}

static void
dns_update_push(struct dns_update *u, ldns_rr_list *l, ldns_rr *rr)
{
	ldns_rr_list_push_rr(l, rr);
	u->size += ldns_rr_uncompressed_size(rr);
}

int
dns_update_require_absent(struct dns_update *u, const char *name)
{
	ldns_rr *rr;
	int r;

	if ((r = dns_update_bare(u, name, DNS_TYPE_ANY, DNS_CLASS_NONE,
	    &rr)) != 0)
		return r;
	dns_update_push(u, u->pre, rr);
	return 0;
}

int
dns_update_require_present(struct dns_update *u, const char *name)
{
	ldns_rr *rr;
	int r;

	if ((r = dns_update_bare(u, name, DNS_TYPE_ANY, DNS_CLASS_ANY,
	    &rr)) != 0)
		return r;
	dns_update_push(u, u->pre, rr);
	return 0;
}

int
dns_update_require_rrset_absent(struct dns_update *u, const char *name,
    uint16_t type)
{
	ldns_rr *rr;
	int r;

	if ((r = dns_update_bare(u, name, type, DNS_CLASS_NONE, &rr)) != 0)
		return r;
	dns_update_push(u, u->pre, rr);
	return 0;
}

int
dns_update_require_rrset(struct dns_update *u, const char *name,
    uint16_t type, const char *const *rdata, size_t n)
{
	struct dns_update_mark m;
	ldns_rr *rr;
	size_t i;
	int r;

	if (n == 0)
		return DG_ERR_INVAL;
	dns_update_mark(u, &m);
	for (i = 0; i < n; i++) {
		if ((r = dns_update_full(u, name, 0, type, DNS_CLASS_IN,
		    rdata[i], &rr)) != 0) {
			dns_update_rollback(u, &m);
			return r;
		}
		dns_update_push(u, u->pre, rr);
	}
	return 0;
}

int
dns_update_add(struct dns_update *u, const char *name, uint32_t ttl,
    uint16_t type, const char *rdata)
{
	ldns_rr *rr;
	int r;

	if ((r = dns_update_full(u, name, ttl, type, DNS_CLASS_IN, rdata,
	    &rr)) != 0)
		return r;
	dns_update_push(u, u->up, rr);
	return 0;
}

int
dns_update_delete_rrset(struct dns_update *u, const char *name,
    uint16_t type)
{
	ldns_rr *rr;
	int r;

	if ((r = dns_update_bare(u, name, type, DNS_CLASS_ANY, &rr)) != 0)
		return r;
	dns_update_push(u, u->up, rr);
	return 0;
}

int
dns_update_delete_rr(struct dns_update *u, const char *name, uint16_t type,
    const char *rdata)
{
	ldns_rr *rr;
	int r;

	if ((r = dns_update_full(u, name, 0, type, DNS_CLASS_NONE, rdata,
	    &rr)) != 0)
		return r;
	dns_update_push(u, u->up, rr);
	return 0;
}

int
dns_update_delete_name(struct dns_update *u, const char *name)
{
	return dns_update_delete_rrset(u, name, DNS_TYPE_ANY);
}

size_t
dns_update_size(const struct dns_update *u)
{
	return u->size;
}

size_t
dns_update_count(const struct dns_update *u)
{
	return ldns_rr_list_rr_count(u->pre) + ldns_rr_list_rr_count(u->up);
}

void
dns_update_mark(const struct dns_update *u, struct dns_update_mark *m)
{
	m->npre = ldns_rr_list_rr_count(u->pre);
	m->nup = ldns_rr_list_rr_count(u->up);
	m->size = u->size;
}

void
dns_update_rollback(struct dns_update *u, const struct dns_update_mark *m)
{
	while (ldns_rr_list_rr_count(u->pre) > m->npre)
		ldns_rr_free(ldns_rr_list_pop_rr(u->pre));
	while (ldns_rr_list_rr_count(u->up) > m->nup)
		ldns_rr_free(ldns_rr_list_pop_rr(u->up));
	u->size = m->size;
}

const ldns_rr_list *
dns_update_records(const struct dns_update *u)
{
	return u->up;
}

int
dns_update_packet(const struct dns_update *u, ldns_pkt **pp)
{
	ldns_rdf *zone;
	ldns_pkt *p;
	char *fq;

	fq = xasprintf("%s.", u->zone);
	zone = ldns_dname_new_frm_str(fq);
	free(fq);
	if (zone == NULL)
		return DG_ERR_INVAL;
	/* Takes the zone rdf, clones the lists. */
	if ((p = ldns_update_pkt_new(zone, LDNS_RR_CLASS_IN, u->pre, u->up,
	    NULL)) == NULL)
		return DG_ERR_NOMEM;
	ldns_pkt_set_random_id(p);
	/* Created with RD set: in an UPDATE header that is the Z field. */
	ldns_pkt_set_rd(p, false);
	*pp = p;
	return 0;
}

/* "name TYPE rdata" of an RR, rdata omitted when empty. */
static void
dns_update_print_rr(const ldns_rr *rr, FILE *out, int ttl)
{
	char *owner, *rd;
	size_t i, len;

	owner = ldns_rdf2str(ldns_rr_owner(rr));
	if (ttl)
		fprintf(out, "%s %u %s", owner, ldns_rr_ttl(rr),
		    dns_update_type_name(ldns_rr_get_type(rr)));
	else
		fprintf(out, "%s %s", owner,
		    dns_update_type_name(ldns_rr_get_type(rr)));
	free(owner);
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		rd = ldns_rdf2str(ldns_rr_rdf(rr, i));
		len = rd != NULL ? strlen(rd) : 0;
		fprintf(out, " %.*s", (int)len, rd != NULL ? rd : "");
		free(rd);
	}
	fputc('\n', out);
}

void
dns_update_print(const struct dns_update *u, FILE *out)
{
	const ldns_rr *rr;
	size_t i;

	fprintf(out, "zone %s.\n", u->zone);
	for (i = 0; i < ldns_rr_list_rr_count(u->pre); i++) {
		rr = ldns_rr_list_rr(u->pre, i);
		if (ldns_rr_get_class(rr) == LDNS_RR_CLASS_NONE) {
			fputs(ldns_rr_get_type(rr) == LDNS_RR_TYPE_ANY ?
			    "prereq nxdomain " : "prereq nxrrset ", out);
		} else if (ldns_rr_get_class(rr) == LDNS_RR_CLASS_ANY) {
			fputs(ldns_rr_get_type(rr) == LDNS_RR_TYPE_ANY ?
			    "prereq yxdomain " : "prereq yxrrset ", out);
		} else {
			fputs("prereq yxrrset ", out);
		}
		dns_update_print_rr(rr, out, 0);
	}
	for (i = 0; i < ldns_rr_list_rr_count(u->up); i++) {
		rr = ldns_rr_list_rr(u->up, i);
		if (ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN) {
			fputs("update add ", out);
			dns_update_print_rr(rr, out, 1);
		} else {
			fputs("update delete ", out);
			dns_update_print_rr(rr, out, 0);
		}
	}
}
