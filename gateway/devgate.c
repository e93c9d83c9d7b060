/* devgate.c: the devgate command: options, config check (-t), effective
 * config (-T), subcommands (devgate dns ...), and the daemon's start. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#include "common/log.h"
#include "common/xmalloc.h"
#include "dns/dns-cmd.h"
#include "gateway/hostkey.h"
#include "gateway/servconf.h"
#include "gateway/supervisor.h"

/* Subcommands: "devgate NAME args..." runs main(argc - 1, argv + 1). */
struct devgate_subcmd {
	const char	*name;
	int		(*main)(int, char **);
	const char	*usage;
};

static int devgate_dns(int, char **);

static const struct devgate_subcmd devgate_subcmds[] = {
	{ "dns", devgate_dns, "dns [-f config_file] sync [--dry-run] | "
	    "check [zonefile] | queue | run" },
	{ NULL, NULL, NULL }
};

/* "devgate dns [-f CONFIG] ...": load the config as the daemon does, then
 * hand the dns area to dns_cmd_main(). */
static int
devgate_dns(int argc, char **argv)
{
	struct servconf *cf;
	const char *path = NULL;
	char err[1024], **av;
	int i, n = 0, r;

	av = xcalloc((size_t)argc + 1, sizeof(*av));
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-f") == 0 && i + 1 < argc) {
			path = argv[++i];
			continue;
		}
		av[n++] = argv[i];
	}
	log_init("devgate", LOG_L_INFO, LOG_FMT_TEXT, STDERR_FILENO);
	cf = xcalloc(1, sizeof(*cf));
	if ((r = servconf_load(cf, path, err, sizeof(err))) != 0) {
		fprintf(stderr, "devgate: %s\n", err);
		r = 1;
	} else {
		log_set_level((enum log_level)cf->gw.log_level);
		r = dns_cmd_main(cf->dns, n, av);
	}
	servconf_free(cf);
	free(cf);
	free(av);
	return r;
}

static void
devgate_usage(void)
{
	const struct devgate_subcmd *sc;

	fprintf(stderr,
	    "usage: devgate [-DdeTtV] [-f config_file] [-o option]\n");
	for (sc = devgate_subcmds; sc->name != NULL; sc++)
		fprintf(stderr, "       devgate %s\n", sc->usage);
	exit(2);
}

int
main(int argc, char **argv)
{
	const struct devgate_subcmd *sc;
	struct supervisor_opts opts;
	struct servconf *cf;
	const char *path = NULL;
	char err[1024];
	int ch, test = 0, dump = 0, debug = 0, r;

	if (argc > 1 && argv[1][0] != '-') {
		for (sc = devgate_subcmds; sc->name != NULL; sc++)
			if (strcmp(sc->name, argv[1]) == 0)
				return sc->main(argc - 1, argv + 1);
		fprintf(stderr, "devgate: unknown command \"%s\"\n", argv[1]);
		devgate_usage();
	}
	memset(&opts, 0, sizeof(opts));
	while ((ch = getopt(argc, argv, "DdeTtVf:")) != -1) {
		switch (ch) {
		case 'D':
			opts.foreground = 1;
			break;
		case 'd':
			opts.foreground = 1;
			debug++;
			break;
		case 'e':
			opts.log_stderr = 1;
			break;
		case 'f':
			path = optarg;
			break;
		case 'T':
			dump = 1;
			break;
		case 't':
			test = 1;
			break;
		case 'V':
			printf("devgate %s\n", PACKAGE_VERSION);
			return 0;
		default:
			devgate_usage();
		}
	}
	if (optind != argc)
		devgate_usage();
	log_init("devgate", LOG_L_INFO, LOG_FMT_TEXT, STDERR_FILENO);
	err[0] = '\0';
	cf = xcalloc(1, sizeof(*cf));
	if ((r = servconf_load(cf, path, err, sizeof(err))) != 0) {
		fprintf(stderr, "devgate: %s\n", err);
		servconf_free(cf);
		free(cf);
		return 1;
	}
	if (test || dump) {
		r = 0;
		if (hostkey_check_all(&cf->gw, err, sizeof(err)) != 0) {
			fprintf(stderr, "devgate: %s\n", err);
			r = 1;
		} else if (dump)
			servconf_dump(cf, stdout);
		servconf_free(cf);
		free(cf);
		return r;
	}
	opts.config_path = path;
	opts.debug = debug;
	r = supervisor_main(cf, &opts);
	return r == 0 ? 0 : 1;
}
