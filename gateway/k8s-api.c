/* k8s-api.c: Kubernetes REST calls over common/http.h: credentials and TLS
 * from the config, one retry after a 401, Status errors, typed pod calls. */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/http.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "gateway/k8s-api.h"
#include "gateway/k8s-config.h"
#include "gateway/k8s-json.h"
#include "gateway/k8s-target.h"

#define KA_ERRBODY_MAX	65536	/* non-200 body of a streamed call */
#define KA_BODY_MAX	(32u << 20)	/* pod lists of a big namespace */

struct k8s_api {
	struct loop		*loop;		/* not owned */
	struct k8s_target	*target;	/* reference */
	struct http		*http;
	char			*base;		/* URL up to the path */
	struct curl_slist	*connect_to;	/* CURLOPT_CONNECT_TO */
	struct curl_slist	*resolve;	/* CURLOPT_RESOLVE: the
						   target's addresses */
	unsigned		 resolve_gen;	/* target addrs_gen it has */
	struct k8s_req		*reqs;		/* pending */
	int			 depth;		/* in a request's callback */
	int			 dead;		/* freed there: finish later */
};

enum ka_kind {
	KA_RAW,
	KA_PODS,
	KA_POD,
	KA_DONE,
	KA_METRICS,
	KA_EVENTS,
};

struct k8s_req {
	struct k8s_api		*api;		/* parent, not owned */
	struct http_req		*http;
	char			*method, *path, *body, *ctype;
	long			 timeout_ms;
	int			 retried;
	k8s_chunk_cb		*chunk;
	char			*errbody;	/* non-200 streamed body */
	size_t			 errlen;
	enum ka_kind		 kind;
	int			 not_found_ok;	/* delete: 404 is success */
	k8s_resp_cb		*cb;
	void			*cbfn;		/* typed callback */
	void			*arg;
	int			 in_cb;		/* its callback is running */
	int			 cancelled;	/* cancelled from inside it */
	struct k8s_req		*next, **prevp;
};

static int ka_send(struct k8s_req *);

char *
k8s_url_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s), i, o = 0;
	char *out = xmalloc(n * 3 + 1);
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			out[o++] = (char)c;
		else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

/* A label value: up to 63 of [A-Za-z0-9._-], alphanumeric at the ends. */
static int
ka_label_value_ok(const char *v)
{
	size_t n = strlen(v), i;

	if (n == 0 || n > 63)
		return 0;
	for (i = 0; i < n; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') ||
		    (v[i] >= 'A' && v[i] <= 'Z') ||
		    (v[i] >= '0' && v[i] <= '9') ||
		    ((v[i] == '-' || v[i] == '_' || v[i] == '.') && i > 0 &&
		    i < n - 1)))
			return 0;
	return 1;
}

int
k8s_selector(const char *env, const char *owner, char **out)
{
	if ((env != NULL && !ka_label_value_ok(env)) ||
	    (owner != NULL && !ka_label_value_ok(owner)) ||
	    (env == NULL && owner == NULL))
		return DG_ERR_INVAL;
	if (env != NULL && owner != NULL)
		*out = xasprintf(K8S_LABEL_ENV "=%s," K8S_LABEL_OWNER "=%s",
		    env, owner);
	else if (env != NULL)
		*out = xasprintf(K8S_LABEL_ENV "=%s", env);
	else
		*out = xasprintf(K8S_LABEL_OWNER "=%s", owner);
	return 0;
}

int
k8s_api_new(struct loop *loop, struct k8s_target *t, struct k8s_api **out)
{
	struct k8s_api *a = xcalloc(1, sizeof(*a));
	const struct k8s_config *c = t->cfg;
	const char *h = c->host;
	int v6 = strchr(h, ':') != NULL;
	char *entry;

	if ((a->http = http_new(loop)) == NULL) {
		free(a);
		return DG_ERR_NOMEM;
	}
	a->loop = loop;
	a->target = t;
	k8s_target_ref(t);
	if (c->tls_server_name != NULL) {
		/* Verify and send SNI for tls-server-name, connect to the
		 * configured host. */
		a->base = xasprintf("https://%s:%u%s", c->tls_server_name,
		    c->port, c->base_path);
		entry = xasprintf("%s:%u:%s%s%s:%u", c->tls_server_name,
		    c->port, v6 ? "[" : "", h, v6 ? "]" : "", c->port);
		a->connect_to = curl_slist_append(NULL, entry);
		free(entry);
		if (a->connect_to == NULL) {
			k8s_api_free(a);
			return DG_ERR_NOMEM;
		}
	} else
		a->base = xasprintf("%s%s", c->server, c->base_path);
	*out = a;
	return 0;
}

static void
ka_req_free(struct k8s_req *r)
{
	if (r == NULL)
		return;
	if (r->prevp != NULL) {
		if (r->next != NULL)
			r->next->prevp = r->prevp;
		*r->prevp = r->next;
	}
	free(r->method);
	free(r->path);
	free(r->body);
	free(r->ctype);
	free(r->errbody);
	free(r);
}

void
k8s_req_cancel(struct k8s_req *r)
{
	if (r == NULL)
		return;
	if (r->in_cb) {
		/* Inside its own callback, under curl: finish afterwards. */
		r->cancelled = 1;
		return;
	}
	http_req_cancel(r->http);
	ka_req_free(r);
}

static void
ka_destroy(struct k8s_api *a)
{
	while (a->reqs != NULL)
		k8s_req_cancel(a->reqs);
	http_free(a->http);
	free(a->base);
	curl_slist_free_all(a->connect_to);
	curl_slist_free_all(a->resolve);
	k8s_target_unref(a->target);
	free(a);
}

static void
ka_destroy_deferred(void *arg)
{
	ka_destroy(arg);
}

void
k8s_api_free(struct k8s_api *a)
{
	struct k8s_req *r, *next;

	if (a == NULL)
		return;
	if (a->depth == 0) {
		ka_destroy(a);
		return;
	}
	/* Called from a request's callback: curl is still on the stack.
	 * Silence every request now, tear down once the loop is back. */
	for (r = a->reqs; r != NULL; r = next) {
		next = r->next;
		k8s_req_cancel(r);
	}
	if (!a->dead) {
		a->dead = 1;
		loop_defer(a->loop, ka_destroy_deferred, a);
	}
}

const char *
k8s_api_namespace(const struct k8s_api *a)
{
	return a->target->cfg->namespace;
}

struct loop *
k8s_api_loop(const struct k8s_api *a)
{
	return a->loop;
}

/* Typed completion. */

static void
ka_typed(struct k8s_req *r, const struct k8s_resp *resp)
{
	struct env_info *items = NULL, pod;
	struct env_metrics m;
	struct k8s_event *ev = NULL;
	cJSON *root;
	char rv[128];
	size_t n = 0;
	int err = resp->err;

	switch (r->kind) {
	case KA_RAW:
		break;
	case KA_PODS:
		if (err == 0 && (err = k8s_pod_list(resp->body, resp->len,
		    &items, &n, rv, sizeof(rv))) != 0)
			rv[0] = '\0';
		((k8s_pods_cb *)r->cbfn)(r->arg, err, resp->message, items, n,
		    err == 0 ? rv : NULL);
		free(items);
		break;
	case KA_POD:
		if (err == 0) {
			root = k8s_json_parse(resp->body, resp->len);
			err = root != NULL ? k8s_pod_info(root, &pod) :
			    DG_ERR_PARSE;
			cJSON_Delete(root);
		}
		((k8s_pod_cb *)r->cbfn)(r->arg, err, resp->message,
		    err == 0 ? &pod : NULL);
		break;
	case KA_DONE:
		if (err == DG_ERR_NOTFOUND && r->not_found_ok)
			err = 0;
		((k8s_done_cb *)r->cbfn)(r->arg, err, resp->message);
		break;
	case KA_METRICS:
		if (err == DG_ERR_NOTFOUND)
			err = DG_ERR_AGAIN;
		if (err == 0)
			err = k8s_pod_metrics(resp->body, resp->len, &m);
		((k8s_metrics_cb *)r->cbfn)(r->arg, err, resp->message,
		    err == 0 ? &m : NULL);
		break;
	case KA_EVENTS:
		if (err == 0)
			err = k8s_event_list(resp->body, resp->len, &ev, &n);
		((k8s_events_cb *)r->cbfn)(r->arg, err, resp->message, ev, n);
		free(ev);
		break;
	}
}

static void
ka_done(void *arg, int err, const struct http_resp *h)
{
	struct k8s_req *r = arg;
	struct k8s_api *a;
	struct k8s_resp resp;
	char msg[512];
	const char *body;
	size_t len;

	r->http = NULL;	/* freed by http.c after we return */
	if (r->cancelled || r->api->dead) {
		ka_req_free(r);
		return;
	}
	memset(&resp, 0, sizeof(resp));
	resp.status = h->status;
	resp.retry_after = h->retry_after;
	body = r->chunk != NULL ? r->errbody : h->body;
	len = r->chunk != NULL ? r->errlen : h->len;
	resp.body = body != NULL ? body : "";
	resp.len = body != NULL ? len : 0;
	if (err != 0) {
		resp.err = err;
		snprintf(msg, sizeof(msg), "%s", h->error ? h->error :
		    dg_strerror(err));
	} else if (h->status < 200 || h->status > 299) {
		resp.err = k8s_status_error(h->status, resp.body, resp.len,
		    msg, sizeof(msg), &resp.retry_after);
		if (resp.err == DG_ERR_AUTH && !r->retried &&
		    k8s_target_reauth(r->api->target)) {
			r->retried = 1;
			free(r->errbody);
			r->errbody = NULL;
			r->errlen = 0;
			if (ka_send(r) == 0)
				return;
		}
	} else
		msg[0] = '\0';
	resp.message = msg;
	/* Unlink first: the callback may free the API client. */
	if (r->prevp != NULL) {
		if (r->next != NULL)
			r->next->prevp = r->prevp;
		*r->prevp = r->next;
		r->prevp = NULL;
	}
	a = r->api;
	a->depth++;
	r->in_cb = 1;
	if (r->kind == KA_RAW)
		r->cb(r->arg, &resp);
	else
		ka_typed(r, &resp);
	a->depth--;
	ka_req_free(r);
}

static int
ka_chunk(void *arg, const char *data, size_t len)
{
	struct k8s_req *r = arg;
	long code = 0;
	int stop;

	if (r->cancelled || r->api->dead)
		return 1;
	curl_easy_getinfo(http_req_easy(r->http), CURLINFO_RESPONSE_CODE,
	    &code);
	if (code == 200) {
		r->api->depth++;
		r->in_cb = 1;
		stop = r->chunk(r->arg, data, len);
		r->in_cb = 0;
		/* (The API client outlives this: its free is deferred.) */
		r->api->depth--;
		return stop || r->cancelled || r->api->dead;
	}
	if (len > KA_ERRBODY_MAX - r->errlen)
		return 1;
	r->errbody = xreallocarray(r->errbody, r->errlen + len + 1, 1);
	memcpy(r->errbody + r->errlen, data, len);
	r->errlen += len;
	r->errbody[r->errlen] = '\0';
	return 0;
}

/* curl connects where the streams do: to the target's addresses of its
 * host name (c-ares, k8s-target.c), so libcurl never resolves (its
 * threaded resolver would join its thread when a request is cancelled,
 * on the loop). NULL for an IP address. */
static struct curl_slist *
ka_resolve_list(struct k8s_api *a)
{
	const struct k8s_target *t = a->target;
	char *entry, *p, addr[INET6_ADDRSTRLEN + 2];
	const void *in;
	size_t i;

	if (t->resolver == NULL || t->addrs.n == 0)
		return NULL;
	if (a->resolve != NULL && a->resolve_gen == t->addrs_gen)
		return a->resolve;
	entry = xasprintf("%s:%u:", t->cfg->host, t->cfg->port);
	for (i = 0; i < t->addrs.n; i++) {
		if (t->addrs.sa[i].ss_family == AF_INET) {
			in = &((const struct sockaddr_in *)
			    &t->addrs.sa[i])->sin_addr;
			inet_ntop(AF_INET, in, addr, sizeof(addr));
			p = xasprintf("%s%s%s", entry, i ? "," : "", addr);
		} else {
			in = &((const struct sockaddr_in6 *)
			    &t->addrs.sa[i])->sin6_addr;
			inet_ntop(AF_INET6, in, addr, sizeof(addr));
			p = xasprintf("%s%s[%s]", entry, i ? "," : "", addr);
		}
		free(entry);
		entry = p;
	}
	curl_slist_free_all(a->resolve);
	if ((a->resolve = curl_slist_append(NULL, entry)) == NULL) {
		fprintf(stderr, "devgate: out of memory\n");
		abort();
	}
	free(entry);
	a->resolve_gen = t->addrs_gen;
	return a->resolve;
}

static int
ka_send(struct k8s_req *r)
{
	struct k8s_api *a = r->api;
	const struct k8s_config *c = a->target->cfg;
	struct curl_blob blob;
	struct curl_slist *rl;
	struct http_req *h;
	const char *auth;
	char *url, *hdr;
	CURL *e;
	int err;

	url = xasprintf("%s%s", a->base, r->path);
	h = http_req_new(a->http, r->method, url);
	free(url);
	if (h == NULL)
		return DG_ERR_NOMEM;
	e = http_req_easy(h);
	http_req_header(h, "Accept: application/json");
	if ((rl = ka_resolve_list(a)) != NULL)
		curl_easy_setopt(e, CURLOPT_RESOLVE, rl);
	if (c->tls) {
		if (c->insecure) {
			curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
			curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
		} else if (c->ca_pem != NULL) {
			blob.data = c->ca_pem;
			blob.len = c->ca_len;
			blob.flags = CURL_BLOB_COPY;
			curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
		}
		if (c->cert_pem != NULL) {
			blob.data = c->cert_pem;
			blob.len = c->cert_len;
			blob.flags = CURL_BLOB_COPY;
			curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &blob);
			curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
			blob.data = c->key_pem;
			blob.len = c->key_len;
			curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &blob);
			curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
		}
		if (a->connect_to != NULL)
			curl_easy_setopt(e, CURLOPT_CONNECT_TO, a->connect_to);
		/* Credentials only over TLS, as client-go does. */
		if ((auth = k8s_target_auth(a->target)) != NULL) {
			hdr = xasprintf("Authorization: %s", auth);
			http_req_header(h, hdr);
			freezero_str(hdr);
		}
	}
	if (r->body != NULL)
		http_req_body(h, r->body, strlen(r->body), r->ctype);
	if (r->chunk != NULL) {
		http_req_stream(h, ka_chunk);
		http_req_timeout(h, 0);
	} else {
		http_req_limit(h, KA_BODY_MAX);
		if (r->timeout_ms > 0)
			http_req_timeout(h, r->timeout_ms);
	}
	r->http = h;
	if ((err = http_req_start(h, ka_done, r)) != 0) {
		http_req_cancel(h);
		r->http = NULL;
	}
	return err;
}

int
k8s_api_call(struct k8s_api *a, const char *method, const char *path,
    const char *body, const char *content_type, long timeout_ms,
    k8s_chunk_cb *chunk, k8s_resp_cb *cb, void *arg, struct k8s_req **out)
{
	struct k8s_req *r = xcalloc(1, sizeof(*r));
	int err;

	r->api = a;
	r->method = xstrdup(method);
	r->path = xstrdup(path);
	r->body = body != NULL ? xstrdup(body) : NULL;
	r->ctype = content_type != NULL ? xstrdup(content_type) : NULL;
	r->timeout_ms = timeout_ms;
	r->chunk = chunk;
	r->kind = KA_RAW;
	r->cb = cb;
	r->arg = arg;
	if ((err = ka_send(r)) != 0) {
		ka_req_free(r);
		return err;
	}
	r->next = a->reqs;
	if (r->next != NULL)
		r->next->prevp = &r->next;
	r->prevp = &a->reqs;
	a->reqs = r;
	if (out != NULL)
		*out = r;
	return 0;
}

static int
ka_typed_call(struct k8s_api *a, enum ka_kind kind, const char *method,
    char *path, const char *body, const char *ctype, void *cbfn, void *arg,
    struct k8s_req **out)
{
	struct k8s_req *r = NULL;
	int err;

	err = k8s_api_call(a, method, path, body, ctype, 0, NULL, NULL, arg,
	    &r);
	free(path);
	if (err != 0)
		return err;
	r->kind = kind;
	r->cbfn = cbfn;
	if (out != NULL)
		*out = r;
	return 0;
}

static char *
ka_pods_path(struct k8s_api *a, const char *name, const char *rest)
{
	char *ns = k8s_url_escape(a->target->cfg->namespace), *n, *p;

	if (name == NULL)
		p = xasprintf("/api/v1/namespaces/%s/pods%s", ns, rest);
	else {
		n = k8s_url_escape(name);
		p = xasprintf("/api/v1/namespaces/%s/pods/%s%s", ns, n, rest);
		free(n);
	}
	free(ns);
	return p;
}

int
k8s_api_pods_list(struct k8s_api *a, const char *selector, k8s_pods_cb *cb,
    void *arg, struct k8s_req **out)
{
	char *sel = k8s_url_escape(selector), *q;

	q = xasprintf("?labelSelector=%s", sel);
	free(sel);
	sel = ka_pods_path(a, NULL, q);
	free(q);
	return ka_typed_call(a, KA_PODS, "GET", sel, NULL, NULL, (void *)cb,
	    arg, out);
}

int
k8s_api_pod_get(struct k8s_api *a, const char *name, k8s_pod_cb *cb,
    void *arg, struct k8s_req **out)
{
	return ka_typed_call(a, KA_POD, "GET", ka_pods_path(a, name, ""),
	    NULL, NULL, (void *)cb, arg, out);
}

int
k8s_api_pod_create(struct k8s_api *a, const char *json, k8s_pod_cb *cb,
    void *arg, struct k8s_req **out)
{
	return ka_typed_call(a, KA_POD, "POST", ka_pods_path(a, NULL, ""),
	    json, "application/json", (void *)cb, arg, out);
}

int
k8s_api_pod_delete(struct k8s_api *a, const char *name, int grace,
    k8s_done_cb *cb, void *arg, struct k8s_req **out)
{
	struct k8s_req *r = NULL;
	char q[48] = "";
	int err;

	if (grace >= 0)
		snprintf(q, sizeof(q), "?gracePeriodSeconds=%d", grace);
	err = ka_typed_call(a, KA_DONE, "DELETE", ka_pods_path(a, name, q),
	    NULL, NULL, (void *)cb, arg, &r);
	if (err != 0)
		return err;
	r->not_found_ok = 1;
	if (out != NULL)
		*out = r;
	return 0;
}

int
k8s_api_pod_patch(struct k8s_api *a, const char *name, const char *patch,
    k8s_pod_cb *cb, void *arg, struct k8s_req **out)
{
	return ka_typed_call(a, KA_POD, "PATCH", ka_pods_path(a, name, ""),
	    patch, "application/merge-patch+json", (void *)cb, arg, out);
}

int
k8s_api_pod_metrics(struct k8s_api *a, const char *name, k8s_metrics_cb *cb,
    void *arg, struct k8s_req **out)
{
	char *ns = k8s_url_escape(a->target->cfg->namespace);
	char *n = k8s_url_escape(name), *p;

	p = xasprintf("/apis/metrics.k8s.io/v1beta1/namespaces/%s/pods/%s",
	    ns, n);
	free(ns);
	free(n);
	return ka_typed_call(a, KA_METRICS, "GET", p, NULL, NULL, (void *)cb,
	    arg, out);
}

int
k8s_api_pod_events(struct k8s_api *a, const char *name, k8s_events_cb *cb,
    void *arg, struct k8s_req **out)
{
	char *ns = k8s_url_escape(a->target->cfg->namespace), *sel, *p, *f;

	f = xasprintf("involvedObject.kind=Pod,involvedObject.name=%s", name);
	sel = k8s_url_escape(f);
	free(f);
	p = xasprintf("/api/v1/namespaces/%s/events?fieldSelector=%s", ns,
	    sel);
	free(ns);
	free(sel);
	return ka_typed_call(a, KA_EVENTS, "GET", p, NULL, NULL, (void *)cb,
	    arg, out);
}
