/* auth-penalty.h: per-source penalties (PerSourcePenalties, as OpenSSH 9.8)
 * in a fixed-size table: hash of netblocks plus a min-heap by expiry, in
 * memory that may be shared by the worker processes. The clock is passed
 * in (milliseconds, monotonic) so tests need no sleeping. */
#ifndef DG_AUTH_PENALTY_H
#define DG_AUTH_PENALTY_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"

int	 auth_penalty_check_at(struct auth_penalty *, const struct auth_config *,
	    const struct sockaddr *, socklen_t, uint64_t now_ms,
	    unsigned *delay_msp, const char **reasonp);
void	 auth_penalty_record_at(struct auth_penalty *,
	    const struct auth_config *, const struct sockaddr *, socklen_t,
	    enum auth_penalty_event, uint64_t now_ms);
/* Penalised netblocks held now (af AF_INET or AF_INET6). */
size_t	 auth_penalty_count(struct auth_penalty *, int af);
/* Bytes reserved for the table (its bound, whatever the traffic). */
size_t	 auth_penalty_size(const struct auth_penalty *);

#endif
