/* SPDX-License-Identifier: MIT */
/*
 * Failure files: one violation found by `secmmu run/explore
 * --save-failure FILE`, written as a small JSON object that `secmmu
 * replay FILE` runs again exactly.  The object is recognised by its
 * "secmmu_failure" key (the format version, 1).
 *
 * Simplifications: the file names its scenario by the path given on the
 * command line (relative to where secmmu ran) and by its absolute path,
 * and records a hash of the scenario's text: a replay runs the first of
 * the two whose text has that hash, and refuses when neither has; it
 * does not embed the scenario.
 *
 * Locking: none; the CLI is single-threaded.
 */
#ifndef SECMMU_TOOLS_FAILURE_H
#define SECMMU_TOOLS_FAILURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FAILURE_FORMAT 1
#define FAILURE_MAX_SETS 64

struct failure {
	char *model; /* a built-in model, or NULL */
	char *scenario; /* a scenario file's path, or NULL */
	char *scenario_hash; /* FNV-1a 64 of the scenario's text, hex */
	char *scenario_abs; /* its absolute path, tried when the path fails */
	char *policy; /* --policy, or NULL */
	char *sets[FAILURE_MAX_SETS]; /* every --set KNOB=VALUE, in order */
	int nr_sets;
	char *strategy; /* how it was found: random, pct, dfs, replay */
	uint64_t seed; /* the execution's seed */
	unsigned long execution, jobs, max_steps;
	char *schedule;
	char *kind;
	bool replay_verified;
	char *version; /* of the secmmu that wrote it */
	char *command; /* the replay command, for people */
};

/* does @path look like a failure file (a JSON object with the key)? */
bool failure_file_sniff(const char *path);
/*
 * Does @buf (NUL-terminated) hold JSON, so that `replay` reads it as a
 * failure file?  Its first non-blank character is '{' or '['; scenario
 * files are YAML block mappings and never start so.
 */
bool failure_looks_json(const char *buf);
/* @path's content (at most 1 MiB), NUL-terminated; NULL with errno set */
char *failure_slurp(const char *path, size_t *lenp);
/* 0, or -1 with "PATH: problem" in @err */
int failure_load(const char *path, struct failure *f, char *err, size_t len);
/* the same, from @path's content already read into @buf */
int failure_load_buffer(const char *path, const char *buf, size_t n,
			struct failure *f, char *err, size_t len);
int failure_write(const char *path, const struct failure *f, char *err,
		  size_t len);
void failure_free(struct failure *f);
/* FNV-1a 64 of @path's content as 16 hex digits in @out; -1 on error */
int failure_hash_file(const char *path, char out[17]);

#endif
