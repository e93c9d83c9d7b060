/* testutil.h: helpers shared by unit tests of every folder (they fail the
 * test through cmocka rather than return errors). */
#ifndef DG_TESTUTIL_H
#define DG_TESTUTIL_H

#include <sys/types.h>

/* Write text to path (created or truncated) with mode. */
void	 t_write(const char *path, const char *text, mode_t mode);

#endif
