/* k8s-config.h: where the Kubernetes API server is and how to authenticate
 * to it: kubeconfig (libyaml) or in-cluster service account. */
#ifndef DG_K8S_CONFIG_H
#define DG_K8S_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define K8S_SA_DIR	"/var/run/secrets/kubernetes.io/serviceaccount"
#define K8S_KUBECONFIG_MAX	(1u << 20)	/* bytes */
#define K8S_TOKEN_MAX		(64u << 10)
#define K8S_TOKEN_REREAD_MS	60000	/* re-read a token file this often */

struct k8s_config {
	char		*source;	/* "kubeconfig PATH (context C)" or
					   "in-cluster", for logs */
	char		*server;	/* scheme://host:port, no path */
	char		*base_path;	/* path prefix of server, "" usually */
	char		*host;		/* host, without IPv6 brackets */
	uint16_t	 port;
	int		 tls;		/* https */
	char		*namespace;	/* "default" unless set */
	unsigned char	*ca_pem;	/* CA bundle, NULL: system store */
	size_t		 ca_len;
	int		 insecure;	/* insecure-skip-tls-verify */
	char		*tls_server_name;	/* name to verify, or NULL */
	unsigned char	*cert_pem;	/* client certificate (chain) */
	size_t		 cert_len;
	unsigned char	*key_pem;	/* client key, secret */
	size_t		 key_len;
	char		*token;		/* bearer token, secret; NULL: none */
	char		*token_file;	/* re-read every minute and on 401 */
	uint64_t	 token_read_ms;	/* monotonic time of the last read */
	unsigned	 token_gen;	/* counts token changes */
};

/*
 * Parse kubeconfig text. dir resolves relative file paths; context NULL
 * means current-context. Unsupported auth (exec plugins, auth-provider,
 * basic auth) and proxy-url are refused with a message naming them.
 */
int	 k8s_config_parse(const char *text, size_t len, const char *dir,
	    const char *context, struct k8s_config **out, char *err,
	    size_t errlen);
/* Load a kubeconfig file. */
int	 k8s_config_load(const char *path, const char *context,
	    struct k8s_config **out, char *err, size_t errlen);
/* In-cluster: KUBERNETES_SERVICE_HOST/PORT and the service account files
 * in sa_dir (NULL: K8S_SA_DIR). */
int	 k8s_config_in_cluster(const char *sa_dir, struct k8s_config **out,
	    char *err, size_t errlen);
/*
 * The usual search: path if given; else the first entry of $KUBECONFIG;
 * else in-cluster when KUBERNETES_SERVICE_HOST is set (service account
 * directory from $DEVGATE_K8S_SA_DIR or K8S_SA_DIR); else ~/.kube/config.
 */
int	 k8s_config_auto(const char *path, struct k8s_config **out, char *err,
	    size_t errlen);
void	 k8s_config_free(struct k8s_config *);

/*
 * Re-read the token file if it is older than K8S_TOKEN_REREAD_MS at
 * now_ms, or always when force is set. Returns 1 if the token changed,
 * 0 if not (or there is no token file), or a DG_ERR_* when the file
 * could not be read (the old token stays).
 */
int	 k8s_config_token_refresh(struct k8s_config *, uint64_t now_ms,
	    int force);

/* Decode base64 (whitespace ignored) into a malloc'd buffer. */
int	 k8s_base64_decode(const char *in, size_t inlen, unsigned char **out,
	    size_t *outlen);
/* Read a whole file of at most max bytes (NUL-terminated copy). */
int	 k8s_read_file(const char *path, size_t max, unsigned char **out,
	    size_t *lenp);

#endif
