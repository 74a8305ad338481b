// SPDX-License-Identifier: MIT
/*
 * Suite "unit": soft-dirty tracking and clear_refs (src/fs/proc_task_mmu.c)
 * as tools/testing/selftests/mm/soft-dirty.c checks it: a write sets the
 * pagemap bit, clear_refs "4" clears it, the next write sets it again, a
 * read does not; new mappings read as soft-dirty; values survive; the
 * clear_refs notifier range; and the checker's missed-dirty report when
 * clear_refs.flush_tlb=false leaves a writable TLB entry behind.
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
#include "core/policy.h"
#include "devices/mirror.h"
#include "engine/engine.h"
#include "fs/proc_fs.h"
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

static unsigned long mmap_anon(struct mm_struct *mm, unsigned long len)
{
	unsigned long a = vm_mmap(mm, NULL, 0, len, RW, ANON, 0);

	assert_false(IS_ERR_VALUE(a));
	return a;
}

static uint64_t rd(struct cpu *c, struct mm_struct *mm, unsigned long va)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(cpu_read(c, mm, va, &v), 0);
	return v;
}

static void wr(struct cpu *c, struct mm_struct *mm, unsigned long va,
	       uint64_t v)
{
	assert_int_equal(cpu_write(c, mm, va, v), 0);
}

static void clear_soft_dirty(struct mm_struct *mm)
{
	assert_int_equal(clear_refs_write(mm, CLEAR_REFS_SOFT_DIRTY), 0);
}

/* soft-dirty.c's test_simple: write, clear, write again */
static void test_write_clear_write(void **state)
{
	struct fx *f = *state;
	unsigned long a = mmap_anon(f->mm, 4 * PAGE_SIZE);
	int i;

	wr(f->c0, f->mm, a, 11);
	assert_int_equal(pagemap_soft_dirty(f->mm, a), 1);
	for (i = 0; i < 3; i++) {
		clear_soft_dirty(f->mm);
		assert_int_equal(pagemap_soft_dirty(f->mm, a), 0);
		/* the value survives the clear, and a read does not count */
		assert_int_equal(rd(f->c0, f->mm, a), 11 + i);
		assert_int_equal(rd(f->c1, f->mm, a), 11 + i);
		assert_int_equal(pagemap_soft_dirty(f->mm, a), 0);
		/* the other CPU writes: its cached entry was flushed */
		wr(i & 1 ? f->c0 : f->c1, f->mm, a, 12 + i);
		assert_int_equal(pagemap_soft_dirty(f->mm, a), 1);
		assert_int_equal(rd(f->c0, f->mm, a), 12 + i);
	}
	/* a page written before the clear and not since stays clean */
	wr(f->c0, f->mm, a + PAGE_SIZE, 5);
	clear_soft_dirty(f->mm);
	wr(f->c0, f->mm, a, 99);
	assert_int_equal(pagemap_soft_dirty(f->mm, a), 1);
	assert_int_equal(pagemap_soft_dirty(f->mm, a + PAGE_SIZE), 0);
	assert_int_equal(rd(f->c1, f->mm, a + PAGE_SIZE), 5);
}

/* the write fault goes through do_wp_page: the PTE was write-protected */
static void test_clear_write_protects(void **state)
{
	struct fx *f = *state;
	unsigned long a = mmap_anon(f->mm, PAGE_SIZE);
	unsigned long faults;
	uint64_t e;

	wr(f->c0, f->mm, a, 1);
	assert_int_equal(pagemap_read_entry(f->mm, a, &e), 0);
	assert_true(e & PM_PRESENT);
	assert_true(e & PM_MMAP_EXCLUSIVE);
	assert_false(e & PM_FILE);
	clear_soft_dirty(f->mm);
	faults = f->c0->nr_faults;
	wr(f->c0, f->mm, a, 2);
	assert_int_equal(f->c0->nr_faults, faults + 1);
	/* and the fault made it writable again: no second fault */
	wr(f->c0, f->mm, a, 3);
	assert_int_equal(f->c0->nr_faults, faults + 1);
	assert_int_equal(pagemap_read_entry(f->mm, a, &e), 0);
	assert_true((e & PM_SOFT_DIRTY) && (e & PM_PRESENT));
}

/* new VMAs are soft-dirty as a whole, touched or not (VM_SOFTDIRTY) */
static void test_new_mapping_is_soft_dirty(void **state)
{
	struct fx *f = *state;
	unsigned long a = mmap_anon(f->mm, PAGE_SIZE), b;

	assert_int_equal(pagemap_soft_dirty(f->mm, a), 1);
	clear_soft_dirty(f->mm);
	assert_int_equal(pagemap_soft_dirty(f->mm, a), 0);
	b = mmap_anon(f->mm, 2 * PAGE_SIZE);
	assert_int_equal(pagemap_soft_dirty(f->mm, b), 1);
	assert_int_equal(pagemap_soft_dirty(f->mm, b + PAGE_SIZE), 1);
	assert_int_equal(rd(f->c0, f->mm, b), 0);
	assert_int_equal(pagemap_soft_dirty(f->mm, b), 1);
	/* a hole is not */
	assert_int_equal(vm_munmap(f->mm, b, PAGE_SIZE), 0);
	assert_int_equal(pagemap_soft_dirty(f->mm, b), 0);
}

/*
 * A shared mapping maps pages writable on a read fault, unless soft-dirty
 * tracking wants the write fault (vma_wants_writenotify()).
 */
static void test_shared_file_read_then_write(void **state)
{
	struct fx *f = *state;
	struct file *file = shmem_file_setup(f->mmw, 2 * PAGE_SIZE);
	unsigned long a, faults;

	a = vm_mmap(f->mm, file, 0, 2 * PAGE_SIZE, RW, MAP_SHARED, 0);
	assert_false(IS_ERR_VALUE(a));
	wr(f->c0, f->mm, a, 7);
	clear_soft_dirty(f->mm);
	/* page 1: first touched by a read after the clear */
	assert_int_equal(rd(f->c0, f->mm, a + PAGE_SIZE), 0);
	assert_int_equal(pagemap_soft_dirty(f->mm, a + PAGE_SIZE), 0);
	faults = f->c0->nr_faults;
	wr(f->c0, f->mm, a + PAGE_SIZE, 8);
	assert_int_equal(f->c0->nr_faults, faults + 1);
	assert_int_equal(pagemap_soft_dirty(f->mm, a + PAGE_SIZE), 1);
	assert_int_equal(pagemap_soft_dirty(f->mm, a), 0);
	wr(f->c1, f->mm, a, 9);
	assert_int_equal(pagemap_soft_dirty(f->mm, a), 1);
	assert_int_equal(rd(f->c0, f->mm, a), 9);
	fput(file);
}

/* mprotect does not make a clean, tracked PTE writable behind the bit */
static void test_mprotect_keeps_tracking(void **state)
{
	struct fx *f = *state;
	unsigned long a = mmap_anon(f->mm, PAGE_SIZE);

	wr(f->c0, f->mm, a, 1);
	clear_soft_dirty(f->mm);
	assert_int_equal(do_mprotect_pkey(f->mm, a, PAGE_SIZE, PROT_READ, -1),
			 0);
	assert_int_equal(do_mprotect_pkey(f->mm, a, PAGE_SIZE, RW, -1), 0);
	assert_int_equal(pagemap_soft_dirty(f->mm, a), 0);
	wr(f->c0, f->mm, a, 2);
	assert_int_equal(pagemap_soft_dirty(f->mm, a), 1);
}

/* the child inherits the cleared state; COW sets the bit in the child */
static void test_fork_then_write(void **state)
{
	struct fx *f = *state;
	unsigned long a = mmap_anon(f->mm, PAGE_SIZE);

	wr(f->c0, f->mm, a, 1);
	clear_soft_dirty(f->mm);
	f->child = dup_mm(f->mm);
	assert_non_null(f->child);
	assert_int_equal(pagemap_soft_dirty(f->child, a), 0);
	wr(f->c1, f->child, a, 2);
	assert_int_equal(pagemap_soft_dirty(f->child, a), 1);
	assert_int_equal(pagemap_soft_dirty(f->mm, a), 0);
	assert_int_equal(rd(f->c0, f->mm, a), 1);
}

static void test_clear_refs_errno(void **state)
{
	struct fx *f = *state;
	unsigned long a = mmap_anon(f->mm, PAGE_SIZE);

	wr(f->c0, f->mm, a, 1);
	assert_int_equal(clear_refs_write(f->mm, 0), -EINVAL);
	assert_int_equal(clear_refs_write(f->mm, CLEAR_REFS_LAST), -EINVAL);
	assert_int_equal(clear_refs_write(f->mm, -4), -EINVAL);
	/* 1..3 clear the accessed bits only, 5 (hiwater) does nothing */
	assert_int_equal(clear_refs_write(f->mm, CLEAR_REFS_ALL), 0);
	assert_int_equal(clear_refs_write(f->mm, CLEAR_REFS_MAPPED), 0);
	assert_int_equal(clear_refs_write(f->mm, CLEAR_REFS_MM_HIWATER_RSS), 0);
	assert_int_equal(pagemap_soft_dirty(f->mm, a), 1);
	assert_int_equal(rd(f->c0, f->mm, a), 1);
}

/* CLEAR_REFS_ALL clears the accessed bit of every present PTE */
static void test_clear_refs_young(void **state)
{
	struct fx *f = *state;
	unsigned long a = mmap_anon(f->mm, PAGE_SIZE);
	pte_t *pte;
	spinlock_t *ptl;

	wr(f->c0, f->mm, a, 1);
	assert_int_equal(clear_refs_write(f->mm, CLEAR_REFS_ANON), 0);
	pte = pte_offset_map_lock(f->mm, mm_find_pmd(f->mm, a), a, &ptl);
	assert_non_null(pte);
	assert_false(pte_young(ptep_get(pte)));
	assert_true(pte_soft_dirty(ptep_get(pte)));
	pte_unmap_unlock(pte, ptl);
}

/* ---- the notifier range ---- */

struct sdlog {
	struct mmu_notifier mn;
	int starts, ends;
	enum mmu_notifier_event event;
	unsigned long start, end;
};

static int sd_start(struct mmu_notifier *mn, const struct mmu_notifier_range *r)
{
	struct sdlog *l = container_of(mn, struct sdlog, mn);

	l->starts++;
	l->event = r->event;
	l->start = r->start;
	l->end = r->end;
	return 0;
}

static void sd_end(struct mmu_notifier *mn, const struct mmu_notifier_range *r)
{
	container_of(mn, struct sdlog, mn)->ends++;
}

static const struct mmu_notifier_ops sd_ops = {
	.invalidate_range_start = sd_start,
	.invalidate_range_end = sd_end,
};

static void test_notifier_soft_dirty_range(void **state)
{
	struct fx *f = *state;
	struct sdlog l = { .mn.ops = &sd_ops };
	unsigned long a = mmap_anon(f->mm, PAGE_SIZE);

	wr(f->c0, f->mm, a, 1);
	assert_int_equal(
		mmu_notifier_register(&l.mn, f->mm->notifier_subscriptions), 0);
	clear_soft_dirty(f->mm);
	assert_int_equal(l.starts, 1);
	assert_int_equal(l.ends, 1);
	assert_int_equal(l.event, MMU_NOTIFY_SOFT_DIRTY);
	assert_int_equal(l.start, 0);
	assert_int_equal(l.end, -1UL);
	/* the other types touch no translation a secondary may cache */
	assert_int_equal(clear_refs_write(f->mm, CLEAR_REFS_ALL), 0);
	assert_int_equal(l.starts, 1);
	mmu_notifier_unregister(&l.mn, f->mm->notifier_subscriptions);
}

/*
 * A secondary MMU (the mirror device) writes through its own table: the
 * SOFT_DIRTY invalidation drops its entries, so its next write faults
 * through the mm and sets the bit, as a CPU's does.
 */
static void test_device_write_after_clear(void **state)
{
	struct fx *f = *state;
	unsigned long a = mmap_anon(f->mm, 2 * PAGE_SIZE);
	struct dmirror d;
	uint64_t v;

	assert_int_equal(dmirror_init(&d, f->mm, a, 2), 0);
	assert_int_equal(dmirror_write(&d, a, 5), 0);
	assert_int_equal(dmirror_write(&d, a + PAGE_SIZE, 6), 0);
	assert_int_equal(dmirror_nr_valid(&d), 2);
	clear_soft_dirty(f->mm);
	assert_int_equal(dmirror_nr_valid(&d), 0);
	assert_int_equal(pagemap_soft_dirty(f->mm, a), 0);
	/* a device read does not count, a device write does */
	assert_int_equal(dmirror_read(&d, a, &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(pagemap_soft_dirty(f->mm, a), 0);
	assert_int_equal(dmirror_write(&d, a, 7), 0);
	assert_int_equal(pagemap_soft_dirty(f->mm, a), 1);
	assert_int_equal(pagemap_soft_dirty(f->mm, a + PAGE_SIZE), 0);
	assert_int_equal(rd(f->c0, f->mm, a), 7);
	assert_int_equal(dmirror_check_quiescent(&d), 0);
	dmirror_fini(&d);
}

/* ---- missed-dirty ---- */

static int count_kind(struct world *w, const char *kind)
{
	struct report *r;
	int n = 0;

	list_for_each_entry(r, &w->reports, node)
		n += !strcmp(r->kind, kind);
	return n;
}

static void set_knob(struct fx *f, const char *knob, const char *value)
{
	char err[256];

	assert_non_null(f->w->policy);
	assert_int_equal(
		policy_set(f->w->policy, knob, value, err, sizeof(err)), 0);
}

/* with the flush, CPU1's writable entry is gone and its write faults */
static void test_flush_keeps_tracking(void **state)
{
	struct fx *f = *state;
	unsigned long a = mmap_anon(f->mm, PAGE_SIZE);

	wr(f->c1, f->mm, a, 1);
	clear_soft_dirty(f->mm);
	wr(f->c1, f->mm, a, 2);
	assert_int_equal(count_kind(f->w, "missed-dirty"), 0);
	assert_int_equal(pagemap_soft_dirty(f->mm, a), 1);
}

/*
 * clear_refs.flush_tlb=false: CPU1 keeps its writable, dirty entry, its
 * write lands without a fault and pagemap says the page is clean.
 */
static void test_noflush_misses_write(void **state)
{
	struct fx *f = *state;
	unsigned long a = mmap_anon(f->mm, PAGE_SIZE);

	set_knob(f, "clear_refs.flush_tlb", "false");
	wr(f->c1, f->mm, a, 1);
	clear_soft_dirty(f->mm);
	wr(f->c1, f->mm, a, 2);
	assert_int_equal(count_kind(f->w, "missed-dirty"), 1);
	assert_int_equal(pagemap_soft_dirty(f->mm, a), 0);
	assert_int_equal(rd(f->c0, f->mm, a), 2);
	/* once per entry */
	wr(f->c1, f->mm, a, 3);
	assert_int_equal(count_kind(f->w, "missed-dirty"), 1);
	f->expected_reports = 1;
	/* the quiescent check sees the writable entry over a read-only PTE */
	flush_tlb_mm(f->mm);
}

/* ---- the race model under the explorer ---- */

static void expect_clean(const struct model *m, enum strategy s,
			 unsigned long iters, int bound)
{
	explore_expect_clean(m, s, iters, bound, XCLEAN_EXHAUSTED);
}

/* found as missed-dirty, and the schedule replays to the same report */
static void expect_missed_dirty(const struct model *m, enum strategy s)
{
	explore_expect_found(m, s, 500, s == STRAT_DFS ? 2 : -1,
			     XONE("missed-dirty"),
			     XONE("does not record the write"));
}

static void test_write_vs_clear_refs_clean(void **state)
{
	const struct model *m = model_by_name("write-vs-clear-refs");

	(void)state;
	assert_non_null(m);
	expect_clean(m, STRAT_DFS, 0, 2);
	expect_clean(m, STRAT_PCT, 1000, -1);
	expect_clean(m, STRAT_RANDOM, 10000, -1);
}

static void test_write_vs_clear_refs_noflush_found(void **state)
{
	const struct model *m = model_by_name("write-vs-clear-refs-noflush");
	struct policy pol;
	struct policy_model pm;
	char err[128];

	(void)state;
	assert_non_null(m);
	expect_missed_dirty(m, STRAT_DFS);
	expect_missed_dirty(m, STRAT_PCT);
	expect_missed_dirty(m, STRAT_RANDOM);
	/* the clean model with the knob set through the policy */
	policy_init_default(&pol);
	assert_int_equal(policy_set(&pol, "clear_refs.flush_tlb", "false", err,
				    sizeof(err)),
			 0);
	policy_model_by_name(&pm, "write-vs-clear-refs", &pol);
	expect_missed_dirty(&pm.m, STRAT_PCT);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_write_clear_write),
		T(test_clear_write_protects),
		T(test_new_mapping_is_soft_dirty),
		T(test_shared_file_read_then_write),
		T(test_mprotect_keeps_tracking),
		T(test_fork_then_write),
		T(test_clear_refs_errno),
		T(test_clear_refs_young),
		T(test_notifier_soft_dirty_range),
		T(test_device_write_after_clear),
		T(test_flush_keeps_tracking),
		T(test_noflush_misses_write),
		cmocka_unit_test(test_write_vs_clear_refs_clean),
		cmocka_unit_test(test_write_vs_clear_refs_noflush_found),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
