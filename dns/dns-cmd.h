/* dns-cmd.h: the "devgate dns ..." subcommands: sync (reconcile the zone
 * with the environments, --dry-run), check (the registry), queue (what is
 * waiting to be published), run (the DNS controller in the foreground). */
#ifndef DG_DNS_CMD_H
#define DG_DNS_CMD_H

struct dns_config;

/* argv[0] is "dns"; the config is loaded by the caller (devgate -f).
 * Prints what it does on stdout, problems on stderr; returns the exit
 * status (0 ok, 1 failure, 2 usage). */
int	 dns_cmd_main(const struct dns_config *, int argc, char **argv);

#endif
