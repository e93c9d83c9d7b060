/* fuzz-krl.c: fuzz target for RevokedKeys parsing (auth/auth-krl.c): the
 * binary OpenSSH KRL format and the plain key list, then lookups. */
#include <stdlib.h>
#include <string.h>

#include "auth/auth-krl.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const unsigned char blob[] = {
		0, 0, 0, 11, 's', 's', 'h', '-', 'e', 'd', '2', '5', '5', '1',
		'9', 0, 0, 0, 32, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
		15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
		31, 32
	};
	struct auth_krl *k;
	char err[256];
	uint64_t serials[] = { 0, 1, 7, 42, 1000, UINT64_MAX };
	size_t i;

	if (len > 1024 * 1024)
		return 0;
	if (auth_krl_parse(data, len, &k, err, sizeof(err)) != 0)
		return 0;
	(void)auth_krl_key_revoked(k, blob, sizeof(blob));
	for (i = 0; i < sizeof(serials) / sizeof(serials[0]); i++) {
		(void)auth_krl_cert_revoked(k, blob, sizeof(blob), serials[i],
		    "id");
		(void)auth_krl_cert_revoked(k, blob, 0, serials[i], NULL);
	}
	(void)auth_krl_count(k);
	auth_krl_free(k);
	return 0;
}
