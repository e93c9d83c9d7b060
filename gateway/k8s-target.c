/* k8s-target.c: the API server of a backend: config, token, TLS context
 * and address; host names re-resolved on a helper thread. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "gateway/k8s-config.h"
#include "gateway/k8s-conn.h"
#include "gateway/k8s-target.h"

struct kt_job {
	struct k8s_target	*t;	/* holds a reference */
	char			*host;
	uint16_t		 port;
	int			 err;
	struct k8s_addrs	 addrs;
};

static int
kt_resolve(const char *host, uint16_t port, struct k8s_addrs *out,
    int numeric_only)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct k8s_addrs a;
	char portstr[8];
	int r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | (numeric_only ? AI_NUMERICHOST : 0);
	snprintf(portstr, sizeof(portstr), "%u", port);
	if ((r = getaddrinfo(host, portstr, &hints, &res)) != 0 ||
	    res == NULL)
		return r == EAI_NONAME ? DG_ERR_NOTFOUND : DG_ERR_UNAVAIL;
	memset(&a, 0, sizeof(a));
	for (ai = res; ai != NULL && a.n < K8S_TARGET_ADDRS; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof(a.sa[0]))
			continue;
		memcpy(&a.sa[a.n], ai->ai_addr, ai->ai_addrlen);
		a.len[a.n++] = ai->ai_addrlen;
	}
	freeaddrinfo(res);
	if (a.n == 0)
		return DG_ERR_NOTFOUND;
	*out = a;
	return 0;
}

static void
kt_job_done(void *arg)
{
	struct kt_job *j = arg;
	struct k8s_target *t = j->t;

	t->resolving = 0;
	if (j->err == 0) {
		t->addrs = j->addrs;
		t->preferred = 0;
	} else
		log_error("kubernetes: cannot re-resolve %s: %s (keeping the "
		    "old address)", j->host, dg_strerror(j->err));
	if (t->refresh != NULL)
		loop_timer_start(t->refresh, K8S_RESOLVE_REFRESH_MS);
	free(j->host);
	free(j);
	k8s_target_unref(t);
}

static void *
kt_thread(void *arg)
{
	struct kt_job *j = arg;

	j->err = kt_resolve(j->host, j->port, &j->addrs, 0);
	if (loop_post(j->t->loop, kt_job_done, j) != 0)
		log_error("kubernetes: cannot report a DNS answer to the loop");
	return NULL;
}

static void
kt_refresh(void *arg)
{
	struct k8s_target *t = arg;
	pthread_attr_t attr;
	pthread_t th;
	struct kt_job *j;

	if (t->resolving)
		return;
	j = xcalloc(1, sizeof(*j));
	j->t = t;
	j->host = xstrdup(t->cfg->host);
	j->port = t->cfg->port;
	t->refs++;
	t->resolving = 1;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &attr, kt_thread, j) != 0) {
		t->resolving = 0;
		t->refs--;
		free(j->host);
		free(j);
		loop_timer_start(t->refresh, K8S_RESOLVE_REFRESH_MS);
	}
	pthread_attr_destroy(&attr);
}

int
k8s_target_new(struct loop *loop, struct k8s_config *cfg,
    struct k8s_target **out, char *err, size_t errlen)
{
	struct k8s_target *t;
	int r, numeric;

	t = xcalloc(1, sizeof(*t));
	t->loop = loop;
	t->refs = 1;
	numeric = kt_resolve(cfg->host, cfg->port, &t->addrs, 1) == 0;
	if (!numeric && (r = kt_resolve(cfg->host, cfg->port, &t->addrs,
	    0)) != 0) {
		snprintf(err, errlen, "cannot resolve %s: %s", cfg->host,
		    dg_strerror(r));
		free(t);
		return r;
	}
	if (cfg->tls && (r = k8s_tls_new(cfg, &t->tls, err, errlen)) != 0) {
		free(t);
		return r;
	}
	t->cfg = cfg;
	if (strchr(cfg->host, ':') != NULL)
		t->host_header = xasprintf("[%s]:%u", cfg->host, cfg->port);
	else
		t->host_header = xasprintf("%s:%u", cfg->host, cfg->port);
	t->verify_name = xstrdup(cfg->tls_server_name != NULL ?
	    cfg->tls_server_name : cfg->host);
	if (!numeric) {
		t->refresh = loop_timer_new(loop, kt_refresh, t);
		loop_timer_start(t->refresh, K8S_RESOLVE_REFRESH_MS);
	}
	*out = t;
	return 0;
}

void
k8s_target_ref(struct k8s_target *t)
{
	t->refs++;
}

void
k8s_target_quiesce(struct k8s_target *t)
{
	loop_timer_free(t->refresh);
	t->refresh = NULL;
}

void
k8s_target_unref(struct k8s_target *t)
{
	if (t == NULL || --t->refs > 0)
		return;
	loop_timer_free(t->refresh);
	k8s_tls_unref(t->tls);
	k8s_config_free(t->cfg);
	free(t->host_header);
	free(t->verify_name);
	freezero_str(t->auth);
	free(t);
}

const char *
k8s_target_auth(struct k8s_target *t)
{
	int r;

	r = k8s_config_token_refresh(t->cfg, loop_now(t->loop), 0);
	if (r < 0)
		log_error("kubernetes: cannot re-read token file %s: %s "
		    "(keeping the old token)", t->cfg->token_file,
		    dg_strerror(r));
	if (t->cfg->token == NULL)
		return NULL;
	if (t->auth == NULL || t->auth_gen != t->cfg->token_gen) {
		freezero_str(t->auth);
		t->auth = xasprintf("Bearer %s", t->cfg->token);
		t->auth_gen = t->cfg->token_gen;
	}
	return t->auth;
}

int
k8s_target_reauth(struct k8s_target *t)
{
	int r = k8s_config_token_refresh(t->cfg, loop_now(t->loop), 1);

	if (r < 0)
		log_error("kubernetes: cannot re-read token file %s: %s",
		    t->cfg->token_file, dg_strerror(r));
	return r == 1;
}
