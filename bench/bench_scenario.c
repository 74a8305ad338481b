// SPDX-License-Identifier: MIT
/*
 * bench_scenario: what scenario files cost (issue 6's benchmarks).
 *
 *   1. load time: the shipped lost-update demo and a generated file with
 *      52 agents, 200 objects and loops (parse + compile + free), us/load;
 *   2. per-execution cost: explorer executions/s of the lost-update
 *      scenario (the C model of the same program is gone: the race is
 *      written once, as scenarios/demos/lost-update.yaml).
 *
 * Figures are printed, never asserted; the exit status is nonzero only if
 * a load or a run fails or finds the wrong result.
 *
 * Locking: single-threaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "scenario/scenario.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static const char lost[] =
	"name: lost-update\n"
	"world:\n  counters: {x: 0}\n"
	"agents:\n  - name: inc\n    copies: 2\n    ops:\n      - inc: x\n"
	"final:\n  - {check: counter x == 2, violation: lost-update}\n"
	"expect: lost-update\n";

static char *big_scenario(size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	int i;

	fprintf(f, "name: big\nworld:\n  mutexes: [");
	for (i = 0; i < 100; i++)
		fprintf(f, "%sm%d", i ? ", " : "", i);
	fprintf(f, "]\n  counters:\n");
	for (i = 0; i < 100; i++)
		fprintf(f, "    c%d: %d\n", i, i);
	fprintf(f, "agents:\n");
	for (i = 0; i < 52; i++)
		fprintf(f,
			"  - name: a%d\n    repeat: 2\n    ops:\n"
			"      - lock: m%d\n      - inc: c%d\n      - unlock: m%d\n"
			"      - loop: {times: 3, ops: [atomic_inc: c%d, sched]}\n"
			"      - read: {counter: c%d, expect: %d}\n",
			i, i, i, i, (i + 1) % 100, i, i);
	fprintf(f, "final:\n  - counter c0 >= 0\n");
	fclose(f);
	return buf;
}

static int bench_load(const char *what, const char *text, size_t len)
{
	double t0, t;
	char err[512];
	int i, n = 0;

	t0 = now();
	do {
		for (i = 0; i < 100; i++, n++) {
			struct scenario *sc = scenario_load_buffer(what, text, len,
								   err, sizeof(err));

			if (!sc) {
				fprintf(stderr, "%s\n", err);
				return 1;
			}
			scenario_free(sc);
		}
		t = now() - t0;
	} while (t < 0.3);
	printf("scenario-load-%s: %.1f us/load (%zu bytes)\n", what,
	       t / n * 1e6, len);
	return 0;
}

static int bench_explore(const char *what, const struct model *m)
{
	struct explore_opts o = { .strategy = STRAT_RANDOM,
				  .seed = 1,
				  .iterations = 20000,
				  .bound = -1,
				  .progress_fd = -1 };
	struct explore_result r;

	if (explore(m, &o, &r) || r.violating == 0) {
		fprintf(stderr, "%s: explore failed or found nothing\n", what);
		return 1;
	}
	printf("explore-lost-update-%s: %.0f executions/s\n", what,
	       r.executions / r.seconds);
	explore_result_free(&r);
	return 0;
}

int main(void)
{
	struct scenario *sc;
	char err[512];
	size_t len;
	char *big = big_scenario(&len);
	int bad = 0;

	bad |= bench_load("lost-update", lost, strlen(lost));
	bad |= bench_load("big", big, len);
	free(big);
	sc = scenario_load_buffer("lost", lost, strlen(lost), err, sizeof(err));
	if (!sc) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	bad |= bench_explore("scenario", scenario_model(sc));
	scenario_free(sc);
	return bad;
}
