/* auth-keysrv.h: AuthorizedKeysURL: per-user keys fetched over HTTPS with
 * common/http.h (never blocking the loop), cached with a TTL, negative
 * caching of 404, stale copies served while the server is down, bounded
 * cache and concurrent fetches. */
#ifndef DG_AUTH_KEYSRV_H
#define DG_AUTH_KEYSRV_H

#include <stddef.h>
#include <stdint.h>

struct loop;
struct auth_config;
struct auth_keysrv;
struct auth_keysrv_req;
struct http_resolver;

/* err 0: text/len hold the user's keys (a copy, owned by the callee;
 * stale set when served from an expired cache entry because the server
 * failed). DG_ERR_NOTFOUND: the server has no keys for the user (404).
 * DG_ERR_UNAVAIL / DG_ERR_TOOBIG / DG_ERR_TLS: no answer and nothing
 * cached; why says what happened. */
typedef void auth_keysrv_cb(void *arg, int err, char *text, size_t len,
    int stale, const char *why);

struct auth_keysrv *auth_keysrv_new(struct loop *, const struct auth_config *);
void	 auth_keysrv_free(struct auth_keysrv *);
/* New settings; the cache is dropped when the URL or CA file changed. The
 * config must stay alive as long as the keysrv uses it. */
void	 auth_keysrv_reconfigure(struct auth_keysrv *,
	    const struct auth_config *);
/* Resolve the server's name with this hook (common/http.h); NULL: curl. */
void	 auth_keysrv_set_resolver(struct auth_keysrv *,
	    const struct http_resolver *);

/*
 * Keys of user. Answered at once from a fresh cache entry: returns 0 with
 * *textp (a copy) and *stalep, or DG_ERR_NOTFOUND (cached 404), or
 * DG_ERR_UNAVAIL (no URL, too many fetches and nothing cached, recent
 * failure and nothing cached). Otherwise starts or joins a fetch and
 * returns DG_ERR_AGAIN with *reqp; cb runs later on the loop unless
 * auth_keysrv_cancel(*reqp) is called first.
 */
int	 auth_keysrv_get(struct auth_keysrv *, const char *user, char **textp,
	    size_t *lenp, int *stalep, auth_keysrv_cb *, void *arg,
	    struct auth_keysrv_req **reqp);
void	 auth_keysrv_cancel(struct auth_keysrv_req *);
/* The URL for user ("%u" expanded, URL-escaped), a new string. */
char	*auth_keysrv_url(const char *tmpl, const char *user);

/* For tests and metrics. */
size_t	 auth_keysrv_cached(const struct auth_keysrv *);
uint64_t auth_keysrv_fetches(const struct auth_keysrv *);

#endif
