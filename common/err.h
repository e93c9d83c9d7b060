/* err.h: devgate's error codes: functions return 0 or a negative DG_ERR_*. */
#ifndef DG_ERR_H
#define DG_ERR_H

#include <stddef.h>

enum {
	DG_OK = 0,
	DG_ERR_INTERNAL = -1,	/* a bug or an impossible state */
	DG_ERR_NOMEM = -2,	/* allocation failed or a limit on memory */
	DG_ERR_INVAL = -3,	/* bad argument or malformed input */
	DG_ERR_SYSTEM = -4,	/* a system call failed: see errno */
	DG_ERR_AGAIN = -5,	/* would block: try again when ready */
	DG_ERR_NOTFOUND = -6,	/* no such object */
	DG_ERR_EXISTS = -7,	/* object already exists */
	DG_ERR_DENIED = -8,	/* not allowed (forbidden, refused by policy) */
	DG_ERR_AUTH = -9,	/* authentication failed or missing */
	DG_ERR_TIMEOUT = -10,	/* an operation took too long */
	DG_ERR_PROTO = -11,	/* the peer broke the protocol */
	DG_ERR_TOOBIG = -12,	/* input larger than its limit */
	DG_ERR_UNAVAIL = -13,	/* a server is unreachable or failing */
	DG_ERR_CLOSED = -14,	/* the peer closed the connection */
	DG_ERR_TLS = -15,	/* TLS setup or verification failed */
	DG_ERR_PARSE = -16,	/* text could not be parsed */
	DG_ERR_CRYPTO = -17,	/* a signature or MAC did not verify */
	DG_ERR_CANCELLED = -18,	/* the request was cancelled */
	DG_ERR_LIMIT = -19,	/* a configured limit was reached */
	DG_ERR_EXPIRED = -20,	/* validity window passed or not yet open */
	DG_ERR_REVOKED = -21,	/* key or certificate is revoked */
	DG_ERR_NOTSUP = -22,	/* feature not supported by this peer or build */
	DG_ERR_CONFLICT = -23,	/* concurrent change; retry with fresh state */
	DG_ERR_GONE = -24,	/* resource version too old, object gone */
	DG_ERR_RANGE = -25,	/* number out of range */
	DG_ERR_MAX_ = -26
};

/* A short English text for a DG_ERR_* code (never NULL). */
const char *dg_strerror(int);

/*
 * Format a message into the caller's err buffer of errlen bytes (truncated,
 * always terminated; nothing written when err is NULL or errlen is 0) and
 * return r, so a parser can say "return dg_errf(err, errlen, DG_ERR_PARSE,
 * ...)".
 */
int	 dg_errf(char *err, size_t errlen, int r, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

#endif
