/* dns-name.c: domain names as text: canonical form, zone membership,
 * labels that may name environments and profiles. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "dns/dns-name.h"

int
dns_name_canon(const char *in, char *out, size_t outlen)
{
	char buf[DNS_NAME_MAX];
	size_t len, i, lab = 0;
	unsigned char c;

	if (in == NULL || (len = strlen(in)) == 0)
		return DG_ERR_INVAL;
	if (in[len - 1] == '.')
		len--;
	if (len == 0)
		return DG_ERR_INVAL;
	if (len > 253)
		return DG_ERR_TOOBIG;
	for (i = 0; i < len; i++) {
		c = (unsigned char)in[i];
		if (c == '.') {
			if (lab == 0)
				return DG_ERR_INVAL;
			lab = 0;
			buf[i] = '.';
			continue;
		}
		if (!isalnum(c) && c != '-' && c != '_')
			return DG_ERR_INVAL;
		if (++lab > 63)
			return DG_ERR_INVAL;
		buf[i] = (char)tolower(c);
	}
	buf[len] = '\0';
	if (len + 1 > outlen)
		return DG_ERR_TOOBIG;
	memcpy(out, buf, len + 1);
	return 0;
}

int
dns_name_rel(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);

	if (n == z)
		return strcasecmp(name, zone) == 0 ? 0 : -1;
	if (n < z + 2 || name[n - z - 1] != '.' ||
	    strcasecmp(name + n - z, zone) != 0)
		return -1;
	return (int)(n - z - 1);
}

int
dns_label_okn(const char *label, size_t len)
{
	size_t i;
	unsigned char c;

	if (len == 0 || len > 63 || label[0] == '-' || label[len - 1] == '-')
		return 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)label[i];
		if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') &&
		    c != '-')
			return 0;
	}
	return 1;
}

int
dns_label_ok(const char *label)
{
	return label != NULL && dns_label_okn(label, strlen(label));
}

int
dns_name_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

uint64_t
dns_name_hash(const char *name)
{
	const unsigned char *s;
	uint64_t h = 14695981039346656037ULL;

	for (s = (const unsigned char *)name; *s != '\0'; s++) {
		h ^= *s;
		h *= 1099511628211ULL;
	}
	return h;
}
