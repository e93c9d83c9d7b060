/* servconf-kw.h: internal to the gateway config: helpers shared by its
 * files and the custom keywords defined in servconf-env.c. */
#ifndef DG_SERVCONF_KW_H
#define DG_SERVCONF_KW_H

#include <stddef.h>
#include <stdio.h>

#include "common/conf.h"

/* A numeric IPv4/IPv6 address in canonical text, or DG_ERR_INVAL. */
int	 servconf_canon_addr(const char *in, char *out, size_t outlen);

/* EnvironmentAddress NAME ADDRESS. */
int	 servconf_env_addr_parse(const struct conf_keyword *, void *, int,
	    char **, char *, size_t);
void	 servconf_env_addr_dump(const struct conf_keyword *, const void *,
	    FILE *);
void	 servconf_env_addr_free(void *);
void	 servconf_env_addr_copy(void *, const void *);
/* Environment NAME owner=USER [members=...] [team=T] [profile=P]. */
int	 servconf_env_def_parse(const struct conf_keyword *, void *, int,
	    char **, char *, size_t);
void	 servconf_env_def_dump(const struct conf_keyword *, const void *,
	    FILE *);
void	 servconf_env_def_free(void *);
void	 servconf_env_def_copy(void *, const void *);

#endif
