/* dns-quantity.c: Kubernetes resource quantities: sign, digits with an
 * optional fraction, then a binary (Ki..Ei), decimal (n..E) suffix or an
 * exponent; exact integer arithmetic with overflow checks. */
#include <ctype.h>
#include <string.h>

#include "common/err.h"
#include "dns/dns-quantity.h"

int
dns_quantity_parse(const char *s, int64_t *millip)
{
	static const struct {
		const char	*suffix;
		int		 pow2;	/* multiply by 2^pow2 */
		int		 pow10;	/* and 10^pow10 */
	} sfx[] = {
		{ "Ki", 10, 0 }, { "Mi", 20, 0 }, { "Gi", 30, 0 },
		{ "Ti", 40, 0 }, { "Pi", 50, 0 }, { "Ei", 60, 0 },
		{ "n", 0, -9 }, { "u", 0, -6 }, { "m", 0, -3 }, { "", 0, 0 },
		{ "k", 0, 3 }, { "M", 0, 6 }, { "G", 0, 9 }, { "T", 0, 12 },
		{ "P", 0, 15 }, { "E", 0, 18 },
	};
	const char *p = s, *rest;
	uint64_t digits = 0, v;
	int frac = 0, seen_dot = 0, ndig = 0, pow2 = 0, pow10, e, esign;
	size_t i;

	if (*p == '+')
		p++;
	else if (*p == '-')
		return DG_ERR_RANGE;
	for (; *p != '\0'; p++) {
		if (*p == '.' && !seen_dot) {
			seen_dot = 1;
			continue;
		}
		if (*p < '0' || *p > '9')
			break;
		if (digits > (UINT64_MAX - 9) / 10)
			return DG_ERR_RANGE;
		digits = digits * 10 + (uint64_t)(*p - '0');
		ndig++;
		if (seen_dot)
			frac++;
	}
	if (ndig == 0)
		return DG_ERR_PARSE;
	rest = p;
	pow10 = 3 - frac;	/* thousandths */
	if ((*rest == 'e' || *rest == 'E') && rest[1] != '\0' &&
	    (isdigit((unsigned char)rest[1]) || rest[1] == '-' ||
	    rest[1] == '+')) {
		p = rest + 1;
		esign = 1;
		if (*p == '-' || *p == '+')
			esign = *p++ == '-' ? -1 : 1;
		for (e = 0; *p >= '0' && *p <= '9'; p++) {
			e = e * 10 + (*p - '0');
			if (e > 40)
				return DG_ERR_RANGE;
		}
		if (*p != '\0' || p[-1] < '0' || p[-1] > '9')
			return DG_ERR_PARSE;
		pow10 += esign * e;
	} else {
		for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++)
			if (strcmp(rest, sfx[i].suffix) == 0)
				break;
		if (i == sizeof(sfx) / sizeof(sfx[0]))
			return DG_ERR_PARSE;
		pow2 = sfx[i].pow2;
		pow10 += sfx[i].pow10;
	}
	v = digits;
	for (; pow2 > 0; pow2--) {
		if (v > INT64_MAX / 2)
			return DG_ERR_RANGE;
		v *= 2;
	}
	for (; pow10 > 0; pow10--) {
		if (v > INT64_MAX / 10)
			return DG_ERR_RANGE;
		v *= 10;
	}
	for (; pow10 < 0; pow10++) {
		if (v % 10 != 0)
			return DG_ERR_RANGE;	/* finer than 1m */
		v /= 10;
	}
	if (v > INT64_MAX)
		return DG_ERR_RANGE;
	*millip = (int64_t)v;
	return 0;
}

