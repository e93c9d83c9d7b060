/* fuzz-main.c: replay driver for fuzz targets built without libFuzzer: runs
 * every file of the target's seed corpus (or the files given as arguments)
 * so `make check` exercises each parser on its corpus. */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"

static int
fuzz_main_run(const char *path)
{
	FILE *f;
	unsigned char *buf;
	long len;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (len < 0 || (buf = malloc(len ? (size_t)len : 1)) == NULL ||
	    fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "%s: read error\n", path);
		fclose(f);
		return 1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	char dir[4096], path[8192], *name, *self;
	const char *top;
	struct dirent *de;
	DIR *d;
	int i, n = 0, bad = 0;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			bad |= fuzz_main_run(argv[i]);
		return bad;
	}
	self = strdup(argv[0]);
	name = basename(self);
	if (strncmp(name, "lt-", 3) == 0)
		name += 3;
	if ((top = getenv("top_srcdir")) == NULL &&
	    (top = getenv("srcdir")) == NULL)
		top = ".";
	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", top, name);
	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		free(self);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		bad |= fuzz_main_run(path);
		n++;
	}
	closedir(d);
	printf("%s: %d corpus inputs replayed\n", name, n);
	free(self);
	return bad || n == 0;
}
