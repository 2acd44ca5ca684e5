/* SPDX-License-Identifier: MIT */
/*
 * main.c - fuzz_kho_blob without a fuzzing engine: the replay tool that
 * `meson test` runs, and the seed generator. A raw-bytes target has no op
 * program, so the op engine's tool (fuzz/common) does not apply.
 *
 *   fuzz_kho_blob [-q] FILE|DIR...        replay inputs; in a directory every
 *                                         file but traces (*.trace) and notes
 *                                         (*.txt), in name order
 *   fuzz_kho_blob --fault-sweep FILE|DIR...  each input once per bookkeeping
 *                                         allocation of its restore, failing it
 *   fuzz_kho_blob --print FILE            "# failure: ..." when it fails (run
 *                                         in a child, so a crash is reported
 *                                         too), then the input described
 *   fuzz_kho_blob --gen DIR               write the generated seeds
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "target.h"

struct opts {
	bool quiet, sweep;
	unsigned passed, failed;
	uint64_t sweep_runs;
};

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			cap = cap ? 2 * cap : 4096;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	fclose(f);
	*len = n;
	return buf;
}

static bool skipped_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] == '.' || (n > 6 && !strcmp(name + n - 6, ".trace")) ||
	       (n > 4 && !strcmp(name + n - 4, ".txt"));
}

static void run_file(struct opts *o, const char *path)
{
	char msg[512];
	size_t len;
	uint8_t *data = read_file(path, &len);
	uint64_t allocs = 0;
	const char *bad;

	if (!data) {
		fprintf(stderr, "FAIL %s: %s\n", path, strerror(errno));
		o->failed++;
		return;
	}
	bad = kb_run(data, len, o->sweep ? UINT64_MAX : 0, &allocs, msg, sizeof(msg));
	for (uint64_t k = 1; !bad && o->sweep && k <= allocs; k++) {
		o->sweep_runs++;
		bad = kb_run(data, len, k, NULL, msg, sizeof(msg));
		if (bad)
			fprintf(stderr, "with allocation %" PRIu64 " failed:\n", k);
	}
	if (bad) {
		fprintf(stderr, "FAIL %s: %s\n", path, bad);
		kb_describe(data, len, stderr);
		o->failed++;
	} else {
		if (!o->quiet)
			printf("ok   %s\n", path);
		o->passed++;
	}
	free(data);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_path(struct opts *o, const char *path)
{
	struct stat st;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	DIR *d;

	if (stat(path, &st)) {
		fprintf(stderr, "FAIL %s: %s\n", path, strerror(errno));
		o->failed++;
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		run_file(o, path);
		return;
	}
	if (!(d = opendir(path))) {
		o->failed++;
		return;
	}
	while ((e = readdir(d))) {
		char full[4096];

		if (skipped_name(e->d_name))
			continue;
		snprintf(full, sizeof(full), "%s/%s", path, e->d_name);
		if (stat(full, &st) || !S_ISREG(st.st_mode))
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		if (!names || !(names[n++] = strdup(full)))
			abort();
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		run_file(o, names[i]);
		free(names[i]);
	}
	free(names);
}

/* A signature names a bug, not one input of it: numbers become '#', so
 * that ci/fuzz keeps one crash per bug (the op engine does the same). */
static void print_signature(const char *kind, const char *s, size_t n)
{
	printf("# failure: %s", kind);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '0' && i + 1 < n && s[i + 1] == 'x') {
			i++;
			while (i + 1 < n && strchr("0123456789abcdefABCDEF", s[i + 1]))
				i++;
			putchar('#');
		} else if (s[i] >= '0' && s[i] <= '9') {
			while (i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9')
				i++;
			putchar('#');
		} else {
			putchar(s[i]);
		}
	}
	putchar('\n');
}

/* Run the input in a child; print its failure signature, if any. */
static int print_failure(const uint8_t *data, size_t len)
{
	int fds[2], status;
	char out[65536];
	size_t n = 0;
	ssize_t got;
	pid_t pid;

	if (pipe(fds))
		abort();
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		abort();
	if (pid == 0) {
		char msg[512];

		close(fds[0]);
		dup2(fds[1], 2);
		alarm(20);
		if (kb_run(data, len, 0, NULL, msg, sizeof(msg))) {
			dprintf(2, "KBSIG:%s\n", msg);
			_exit(3);
		}
		_exit(0);
	}
	close(fds[1]);
	while ((got = read(fds[0], out + n, sizeof(out) - 1 - n)) > 0 && n + (size_t)got < sizeof(out) - 1)
		n += (size_t)got;
	out[n] = 0;
	close(fds[0]);
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	{
		char *s = strstr(out, "KBSIG:"), *e;
		const char *kind = "";

		if (s) {
			s += 6;
		} else if ((s = strstr(out, "SUMMARY: "))) {
			kind = "crash:";
		}
		if (s) {
			e = strchr(s, '\n');
			print_signature(kind, s, e ? (size_t)(e - s) : strlen(s));
		} else {
			printf("# failure: crash:%s %d\n", WIFSIGNALED(status) ? "signal" : "exit",
			       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		}
	}
	return 1;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-q] FILE|DIR...            replay raw inputs (not *.trace, *.txt)\n"
		"       %s --fault-sweep FILE|DIR...   replay failing each bookkeeping allocation\n"
		"       %s --print FILE                failure signature and a description\n"
		"       %s --gen DIR                   write the generated seeds\n",
		argv0, argv0, argv0, argv0);
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	int i = 1;

	if (argc >= 3 && !strcmp(argv[1], "--gen")) {
		int n = kb_gen(argv[2]);

		if (n < 0) {
			fprintf(stderr, "--gen: cannot write every seed into %s\n", argv[2]);
			return 1;
		}
		printf("kho_blob: %d seeds in %s\n", n, argv[2]);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "--print")) {
		size_t len;
		uint8_t *data = read_file(argv[2], &len);
		int bad;

		if (!data) {
			fprintf(stderr, "%s: %s\n", argv[2], strerror(errno));
			return 2;
		}
		bad = print_failure(data, len);
		kb_describe(data, len, stdout);
		free(data);
		return bad;
	}
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-q")) {
			o.quiet = true;
		} else if (!strcmp(argv[i], "--fault-sweep")) {
			o.sweep = true;
		} else {
			usage(argv[0]);
			return 2;
		}
	}
	if (i >= argc) {
		usage(argv[0]);
		return 2;
	}
	for (; i < argc; i++)
		run_path(&o, argv[i]);
	if (o.sweep)
		printf("kho_blob: fault sweep: %" PRIu64 " replays with one allocation failed\n",
		       o.sweep_runs);
	printf("kho_blob: %u passed, %u failed\n", o.passed, o.failed);
	return o.failed ? 1 : 0;
}
