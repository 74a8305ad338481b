// SPDX-License-Identifier: MIT
/*
 * bench_engine: what the engines cost.  It measures
 *
 *   1. the deterministic engine's context switch: two agents that only
 *      pass schedule points, a controller that alternates them (and, for
 *      comparison, the default run-on policy); ns per schedule point and
 *      per switch (each point is agent -> scheduler -> agent: 2 switches,
 *      scheduler loop included), median and min of 7 runs;
 *   2. explorer throughput: executions/s of lost-update and locked-update
 *      under random and under repeated exhaustive dfs, and abba under
 *      random.  A dfs pass is only a few executions, so its figure also
 *      carries explore()'s per-call cost (world and stacks, and the traced
 *      replay of the first violation); fault-vs-munmap's DFS bound 2 tree
 *      (11,348 executions of a memory model) gives the per-execution rate;
 *   3. the real engine: spin_lock/inc/spin_unlock (and mutex) acquisitions/s
 *      with two threads, and run_real() executions/s of lost-update;
 *   4. world_create + world_destroy and world_reset cost.
 *
 * Every figure is printed as "figure-name: value unit", and again in a
 * summary block at the end.  Timings never fail the run: the exit status
 * is nonzero only if a model gives a wrong result or a call fails.
 *
 * Locking: the benchmark's shared counters are touched by agents only
 * under the lock being measured, and read after world_run() has joined
 * every agent.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "core/locking.h"
#include "engine/det_ctl.h"
#include "engine/engine.h"
#include "scenario/builtin.h"
#include "../tests/shipped.h"

#define SWITCH_POINTS 200000 /* schedule points per agent */
#define SWITCH_REPS 7
#define RANDOM_ITERS 20000 /* per explore() call */
#define RANDOM_SECONDS 0.3
#define DFS_SECONDS 1.0
#define REAL_LOCK_ITERS 1000000
#define REAL_RUNS 2000
#define WORLD_PAIRS 20000
#define RESET_ITERS 20000

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts @v in place; returns the median. */
static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- 1. deterministic context switch ---- */

static void switch_agent(void *arg)
{
	long i, n = *(long *)arg;

	for (i = 0; i < n; i++)
		sched_point(SP_EXPLICIT, NULL);
}

/* Run anyone but the agent that ran last. */
static int alt_pick(struct det_ctl *c, struct world *w, uint64_t runnable,
		    int nr, int last)
{
	uint64_t others = runnable;

	if (last >= 0)
		others &= ~(1ULL << last);
	return __builtin_ctzll(others ? others : runnable);
}

static struct det_ctl alt_ctl = { .pick = alt_pick };

/* One timed run; returns ns per schedule point, or a negative on error. */
static double switch_once(struct world *w, bool alternate, long n)
{
	double t0, t1;

	world_reset(w);
	if (!agent_create(w, "s0", switch_agent, &n) ||
	    !agent_create(w, "s1", switch_agent, &n))
		return -1;
	if (alternate)
		det_set_controller(w, &alt_ctl);
	t0 = now_sec();
	if (world_run(w))
		return -1;
	t1 = now_sec();
	if (w->nr_reports || w->step != 2 * (unsigned long)n)
		return -1;
	return (t1 - t0) * 1e9 / w->step;
}

static void bench_switch(void)
{
	static const struct {
		bool alternate;
		const char *name;
	} modes[] = {
		{ true, "det-alternate" },
		{ false, "det-run-on" },
	};
	struct world *w;
	double ns[SWITCH_REPS], med, lo;
	char name[64];
	unsigned m;
	int i;

	printf("== 1. deterministic engine: context switch (2 agents x %d schedule points, %d runs, median/min)\n",
	       SWITCH_POINTS, SWITCH_REPS);
	w = world_create(&(struct world_opts){
		.engine = ENGINE_DET,
		.max_steps = 4UL * SWITCH_POINTS + 100,
	});
	if (!w) {
		broken("world_create(det)");
		return;
	}
	/* warm-up: maps the stacks and faults them in */
	if (switch_once(w, true, 1000) < 0)
		broken("det switch warm-up");
	for (m = 0; m < ARRAY_SIZE(modes); m++) {
		for (i = 0; i < SWITCH_REPS; i++) {
			ns[i] = switch_once(w, modes[m].alternate,
					    SWITCH_POINTS);
			if (ns[i] < 0) {
				broken("det switch run");
				goto out;
			}
		}
		med = median(ns, SWITCH_REPS);
		lo = ns[0];
		snprintf(name, sizeof(name), "%s-sched-point", modes[m].name);
		figure(name, med, "ns/point (median)");
		snprintf(name, sizeof(name), "%s-sched-point-min",
			 modes[m].name);
		figure(name, lo, "ns/point (min)");
		snprintf(name, sizeof(name), "%s-context-switch",
			 modes[m].name);
		figure(name, med / 2, "ns/switch (median)");
		snprintf(name, sizeof(name), "%s-context-switch-min",
			 modes[m].name);
		figure(name, lo / 2, "ns/switch (min)");
	}
out:
	world_destroy(w);
}

/* ---- 2. explorer throughput ---- */

static const struct model *model_or_die(const char *name)
{
	/* a built-in model, else a shipped scenario (aborts when neither) */
	return model_by_name(name);
}

/* expect: 1 = some execution must violate, 0 = none may, -1 = either */
static void check_violating(const char *name, const struct explore_result *r,
			    int expect)
{
	char msg[128];

	if (expect < 0 || (expect > 0) == (r->violating > 0))
		return;
	snprintf(msg, sizeof(msg), "%s: %lu of %lu executions violating", name,
		 r->violating, r->executions);
	broken(msg);
}

/* 20000-iteration random runs take ~10 ms: repeat them for a while. */
static void bench_random(const char *name, int expect)
{
	const struct model *m = model_or_die(name);
	struct explore_opts o = {
		.strategy = STRAT_RANDOM,
		.seed = 1,
		.iterations = RANDOM_ITERS,
		.bound = -1,
		.stop_on_violation = false,
		.model_name = name,
		.progress_fd = -1,
	};
	struct explore_result r;
	unsigned long execs = 0, violating = 0, steps = 0, passes = 0;
	char fig[64];
	double t0, t;

	t0 = now_sec();
	do {
		if (explore(m, &o, &r)) {
			broken("explore(random)");
			return;
		}
		check_violating(name, &r, expect);
		execs += r.executions;
		violating += r.violating;
		steps += r.total_steps;
		passes++;
		o.seed += RANDOM_ITERS; /* fresh executions every pass */
		explore_result_free(&r);
		t = now_sec() - t0;
	} while (t < RANDOM_SECONDS);
	printf("   %s random: %lu x %d executions (%lu violating) in %.3f s, %.1f steps/execution\n",
	       name, passes, RANDOM_ITERS, violating, t,
	       (double)steps / (execs ? execs : 1));
	snprintf(fig, sizeof(fig), "random-%s", name);
	figure(fig, execs / t, "executions/s");
}

/*
 * Whole exhaustive passes with preemption bound @bound (-1: none),
 * repeated for ~1 s: a pass of the lost-update demo is 6 executions plus
 * the traced replays that verify its first violation, so its figure is
 * mostly per-pass cost; a memory model's bounded tree shows the
 * per-execution rate.
 */
static void bench_dfs(const char *name, int bound, int expect)
{
	const struct model *m = model_or_die(name);
	struct explore_opts o = {
		.strategy = STRAT_DFS,
		.seed = 1,
		.iterations = 0,
		.bound = bound,
		.stop_on_violation = false,
		.model_name = name,
		.progress_fd = -1,
	};
	struct explore_result r;
	unsigned long execs = 0, passes = 0, per_pass = 0;
	char fig[64];
	double t0, t;

	t0 = now_sec();
	do {
		if (explore(m, &o, &r)) {
			broken("explore(dfs)");
			return;
		}
		if (!r.exhausted)
			broken("dfs pass did not exhaust the tree");
		check_violating(name, &r, expect);
		per_pass = r.executions;
		execs += r.executions;
		passes++;
		explore_result_free(&r);
		t = now_sec() - t0;
	} while (t < DFS_SECONDS);
	printf("   %s dfs: %lu passes x %lu executions in %.3f s\n", name,
	       passes, per_pass, t);
	if (bound >= 0)
		snprintf(fig, sizeof(fig), "dfs-%s-bound%d", name, bound);
	else
		snprintf(fig, sizeof(fig), "dfs-%s", name);
	figure(fig, execs / t, "executions/s");
}

static void bench_explore(void)
{
	printf("== 2. explorer throughput (random: %d iterations per call, calls repeated for %.1f s; dfs: exhaustive passes, unbounded unless named, repeated for %.1f s)\n",
	       RANDOM_ITERS, RANDOM_SECONDS, DFS_SECONDS);
	bench_random("lost-update", 1);
	bench_random("locked-update", 0);
	bench_random("abba", 1);
	bench_dfs("lost-update", -1, 1);
	bench_dfs("locked-update", -1, 0);
	bench_dfs("fault-vs-munmap", 2, 0);
}

/* ---- 3. real engine ---- */

struct real_counter {
	spinlock_t spin;
	struct mutex mutex;
	long value;
	long iters;
};

static void spin_agent(void *arg)
{
	struct real_counter *c = arg;
	long i;

	for (i = 0; i < c->iters; i++) {
		spin_lock(&c->spin);
		c->value++;
		spin_unlock(&c->spin);
	}
}

static void mutex_agent(void *arg)
{
	struct real_counter *c = arg;
	long i;

	for (i = 0; i < c->iters; i++) {
		mutex_lock(&c->mutex);
		c->value++;
		mutex_unlock(&c->mutex);
	}
}

static void bench_real_lock(const char *fig, agent_fn fn)
{
	struct real_counter *c;
	struct world *w;
	double t0, t;

	w = world_create(
		&(struct world_opts){ .engine = ENGINE_REAL, .seed = 1 });
	if (!w) {
		broken("world_create(real)");
		return;
	}
	c = arena_alloc(w, sizeof(*c));
	memset(c, 0, sizeof(*c));
	spin_lock_init(w, &c->spin, "bench_spin");
	mutex_init(w, &c->mutex, "bench_mutex");
	c->iters = REAL_LOCK_ITERS;
	if (!agent_create(w, "l0", fn, c) || !agent_create(w, "l1", fn, c)) {
		broken("agent_create(real)");
		world_destroy(w);
		return;
	}
	t0 = now_sec();
	if (world_run(w))
		broken("world_run(real)");
	t = now_sec() - t0;
	if (c->value != 2L * REAL_LOCK_ITERS || w->nr_reports) {
		report_print_all(w, stderr);
		broken("real lock counter is wrong");
	}
	printf("   %s: %ld acquisitions in %.3f s\n", fig, c->value, t);
	figure(fig, c->value / t, "acquisitions/s");
	world_destroy(w);
}

static void bench_real(void)
{
	const struct model *m = model_or_die("lost-update");
	struct explore_result r;
	double t0, t;

	printf("== 3. real engine (2 threads x %d lock/inc/unlock; run_real %d executions)\n",
	       REAL_LOCK_ITERS, REAL_RUNS);
	bench_real_lock("real-spinlock", spin_agent);
	bench_real_lock("real-mutex", mutex_agent);
	t0 = now_sec();
	if (run_real(m, REAL_RUNS, 0, 1, &r)) {
		broken("run_real(lost-update)");
		return;
	}
	t = now_sec() - t0;
	printf("   lost-update run_real: %lu executions (%lu violating) in %.3f s\n",
	       r.executions, r.violating, t);
	figure("real-run-lost-update", r.executions / t, "executions/s");
	explore_result_free(&r);
}

/* ---- 4. world lifetime ---- */

static void bench_world_pairs(enum engine_kind kind, const char *fig)
{
	struct world *w;
	double t0, t;
	int i;

	t0 = now_sec();
	for (i = 0; i < WORLD_PAIRS; i++) {
		w = world_create(&(struct world_opts){ .engine = kind });
		if (!w) {
			broken("world_create");
			return;
		}
		world_destroy(w);
	}
	t = now_sec() - t0;
	figure(fig, t * 1e9 / WORLD_PAIRS, "ns/create+destroy");
}

static void bench_world(void)
{
	const struct model *m = model_or_die("lost-update");
	struct world *w;
	double t0, t, busy = 0;
	int i;

	printf("== 4. world lifetime (%d create/destroy pairs; %d resets)\n",
	       WORLD_PAIRS, RESET_ITERS);
	bench_world_pairs(ENGINE_DET, "world-create-destroy-det");
	bench_world_pairs(ENGINE_REAL, "world-create-destroy-real");

	w = world_create(&(struct world_opts){ .engine = ENGINE_DET });
	if (!w) {
		broken("world_create(det)");
		return;
	}
	/* an empty world: the fixed cost */
	t0 = now_sec();
	for (i = 0; i < RESET_ITERS; i++)
		world_reset(w);
	t = now_sec() - t0;
	figure("world-reset-empty", t * 1e9 / RESET_ITERS, "ns/reset");

	/* after one lost-update execution: agents, a lock, a report */
	for (i = 0; i < RESET_ITERS; i++) {
		world_reset(w);
		if (m->setup(w, m->arg)) {
			broken("lost-update setup");
			break;
		}
		world_run(w);
		m->check(w, m->arg);
		t0 = now_sec();
		world_reset(w);
		busy += now_sec() - t0;
	}
	figure("world-reset-after-lost-update", busy * 1e9 / RESET_ITERS,
	       "ns/reset");
	world_destroy(w);
}

int main(void)
{
	double t0 = now_sec();
	int i;

	bench_name = "bench_engine";
	setvbuf(stdout, NULL, _IOLBF, 0);
	bench_switch();
	bench_explore();
	bench_real();
	bench_world();

	printf("== summary (%.1f s)\n", now_sec() - t0);
	for (i = 0; i < bench_nr_figures; i++)
		printf("%s: %.1f %s\n", bench_figures[i].name, bench_figures[i].value,
		       bench_figures[i].unit);
	if (bench_failures) {
		fprintf(stderr, "bench_engine: %d check(s) failed\n", bench_failures);
		return 1;
	}
	return 0;
}
