/* log.h: leveled logging to stderr (text or JSON lines), as sshd's LogLevel. */
#ifndef DG_LOG_H
#define DG_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_L_QUIET = 0,
	LOG_L_FATAL,
	LOG_L_ERROR,
	LOG_L_INFO,
	LOG_L_VERBOSE,
	LOG_L_DEBUG1,
	LOG_L_DEBUG2,
	LOG_L_DEBUG3,
};

enum log_format {
	LOG_FMT_TEXT = 0,
	LOG_FMT_JSON,
};

/* ident names the process ("devgate", "devgate-worker"); fd is where lines go. */
void	 log_init(const char *ident, enum log_level, enum log_format, int fd);
void	 log_set_level(enum log_level);
void	 log_set_format(enum log_format);
void	 log_set_ident(const char *);
enum log_level log_get_level(void);
/* Parse an sshd LogLevel name (QUIET..DEBUG3, DEBUG = DEBUG1); -1 if unknown. */
int	 log_level_from_name(const char *);
const char *log_level_name(enum log_level);

void	 log_msg(enum log_level, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 log_vmsg(enum log_level, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
void	 log_fatal(const char *, ...) __attribute__((format(printf, 1, 2)))
	    __attribute__((noreturn));

#define log_error(...)	 log_msg(LOG_L_ERROR, __VA_ARGS__)
#define log_info(...)	 log_msg(LOG_L_INFO, __VA_ARGS__)
#define log_verbose(...) log_msg(LOG_L_VERBOSE, __VA_ARGS__)
#define log_debug(...)	 log_msg(LOG_L_DEBUG1, __VA_ARGS__)
#define log_debug2(...)	 log_msg(LOG_L_DEBUG2, __VA_ARGS__)
#define log_debug3(...)	 log_msg(LOG_L_DEBUG3, __VA_ARGS__)
#define fatal(...)	 log_fatal(__VA_ARGS__)

/* True when a message at this level would be written (skip costly formatting). */
#define log_enabled(l)	 ((l) <= log_get_level())

/* Append s to dst as a JSON string body (escaped, no quotes); returns bytes
 * written excluding NUL, truncating to fit size. */
size_t	 log_json_escape(char *dst, size_t size, const char *s);

#endif
