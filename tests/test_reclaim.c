// SPDX-License-Identifier: MIT
/*
 * Suite "unit": reclaim, the rmap walk and the batched TLB flush driven
 * directly, outside any agent: values survive swap-out and refault (also
 * across fork, where the anon_vma chain must reach the child), young
 * pages are kept unless references are ignored, and a PTE reclaim
 * cleared with a deferred flush is flushed by mprotect through
 * flush_tlb_batched_pending() (and is not with the 2017 policy).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check/check.h"
#include "core/locking.h"
#include "core/policy.h"
#include "engine/engine.h"
#include "mm/mm.h"
#include "mm/tlb.h"
#include "notifier/mmu_notifier.h"
#include "scenario/builtin.h"
#include "scenario/mm_models.h"

#define NR_FRAMES 1024UL

#include "explore_helpers.h"
#include "mm_fixture.h"
#include "shipped.h"

#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define NPAGES 8

static int teardown(void **state)
{
	struct fx *f = *state;

	fx_release_mms(f);
	assert_int_equal(nr_swap_slots_used(f->mmw), 0);
	fx_finish(f);
	return 0;
}

static unsigned long map_and_fill(struct fx *f)
{
	unsigned long a =
		vm_mmap(f->mm, NULL, 0, NPAGES * PAGE_SIZE, RW, ANON, 0);
	int i;

	assert_false(IS_ERR_VALUE(a));
	for (i = 0; i < NPAGES; i++)
		assert_int_equal(cpu_write(f->c0, f->mm, a + i * PAGE_SIZE + 8,
					   100 + i),
				 0);
	return a;
}

static unsigned long reclaim(struct fx *f, unsigned long nr, bool ignore)
{
	struct scan_control sc = { .nr_to_reclaim = nr,
				   .ignore_references = ignore,
				   .tlb_ubc = &f->ubc };

	return kswapd_shrink(f->mmw, &sc);
}

/* every page goes to swap and comes back with its value */
static void test_reclaim_refault_values(void **state)
{
	struct fx *f = *state;
	unsigned long a = map_and_fill(f);
	uint64_t v;
	int i;

	assert_int_equal(reclaim(f, NPAGES, true), NPAGES);
	assert_int_equal(get_mm_counter(f->mm, MM_ANONPAGES), 0);
	assert_int_equal(get_mm_counter(f->mm, MM_SWAPENTS), NPAGES);
	assert_int_equal(nr_swap_slots_used(f->mmw), NPAGES);
	mm_check_quiescent(f->mmw);
	for (i = 0; i < NPAGES; i++) {
		assert_int_equal(
			cpu_read(f->c0, f->mm, a + i * PAGE_SIZE + 8, &v), 0);
		assert_int_equal(v, 100 + i);
		/* exclusive again: writable without COW */
		assert_int_equal(cpu_write(f->c0, f->mm, a + i * PAGE_SIZE, 7),
				 0);
	}
	assert_int_equal(get_mm_counter(f->mm, MM_SWAPENTS), 0);
	assert_int_equal(nr_swap_slots_used(f->mmw), 0);
	/* swap out again, then munmap the swap entries: slots freed */
	assert_int_equal(reclaim(f, NPAGES, true), NPAGES);
	assert_int_equal(vm_munmap(f->mm, a, NPAGES * PAGE_SIZE), 0);
}

/* a young page is kept once (its young bit cleared), then reclaimed */
static void test_reclaim_referenced(void **state)
{
	struct fx *f = *state;
	unsigned long a = map_and_fill(f);
	uint64_t v;

	assert_int_equal(reclaim(f, NPAGES, false), 0);
	assert_int_equal(reclaim(f, NPAGES, false), NPAGES);
	assert_int_equal(cpu_read(f->c0, f->mm, a + 8, &v), 0);
	assert_int_equal(v, 100);
}

/* after fork the rmap walk reaches the child: both PTEs become swap */
static void test_reclaim_after_fork(void **state)
{
	struct fx *f = *state;
	unsigned long a = map_and_fill(f);
	uint64_t v;
	int i;

	f->child = dup_mm(f->mm);
	assert_non_null(f->child);
	assert_int_equal(reclaim(f, NPAGES, true), NPAGES);
	assert_int_equal(get_mm_counter(f->child, MM_SWAPENTS), NPAGES);
	assert_int_equal(get_mm_counter(f->mm, MM_SWAPENTS), NPAGES);
	for (i = 0; i < NPAGES; i++) {
		unsigned long va = a + i * PAGE_SIZE + 8;

		/* the parent writes: the child must keep the old value */
		assert_int_equal(cpu_write(f->c0, f->mm, va, 900 + i), 0);
		assert_int_equal(cpu_read(f->c1, f->child, va, &v), 0);
		assert_int_equal(v, 100 + i);
		assert_int_equal(cpu_read(f->c0, f->mm, va, &v), 0);
		assert_int_equal(v, 900 + i);
	}
	/* and once more with the child writing first */
	assert_int_equal(reclaim(f, 2 * NPAGES, true), 2 * NPAGES);
	assert_int_equal(cpu_write(f->c1, f->child, a + 8, 5), 0);
	assert_int_equal(cpu_read(f->c0, f->mm, a + 8, &v), 0);
	assert_int_equal(v, 900);
	cpu_idle(f->c1);
}

/*
 * A folio still in the swap cache after fork: the child swaps it in
 * first (read-only, shared), then the parent; the parent's copy must not
 * become writable while the child maps the same page (COW).
 */
static void test_swapcache_after_fork_cow(void **state)
{
	struct fx *f = *state;
	unsigned long a = map_and_fill(f);
	struct folio *folio;
	pte_t *pte;
	spinlock_t *ptl;
	uint64_t v;

	f->child = dup_mm(f->mm);
	assert_non_null(f->child);
	pte = pte_offset_map_lock(f->mm, mm_find_pmd(f->mm, a), a, &ptl);
	folio = page_folio(pfn_to_page(f->mmw->pm, pte_pfn(ptep_get(pte))));
	pte_unmap_unlock(pte, ptl);
	folio_get(folio);
	folio_lock(folio);
	assert_true(folio_alloc_swap(f->mmw, folio).val != 0);
	assert_true(try_to_unmap(folio, 0, NULL));
	folio_unlock(folio);
	folio_put(folio); /* stays in the swap cache, both PTEs swap */
	assert_int_equal(cpu_read(f->c1, f->child, a + 8, &v), 0);
	assert_int_equal(v, 100);
	assert_int_equal(cpu_write(f->c0, f->mm, a + 8, 555), 0);
	assert_int_equal(cpu_read(f->c1, f->child, a + 8, &v), 0);
	assert_int_equal(v, 100);
	assert_int_equal(cpu_read(f->c0, f->mm, a + 8, &v), 0);
	assert_int_equal(v, 555);
	cpu_idle(f->c1);
}

/* the folio mapped at @va of @mm, with a reference */
static struct folio *folio_at(struct fx *f, struct mm_struct *mm,
			      unsigned long va)
{
	struct folio *folio;
	spinlock_t *ptl;
	pte_t *pte = pte_offset_map_lock(mm, mm_find_pmd(mm, va), va, &ptl);

	assert_true(pte_present(ptep_get(pte)));
	folio = page_folio(pfn_to_page(f->mmw->pm, pte_pfn(ptep_get(pte))));
	folio_get(folio);
	pte_unmap_unlock(pte, ptl);
	return folio;
}

/* ---- page aging and the secondary MMUs ---- */

/*
 * A secondary MMU that answers the aging calls: @young says whether it
 * saw an access; every call's range is logged.
 */
struct agesub {
	struct mmu_notifier mn;
	int young;
	int flush_calls, clear_calls;
	unsigned long start[16], end[16];
};

static void agesub_log(struct agesub *s, unsigned long start, unsigned long end)
{
	int n = s->flush_calls + s->clear_calls;

	if (n < 16) {
		s->start[n] = start;
		s->end[n] = end;
	}
}

static int agesub_clear_flush_young(struct mmu_notifier *mn,
				    struct mm_struct *mm, unsigned long start,
				    unsigned long end)
{
	struct agesub *s = container_of(mn, struct agesub, mn);

	agesub_log(s, start, end);
	s->flush_calls++;
	return s->young;
}

static int agesub_clear_young(struct mmu_notifier *mn, struct mm_struct *mm,
			      unsigned long start, unsigned long end)
{
	struct agesub *s = container_of(mn, struct agesub, mn);

	agesub_log(s, start, end);
	s->clear_calls++;
	return s->young;
}

static const struct mmu_notifier_ops agesub_ops = {
	.clear_flush_young = agesub_clear_flush_young,
	.clear_young = agesub_clear_young,
};

/* reclaim asks the secondary about exactly each page's range */
static void test_aging_clear_flush_young_range(void **state)
{
	struct fx *f = *state;
	struct agesub s = { .mn.ops = &agesub_ops };
	unsigned long a = map_and_fill(f);
	int i, j;

	assert_int_equal(
		mmu_notifier_register(&s.mn, f->mm->notifier_subscriptions), 0);
	/* the CPU's young bits (set by the faults) keep every page once */
	assert_int_equal(reclaim(f, NPAGES, false), 0);
	assert_int_equal(s.flush_calls, NPAGES);
	assert_int_equal(s.clear_calls, 0);
	for (i = 0; i < NPAGES; i++) {
		/* each page of the mapping once, in any order */
		for (j = 0; j < NPAGES; j++)
			if (s.start[j] == a + i * PAGE_SIZE)
				break;
		assert_true(j < NPAGES);
		assert_int_equal(s.end[j], a + (i + 1) * PAGE_SIZE);
	}
	/* old everywhere now: the second pass reclaims them all */
	assert_int_equal(reclaim(f, NPAGES, false), NPAGES);
	assert_int_equal(s.flush_calls, 2 * NPAGES);
	mmu_notifier_unregister(&s.mn, f->mm->notifier_subscriptions);
	/* MADV_PAGEOUT-like passes (ignore_references) ask nobody */
	assert_int_equal(cpu_write(f->c0, f->mm, a, 1), 0);
	assert_int_equal(s.flush_calls, 2 * NPAGES);
}

/*
 * A page the CPU no longer touches but a secondary MMU does stays: the
 * CPU's young bit is old after the first pass, the secondary's answer
 * keeps it; once the secondary is idle too, it goes.
 */
static void test_aging_secondary_young_keeps_page(void **state)
{
	struct fx *f = *state;
	struct agesub s = { .mn.ops = &agesub_ops, .young = 1 };
	unsigned long a = map_and_fill(f);
	uint64_t v;

	assert_int_equal(
		mmu_notifier_register(&s.mn, f->mm->notifier_subscriptions), 0);
	assert_int_equal(reclaim(f, NPAGES, false), 0);
	assert_int_equal(reclaim(f, NPAGES, false), 0);
	assert_int_equal(reclaim(f, NPAGES, false), 0);
	assert_int_equal(get_mm_counter(f->mm, MM_ANONPAGES), NPAGES);
	s.young = 0;
	assert_int_equal(reclaim(f, NPAGES, false), NPAGES);
	assert_int_equal(get_mm_counter(f->mm, MM_SWAPENTS), NPAGES);
	mmu_notifier_unregister(&s.mn, f->mm->notifier_subscriptions);
	assert_int_equal(cpu_read(f->c0, f->mm, a + 8, &v), 0);
	assert_int_equal(v, 100);
}

/* a CPU access after the first pass (a fresh walk) keeps the page again */
static void test_aging_cpu_access_keeps_page(void **state)
{
	struct fx *f = *state;
	unsigned long a = map_and_fill(f);
	uint64_t v;

	assert_int_equal(reclaim(f, NPAGES, false), 0);
	/* the TLB still caches the page: drop it so the access walks */
	flush_tlb_mm(f->mm);
	assert_int_equal(cpu_read(f->c1, f->mm, a + 8, &v), 0);
	assert_int_equal(reclaim(f, NPAGES, false), NPAGES - 1);
	assert_int_equal(get_mm_counter(f->mm, MM_ANONPAGES), 1);
	assert_int_equal(reclaim(f, NPAGES, false), 1);
}

/* idle page tracking uses clear_young, not clear_flush_young */
static void test_page_idle_clear_young(void **state)
{
	struct fx *f = *state;
	struct agesub s = { .mn.ops = &agesub_ops };
	unsigned long a = map_and_fill(f);
	struct folio *folio = folio_at(f, f->mm, a);

	assert_int_equal(
		mmu_notifier_register(&s.mn, f->mm->notifier_subscriptions), 0);
	folio_lock(folio);
	assert_int_equal(page_idle_clear_pte_refs(folio), 1);
	assert_int_equal(page_idle_clear_pte_refs(folio), 0);
	s.young = 1;
	assert_int_equal(page_idle_clear_pte_refs(folio), 1);
	folio_unlock(folio);
	assert_int_equal(s.clear_calls, 3);
	assert_int_equal(s.flush_calls, 0);
	assert_int_equal(s.start[0], a);
	assert_int_equal(s.end[0], a + PAGE_SIZE);
	mmu_notifier_unregister(&s.mn, f->mm->notifier_subscriptions);
	folio_put(folio);
}

/* migration keeps values, moves the frame, keeps COW after fork */
static void test_migrate_values(void **state)
{
	struct fx *f = *state;
	unsigned long a = map_and_fill(f);
	struct folio *folio;
	unsigned long old_pfn;
	uint64_t v;
	int i;

	assert_int_equal(cpu_read(f->c1, f->mm, a + 8, &v), 0); /* cached */
	for (i = 0; i < NPAGES; i++) {
		folio = folio_at(f, f->mm, a + i * PAGE_SIZE);
		old_pfn = folio_pfn(folio);
		assert_int_equal(migrate_folio_one(f->mmw, folio), 0);
		folio_put(folio);
		folio = folio_at(f, f->mm, a + i * PAGE_SIZE);
		assert_true(folio_pfn(folio) != old_pfn);
		folio_put(folio);
		assert_int_equal(
			cpu_read(f->c1, f->mm, a + i * PAGE_SIZE + 8, &v), 0);
		assert_int_equal(v, 100 + i);
		/* still exclusive and writable */
		assert_int_equal(cpu_write(f->c0, f->mm, a + i * PAGE_SIZE + 8,
					   200 + i),
				 0);
	}
	mm_check_quiescent(f->mmw);
	/* shared with a child: both map the copy, COW still holds */
	f->child = dup_mm(f->mm);
	assert_non_null(f->child);
	folio = folio_at(f, f->mm, a);
	assert_int_equal(migrate_folio_one(f->mmw, folio), 0);
	folio_put(folio);
	mm_check_quiescent(f->mmw);
	assert_int_equal(cpu_write(f->c0, f->mm, a + 8, 7), 0);
	assert_int_equal(cpu_read(f->c1, f->child, a + 8, &v), 0);
	assert_int_equal(v, 200);
	cpu_idle(f->c1);
}

/* KSM merge keeps values, shares one read-only frame, COW on write */
static void test_ksm_merge_cow(void **state)
{
	struct fx *f = *state;
	unsigned long a = vm_mmap(f->mm, NULL, 0, 2 * PAGE_SIZE, RW, ANON, 0);
	struct folio *f1, *f2;
	uint64_t v;

	assert_false(IS_ERR_VALUE(a));
	assert_int_equal(cpu_write(f->c0, f->mm, a + 8, 77), 0);
	assert_int_equal(cpu_write(f->c0, f->mm, a + PAGE_SIZE + 8, 77), 0);
	/* not VM_MERGEABLE yet */
	assert_int_equal(ksm_merge_pair(f->mm, a, a + PAGE_SIZE), -EINVAL);
	assert_int_equal(do_madvise(f->mm, a, 2 * PAGE_SIZE, MADV_MERGEABLE),
			 0);
	/* different content: no merge */
	assert_int_equal(cpu_write(f->c0, f->mm, a + PAGE_SIZE + 16, 1), 0);
	assert_int_equal(ksm_merge_pair(f->mm, a, a + PAGE_SIZE), -EAGAIN);
	assert_int_equal(cpu_write(f->c0, f->mm, a + PAGE_SIZE + 16, 0), 0);
	assert_int_equal(cpu_write(f->c0, f->mm, a + 16, 0), 0);
	assert_int_equal(cpu_read(f->c1, f->mm, a + PAGE_SIZE + 8, &v), 0);
	assert_int_equal(ksm_merge_pair(f->mm, a, a + PAGE_SIZE), 0);
	f1 = folio_at(f, f->mm, a);
	f2 = folio_at(f, f->mm, a + PAGE_SIZE);
	assert_ptr_equal(f1, f2);
	assert_int_equal(folio_mapcount(f1), 2);
	folio_put(f1);
	folio_put(f2);
	mm_check_quiescent(f->mmw);
	assert_int_equal(cpu_read(f->c1, f->mm, a + 8, &v), 0);
	assert_int_equal(v, 77);
	assert_int_equal(cpu_read(f->c1, f->mm, a + PAGE_SIZE + 8, &v), 0);
	assert_int_equal(v, 77);
	/* a write breaks COW: the other page keeps its value */
	assert_int_equal(cpu_write(f->c0, f->mm, a + PAGE_SIZE + 8, 5), 0);
	assert_int_equal(cpu_read(f->c1, f->mm, a + 8, &v), 0);
	assert_int_equal(v, 77);
	assert_int_equal(cpu_read(f->c1, f->mm, a + PAGE_SIZE + 8, &v), 0);
	assert_int_equal(v, 5);
	f1 = folio_at(f, f->mm, a);
	f2 = folio_at(f, f->mm, a + PAGE_SIZE);
	assert_ptr_not_equal(f1, f2);
	folio_put(f1);
	folio_put(f2);
	/* the last user of the KSM page writes it in place */
	assert_int_equal(cpu_write(f->c0, f->mm, a + 8, 6), 0);
	assert_int_equal(cpu_read(f->c1, f->mm, a + 8, &v), 0);
	assert_int_equal(v, 6);
	cpu_idle(f->c1);
}

/*
 * try_to_unmap with TTU_BATCH_FLUSH leaves CPU1's writable entry until
 * try_to_unmap_flush(); mprotect in between must flush it
 * (flush_tlb_batched_pending), unless the policy is 2017's.
 */
static void batched(struct fx *f, bool knob)
{
	unsigned long a = map_and_fill(f);
	struct folio *folio;
	pte_t *pte;
	spinlock_t *ptl;
	int ret;

	f->w->policy->v[KNOB_RMAP_BATCHED_FLUSH_PENDING] = knob;
	assert_int_equal(cpu_write(f->c1, f->mm, a, 1), 0); /* cached */
	pte = pte_offset_map_lock(f->mm, mm_find_pmd(f->mm, a), a, &ptl);
	folio = page_folio(pfn_to_page(f->mmw->pm, pte_pfn(ptep_get(pte))));
	pte_unmap_unlock(pte, ptl);
	folio_get(folio);
	folio_lock(folio);
	assert_true(folio_alloc_swap(f->mmw, folio).val != 0);
	assert_true(try_to_unmap(folio, TTU_BATCH_FLUSH, &f->ubc));
	assert_true(f->ubc.flush_required);
	assert_true(mm_tlb_flush_batched_pending(f->mm));
	assert_int_equal(do_mprotect_pkey(f->mm, a, PAGE_SIZE, PROT_READ, -1),
			 0);
	ret = cpu_write(f->c1, f->mm, a, 2);
	if (knob) {
		assert_int_equal(ret, CPU_SIGSEGV);
		assert_false(mm_tlb_flush_batched_pending(f->mm));
	} else {
		assert_int_equal(ret, 0); /* the stale writable entry */
		/* the value oracle reports the write */
		assert_true(report_has(f->w, "permission"));
		f->expected_reports++;
	}
	try_to_unmap_flush(f->mmw, &f->ubc);
	assert_int_equal(cpu_write(f->c1, f->mm, a, 3), CPU_SIGSEGV);
	folio_unlock(folio);
	folio_put(folio);
	cpu_idle(f->c1);
}

static void test_batched_flush_pending(void **state)
{
	batched(*state, true);
}

static void test_batched_flush_pending_off(void **state)
{
	batched(*state, false);
}

/* ---- the reclaim-vs-X models under the explorer ---- */

static void expect_clean(const char *name, enum strategy s, unsigned long iters,
			 int bound)
{
	const struct model *m = model_by_name(name);

	assert_non_null(m);
	explore_expect_clean(m, s, iters, bound, XCLEAN_EXHAUSTED);
}

/* the model's own check, or the value oracle's (first) */
static const char *const reclaim_texts[] = { "deferred flush",
					     "oracle:", NULL };

/* @name (scenarios/models/) under 2017's rmap.batched_flush_pending=false */
static const struct model *policy_2017(const char *name)
{
	return shipped_with(name, NULL, "rmap.batched_flush_pending=false",
			    NULL);
}

static void expect_found(const struct model *m, enum strategy s,
			 unsigned long iters, int bound, const char *kind)
{
	assert_non_null(m);
	explore_expect_found(m, s, iters, bound, XONE(kind), reclaim_texts);
}

static void test_reclaim_vs_mprotect_clean(void **state)
{
	(void)state;
	expect_clean("reclaim-vs-mprotect", STRAT_DFS, 0, 0); /* 1, 2: long_test.sh */
	expect_clean("reclaim-vs-mprotect", STRAT_PCT, 2000, -1);
	expect_clean("reclaim-vs-mprotect", STRAT_RANDOM, 2000, -1);
}

static void test_reclaim_vs_munmap_clean(void **state)
{
	(void)state;
	expect_clean("reclaim-vs-munmap", STRAT_DFS, 0, 0); /* 1, 2: long_test.sh */
	expect_clean("reclaim-vs-munmap", STRAT_PCT, 2000, -1);
	expect_clean("reclaim-vs-munmap", STRAT_RANDOM, 2000, -1);
}

/* the knob itself, through the policy wrapper the CLI's --set uses */
static void test_reclaim_knob_via_policy(void **state)
{
	struct explore_opts o = xopts(STRAT_DFS, 0, 2);
	struct explore_result r;
	struct policy_model pm;
	struct policy p;
	char err[256];

	(void)state;
	policy_init_default(&p);
	assert_int_equal(policy_set(&p, "rmap.batched_flush_pending", "false",
				    err, sizeof(err)),
			 0);
	policy_model_by_name(&pm, "reclaim-vs-mprotect", &p);
	assert_int_equal(explore(&pm.m, &o, &r), 0);
	assert_true(r.first_violation > 0);
	assert_string_equal(r.first_kind, "permission");
	explore_result_free(&r);
	assert_int_equal(
		policy_apply_preset(&p, "linux-4.12", err, sizeof(err)), 0);
	policy_model_by_name(&pm, "reclaim-vs-munmap", &p);
	assert_int_equal(explore(&pm.m, &o, &r), 0);
	assert_true(r.first_violation > 0);
	assert_string_equal(r.first_kind, "access-after-munmap");
	explore_result_free(&r);
}

static void test_migrate_vs_write_clean(void **state)
{
	(void)state;
	expect_clean("migrate-vs-write", STRAT_DFS, 0, 1); /* bound 2: long_test.sh */
	expect_clean("migrate-vs-write", STRAT_PCT, 2000, -1);
	expect_clean("migrate-vs-write", STRAT_RANDOM, 2000, -1);
}

static void test_ksm_vs_write_clean(void **state)
{
	(void)state;
	expect_clean("ksm-vs-write", STRAT_DFS, 0, 0); /* 1, 2: long_test.sh */
	expect_clean("ksm-vs-write", STRAT_PCT, 2000, -1);
	expect_clean("ksm-vs-write", STRAT_RANDOM, 2000, -1);
}

static void test_reclaim_2017_found(void **state)
{
	(void)state;
	expect_found(policy_2017("reclaim-vs-mprotect"), STRAT_DFS, 0, 2, "permission");
	expect_found(policy_2017("reclaim-vs-mprotect"), STRAT_PCT, 2000, -1,
		     "permission");
	expect_found(policy_2017("reclaim-vs-munmap"), STRAT_DFS, 0, 2,
		     "access-after-munmap");
	expect_found(policy_2017("reclaim-vs-munmap"), STRAT_PCT, 2000, -1,
		     "access-after-munmap");
}

/* ---- real threads: reclaim racing with users (TSan) ---- */

#define STRESS_PAGES 8
#define STRESS_ROUNDS 60

struct rstress {
	struct mm_world *mmw;
	struct mm_struct *mm;
	unsigned long shared;
	int stop;
	int failures;
	unsigned long reclaimed;
	unsigned long migrated;
};

static void rstress_fail(struct rstress *s, const char *what, long a, long b)
{
	report_add(s->mmw->w, "test-failure", "%s: %s (%ld, %ld)\n",
		   current->name, what, a, b);
	__atomic_add_fetch(&s->failures, 1, __ATOMIC_RELAXED);
}

/* CPU0: every page keeps the last value written, reclaimed or not */
static void rs_hammer(void *arg)
{
	struct rstress *s = arg;
	struct cpu *cpu = mm_cpu(s->mmw, 0);
	uint64_t v;
	int i, p;

	for (i = 1; i <= STRESS_ROUNDS; i++)
		for (p = 0; p < STRESS_PAGES; p++) {
			unsigned long va = s->shared + p * PAGE_SIZE;

			if (cpu_write(cpu, s->mm, va, i * 100 + p) ||
			    cpu_read(cpu, s->mm, va, &v) ||
			    v != (uint64_t)(i * 100 + p))
				rstress_fail(s, "value", i, (long)v);
		}
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
	cpu_idle(cpu);
}

/* CPU1: maps, writes, protects and unmaps regions of its own */
static void rs_mapper(void *arg)
{
	struct rstress *s = arg;
	struct cpu *cpu = mm_cpu(s->mmw, 1);
	uint64_t v;
	int i;

	for (i = 0; !__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE); i++) {
		unsigned long a =
			vm_mmap(s->mm, NULL, 0, 2 * PAGE_SIZE, RW, ANON, 0);

		if (IS_ERR_VALUE(a)) {
			rstress_fail(s, "mmap", (long)a, i);
			break;
		}
		if (cpu_write(cpu, s->mm, a, i + 1))
			rstress_fail(s, "write", i, 0);
		do_mprotect_pkey(s->mm, a, 2 * PAGE_SIZE, PROT_READ, -1);
		if (cpu_write(cpu, s->mm, a, 7) != CPU_SIGSEGV)
			rstress_fail(s, "write to a read-only page", i, 0);
		if (cpu_read(cpu, s->mm, a, &v) || v != (uint64_t)i + 1)
			rstress_fail(s, "read-only value", i, (long)v);
		vm_munmap(s->mm, a, 2 * PAGE_SIZE);
	}
	cpu_idle(cpu);
}

/* kswapd: reclaim everything it can, over and over */
static void rs_kswapd(void *arg)
{
	struct rstress *s = arg;
	struct tlbflush_unmap_batch ubc = { 0 };

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		struct scan_control sc = { .nr_to_reclaim = 16,
					   .ignore_references = true,
					   .tlb_ubc = &ubc };

		s->reclaimed += kswapd_shrink(s->mmw, &sc);
		cond_resched();
	}
}

/* migrator: move the hammered pages around */
static void rs_migrator(void *arg)
{
	struct rstress *s = arg;
	int p = 0;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		unsigned long va = s->shared + (p++ % STRESS_PAGES) * PAGE_SIZE;
		struct folio *folio = NULL;
		spinlock_t *ptl;
		pmd_t *pmd;
		pte_t *pte;

		mmap_read_lock(s->mm);
		pmd = mm_find_pmd(s->mm, va);
		pte = pmd ? pte_offset_map_lock(s->mm, pmd, va, &ptl) : NULL;
		if (pte) {
			pte_t ptent = ptep_get(pte);

			if (pte_present(ptent)) {
				folio = page_folio(pfn_to_page(s->mmw->pm,
							       pte_pfn(ptent)));
				if (!folio_try_get(folio))
					folio = NULL;
			}
			pte_unmap_unlock(pte, ptl);
		}
		mmap_read_unlock(s->mm);
		if (folio) {
			if (!migrate_folio_one(s->mmw, folio))
				__atomic_add_fetch(&s->migrated, 1,
						   __ATOMIC_RELAXED);
			folio_put(folio);
		}
		cond_resched();
	}
}

static void test_reclaim_stress_real(void **state)
{
	struct world_opts o = { .engine = ENGINE_REAL,
				.real_delay_pct = 20,
				.seed = 5 };
	struct world *w = world_create(&o);
	struct rstress *s;

	(void)state;
	assert_non_null(w);
	s = arena_alloc(w, sizeof(*s));
	s->mmw = mm_world_get(w, 1024, 2);
	assert_non_null(s->mmw);
	s->mm = mm_alloc(s->mmw);
	assert_non_null(s->mm);
	s->shared =
		vm_mmap(s->mm, NULL, 0, STRESS_PAGES * PAGE_SIZE, RW, ANON, 0);
	assert_false(IS_ERR_VALUE(s->shared));
	assert_non_null(agent_create(w, "hammer", rs_hammer, s));
	assert_non_null(agent_create(w, "mapper", rs_mapper, s));
	assert_non_null(agent_create(w, "kswapd", rs_kswapd, s));
	assert_non_null(agent_create(w, "migrator", rs_migrator, s));
	assert_int_equal(world_run(w), 0);
	fprintf(stderr, "reclaim stress: %lu pages reclaimed, %lu migrated\n",
		s->reclaimed, s->migrated);

	mm_check_quiescent(s->mmw);
	cpu_idle(mm_cpu(s->mmw, 0));
	cpu_idle(mm_cpu(s->mmw, 1));
	mmput(s->mm);
	assert_int_equal(nr_swap_slots_used(s->mmw), 0);
	phys_check_leaks(s->mmw->pm, 0);
	if (w->nr_reports)
		report_print_all(w, stderr);
	assert_int_equal(w->nr_reports, 0);
	assert_int_equal(s->failures, 0);
	world_destroy(w);
}

static void test_reclaim_models_real(void **state)
{
	static const char *const clean[] = { "reclaim-vs-mprotect",
					     "reclaim-vs-munmap",
					     "migrate-vs-write",
					     "ksm-vs-write" };
	unsigned i;

	(void)state;
	for (i = 0; i < 4; i++)
		real_expect_clean(model_by_name(clean[i]), 50, 30);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, teardown)

int main(int argc, char **argv)
{
	const struct CMUnitTest real_tests[] = {
		cmocka_unit_test(test_reclaim_stress_real),
		cmocka_unit_test(test_reclaim_models_real),
	};
	const struct CMUnitTest tests[] = {
		T(test_reclaim_refault_values),
		T(test_reclaim_referenced),
		T(test_aging_clear_flush_young_range),
		T(test_aging_secondary_young_keeps_page),
		T(test_aging_cpu_access_keeps_page),
		T(test_page_idle_clear_young),
		T(test_reclaim_after_fork),
		T(test_swapcache_after_fork_cow),
		T(test_migrate_values),
		T(test_ksm_merge_cow),
		T(test_batched_flush_pending),
		T(test_batched_flush_pending_off),
		cmocka_unit_test(test_reclaim_vs_mprotect_clean),
		cmocka_unit_test(test_reclaim_vs_munmap_clean),
		cmocka_unit_test(test_reclaim_2017_found),
		cmocka_unit_test(test_migrate_vs_write_clean),
		cmocka_unit_test(test_ksm_vs_write_clean),
		cmocka_unit_test(test_reclaim_knob_via_policy),
	};

	if (argc > 1 && !strcmp(argv[1], "real"))
		return cmocka_run_group_tests(real_tests, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
