/* err.c: names for devgate's error codes and the error-text helper. */
#include <stdarg.h>
#include <stdio.h>

#include "err.h"

static const char *const dg_err_names[] = {
	"success",
	"internal error",
	"out of memory",
	"invalid argument",
	"system error",
	"try again",
	"not found",
	"already exists",
	"permission denied",
	"authentication failed",
	"timed out",
	"protocol error",
	"too big",
	"service unavailable",
	"connection closed",
	"TLS error",
	"parse error",
	"signature verification failed",
	"cancelled",
	"limit reached",
	"expired",
	"revoked",
	"not supported",
	"conflict",
	"gone",
	"out of range",
};

_Static_assert(sizeof(dg_err_names) / sizeof(dg_err_names[0]) == -DG_ERR_MAX_,
    "every DG_ERR_* code needs a name");

const char *
dg_strerror(int err)
{
	if (err > 0 || err <= DG_ERR_MAX_)
		return "unknown error";
	return dg_err_names[-err];
}

int
dg_errf(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}
