// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the scenario loader (and, for small scenarios,
 * the runner).  Built only with `-Dfuzz=true` and clang; see
 * docs/scenario-format.md for the command.
 *
 * Properties checked on every input:
 *   - the loader never crashes, leaks or reads out of bounds (ASan/UBSan);
 *   - a rejected input gives one line "fuzz.yaml:LINE:COL: problem";
 *   - a scenario that loads and is small runs one deterministic execution
 *     without crashing (reports are fine: the file may describe a bug).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/scenario.h"

#define FUZZ_MAX_WORK 2000

static unsigned long ops_work(const struct sc_op *ops, int nr)
{
	unsigned long w = 0, body;
	int i;

	for (i = 0; i < nr; i++) {
		if (ops[i].type) {
			w++;
			continue;
		}
		body = ops_work(ops[i].body, ops[i].nr_body);
		if (body && (unsigned long)ops[i].times > FUZZ_MAX_WORK / body)
			return FUZZ_MAX_WORK + 1;
		w += body * ops[i].times;
		if (w > FUZZ_MAX_WORK)
			return w;
	}
	return w;
}

static unsigned long work(const struct scenario *sc)
{
	unsigned long w = 0, a;
	int i;

	for (i = 0; i < sc->nr_agents; i++) {
		a = ops_work(sc->agents[i].ops, sc->agents[i].nr_ops);
		if (a > FUZZ_MAX_WORK ||
		    (unsigned long)sc->agents[i].repeat * sc->agents[i].copies >
			    FUZZ_MAX_WORK / (a ? a : 1))
			return FUZZ_MAX_WORK + 1;
		w += a * sc->agents[i].repeat * sc->agents[i].copies;
	}
	return w;
}

static void check_message(const char *err)
{
	unsigned line, col;
	int n = 0;

	if (sscanf(err, "fuzz.yaml:%u:%u: %n", &line, &col, &n) != 2 || !n ||
	    !line || !col || !err[n] || strchr(err, '\n')) {
		fprintf(stderr, "bad error message: '%s'\n", err);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct explore_opts o = { .strategy = STRAT_RANDOM,
				  .seed = size,
				  .iterations = 1,
				  .bound = -1,
				  .max_steps = 5000,
				  .progress_fd = -1 };
	struct explore_result r;
	struct scenario *sc;
	char err[1024];

	sc = scenario_load_buffer("fuzz.yaml", (const char *)data, size, err,
				  sizeof(err));
	if (!sc) {
		check_message(err);
		return 0;
	}
	if (work(sc) <= FUZZ_MAX_WORK && !explore(scenario_model(sc), &o, &r))
		explore_result_free(&r);
	scenario_free(sc);
	return 0;
}
