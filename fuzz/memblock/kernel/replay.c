// SPDX-License-Identifier: MIT
/*
 * replay.c - fuzz_memblock_kernel's standalone tool: fz_main, except for
 * traces. A trace's own expectations ("-> result" and "expect" lines) state
 * what lib/memblock.c does; against the kernel the model in its kernel
 * profile says what must happen, so a trace is replayed without them: its
 * ops on both sides, compared after each op as for any input. A trace whose
 * header has a line "# kernel-differs: REASON" is expected to fail against
 * the kernel (each such trace runs in a child; it passing is the failure:
 * the header must lose the line). Inputs in a corpus named trace-NAME stand
 * for regress trace NAME and follow its header.
 *
 * usage: fuzz_memblock_kernel [-q] FILE|DIR...   (replay, as above)
 *        fuzz_memblock_kernel --print|--shrink|--encode ...   (fz_main's)
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fz.h"

/* shim.c: fence off the known findings (corpus inputs) or not (traces). */
extern bool kernel_fenced;

#define MAX_FILES 8192

static char *files[MAX_FILES];
static int nfiles;

static void add(const char *path)
{
	if (nfiles == MAX_FILES) {
		fprintf(stderr, "too many inputs\n");
		exit(2);
	}
	files[nfiles++] = strdup(path);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_path(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int first = nfiles;

	if (!d) {
		add(path);
		return;
	}
	while ((e = readdir(d))) {
		char buf[4096];

		if (e->d_name[0] == '.')
			continue;
		snprintf(buf, sizeof(buf), "%s/%s", path, e->d_name);
		add(buf);
	}
	closedir(d);
	qsort(files + first, (size_t)(nfiles - first), sizeof(*files), cmp_str);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* The marked traces, by name without .trace. */
static char *differs[MAX_FILES];
static int ndiffers;

static bool marked(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	bool m = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f) && line[0] == '#')
		if (!strncmp(line, "# kernel-differs:", 17))
			m = true;
	fclose(f);
	return m;
}

static bool stands_for_marked(const char *path)
{
	const char *b = base_name(path);

	if (strncmp(b, "trace-", 6))
		return false;
	for (int i = 0; i < ndiffers; i++)
		if (!strcmp(differs[i], b + 6))
			return true;
	return false;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = 0;
	fclose(f);
	return buf;
}

/* A trace without its expectations: true when the kernel and the model agree. */
static bool run_trace(const char *path, bool quiet)
{
	static struct fz_prog p;
	static struct fz_failure f;
	char err[512], *text = slurp(path);
	bool ok;

	if (!text || fz_parse(fz_the_target, text, &p, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", path, text ? err : "cannot read");
		free(text);
		return false;
	}
	free(text);
	for (unsigned i = 0; i < p.nops; i++) {
		p.ops[i].has_want = false;
		free(p.ops[i].expects);
		p.ops[i].expects = NULL;
	}
	free(p.head_expects);
	p.head_expects = NULL;
	kernel_fenced = false;
	ok = fz_run(fz_the_target, &p, NULL, &f);
	if (!ok && !quiet)
		printf("FAIL %s\n%s\n", path, f.msg);
	fz_prog_free(&p);
	return ok;
}

/* A marked trace, alone, in a child: true when it fails as expected. */
static bool still_differs(const char *path)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	int st;

	if (pid < 0)
		return false;
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(3);
		_exit(run_trace(path, true) ? 0 : 1);
	}
	if (waitpid(pid, &st, 0) != pid)
		return false;
	return !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(int argc, char **argv)
{
	char **args;
	int nargs = 0, rc = 0, first = 1, ntraces = 0;

	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-' && strcmp(argv[i], "-q"))
			return fz_main(fz_the_target, argc, argv); /* fenced as a campaign is */
	if (argc > 1 && !strcmp(argv[1], "-q"))
		first = 2;
	for (int i = first; i < argc; i++)
		add_path(argv[i]);
	for (int i = 0; i < nfiles; i++)
		if (ends_with(files[i], ".trace") && marked(files[i])) {
			char *name = strdup(base_name(files[i]));

			name[strlen(name) - 6] = 0;
			differs[ndiffers++] = name;
		}

	args = calloc((size_t)nfiles + 3, sizeof(*args));
	if (!args)
		return 2;
	args[nargs++] = argv[0];
	if (first == 2)
		args[nargs++] = "-q";
	for (int i = 0; i < nfiles; i++) {
		if (ends_with(files[i], ".trace") && marked(files[i])) {
			if (still_differs(files[i])) {
				if (first != 2)
					printf("ok %s (differs on the kernel, as its header says)\n",
					       files[i]);
			} else {
				printf("FAIL %s: marked kernel-differs, but the kernel agrees now\n",
				       files[i]);
				rc = 1;
			}
			continue;
		}
		if (ends_with(files[i], ".trace")) {
			ntraces++;
			if (!run_trace(files[i], false))
				rc = 1;
			continue;
		}
		if (stands_for_marked(files[i]))
			continue;
		args[nargs++] = files[i];
	}
	kernel_fenced = true;
	if (nargs > first && fz_main(fz_the_target, nargs, args) != 0)
		rc = 1;
	printf("%s: %d traces replayed, %d of them differ on the kernel as marked\n",
	       base_name(argv[0]), ntraces + ndiffers, ndiffers);
	free(args);
	for (int i = 0; i < nfiles; i++)
		free(files[i]);
	for (int i = 0; i < ndiffers; i++)
		free(differs[i]);
	return rc;
}
