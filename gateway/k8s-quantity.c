/* k8s-quantity.c: Kubernetes resource quantities and Go durations
 * converted to integers (pure). */
#include <stdint.h>
#include <string.h>

#include "common/err.h"
#include "gateway/k8s-quantity.h"

typedef unsigned __int128 u128;

#define QTY_SIG_DIGITS	36	/* mantissa digits kept exactly */

static const struct {
	const char	*name;
	int		 exp10;		/* decimal exponent */
	int		 exp2;		/* binary exponent */
} qty_suffixes[] = {
	{ "n", -9, 0 }, { "u", -6, 0 }, { "m", -3, 0 }, { "", 0, 0 },
	{ "k", 3, 0 }, { "M", 6, 0 }, { "G", 9, 0 }, { "T", 12, 0 },
	{ "P", 15, 0 }, { "E", 18, 0 },
	{ "Ki", 0, 10 }, { "Mi", 0, 20 }, { "Gi", 0, 30 }, { "Ti", 0, 40 },
	{ "Pi", 0, 50 }, { "Ei", 0, 60 },
};

struct qty_num {
	u128	 mant;		/* significant digits as an integer */
	int	 exp10;		/* value = mant * 10^exp10 (+ remainder) */
	int	 rem;		/* digits were dropped that were not 0 */
	int	 neg;
};

/* Parse [+|-] number into n; returns the rest of the string or NULL. */
static const char *
qty_number(const char *s, struct qty_num *n)
{
	int digits = 0, sig = 0, dot = 0;

	memset(n, 0, sizeof(*n));
	if (*s == '+' || *s == '-')
		n->neg = *s++ == '-';
	for (;; s++) {
		if (*s == '.' && !dot) {
			dot = 1;
			continue;
		}
		if (*s < '0' || *s > '9')
			break;
		digits++;
		if (sig == 0 && *s == '0') {
			if (dot)
				n->exp10--;
			continue;
		}
		if (sig < QTY_SIG_DIGITS) {
			n->mant = n->mant * 10 + (u128)(*s - '0');
			sig++;
			if (dot)
				n->exp10--;
		} else {
			if (*s != '0')
				n->rem = 1;
			if (!dot)
				n->exp10++;
		}
	}
	return digits > 0 ? s : NULL;
}

static int
qty_pow10(int e, u128 *out)
{
	u128 v = 1;

	if (e < 0 || e > 38)
		return DG_ERR_RANGE;
	while (e-- > 0)
		v *= 10;
	*out = v;
	return 0;
}

static int
qty_suffix(const char *s, int *exp10, int *exp2)
{
	size_t i;
	int e = 0, neg = 0, nd = 0;

	for (i = 0; i < sizeof(qty_suffixes) / sizeof(qty_suffixes[0]); i++)
		if (strcmp(s, qty_suffixes[i].name) == 0) {
			*exp10 = qty_suffixes[i].exp10;
			*exp2 = qty_suffixes[i].exp2;
			return 0;
		}
	if (*s != 'e' && *s != 'E')
		return DG_ERR_PARSE;
	s++;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	for (; *s >= '0' && *s <= '9'; s++, nd++)
		if (e < 10000)
			e = e * 10 + (*s - '0');
	if (nd == 0 || *s != '\0')
		return DG_ERR_PARSE;
	*exp10 = neg ? -e : e;
	*exp2 = 0;
	return 0;
}

int
k8s_quantity_parse(const char *s, int scale, int64_t *out)
{
	struct qty_num n;
	const char *rest;
	int exp10, exp2, e, r;
	u128 v, p, q;

	if (s == NULL || strnlen(s, K8S_QTY_MAX_LEN + 1) > K8S_QTY_MAX_LEN)
		return DG_ERR_PARSE;
	if ((rest = qty_number(s, &n)) == NULL)
		return DG_ERR_PARSE;
	if ((r = qty_suffix(rest, &exp10, &exp2)) != 0)
		return r;
	if (n.mant == 0 && !n.rem) {
		*out = 0;
		return 0;
	}
	v = n.mant;
	if (exp2 > 0) {
		if ((v >> (126 - exp2)) != 0)
			return DG_ERR_RANGE;
		v <<= exp2;
	}
	e = n.exp10 + exp10 - scale;
	if (e >= 0) {
		if (qty_pow10(e, &p) != 0)
			return DG_ERR_RANGE;
		if (v != 0 && p > ((u128)INT64_MAX + 1) / v + 1)
			return DG_ERR_RANGE;
		v *= p;
		if (n.rem)
			v += 1;
	} else {
		if (qty_pow10(-e, &p) != 0)
			q = 1;	/* far below the unit: rounds up to 1 */
		else {
			q = v / p;
			if (v % p != 0 || n.rem)
				q++;
		}
		v = q;
	}
	if (v > (u128)INT64_MAX)
		return DG_ERR_RANGE;
	*out = n.neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

int
k8s_quantity_nanocores(const char *s, int64_t *out)
{
	return k8s_quantity_parse(s, -9, out);
}

int
k8s_quantity_bytes(const char *s, int64_t *out)
{
	return k8s_quantity_parse(s, 0, out);
}

int
k8s_duration_ms(const char *s, int64_t *out)
{
	static const struct {
		const char	*unit;
		int64_t		 ns;
	} units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 },
		{ "ms", 1000000 }, { "s", 1000000000LL },
		{ "m", 60000000000LL }, { "h", 3600000000000LL },
	};
	u128 total = 0, num, frac, fscale, part;
	size_t i, ul, best;
	int neg = 0, any = 0, digits;

	if (s == NULL || strnlen(s, K8S_QTY_MAX_LEN + 1) > K8S_QTY_MAX_LEN)
		return DG_ERR_PARSE;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	while (*s != '\0') {
		num = 0;
		frac = 0;
		fscale = 1;
		digits = 0;
		for (; *s >= '0' && *s <= '9'; s++, digits++)
			if (num < ((u128)1 << 80))
				num = num * 10 + (u128)(*s - '0');
			else
				return DG_ERR_RANGE;
		if (*s == '.') {
			for (s++; *s >= '0' && *s <= '9'; s++, digits++)
				if (fscale < ((u128)1 << 60)) {
					frac = frac * 10 + (u128)(*s - '0');
					fscale *= 10;
				}
		}
		if (digits == 0)
			return DG_ERR_PARSE;
		best = SIZE_MAX;
		ul = 0;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t l = strlen(units[i].unit);

			if (strncmp(s, units[i].unit, l) == 0 && l > ul) {
				best = i;
				ul = l;
			}
		}
		if (best == SIZE_MAX)
			return DG_ERR_PARSE;
		s += ul;
		part = num * (u128)units[best].ns +
		    (frac * (u128)units[best].ns + fscale - 1) / fscale;
		total += part;
		if (total > (u128)INT64_MAX * 1000000)
			return DG_ERR_RANGE;
		any = 1;
	}
	if (!any)
		return DG_ERR_PARSE;
	total = (total + 999999) / 1000000;
	if (total > (u128)INT64_MAX)
		return DG_ERR_RANGE;
	*out = neg ? -(int64_t)total : (int64_t)total;
	return 0;
}
