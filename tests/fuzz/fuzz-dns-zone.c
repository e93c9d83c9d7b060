/* fuzz-dns-zone.c: fuzz target for zone files read as the registry: the
 * zone file reader (ldns, line numbers) and the registry built from it,
 * strictly and leniently, with lookups. */
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include "dns/dns-registry.h"
#include "dns/dns-zone.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct dns_zone *z = NULL;
	struct dns_registry *reg = NULL;
	const struct dns_env *list[4];
	struct sockaddr_in sin;
	char err[512];
	size_t i;

	if (len > 256 * 1024)
		return 0;
	if (dns_zone_load_buf("fuzz", (const char *)data, len, "dev.corp", &z,
	    err, sizeof(err)) != 0)
		return 0;
	if (dns_registry_build(z, NULL, 1, &reg, err, sizeof(err)) == 0)
		dns_registry_unref(reg);
	if (dns_registry_build(z, z, 0, &reg, err, sizeof(err)) == 0) {
		for (i = 0; i < dns_registry_count(reg); i++)
			dns_registry_find(reg, dns_registry_at(reg, i)->name);
		dns_registry_for_user(reg, "alice", list, 4);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(0x7f000a07);
		dns_registry_by_address(reg, (struct sockaddr *)&sin);
		dns_registry_unref(reg);
	}
	dns_zone_free(z);
	return 0;
}
