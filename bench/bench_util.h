/* SPDX-License-Identifier: MIT */
/*
 * What every benchmark shares: a monotonic clock, figures kept for the
 * closing summary, and "broken" checks that make the exit status nonzero
 * when a model gives a wrong answer (never for timing).  Each benchmark is
 * its own program, so the state here is per process; the library itself
 * keeps no globals.
 */
#ifndef SECMMU_BENCH_UTIL_H
#define SECMMU_BENCH_UTIL_H

#include <stdio.h>
#include <time.h>

#define BENCH_MAX_FIGURES 64

struct bench_figure {
	char name[64];
	double value;
	const char *unit;
};

static struct bench_figure bench_figures[BENCH_MAX_FIGURES];
static int bench_nr_figures;
static int bench_failures;
static const char *bench_name = "bench";

static inline void figure(const char *name, double value, const char *unit)
{
	printf("%s: %.1f %s\n", name, value, unit);
	if (bench_nr_figures < BENCH_MAX_FIGURES) {
		struct bench_figure *f = &bench_figures[bench_nr_figures++];

		snprintf(f->name, sizeof(f->name), "%s", name);
		f->value = value;
		f->unit = unit;
	}
	fflush(stdout);
}

static inline void broken(const char *what)
{
	fprintf(stderr, "%s: BROKEN: %s\n", bench_name, what);
	bench_failures++;
}

static inline double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

#endif
