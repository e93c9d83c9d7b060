/* auditlog.h: the audit log (AuditLog PATH|stdout|none): one JSON object per
 * line per event, appended with a single write(2). */
#ifndef DG_AUDITLOG_H
#define DG_AUDITLOG_H

#include <stddef.h>
#include <stdint.h>

struct auditlog;

/* A record being built: fields in the order they are added. */
struct auditlog_rec {
	char	buf[4096];
	size_t	len;
	int	truncated;	/* a field did not fit: left out */
	int	cut;		/* a value over 1024 bytes was cut */
};

/* spec: a path (appended, created 0600), "stdout", or "none" (NULL is
 * returned with no error: nothing is written). */
int	 auditlog_open(const char *spec, struct auditlog **ap, char *err,
	    size_t errlen);
void	 auditlog_close(struct auditlog *);
/* Lines that could not be written (full pipe, disk errors). */
uint64_t auditlog_dropped(const struct auditlog *);

/* Start a record: {"ts":"2024-05-01T10:00:00.123Z","event":EVENT. */
void	 auditlog_rec_init(struct auditlog_rec *, const char *event);
/* Add "key":"value" (escaped; NULL values are left out). */
void	 auditlog_rec_str(struct auditlog_rec *, const char *key, const char *value);
void	 auditlog_rec_int(struct auditlog_rec *, const char *key, long long value);
void	 auditlog_rec_uint(struct auditlog_rec *, const char *key,
	    unsigned long long value);
void	 auditlog_rec_bool(struct auditlog_rec *, const char *key, int value);
/* Close the object and write the line (NULL audit: dropped silently). */
void	 auditlog_rec_write(struct auditlog *, struct auditlog_rec *);
/* The finished line (after auditlog_rec_finish), for tests. */
const char *auditlog_rec_finish(struct auditlog_rec *);

#endif
