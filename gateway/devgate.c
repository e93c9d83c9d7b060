/* devgate.c: the devgate command: options, config check (-t), effective
 * config (-T), and the daemon's start. */
#include <stdio.h>
#include <string.h>

#include "config.h"

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "-V") == 0) {
		printf("devgate %s\n", PACKAGE_VERSION);
		return 0;
	}
	fprintf(stderr, "devgate: the gateway daemon is not built yet\n");
	return 1;
}
