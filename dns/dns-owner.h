/* dns-owner.h: the ownership marker scheme and the planning of one name's
 * change: which records devgate owns (a TXT "v=devgate-owner1"
 * "owner=ID" at _devgate.NAME), pool address reservations (a TXT
 * "v=devgate-addr1" "owner=ID" "name=NAME" at ADDRLABEL._addr), and the
 * RFC 2136 prerequisites that make a change apply only to a name devgate
 * owns, or to a name nobody uses yet. Pure. */
#ifndef DG_DNS_OWNER_H
#define DG_DNS_OWNER_H

#include <stddef.h>
#include <stdint.h>

#define DNS_OWNER_LABEL		"_devgate"
#define DNS_OWNER_VERSION	"v=devgate-owner1"
#define DNS_ADDR_LABEL		"_addr"
#define DNS_ADDR_VERSION	"v=devgate-addr1"

struct dns_pool;
struct dns_update;
struct dns_zone;

struct dns_owner_ctx {
	const char		*zone;		/* canonical */
	const char		*owner_id;	/* DNSOwnerId */
	uint32_t		 ttl;		/* of every record written */
	const struct dns_pool	*pool;		/* NULL: no pool */
};

struct dns_want_rr {
	uint16_t	 type;		/* A, AAAA, CNAME, TXT */
	char		*rdata;		/* presentation form */
};

/* The desired state of one name. Neither pool nor records: absent. */
struct dns_want {
	char		*name;		/* relative: "alice-gpu", "x._env" */
	int		 pool;		/* an address from the pool */
	struct dns_want_rr *rr;
	size_t		 nrr;
};

enum dns_owner_state {
	DNS_OWNER_FREE,		/* no records, no marker */
	DNS_OWNER_OURS,		/* our marker */
	DNS_OWNER_FOREIGN,	/* another installation's marker */
	DNS_OWNER_UNMANAGED,	/* records without any marker */
};

enum dns_plan_status {
	DNS_PLAN_NOOP,		/* already as desired */
	DNS_PLAN_CHANGE,	/* records added to the update */
	DNS_PLAN_CONFLICT,	/* the name is not devgate's: left alone */
	DNS_PLAN_FULL,		/* no free address in the pool */
	DNS_PLAN_INVALID,	/* the wanted state cannot be written */
};

struct dns_plan {
	enum dns_plan_status status;
	int64_t		 claimed;	/* pool index reserved here, or -1 */
	char		 text[256];	/* what changes, or why not */
};

/* Is pool index taken by a change in flight? */
typedef int dns_owner_taken_fn(void *arg, uint64_t index);

void	 dns_want_clear(struct dns_want *);
void	 dns_want_copy(struct dns_want *dst, const struct dns_want *src);
void	 dns_want_add(struct dns_want *, uint16_t type, const char *rdata);
int	 dns_want_absent(const struct dns_want *);
int	 dns_want_equal(const struct dns_want *, const struct dns_want *);
/* 0 or DG_ERR_INVAL: name inside the zone (not the apex, not under a
 * devgate label), types A/AAAA/CNAME/TXT, CNAME alone. */
int	 dns_want_check(const struct dns_owner_ctx *, const struct dns_want *);

/* Who owns name (relative) in view. */
enum dns_owner_state dns_owner_state(const struct dns_owner_ctx *,
	    const struct dns_zone *view, const char *name);
/* The marker's TXT rdata for this installation. */
char	*dns_owner_marker(const struct dns_owner_ctx *);
/* If rel (relative owner of a node) is an owner marker of ours, the
 * owned name (relative) into buf; 1 if so, else 0. */
int	 dns_owner_marked(const struct dns_owner_ctx *,
	    const struct dns_zone *view, const char *rel, char *buf,
	    size_t len);
/* If rel ("LABEL._addr") is one of our address reservations: its index
 * in the configured pool (UINT64_MAX if none) and the name it reserves
 * for; 1 if so. */
int	 dns_owner_reservation(const struct dns_owner_ctx *,
	    const struct dns_zone *view, const char *rel, uint64_t *indexp,
	    char *name, size_t len);

/*
 * Append the change that brings want's name from its state in view to the
 * wanted state, guarded by prerequisites, to u; say what in plan. Pool
 * candidates taken in view or by taken() are skipped.
 */
int	 dns_owner_plan(const struct dns_owner_ctx *,
	    const struct dns_zone *view, const struct dns_want *,
	    dns_owner_taken_fn *taken, void *arg, struct dns_update *u,
	    struct dns_plan *plan);
/* Release our reservation LABEL._addr made for name. */
int	 dns_owner_release(const struct dns_owner_ctx *, const char *name,
	    const char *label, struct dns_update *u);

#endif
