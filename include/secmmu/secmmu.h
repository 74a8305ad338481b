/* SPDX-License-Identifier: MIT */
/*
 * libsecmmu public API.  Everything exported carries the secmmu_ prefix;
 * the rest of the library is hidden (-fvisibility=hidden).
 */
#ifndef SECMMU_SECMMU_H
#define SECMMU_SECMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SECMMU_VERSION "0.1.0"

/** secmmu_version - the library's version string */
const char *secmmu_version(void);

enum secmmu_strategy {
	SECMMU_STRATEGY_RANDOM,
	SECMMU_STRATEGY_PCT,
	SECMMU_STRATEGY_DFS,
	SECMMU_STRATEGY_REPLAY,
};

struct secmmu_explore_opts {
	enum secmmu_strategy strategy;
	uint64_t seed;
	unsigned long iterations; /* 0: until exhausted (dfs) */
	int bound;		  /* dfs preemption bound, -1 = unbounded */
	int depth;		  /* pct depth */
	unsigned long max_steps;  /* livelock bound per execution */
	const char *schedule;	  /* replay */
	bool trace;
};

struct secmmu_result {
	unsigned long executions;
	unsigned long violating;
	unsigned long first_violation; /* 1-based; 0 = none */
	uint64_t first_seed;
	char first_kind[40];
	char *first_schedule; /* owned by the result */
	char *first_report;
	char *trace_json;
	char *trace_text;
	bool exhausted;
	double seconds;
};

/**
 * secmmu_model_name - name of built-in model @i, NULL past the end
 */
const char *secmmu_model_name(unsigned i);
const char *secmmu_model_desc(unsigned i);

/**
 * secmmu_explore - explore built-in model @model under the deterministic
 * engine.  Returns 0, -ENOENT for an unknown model, -EINVAL for bad
 * options.  Free the result with secmmu_result_free().
 */
int secmmu_explore(const char *model, const struct secmmu_explore_opts *o,
		   struct secmmu_result *r);

/**
 * secmmu_explore_file - load the scenario file @path (YAML, see
 * docs/scenario-format.md) and explore it with its own policy under the
 * deterministic engine.  Returns 0; -EINVAL with a one-line
 * "FILE:LINE:COL: problem" in @err (@errlen bytes) when the file does not
 * load, or for bad options.  The result says what was found; comparing it
 * with the file's `expect` is the caller's (secmmu run does it).
 */
int secmmu_explore_file(const char *path, const struct secmmu_explore_opts *o,
			struct secmmu_result *r, char *err, size_t errlen);
void secmmu_result_free(struct secmmu_result *r);

#ifdef __cplusplus
}
#endif
#endif
