/* xmalloc.h: allocation helpers that abort on exhaustion, and secret wiping. */
#ifndef DG_XMALLOC_H
#define DG_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
void	*xrecallocarray(void *, size_t, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));
char	*xvasprintf(const char *, va_list) __attribute__((format(printf, 1, 0)));

/* Wipe len bytes at p (not optimised away), then free p; NULL is fine. */
void	 freezero(void *, size_t);
/* Wipe and free a NUL-terminated secret string; NULL is fine. */
void	 freezero_str(char *);

#endif
