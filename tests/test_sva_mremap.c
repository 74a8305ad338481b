// SPDX-License-Identifier: MIT
/*
 * mremap moving a page an SVA device has cached, against the paths that
 * free a page without the mmap_lock (src/scenario/sva_mremap_models.c):
 * file reclaim through the rmap, anonymous reclaim, migration, and
 * MADV_DONTNEED of the new range.
 *
 * For each: exhaustive DFS (one preemption) is clean under the pre-6.6
 * flush at the range end and under 6.6's flush with the CPU TLB, and the
 * runs are not vacuous: some execution frees the page, and for the file
 * case some execution frees it while mremap is in flight and some device
 * read goes through the stale old-address entry.  With no secondary
 * invalidation at all the same models report the freed frame, so the
 * oracle is alive.  The anonymous cases never free the page during
 * mremap: this model's anon rmap walk needs mmap_lock (asserted, so that
 * a change to rmap.c that lifts the restriction makes this test say so).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/policy.h"
#include "core/world.h"
#include "engine/engine.h"
#include "scenario/builtin.h"
#include "scenario/dma_models.h"
#include "scenario/mm_models.h"
#include "shipped.h"

/* the wrapped model and what its executions did */
static struct {
	const struct model *inner;
	unsigned long freed, freed_in_window, stale, stale_and_window;
	unsigned long rmap_flushed_old;
} cnt;

static int count_setup(struct world *w, void *arg)
{
	(void)arg;
	return cnt.inner->setup(w, cnt.inner->arg);
}

static void count_check(struct world *w, void *arg)
{
	struct sva_mremap_stats st;

	(void)arg;
	sva_mremap_race_stats(w, &st);
	cnt.freed += st.freed;
	cnt.freed_in_window += st.freed_in_window;
	cnt.stale += st.stale_reads > 0;
	cnt.stale_and_window += st.stale_reads > 0 && st.freed_in_window;
	cnt.rmap_flushed_old += st.rmap_flushed_old;
	cnt.inner->check(w, cnt.inner->arg);
}

/* explore @name, counted, with notifier.secondary_tlb_flush=@how */
static void explore_counted(const char *name, const char *how,
			    const struct explore_opts *o,
			    struct explore_result *r)
{
	const struct model counted = { .name = name,
				       .setup = count_setup,
				       .check = count_check };
	struct policy_model pm;
	struct policy pol;
	char err[160];

	memset(&cnt, 0, sizeof(cnt));
	cnt.inner = model_by_name(name);
	assert_non_null(cnt.inner);
	policy_init_default(&pol);
	assert_int_equal(policy_set(&pol, "notifier.secondary_tlb_flush", how,
				    err, sizeof(err)),
			 0);
	policy_model_init(&pm, &counted, &pol);
	assert_int_equal(explore(&pm.m, o, r), 0);
}

static void assert_clean(const struct explore_result *r)
{
	if (r->first_report)
		fprintf(stderr, "%s\n", r->first_report);
	assert_int_equal(r->violating, 0);
}

static const struct explore_opts dfs1 = { .strategy = STRAT_DFS,
					  .bound = 1,
					  .stop_on_violation = true,
					  .progress_fd = -1 };

/* clean under both flushing policies; found with none */
static void check_model(const char *name, bool anon)
{
	const char *const pols[] = { "in_range_end", "with_tlb_flush" };
	struct explore_opts o = dfs1;
	struct explore_result r;
	int i;

	for (i = 0; i < 2; i++) {
		explore_counted(name, pols[i], &o, &r);
		assert_clean(&r);
		assert_true(r.exhausted);
		assert_true(cnt.freed > 0);
		assert_true(cnt.stale > 0);
		if (anon)
			assert_int_equal(cnt.freed_in_window, 0);
		explore_result_free(&r);
	}
	o.strategy = STRAT_PCT;
	o.iterations = 200;
	o.depth = 3;
	explore_counted(name, "none", &o, &r);
	assert_true(r.violating > 0);
	assert_true(!strncmp(r.first_kind, "stale-", 6) ||
		    !strcmp(r.first_kind, "iotlb-coherence"));
	explore_result_free(&r);
}

/*
 * The file page: reclaim runs during mremap, and in some executions the
 * device reads through its old-address entry in the same execution in
 * which the page is freed during mremap; yet no read ever reaches the
 * freed frame, under in_range_end as under with_tlb_flush.
 */
static void test_reclaim_file(void **state)
{
	const char *const pols[] = { "in_range_end", "with_tlb_flush" };
	struct explore_result r;
	int i;

	(void)state;
	check_model("sva-mremap-vs-reclaim-file", false);
	for (i = 0; i < 2; i++) {
		explore_counted("sva-mremap-vs-reclaim-file", pols[i], &dfs1,
				&r);
		assert_clean(&r);
		assert_true(cnt.freed_in_window > 0);
		assert_true(cnt.stale_and_window > 0);
		explore_result_free(&r);
	}
}

/*
 * Two pages in two PTE tables: some executions unmap the first page
 * from inside the window while the second has not moved yet (mremap is
 * before its range end) and find the device's old-address entry already
 * gone when try_to_unmap() returns: under in_range_end only the rmap
 * walk's notifier range over the old VMA can have invalidated it.  Under
 * with_tlb_flush move_ptes() did it already (the window never opens with
 * the device still caching the old address after the PTL is dropped).
 */
static void test_reclaim_file_two_pages(void **state)
{
	struct explore_result r;

	(void)state;
	check_model("sva-mremap2-vs-reclaim-file", false);
	explore_counted("sva-mremap2-vs-reclaim-file", "in_range_end", &dfs1,
			&r);
	assert_clean(&r);
	assert_true(cnt.freed_in_window > 0);
	assert_true(cnt.rmap_flushed_old > 0);
	explore_result_free(&r);
}

static void test_reclaim_anon(void **state)
{
	(void)state;
	check_model("sva-mremap-vs-reclaim-anon", true);
}

static void test_migrate(void **state)
{
	(void)state;
	check_model("sva-mremap-vs-migrate", true);
}

/* MADV_DONTNEED needs mmap_lock in Linux too: never during mremap */
static void test_dontneed(void **state)
{
	(void)state;
	check_model("sva-mremap-vs-dontneed", true);
}

/*
 * The page moves back next to the mapping of file page 0: copy_vma()
 * merges it into that VMA, which comes first in i_mmap.  Under the
 * pre-6.6 range-end flush reclaim's walk unmaps it there, stops, and
 * frees it while the device still caches the old address; 6.6's flush
 * under the PTL closes the window (exhaustively, with pages freed).
 */
static void test_merge_reclaim(void **state)
{
	const char *name = "sva-mremap-merge-vs-reclaim";
	struct explore_result r;

	(void)state;
	explore_counted(name, "in_range_end", &dfs1, &r);
	assert_true(r.violating > 0);
	assert_true(!strncmp(r.first_kind, "stale-", 6));
	explore_result_free(&r);
	explore_counted(name, "with_tlb_flush", &dfs1, &r);
	assert_clean(&r);
	assert_true(r.exhausted);
	assert_true(cnt.freed > 0);
	assert_true(cnt.stale > 0);
	explore_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reclaim_file),
		cmocka_unit_test(test_reclaim_file_two_pages),
		cmocka_unit_test(test_reclaim_anon),
		cmocka_unit_test(test_migrate),
		cmocka_unit_test(test_dontneed),
		cmocka_unit_test(test_merge_reclaim),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
