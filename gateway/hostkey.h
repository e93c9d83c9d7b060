/* hostkey.h: the server's host keys: check, generate when missing (type
 * from the file name or HostKeyType), load into a libssh bind. */
#ifndef DG_HOSTKEY_H
#define DG_HOSTKEY_H

#include <stddef.h>

#include "gateway/servconf.h"

struct ssh_bind_struct;

/* The key type a path asks for: "ed25519", "ecdsa" or "rsa" in the file
 * name, else def (enum hostkey_type). */
int	 hostkey_type_for(const char *path, int def);
/* -t: every HostKey that exists must load as a private key. */
int	 hostkey_check_all(const struct gateway_config *, char *err, size_t);
/* At start: generate each missing HostKey (mode 0600, with a .pub beside
 * it), logging it; then check all. */
int	 hostkey_prepare_all(const struct gateway_config *, char *err, size_t);
/* Import every HostKey into bind. */
int	 hostkey_load_all(const struct gateway_config *,
	    struct ssh_bind_struct *, char *err, size_t);

#endif
