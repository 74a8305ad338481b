/* SPDX-License-Identifier: MIT */
/*
 * The explorer helpers the model tests share: the options every test
 * explores with (seed 1, stop at the first violation, no progress), a
 * "stays clean" check and a "found, and the schedule replays to the same
 * report" check, and a "stays clean on the real engine" check.  Include
 * after <cmocka.h>.  Tests only; no locking (one
 * OS thread).
 */
#ifndef SECMMU_TESTS_EXPLORE_HELPERS_H
#define SECMMU_TESTS_EXPLORE_HELPERS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"

static inline struct explore_opts xopts(enum strategy s, unsigned long iters,
					int bound)
{
	return (struct explore_opts){ .strategy = s,
				      .seed = 1,
				      .iterations = iters,
				      .bound = bound,
				      .progress_fd = -1,
				      .stop_on_violation = true };
}

/* what explore_expect_clean() insists on besides "no violation" */
enum {
	XCLEAN_EXHAUSTED = 1 << 0, /* a DFS run covers every schedule */
	XCLEAN_ALL_RUNS = 1 << 1, /* any other runs all @iters executions */
};

/* @m explored with @s finds nothing; prints the first report if it does */
static inline void explore_expect_clean(const struct model *m, enum strategy s,
					unsigned long iters, int bound,
					unsigned int flags)
{
	struct explore_opts o = xopts(s, iters, bound);
	struct explore_result r;

	assert_int_equal(explore(m, &o, &r), 0);
	if (r.first_report)
		fprintf(stderr, "%s: %s\nschedule %s\n", m->name,
			r.first_report, r.first_schedule);
	assert_int_equal(r.violating, 0);
	if (s == STRAT_DFS) {
		if (flags & XCLEAN_EXHAUSTED)
			assert_true(r.exhausted);
	} else if (flags & XCLEAN_ALL_RUNS) {
		assert_int_equal(r.executions, iters);
	}
	explore_result_free(&r);
}

static inline bool xstr_in(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strstr(s, *list))
			return true;
	return false;
}

/*
 * @m explored with @s finds a violation whose kind is one of @kinds and
 * whose report contains one of @texts (NULL: any text); the first
 * schedule replays to a violation of the same kind with the same report.
 */
static inline void explore_expect_found(const struct model *m, enum strategy s,
					unsigned long iters, int bound,
					const char *const *kinds,
					const char *const *texts)
{
	struct explore_opts o = xopts(s, iters, bound);
	struct explore_result r, rr;
	const char *const *k;
	char *sched;

	assert_int_equal(explore(m, &o, &r), 0);
	assert_true(r.first_violation > 0);
	for (k = kinds; *k && strcmp(r.first_kind, *k); k++)
		;
	if (!*k)
		fail_msg("%s: found %s, expected %s%s", m->name, r.first_kind,
			 kinds[0], kinds[1] ? " or another listed kind" : "");
	if (texts && !xstr_in(r.first_report, texts))
		fail_msg("%s: report \"%s\" lacks \"%s\"%s", m->name,
			 r.first_report, texts[0],
			 texts[1] ? " or another listed text" : "");
	assert_non_null(r.first_schedule);
	sched = strdup(r.first_schedule);
	o = xopts(STRAT_REPLAY, 1, -1);
	o.schedule = sched;
	assert_int_equal(explore(m, &o, &rr), 0);
	assert_int_equal(rr.first_violation, 1);
	assert_string_equal(rr.first_kind, r.first_kind);
	assert_string_equal(rr.first_report, r.first_report);
	explore_result_free(&rr);
	free(sched);
	explore_result_free(&r);
}

/* @iters threaded runs of @m (seed 1, @delay_pct delays) find nothing */
static inline void real_expect_clean(const struct model *m, unsigned long iters,
				     unsigned int delay_pct)
{
	struct explore_result r;

	assert_int_equal(run_real(m, iters, delay_pct, 1, &r), 0);
	if (r.first_report)
		fprintf(stderr, "%s\n", r.first_report);
	assert_int_equal(r.violating, 0);
	explore_result_free(&r);
}

/* a one-entry list for explore_expect_found()'s @kinds or @texts */
#define XONE(s) ((const char *const[]){ (s), NULL })

#endif /* SECMMU_TESTS_EXPLORE_HELPERS_H */
