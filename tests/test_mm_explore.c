// SPDX-License-Identifier: MIT
/*
 * Suite "unit": the primary MMU under the deterministic explorer.  A CPU
 * writes and reads a page while another CPU munmaps or write-protects it
 * (src/scenario/mm_models.c).  The correct kernel runs clean under random
 * exploration and bounded DFS; a kernel whose munmap or mprotect skips
 * the TLB flush is caught by an access through a stale translation, with
 * a schedule that replays it exactly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/locking.h"
#include "engine/engine.h"
#include "mm/mm.h"
#include "mm/tlb.h"
#include "scenario/builtin.h"
#include "scenario/mm_models.h"
#include "mm_race.h"

#include "explore_helpers.h"
#include "shipped.h"

static struct model race_model(struct mm_race_opts *o)
{
	return (struct model){ .name = "mm-race",
			       .setup = mm_race_setup,
			       .check = mm_race_check,
			       .arg = o };
}

static void expect_clean(const struct model *m, enum strategy s,
			 unsigned long iters, int bound)
{
	explore_expect_clean(m, s, iters, bound,
			     XCLEAN_EXHAUSTED | XCLEAN_ALL_RUNS);
}

/* the bug is found with @kind, and its schedule replays to the same */
static void expect_found(const struct model *m, enum strategy s,
			 unsigned long iters, int bound, const char *kind,
			 const char *text)
{
	explore_expect_found(m, s, iters, bound, XONE(kind), XONE(text));
}

static void test_fault_vs_munmap_clean(void **state)
{
	struct mm_race_opts o = { .op = MM_RACE_MUNMAP, .iters = 3 };
	struct model m = race_model(&o);

	(void)state;
	expect_clean(&m, STRAT_DFS, 0, 2);
	expect_clean(&m, STRAT_PCT, 1000, -1);
	/* faults and table allocation race with munmap's table freeing,
	 * next to a VMA that shares the tables */
	o.neighbor = o.cold = true;
	expect_clean(&m, STRAT_DFS, 0, 2);
	o.iters = 30;
	expect_clean(&m, STRAT_RANDOM, 2000, -1);
	/* the scenario (scenarios/models/fault-vs-munmap.yaml): its setup agent
	 * adds schedule points; bound 2 is in long_test.sh */
	expect_clean(model_by_name("fault-vs-munmap"), STRAT_DFS, 0, 1);
}

static void test_fault_vs_munmap_noflush_found(void **state)
{
	/* no quiescent check: only a stale access can reveal the bug */
	struct mm_race_opts o = { .op = MM_RACE_MUNMAP,
				  .inject_no_flush = true,
				  .no_quiescent = true,
				  .iters = 3 };
	struct model m = race_model(&o);

	(void)state;
	expect_found(&m, STRAT_DFS, 0, 2, "stale-tlb",
		     "through a stale TLB entry");
	expect_found(&m, STRAT_PCT, 2000, -1, "stale-tlb",
		     "through a stale TLB entry");
	/* random walks need the toucher to outlast munmap */
	o.iters = 30;
	expect_found(&m, STRAT_RANDOM, 2000, -1, "stale-tlb",
		     "through a stale TLB entry");
	/* with the quiescent checks, even a run that never uses the
	 * stale entry again leaves it behind: found at once */
	expect_found(model_by_name("fault-vs-munmap-noflush"), STRAT_DFS, 0, 2,
		     "stale-tlb", "stale-tlb");
}

static void test_fault_vs_mprotect_clean(void **state)
{
	struct mm_race_opts o = { .op = MM_RACE_MPROTECT, .iters = 3 };
	struct model m = race_model(&o);

	(void)state;
	expect_clean(&m, STRAT_DFS, 0, 2);
	expect_clean(&m, STRAT_PCT, 1000, -1);
	o.neighbor = o.cold = true;
	o.iters = 30;
	expect_clean(&m, STRAT_RANDOM, 2000, -1);
	/* the scenario (scenarios/models/fault-vs-mprotect.yaml): its setup agent
	 * adds schedule points; bound 2 is in long_test.sh */
	expect_clean(model_by_name("fault-vs-mprotect"), STRAT_DFS, 0, 1);
}

static void test_fault_vs_mprotect_noflush_found(void **state)
{
	struct mm_race_opts o = { .op = MM_RACE_MPROTECT,
				  .inject_no_flush = true,
				  .no_quiescent = true,
				  .iters = 3 };
	struct model m = race_model(&o);

	(void)state;
	expect_found(&m, STRAT_DFS, 0, 2, "permission",
		     "after mprotect(PROT_READ) had returned");
	expect_found(&m, STRAT_PCT, 2000, -1, "permission",
		     "after mprotect(PROT_READ) had returned");
	o.iters = 30;
	expect_found(&m, STRAT_RANDOM, 2000, -1, "permission",
		     "after mprotect(PROT_READ) had returned");
	expect_found(model_by_name("fault-vs-mprotect-noflush"), STRAT_DFS, 0, 2,
		     "tlb-coherence", "beyond what its PTE");
}

static void test_fault_vs_truncate_clean(void **state)
{
	struct mm_race_opts o = { .op = MM_RACE_TRUNCATE, .iters = 1 };
	struct model m = race_model(&o);

	(void)state;
	expect_clean(&m, STRAT_DFS, 0, 2);
	o.iters = 3;
	expect_clean(&m, STRAT_PCT, 2000, -1);
	o.neighbor = o.cold = true;
	/* the scenario (scenarios/models/fault-vs-truncate.yaml): its setup agent
	 * adds schedule points; bound 2 is in long_test.sh */
	expect_clean(model_by_name("fault-vs-truncate"), STRAT_DFS, 0, 1);
	o.iters = 30;
	expect_clean(&m, STRAT_RANDOM, 2000, -1);
}

/*
 * Truncation that unmaps only once: a fault that mapped the page after
 * that unmap keeps it mapped once truncate() returned.
 */
static void test_fault_vs_truncate_single_unmap_found(void **state)
{
	struct mm_race_opts o = { .op = MM_RACE_TRUNCATE,
				  .inject_no_flush = true,
				  .no_quiescent = true,
				  .iters = 3,
				  .cold = true };
	struct model m = race_model(&o);

	(void)state;
	expect_found(&m, STRAT_PCT, 5000, -1, "access-after-truncate",
		     "after truncate() to 0 had returned");
	expect_found(&m, STRAT_DFS, 0, 2, "access-after-truncate",
		     "after truncate() to 0 had returned");
	o.no_quiescent = false;
	o.iters = 1;
	expect_found(&m, STRAT_DFS, 0, 2, "truncated-page-mapped",
		     "no longer in its file");
}

/*
 * Two MADV_DONTNEEDs at once: the second finds the PTE already cleared
 * and has nothing of its own to flush.  Only tlb_finish_mmu()'s nested
 * check (mm_tlb_flush_nested) keeps it from returning while CPU0 still
 * reads the old page through its TLB.
 */
static void test_read_vs_dontneed(void **state)
{
	struct mm_race_opts o = { .op = MM_RACE_DONTNEED, .iters = 3 };
	struct model m = race_model(&o);

	(void)state;
	expect_clean(&m, STRAT_DFS, 0, 2);
	expect_clean(&m, STRAT_RANDOM, 2000, -1);
	expect_clean(model_by_name("read-vs-dontneed"), STRAT_PCT, 2000, -1);

	o.inject_no_flush = true;
	expect_found(&m, STRAT_DFS, 0, 2, "value",
		     "after MADV_DONTNEED had returned");
	expect_found(&m, STRAT_PCT, 5000, -1, "value",
		     "after MADV_DONTNEED had returned");
	expect_found(model_by_name("read-vs-dontneed-nonested"), STRAT_RANDOM,
		     5000, -1, "value", "after MADV_DONTNEED had returned");
}

/*
 * Fork write-protects the parent's PTEs and then flushes its TLBs;
 * without that flush the parent keeps writing the page it now shares
 * with the child through its stale writable TLB entry.
 */
static void test_write_vs_fork(void **state)
{
	struct mm_race_opts o = { .op = MM_RACE_FORK, .iters = 3 };
	struct model m = race_model(&o);

	(void)state;
	expect_clean(&m, STRAT_DFS, 0, 2);
	expect_clean(&m, STRAT_PCT, 2000, -1);
	o.iters = 30;
	expect_clean(&m, STRAT_RANDOM, 2000, -1);

	o.iters = 3;
	o.inject_no_flush = true;
	o.no_quiescent = true;
	/* the value oracle sees the child read the parent's later write */
	expect_found(&m, STRAT_DFS, 0, 2, "value", "after fork() had returned");
	expect_found(&m, STRAT_PCT, 2000, -1, "value",
		     "after fork() had returned");
	expect_found(model_by_name("write-vs-fork-noflush"), STRAT_DFS, 0, 2,
		     "tlb-coherence", "(writable) beyond what its PTE");
}

/* ---- page tables freed one grace period after the flush ---- */

struct rcu_pt {
	bool no_rcu;
	struct mm_world *mmw;
	struct mm_struct *mm;
	unsigned long addr, pte_pfn, gen;
};

#define RCU_PT_ADDR 0x10000000UL

/* a lockless walker (GUP-fast style) holding a PTE table under RCU */
static void rcu_pt_walker(void *arg)
{
	struct rcu_pt *t = arg;
	struct phys_mem *pm = t->mmw->pm;
	struct ptdesc *pt = ptdesc_of(t->mm->pgd);
	struct page *page = NULL;
	uint64_t v = 0;
	int level;

	rcu_read_lock();
	for (level = 4; level >= 2; level--) {
		unsigned long idx =
			(t->addr >> (PAGE_SHIFT + 9 * (level - 1))) & 511;

		v = pgdp_get((pgd_t *)&pt->entries[idx]).pgd;
		if (!(v & _PAGE_PRESENT))
			goto out;
		page = pfn_to_page(pm, (v & PTE_PFN_MASK) >> PAGE_SHIFT);
		pt = ptdesc_of_pfn(pm, page_to_pfn(page));
		if (!pt)
			break; /* a freed upper table: the check below says */
	}
	/* page: the PTE table; hold it across the unmapper's work */
	sched_point(SP_EXPLICIT, page);
	sched_point(SP_EXPLICIT, page);
	if (!PageTable(page) || (page_to_pfn(page) == t->pte_pfn &&
				 page_generation(page) != t->gen))
		report_add(
			t->mmw->w, "pgtable-freed-under-rcu",
			"the table pfn %#lx was freed while a walker held it under rcu_read_lock()\n",
			page_to_pfn(page));
out:
	rcu_read_unlock();
}

static void rcu_pt_unmapper(void *arg)
{
	struct rcu_pt *t = arg;

	vm_munmap(t->mm, t->addr, PAGE_SIZE);
}

static int rcu_pt_setup(struct world *w, void *arg)
{
	struct rcu_pt *t = arg;
	pmd_t *pmd;

	t->mmw = mm_world_get(w, 1024, 1);
	t->mmw->inject.pgtable_free_no_rcu = t->no_rcu;
	t->mm = mm_alloc(t->mmw);
	t->addr = vm_mmap(t->mm, NULL, RCU_PT_ADDR, PAGE_SIZE,
			  PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
	if (t->addr != RCU_PT_ADDR ||
	    cpu_write(mm_cpu(t->mmw, 0), t->mm, t->addr, 1))
		return -EINVAL;
	pmd = pmd_offset(pud_offset(pgd_offset(t->mm, t->addr), t->addr),
			 t->addr);
	t->pte_pfn = pmd_pfn(pmdp_get(pmd));
	t->gen = phys_generation(t->mmw->pm, t->pte_pfn);
	agent_create(w, "walker", rcu_pt_walker, t);
	agent_create(w, "unmapper", rcu_pt_unmapper, t);
	return 0;
}

static void rcu_pt_check(struct world *w, void *arg)
{
	struct rcu_pt *t = arg;

	/* by now the grace period has ended: the table is gone */
	if (phys_generation(t->mmw->pm, t->pte_pfn) == t->gen)
		report_add(w, "pgtable-leak",
			   "the PTE table was never freed\n");
	cpu_idle(mm_cpu(t->mmw, 0));
	mmput(t->mm);
	phys_check_leaks(t->mmw->pm, 0);
}

static void test_pgtable_rcu_free(void **state)
{
	struct rcu_pt t = { 0 };
	struct model m = { .name = "pgtable-rcu",
			   .setup = rcu_pt_setup,
			   .check = rcu_pt_check,
			   .arg = &t };

	(void)state;
	expect_clean(&m, STRAT_DFS, 0, 2);
	t.no_rcu = true;
	expect_found(&m, STRAT_DFS, 0, 2, "pgtable-freed-under-rcu",
		     "under rcu_read_lock()");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fault_vs_munmap_clean),
		cmocka_unit_test(test_fault_vs_munmap_noflush_found),
		cmocka_unit_test(test_fault_vs_mprotect_clean),
		cmocka_unit_test(test_fault_vs_mprotect_noflush_found),
		cmocka_unit_test(test_fault_vs_truncate_clean),
		cmocka_unit_test(test_fault_vs_truncate_single_unmap_found),
		cmocka_unit_test(test_read_vs_dontneed),
		cmocka_unit_test(test_write_vs_fork),
		cmocka_unit_test(test_pgtable_rcu_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
