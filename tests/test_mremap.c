// SPDX-License-Identifier: MIT
/*
 * Suite "unit": mremap(2) (src/mm/mremap.c) driven directly, as the
 * kernel's selftests (tools/testing/selftests/mm/mremap_test.c) and LTP's
 * mremap01..05 check it: values follow a moved mapping, the old range
 * faults afterwards, shrink/grow in place, MREMAP_FIXED replaces what is
 * at the target, file mappings keep their offset and stay visible to
 * truncation, and the errno of bad arguments; then the race with
 * truncate (CVE-2018-18281) under the explorer, and (argument `real`)
 * on real threads.  Whole-table moves (move_normal_pmd): the PTE table's
 * frame changes PMD entry with no PTE rewritten, mixed and misaligned
 * moves fall back to move_ptes(), and the races with munmap and truncate
 * (clean; stale-tlb without the rmap locks, as before 97113eb39fa7).
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
#include "fs/proc_fs.h"
#include "engine/engine.h"
#include "mm/mm.h"
#include "mm/tlb.h"
#include "scenario/builtin.h"
#include "scenario/mm_models.h"

#define NR_FRAMES 4096UL

#include "mm_fixture.h"
#include "shipped.h"

#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define ERR(e) ((unsigned long)-(e))

static int setup(void **state)
{
	*state = fx_create();
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	fx_release_mms(f);
	fx_finish(f);
	return 0;
}

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

static void fill(struct fx *f, unsigned long a, int pages, uint64_t base)
{
	int i;

	for (i = 0; i < pages; i++)
		wr(i & 1 ? f->c1 : f->c0, f->mm, a + i * PAGE_SIZE, base + i);
}

static void expect_values(struct fx *f, unsigned long a, int pages,
			  uint64_t base)
{
	int i;

	for (i = 0; i < pages; i++)
		assert_int_equal(rd(i & 1 ? f->c0 : f->c1, f->mm,
				    a + i * PAGE_SIZE),
				 base + i);
}

static void expect_segv(struct fx *f, unsigned long a, int pages)
{
	uint64_t v;
	int i;

	for (i = 0; i < pages; i++) {
		assert_int_equal(cpu_read(f->c0, f->mm, a + i * PAGE_SIZE, &v),
				 CPU_SIGSEGV);
		assert_int_equal(cpu_read(f->c1, f->mm, a + i * PAGE_SIZE, &v),
				 CPU_SIGSEGV);
	}
}

/* MAYMOVE with a neighbour in the way: values move, the old range faults */
static void test_move_anon(void **state)
{
	struct fx *f = *state;
	unsigned long a = mmap_anon(f->mm, 4 * PAGE_SIZE), b, n;

	fill(f, a, 4, 100);
	/* a mapping right above blocks growth in place */
	n = vm_mmap(f->mm, NULL, a + 4 * PAGE_SIZE, PAGE_SIZE, PROT_READ,
		    ANON | MAP_FIXED, 0);
	assert_int_equal(n, a + 4 * PAGE_SIZE);
	assert_int_equal(do_mremap(f->mm, a, 4 * PAGE_SIZE, 8 * PAGE_SIZE, 0,
				   0),
			 ERR(ENOMEM));
	b = do_mremap(f->mm, a, 4 * PAGE_SIZE, 8 * PAGE_SIZE, MREMAP_MAYMOVE,
		      0);
	assert_false(IS_ERR_VALUE(b));
	assert_true(b != a);
	expect_values(f, b, 4, 100);
	/* the grown part is fresh anonymous memory */
	assert_int_equal(rd(f->c0, f->mm, b + 6 * PAGE_SIZE), 0);
	expect_segv(f, a, 4);
	assert_int_equal(get_mm_counter(f->mm, MM_ANONPAGES), 5);
	assert_int_equal(f->mm->total_vm, 9);
	/* writes land in the moved pages */
	wr(f->c1, f->mm, b, 7);
	assert_int_equal(rd(f->c0, f->mm, b), 7);
	assert_int_equal(vm_munmap(f->mm, b, 8 * PAGE_SIZE), 0);
	assert_int_equal(vm_munmap(f->mm, n, PAGE_SIZE), 0);
	assert_int_equal(f->mm->map_count, 0);
	assert_int_equal(f->mm->nr_ptes, 1);
}

/* moving the middle of a VMA splits it; both CPUs' TLBs are flushed */
static void test_move_middle_fixed(void **state)
{
	struct fx *f = *state;
	unsigned long a = mmap_anon(f->mm, 5 * PAGE_SIZE);
	unsigned long t = a + 0x40000000UL; /* another PMD, another PTE table */

	fill(f, a, 5, 10);
	expect_values(f, a, 5, 10); /* both CPUs cache every page */
	assert_int_equal(do_mremap(f->mm, a + PAGE_SIZE, 2 * PAGE_SIZE,
				   2 * PAGE_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED,
				   t),
			 t);
	assert_int_equal(f->mm->map_count, 3);
	assert_int_equal(rd(f->c0, f->mm, a), 10);
	expect_segv(f, a + PAGE_SIZE, 2);
	assert_int_equal(rd(f->c1, f->mm, a + 3 * PAGE_SIZE), 13);
	expect_values(f, t, 2, 11);
	assert_int_equal(vm_munmap(f->mm, a, 5 * PAGE_SIZE), 0);
	assert_int_equal(vm_munmap(f->mm, t, 2 * PAGE_SIZE), 0);
}

/* MREMAP_FIXED replaces what is at the target; shrinking with FIXED */
static void test_fixed_replaces(void **state)
{
	struct fx *f = *state;
	unsigned long a = mmap_anon(f->mm, 3 * PAGE_SIZE);
	unsigned long t = mmap_anon(f->mm, 4 * PAGE_SIZE);

	fill(f, a, 3, 1);
	fill(f, t, 4, 50);
	assert_int_equal(do_mremap(f->mm, a, 3 * PAGE_SIZE, 2 * PAGE_SIZE,
				   MREMAP_MAYMOVE | MREMAP_FIXED, t),
			 t);
	expect_values(f, t, 2, 1);
	/* the rest of the old target mapping is still there */
	assert_int_equal(rd(f->c0, f->mm, t + 3 * PAGE_SIZE), 53);
	assert_int_equal(rd(f->c0, f->mm, t + 2 * PAGE_SIZE), 52);
	expect_segv(f, a, 3);
	assert_int_equal(get_mm_counter(f->mm, MM_ANONPAGES), 4);
	assert_int_equal(vm_munmap(f->mm, t, 4 * PAGE_SIZE), 0);
}

/* shrink, then grow in place again */
static void test_shrink_grow_in_place(void **state)
{
	struct fx *f = *state;
	unsigned long a = mmap_anon(f->mm, 4 * PAGE_SIZE);

	fill(f, a, 4, 20);
	assert_int_equal(do_mremap(f->mm, a, 4 * PAGE_SIZE, PAGE_SIZE, 0, 0),
			 a);
	expect_values(f, a, 1, 20);
	expect_segv(f, a + PAGE_SIZE, 3);
	assert_int_equal(get_mm_counter(f->mm, MM_ANONPAGES), 1);
	/* same size: nothing to do */
	assert_int_equal(do_mremap(f->mm, a, PAGE_SIZE, PAGE_SIZE, 0, 0), a);
	assert_int_equal(do_mremap(f->mm, a, PAGE_SIZE, 3 * PAGE_SIZE, 0, 0),
			 a);
	assert_int_equal(f->mm->map_count, 1);
	assert_int_equal(f->mm->vmas[0]->vm_end, a + 3 * PAGE_SIZE);
	assert_int_equal(rd(f->c0, f->mm, a), 20);
	assert_int_equal(rd(f->c0, f->mm, a + 2 * PAGE_SIZE), 0);
	assert_int_equal(f->mm->total_vm, 3);
	assert_int_equal(vm_munmap(f->mm, a, 3 * PAGE_SIZE), 0);
}

/* a shared file mapping moves with its offset; truncation finds it */
static void test_move_file(void **state)
{
	struct fx *f = *state;
	struct file *file = shmem_file_setup(f->mmw, 4 * PAGE_SIZE);
	unsigned long a, b;
	uint64_t v;

	a = vm_mmap(f->mm, file, 0, 4 * PAGE_SIZE, RW, MAP_SHARED, 0);
	assert_false(IS_ERR_VALUE(a));
	fill(f, a, 4, 30);
	b = do_mremap(f->mm, a + 2 * PAGE_SIZE, 2 * PAGE_SIZE, 2 * PAGE_SIZE,
		      MREMAP_MAYMOVE | MREMAP_FIXED, a + 0x200000UL);
	assert_int_equal(b, a + 0x200000UL);
	expect_values(f, b, 2, 32);
	expect_segv(f, a + 2 * PAGE_SIZE, 2);
	/* the page cache agrees: offset 2 is the moved page */
	assert_int_equal(filemap_read_word(file, 2 * PAGE_SIZE, &v), 8);
	assert_int_equal(v, 32);
	wr(f->c0, f->mm, b + PAGE_SIZE, 99);
	assert_int_equal(filemap_read_word(file, 3 * PAGE_SIZE, &v), 8);
	assert_int_equal(v, 99);
	/* truncation reaches the page at its new address */
	assert_int_equal(vfs_truncate(file, 2 * PAGE_SIZE), 0);
	assert_int_equal(cpu_read(f->c1, f->mm, b, &v), CPU_SIGBUS);
	assert_int_equal(rd(f->c1, f->mm, a + PAGE_SIZE), 31);
	assert_int_equal(vm_munmap(f->mm, a, 2 * PAGE_SIZE), 0);
	assert_int_equal(vm_munmap(f->mm, b, 2 * PAGE_SIZE), 0);
	fput(file);
}

/* the file offsets of @file's VMAs in i_mmap order, into @pg; their count */
static int i_mmap_pgoffs(struct file *file, unsigned long *pg, int max)
{
	struct vm_area_struct *v;
	int n = 0;

	list_for_each_entry(v, &file->f_mapping->i_mmap, shared) {
		assert_true(n < max);
		pg[n++] = v->vm_pgoff;
	}
	return n;
}

/*
 * copy_vma() merges the moved range into the VMA above it (which grows
 * down and takes the range's offset, moving in i_mmap), and into both
 * neighbours at once when the three line up.
 */
static void test_move_file_merges(void **state)
{
	struct fx *f = *state;
	struct file *file = shmem_file_setup(f->mmw, 4 * PAGE_SIZE);
	const unsigned long d = 0x40000000UL; /* where the pieces meet */
	struct vm_area_struct *v;
	unsigned long a, b, c, pg[4];
	int nr = f->mm->map_count, i;

	assert_non_null(file);
	/* page 1 of the file at a; pages 2-3 just above d; page 0 elsewhere */
	a = vm_mmap(f->mm, file, 0, PAGE_SIZE, RW, MAP_SHARED, PAGE_SIZE);
	b = vm_mmap(f->mm, file, d + PAGE_SIZE, 2 * PAGE_SIZE, RW,
		    MAP_SHARED | MAP_FIXED, 2 * PAGE_SIZE);
	c = vm_mmap(f->mm, file, 0, PAGE_SIZE, RW, MAP_SHARED, 0);
	assert_false(IS_ERR_VALUE(a) || IS_ERR_VALUE(c));
	assert_int_equal(b, d + PAGE_SIZE);
	fill(f, a, 1, 41);
	fill(f, b, 2, 42);
	fill(f, c, 1, 40);
	/* page 1 moves to d: the VMA above grows down over it */
	assert_int_equal(do_mremap(f->mm, a, PAGE_SIZE, PAGE_SIZE,
				   MREMAP_MAYMOVE | MREMAP_FIXED, d),
			 d);
	v = find_vma(f->mm, d);
	assert_non_null(v);
	assert_int_equal(v->vm_start, d);
	assert_int_equal(v->vm_end, d + 3 * PAGE_SIZE);
	assert_int_equal(v->vm_pgoff, 1);
	assert_int_equal(f->mm->map_count, nr + 2);
	expect_values(f, d, 3, 41);
	expect_segv(f, a, 1);
	/* i_mmap by offset: page 0's VMA, then the merged one */
	assert_int_equal(i_mmap_pgoffs(file, pg, 4), 2);
	assert_int_equal(pg[0], 0);
	assert_int_equal(pg[1], 1);
	/* page 0 moves just below: prev and next become one VMA */
	assert_int_equal(do_mremap(f->mm, c, PAGE_SIZE, PAGE_SIZE,
				   MREMAP_MAYMOVE | MREMAP_FIXED,
				   d - PAGE_SIZE),
			 d - PAGE_SIZE);
	v = find_vma(f->mm, d - PAGE_SIZE);
	assert_int_equal(v->vm_start, d - PAGE_SIZE);
	assert_int_equal(v->vm_end, d + 3 * PAGE_SIZE);
	assert_int_equal(v->vm_pgoff, 0);
	assert_int_equal(f->mm->map_count, nr + 1);
	expect_values(f, d - PAGE_SIZE, 4, 40);
	assert_int_equal(i_mmap_pgoffs(file, pg, 4), 1);
	/* truncation reaches every page through the one VMA */
	assert_int_equal(vfs_truncate(file, 0), 0);
	for (i = 0; i < 4; i++) {
		uint64_t x;

		assert_int_equal(cpu_read(f->c0, f->mm,
					  d - PAGE_SIZE + i * PAGE_SIZE, &x),
				 CPU_SIGBUS);
	}
	assert_int_equal(vm_munmap(f->mm, d - PAGE_SIZE, 4 * PAGE_SIZE), 0);
	fput(file);
}

/* the old kernel's order (flush after unlocking) still moves values */
static void test_move_old_policy(void **state)
{
	struct fx *f = *state;
	unsigned long a = mmap_anon(f->mm, 2 * PAGE_SIZE), b;

	f->w->policy->v[KNOB_MREMAP_FLUSH_BEFORE_PTL_UNLOCK] = 0;
	fill(f, a, 2, 5);
	expect_values(f, a, 2, 5);
	b = do_mremap(f->mm, a, 2 * PAGE_SIZE, 2 * PAGE_SIZE,
		      MREMAP_MAYMOVE | MREMAP_FIXED, a + 0x400000UL);
	assert_int_equal(b, a + 0x400000UL);
	expect_segv(f, a, 2);
	expect_values(f, b, 2, 5);
	assert_int_equal(vm_munmap(f->mm, b, 2 * PAGE_SIZE), 0);
}

static void test_errno(void **state)
{
	struct fx *f = *state;
	unsigned long a = mmap_anon(f->mm, 4 * PAGE_SIZE);
	struct mm_struct *mm = f->mm;

	/* flags */
	assert_int_equal(do_mremap(mm, a, PAGE_SIZE, PAGE_SIZE, 0x80, 0),
			 ERR(EINVAL));
	assert_int_equal(do_mremap(mm, a, PAGE_SIZE, 2 * PAGE_SIZE,
				   MREMAP_FIXED, a + 0x100000),
			 ERR(EINVAL));
	/* alignment and lengths */
	assert_int_equal(do_mremap(mm, a + 8, PAGE_SIZE, PAGE_SIZE, 0, 0),
			 ERR(EINVAL));
	assert_int_equal(do_mremap(mm, a, PAGE_SIZE, 0, 0, 0), ERR(EINVAL));
	assert_int_equal(do_mremap(mm, a, PAGE_SIZE, 2 * PAGE_SIZE,
				   MREMAP_MAYMOVE | MREMAP_FIXED, a + 0x100008),
			 ERR(EINVAL));
	/* FIXED: overlapping ranges, beyond TASK_SIZE */
	assert_int_equal(do_mremap(mm, a, 2 * PAGE_SIZE, 2 * PAGE_SIZE,
				   MREMAP_MAYMOVE | MREMAP_FIXED,
				   a + PAGE_SIZE),
			 ERR(EINVAL));
	assert_int_equal(do_mremap(mm, a, PAGE_SIZE, PAGE_SIZE,
				   MREMAP_MAYMOVE | MREMAP_FIXED, TASK_SIZE),
			 ERR(EINVAL));
	/* nothing mapped there, or the range is not inside one VMA */
	assert_int_equal(do_mremap(mm, a - 0x100000, PAGE_SIZE, 2 * PAGE_SIZE,
				   MREMAP_MAYMOVE, 0),
			 ERR(EFAULT));
	assert_int_equal(do_mremap(mm, a, 5 * PAGE_SIZE, 6 * PAGE_SIZE,
				   MREMAP_MAYMOVE, 0),
			 ERR(EFAULT));
	assert_int_equal(do_mremap(mm, a + 0x100000, PAGE_SIZE, PAGE_SIZE,
				   MREMAP_MAYMOVE | MREMAP_FIXED, a + 0x200000),
			 ERR(EFAULT));
	/* nothing changed */
	assert_int_equal(mm->map_count, 1);
	assert_int_equal(vm_munmap(mm, a, 4 * PAGE_SIZE), 0);
}

/* ---- the race with truncate (CVE-2018-18281) under the explorer ---- */

static void explore_policy(bool fixed, enum strategy s, unsigned long iters,
			   int bound, struct explore_result *r)
{
	struct explore_opts o = { .strategy = s,
				  .seed = 1,
				  .iterations = iters,
				  .bound = bound,
				  .progress_fd = -1,
				  .stop_on_violation = true };
	struct policy_model pm;
	struct policy p;

	policy_init_default(&p);
	p.v[KNOB_MREMAP_FLUSH_BEFORE_PTL_UNLOCK] = fixed;
	policy_model_by_name(&pm, "mremap-truncate-cve-2018-18281", &p);
	assert_int_equal(explore(&pm.m, &o, r), 0);
}

static void test_race_fixed_clean(void **state)
{
	struct explore_result r;

	(void)state;
	explore_policy(true, STRAT_RANDOM, 2000, -1, &r);
	assert_int_equal(r.violating, 0);
	explore_result_free(&r);
	explore_policy(true, STRAT_PCT, 2000, -1, &r);
	assert_int_equal(r.violating, 0);
	explore_result_free(&r);
	/*
	 * bound 1: ~24k executions of the scenario (its setup agent adds
	 * schedule points the C model had not: bound 2 is 2.8M executions,
	 * in long_test.sh)
	 */
	explore_policy(true, STRAT_DFS, 0, 1, &r);
	assert_int_equal(r.violating, 0);
	assert_true(r.exhausted);
	explore_result_free(&r);
}

/* the pre-4.19 order: the freed page is read through the old TLB entry */
static void test_race_buggy_found(void **state)
{
	struct explore_opts o = { .strategy = STRAT_REPLAY,
				  .iterations = 1,
				  .bound = -1,
				  .progress_fd = -1,
				  .stop_on_violation = true };
	struct explore_result r, rr;
	struct policy_model pm;
	struct policy p;

	(void)state;
	explore_policy(false, STRAT_PCT, 2000, -1, &r);
	assert_true(r.first_violation > 0);
	assert_string_equal(r.first_kind, "stale-tlb");
	assert_non_null(strstr(r.first_report, "stale TLB entry"));
	/* the schedule replays to the same report */
	policy_init_default(&p);
	p.v[KNOB_MREMAP_FLUSH_BEFORE_PTL_UNLOCK] = 0;
	policy_model_by_name(&pm, "mremap-truncate-cve-2018-18281", &p);
	o.schedule = r.first_schedule;
	assert_int_equal(explore(&pm.m, &o, &rr), 0);
	assert_int_equal(rr.first_violation, 1);
	assert_string_equal(rr.first_report, r.first_report);
	explore_result_free(&rr);
	explore_result_free(&r);
	/* the preset of that era says the same */
	assert_int_equal(policy_apply_preset(&p, "linux-4.13", NULL, 0), 0);
	assert_false(policy_get(&p, KNOB_MREMAP_FLUSH_BEFORE_PTL_UNLOCK));
}

/* the same races on real threads (suite real: also under TSan) */
static void test_race_real(void **state)
{
	static const char *const models[] = { "mremap-truncate-cve-2018-18281",
					      "mremap-pmd-vs-truncate",
					      "mremap-pmd-vs-munmap" };
	struct explore_result r;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		assert_int_equal(
			run_real(model_by_name_fixed(models[i]), 30, 30, 1, &r),
			0);
		if (r.first_report)
			print_error("%s\n", r.first_report);
		assert_int_equal(r.violating, 0);
		explore_result_free(&r);
	}
}

/* ---- whole-table moves (move_normal_pmd) ---- */

#define PMD_A 0x40000000UL /* 2 MiB-aligned */

/* the frame of the PTE table that maps @va, 0 if none (no schedule point) */
static unsigned long pte_table_pfn(struct mm_struct *mm, unsigned long va)
{
	pgd_t *pgd = pgd_offset(mm, va);
	pud_t *pud;
	pmd_t *pmd;

	if (!pgd_val(*pgd))
		return 0;
	pud = pud_offset(pgd, va);
	if (!pud_val(*pud))
		return 0;
	pmd = pmd_offset(pud, va);
	return pmd_val(*pmd) ? pmd_pfn(*pmd) : 0;
}

/* write base + page index into each of @pages (page offsets) */
static void fill_pages(struct fx *f, unsigned long a, const int *pages, int n,
		       uint64_t base)
{
	int i;

	for (i = 0; i < n; i++)
		wr(i & 1 ? f->c1 : f->c0, f->mm, a + pages[i] * PAGE_SIZE,
		   base + pages[i]);
}

static void expect_pages(struct fx *f, unsigned long a, const int *pages, int n,
			 uint64_t base)
{
	int i;

	for (i = 0; i < n; i++) {
		assert_int_equal(rd(f->c0, f->mm, a + pages[i] * PAGE_SIZE),
				 base + pages[i]);
		assert_int_equal(rd(f->c1, f->mm, a + pages[i] * PAGE_SIZE),
				 base + pages[i]);
	}
}

static void expect_pages_segv(struct fx *f, unsigned long a, const int *pages,
			      int n)
{
	uint64_t v;
	int i;

	for (i = 0; i < n; i++) {
		assert_int_equal(cpu_read(f->c0, f->mm,
					  a + pages[i] * PAGE_SIZE, &v),
				 CPU_SIGSEGV);
		assert_int_equal(cpu_read(f->c1, f->mm,
					  a + pages[i] * PAGE_SIZE, &v),
				 CPU_SIGSEGV);
	}
}

/*
 * A PMD-aligned 2 MiB move hands the PTE table itself to the new PMD
 * entry: same frame, same entries (no PTE was rewritten: move_ptes()
 * would have marked each moved PTE soft-dirty), the same number of
 * tables, values at the new address, faults at the old one on both CPUs
 * (whose TLBs cached every page).
 */
static void test_pmd_move_anon(void **state)
{
	static const int pages[] = { 0, 1, 255, 510, 511 };
	struct fx *f = *state;
	struct mm_struct *mm = f->mm;
	unsigned long t = PMD_A + 0x400000UL, pfn, b;
	long nr_ptes, anon;
	uint64_t before[PTRS_PER_PTE];
	struct ptdesc *pt;

	assert_int_equal(vm_mmap(mm, NULL, PMD_A, PMD_SIZE, RW,
				 ANON | MAP_FIXED, 0),
			 PMD_A);
	fill_pages(f, PMD_A, pages, 5, 1000);
	expect_pages(f, PMD_A, pages, 5, 1000);
	assert_int_equal(clear_refs_write(mm, CLEAR_REFS_SOFT_DIRTY), 0);
	assert_int_equal(pagemap_soft_dirty(mm, PMD_A), 0);
	pfn = pte_table_pfn(mm, PMD_A);
	assert_true(pfn != 0);
	pt = ptdesc_of_pfn(f->mmw->pm, pfn);
	assert_non_null(pt);
	memcpy(before, pt->entries, sizeof(before));
	nr_ptes = mm->nr_ptes;
	anon = get_mm_counter(mm, MM_ANONPAGES);
	assert_int_equal(anon, 5);

	b = do_mremap(mm, PMD_A, PMD_SIZE, PMD_SIZE,
		      MREMAP_MAYMOVE | MREMAP_FIXED, t);
	assert_int_equal(b, t);
	/* the table moved: same frame, now under the new PMD entry */
	assert_int_equal(pte_table_pfn(mm, t), pfn);
	assert_int_equal(pte_table_pfn(mm, PMD_A), 0);
	assert_ptr_equal(ptdesc_of_pfn(f->mmw->pm, pfn), pt);
	assert_ptr_equal(pt->pt_mm, mm);
	assert_memory_equal(pt->entries, before, sizeof(before));
	assert_int_equal(pagemap_soft_dirty(mm, t), 0);
	assert_int_equal(mm->nr_ptes, nr_ptes);
	assert_int_equal(get_mm_counter(mm, MM_ANONPAGES), anon);
	expect_pages_segv(f, PMD_A, pages, 5);
	expect_pages(f, t, pages, 5, 1000);
	/* the moved pages are still the mm's own: writes need no COW */
	wr(f->c1, mm, t + PAGE_SIZE, 7);
	assert_int_equal(rd(f->c0, mm, t + PAGE_SIZE), 7);
	assert_int_equal(get_mm_counter(mm, MM_ANONPAGES), anon);
	/* the split lock moved with the table: faults in it still work */
	assert_int_equal(rd(f->c0, mm, t + 100 * PAGE_SIZE), 0);
	assert_int_equal(vm_munmap(mm, t, PMD_SIZE), 0);
	assert_int_equal(get_mm_counter(mm, MM_ANONPAGES), 0);
}

/*
 * A move whose middle covers a whole PMD on both sides moves that table
 * and the edges PTE by PTE; a move with no PMD in common on both sides
 * falls back to move_ptes() entirely.  Soft-dirty tells the two paths
 * apart (move_ptes() marks what it moved).
 */
static void test_pmd_move_mixed(void **state)
{
	/* page offsets in the 2 MiB + 8 page range: edges and middle */
	static const int pages[] = { 0, 3, 4, 260, 515, 516, 519 };
	struct fx *f = *state;
	struct mm_struct *mm = f->mm;
	unsigned long len = PMD_SIZE + 8 * PAGE_SIZE;
	unsigned long a = PMD_A - 4 * PAGE_SIZE; /* middle at PMD_A */
	unsigned long t = PMD_A + 0x800000UL - 4 * PAGE_SIZE;
	unsigned long t2 = PMD_A + 0x1000000UL; /* middle misaligned */
	unsigned long mid;
	int i;

	assert_int_equal(vm_mmap(mm, NULL, a, len, RW, ANON | MAP_FIXED, 0), a);
	fill_pages(f, a, pages, 7, 50);
	expect_pages(f, a, pages, 7, 50);
	mid = pte_table_pfn(mm, PMD_A);
	assert_true(mid != 0);
	assert_int_equal(clear_refs_write(mm, CLEAR_REFS_SOFT_DIRTY), 0);

	assert_int_equal(do_mremap(mm, a, len, len,
				   MREMAP_MAYMOVE | MREMAP_FIXED, t),
			 t);
	assert_int_equal(pte_table_pfn(mm, t + 4 * PAGE_SIZE), mid);
	for (i = 0; i < 7; i++)
		assert_int_equal(pagemap_soft_dirty(mm,
						    t + pages[i] * PAGE_SIZE),
				 pages[i] < 4 || pages[i] >= 516);
	expect_pages_segv(f, a, pages, 7);
	expect_pages(f, t, pages, 7, 50);

	/* new middle at t2 + 4 pages: not PMD-aligned, no table moves */
	assert_int_equal(clear_refs_write(mm, CLEAR_REFS_SOFT_DIRTY), 0);
	assert_int_equal(do_mremap(mm, t, len, len,
				   MREMAP_MAYMOVE | MREMAP_FIXED, t2),
			 t2);
	for (i = 0; i < 7; i++) {
		assert_true(pte_table_pfn(mm, t2 + pages[i] * PAGE_SIZE) !=
			    mid);
		assert_int_equal(
			pagemap_soft_dirty(mm, t2 + pages[i] * PAGE_SIZE), 1);
	}
	expect_pages_segv(f, t, pages, 7);
	expect_pages(f, t2, pages, 7, 50);
	assert_int_equal(vm_munmap(mm, t2, len), 0);
}

/* mremap.move_pmd=false (kernels before 2019): PTE by PTE, new table */
static void test_pmd_move_knob_off(void **state)
{
	static const int pages[] = { 0, 511 };
	struct fx *f = *state;
	struct mm_struct *mm = f->mm;
	unsigned long t = PMD_A + 0x400000UL, pfn;

	f->w->policy->v[KNOB_MREMAP_MOVE_PMD] = 0;
	assert_int_equal(vm_mmap(mm, NULL, PMD_A, PMD_SIZE, RW,
				 ANON | MAP_FIXED, 0),
			 PMD_A);
	fill_pages(f, PMD_A, pages, 2, 9);
	pfn = pte_table_pfn(mm, PMD_A);
	assert_int_equal(do_mremap(mm, PMD_A, PMD_SIZE, PMD_SIZE,
				   MREMAP_MAYMOVE | MREMAP_FIXED, t),
			 t);
	assert_true(pte_table_pfn(mm, t) != 0);
	assert_true(pte_table_pfn(mm, t) != pfn);
	expect_pages_segv(f, PMD_A, pages, 2);
	expect_pages(f, t, pages, 2, 9);
	assert_int_equal(vm_munmap(mm, t, PMD_SIZE), 0);
}

/*
 * A shared file mapping moved a whole table at a time: the page cache
 * sees the writes made at the new address, and truncation (which walks
 * i_mmap) reaches the pages there; MREMAP_DONTUNMAP leaves the old range
 * mapped and empty.
 */
static void test_pmd_move_file(void **state)
{
	static const int pages[] = { 0, 300 };
	struct fx *f = *state;
	struct mm_struct *mm = f->mm;
	struct file *file = shmem_file_setup(f->mmw, PMD_SIZE);
	unsigned long t = PMD_A + 0x400000UL, pfn;
	uint64_t v;

	assert_int_equal(vm_mmap(mm, file, PMD_A, PMD_SIZE, RW,
				 MAP_SHARED | MAP_FIXED, 0),
			 PMD_A);
	fill_pages(f, PMD_A, pages, 2, 60);
	pfn = pte_table_pfn(mm, PMD_A);
	assert_int_equal(do_mremap(mm, PMD_A, PMD_SIZE, PMD_SIZE,
				   MREMAP_MAYMOVE | MREMAP_DONTUNMAP, t),
			 t);
	assert_int_equal(pte_table_pfn(mm, t), pfn);
	expect_pages(f, t, pages, 2, 60);
	wr(f->c0, mm, t + 300 * PAGE_SIZE, 5);
	assert_int_equal(filemap_read_word(file, 300 * PAGE_SIZE, &v), 8);
	assert_int_equal(v, 5);
	/* the old range is still mapped: it faults the file page in again */
	assert_int_equal(rd(f->c1, mm, PMD_A + 300 * PAGE_SIZE), 5);
	assert_true(pte_table_pfn(mm, PMD_A) != pfn);
	assert_int_equal(vfs_truncate(file, PAGE_SIZE), 0);
	assert_int_equal(cpu_read(f->c1, mm, t + 300 * PAGE_SIZE, &v),
			 CPU_SIGBUS);
	assert_int_equal(cpu_read(f->c0, mm, PMD_A + 300 * PAGE_SIZE, &v),
			 CPU_SIGBUS);
	assert_int_equal(rd(f->c0, mm, t), 60);
	assert_int_equal(vm_munmap(mm, PMD_A, PMD_SIZE), 0);
	assert_int_equal(vm_munmap(mm, t, PMD_SIZE), 0);
	fput(file);
}

/* the frame of the PMD table that maps @va, 0 if none */
static unsigned long pmd_table_pfn(struct mm_struct *mm, unsigned long va)
{
	pgd_t *pgd = pgd_offset(mm, va);
	pud_t *pud;

	if (!pgd_val(*pgd))
		return 0;
	pud = pud_offset(pgd, va);
	return pud_val(*pud) ? pud_pfn(*pud) : 0;
}

/*
 * A 1 GiB-aligned 1 GiB move hands the PMD table over (move_normal_pud),
 * and with it every PTE table under it.
 */
static void test_pud_move_anon(void **state)
{
	static const int pages[] = { 0, 513, 262143 };
	struct fx *f = *state;
	struct mm_struct *mm = f->mm;
	unsigned long a = 0x80000000UL, t = 0xc0000000UL;
	unsigned long pmdt, ptet;
	long nr_ptes;

	assert_int_equal(
		vm_mmap(mm, NULL, a, PUD_SIZE, RW, ANON | MAP_FIXED, 0), a);
	fill_pages(f, a, pages, 3, 4000);
	expect_pages(f, a, pages, 3, 4000);
	pmdt = pmd_table_pfn(mm, a);
	ptet = pte_table_pfn(mm, a + 513 * PAGE_SIZE);
	assert_true(pmdt && ptet);
	nr_ptes = mm->nr_ptes;
	assert_int_equal(do_mremap(mm, a, PUD_SIZE, PUD_SIZE,
				   MREMAP_MAYMOVE | MREMAP_FIXED, t),
			 t);
	assert_int_equal(pmd_table_pfn(mm, t), pmdt);
	assert_int_equal(pmd_table_pfn(mm, a), 0);
	assert_int_equal(pte_table_pfn(mm, t + 513 * PAGE_SIZE), ptet);
	assert_int_equal(mm->nr_ptes, nr_ptes);
	assert_int_equal(get_mm_counter(mm, MM_ANONPAGES), 3);
	expect_pages_segv(f, a, pages, 3);
	expect_pages(f, t, pages, 3, 4000);
	assert_int_equal(vm_munmap(mm, t, PUD_SIZE), 0);
	assert_int_equal(get_mm_counter(mm, MM_ANONPAGES), 0);
}

/* ---- whole-table moves racing (src/scenario/mm_models.c) ---- */

static void explore_pmd(const char *model, bool rmap_locks, enum strategy s,
			unsigned long iters, int bound,
			struct explore_result *r)
{
	struct explore_opts o = { .strategy = s,
				  .seed = 1,
				  .iterations = iters,
				  .bound = bound,
				  .progress_fd = -1,
				  .stop_on_violation = true,
				  .stop_kind = "stale-tlb" };
	struct policy_model pm;
	struct policy p;

	policy_init_default(&p);
	p.v[KNOB_MREMAP_PMD_MOVE_RMAP_LOCKS] = rmap_locks;
	policy_model_by_name(&pm, model, &p);
	assert_int_equal(explore(&pm.m, &o, r), 0);
	if (r->first_report && rmap_locks)
		print_error("%s\n", r->first_report);
}

/* faults and munmap against a whole-table move; truncation too */
static void test_pmd_race_clean(void **state)
{
	static const char *const models[] = { "mremap-pmd-vs-munmap",
					      "mremap-pmd-vs-truncate" };
	struct explore_result r;
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		explore_pmd(models[i], true, STRAT_RANDOM, 300, -1, &r);
		assert_int_equal(r.executions, 300);
		assert_int_equal(r.violating, 0);
		explore_result_free(&r);
		explore_pmd(models[i], true, STRAT_PCT, 300, -1, &r);
		assert_int_equal(r.violating, 0);
		explore_result_free(&r);
	}
	explore_pmd("mremap-pmd-vs-munmap", true, STRAT_DFS, 0, 1, &r);
	assert_int_equal(r.violating, 0);
	assert_true(r.exhausted);
	explore_result_free(&r);
}

/*
 * Without the rmap locks (2019..2021): truncation zaps the page through
 * the moved table, flushes the old address and frees the page CPU0
 * caches at the new one.
 */
static void test_pmd_race_buggy_found(void **state)
{
	struct explore_opts o = { .strategy = STRAT_REPLAY,
				  .iterations = 1,
				  .bound = -1,
				  .progress_fd = -1,
				  .stop_on_violation = true };
	struct explore_result r, rr;
	struct policy_model pm;
	struct policy p;

	(void)state;
	explore_pmd("mremap-pmd-vs-truncate", false, STRAT_PCT, 8000, -1, &r);
	assert_true(r.first_violation > 0);
	assert_true(r.first_hit);
	assert_string_equal(r.first_kind, "stale-tlb");
	policy_init_default(&p);
	p.v[KNOB_MREMAP_PMD_MOVE_RMAP_LOCKS] = 0;
	policy_model_by_name(&pm, "mremap-pmd-vs-truncate", &p);
	o.schedule = r.first_schedule;
	assert_int_equal(explore(&pm.m, &o, &rr), 0);
	assert_int_equal(rr.first_violation, 1);
	assert_string_equal(rr.first_kind, "stale-tlb");
	explore_result_free(&rr);
	explore_result_free(&r);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(int argc, char **argv)
{
	const struct CMUnitTest real_tests[] = {
		cmocka_unit_test(test_race_real),
	};
	const struct CMUnitTest tests[] = {
		T(test_move_anon),
		T(test_move_middle_fixed),
		T(test_fixed_replaces),
		T(test_shrink_grow_in_place),
		T(test_move_file),
		T(test_move_file_merges),
		T(test_move_old_policy),
		T(test_errno),
		cmocka_unit_test(test_race_fixed_clean),
		cmocka_unit_test(test_race_buggy_found),
		T(test_pmd_move_anon),
		T(test_pmd_move_mixed),
		T(test_pmd_move_knob_off),
		T(test_pmd_move_file),
		T(test_pud_move_anon),
		cmocka_unit_test(test_pmd_race_clean),
		cmocka_unit_test(test_pmd_race_buggy_found),
	};

	/* `real`: only the real-thread test (suite real, run under TSan) */
	if (argc > 1 && !strcmp(argv[1], "real"))
		return cmocka_run_group_tests(real_tests, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
