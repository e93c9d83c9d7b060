/* auth-krl.c: RevokedKeys: a plain list of public keys, or an OpenSSH key
 * revocation list (KRL, PROTOCOL.krl: certificate serials, serial ranges
 * and bitmaps, key ids, explicit keys, SHA1 and SHA256 key hashes).
 * Parsing and lookups are pure; KRL signature sections are skipped, not
 * verified (like sshd, which has no trusted KRL signer configured). */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "auth/auth-keys.h"
#include "auth/auth-krl.h"
#include "auth/auth-wire.h"
#include "common/err.h"
#include "common/xmalloc.h"

#define AUTH_KRL_MAGIC		"SSHKRL\n\0"
#define AUTH_KRL_VERSION	1
#define AUTH_KRL_MAX_FILE	(64 * 1024 * 1024)

#define KRL_SECTION_CERTIFICATES	1
#define KRL_SECTION_EXPLICIT_KEY	2
#define KRL_SECTION_FINGERPRINT_SHA1	3
#define KRL_SECTION_SIGNATURE		4
#define KRL_SECTION_FINGERPRINT_SHA256	5
#define KRL_SECTION_EXTENSION		255
#define KRL_CERT_SERIAL_LIST		0x20
#define KRL_CERT_SERIAL_RANGE		0x21
#define KRL_CERT_SERIAL_BITMAP		0x22
#define KRL_CERT_KEY_ID			0x23
#define KRL_CERT_EXTENSION		0x39

struct auth_krl_range {
	uint64_t	lo, hi;
};

struct auth_krl_bitmap {
	uint64_t	 offset;	/* serial of bit 0 */
	unsigned char	*bits;		/* big-endian: bit 0 is in the last */
	size_t		 len;
};

/* Revocations for one CA (or every CA when ca_len is 0). */
struct auth_krl_ca {
	unsigned char		*ca;
	size_t			 ca_len;
	struct auth_krl_range	*ranges;
	size_t			 nranges, cranges;
	struct auth_krl_bitmap	*bitmaps;
	size_t			 nbitmaps;
	char		       **key_ids;
	size_t			 nkey_ids;
};

struct auth_krl_blob {
	unsigned char	*p;
	size_t		 len;
};

struct auth_krl {
	struct auth_krl_blob	*keys;		/* explicit plain key blobs */
	size_t			 nkeys;
	struct auth_krl_blob	*sha1;
	size_t			 nsha1;
	struct auth_krl_blob	*sha256;
	size_t			 nsha256;
	struct auth_krl_ca	*cas;
	size_t			 ncas;
	/* The file it came from, to notice changes. */
	char			*path;
	dev_t			 dev;
	ino_t			 ino;
	off_t			 size;
	struct timespec		 mtime;
	int			 broken;	/* changed and unreadable */
};

static void
auth_krl_blobs_add(struct auth_krl_blob **v, size_t *n, const void *p,
    size_t len)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[*n].p = xmalloc(len ? len : 1);
	memcpy((*v)[*n].p, p, len);
	(*v)[*n].len = len;
	(*n)++;
}

static void
auth_krl_blobs_free(struct auth_krl_blob *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].p);
	free(v);
}

static int
auth_krl_blobs_has(const struct auth_krl_blob *v, size_t n,
    const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (auth_blob_eq(v[i].p, v[i].len, p, len))
			return 1;
	return 0;
}

static void
auth_krl_clear(struct auth_krl *k)
{
	size_t i, j;

	auth_krl_blobs_free(k->keys, k->nkeys);
	auth_krl_blobs_free(k->sha1, k->nsha1);
	auth_krl_blobs_free(k->sha256, k->nsha256);
	for (i = 0; i < k->ncas; i++) {
		free(k->cas[i].ca);
		free(k->cas[i].ranges);
		for (j = 0; j < k->cas[i].nbitmaps; j++)
			free(k->cas[i].bitmaps[j].bits);
		free(k->cas[i].bitmaps);
		for (j = 0; j < k->cas[i].nkey_ids; j++)
			free(k->cas[i].key_ids[j]);
		free(k->cas[i].key_ids);
	}
	free(k->cas);
	k->keys = k->sha1 = k->sha256 = NULL;
	k->nkeys = k->nsha1 = k->nsha256 = 0;
	k->cas = NULL;
	k->ncas = 0;
}

void
auth_krl_free(struct auth_krl *k)
{
	if (k == NULL)
		return;
	auth_krl_clear(k);
	free(k->path);
	free(k);
}

static struct auth_krl_ca *
auth_krl_ca_get(struct auth_krl *k, const unsigned char *ca, size_t len)
{
	struct auth_krl_ca *c;
	size_t i;

	for (i = 0; i < k->ncas; i++)
		if (auth_blob_eq(k->cas[i].ca, k->cas[i].ca_len, ca, len))
			return &k->cas[i];
	k->cas = xreallocarray(k->cas, k->ncas + 1, sizeof(*k->cas));
	c = &k->cas[k->ncas++];
	memset(c, 0, sizeof(*c));
	c->ca = xmalloc(len ? len : 1);
	memcpy(c->ca, ca, len);
	c->ca_len = len;
	return c;
}

static void
auth_krl_range_add(struct auth_krl_ca *c, uint64_t lo, uint64_t hi)
{
	if (c->nranges == c->cranges) {
		c->cranges = c->cranges ? c->cranges * 2 : 16;
		c->ranges = xreallocarray(c->ranges, c->cranges,
		    sizeof(*c->ranges));
	}
	c->ranges[c->nranges].lo = lo;
	c->ranges[c->nranges].hi = hi;
	c->nranges++;
}

static int
auth_krl_range_cmp(const void *a, const void *b)
{
	const struct auth_krl_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sort and merge ranges so lookups are a binary search. */
static void
auth_krl_ca_finish(struct auth_krl_ca *c)
{
	size_t i, o = 0;

	if (c->nranges == 0)
		return;
	qsort(c->ranges, c->nranges, sizeof(*c->ranges), auth_krl_range_cmp);
	for (i = 1; i < c->nranges; i++) {
		if (c->ranges[i].lo <= c->ranges[o].hi ||
		    (c->ranges[o].hi != UINT64_MAX &&
		    c->ranges[i].lo == c->ranges[o].hi + 1)) {
			if (c->ranges[i].hi > c->ranges[o].hi)
				c->ranges[o].hi = c->ranges[i].hi;
		} else
			c->ranges[++o] = c->ranges[i];
	}
	c->nranges = o + 1;
}

static int
auth_krl_parse_certs(struct auth_krl *k, struct auth_rd *sect)
{
	struct auth_rd sub;
	struct auth_krl_ca *c;
	const unsigned char *ca, *p;
	size_t calen, n;
	uint64_t a, b;
	uint8_t type;
	char *id;

	if (auth_rd_string(sect, &ca, &calen) != 0 ||
	    auth_rd_string(sect, &p, &n) != 0)	/* reserved */
		return DG_ERR_PARSE;
	c = auth_krl_ca_get(k, ca, calen);
	while (sect->len > 0) {
		if (auth_rd_u8(sect, &type) != 0 ||
		    auth_rd_sub(sect, &sub) != 0)
			return DG_ERR_PARSE;
		switch (type) {
		case KRL_CERT_SERIAL_LIST:
			while (sub.len > 0) {
				if (auth_rd_u64(&sub, &a) != 0)
					return DG_ERR_PARSE;
				auth_krl_range_add(c, a, a);
			}
			break;
		case KRL_CERT_SERIAL_RANGE:
			if (auth_rd_u64(&sub, &a) != 0 ||
			    auth_rd_u64(&sub, &b) != 0 || a > b)
				return DG_ERR_PARSE;
			auth_krl_range_add(c, a, b);
			break;
		case KRL_CERT_SERIAL_BITMAP:
			if (auth_rd_u64(&sub, &a) != 0 ||
			    auth_rd_string(&sub, &p, &n) != 0)
				return DG_ERR_PARSE;
			if (n > 0 && (p[0] & 0x80) != 0)
				return DG_ERR_PARSE;	/* negative mpint */
			while (n > 0 && *p == 0) {
				p++;
				n--;
			}
			if (n > 0 && a + (uint64_t)n * 8 - 1 < a)
				return DG_ERR_PARSE;	/* wraps u64 */
			c->bitmaps = xreallocarray(c->bitmaps, c->nbitmaps + 1,
			    sizeof(*c->bitmaps));
			c->bitmaps[c->nbitmaps].offset = a;
			c->bitmaps[c->nbitmaps].bits = xmalloc(n ? n : 1);
			memcpy(c->bitmaps[c->nbitmaps].bits, p, n);
			c->bitmaps[c->nbitmaps].len = n;
			c->nbitmaps++;
			break;
		case KRL_CERT_KEY_ID:
			while (sub.len > 0) {
				if (auth_rd_cstring(&sub, &id, 4096) != 0)
					return DG_ERR_PARSE;
				c->key_ids = xreallocarray(c->key_ids,
				    c->nkey_ids + 1, sizeof(*c->key_ids));
				c->key_ids[c->nkey_ids++] = id;
			}
			break;
		case KRL_CERT_EXTENSION:
			/* string name, bool critical, string data */
			if (auth_rd_string(&sub, &p, &n) != 0 ||
			    auth_rd_u8(&sub, &type) != 0)
				return DG_ERR_PARSE;
			if (type != 0)
				return DG_ERR_NOTSUP;	/* unknown critical */
			sub.len = 0;
			break;
		default:
			return DG_ERR_PARSE;
		}
		if (sub.len != 0)
			return DG_ERR_PARSE;
	}
	auth_krl_ca_finish(c);
	return 0;
}

static int
auth_krl_parse_bin(struct auth_krl *k, const unsigned char *data, size_t len,
    char *err, size_t errlen)
{
	struct auth_rd rd, sect;
	const unsigned char *p;
	uint32_t version;
	uint64_t v;
	uint8_t type, crit;
	size_t n;
	int sig_seen = 0, r;

	auth_rd_init(&rd, data + 8, len - 8);
	if (auth_rd_u32(&rd, &version) != 0 || version != AUTH_KRL_VERSION ||
	    auth_rd_u64(&rd, &v) != 0 || auth_rd_u64(&rd, &v) != 0 ||
	    auth_rd_u64(&rd, &v) != 0 || auth_rd_string(&rd, &p, &n) != 0 ||
	    auth_rd_string(&rd, &p, &n) != 0) {
		snprintf(err, errlen, "bad KRL header");
		return DG_ERR_PARSE;
	}
	while (rd.len > 0) {
		if (auth_rd_u8(&rd, &type) != 0 ||
		    auth_rd_sub(&rd, &sect) != 0) {
			snprintf(err, errlen, "truncated KRL section");
			return DG_ERR_PARSE;
		}
		if (sig_seen && type != KRL_SECTION_SIGNATURE) {
			snprintf(err, errlen, "KRL section after signature");
			return DG_ERR_PARSE;
		}
		switch (type) {
		case KRL_SECTION_CERTIFICATES:
			if ((r = auth_krl_parse_certs(k, &sect)) != 0) {
				snprintf(err, errlen, "bad KRL certificate "
				    "section");
				return r;
			}
			break;
		case KRL_SECTION_EXPLICIT_KEY:
		case KRL_SECTION_FINGERPRINT_SHA1:
		case KRL_SECTION_FINGERPRINT_SHA256:
			while (sect.len > 0) {
				if (auth_rd_string(&sect, &p, &n) != 0 ||
				    (type == KRL_SECTION_FINGERPRINT_SHA1 &&
				    n != 20) ||
				    (type == KRL_SECTION_FINGERPRINT_SHA256 &&
				    n != 32)) {
					snprintf(err, errlen, "bad KRL key "
					    "section");
					return DG_ERR_PARSE;
				}
				if (type == KRL_SECTION_EXPLICIT_KEY)
					auth_krl_blobs_add(&k->keys, &k->nkeys,
					    p, n);
				else if (type == KRL_SECTION_FINGERPRINT_SHA1)
					auth_krl_blobs_add(&k->sha1, &k->nsha1,
					    p, n);
				else
					auth_krl_blobs_add(&k->sha256,
					    &k->nsha256, p, n);
			}
			break;
		case KRL_SECTION_SIGNATURE:
			/* The section holds the signing key; the signature
			 * follows as its own string. */
			sig_seen = 1;
			sect.len = 0;
			if (auth_rd_string(&rd, &p, &n) != 0) {
				snprintf(err, errlen, "truncated KRL "
				    "signature");
				return DG_ERR_PARSE;
			}
			break;
		case KRL_SECTION_EXTENSION:
			if (auth_rd_string(&sect, &p, &n) != 0 ||
			    auth_rd_u8(&sect, &crit) != 0) {
				snprintf(err, errlen, "bad KRL extension");
				return DG_ERR_PARSE;
			}
			if (crit != 0) {
				snprintf(err, errlen, "unsupported critical "
				    "KRL extension");
				return DG_ERR_NOTSUP;
			}
			sect.len = 0;
			break;
		default:
			snprintf(err, errlen, "unsupported KRL section %u",
			    type);
			return DG_ERR_PARSE;
		}
		if (sect.len != 0) {
			snprintf(err, errlen, "KRL section has trailing data");
			return DG_ERR_PARSE;
		}
	}
	return 0;
}

/* One line of a plain-text KRL: a revoked key. */
static int
auth_krl_text_add(void *arg, struct auth_keyline *kl, char *why,
    size_t whylen)
{
	struct auth_krl *k = arg;

	(void)why;
	(void)whylen;
	auth_krl_blobs_add(&k->keys, &k->nkeys, kl->blob, kl->bloblen);
	return 0;
}

static int
auth_krl_parse_text(struct auth_krl *k, const unsigned char *data,
    size_t len, char *err, size_t errlen)
{
	if (memchr(data, '\0', len) != NULL)
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "revoked keys file holds a NUL byte");
	return auth_keys_parse_text((const char *)data, len, auth_krl_text_add,
	    k, err, errlen);
}

int
auth_krl_parse(const unsigned char *data, size_t len, struct auth_krl **kp,
    char *err, size_t errlen)
{
	struct auth_krl *k = xcalloc(1, sizeof(*k));
	int r;

	if (len >= 8 && memcmp(data, AUTH_KRL_MAGIC, 8) == 0)
		r = auth_krl_parse_bin(k, data, len, err, errlen);
	else
		r = auth_krl_parse_text(k, data, len, err, errlen);
	if (r != 0) {
		auth_krl_free(k);
		return r;
	}
	*kp = k;
	return 0;
}

static int
auth_krl_read(const char *path, struct auth_krl **kp, struct stat *stp,
    char *err, size_t errlen)
{
	FILE *f;
	unsigned char *buf;
	size_t len;
	char why[256];
	int r;

	if ((f = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "RevokedKeys %s: %s", path,
		    strerror(errno));
		return DG_ERR_SYSTEM;
	}
	if (fstat(fileno(f), stp) != 0 || stp->st_size > AUTH_KRL_MAX_FILE) {
		snprintf(err, errlen, "RevokedKeys %s: unreadable or too large",
		    path);
		fclose(f);
		return DG_ERR_TOOBIG;
	}
	buf = xmalloc((size_t)stp->st_size + 1);
	len = fread(buf, 1, (size_t)stp->st_size, f);
	fclose(f);
	why[0] = '\0';
	r = auth_krl_parse(buf, len, kp, why, sizeof(why));
	free(buf);
	if (r != 0)
		snprintf(err, errlen, "RevokedKeys %s: %s", path, why);
	return r;
}

int
auth_krl_load(const char *path, struct auth_krl **kp, char *err,
    size_t errlen)
{
	struct auth_krl *k;
	struct stat st;
	int r;

	if ((r = auth_krl_read(path, &k, &st, err, errlen)) != 0)
		return r;
	k->path = xstrdup(path);
	k->dev = st.st_dev;
	k->ino = st.st_ino;
	k->size = st.st_size;
	k->mtime = st.st_mtim;
	*kp = k;
	return 0;
}

int
auth_krl_refresh(struct auth_krl *k, char *err, size_t errlen)
{
	struct auth_krl *n;
	struct stat st;
	int r;

	if (k->path == NULL)
		return 0;
	if (stat(k->path, &st) != 0) {
		snprintf(err, errlen, "RevokedKeys %s: %s", k->path,
		    strerror(errno));
		k->broken = 1;
		return DG_ERR_SYSTEM;
	}
	if (!k->broken && st.st_dev == k->dev && st.st_ino == k->ino &&
	    st.st_size == k->size && st.st_mtim.tv_sec == k->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == k->mtime.tv_nsec)
		return 0;
	if ((r = auth_krl_read(k->path, &n, &st, err, errlen)) != 0) {
		k->broken = 1;
		return r;
	}
	auth_krl_clear(k);
	k->keys = n->keys;
	k->nkeys = n->nkeys;
	k->sha1 = n->sha1;
	k->nsha1 = n->nsha1;
	k->sha256 = n->sha256;
	k->nsha256 = n->nsha256;
	k->cas = n->cas;
	k->ncas = n->ncas;
	memset(n, 0, sizeof(*n));
	auth_krl_free(n);
	k->dev = st.st_dev;
	k->ino = st.st_ino;
	k->size = st.st_size;
	k->mtime = st.st_mtim;
	k->broken = 0;
	return 0;
}

int
auth_krl_key_revoked(const struct auth_krl *k, const unsigned char *blob,
    size_t len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	if (k == NULL)
		return 0;
	if (k->broken)
		return 1;
	if (auth_krl_blobs_has(k->keys, k->nkeys, blob, len))
		return 1;
	if (k->nsha1 > 0) {
		SHA1(blob, len, md);
		if (auth_krl_blobs_has(k->sha1, k->nsha1, md, 20))
			return 1;
	}
	if (k->nsha256 > 0) {
		SHA256(blob, len, md);
		if (auth_krl_blobs_has(k->sha256, k->nsha256, md, 32))
			return 1;
	}
	return 0;
}

static int
auth_krl_ca_revoked(const struct auth_krl_ca *c, uint64_t serial,
    const char *key_id)
{
	const struct auth_krl_bitmap *b;
	size_t lo, hi, mid, i;
	uint64_t bit;

	for (i = 0; i < c->nkey_ids; i++)
		if (key_id != NULL && strcmp(c->key_ids[i], key_id) == 0)
			return 1;
	if (serial == 0)
		return 0;	/* the default serial is never revoked by it */
	lo = 0;
	hi = c->nranges;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (serial < c->ranges[mid].lo)
			hi = mid;
		else if (serial > c->ranges[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	for (i = 0; i < c->nbitmaps; i++) {
		b = &c->bitmaps[i];
		if (serial < b->offset)
			continue;
		bit = serial - b->offset;
		if (bit / 8 >= b->len)
			continue;
		if (b->bits[b->len - 1 - bit / 8] & (1u << (bit % 8)))
			return 1;
	}
	return 0;
}

int
auth_krl_cert_revoked(const struct auth_krl *k, const unsigned char *ca,
    size_t ca_len, uint64_t serial, const char *key_id)
{
	size_t i;

	if (k == NULL)
		return 0;
	if (k->broken)
		return 1;
	for (i = 0; i < k->ncas; i++) {
		if (k->cas[i].ca_len != 0 && !auth_blob_eq(k->cas[i].ca,
		    k->cas[i].ca_len, ca, ca_len))
			continue;
		if (auth_krl_ca_revoked(&k->cas[i], serial, key_id))
			return 1;
	}
	return 0;
}

size_t
auth_krl_count(const struct auth_krl *k)
{
	size_t i, n;

	if (k == NULL)
		return 0;
	n = k->nkeys + k->nsha1 + k->nsha256;
	for (i = 0; i < k->ncas; i++)
		n += k->cas[i].nranges + k->cas[i].nbitmaps +
		    k->cas[i].nkey_ids;
	return n;
}
