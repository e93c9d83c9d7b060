/* fuzz-cert.c: fuzz target for the OpenSSH certificate parser and the
 * public key blob parser (auth/auth-cert.c, auth/auth-sig.c): the input is
 * a key blob as it arrives in a userauth request. */
#include <stdlib.h>
#include <string.h>

#include "auth/auth-cert.h"
#include "auth/auth-sig.h"
#include "auth/auth-wire.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct auth_cert *c;
	enum auth_ktype kt;
	EVP_PKEY *pk = NULL;
	char err[256], fp[64];

	if (len > 65536)
		return 0;
	if (auth_cert_parse(data, len, NULL, &c, err, sizeof(err)) == 0) {
		(void)auth_cert_check_time(c, 1700000000, 60, err, sizeof(err));
		(void)auth_cert_has_principal(c, "alice");
		auth_fingerprint(c->key_blob, c->key_bloblen, fp, sizeof(fp));
		auth_cert_free(c);
	}
	/* Only the signature algorithm list differs: same parse. */
	if (auth_cert_parse(data, len, "ssh-ed25519", &c, err,
	    sizeof(err)) == 0)
		auth_cert_free(c);
	if (auth_sig_key_blob(data, len, &kt, &pk) == 0)
		EVP_PKEY_free(pk);
	return 0;
}
