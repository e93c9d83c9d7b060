/* backend-k8s.h: the Kubernetes environment backend: environments are
 * pods labelled devgate.dev/env and devgate.dev/owner; sessions are
 * pods/exec and pods/portforward WebSocket streams. */
#ifndef DG_BACKEND_K8S_H
#define DG_BACKEND_K8S_H

#include <stddef.h>

#include "gateway/backend.h"
#include "gateway/k8s-stream.h"

struct loop;
struct k8s_config;
struct k8s_api;

/*
 * Create the backend. cfg is taken over on success (freed with the
 * backend, after its last stream). opts may be NULL for the defaults
 * (k8s-stream.h). On failure err says why (for the log).
 */
int	 backend_k8s_new(struct loop *, struct k8s_config *cfg,
	    const struct k8s_stream_opts *opts, struct backend **,
	    char *err, size_t errlen);
/* The REST client, for the lifecycle layer (watch, patch, events). */
struct k8s_api *backend_k8s_api(struct backend *);

#endif
