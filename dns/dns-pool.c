/* dns-pool.c: EnvironmentAddressPool: parsing, candidate order per
 * environment, address and reservation-label forms. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xmalloc.h"
#include "dns/dns-name.h"
#include "dns/dns-pool.h"

static int
dns_pool_err(char *err, size_t errlen, const char *text, const char *why)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "bad address pool \"%s\": %s", text, why);
	return DG_ERR_INVAL;
}

static uint32_t
dns_pool_v4(const uint8_t *a)
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
	    (uint32_t)a[2] << 8 | a[3];
}

static void
dns_pool_v4_put(uint32_t v, uint8_t *a)
{
	a[0] = v >> 24;
	a[1] = v >> 16;
	a[2] = v >> 8;
	a[3] = v;
}

static int
dns_pool_prefix(const char *s, int max, int *lenp)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 0 || v > max)
		return -1;
	*lenp = (int)v;
	return 0;
}

static int
dns_pool_parse_v4(struct dns_pool *p, char *s, char *err, size_t errlen,
    const char *text)
{
	char *dash, *slash;
	uint8_t a[4], b[4];
	uint32_t lo, hi, mask;
	int plen;

	if ((dash = strchr(s, '-')) != NULL) {
		*dash++ = '\0';
		if (inet_pton(AF_INET, s, a) != 1 ||
		    inet_pton(AF_INET, dash, b) != 1)
			return dns_pool_err(err, errlen, text,
			    "expected FIRST-LAST IPv4 addresses");
		lo = dns_pool_v4(a);
		hi = dns_pool_v4(b);
		if (lo > hi)
			return dns_pool_err(err, errlen, text,
			    "the first address is above the last");
	} else {
		if ((slash = strchr(s, '/')) == NULL)
			return dns_pool_err(err, errlen, text,
			    "expected a range (a-b) or a prefix (a/len)");
		*slash++ = '\0';
		if (inet_pton(AF_INET, s, a) != 1 ||
		    dns_pool_prefix(slash, 32, &plen) != 0)
			return dns_pool_err(err, errlen, text,
			    "expected ADDRESS/0-32");
		mask = plen == 0 ? 0 : 0xffffffffU << (32 - plen);
		lo = dns_pool_v4(a);
		if ((lo & ~mask) != 0)
			return dns_pool_err(err, errlen, text,
			    "host bits set after the prefix length");
		hi = lo | ~mask;
		if (plen <= 30) {	/* network and broadcast */
			lo++;
			hi--;
		}
	}
	p->family = AF_INET;
	dns_pool_v4_put(lo, p->first);
	p->size = (uint64_t)hi - lo + 1;
	return 0;
}

static int
dns_pool_parse_v6(struct dns_pool *p, char *s, char *err, size_t errlen,
    const char *text)
{
	char *slash;
	uint8_t a[16];
	int plen, i;

	if ((slash = strchr(s, '/')) == NULL ||
	    (*slash++ = '\0', inet_pton(AF_INET6, s, a) != 1) ||
	    dns_pool_prefix(slash, 128, &plen) != 0)
		return dns_pool_err(err, errlen, text,
		    "expected an IPv6 PREFIX/LEN");
	if (plen < 64 || plen > 127)
		return dns_pool_err(err, errlen, text,
		    "IPv6 prefix length must be 64-127");
	for (i = plen; i < 128; i++)
		if (a[i / 8] & (0x80 >> (i % 8)))
			return dns_pool_err(err, errlen, text,
			    "host bits set after the prefix length");
	p->family = AF_INET6;
	memcpy(p->first, a, 16);
	p->first[15] |= 1;	/* skip the all-zero (subnet-router) host */
	/* 2^(128-plen) - 1 hosts, saturated to 64 bits. */
	p->size = plen == 64 ? UINT64_MAX : ((uint64_t)1 << (128 - plen)) - 1;
	return 0;
}

int
dns_pool_parse(const char *text, struct dns_pool **pp, char *err,
    size_t errlen)
{
	struct dns_pool *p;
	char *s;
	int r;

	if (text == NULL || strlen(text) > 100)
		return dns_pool_err(err, errlen, text ? "..." : "",
		    "too long");
	p = xcalloc(1, sizeof(*p));
	s = xstrdup(text);
	if (strchr(s, ':') != NULL)
		r = dns_pool_parse_v6(p, s, err, errlen, text);
	else
		r = dns_pool_parse_v4(p, s, err, errlen, text);
	free(s);
	if (r != 0) {
		free(p);
		return r;
	}
	p->text = xstrdup(text);
	*pp = p;
	return 0;
}

void
dns_pool_free(struct dns_pool *p)
{
	if (p == NULL)
		return;
	free(p->text);
	free(p);
}

struct dns_pool *
dns_pool_dup(const struct dns_pool *p)
{
	struct dns_pool *d;

	if (p == NULL)
		return NULL;
	d = xmalloc(sizeof(*d));
	*d = *p;
	d->text = xstrdup(p->text);
	return d;
}

void
dns_pool_at(const struct dns_pool *p, uint64_t i, uint8_t out[16])
{
	unsigned carry;
	int k;

	memset(out, 0, 16);
	if (p->family == AF_INET) {
		dns_pool_v4_put(dns_pool_v4(p->first) + (uint32_t)i, out);
		return;
	}
	memcpy(out, p->first, 16);
	carry = 0;
	for (k = 15; k >= 0; k--) {
		carry += out[k] + (unsigned)(k >= 8 ? (i >> ((15 - k) * 8)) &
		    0xff : 0);
		out[k] = carry & 0xff;
		carry >>= 8;
	}
}

/* The offset of address a from p->first, or -1. */
static int64_t
dns_pool_offset(const struct dns_pool *p, const uint8_t *a)
{
	uint64_t hi_a = 0, hi_f = 0, lo_a = 0, lo_f = 0, d;
	int k;

	if (p->family == AF_INET) {
		if (dns_pool_v4(a) < dns_pool_v4(p->first))
			return -1;
		d = dns_pool_v4(a) - dns_pool_v4(p->first);
		return d < p->size ? (int64_t)d : -1;
	}
	for (k = 0; k < 8; k++) {
		hi_a = hi_a << 8 | a[k];
		hi_f = hi_f << 8 | p->first[k];
		lo_a = lo_a << 8 | a[k + 8];
		lo_f = lo_f << 8 | p->first[k + 8];
	}
	/* The pool lies within one /64 (prefix length >= 64). */
	if (hi_a != hi_f || lo_a < lo_f)
		return -1;
	d = lo_a - lo_f;
	if (d >= p->size || d > INT64_MAX)
		return -1;
	return (int64_t)d;
}

int64_t
dns_pool_index(const struct dns_pool *p, const char *addr)
{
	uint8_t a[16];

	if (inet_pton(p->family, addr, a) != 1)
		return -1;
	return dns_pool_offset(p, a);
}

uint64_t
dns_pool_candidate(const struct dns_pool *p, const char *name,
    uint64_t attempt)
{
	uint64_t h = dns_name_hash(name) % p->size;

	attempt %= p->size;
	/* h + attempt modulo size, without overflowing 64 bits. */
	if (attempt >= p->size - h)
		return attempt - (p->size - h);
	return h + attempt;
}

void
dns_pool_text(const struct dns_pool *p, uint64_t i, char *buf, size_t len)
{
	uint8_t a[16];

	dns_pool_at(p, i, a);
	if (inet_ntop(p->family, a, buf, (socklen_t)len) == NULL && len > 0)
		buf[0] = '\0';
}

void
dns_pool_label(const struct dns_pool *p, uint64_t i, char *buf, size_t len)
{
	uint8_t a[16];
	int k;

	dns_pool_at(p, i, a);
	if (p->family == AF_INET) {
		snprintf(buf, len, "%u-%u-%u-%u", a[0], a[1], a[2], a[3]);
		return;
	}
	if (len < 33) {
		if (len > 0)
			buf[0] = '\0';
		return;
	}
	for (k = 0; k < 16; k++)
		snprintf(buf + 2 * k, 3, "%02x", a[k]);
}

int64_t
dns_pool_label_index(const struct dns_pool *p, const char *label)
{
	uint8_t a[16];
	unsigned v[4];
	char tail, canon[40];
	int k;

	memset(a, 0, sizeof(a));
	if (p->family == AF_INET) {
		if (sscanf(label, "%3u-%3u-%3u-%3u%c", &v[0], &v[1], &v[2],
		    &v[3], &tail) != 4)
			return -1;
		for (k = 0; k < 4; k++) {
			if (v[k] > 255)
				return -1;
			a[k] = (uint8_t)v[k];
		}
		snprintf(canon, sizeof(canon), "%u-%u-%u-%u", v[0], v[1],
		    v[2], v[3]);
	} else {
		if (strlen(label) != 32)
			return -1;
		for (k = 0; k < 16; k++) {
			if (sscanf(label + 2 * k, "%2x", &v[0]) != 1)
				return -1;
			a[k] = (uint8_t)v[0];
		}
		for (k = 0; k < 16; k++)
			snprintf(canon + 2 * k, 3, "%02x", a[k]);
	}
	/* Only the canonical spelling names a reservation. */
	if (strcmp(canon, label) != 0)
		return -1;
	return dns_pool_offset(p, a);
}
