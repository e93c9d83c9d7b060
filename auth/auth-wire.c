/* auth-wire.c: SSH wire-format reading (RFC 4251 strings and integers),
 * strict base64, and SHA256 key fingerprints; pure, never logs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "auth/auth-wire.h"
#include "common/err.h"
#include "common/xmalloc.h"

void
auth_rd_init(struct auth_rd *rd, const void *p, size_t len)
{
	rd->p = p;
	rd->len = len;
}

int
auth_rd_u8(struct auth_rd *rd, uint8_t *vp)
{
	if (rd->len < 1)
		return DG_ERR_PARSE;
	*vp = rd->p[0];
	rd->p++;
	rd->len--;
	return 0;
}

int
auth_rd_u32(struct auth_rd *rd, uint32_t *vp)
{
	if (rd->len < 4)
		return DG_ERR_PARSE;
	*vp = (uint32_t)rd->p[0] << 24 | (uint32_t)rd->p[1] << 16 |
	    (uint32_t)rd->p[2] << 8 | rd->p[3];
	rd->p += 4;
	rd->len -= 4;
	return 0;
}

int
auth_rd_u64(struct auth_rd *rd, uint64_t *vp)
{
	uint32_t hi, lo;

	if (rd->len < 8)
		return DG_ERR_PARSE;
	auth_rd_u32(rd, &hi);
	auth_rd_u32(rd, &lo);
	*vp = (uint64_t)hi << 32 | lo;
	return 0;
}

int
auth_rd_string(struct auth_rd *rd, const unsigned char **pp, size_t *lenp)
{
	uint32_t n;

	if (rd->len < 4)
		return DG_ERR_PARSE;
	n = (uint32_t)rd->p[0] << 24 | (uint32_t)rd->p[1] << 16 |
	    (uint32_t)rd->p[2] << 8 | rd->p[3];
	if (n > rd->len - 4)
		return DG_ERR_PARSE;
	*pp = rd->p + 4;
	*lenp = n;
	rd->p += 4 + (size_t)n;
	rd->len -= 4 + (size_t)n;
	return 0;
}

int
auth_rd_sub(struct auth_rd *rd, struct auth_rd *sub)
{
	const unsigned char *p;
	size_t n;
	int r;

	if ((r = auth_rd_string(rd, &p, &n)) != 0)
		return r;
	auth_rd_init(sub, p, n);
	return 0;
}

int
auth_rd_cstring(struct auth_rd *rd, char **sp, size_t max)
{
	struct auth_rd save = *rd;
	const unsigned char *p;
	size_t n;
	int r;

	if ((r = auth_rd_string(rd, &p, &n)) != 0)
		return r;
	if (n > max) {
		*rd = save;
		return DG_ERR_TOOBIG;
	}
	if (memchr(p, '\0', n) != NULL) {
		*rd = save;
		return DG_ERR_PARSE;
	}
	*sp = xstrndup((const char *)p, n);
	return 0;
}

int
auth_rd_string_eq(struct auth_rd *rd, const char *s)
{
	const unsigned char *p;
	size_t n;

	if (auth_rd_string(rd, &p, &n) != 0)
		return DG_ERR_PARSE;
	return n == strlen(s) && memcmp(p, s, n) == 0;
}

/* Base64. */

static const char auth_b64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
auth_b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
auth_b64_decode(const char *s, size_t len, unsigned char **outp,
    size_t *outlenp)
{
	unsigned char *out;
	size_t i, o = 0, pad = 0;
	int v[4], k;

	if (len == 0 || len % 4 != 0)
		return DG_ERR_PARSE;
	if (s[len - 1] == '=')
		pad++;
	if (s[len - 2] == '=')
		pad++;
	out = xmalloc(len / 4 * 3);
	for (i = 0; i < len; i += 4) {
		for (k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == len &&
			    k >= 4 - (int)pad) {
				v[k] = 0;
				continue;
			}
			if ((v[k] = auth_b64_val((unsigned char)s[i + k])) < 0)
				goto bad;
		}
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (i + 4 < len || pad < 2)
			out[o++] = (unsigned char)((v[1] & 0xf) << 4 | v[2] >> 2);
		if (i + 4 < len || pad < 1)
			out[o++] = (unsigned char)((v[2] & 0x3) << 6 | v[3]);
	}
	/* Non-canonical trailing bits are refused. */
	if ((pad == 2 && (v[1] & 0xf) != 0) || (pad == 1 && (v[2] & 0x3) != 0))
		goto bad;
	*outp = out;
	*outlenp = o;
	return 0;
bad:
	free(out);
	return DG_ERR_PARSE;
}

char *
auth_b64_encode(const unsigned char *p, size_t len, int pad)
{
	char *out = xmalloc((len + 2) / 3 * 4 + 1);
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = auth_b64_chars[v >> 18 & 0x3f];
		out[o++] = auth_b64_chars[v >> 12 & 0x3f];
		out[o++] = auth_b64_chars[v >> 6 & 0x3f];
		out[o++] = auth_b64_chars[v & 0x3f];
	}
	if (len - i == 1) {
		v = (uint32_t)p[i] << 16;
		out[o++] = auth_b64_chars[v >> 18 & 0x3f];
		out[o++] = auth_b64_chars[v >> 12 & 0x3f];
		if (pad) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (len - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		out[o++] = auth_b64_chars[v >> 18 & 0x3f];
		out[o++] = auth_b64_chars[v >> 12 & 0x3f];
		out[o++] = auth_b64_chars[v >> 6 & 0x3f];
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

void
auth_fingerprint(const unsigned char *blob, size_t len, char *buf,
    size_t buflen)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char *b64;

	SHA256(blob, len, md);
	b64 = auth_b64_encode(md, sizeof(md), 0);
	snprintf(buf, buflen, "SHA256:%s", b64);
	free(b64);
}

int
auth_blob_eq(const unsigned char *a, size_t alen, const unsigned char *b,
    size_t blen)
{
	if (alen != blen)
		return 0;
	return alen == 0 || CRYPTO_memcmp(a, b, alen) == 0;
}

int
auth_blob_type(const unsigned char *blob, size_t len, char *buf,
    size_t buflen)
{
	struct auth_rd rd;
	const unsigned char *p;
	size_t n;

	auth_rd_init(&rd, blob, len);
	if (auth_rd_string(&rd, &p, &n) != 0 || n == 0 || n >= buflen ||
	    memchr(p, '\0', n) != NULL)
		return DG_ERR_PARSE;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return 0;
}
