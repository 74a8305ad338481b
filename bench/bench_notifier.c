// SPDX-License-Identifier: MIT
/*
 * bench_notifier: what an mmu_notifier invalidation costs, and how the
 * cost grows.  One agent runs invalidate_range_start/end brackets of one
 * page (no exploration: a plain world_run()) against
 *
 *   1. 0, 1, 4 and 16 registered mmu_notifier subscribers whose
 *      start/end callbacks only count (the cost of the SRCU walk);
 *   2. 1, 10, 100, 1000 and 10000 registered mmu_interval_notifiers of
 *      one page each, the bracket hitting exactly one of them (the cost of
 *      the interval lookup, the epoch and the wake-up), plus the time to
 *      insert them;
 *   3. 1000 intervals and a bracket covering 1, 10, 100 or 1000 of them
 *      (cost against range size, in intervals invalidated per second;
 *      a run of span n does 1/n as many brackets, at least 500);
 *
 * each under the deterministic engine (every schedule point is a
 * coroutine switch) and the real engine (one thread, real locks).  A
 * one-page bracket is one invalidated page, so "inval/s" is also
 * "invalidated pages/s".  This is the notifier alone; bench_mirror
 * measures the same through the mm call sites (munmap, MADV_DONTNEED,
 * mprotect) with mirror devices and intervals registered.
 *
 * Figures print as "name: value unit" and again in a summary.  Timings
 * never fail the run: the exit status is nonzero only if a run reports a
 * violation or a callback count is wrong.
 *
 * Locking: the callbacks' counters are touched by the one agent only and
 * read after world_run() joined it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "core/locking.h"
#include "engine/engine.h"
#include "notifier/mmu_notifier.h"

#define PG 0x1000UL
#define DET_BRACKETS 50000
#define REAL_BRACKETS 200000
#define MAX_SUBS 16
#define MAX_INTERVALS 10000
#define WIDE_INTERVALS 1000

/* ---- the workload ---- */

struct bench_sub {
	struct mmu_notifier mn;
	unsigned long starts, ends;
};

struct bench_int {
	struct mmu_interval_notifier mni;
	unsigned long calls;
};

struct bench {
	struct world *w;
	struct mmu_notifier_world *nw;
	struct mmu_notifier_subscriptions *subs;
	struct bench_sub subs_arr[MAX_SUBS];
	struct bench_int *ints;
	int nr_subs, nr_ints;
	long brackets;
	unsigned long span; /* pages per bracket */
	double t0, t1;
};

static int bsub_start(struct mmu_notifier *mn,
		      const struct mmu_notifier_range *range)
{
	container_of(mn, struct bench_sub, mn)->starts++;
	return 0;
}

static void bsub_end(struct mmu_notifier *mn,
		     const struct mmu_notifier_range *range)
{
	container_of(mn, struct bench_sub, mn)->ends++;
}

static const struct mmu_notifier_ops bsub_ops = {
	.invalidate_range_start = bsub_start,
	.invalidate_range_end = bsub_end,
};

static bool bint_invalidate(struct mmu_interval_notifier *mni,
			    const struct mmu_notifier_range *range,
			    unsigned long cur_seq)
{
	container_of(mni, struct bench_int, mni)->calls++;
	mmu_interval_set_seq(mni, cur_seq);
	return true;
}

static const struct mmu_interval_notifier_ops bint_ops = {
	.invalidate = bint_invalidate,
};

/* interval i covers page 2i: the pages between belong to nobody */
static unsigned long int_addr(long i)
{
	return 0x100000UL + 2 * PG * (unsigned long)i;
}

static void bench_agent(void *arg)
{
	struct bench *b = arg;
	struct mmu_notifier_range r;
	long i, k;
	unsigned long start;

	b->t0 = now_sec();
	for (i = 0; i < b->brackets; i++) {
		k = b->nr_ints ? (i * 7919) % b->nr_ints : 0;
		if (b->nr_ints && k + (long)b->span > b->nr_ints)
			k = b->nr_ints - b->span;
		start = int_addr(k);
		mmu_notifier_range_init(&r, MMU_NOTIFY_CLEAR, 0, NULL, start,
					start + (2 * b->span - 1) * PG);
		mmu_notifier_invalidate_range_start(b->subs, &r);
		mmu_notifier_invalidate_range_end(b->subs, &r);
	}
	b->t1 = now_sec();
}

static struct world *bench_world(enum engine_kind kind)
{
	struct world *w = world_create(&(struct world_opts){
		.engine = kind,
		.max_steps = ~0UL,
		.seed = 1,
	});

	if (!w)
		broken("world_create");
	return w;
}

/* Returns brackets per second, or a negative value on error. */
static double bench_run(enum engine_kind kind, int nr_subs, int nr_ints,
			unsigned long span, double *insert_sec)
{
	struct bench b = { 0 };
	unsigned long total = 0;
	double ti;
	long i;

	b.w = bench_world(kind);
	if (!b.w)
		return -1;
	b.nw = mmu_notifier_world_create(b.w);
	b.subs = mmu_notifier_subscriptions_create(b.nw, NULL);
	b.nr_subs = nr_subs;
	b.nr_ints = nr_ints;
	b.span = span;
	b.brackets = kind == ENGINE_DET ? DET_BRACKETS : REAL_BRACKETS;
	b.brackets = max(b.brackets / (long)span, 500L); /* same work per run */
	for (i = 0; i < nr_subs; i++) {
		b.subs_arr[i].mn.ops = &bsub_ops;
		if (mmu_notifier_register(&b.subs_arr[i].mn, b.subs))
			broken("register");
	}
	b.ints = arena_alloc(b.w, sizeof(*b.ints) * (nr_ints ? nr_ints : 1));
	ti = now_sec();
	for (i = 0; i < nr_ints; i++)
		if (mmu_interval_notifier_insert(&b.ints[i].mni, b.subs,
						 int_addr(i), PG, &bint_ops))
			broken("insert");
	if (insert_sec)
		*insert_sec = now_sec() - ti;
	if (!agent_create(b.w, "bench", bench_agent, &b) || world_run(b.w)) {
		broken("world_run");
		goto out;
	}
	mmu_notifier_world_check(b.nw);
	if (b.w->nr_reports) {
		report_print_all(b.w, stderr);
		broken("reports");
	}
	for (i = 0; i < nr_subs; i++)
		if (b.subs_arr[i].starts != (unsigned long)b.brackets ||
		    b.subs_arr[i].ends != (unsigned long)b.brackets)
			broken("subscriber callback count");
	for (i = 0; i < nr_ints; i++)
		total += b.ints[i].calls;
	if (nr_ints && total != b.brackets * span)
		broken("interval callback count");
out:
	world_destroy(b.w);
	return b.brackets / (b.t1 - b.t0);
}

static const char *engine_name(enum engine_kind kind)
{
	return kind == ENGINE_DET ? "det" : "real";
}

static void bench_subscribers(enum engine_kind kind)
{
	static const int counts[] = { 0, 1, 4, 16 };
	char name[64];
	unsigned i;

	printf("== %s engine: one-page brackets vs mmu_notifier subscribers\n",
	       engine_name(kind));
	for (i = 0; i < ARRAY_SIZE(counts); i++) {
		snprintf(name, sizeof(name), "%s-subscribers-%d",
			 engine_name(kind), counts[i]);
		figure(name, bench_run(kind, counts[i], 0, 1, NULL), "inval/s");
	}
}

static void bench_intervals(enum engine_kind kind)
{
	static const int counts[] = { 1, 10, 100, 1000, MAX_INTERVALS };
	char name[64];
	double ins;
	unsigned i;

	printf("== %s engine: one-page brackets vs registered intervals\n",
	       engine_name(kind));
	for (i = 0; i < ARRAY_SIZE(counts); i++) {
		double rate = bench_run(kind, 0, counts[i], 1, &ins);

		snprintf(name, sizeof(name), "%s-intervals-%d",
			 engine_name(kind), counts[i]);
		figure(name, rate, "inval/s");
		snprintf(name, sizeof(name), "%s-insert-%d", engine_name(kind),
			 counts[i]);
		figure(name, ins * 1e9 / counts[i], "ns/insert");
	}
}

static void bench_span(enum engine_kind kind)
{
	static const unsigned long spans[] = { 1, 10, 100, WIDE_INTERVALS };
	char name[64];
	unsigned i;

	printf("== %s engine: %d intervals, brackets covering n of them\n",
	       engine_name(kind), WIDE_INTERVALS);
	for (i = 0; i < ARRAY_SIZE(spans); i++) {
		double rate =
			bench_run(kind, 0, WIDE_INTERVALS, spans[i], NULL);

		snprintf(name, sizeof(name), "%s-span-%lu", engine_name(kind),
			 spans[i]);
		figure(name, rate * spans[i], "intervals invalidated/s");
	}
}

int main(void)
{
	enum engine_kind kinds[] = { ENGINE_DET, ENGINE_REAL };
	unsigned k;
	int i;

	bench_name = "bench_notifier";
	printf("bench_notifier: %d brackets per det run, %d per real run\n",
	       DET_BRACKETS, REAL_BRACKETS);
	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		bench_subscribers(kinds[k]);
		bench_intervals(kinds[k]);
		bench_span(kinds[k]);
	}
	printf("== summary\n");
	for (i = 0; i < bench_nr_figures; i++)
		printf("  %-28s %14.1f %s\n", bench_figures[i].name, bench_figures[i].value,
		       bench_figures[i].unit);
	return bench_failures ? 1 : 0;
}
