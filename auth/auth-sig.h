/* auth-sig.h: SSH public keys as OpenSSL objects (ed25519, ECDSA P-256/384/
 * 521, RSA) and verification of SSH signatures; pure, never logs. */
#ifndef DG_AUTH_SIG_H
#define DG_AUTH_SIG_H

#include <stddef.h>

#include <openssl/evp.h>

#include "auth/auth-wire.h"

enum auth_ktype {
	AUTH_KT_UNKNOWN = 0,
	AUTH_KT_ED25519,
	AUTH_KT_ECDSA256,
	AUTH_KT_ECDSA384,
	AUTH_KT_ECDSA521,
	AUTH_KT_RSA,
	AUTH_KT_SK_ED25519,	/* FIDO keys: matched, never a CA */
	AUTH_KT_SK_ECDSA256,
};

#define AUTH_RSA_MIN_BITS	1024	/* as OpenSSH */
#define AUTH_RSA_MAX_BITS	16384

/* The key type of a name ("ssh-ed25519", "ecdsa-sha2-nistp256-cert-v01@
 * openssh.com"); *is_certp says whether it names a certificate. */
enum auth_ktype auth_sig_ktype(const char *name, int *is_certp);
/* The plain (non-certificate) name of a key type. */
const char *auth_sig_ktype_name(enum auth_ktype);

/* Read the key fields that follow the type string (in a plain key blob, or
 * inside a certificate after the nonce); with pkp, build the OpenSSL key
 * (sk keys cannot be built: DG_ERR_NOTSUP). 0 or DG_ERR_PARSE/INVAL. */
int	 auth_sig_read_key(struct auth_rd *, enum auth_ktype, EVP_PKEY **pkp);
/* Check a whole plain public key blob (type string, fields, nothing
 * after), optionally building the OpenSSL key. */
int	 auth_sig_key_blob(const unsigned char *, size_t, enum auth_ktype *,
	    EVP_PKEY **pkp);

/*
 * Verify an SSH signature blob (string format, string signature) made by
 * key (of type kt) over data. The signature's algorithm must match the key
 * and appear in allowed (comma list, e.g. CASignatureAlgorithms). 0,
 * DG_ERR_CRYPTO (bad signature), DG_ERR_DENIED (algorithm not allowed,
 * name in alg), DG_ERR_PARSE (malformed).
 */
int	 auth_sig_verify(EVP_PKEY *, enum auth_ktype, const unsigned char *sig,
	    size_t siglen, const unsigned char *data, size_t datalen,
	    const char *allowed, char *alg, size_t alglen);

#endif
