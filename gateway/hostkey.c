/* hostkey.c: the server's host keys: check, generate when missing (type
 * from the file name or HostKeyType), load into a libssh bind. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh/libssh.h>
#include <libssh/server.h>

#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "gateway/hostkey.h"

int
hostkey_type_for(const char *path, int def)
{
	const char *base = strrchr(path, '/');

	base = base != NULL ? base + 1 : path;
	if (strstr(base, "ed25519") != NULL)
		return HOSTKEY_ED25519;
	if (strstr(base, "ecdsa") != NULL)
		return HOSTKEY_ECDSA;
	if (strstr(base, "rsa") != NULL)
		return HOSTKEY_RSA;
	return def;
}

static int
hostkey_load(const char *path, ssh_key *keyp, char *err, size_t errlen)
{
	ssh_key key = NULL;
	struct stat st;

	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "HostKey %s: %s", path, strerror(errno));
		return DG_ERR_SYSTEM;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "HostKey %s: not a regular file", path);
		return DG_ERR_INVAL;
	}
	if (ssh_pki_import_privkey_file(path, NULL, NULL, NULL, &key) !=
	    SSH_OK || key == NULL || !ssh_key_is_private(key)) {
		ssh_key_free(key);
		snprintf(err, errlen, "HostKey %s: not a private key libssh "
		    "can read (OpenSSH or PEM format, no passphrase)", path);
		return DG_ERR_PARSE;
	}
	*keyp = key;
	return 0;
}

int
hostkey_check_all(const struct gateway_config *gw, char *err, size_t errlen)
{
	ssh_key key;
	size_t i;
	int r;

	for (i = 0; i < gw->hostkeys.n; i++) {
		if (access(gw->hostkeys.v[i], F_OK) != 0 && errno == ENOENT)
			continue;	/* generated at start */
		if ((r = hostkey_load(gw->hostkeys.v[i], &key, err,
		    errlen)) != 0)
			return r;
		ssh_key_free(key);
	}
	return 0;
}

/* mkdir -p, mode 0700 for what it creates. */
static int
hostkey_mkdirs(const char *dir)
{
	char *p = xstrdup(dir), *s;
	int r = 0;

	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			r = DG_ERR_SYSTEM;
		*s = '/';
	}
	if (r == 0 && mkdir(p, 0700) != 0 && errno != EEXIST)
		r = DG_ERR_SYSTEM;
	free(p);
	return r;
}

static int
hostkey_write(const char *path, const char *text, mode_t mode)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	size_t len = strlen(text), off = 0;
	ssize_t n;
	int fd, r = DG_ERR_SYSTEM;

	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    mode)) < 0)
		goto out;
	while (off < len) {
		if ((n = write(fd, text + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			unlink(tmp);
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		goto out;
	}
	r = 0;
out:
	free(tmp);
	return r;
}

static int
hostkey_generate(const char *path, int type, char *err, size_t errlen)
{
	static const struct {
		enum ssh_keytypes_e	 t;
		int			 bits;
		const char		*name;
	} kinds[] = {
		{ SSH_KEYTYPE_ED25519, 0, "ed25519" },
		{ SSH_KEYTYPE_ECDSA_P256, 256, "ecdsa" },
		{ SSH_KEYTYPE_RSA, 3072, "rsa" },
	};
	ssh_key key = NULL;
	char *priv = NULL, *pub = NULL, *pubpath = NULL, *pubtext = NULL;
	char *dir = NULL, *tmp;
	int r = DG_ERR_CRYPTO;

	tmp = xstrdup(path);
	dir = xstrdup(dirname(tmp));
	free(tmp);
	if (hostkey_mkdirs(dir) != 0) {
		snprintf(err, errlen, "HostKey %s: cannot create %s: %s", path,
		    dir, strerror(errno));
		r = DG_ERR_SYSTEM;
		goto out;
	}
	if (ssh_pki_generate(kinds[type].t, kinds[type].bits, &key) != SSH_OK ||
	    ssh_pki_export_privkey_base64(key, NULL, NULL, NULL, &priv) !=
	    SSH_OK || ssh_pki_export_pubkey_base64(key, &pub) != SSH_OK) {
		snprintf(err, errlen, "HostKey %s: cannot generate an %s key",
		    path, kinds[type].name);
		goto out;
	}
	pubpath = xasprintf("%s.pub", path);
	pubtext = xasprintf("%s %s devgate host key\n",
	    ssh_key_type_to_char(ssh_key_type(key)), pub);
	if (hostkey_write(path, priv, 0600) != 0 ||
	    hostkey_write(pubpath, pubtext, 0644) != 0) {
		snprintf(err, errlen, "HostKey %s: cannot write: %s", path,
		    strerror(errno));
		r = DG_ERR_SYSTEM;
		goto out;
	}
	log_info("generated %s host key %s", kinds[type].name, path);
	r = 0;
out:
	if (priv != NULL)
		freezero(priv, strlen(priv));
	ssh_string_free_char(pub);
	free(pubpath);
	free(pubtext);
	free(dir);
	ssh_key_free(key);
	return r;
}

int
hostkey_prepare_all(const struct gateway_config *gw, char *err,
    size_t errlen)
{
	const char *path;
	size_t i;
	int r;

	for (i = 0; i < gw->hostkeys.n; i++) {
		path = gw->hostkeys.v[i];
		if (access(path, F_OK) != 0 && errno == ENOENT &&
		    (r = hostkey_generate(path, hostkey_type_for(path,
		    gw->hostkey_type), err, errlen)) != 0)
			return r;
	}
	return hostkey_check_all(gw, err, errlen);
}

int
hostkey_load_all(const struct gateway_config *gw, struct ssh_bind_struct *b,
    char *err, size_t errlen)
{
	ssh_key key;
	size_t i;
	int r;

	for (i = 0; i < gw->hostkeys.n; i++) {
		if ((r = hostkey_load(gw->hostkeys.v[i], &key, err,
		    errlen)) != 0)
			return r;
		/* The bind owns the key from here. */
		if (ssh_bind_options_set(b, SSH_BIND_OPTIONS_IMPORT_KEY,
		    key) != SSH_OK) {
			snprintf(err, errlen, "HostKey %s: %s",
			    gw->hostkeys.v[i], ssh_get_error(b));
			ssh_key_free(key);
			return DG_ERR_INVAL;
		}
	}
	return 0;
}
