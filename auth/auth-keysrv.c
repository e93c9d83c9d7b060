/* auth-keysrv.c: AuthorizedKeysURL: per-user keys fetched over HTTPS with
 * common/http.h (never blocking the loop), cached with a TTL, negative
 * caching of 404, stale copies served while the server is down, bounded
 * cache and concurrent fetches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "auth/auth-conf.h"
#include "auth/auth-keysrv.h"
#include "common/err.h"
#include "common/http.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"

#define AUTH_KEYSRV_BUCKETS	1024
#define AUTH_KEYSRV_RETRY_MS	10000	/* after a failure, wait this long
					   before asking the server again */

enum auth_keysrv_state {
	AUTH_KS_EMPTY = 0,	/* never fetched successfully */
	AUTH_KS_KEYS,		/* text holds the keys */
	AUTH_KS_NONE,		/* the server said 404 */
};

struct auth_keysrv_req {
	struct auth_keysrv_ent	*ent;	/* parent, not owned */
	auth_keysrv_cb		*cb;
	void			*arg;
	struct auth_keysrv_req	*next;
};

struct auth_keysrv_ent {
	struct auth_keysrv	*ks;		/* parent, not owned */
	char			*user;
	enum auth_keysrv_state	 state;
	char			*text;
	size_t			 len;
	uint64_t		 fetched_ms;	/* when state was set */
	uint64_t		 failed_ms;	/* last failure, 0 if none */
	struct http_req		*fetch;		/* in flight */
	struct auth_keysrv_req	*waiters;
	struct auth_keysrv_ent	*hnext;		/* hash chain */
	struct auth_keysrv_ent	*lprev, *lnext;	/* LRU, most recent first */
};

struct auth_keysrv {
	struct loop		*loop;		/* not owned */
	const struct auth_config *conf;		/* not owned */
	struct http		*http;
	struct auth_keysrv_ent	*buckets[AUTH_KEYSRV_BUCKETS];
	struct auth_keysrv_ent	*lru_head, *lru_tail;
	size_t			 nents;
	size_t			 nfetching;
	uint64_t		 nfetches;
	int			 down;		/* last fetch failed: logged */
	char			*url;		/* copies to notice changes */
	char			*cafile;
};

static unsigned
auth_keysrv_hash(const char *s)
{
	unsigned h = 5381;

	while (*s != '\0')
		h = h * 33 + (unsigned char)*s++;
	return h % AUTH_KEYSRV_BUCKETS;
}

static void
auth_keysrv_lru_unlink(struct auth_keysrv *ks, struct auth_keysrv_ent *e)
{
	if (e->lprev != NULL)
		e->lprev->lnext = e->lnext;
	else
		ks->lru_head = e->lnext;
	if (e->lnext != NULL)
		e->lnext->lprev = e->lprev;
	else
		ks->lru_tail = e->lprev;
	e->lprev = e->lnext = NULL;
}

static void
auth_keysrv_lru_front(struct auth_keysrv *ks, struct auth_keysrv_ent *e)
{
	e->lnext = ks->lru_head;
	e->lprev = NULL;
	if (ks->lru_head != NULL)
		ks->lru_head->lprev = e;
	ks->lru_head = e;
	if (ks->lru_tail == NULL)
		ks->lru_tail = e;
}

static void
auth_keysrv_ent_free(struct auth_keysrv *ks, struct auth_keysrv_ent *e)
{
	struct auth_keysrv_ent **pp;
	struct auth_keysrv_req *w;

	for (pp = &ks->buckets[auth_keysrv_hash(e->user)]; *pp != NULL;
	    pp = &(*pp)->hnext) {
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	}
	auth_keysrv_lru_unlink(ks, e);
	if (e->fetch != NULL) {
		http_req_cancel(e->fetch);
		ks->nfetching--;
	}
	while ((w = e->waiters) != NULL) {
		e->waiters = w->next;
		free(w);
	}
	free(e->user);
	free(e->text);
	free(e);
	ks->nents--;
}

static void
auth_keysrv_clear(struct auth_keysrv *ks)
{
	while (ks->lru_head != NULL)
		auth_keysrv_ent_free(ks, ks->lru_head);
}

struct auth_keysrv *
auth_keysrv_new(struct loop *loop, const struct auth_config *conf)
{
	struct auth_keysrv *ks = xcalloc(1, sizeof(*ks));

	ks->loop = loop;
	ks->http = http_new(loop);
	auth_keysrv_reconfigure(ks, conf);
	return ks;
}

void
auth_keysrv_set_resolver(struct auth_keysrv *ks,
    const struct http_resolver *res)
{
	http_set_resolver(ks->http, res);
}

void
auth_keysrv_free(struct auth_keysrv *ks)
{
	if (ks == NULL)
		return;
	auth_keysrv_clear(ks);
	http_free(ks->http);
	free(ks->url);
	free(ks->cafile);
	free(ks);
}

static int
auth_keysrv_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

void
auth_keysrv_reconfigure(struct auth_keysrv *ks, const struct auth_config *c)
{
	ks->conf = c;
	if (!auth_keysrv_streq(ks->url, c->authorized_keys_url) ||
	    !auth_keysrv_streq(ks->cafile, c->authorized_keys_url_ca_file)) {
		auth_keysrv_clear(ks);
		free(ks->url);
		free(ks->cafile);
		ks->url = c->authorized_keys_url != NULL ?
		    xstrdup(c->authorized_keys_url) : NULL;
		ks->cafile = c->authorized_keys_url_ca_file != NULL ?
		    xstrdup(c->authorized_keys_url_ca_file) : NULL;
		ks->down = 0;
	}
}

char *
auth_keysrv_url(const char *tmpl, const char *user)
{
	char *esc, *out = xstrdup(""), *tmp;
	const char *p;

	esc = curl_easy_escape(NULL, user, 0);
	for (p = tmpl; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == 'u') {
			tmp = xasprintf("%s%s", out, esc != NULL ? esc : "");
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			tmp = xasprintf("%s%%", out);
			p++;
		} else
			tmp = xasprintf("%s%c", out, *p);
		free(out);
		out = tmp;
	}
	curl_free(esc);
	return out;
}

static struct auth_keysrv_ent *
auth_keysrv_find(struct auth_keysrv *ks, const char *user)
{
	struct auth_keysrv_ent *e;

	for (e = ks->buckets[auth_keysrv_hash(user)]; e != NULL; e = e->hnext)
		if (strcmp(e->user, user) == 0)
			return e;
	return NULL;
}

static struct auth_keysrv_ent *
auth_keysrv_add(struct auth_keysrv *ks, const char *user)
{
	struct auth_keysrv_ent *e, *victim;
	unsigned h;

	/* Evict the least recently used entries that are not fetching. */
	while (ks->nents >= (size_t)ks->conf->authorized_keys_url_cache_size) {
		for (victim = ks->lru_tail; victim != NULL &&
		    victim->fetch != NULL; victim = victim->lprev)
			;
		if (victim == NULL)
			break;
		auth_keysrv_ent_free(ks, victim);
	}
	e = xcalloc(1, sizeof(*e));
	e->ks = ks;
	e->user = xstrdup(user);
	h = auth_keysrv_hash(user);
	e->hnext = ks->buckets[h];
	ks->buckets[h] = e;
	auth_keysrv_lru_front(ks, e);
	ks->nents++;
	return e;
}

/* Usable as a stale copy while the server fails? */
static int
auth_keysrv_stale_ok(const struct auth_keysrv *ks,
    const struct auth_keysrv_ent *e, uint64_t now)
{
	return e->state == AUTH_KS_KEYS && now - e->fetched_ms <
	    (uint64_t)ks->conf->authorized_keys_url_stale_ttl * 1000;
}

static void
auth_keysrv_notify(struct auth_keysrv_ent *e, int err, const char *why,
    int stale)
{
	struct auth_keysrv_req *w;
	char *copy;

	while ((w = e->waiters) != NULL) {
		e->waiters = w->next;
		copy = NULL;
		if (err == 0) {
			copy = xmalloc(e->len + 1);
			memcpy(copy, e->text, e->len);
			copy[e->len] = '\0';
		}
		w->cb(w->arg, err, copy, err == 0 ? e->len : 0, stale, why);
		free(w);
	}
}

static void
auth_keysrv_done(void *arg, int err, const struct http_resp *resp)
{
	struct auth_keysrv_ent *e = arg;
	struct auth_keysrv *ks = e->ks;
	char why[512];
	uint64_t now = loop_clock_ms();

	e->fetch = NULL;
	ks->nfetching--;
	if (err == 0 && resp->status == 200) {
		free(e->text);
		e->text = xmalloc(resp->len + 1);
		memcpy(e->text, resp->body, resp->len);
		e->text[resp->len] = '\0';
		e->len = resp->len;
		e->state = AUTH_KS_KEYS;
		e->fetched_ms = now;
		e->failed_ms = 0;
		if (ks->down)
			log_info("key server %s answers again", ks->url);
		ks->down = 0;
		auth_keysrv_notify(e, 0, NULL, 0);
		return;
	}
	if (err == 0 && (resp->status == 404 || resp->status == 410)) {
		free(e->text);
		e->text = NULL;
		e->len = 0;
		e->state = AUTH_KS_NONE;
		e->fetched_ms = now;
		e->failed_ms = 0;
		ks->down = 0;
		auth_keysrv_notify(e, DG_ERR_NOTFOUND, "no keys on the key "
		    "server (404)", 0);
		return;
	}
	if (err == 0)
		snprintf(why, sizeof(why), "key server answered HTTP %ld",
		    resp->status);
	else
		snprintf(why, sizeof(why), "key server unreachable: %s",
		    resp != NULL && resp->error != NULL ? resp->error :
		    dg_strerror(err));
	e->failed_ms = now;
	if (!ks->down) {
		/* Once per outage, not once per login. */
		log_error("%s (%s): serving cached keys until it recovers",
		    why, ks->url);
		ks->down = 1;
	}
	if (auth_keysrv_stale_ok(ks, e, now)) {
		auth_keysrv_notify(e, 0, why, 1);
		return;
	}
	auth_keysrv_notify(e, err == DG_ERR_TOOBIG ? DG_ERR_TOOBIG :
	    err == DG_ERR_TLS ? DG_ERR_TLS : DG_ERR_UNAVAIL, why, 0);
	if (e->state == AUTH_KS_EMPTY)
		auth_keysrv_ent_free(ks, e);
}

static int
auth_keysrv_start(struct auth_keysrv *ks, struct auth_keysrv_ent *e)
{
	struct http_req *req;
	char *url;
	CURL *easy;

	url = auth_keysrv_url(ks->url, e->user);
	req = http_req_new(ks->http, "GET", url);
	free(url);
	easy = http_req_easy(req);
	if (ks->cafile != NULL)
		curl_easy_setopt(easy, CURLOPT_CAINFO, ks->cafile);
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "https,http");
	http_req_header(req, "Accept: text/plain");
	http_req_limit(req, (size_t)ks->conf->authorized_keys_url_max_size);
	http_req_timeout(req, (long)ks->conf->authorized_keys_url_timeout *
	    1000);
	e->fetch = req;
	ks->nfetching++;
	ks->nfetches++;
	if (http_req_start(req, auth_keysrv_done, e) != 0) {
		e->fetch = NULL;
		ks->nfetching--;
		return DG_ERR_UNAVAIL;
	}
	return 0;
}

static char *
auth_keysrv_copy(const struct auth_keysrv_ent *e)
{
	char *t = xmalloc(e->len + 1);

	memcpy(t, e->text, e->len);
	t[e->len] = '\0';
	return t;
}

int
auth_keysrv_get(struct auth_keysrv *ks, const char *user, char **textp,
    size_t *lenp, int *stalep, auth_keysrv_cb *cb, void *arg,
    struct auth_keysrv_req **reqp)
{
	struct auth_keysrv_ent *e;
	struct auth_keysrv_req *w;
	uint64_t now = loop_clock_ms(), age;

	if (ks->url == NULL)
		return DG_ERR_UNAVAIL;
	*stalep = 0;
	if ((e = auth_keysrv_find(ks, user)) != NULL) {
		auth_keysrv_lru_unlink(ks, e);
		auth_keysrv_lru_front(ks, e);
		age = now - e->fetched_ms;
		if (e->state == AUTH_KS_KEYS && age <
		    (uint64_t)ks->conf->authorized_keys_url_cache_ttl * 1000) {
			*textp = auth_keysrv_copy(e);
			*lenp = e->len;
			return 0;
		}
		if (e->state == AUTH_KS_NONE && age <
		    (uint64_t)ks->conf->authorized_keys_url_negative_ttl *
		    1000)
			return DG_ERR_NOTFOUND;
		/* Failed recently: do not hammer the server. */
		if (e->fetch == NULL && e->failed_ms != 0 &&
		    now - e->failed_ms < AUTH_KEYSRV_RETRY_MS) {
			if (!auth_keysrv_stale_ok(ks, e, now))
				return DG_ERR_UNAVAIL;
			*textp = auth_keysrv_copy(e);
			*lenp = e->len;
			*stalep = 1;
			return 0;
		}
	}
	if ((e == NULL || e->fetch == NULL) && ks->nfetching >=
	    (size_t)ks->conf->authorized_keys_url_max_fetches) {
		if (e != NULL && auth_keysrv_stale_ok(ks, e, now)) {
			*textp = auth_keysrv_copy(e);
			*lenp = e->len;
			*stalep = 1;
			return 0;
		}
		return DG_ERR_UNAVAIL;
	}
	if (e == NULL)
		e = auth_keysrv_add(ks, user);
	if (e->fetch == NULL && auth_keysrv_start(ks, e) != 0) {
		if (e->state == AUTH_KS_EMPTY)
			auth_keysrv_ent_free(ks, e);
		return DG_ERR_UNAVAIL;
	}
	w = xcalloc(1, sizeof(*w));
	w->ent = e;
	w->cb = cb;
	w->arg = arg;
	w->next = e->waiters;
	e->waiters = w;
	*reqp = w;
	return DG_ERR_AGAIN;
}

void
auth_keysrv_cancel(struct auth_keysrv_req *req)
{
	struct auth_keysrv_req **pp;

	if (req == NULL)
		return;
	for (pp = &req->ent->waiters; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == req) {
			*pp = req->next;
			free(req);
			return;
		}
	}
}

size_t
auth_keysrv_cached(const struct auth_keysrv *ks)
{
	return ks->nents;
}

uint64_t
auth_keysrv_fetches(const struct auth_keysrv *ks)
{
	return ks->nfetches;
}
