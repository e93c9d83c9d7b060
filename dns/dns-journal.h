/* dns-journal.h: the line format of the DNS queue's state file and
 * journal (one desired state per line, with a CRC), and the careful file
 * I/O around it (whole writes, fsync of the directory). Internal to
 * dns-queue.c; exposed for tests and fuzzing. */
#ifndef DG_DNS_JOURNAL_H
#define DG_DNS_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "dns/dns-owner.h"

#define DNS_JOURNAL_MAX_LINE	(64 * 1024)

/* "<op> <seq> <name> <pool> <n> [<type> <hex rdata>]... <crc32>\n";
 * op is '+' (set) or '-' (done). encode returns a malloc'd line. */
char	*dns_journal_encode(char op, uint64_t seq, const struct dns_want *);
/* 0, or DG_ERR_PARSE for anything but one whole, intact line. */
int	 dns_journal_decode(const char *line, size_t len, char *opp,
	    uint64_t *seqp, struct dns_want *);
uint32_t dns_journal_crc32(const char *, size_t);

/* mkdir -p with mode 0700. */
int	 dns_journal_mkdirs(const char *dir);
/* A whole file of at most max bytes, NUL-terminated; NULL with errno. */
char	*dns_journal_slurp(const char *path, size_t max, size_t *lenp);
int	 dns_journal_write_all(int fd, const char *, size_t);
int	 dns_journal_fsync_dir(const char *dir);

#endif
