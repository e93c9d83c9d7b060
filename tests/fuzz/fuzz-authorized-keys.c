/* fuzz-authorized-keys.c: fuzz target for the authorized_keys and
 * AuthorizedPrincipalsFile parsers (auth/auth-keys.c): every line as a key
 * line and as a principals line, option lists alone, searching the text
 * for the first key found, and from= pattern matching. */
#include <stdlib.h>
#include <string.h>

#include "auth/auth-keys.h"
#include "auth/auth-match.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct auth_keyline kl, found, first;
	struct auth_keyopts o;
	char *text, *line, *p, *nl, err[256], *principal, *pr[1];
	int lineno, have_first = 0;

	if (len > 256 * 1024)
		return 0;
	text = malloc(len + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, len);
	text[len] = '\0';
	memset(&first, 0, sizeof(first));
	for (p = text; p != NULL && *p != '\0'; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		line = p;
		if (auth_keys_parse_line(line, &kl, err, sizeof(err)) == 0) {
			if (!have_first) {
				first = kl;
				have_first = 1;
			} else
				auth_keyline_clear(&kl);
		}
		if (auth_keys_parse_principal(line, &principal, &o, err,
		    sizeof(err)) == 0) {
			free(principal);
			auth_keyopts_clear(&o);
		}
		if (auth_keyopts_parse(line, NULL, &o, err, sizeof(err)) == 0)
			auth_keyopts_clear(&o);
		(void)auth_match_from("10.1.2.3", line);
		(void)auth_match_from("2001:db8::1", line);
		(void)auth_match_cidr_list("10.1.2.3", line);
	}
	/* The text again, unsplit, as a whole file. */
	memcpy(text, data, len);
	text[len] = '\0';
	if (have_first) {
		if (auth_keys_find(text, len, first.blob, first.bloblen, 0,
		    &found, &lineno, err, sizeof(err)) == 0)
			auth_keyline_clear(&found);
		if (auth_keys_find(text, len, first.blob, first.bloblen, 1,
		    &found, &lineno, err, sizeof(err)) == 0)
			auth_keyline_clear(&found);
		auth_keyline_clear(&first);
	}
	pr[0] = "alice";
	if (auth_keys_find_principal(text, len, pr, 1, &principal, &o,
	    &lineno, err, sizeof(err)) == 0) {
		free(principal);
		auth_keyopts_clear(&o);
	}
	free(text);
	return 0;
}
