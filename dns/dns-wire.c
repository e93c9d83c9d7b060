/* dns-wire.c: a bounds-checked walker over DNS messages in wire form. */
#include <ctype.h>
#include <string.h>

#include "common/err.h"
#include "dns/dns-wire.h"

static uint16_t
dns_wire_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int
dns_wire_header(const uint8_t *m, size_t len, struct dns_wire_hdr *h)
{
	if (len < DNS_WIRE_HDRLEN)
		return DG_ERR_PROTO;
	h->id = dns_wire_u16(m);
	h->qr = (m[2] & 0x80) != 0;
	h->opcode = (m[2] >> 3) & 0xf;
	h->tc = (m[2] & 0x02) != 0;
	h->rcode = m[3] & 0xf;
	h->qd = dns_wire_u16(m + 4);
	h->an = dns_wire_u16(m + 6);
	h->ns = dns_wire_u16(m + 8);
	h->ar = dns_wire_u16(m + 10);
	return 0;
}

int
dns_wire_name(const uint8_t *m, size_t len, size_t *offp, uint8_t *out,
    size_t *outlenp)
{
	size_t off = *offp, end = 0, olen = 0, lim = off;
	int jumped = 0, hops = 0;
	uint8_t l, i;

	for (;;) {
		if (off >= len)
			return DG_ERR_PROTO;
		l = m[off];
		if ((l & 0xc0) == 0xc0) {
			if (off + 1 >= len || ++hops > 64)
				return DG_ERR_PROTO;
			if (!jumped)
				end = off + 2;
			jumped = 1;
			off = (size_t)(l & 0x3f) << 8 | m[off + 1];
			/* Only backwards, so every hop makes progress. */
			if (off >= lim)
				return DG_ERR_PROTO;
			lim = off;
			continue;
		}
		if ((l & 0xc0) != 0)
			return DG_ERR_PROTO;	/* extended label types */
		if (off + 1 + l > len || olen + 1 + l > 255)
			return DG_ERR_PROTO;
		if (out != NULL) {
			out[olen] = l;
			for (i = 0; i < l; i++)
				out[olen + 1 + i] =
				    (uint8_t)tolower(m[off + 1 + i]);
		}
		olen += 1 + (size_t)l;
		off += 1 + (size_t)l;
		if (l == 0)
			break;
	}
	*offp = jumped ? end : off;
	if (outlenp != NULL)
		*outlenp = olen;
	return 0;
}

/* Skip one RR at *offp; report its type, class and rdata span. */
static int
dns_wire_rr(const uint8_t *m, size_t len, size_t *offp, uint16_t *typep,
    uint16_t *classp, size_t *rdoffp, uint16_t *rdlenp)
{
	size_t off = *offp;
	uint16_t rdlen;
	int r;

	if ((r = dns_wire_name(m, len, &off, NULL, NULL)) != 0)
		return r;
	if (off + 10 > len)
		return DG_ERR_PROTO;
	*typep = dns_wire_u16(m + off);
	*classp = dns_wire_u16(m + off + 2);
	rdlen = dns_wire_u16(m + off + 8);
	off += 10;
	if (off + rdlen > len)
		return DG_ERR_PROTO;
	*rdoffp = off;
	*rdlenp = rdlen;
	*offp = off + rdlen;
	return 0;
}

static int
dns_wire_tsig_rdata(const uint8_t *m, size_t len, size_t off, size_t end,
    struct dns_wire_tsig *t)
{
	const uint8_t *p;
	int r;

	/* The algorithm name is not compressed, but parse it generally. */
	if ((r = dns_wire_name(m, end, &off, t->alg, &t->alglen)) != 0)
		return r;
	(void)len;
	if (off + 10 > end)
		return DG_ERR_PROTO;
	p = m + off;
	t->time_signed = (uint64_t)dns_wire_u16(p) << 32 |
	    (uint64_t)dns_wire_u16(p + 2) << 16 | dns_wire_u16(p + 4);
	t->fudge = dns_wire_u16(p + 6);
	t->maclen = dns_wire_u16(p + 8);
	off += 10;
	if (off + t->maclen + 6 > end)
		return DG_ERR_PROTO;
	t->mac = m + off;
	off += t->maclen;
	t->orig_id = dns_wire_u16(m + off);
	t->error = dns_wire_u16(m + off + 2);
	t->otherlen = dns_wire_u16(m + off + 4);
	off += 6;
	if (off + t->otherlen != end)
		return DG_ERR_PROTO;
	t->other = m + off;
	return 0;
}

int
dns_wire_tsig(const uint8_t *m, size_t len, struct dns_wire_tsig *t,
    int *foundp)
{
	struct dns_wire_hdr h;
	size_t off = DNS_WIRE_HDRLEN, rroff, rdoff, total, i;
	uint16_t type, class, rdlen;
	int r;

	*foundp = 0;
	if ((r = dns_wire_header(m, len, &h)) != 0)
		return r;
	for (i = 0; i < h.qd; i++) {
		if ((r = dns_wire_name(m, len, &off, NULL, NULL)) != 0)
			return r;
		if (off + 4 > len)
			return DG_ERR_PROTO;
		off += 4;
	}
	total = (size_t)h.an + h.ns + h.ar;
	for (i = 0; i < total; i++) {
		rroff = off;
		if ((r = dns_wire_rr(m, len, &off, &type, &class, &rdoff,
		    &rdlen)) != 0)
			return r;
		if (type != DNS_TYPE_TSIG)
			continue;
		if (i != total - 1 || h.ar == 0 || class != DNS_CLASS_ANY)
			return DG_ERR_PROTO;
		memset(t, 0, sizeof(*t));
		t->rr_off = rroff;
		if ((r = dns_wire_name(m, len, &rroff, t->key,
		    &t->keylen)) != 0 ||
		    (r = dns_wire_tsig_rdata(m, len, rdoff, rdoff + rdlen,
		    t)) != 0)
			return r;
		*foundp = 1;
	}
	if (off != len)
		return DG_ERR_PROTO;
	return 0;
}

int
dns_wire_from_text(const char *s, uint8_t out[256], size_t *lenp)
{
	size_t n = 0, lab;
	const char *dot;

	if (*s == '\0')
		return DG_ERR_INVAL;
	if (strcmp(s, ".") == 0) {
		out[0] = 0;
		*lenp = 1;
		return 0;
	}
	while (*s != '\0') {
		dot = strchr(s, '.');
		lab = dot != NULL ? (size_t)(dot - s) : strlen(s);
		if (lab == 0 || lab > 63 || n + 1 + lab + 1 > 255)
			return DG_ERR_INVAL;
		out[n++] = (uint8_t)lab;
		while (lab-- > 0)
			out[n++] = (uint8_t)tolower((unsigned char)*s++);
		if (*s == '.')
			s++;
	}
	out[n++] = 0;
	*lenp = n;
	return 0;
}
