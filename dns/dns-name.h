/* dns-name.h: domain names as text: canonical form, zone membership,
 * labels that may name environments and profiles. Pure functions. */
#ifndef DG_DNS_NAME_H
#define DG_DNS_NAME_H

#include <stddef.h>
#include <stdint.h>

#define DNS_NAME_MAX 254	/* canonical text with NUL, no trailing dot */

/*
 * Canonical text form: lowercase, no trailing dot, labels of 1-63 octets
 * from [a-z0-9_-] (underscore for service labels such as _devgate), at
 * most 253 octets. "." alone (the root) is refused. Writes out only on
 * success; out may alias in. 0 or DG_ERR_INVAL / DG_ERR_TOOBIG.
 */
int	 dns_name_canon(const char *in, char *out, size_t outlen);
/* Is name (canonical) equal to zone or below it? Returns the length of
 * the relative part ("alice-gpu" of "alice-gpu.dev.corp"), 0 for the apex
 * itself, -1 when outside. */
int	 dns_name_rel(const char *name, const char *zone);
/* A hostname label as used for environments and profiles: 1-63 of
 * [a-z0-9-], not starting or ending with '-'. */
int	 dns_label_ok(const char *label);
/* Same for a length-delimited label. */
int	 dns_label_okn(const char *label, size_t len);
/* Case-insensitive equality of two names, ignoring one trailing dot. */
int	 dns_name_eq(const char *, const char *);
/* 64-bit FNV-1a of the text's bytes as given (no case folding): hash
 * tables, and a pool's addresses, which must not change across versions. */
uint64_t dns_name_hash(const char *);

#endif
