/* k8s-config.c: kubeconfig (libyaml) and in-cluster configuration for the
 * Kubernetes client; the bearer token re-read from its file. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "common/err.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "gateway/k8s-config.h"

int
k8s_read_file(const char *path, size_t max, unsigned char **out,
    size_t *lenp)
{
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, r = DG_ERR_SYSTEM;

	struct stat st;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return errno == ENOENT ? DG_ERR_NOTFOUND : DG_ERR_SYSTEM;
	/* Only regular files: never block on a FIFO or read a device. */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return DG_ERR_INVAL;
	}
	for (;;) {
		if (len + 1 >= cap) {
			if (cap > max) {
				r = DG_ERR_TOOBIG;
				goto out;
			}
			cap = cap ? cap * 2 : 4096;
			buf = xrecallocarray(buf, len, cap, 1);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		r = DG_ERR_TOOBIG;
		goto out;
	}
	if (buf == NULL)
		buf = xcalloc(1, 1);
	buf[len] = '\0';
	*out = buf;
	*lenp = len;
	buf = NULL;
	r = 0;
out:
	if (buf != NULL)
		freezero(buf, cap);
	close(fd);
	return r;
}

int
k8s_base64_decode(const char *in, size_t inlen, unsigned char **out,
    size_t *outlen)
{
	unsigned char *buf;
	unsigned int acc = 0;
	size_t i, n = 0;
	int bits = 0, v, pad = 0;
	char c;

	buf = xmalloc(inlen / 4 * 3 + 3);
	for (i = 0; i < inlen; i++) {
		c = in[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0)
			goto bad;
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+' || c == '-')
			v = 62;
		else if (c == '/' || c == '_')
			v = 63;
		else
			goto bad;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (unsigned char)(acc >> bits);
		}
	}
	if (pad > 2 || bits >= 6)
		goto bad;
	*out = buf;
	*outlen = n;
	return 0;
bad:
	freezero(buf, inlen / 4 * 3 + 3);
	return DG_ERR_PARSE;
}

void
k8s_config_free(struct k8s_config *c)
{
	if (c == NULL)
		return;
	free(c->source);
	free(c->server);
	free(c->base_path);
	free(c->host);
	free(c->namespace);
	free(c->ca_pem);
	free(c->tls_server_name);
	free(c->cert_pem);
	freezero(c->key_pem, c->key_len);
	freezero_str(c->token);
	free(c->token_file);
	free(c);
}

/* Split scheme://host[:port][/path] into the config. */
static int
kc_server(struct k8s_config *c, const char *url, char *err, size_t errlen)
{
	const char *p, *h, *he, *path;
	char *end;
	long port;

	if (strncasecmp(url, "https://", 8) == 0) {
		c->tls = 1;
		p = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		c->tls = 0;
		p = url + 7;
	} else
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "server \"%.100s\": not an http(s) URL", url);
	path = p + strcspn(p, "/?#");
	if (*p == '[') {
		h = p + 1;
		if ((he = memchr(h, ']', (size_t)(path - h))) == NULL)
			goto bad;
		p = he + 1;
	} else {
		h = p;
		he = h + strcspn(h, ":/?#");
		p = he;
	}
	if (he == h || memchr(h, '@', (size_t)(he - h)) != NULL)
		goto bad;
	port = c->tls ? 443 : 80;
	if (*p == ':') {
		errno = 0;
		port = strtol(p + 1, &end, 10);
		if (end == p + 1 || end != path || port < 1 || port > 65535)
			goto bad;
	} else if (p != path)
		goto bad;
	if (*path != '\0' && *path != '/')
		goto bad;
	c->host = xstrndup(h, (size_t)(he - h));
	c->port = (uint16_t)port;
	c->base_path = xstrdup(path);
	while ((end = strrchr(c->base_path, '/')) != NULL && end[1] == '\0')
		*end = '\0';
	if (strchr(c->host, ':') != NULL)
		c->server = xasprintf("%s://[%s]:%u", c->tls ? "https" : "http",
		    c->host, c->port);
	else
		c->server = xasprintf("%s://%s:%u", c->tls ? "https" : "http",
		    c->host, c->port);
	return 0;
bad:
	return dg_errf(err, errlen, DG_ERR_PARSE,
	    "server \"%.100s\": malformed URL", url);
}

/* YAML document navigation. */

static yaml_node_t *
kc_get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;
	yaml_node_t *k;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		k = yaml_document_get_node(d, p->key);
		if (k != NULL && k->type == YAML_SCALAR_NODE &&
		    strlen(key) == k->data.scalar.length &&
		    memcmp(k->data.scalar.value, key, k->data.scalar.length) ==
		    0)
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

/* A scalar value as a C string (NULL if absent, not a scalar, or it
 * holds a NUL byte). */
static const char *
kc_str(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	yaml_node_t *n = kc_get(d, map, key);

	if (n == NULL || n->type != YAML_SCALAR_NODE ||
	    strlen((char *)n->data.scalar.value) != n->data.scalar.length)
		return NULL;
	return (const char *)n->data.scalar.value;
}

static int
kc_bool(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	const char *v = kc_str(d, map, key);

	return v != NULL && (strcasecmp(v, "true") == 0 ||
	    strcasecmp(v, "yes") == 0 || strcasecmp(v, "on") == 0);
}

/* In a list of {name: N, <field>: {...}}, the <field> map of entry N. */
static yaml_node_t *
kc_named(yaml_document_t *d, yaml_node_t *root, const char *list,
    const char *name, const char *field)
{
	yaml_node_t *seq = kc_get(d, root, list), *item;
	yaml_node_item_t *i;
	const char *n;

	if (seq == NULL || seq->type != YAML_SEQUENCE_NODE || name == NULL)
		return NULL;
	for (i = seq->data.sequence.items.start;
	    i < seq->data.sequence.items.top; i++) {
		item = yaml_document_get_node(d, *i);
		if ((n = kc_str(d, item, "name")) != NULL &&
		    strcmp(n, name) == 0) {
			return kc_get(d, item, field);
		}
	}
	return NULL;
}

static char *
kc_path(const char *dir, const char *p)
{
	if (p[0] == '/' || dir == NULL || dir[0] == '\0')
		return xstrdup(p);
	return xasprintf("%s/%s", dir, p);
}

/* Load the PEM from "<key>-data" (base64) or "<key>" (a path). */
static int
kc_blob(yaml_document_t *d, yaml_node_t *map, const char *key,
    const char *dir, unsigned char **out, size_t *lenp, char *err,
    size_t errlen)
{
	char dkey[64], *path;
	const char *v;
	int r;

	snprintf(dkey, sizeof(dkey), "%s-data", key);
	if ((v = kc_str(d, map, dkey)) != NULL && v[0] != '\0') {
		if (k8s_base64_decode(v, strlen(v), out, lenp) != 0)
			return dg_errf(err, errlen, DG_ERR_PARSE,
			    "%s: not valid base64", dkey);
		return 0;
	}
	if ((v = kc_str(d, map, key)) != NULL && v[0] != '\0') {
		path = kc_path(dir, v);
		r = k8s_read_file(path, K8S_KUBECONFIG_MAX, out, lenp);
		if (r != 0)
			dg_errf(err, errlen, r, "%s %.200s: %s", key, path,
			    r == DG_ERR_SYSTEM ? strerror(errno) :
			    dg_strerror(r));
		free(path);
		return r;
	}
	return 0;
}

static int
kc_user(struct k8s_config *c, yaml_document_t *d, yaml_node_t *u,
    const char *uname, const char *dir, char *err, size_t errlen)
{
	static const char *const refused[] = { "exec", "auth-provider",
	    "username", "password", "as", NULL };
	const char *v;
	size_t i;
	int r;

	for (i = 0; refused[i] != NULL; i++)
		if (kc_get(d, u, refused[i]) != NULL)
			return dg_errf(err, errlen, DG_ERR_NOTSUP,
			    "user \"%.64s\": \"%s\" is not supported (use a "
			    "token, tokenFile or client certificate)",
			    uname, refused[i]);
	if ((r = kc_blob(d, u, "client-certificate", dir, &c->cert_pem,
	    &c->cert_len, err, errlen)) != 0)
		return r;
	if ((r = kc_blob(d, u, "client-key", dir, &c->key_pem, &c->key_len,
	    err, errlen)) != 0)
		return r;
	if ((c->cert_pem == NULL) != (c->key_pem == NULL))
		return dg_errf(err, errlen, DG_ERR_INVAL, "user \"%.64s\": "
		    "client-certificate and client-key go together", uname);
	if ((v = kc_str(d, u, "token")) != NULL && v[0] != '\0')
		c->token = xstrdup(v);
	if ((v = kc_str(d, u, "tokenFile")) != NULL && v[0] != '\0') {
		c->token_file = kc_path(dir, v);
		if (c->token == NULL &&
		    (r = k8s_config_token_refresh(c, loop_clock_ms(), 1)) < 0)
			return dg_errf(err, errlen, r, "tokenFile %.200s: %s",
			    c->token_file, dg_strerror(r));
	}
	return 0;
}

static int
kc_document(struct k8s_config *c, yaml_document_t *d, const char *dir,
    const char *context, char *err, size_t errlen)
{
	yaml_node_t *root = yaml_document_get_root_node(d), *ctx, *cl, *u;
	const char *v, *cname, *uname;
	int r;

	if (root == NULL || root->type != YAML_MAPPING_NODE)
		return dg_errf(err, errlen, DG_ERR_PARSE,
		    "not a kubeconfig (no top-level mapping)");
	if (context == NULL &&
	    ((context = kc_str(d, root, "current-context")) == NULL ||
	    context[0] == '\0'))
		return dg_errf(err, errlen, DG_ERR_INVAL,
		    "no current-context");
	if ((ctx = kc_named(d, root, "contexts", context, "context")) == NULL)
		return dg_errf(err, errlen, DG_ERR_NOTFOUND,
		    "context \"%.64s\" not found", context);
	cname = kc_str(d, ctx, "cluster");
	if ((cl = kc_named(d, root, "clusters", cname, "cluster")) == NULL)
		return dg_errf(err, errlen, DG_ERR_NOTFOUND,
		    "cluster \"%.64s\" of context \"%.64s\" not found",
		    cname ? cname : "", context);
	if ((v = kc_str(d, cl, "server")) == NULL || v[0] == '\0')
		return dg_errf(err, errlen, DG_ERR_INVAL,
		    "cluster \"%.64s\" has no server", cname);
	if ((r = kc_server(c, v, err, errlen)) != 0)
		return r;
	if ((v = kc_str(d, cl, "proxy-url")) != NULL && v[0] != '\0')
		return dg_errf(err, errlen, DG_ERR_NOTSUP,
		    "cluster \"%.64s\": \"proxy-url\" is not supported", cname);
	c->insecure = kc_bool(d, cl, "insecure-skip-tls-verify");
	if ((v = kc_str(d, cl, "tls-server-name")) != NULL && v[0] != '\0')
		c->tls_server_name = xstrdup(v);
	if ((r = kc_blob(d, cl, "certificate-authority", dir, &c->ca_pem,
	    &c->ca_len, err, errlen)) != 0)
		return r;
	uname = kc_str(d, ctx, "user");
	if (uname != NULL && uname[0] != '\0') {
		if ((u = kc_named(d, root, "users", uname, "user")) == NULL)
			return dg_errf(err, errlen, DG_ERR_NOTFOUND,
			    "user \"%.64s\" of context \"%.64s\" not found",
			    uname, context);
		if ((r = kc_user(c, d, u, uname, dir, err, errlen)) != 0)
			return r;
	}
	v = kc_str(d, ctx, "namespace");
	c->namespace = xstrdup(v != NULL && v[0] != '\0' ? v : "default");
	c->source = xasprintf("context %s", context);
	return 0;
}

int
k8s_config_parse(const char *text, size_t len, const char *dir,
    const char *context, struct k8s_config **out, char *err, size_t errlen)
{
	struct k8s_config *c = NULL;
	yaml_parser_t parser;
	yaml_document_t doc;
	int r, have_doc = 0;

	if (len > K8S_KUBECONFIG_MAX)
		return dg_errf(err, errlen, DG_ERR_TOOBIG,
		    "kubeconfig larger than %u bytes", K8S_KUBECONFIG_MAX);
	if (!yaml_parser_initialize(&parser))
		return dg_errf(err, errlen, DG_ERR_NOMEM, "yaml: no memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
	    len);
	if (!yaml_parser_load(&parser, &doc)) {
		r = dg_errf(err, errlen, DG_ERR_PARSE,
		    "yaml: %s at line %zu", parser.problem ? parser.problem :
		    "syntax error", parser.problem_mark.line + 1);
		goto out;
	}
	have_doc = 1;
	c = xcalloc(1, sizeof(*c));
	if ((r = kc_document(c, &doc, dir, context, err, errlen)) != 0)
		goto out;
	*out = c;
	c = NULL;
	r = 0;
out:
	k8s_config_free(c);
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return r;
}

int
k8s_config_load(const char *path, const char *context,
    struct k8s_config **out, char *err, size_t errlen)
{
	unsigned char *text = NULL;
	struct k8s_config *c = NULL;
	char *dir = NULL, *slash, *src;
	size_t len;
	int r;

	if ((r = k8s_read_file(path, K8S_KUBECONFIG_MAX, &text, &len)) != 0)
		return dg_errf(err, errlen, r, "%.200s: %s", path,
		    r == DG_ERR_SYSTEM ? strerror(errno) : dg_strerror(r));
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		strcpy(dir, ".");
	r = k8s_config_parse((char *)text, len, dir, context, &c, err, errlen);
	freezero(text, len);
	free(dir);
	if (r != 0) {
		if (err != NULL && errlen > 0) {
			src = xstrdup(err);
			snprintf(err, errlen, "%.200s: %s", path, src);
			free(src);
		}
		return r;
	}
	src = xasprintf("kubeconfig %s (%s)", path, c->source);
	free(c->source);
	c->source = src;
	*out = c;
	return 0;
}

int
k8s_config_in_cluster(const char *sa_dir, struct k8s_config **out,
    char *err, size_t errlen)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	struct k8s_config *c = NULL;
	unsigned char *ns = NULL;
	char *url, *path;
	size_t len;
	int r;

	if (sa_dir == NULL)
		sa_dir = K8S_SA_DIR;
	if (host == NULL || port == NULL || host[0] == '\0' || port[0] == '\0')
		return dg_errf(err, errlen, DG_ERR_NOTFOUND, "not in a cluster "
		    "(KUBERNETES_SERVICE_HOST/PORT unset)");
	c = xcalloc(1, sizeof(*c));
	url = xasprintf(strchr(host, ':') ? "https://[%s]:%s" :
	    "https://%s:%s", host, port);
	r = kc_server(c, url, err, errlen);
	free(url);
	if (r != 0)
		goto out;
	path = xasprintf("%s/ca.crt", sa_dir);
	r = k8s_read_file(path, K8S_KUBECONFIG_MAX, &c->ca_pem, &c->ca_len);
	if (r != 0)
		dg_errf(err, errlen, r, "%.200s: %s", path, dg_strerror(r));
	free(path);
	if (r != 0)
		goto out;
	c->token_file = xasprintf("%s/token", sa_dir);
	if ((r = k8s_config_token_refresh(c, loop_clock_ms(), 1)) < 0) {
		dg_errf(err, errlen, r, "%.200s: %s", c->token_file,
		    dg_strerror(r));
		goto out;
	}
	path = xasprintf("%s/namespace", sa_dir);
	if (k8s_read_file(path, 256, &ns, &len) == 0) {
		while (len > 0 && isspace(ns[len - 1]))
			ns[--len] = '\0';
	}
	free(path);
	c->namespace = xstrdup(ns != NULL && ns[0] ? (char *)ns : "default");
	free(ns);
	c->source = xasprintf("in-cluster (%s)", sa_dir);
	*out = c;
	c = NULL;
	r = 0;
out:
	k8s_config_free(c);
	return r;
}

int
k8s_config_auto(const char *path, struct k8s_config **out, char *err,
    size_t errlen)
{
	const char *env = getenv("KUBECONFIG"), *home, *sa;
	char *first, *p;
	int r;

	if (path != NULL && path[0] != '\0')
		return k8s_config_load(path, NULL, out, err, errlen);
	if (env != NULL && env[0] != '\0') {
		first = xstrndup(env, strcspn(env, ":"));
		r = k8s_config_load(first, NULL, out, err, errlen);
		free(first);
		return r;
	}
	if (getenv("KUBERNETES_SERVICE_HOST") != NULL) {
		sa = getenv("DEVGATE_K8S_SA_DIR");
		return k8s_config_in_cluster(sa, out, err, errlen);
	}
	if ((home = getenv("HOME")) == NULL || home[0] == '\0')
		return dg_errf(err, errlen, DG_ERR_NOTFOUND,
		    "no kubeconfig: set Kubeconfig or $KUBECONFIG");
	p = xasprintf("%s/.kube/config", home);
	r = k8s_config_load(p, NULL, out, err, errlen);
	free(p);
	return r;
}

int
k8s_config_token_refresh(struct k8s_config *c, uint64_t now_ms, int force)
{
	unsigned char *buf;
	size_t len, s = 0;
	int r;

	if (c->token_file == NULL)
		return 0;
	if (!force && c->token != NULL && now_ms >= c->token_read_ms &&
	    now_ms - c->token_read_ms < K8S_TOKEN_REREAD_MS)
		return 0;
	c->token_read_ms = now_ms;
	if ((r = k8s_read_file(c->token_file, K8S_TOKEN_MAX, &buf, &len)) != 0)
		return r;
	while (s < len && isspace(buf[s]))
		s++;
	while (len > s && isspace(buf[len - 1]))
		buf[--len] = '\0';
	if (len == s || memchr(buf + s, '\n', len - s) != NULL ||
	    memchr(buf + s, '\r', len - s) != NULL ||
	    strlen((char *)buf + s) != len - s) {
		freezero(buf, len);
		return DG_ERR_PARSE;
	}
	if (c->token != NULL && strcmp(c->token, (char *)buf + s) == 0) {
		freezero(buf, len);
		return 0;
	}
	freezero_str(c->token);
	c->token = xstrdup((char *)buf + s);
	freezero(buf, len);
	c->token_gen++;
	return 1;
}
