/* audit.h: the audit log (AuditLog PATH|stdout|none): one JSON object per
 * line per event, appended with a single write(2). */
#ifndef DG_AUDIT_H
#define DG_AUDIT_H

#include <stddef.h>
#include <stdint.h>

struct audit;

/* A record being built: fields in the order they are added. */
struct audit_rec {
	char	buf[4096];
	size_t	len;
	int	truncated;
};

/* spec: a path (appended, created 0600), "stdout", or "none" (NULL is
 * returned with no error: nothing is written). */
int	 audit_open(const char *spec, struct audit **ap, char *err,
	    size_t errlen);
void	 audit_close(struct audit *);
/* Lines that could not be written (full pipe, disk errors). */
uint64_t audit_dropped(const struct audit *);

/* Start a record: {"ts":"2024-05-01T10:00:00.123Z","event":EVENT. */
void	 audit_rec_init(struct audit_rec *, const char *event);
/* Add "key":"value" (escaped; NULL values are left out). */
void	 audit_rec_str(struct audit_rec *, const char *key, const char *value);
void	 audit_rec_int(struct audit_rec *, const char *key, long long value);
void	 audit_rec_uint(struct audit_rec *, const char *key,
	    unsigned long long value);
void	 audit_rec_bool(struct audit_rec *, const char *key, int value);
/* Close the object and write the line (NULL audit: dropped silently). */
void	 audit_rec_write(struct audit *, struct audit_rec *);
/* The finished line (after audit_rec_finish), for tests. */
const char *audit_rec_finish(struct audit_rec *);

#endif
