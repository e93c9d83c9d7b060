/* dns-wire.h: a bounds-checked walker over DNS messages in wire form:
 * header fields, names (with compression), and the TSIG record that must
 * end the additional section. Pure; every length is checked. */
#ifndef DG_DNS_WIRE_H
#define DG_DNS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define DNS_WIRE_HDRLEN 12

#define DNS_TYPE_A	1
#define DNS_TYPE_CNAME	5
#define DNS_TYPE_SOA	6
#define DNS_TYPE_TXT	16
#define DNS_TYPE_AAAA	28
#define DNS_TYPE_TSIG	250
#define DNS_TYPE_AXFR	252
#define DNS_TYPE_ANY	255
#define DNS_CLASS_IN	1
#define DNS_CLASS_NONE	254
#define DNS_CLASS_ANY	255

#define DNS_OPCODE_QUERY  0
#define DNS_OPCODE_UPDATE 5

struct dns_wire_hdr {
	uint16_t	 id;
	int		 qr;		/* a response */
	int		 opcode;
	int		 tc;		/* truncated */
	int		 rcode;		/* header RCODE (4 bits) */
	uint16_t	 qd, an, ns, ar;	/* section counts */
};

struct dns_wire_tsig {
	size_t		 rr_off;	/* where the TSIG RR starts */
	uint8_t		 key[256];	/* owner name, canonical wire form */
	size_t		 keylen;
	uint8_t		 alg[256];	/* algorithm name, canonical wire */
	size_t		 alglen;
	uint64_t	 time_signed;	/* 48 bits */
	uint16_t	 fudge;
	const uint8_t	*mac;		/* into the message */
	uint16_t	 maclen;
	uint16_t	 orig_id;
	uint16_t	 error;		/* 0 or BADSIG 16, BADKEY 17, ... */
	const uint8_t	*other;		/* into the message */
	uint16_t	 otherlen;
};

int	 dns_wire_header(const uint8_t *, size_t, struct dns_wire_hdr *);
/*
 * Read the name at *offp into out (canonical wire form: lowercase, no
 * compression, at most 255 octets) and advance *offp past it. Pointers
 * must point backwards; loops and overlong names are refused. out may be
 * NULL to skip. 0 or DG_ERR_PROTO.
 */
int	 dns_wire_name(const uint8_t *msg, size_t len, size_t *offp,
	    uint8_t *out, size_t *outlenp);
/*
 * Walk every section; if the message ends with a TSIG RR, parse it into
 * *t and set *foundp. A TSIG anywhere else, a TSIG of class other than
 * ANY, trailing bytes or a truncated record are DG_ERR_PROTO.
 */
int	 dns_wire_tsig(const uint8_t *, size_t, struct dns_wire_tsig *,
	    int *foundp);
/* Wire form of a text name ("ddns-key", trailing dot optional),
 * lowercased. 0 or DG_ERR_INVAL. */
int	 dns_wire_from_text(const char *, uint8_t out[256], size_t *lenp);

#endif
