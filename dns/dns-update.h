/* dns-update.h: building RFC 2136 UPDATE messages with ldns: the zone,
 * prerequisites (2.4) and updates (2.5), with a running size so batches
 * stay under a cap, and marks to take back the last name's records. Pure:
 * no I/O; signing is dns-tsig's. */
#ifndef DG_DNS_UPDATE_H
#define DG_DNS_UPDATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ldns/ldns.h>

struct dns_update;

struct dns_update_mark {
	size_t		 npre, nup;
	size_t		 size;
};

/* zone: canonical ("dev.corp"). */
struct dns_update *dns_update_new(const char *zone);
void	 dns_update_free(struct dns_update *);

/*
 * Names are canonical text inside the zone ("alice-gpu.dev.corp"), types
 * DNS_TYPE_* (A, AAAA, CNAME, TXT), rdata in presentation form ("127.0.0.7",
 * "gw.dev.corp.", "\"v=devgate-owner1\" \"owner=x\""). Every call returns 0
 * or DG_ERR_INVAL (name outside the zone, unparsable rdata).
 */
/* Prerequisites: the name has no RR of any type ("name is not in use"),
 * or at least one; the RRset of a type is absent; the RRset of a type is
 * exactly these records ("exists, value dependent"). */
int	 dns_update_require_absent(struct dns_update *, const char *name);
int	 dns_update_require_present(struct dns_update *, const char *name);
int	 dns_update_require_rrset_absent(struct dns_update *,
	    const char *name, uint16_t type);
int	 dns_update_require_rrset(struct dns_update *, const char *name,
	    uint16_t type, const char *const *rdata, size_t n);
/* Updates: add one RR; delete an RRset (class ANY, TTL 0, no rdata);
 * delete one RR (class NONE); delete every RRset at a name. */
int	 dns_update_add(struct dns_update *, const char *name, uint32_t ttl,
	    uint16_t type, const char *rdata);
int	 dns_update_delete_rrset(struct dns_update *, const char *name,
	    uint16_t type);
int	 dns_update_delete_rr(struct dns_update *, const char *name,
	    uint16_t type, const char *rdata);
int	 dns_update_delete_name(struct dns_update *, const char *name);

/* Estimated wire size (uncompressed, without TSIG) and record counts. */
size_t	 dns_update_size(const struct dns_update *);
size_t	 dns_update_count(const struct dns_update *);
void	 dns_update_mark(const struct dns_update *, struct dns_update_mark *);
void	 dns_update_rollback(struct dns_update *,
	    const struct dns_update_mark *);
/* The update section (for applying a successful message to a view). */
const ldns_rr_list *dns_update_records(const struct dns_update *);

/* A fresh, unsigned packet: random id, RD clear. Call again for each
 * attempt and sign the copy. */
int	 dns_update_packet(const struct dns_update *, ldns_pkt **);
/* nsupdate-like text of the message ("prereq nxdomain ...", "update add
 * ..."), for --dry-run and debugging. */
void	 dns_update_print(const struct dns_update *, FILE *);
/* The type's mnemonic ("A", "TXT"); "TYPEnn" otherwise. */
const char *dns_update_type_name(uint16_t type);

#endif
