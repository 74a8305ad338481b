// SPDX-License-Identifier: MIT
/*
 * Parallel exploration (explore_parallel): for random, pct and dfs the
 * merged result equals explore()'s with the same options, field by
 * field; the dfs split's subtrees partition the walk; options that
 * cannot be split are refused; a worker that fails or dies is reported.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/locking.h"
#include "engine/engine.h"
#include "scenario/builtin.h"
#include "shipped.h"

static struct explore_opts opts(enum strategy s, unsigned long iters)
{
	return (struct explore_opts){ .strategy = s,
				      .seed = 1,
				      .iterations = iters,
				      .bound = -1,
				      .progress_fd = -1,
				      .stop_on_violation = true };
}

static void assert_str_eq(const char *a, const char *b)
{
	assert_string_equal(a ? a : "(null)", b ? b : "(null)");
}

/* everything a report prints, equal in @a and @b */
static void assert_same(const struct explore_result *a,
			const struct explore_result *b)
{
	int i;

	assert_int_equal(a->executions, b->executions);
	assert_int_equal(a->violating, b->violating);
	assert_int_equal(a->nr_kinds, b->nr_kinds);
	for (i = 0; i < a->nr_kinds; i++) {
		assert_string_equal(a->kinds[i].kind, b->kinds[i].kind);
		assert_int_equal(a->kinds[i].count, b->kinds[i].count);
		assert_int_equal(a->kinds[i].first_exec,
				 b->kinds[i].first_exec);
	}
	assert_int_equal(a->first_violation, b->first_violation);
	assert_int_equal(a->first_seed, b->first_seed);
	assert_int_equal(a->first_hit, b->first_hit);
	assert_string_equal(a->first_kind, b->first_kind);
	assert_str_eq(a->first_schedule, b->first_schedule);
	assert_str_eq(a->first_report, b->first_report);
	assert_int_equal(a->replay_verified, b->replay_verified);
	assert_str_eq(a->trace_json, b->trace_json);
	assert_str_eq(a->trace_text, b->trace_text);
}

static void check_workers(const struct explore_result *r, int jobs,
			  unsigned long iters)
{
	unsigned long sum = 0;
	int k, j;

	if (!iters) /* dfs: no budget */
		iters = ULONG_MAX;
	assert_int_equal(r->nr_workers,
			 (unsigned long)jobs < iters ? jobs : (int)iters);
	for (k = 0; k < r->nr_workers; k++) {
		sum += r->workers[k].executions;
		assert_true(r->workers[k].pid > 0);
		assert_int_not_equal(r->workers[k].pid, getpid());
		for (j = 0; j < k; j++)
			assert_int_not_equal(r->workers[j].pid,
					     r->workers[k].pid);
	}
	assert_int_equal(sum, r->executions);
}

static void compare(const char *model, struct explore_opts o, int jobs)
{
	const struct model *m = model_by_name(model);
	struct explore_result a, b;
	char err[256];

	assert_non_null(m);
	assert_int_equal(explore(m, &o, &a), 0);
	assert_int_equal(explore_parallel(m, &o, jobs, &b, err, sizeof(err)),
			 0);
	assert_string_equal(err, "");
	assert_same(&a, &b);
	assert_int_equal(a.exhausted, b.exhausted);
	check_workers(&b, jobs, o.iterations);
	explore_result_free(&a);
	explore_result_free(&b);
}

/*
 * random: --jobs J reports exactly what --jobs 1 reports, for every
 * built-in model; the models alternate between 2 and 5 workers (5 does
 * not divide the iterations) to keep the test's cost linear in models.
 */
static void test_random_same_as_one_job(void **state)
{
	static const int jobs[] = { 2, 5 };
	unsigned i, j;

	(void)state;
	for (i = 0; builtin_models[i]; i++) {
		struct explore_opts o = opts(STRAT_RANDOM, 100);

		j = i % ARRAY_SIZE(jobs);
		compare(builtin_models[i]->name, o, jobs[j]);
		o.seed = 1000 + j;
		o.trace = true;
		compare(builtin_models[i]->name, o, jobs[j]);
		o.stop_on_violation = false;
		compare(builtin_models[i]->name, o, jobs[j]);
	}
}

/* a stop kind: other kinds before it are counted up to its execution */
static void test_stop_kind(void **state)
{
	struct explore_opts o = opts(STRAT_RANDOM, 500);

	(void)state;
	o.stop_kind = "deadlock";
	compare("abba", o, 2);
	compare("abba", o, 4);
	o.stop_kind = "no-such-kind"; /* never hit: full budget */
	compare("abba", o, 2);
	o.stop_on_violation = false;
	compare("abba", o, 3);
}

/* more workers than executions: one per execution */
static void test_small_budget(void **state)
{
	(void)state;
	compare("lost-update", opts(STRAT_RANDOM, 1), 4);
	compare("lost-update", opts(STRAT_RANDOM, 3), 8);
}

/* pct: execution i depends on seed + i alone, so again --jobs 1's report */
static void test_pct_same_as_one_job(void **state)
{
	static const char *const models[] = { "abba", "lost-update",
					      "rcu-free-early",
					      "read-vs-dontneed-nonested" };
	unsigned i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(models); i++) {
		struct explore_opts o = opts(STRAT_PCT, 200);

		compare(models[i], o, 3);
		o.stop_on_violation = false;
		compare(models[i], o, 2);
		o.seed = 77;
		o.trace = true;
		compare(models[i], o, 2);
	}
}

/* dfs: the split walk is the single walk, counts and first alike */
static void test_dfs_same_as_one_job(void **state)
{
	static const struct {
		const char *model;
		int bound; /* trees of at most a few thousand executions */
	} cases[] = {
		{ "steps-2x2", 2 },
		{ "lost-update", 2 },
		{ "abba", 2 },
		{ "fault-vs-munmap", 1 },
		/* scenarios: their setup agent grows the trees (889, 96) */
		{ "write-vs-fork-noflush", 1 },
		{ "mirror-vs-mprotect-noretry", 2 },
		{ "mirror-vs-munmap", 2 },
		{ "read-vs-dontneed-nonested", 0 },
	};
	unsigned i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct explore_opts o = opts(STRAT_DFS, 0);

		o.bound = cases[i].bound;
		compare(cases[i].model, o, 2);
		o.stop_on_violation = false;
		compare(cases[i].model, o, 2);
		o.trace = true;
		o.stop_kind = "no-such-kind";
		compare(cases[i].model, o, 3);
		o.stop_on_violation = true;
		o.stop_kind = NULL;
		compare(cases[i].model, o, 5);
	}
}

/* the split by hand: subtrees k mod J, for every k, add up to the walk */
static void test_dfs_split_partition(void **state)
{
	const struct model *m = model_by_name("write-vs-fork");
	struct explore_opts o = opts(STRAT_DFS, 0);
	struct explore_result one, part;
	unsigned long sum, subtrees;
	unsigned depth, k, jobs = 3;

	(void)state;
	/* bound 1: the scenario's setup agent makes bound 2 ~35k walks */
	o.bound = 1;
	o.stop_on_violation = false;
	assert_int_equal(explore(m, &o, &one), 0);
	assert_true(one.exhausted && one.executions > 100);
	for (depth = 1; depth <= 40; depth += 13) {
		o.split_depth = depth;
		o.split_jobs = 0; /* run none: count the subtrees */
		assert_int_equal(explore(m, &o, &part), 0);
		assert_int_equal(part.executions, 0);
		subtrees = part.subtrees;
		assert_true(subtrees > 1);
		explore_result_free(&part);
		for (k = 0, sum = 0; k < jobs; k++) {
			o.split_jobs = jobs;
			o.split_k = k;
			assert_int_equal(explore(m, &o, &part), 0);
			assert_true(part.exhausted);
			assert_int_equal(part.subtrees, subtrees);
			sum += part.executions;
			explore_result_free(&part);
		}
		assert_int_equal(sum, one.executions);
	}
	explore_result_free(&one);
}

static void test_refused(void **state)
{
	const struct model *m = model_by_name("lost-update");
	struct explore_opts o = opts(STRAT_DFS, 100);
	struct explore_result r;

	(void)state;
	/* dfs with a budget: its end is a global number no worker knows */
	assert_int_equal(explore_parallel(m, &o, 2, &r, NULL, 0), -EINVAL);
	o = opts(STRAT_REPLAY, 1);
	o.schedule = "ab";
	assert_int_equal(explore_parallel(m, &o, 2, &r, NULL, 0), -EINVAL);
	o = opts(STRAT_RANDOM, 10);
	assert_int_equal(explore_parallel(m, &o, 0, &r, NULL, 0), -EINVAL);
	assert_int_equal(explore_parallel(m, &o, EXPLORE_MAX_JOBS + 1, &r, NULL,
					  0),
			 -EINVAL);
	o.iterations = 0;
	assert_int_equal(explore_parallel(m, &o, 2, &r, NULL, 0), -EINVAL);
}

/* a model whose setup fails, or whose worker dies, at seed 5 */
static int bad_setup(struct world *w, void *arg)
{
	if (w->opts.seed != 5)
		return 0;
	if (arg)
		raise(SIGKILL);
	return -EIO;
}

static void test_worker_failure(void **state)
{
	struct model fails = { .name = "fails", .setup = bad_setup };
	struct model dies = { .name = "dies", .setup = bad_setup, .arg = "" };
	struct explore_opts o = opts(STRAT_RANDOM, 20);
	struct explore_result r;
	char err[256];

	(void)state;
	assert_int_equal(explore_parallel(&fails, &o, 2, &r, err, sizeof(err)),
			 -EIO);
	assert_non_null(strstr(err, "Input/output error"));
	assert_int_equal(explore_parallel(&dies, &o, 3, &r, err, sizeof(err)),
			 -EPROTO);
	assert_non_null(strstr(err, "killed by signal 9"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_same_as_one_job),
		cmocka_unit_test(test_stop_kind),
		cmocka_unit_test(test_small_budget),
		cmocka_unit_test(test_pct_same_as_one_job),
		cmocka_unit_test(test_dfs_same_as_one_job),
		cmocka_unit_test(test_dfs_split_partition),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_worker_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
