/* dns-tsig.c: TSIG keys from BIND key files, request signing with ldns
 * (status always checked), and reply/transfer verification (RFC 8945)
 * computed here, since ldns verifies neither transfers nor reply times. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/err.h"
#include "common/xmalloc.h"
#include "dns/dns-tsig.h"
#include "dns/dns-wire.h"

#define DNS_TSIG_MAX_UNSIGNED 99		/* RFC 8945 5.3.1 */
#define DNS_TSIG_MAX_UNSIGNED_BYTES (16 * 1024 * 1024)

const char *
dns_tsig_alg_name(enum dns_tsig_alg alg)
{
	return alg == DNS_TSIG_HMAC_SHA512 ? "hmac-sha512" : "hmac-sha256";
}

static const EVP_MD *
dns_tsig_md(enum dns_tsig_alg alg)
{
	return alg == DNS_TSIG_HMAC_SHA512 ? EVP_sha512() : EVP_sha256();
}

static size_t
dns_tsig_maclen(enum dns_tsig_alg alg)
{
	return alg == DNS_TSIG_HMAC_SHA512 ? 64 : 32;
}

int
dns_tsig_b64_decode(const char *s, uint8_t *out, size_t outmax,
    size_t *lenp)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t len = strlen(s), i, n = 0;
	uint32_t acc;
	int k, pad, v;
	const char *p;

	if (len == 0 || len % 4 != 0)
		return DG_ERR_INVAL;
	for (i = 0; i < len; i += 4) {
		acc = 0;
		pad = 0;
		for (k = 0; k < 4; k++) {
			if (s[i + k] == '=') {
				/* Padding only at the very end. */
				if (i + 4 != len || k < 2)
					return DG_ERR_INVAL;
				pad++;
				v = 0;
			} else {
				if (pad > 0 || (p = strchr(tab, s[i + k])) ==
				    NULL || s[i + k] == '\0')
					return DG_ERR_INVAL;
				v = (int)(p - tab);
			}
			acc = acc << 6 | (uint32_t)v;
		}
		if (n + 3 - (size_t)pad > outmax)
			return DG_ERR_TOOBIG;
		out[n++] = acc >> 16;
		if (pad < 2)
			out[n++] = (acc >> 8) & 0xff;
		if (pad < 1)
			out[n++] = acc & 0xff;
	}
	*lenp = n;
	return 0;
}

/* Key files. */

struct dns_tsig_tok {
	const char	*p, *end;
	int		 line;
	char		 word[1024];
	int		 quoted;
};

/* Next token into t->word; 1 on a token, 0 at the end, <0 on error. */
static int
dns_tsig_next(struct dns_tsig_tok *t)
{
	size_t n = 0;

	for (;;) {
		while (t->p < t->end && (*t->p == ' ' || *t->p == '\t' ||
		    *t->p == '\r' || *t->p == '\n')) {
			if (*t->p == '\n')
				t->line++;
			t->p++;
		}
		if (t->p >= t->end)
			return 0;
		if (*t->p == '#' || (*t->p == '/' && t->p + 1 < t->end &&
		    t->p[1] == '/')) {
			while (t->p < t->end && *t->p != '\n')
				t->p++;
			continue;
		}
		if (*t->p == '/' && t->p + 1 < t->end && t->p[1] == '*') {
			for (t->p += 2; t->p < t->end; t->p++) {
				if (*t->p == '\n')
					t->line++;
				if (*t->p == '*' && t->p + 1 < t->end &&
				    t->p[1] == '/')
					break;
			}
			if (t->p >= t->end)
				return DG_ERR_PARSE;
			t->p += 2;
			continue;
		}
		break;
	}
	t->quoted = 0;
	if (*t->p == '{' || *t->p == '}' || *t->p == ';') {
		t->word[0] = *t->p++;
		t->word[1] = '\0';
		return 1;
	}
	if (*t->p == '"') {
		t->quoted = 1;
		for (t->p++; t->p < t->end && *t->p != '"'; t->p++) {
			if (*t->p == '\n' || *t->p == '\\' || *t->p == '\0' ||
			    n + 1 >= sizeof(t->word))
				return DG_ERR_PARSE;
			t->word[n++] = *t->p;
		}
		if (t->p >= t->end)
			return DG_ERR_PARSE;
		t->p++;
		t->word[n] = '\0';
		return 1;
	}
	while (t->p < t->end && strchr(" \t\r\n{};\"#", *t->p) == NULL) {
		if (*t->p == '\0' || n + 1 >= sizeof(t->word))
			return DG_ERR_PARSE;
		t->word[n++] = *t->p++;
	}
	t->word[n] = '\0';
	return 1;
}

static int dns_tsig_perr(char *, size_t, int, const char *, ...)
    __attribute__((format(printf, 4, 5)));

static int
dns_tsig_perr(char *err, size_t errlen, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "line %d: %s", line, msg);
	return DG_ERR_PARSE;
}

static int
dns_tsig_expect(struct dns_tsig_tok *t, const char *what, char *err,
    size_t errlen)
{
	int r;

	if ((r = dns_tsig_next(t)) <= 0 || t->quoted ||
	    strcmp(t->word, what) != 0)
		return dns_tsig_perr(err, errlen, t->line, "expected \"%s\"",
		    what);
	return 0;
}

static int
dns_tsig_alg_parse(const char *s, enum dns_tsig_alg *algp, char *why,
    size_t whylen)
{
	char a[64];
	size_t n;

	snprintf(a, sizeof(a), "%s", s);
	n = strlen(a);
	if (n > 0 && a[n - 1] == '.')
		a[n - 1] = '\0';
	if (strcasecmp(a, "hmac-sha256") == 0) {
		*algp = DNS_TSIG_HMAC_SHA256;
		return 0;
	}
	if (strcasecmp(a, "hmac-sha512") == 0) {
		*algp = DNS_TSIG_HMAC_SHA512;
		return 0;
	}
	if (strcasecmp(a, "hmac-sha384") == 0 ||
	    strcasecmp(a, "hmac-sha224") == 0)
		snprintf(why, whylen, "algorithm %s cannot be used: ldns "
		    "1.8 cannot sign with it (updates would go out unsigned);"
		    " use hmac-sha256 or hmac-sha512", a);
	else if (strcasecmp(a, "hmac-md5") == 0 ||
	    strcasecmp(a, "hmac-md5.sig-alg.reg.int") == 0 ||
	    strcasecmp(a, "hmac-sha1") == 0)
		snprintf(why, whylen, "algorithm %s is too weak; use "
		    "hmac-sha256 or hmac-sha512", a);
	else
		snprintf(why, whylen, "unknown algorithm \"%s\"; use "
		    "hmac-sha256 or hmac-sha512", a);
	return DG_ERR_NOTSUP;
}

void
dns_tsig_key_free(struct dns_tsig_key *k)
{
	if (k == NULL)
		return;
	free(k->name);
	freezero(k->secret, k->secretlen);
	freezero_str(k->secret_b64);
	free(k);
}

static int
dns_tsig_key_body(struct dns_tsig_tok *t, struct dns_tsig_key *k,
    char *err, size_t errlen)
{
	uint8_t buf[DNS_TSIG_MAX_SECRET];
	char why[200];
	int r, have_alg = 0;
	size_t n;

	for (;;) {
		if ((r = dns_tsig_next(t)) <= 0)
			return dns_tsig_perr(err, errlen, t->line,
			    "unterminated key statement");
		if (strcmp(t->word, "}") == 0 && !t->quoted)
			break;
		if (strcasecmp(t->word, "algorithm") == 0) {
			if (dns_tsig_next(t) <= 0 || have_alg)
				return dns_tsig_perr(err, errlen, t->line,
				    "bad or repeated algorithm");
			if (dns_tsig_alg_parse(t->word, &k->alg, why,
			    sizeof(why)) != 0)
				return dns_tsig_perr(err, errlen, t->line,
				    "%s", why);
			have_alg = 1;
		} else if (strcasecmp(t->word, "secret") == 0) {
			if (dns_tsig_next(t) <= 0 || k->secret != NULL)
				return dns_tsig_perr(err, errlen, t->line,
				    "bad or repeated secret");
			r = dns_tsig_b64_decode(t->word, buf, sizeof(buf), &n);
			if (r != 0 || n < 16) {
				explicit_bzero(buf, sizeof(buf));
				explicit_bzero(t->word, sizeof(t->word));
				return dns_tsig_perr(err, errlen, t->line, "%s",
				    r != 0 ? "the secret is not valid base64" :
				    "the secret is shorter than 16 bytes");
			}
			k->secret = xmalloc(n);
			memcpy(k->secret, buf, n);
			k->secretlen = n;
			k->secret_b64 = xstrdup(t->word);
			explicit_bzero(buf, sizeof(buf));
			explicit_bzero(t->word, sizeof(t->word));
		} else {
			return dns_tsig_perr(err, errlen, t->line,
			    "unknown key option \"%s\"", t->word);
		}
		if ((r = dns_tsig_expect(t, ";", err, errlen)) != 0)
			return r;
	}
	if (!have_alg || k->secret == NULL)
		return dns_tsig_perr(err, errlen, t->line,
		    "the key needs an algorithm and a secret");
	return dns_tsig_expect(t, ";", err, errlen);
}

int
dns_tsig_key_parse(const char *text, size_t len, struct dns_tsig_key **kp,
    char *err, size_t errlen)
{
	struct dns_tsig_tok t;
	struct dns_tsig_key *k = NULL;
	uint8_t wire[256];
	size_t wlen, n;
	int r;

	memset(&t, 0, sizeof(t));
	t.p = text;
	t.end = text + len;
	t.line = 1;
	for (;;) {
		if ((r = dns_tsig_next(&t)) < 0) {
			r = dns_tsig_perr(err, errlen, t.line,
			    "bad token");
			goto out;
		}
		if (r == 0)
			break;
		if (t.quoted || strcasecmp(t.word, "key") != 0) {
			r = dns_tsig_perr(err, errlen, t.line,
			    "expected a key statement, not \"%s\"", t.word);
			goto out;
		}
		if (k != NULL) {
			r = dns_tsig_perr(err, errlen, t.line,
			    "more than one key in the file");
			goto out;
		}
		if (dns_tsig_next(&t) <= 0 ||
		    dns_wire_from_text(t.word, wire, &wlen) != 0 ||
		    strcmp(t.word, ".") == 0) {
			r = dns_tsig_perr(err, errlen, t.line,
			    "bad key name");
			goto out;
		}
		k = xcalloc(1, sizeof(*k));
		n = strlen(t.word);
		k->name = xasprintf("%s%s", t.word,
		    t.word[n - 1] == '.' ? "" : ".");
		for (n = 0; k->name[n] != '\0'; n++)
			if (k->name[n] >= 'A' && k->name[n] <= 'Z')
				k->name[n] += 'a' - 'A';
		if ((r = dns_tsig_expect(&t, "{", err, errlen)) != 0 ||
		    (r = dns_tsig_key_body(&t, k, err, errlen)) != 0)
			goto out;
	}
	if (k == NULL) {
		r = dns_tsig_perr(err, errlen, t.line, "no key statement");
		goto out;
	}
	*kp = k;
	k = NULL;
	r = 0;
out:
	explicit_bzero(t.word, sizeof(t.word));
	dns_tsig_key_free(k);
	return r;
}

int
dns_tsig_key_load(const char *path, struct dns_tsig_key **kp, char *err,
    size_t errlen)
{
	char *buf = NULL, sub[256];
	size_t len = 0, cap = 65536;
	ssize_t n;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return DG_ERR_SYSTEM;
	}
	buf = xmalloc(cap + 1);
	while ((n = read(fd, buf + len, cap - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (n < 0 || len == cap) {
		snprintf(err, errlen, "%s: %s", path, n < 0 ?
		    strerror(errno) : "larger than 64 KiB");
		freezero(buf, cap + 1);
		return n < 0 ? DG_ERR_SYSTEM : DG_ERR_TOOBIG;
	}
	buf[len] = '\0';
	r = dns_tsig_key_parse(buf, len, kp, sub, sizeof(sub));
	if (r != 0)
		snprintf(err, errlen, "%s: %s", path, sub);
	freezero(buf, cap + 1);
	return r;
}

/* Signing and verification. */

int
dns_tsig_sign(const struct dns_tsig_key *k, ldns_pkt *pkt, int fudge,
    uint8_t **wirep, size_t *lenp, struct dns_tsig_verify *v)
{
	struct dns_wire_tsig t;
	uint8_t *wire = NULL;
	size_t len = 0;
	char alg[32];
	int found, r;

	snprintf(alg, sizeof(alg), "%s.", dns_tsig_alg_name(k->alg));
	/* ldns sends unsigned when it cannot sign: always check. */
	if (ldns_pkt_tsig_sign(pkt, k->name, k->secret_b64,
	    (uint16_t)fudge, alg, NULL) != LDNS_STATUS_OK ||
	    ldns_pkt_tsig(pkt) == NULL)
		return DG_ERR_CRYPTO;
	if (ldns_pkt2wire(&wire, pkt, &len) != LDNS_STATUS_OK)
		return DG_ERR_INTERNAL;
	if (len > 65535) {
		free(wire);
		return DG_ERR_TOOBIG;
	}
	if ((r = dns_wire_tsig(wire, len, &t, &found)) != 0 || !found ||
	    t.maclen != dns_tsig_maclen(k->alg)) {
		free(wire);
		return DG_ERR_CRYPTO;
	}
	memset(v, 0, sizeof(*v));
	v->key = k;
	v->id = ldns_pkt_id(pkt);
	memcpy(v->mac, t.mac, t.maclen);
	v->maclen = t.maclen;
	*wirep = wire;
	*lenp = len;
	return 0;
}

int
dns_tsig_verify_init(struct dns_tsig_verify *v, const struct dns_tsig_key *k,
    const uint8_t *req, size_t len)
{
	struct dns_wire_tsig t;
	uint8_t kw[256];
	size_t kwlen;
	int found, r;

	if ((r = dns_wire_tsig(req, len, &t, &found)) != 0)
		return r;
	if (!found || t.maclen != dns_tsig_maclen(k->alg) ||
	    dns_wire_from_text(k->name, kw, &kwlen) != 0 ||
	    kwlen != t.keylen || memcmp(kw, t.key, kwlen) != 0)
		return DG_ERR_AUTH;
	memset(v, 0, sizeof(*v));
	v->key = k;
	v->id = (uint16_t)(req[0] << 8 | req[1]);
	memcpy(v->mac, t.mac, t.maclen);
	v->maclen = t.maclen;
	return 0;
}

static void
dns_tsig_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* The MAC over prior MAC, unsigned messages, this message without its
 * TSIG (original id, ARCOUNT - 1) and the TSIG variables. */
static int
dns_tsig_compute(const struct dns_tsig_verify *v, const uint8_t *msg,
    const struct dns_wire_tsig *t, int timers_only, uint8_t *out,
    unsigned *outlen)
{
	uint8_t *buf, *p;
	size_t len;
	unsigned char *res;

	len = 2 + v->maclen + v->unsigned_len + t->rr_off + 256 + 10 +
	    256 + 16 + t->otherlen;
	p = buf = xmalloc(len);
	dns_tsig_put16(p, (uint16_t)v->maclen);
	memcpy(p + 2, v->mac, v->maclen);
	p += 2 + v->maclen;
	if (v->unsigned_len > 0) {
		memcpy(p, v->unsigned_buf, v->unsigned_len);
		p += v->unsigned_len;
	}
	memcpy(p, msg, t->rr_off);
	dns_tsig_put16(p, t->orig_id);
	dns_tsig_put16(p + 10, (uint16_t)(((msg[10] << 8) | msg[11]) - 1));
	p += t->rr_off;
	if (!timers_only) {
		memcpy(p, t->key, t->keylen);
		p += t->keylen;
		dns_tsig_put16(p, 255);		/* class ANY */
		memset(p + 2, 0, 4);		/* TTL 0 */
		p += 6;
		memcpy(p, t->alg, t->alglen);
		p += t->alglen;
	}
	dns_tsig_put16(p, (uint16_t)(t->time_signed >> 32));
	dns_tsig_put16(p + 2, (uint16_t)(t->time_signed >> 16));
	dns_tsig_put16(p + 4, (uint16_t)t->time_signed);
	dns_tsig_put16(p + 6, t->fudge);
	p += 8;
	if (!timers_only) {
		dns_tsig_put16(p, t->error);
		dns_tsig_put16(p + 2, t->otherlen);
		p += 4;
		memcpy(p, t->other, t->otherlen);
		p += t->otherlen;
	}
	res = HMAC(dns_tsig_md(v->key->alg), v->key->secret,
	    (int)v->key->secretlen, buf, (size_t)(p - buf), out, outlen);
	free(buf);
	return res == NULL ? DG_ERR_CRYPTO : 0;
}

int
dns_tsig_check(struct dns_tsig_verify *v, const uint8_t *msg, size_t len,
    time_t now, struct dns_tsig_result *res)
{
	struct dns_wire_tsig t;
	uint8_t want[EVP_MAX_MD_SIZE], kw[256], aw[256];
	size_t kwlen, awlen;
	unsigned wantlen = 0;
	int found, r;

	memset(res, 0, sizeof(*res));
	if ((r = dns_wire_tsig(msg, len, &t, &found)) != 0)
		return r;
	if (!found) {
		if (v->nsigned == 0)
			return DG_ERR_AUTH;
		if (v->unsigned_n >= DNS_TSIG_MAX_UNSIGNED ||
		    v->unsigned_len + len > DNS_TSIG_MAX_UNSIGNED_BYTES)
			return DG_ERR_LIMIT;
		v->unsigned_buf = xreallocarray(v->unsigned_buf,
		    v->unsigned_len + len, 1);
		memcpy(v->unsigned_buf + v->unsigned_len, msg, len);
		v->unsigned_len += len;
		v->unsigned_n++;
		return 0;
	}
	res->has_tsig = 1;
	res->error = t.error;
	res->skew = (int64_t)t.time_signed - (int64_t)now;
	if (dns_wire_from_text(v->key->name, kw, &kwlen) != 0 ||
	    dns_wire_from_text(dns_tsig_alg_name(v->key->alg), aw,
	    &awlen) != 0)
		return DG_ERR_INTERNAL;
	if (t.keylen != kwlen || memcmp(t.key, kw, kwlen) != 0 ||
	    t.alglen != awlen || memcmp(t.alg, aw, awlen) != 0)
		return DG_ERR_PROTO;
	if (t.maclen == 0)
		return DG_ERR_AUTH;	/* BADSIG/BADKEY: unsigned error */
	if (t.maclen != dns_tsig_maclen(v->key->alg) || t.orig_id != v->id)
		return DG_ERR_CRYPTO;
	if ((r = dns_tsig_compute(v, msg, &t, v->nsigned > 0, want,
	    &wantlen)) != 0)
		return r;
	if (wantlen != t.maclen || CRYPTO_memcmp(want, t.mac, wantlen) != 0)
		return DG_ERR_CRYPTO;
	memcpy(v->mac, t.mac, t.maclen);
	v->maclen = t.maclen;
	v->nsigned++;
	free(v->unsigned_buf);
	v->unsigned_buf = NULL;
	v->unsigned_len = 0;
	v->unsigned_n = 0;
	res->verified = 1;
	if (res->skew > t.fudge || -res->skew > t.fudge) {
		res->verified = 0;
		return DG_ERR_EXPIRED;
	}
	return 0;
}

int
dns_tsig_complete(const struct dns_tsig_verify *v)
{
	return v->nsigned > 0 && v->unsigned_n == 0;
}

void
dns_tsig_verify_clear(struct dns_tsig_verify *v)
{
	free(v->unsigned_buf);
	v->unsigned_buf = NULL;
	v->unsigned_len = 0;
	v->unsigned_n = 0;
}
