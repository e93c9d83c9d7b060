/* auth-sig.c: SSH public keys as OpenSSL objects (ed25519, ECDSA P-256/384/
 * 521, RSA) and verification of SSH signatures; pure, never logs. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/param_build.h>

#include "auth/auth-match.h"
#include "auth/auth-sig.h"
#include "common/err.h"
#include "common/xmalloc.h"

static const struct {
	const char	*name;
	const char	*cert;
	enum auth_ktype	 kt;
} auth_sig_types[] = {
	{ "ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com", AUTH_KT_ED25519 },
	{ "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256-cert-v01@openssh.com",
	    AUTH_KT_ECDSA256 },
	{ "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384-cert-v01@openssh.com",
	    AUTH_KT_ECDSA384 },
	{ "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521-cert-v01@openssh.com",
	    AUTH_KT_ECDSA521 },
	{ "ssh-rsa", "ssh-rsa-cert-v01@openssh.com", AUTH_KT_RSA },
	{ "sk-ssh-ed25519@openssh.com",
	    "sk-ssh-ed25519-cert-v01@openssh.com", AUTH_KT_SK_ED25519 },
	{ "sk-ecdsa-sha2-nistp256@openssh.com",
	    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
	    AUTH_KT_SK_ECDSA256 },
	{ NULL, NULL, AUTH_KT_UNKNOWN }
};

enum auth_ktype
auth_sig_ktype(const char *name, int *is_certp)
{
	int i;

	for (i = 0; auth_sig_types[i].name != NULL; i++) {
		if (strcmp(name, auth_sig_types[i].name) == 0) {
			*is_certp = 0;
			return auth_sig_types[i].kt;
		}
		if (strcmp(name, auth_sig_types[i].cert) == 0) {
			*is_certp = 1;
			return auth_sig_types[i].kt;
		}
	}
	*is_certp = 0;
	return AUTH_KT_UNKNOWN;
}

const char *
auth_sig_ktype_name(enum auth_ktype kt)
{
	int i;

	for (i = 0; auth_sig_types[i].name != NULL; i++)
		if (auth_sig_types[i].kt == kt)
			return auth_sig_types[i].name;
	return "unknown";
}

static const char *
auth_sig_curve(enum auth_ktype kt, const char **groupp, const EVP_MD **mdp)
{
	switch (kt) {
	case AUTH_KT_ECDSA256:
	case AUTH_KT_SK_ECDSA256:
		*groupp = "prime256v1";
		*mdp = EVP_sha256();
		return "nistp256";
	case AUTH_KT_ECDSA384:
		*groupp = "secp384r1";
		*mdp = EVP_sha384();
		return "nistp384";
	case AUTH_KT_ECDSA521:
		*groupp = "secp521r1";
		*mdp = EVP_sha512();
		return "nistp521";
	default:
		return NULL;
	}
}

/* A positive mpint, leading zeros skipped. */
static int
auth_sig_mpint(struct auth_rd *rd, const unsigned char **pp, size_t *lenp)
{
	const unsigned char *p;
	size_t n;

	if (auth_rd_string(rd, &p, &n) != 0)
		return DG_ERR_PARSE;
	if (n > 0 && (p[0] & 0x80) != 0)
		return DG_ERR_INVAL;	/* negative */
	if (n > AUTH_RSA_MAX_BITS / 8 + 1)
		return DG_ERR_INVAL;
	while (n > 0 && *p == 0) {
		p++;
		n--;
	}
	*pp = p;
	*lenp = n;
	return 0;
}

static int
auth_sig_check(EVP_PKEY *pk)
{
	EVP_PKEY_CTX *c;
	int ok;

	if ((c = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL)
		return DG_ERR_NOMEM;
	ok = EVP_PKEY_public_check(c);
	EVP_PKEY_CTX_free(c);
	return ok == 1 ? 0 : DG_ERR_INVAL;
}

/* Build a public key; check (EC: the point is on the curve) when asked.
 * RSA keys get only OpenSSH's size checks: OpenSSL's public check tests the
 * modulus for primality, 25 ms per 3072-bit key, for no gain here. */
static int
auth_sig_fromdata(const char *type, OSSL_PARAM_BLD *bld, int check,
    EVP_PKEY **pkp)
{
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *c = NULL;
	EVP_PKEY *pk = NULL;
	int r = DG_ERR_INVAL;

	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (c = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(c) != 1 ||
	    EVP_PKEY_fromdata(c, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	if (check && (r = auth_sig_check(pk)) != 0)
		goto out;
	*pkp = pk;
	pk = NULL;
	r = 0;
out:
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(c);
	OSSL_PARAM_free(params);
	return r;
}

static int
auth_sig_rsa(const unsigned char *e, size_t elen, const unsigned char *n,
    size_t nlen, EVP_PKEY **pkp)
{
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *bn = NULL, *be = NULL;
	int r = DG_ERR_INVAL;

	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    (bn = BN_bin2bn(n, (int)nlen, NULL)) == NULL ||
	    (be = BN_bin2bn(e, (int)elen, NULL)) == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) != 1)
		goto out;
	r = auth_sig_fromdata("RSA", bld, 0, pkp);
out:
	BN_free(bn);
	BN_free(be);
	OSSL_PARAM_BLD_free(bld);
	return r;
}

static int
auth_sig_ec(const char *group, const unsigned char *q, size_t qlen,
    EVP_PKEY **pkp)
{
	OSSL_PARAM_BLD *bld;
	int r = DG_ERR_INVAL;

	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		return DG_ERR_NOMEM;
	if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, 0) == 1 &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, q,
	    qlen) == 1)
		r = auth_sig_fromdata("EC", bld, 1, pkp);
	OSSL_PARAM_BLD_free(bld);
	return r;
}

int
auth_sig_read_key(struct auth_rd *rd, enum auth_ktype kt, EVP_PKEY **pkp)
{
	const unsigned char *a, *b;
	const char *curve, *group;
	const EVP_MD *md;
	size_t alen, blen, qbytes;
	EVP_PKEY *pk;
	int r;

	switch (kt) {
	case AUTH_KT_ED25519:
	case AUTH_KT_SK_ED25519:
		if (auth_rd_string(rd, &a, &alen) != 0)
			return DG_ERR_PARSE;
		if (alen != 32)
			return DG_ERR_INVAL;
		if (kt == AUTH_KT_SK_ED25519) {
			if (auth_rd_string(rd, &b, &blen) != 0)
				return DG_ERR_PARSE;
			if (pkp != NULL)
				return DG_ERR_NOTSUP;
			return 0;
		}
		if (pkp == NULL)
			return 0;
		pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, a,
		    alen);
		if (pk == NULL)
			return DG_ERR_INVAL;
		*pkp = pk;
		return 0;
	case AUTH_KT_ECDSA256:
	case AUTH_KT_ECDSA384:
	case AUTH_KT_ECDSA521:
	case AUTH_KT_SK_ECDSA256:
		curve = auth_sig_curve(kt, &group, &md);
		if ((r = auth_rd_string_eq(rd, curve)) < 0)
			return DG_ERR_PARSE;
		if (r == 0)
			return DG_ERR_INVAL;	/* curve does not match type */
		if (auth_rd_string(rd, &a, &alen) != 0)
			return DG_ERR_PARSE;
		qbytes = kt == AUTH_KT_ECDSA521 ? 66 :
		    kt == AUTH_KT_ECDSA384 ? 48 : 32;
		if (alen != 1 + 2 * qbytes || a[0] != 0x04)
			return DG_ERR_INVAL;	/* uncompressed points only */
		if (kt == AUTH_KT_SK_ECDSA256) {
			if (auth_rd_string(rd, &b, &blen) != 0)
				return DG_ERR_PARSE;
			if (pkp != NULL)
				return DG_ERR_NOTSUP;
		}
		/* The point is always checked to be on the curve. */
		if ((r = auth_sig_ec(group, a, alen, &pk)) != 0)
			return r;
		if (pkp != NULL)
			*pkp = pk;
		else
			EVP_PKEY_free(pk);
		return 0;
	case AUTH_KT_RSA:
		if ((r = auth_sig_mpint(rd, &a, &alen)) != 0 ||
		    (r = auth_sig_mpint(rd, &b, &blen)) != 0)
			return r;
		if (alen == 0 || blen * 8 < AUTH_RSA_MIN_BITS - 7 ||
		    blen * 8 > AUTH_RSA_MAX_BITS)
			return DG_ERR_INVAL;
		if ((r = auth_sig_rsa(a, alen, b, blen, &pk)) != 0)
			return r;
		if (EVP_PKEY_get_bits(pk) < AUTH_RSA_MIN_BITS) {
			EVP_PKEY_free(pk);
			return DG_ERR_INVAL;
		}
		if (pkp != NULL)
			*pkp = pk;
		else
			EVP_PKEY_free(pk);
		return 0;
	default:
		return DG_ERR_NOTSUP;
	}
}

int
auth_sig_key_blob(const unsigned char *blob, size_t len, enum auth_ktype *ktp,
    EVP_PKEY **pkp)
{
	struct auth_rd rd;
	enum auth_ktype kt;
	EVP_PKEY *pk = NULL;
	const unsigned char *tp;
	size_t tlen;
	char type[64];
	int cert, r;

	if (auth_blob_type(blob, len, type, sizeof(type)) != 0)
		return DG_ERR_PARSE;
	kt = auth_sig_ktype(type, &cert);
	if (kt == AUTH_KT_UNKNOWN || cert)
		return DG_ERR_NOTSUP;
	auth_rd_init(&rd, blob, len);
	(void)auth_rd_string(&rd, &tp, &tlen);	/* the type, checked above */
	if ((r = auth_sig_read_key(&rd, kt, pkp != NULL ? &pk : NULL)) != 0)
		return r;
	if (rd.len != 0) {
		EVP_PKEY_free(pk);
		return DG_ERR_PARSE;
	}
	*ktp = kt;
	if (pkp != NULL)
		*pkp = pk;
	return 0;
}

static int
auth_sig_digest_verify(EVP_PKEY *pk, const EVP_MD *md, const unsigned char *s,
    size_t slen, const unsigned char *data, size_t dlen)
{
	EVP_MD_CTX *c;
	int ok;

	if ((c = EVP_MD_CTX_new()) == NULL)
		return DG_ERR_NOMEM;
	ok = EVP_DigestVerifyInit(c, NULL, md, NULL, pk) == 1 &&
	    EVP_DigestVerify(c, s, slen, data, dlen) == 1;
	EVP_MD_CTX_free(c);
	return ok ? 0 : DG_ERR_CRYPTO;
}

static int
auth_sig_ecdsa(EVP_PKEY *pk, const EVP_MD *md, const unsigned char *blob,
    size_t bloblen, const unsigned char *data, size_t dlen)
{
	struct auth_rd rd;
	const unsigned char *r, *s;
	size_t rlen, slen;
	ECDSA_SIG *sig = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	unsigned char *der = NULL;
	int derlen, ret = DG_ERR_PARSE;

	auth_rd_init(&rd, blob, bloblen);
	if (auth_sig_mpint(&rd, &r, &rlen) != 0 ||
	    auth_sig_mpint(&rd, &s, &slen) != 0 || rd.len != 0 ||
	    rlen == 0 || slen == 0 || rlen > 66 || slen > 66)
		goto out;
	ret = DG_ERR_NOMEM;
	if ((sig = ECDSA_SIG_new()) == NULL ||
	    (br = BN_bin2bn(r, (int)rlen, NULL)) == NULL ||
	    (bs = BN_bin2bn(s, (int)slen, NULL)) == NULL)
		goto out;
	if (ECDSA_SIG_set0(sig, br, bs) != 1)
		goto out;
	br = bs = NULL;
	if ((derlen = i2d_ECDSA_SIG(sig, &der)) <= 0)
		goto out;
	ret = auth_sig_digest_verify(pk, md, der, (size_t)derlen, data, dlen);
out:
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(sig);
	OPENSSL_free(der);
	return ret;
}

int
auth_sig_verify(EVP_PKEY *pk, enum auth_ktype kt, const unsigned char *sigblob,
    size_t siglen, const unsigned char *data, size_t dlen,
    const char *allowed, char *alg, size_t alglen)
{
	struct auth_rd rd;
	const unsigned char *fmt, *s;
	size_t fmtlen, slen, modlen;
	const EVP_MD *md = NULL;
	const char *group;
	unsigned char *padded;
	int r;

	auth_rd_init(&rd, sigblob, siglen);
	if (auth_rd_string(&rd, &fmt, &fmtlen) != 0 ||
	    auth_rd_string(&rd, &s, &slen) != 0 || rd.len != 0 ||
	    fmtlen == 0 || fmtlen >= alglen || memchr(fmt, '\0', fmtlen))
		return DG_ERR_PARSE;
	memcpy(alg, fmt, fmtlen);
	alg[fmtlen] = '\0';
	switch (kt) {
	case AUTH_KT_ED25519:
		if (strcmp(alg, "ssh-ed25519") != 0)
			return DG_ERR_CRYPTO;
		break;
	case AUTH_KT_ECDSA256:
	case AUTH_KT_ECDSA384:
	case AUTH_KT_ECDSA521:
		if (strcmp(alg, auth_sig_ktype_name(kt)) != 0)
			return DG_ERR_CRYPTO;
		(void)auth_sig_curve(kt, &group, &md);
		break;
	case AUTH_KT_RSA:
		if (strcmp(alg, "rsa-sha2-256") == 0)
			md = EVP_sha256();
		else if (strcmp(alg, "rsa-sha2-512") == 0)
			md = EVP_sha512();
		else if (strcmp(alg, "ssh-rsa") == 0)
			md = EVP_sha1();
		else
			return DG_ERR_CRYPTO;
		break;
	default:
		return DG_ERR_NOTSUP;
	}
	if (allowed != NULL && !auth_match_list_has(allowed, alg))
		return DG_ERR_DENIED;
	switch (kt) {
	case AUTH_KT_ED25519:
		if (slen != 64)
			return DG_ERR_CRYPTO;
		return auth_sig_digest_verify(pk, NULL, s, slen, data, dlen);
	case AUTH_KT_RSA:
		/* OpenSSH accepts signatures shorter than the modulus and
		 * pads them on the left; longer ones are refused. */
		modlen = (size_t)EVP_PKEY_get_size(pk);
		if (slen == 0 || slen > modlen)
			return DG_ERR_CRYPTO;
		if (slen == modlen)
			return auth_sig_digest_verify(pk, md, s, slen, data,
			    dlen);
		padded = xcalloc(1, modlen);
		memcpy(padded + modlen - slen, s, slen);
		r = auth_sig_digest_verify(pk, md, padded, modlen, data, dlen);
		free(padded);
		return r;
	default:
		r = auth_sig_ecdsa(pk, md, s, slen, data, dlen);
		return r == DG_ERR_PARSE ? DG_ERR_CRYPTO : r;
	}
}
