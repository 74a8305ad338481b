// SPDX-License-Identifier: MIT
/*
 * Suite "unit": the primary MMU (src/mm) driven directly, outside any
 * agent: page-table bits, mmap/munmap/mprotect/madvise semantics as the
 * kernel's selftests check them (values written and read back through
 * simulated CPUs, SIGSEGV after munmap or mprotect, zeros after
 * MADV_DONTNEED, COW isolation after fork), the errno of bad arguments,
 * and the quiescent checks (no leaked frame after exit).
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
#include "engine/engine.h"
#include "mm/mm.h"
#include "mm/mmu_gather.h"
#include "mm/tlb.h"

#define NR_FRAMES 4096UL

#include "mm_fixture.h"

#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static int setup(void **state)
{
	struct fx *f = fx_create();

	f->leak_allowed = PAGE_STATE_BIT(PAGE_STATE_DEVICE);
	*state = f;
	return 0;
}

static struct fx *FX(void **state)
{
	return *state;
}

static unsigned long mmap_anon(struct mm_struct *mm, unsigned long len,
			       unsigned long prot)
{
	unsigned long a = vm_mmap(mm, NULL, 0, len, prot, ANON, 0);

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

/* ---- page-table entries ---- */

static void test_pte_bits(void **state)
{
	pte_t pte = pfn_pte(0x1234, PAGE_COPY);
	swp_entry_t e;

	(void)state;
	assert_int_equal(pte_pfn(pte), 0x1234);
	assert_true(pte_present(pte) && pte_hw_present(pte));
	assert_false(pte_write(pte));
	assert_true(pte_write(pte_mkwrite(pte)));
	assert_false(pte_write(pte_wrprotect(pte_mkwrite(pte))));
	assert_true(pte_dirty(pte_mkdirty(pte)));
	assert_true(pte_soft_dirty(pte_mkdirty(pte)));
	assert_false(pte_dirty(pte_mkclean(pte_mkdirty(pte))));
	assert_true(pte_young(pte));
	assert_false(pte_young(pte_mkold(pte)));
	assert_true(pte_special(pte_mkspecial(pte)));
	assert_false(pte_exec(pte));
	assert_true(pte_none(__pte(0)));

	/* PROT_NONE: present to the kernel, not to the hardware */
	pte = pfn_pte(7, PAGE_NONE);
	assert_true(pte_present(pte));
	assert_false(pte_hw_present(pte));
	assert_true(pte_protnone(pte));
	pte = pte_modify(pte_mkdirty(pte), PAGE_SHARED);
	assert_true(pte_hw_present(pte) && pte_write(pte) && pte_dirty(pte));
	assert_int_equal(pte_pfn(pte), 7);

	/* flushes: removing write needs one, adding it as well on x86 */
	assert_true(pte_needs_flush(pfn_pte(1, PAGE_SHARED),
				    pfn_pte(1, PAGE_COPY)));
	assert_false(pte_needs_flush(pfn_pte(1, PAGE_NONE),
				     pfn_pte(1, PAGE_SHARED)));
	assert_false(pte_needs_flush(pte_mkold(pfn_pte(1, PAGE_COPY)),
				     pfn_pte(1, PAGE_COPY)));
	assert_true(
		pte_needs_flush(pfn_pte(1, PAGE_COPY), pfn_pte(2, PAGE_COPY)));

	/* migration entries */
	e = make_writable_migration_entry(0xabc);
	pte = swp_entry_to_pte(e);
	assert_true(is_swap_pte(pte));
	assert_false(pte_present(pte));
	e = pte_to_swp_entry(pte);
	assert_true(is_migration_entry(e));
	assert_true(is_writable_migration_entry(e));
	assert_int_equal(swp_offset_pfn(e), 0xabc);
	assert_false(is_writable_migration_entry(pte_to_swp_entry(
		swp_entry_to_pte(make_readable_migration_entry(5)))));
	assert_true(pte_swp_soft_dirty(pte_swp_mksoft_dirty(pte)));
	assert_int_equal(
		swp_offset(pte_to_swp_entry(pte_swp_mksoft_dirty(pte))), 0xabc);
}

/* ---- page tables ---- */

static void test_pgtable_alloc_walk(void **state)
{
	struct fx *f = FX(state);
	struct mm_struct *mm = f->mm;
	unsigned long addr = 0x7f1234567000UL;
	unsigned long counts[NR_PAGE_STATES];
	spinlock_t *ptl;
	pud_t *pud;
	pmd_t *pmd;
	pte_t *pte;

	assert_int_equal(mm->nr_ptes, 1);
	/* tables exist only under VMAs: exit frees them by walking those */
	assert_int_equal(vm_mmap(mm, NULL, addr, PAGE_SIZE, RW,
				 ANON | MAP_FIXED, 0),
			 addr);
	pud = pud_alloc(mm, pgd_offset(mm, addr), addr);
	assert_non_null(pud);
	pmd = pmd_alloc(mm, pud, addr);
	assert_non_null(pmd);
	assert_true(pmd_none(pmdp_get(pmd)));
	assert_null(pte_offset_map_lock(mm, pmd, addr, &ptl));
	pte = pte_alloc_map_lock(mm, pmd, addr, &ptl);
	assert_non_null(pte);
	assert_ptr_equal(ptl, &ptdesc_of(pte)->ptl);
	assert_true(pte_none(ptep_get(pte)));
	pte_unmap_unlock(pte, ptl);
	assert_int_equal(mm->nr_ptes, 4);
	phys_count_states(f->mmw->pm, counts);
	assert_int_equal(counts[PAGE_STATE_PGTABLE], 4);
	/* the table frames link back to their descriptors */
	assert_ptr_equal(ptdesc_of_pfn(f->mmw->pm,
				       page_to_pfn(ptdesc_of(pte)->page)),
			 ptdesc_of(pte));
	assert_int_equal(ptdesc_of(pte)->level, 1);
	assert_int_equal(ptdesc_of(pmd)->level, 2);
	assert_int_equal(ptdesc_of(pud)->level, 3);
	/* the mm's exit frees the tables again (teardown checks) */
}

/* ---- mmap / read / write ---- */

static void test_mmap_write_read(void **state)
{
	struct fx *f = FX(state);
	unsigned long a = mmap_anon(f->mm, 4 * PAGE_SIZE, RW);
	int i;

	assert_int_equal(a & ~PAGE_MASK, 0);
	assert_int_equal(f->mm->map_count, 1);
	/* untouched anonymous memory reads zero */
	assert_int_equal(rd(f->c0, f->mm, a + 8), 0);
	for (i = 0; i < 4; i++)
		wr(f->c0, f->mm, a + i * PAGE_SIZE + 16, 100 + i);
	for (i = 0; i < 4; i++)
		assert_int_equal(rd(f->c1, f->mm, a + i * PAGE_SIZE + 16),
				 100 + i);
	assert_int_equal(get_mm_counter(f->mm, MM_ANONPAGES), 4);
	assert_true(f->c0->nr_hits + f->c0->nr_misses > 0);
	/* both CPUs are in the mm's cpumask */
	assert_int_equal(mm_cpumask(f->mm), 3);
	/* a TLB hit after the first access */
	{
		unsigned long hits = f->c1->nr_hits;

		rd(f->c1, f->mm, a + 16);
		assert_int_equal(f->c1->nr_hits, hits + 1);
	}
	assert_int_equal(cpu_read(f->c0, f->mm, a + 3, NULL), -EINVAL);
}

static void test_mmap_hint_fixed(void **state)
{
	struct fx *f = FX(state);
	struct mm_struct *mm = f->mm;
	unsigned long hint = 0x10000000UL, a, b;

	a = vm_mmap(mm, NULL, hint + 123, PAGE_SIZE, RW, ANON, 0);
	assert_int_equal(a, hint); /* rounded down, free: taken */
	b = vm_mmap(mm, NULL, hint, PAGE_SIZE, RW, ANON, 0);
	assert_true(b != hint && !IS_ERR_VALUE(b)); /* busy: elsewhere */
	wr(f->c0, mm, a, 1);
	/* MAP_FIXED replaces what was there: fresh zero memory */
	assert_int_equal(
		vm_mmap(mm, NULL, a, PAGE_SIZE, RW, ANON | MAP_FIXED, 0), a);
	assert_int_equal(rd(f->c0, mm, a), 0);
	assert_int_equal((long)vm_mmap(mm, NULL, a, PAGE_SIZE, RW,
				       ANON | MAP_FIXED_NOREPLACE, 0),
			 -EEXIST);
	assert_int_equal(vm_mmap(mm, NULL, a + PAGE_SIZE, PAGE_SIZE, RW,
				 ANON | MAP_FIXED_NOREPLACE, 0),
			 a + PAGE_SIZE);
	/* two adjacent anonymous mappings with equal flags merge */
	assert_int_equal(vma_lookup(mm, a), vma_lookup(mm, a + PAGE_SIZE));
}

/* ---- munmap ---- */

static void test_munmap_segv(void **state)
{
	struct fx *f = FX(state);
	unsigned long a = mmap_anon(f->mm, 3 * PAGE_SIZE, RW);
	uint64_t v;

	wr(f->c0, f->mm, a, 1);
	wr(f->c0, f->mm, a + PAGE_SIZE, 2);
	wr(f->c1, f->mm, a + 2 * PAGE_SIZE, 3);
	/* punch the middle page: the VMA splits in two */
	assert_int_equal(vm_munmap(f->mm, a + PAGE_SIZE, PAGE_SIZE), 0);
	assert_int_equal(f->mm->map_count, 2);
	assert_int_equal(cpu_read(f->c0, f->mm, a + PAGE_SIZE, &v),
			 CPU_SIGSEGV);
	assert_int_equal(cpu_write(f->c1, f->mm, a + PAGE_SIZE, 9),
			 CPU_SIGSEGV);
	assert_int_equal(rd(f->c1, f->mm, a), 1);
	assert_int_equal(rd(f->c0, f->mm, a + 2 * PAGE_SIZE), 3);
	assert_int_equal(get_mm_counter(f->mm, MM_ANONPAGES), 2);
	/* munmap of a hole is fine */
	assert_int_equal(vm_munmap(f->mm, a + PAGE_SIZE, PAGE_SIZE), 0);
	assert_int_equal(vm_munmap(f->mm, a, 3 * PAGE_SIZE), 0);
	assert_int_equal(f->mm->map_count, 0);
	assert_int_equal(cpu_read(f->c0, f->mm, a, &v), CPU_SIGSEGV);
	/* every page table went too: only the PGD is left */
	assert_int_equal(f->mm->nr_ptes, 1);
	assert_int_equal(phys_nr_allocated(f->mmw->pm), 1);
}

static void test_munmap_many_pages(void **state)
{
	struct fx *f = FX(state);
	unsigned long n = 200, i; /* more than one mmu_gather batch */
	unsigned long a = mmap_anon(f->mm, n * PAGE_SIZE, RW);

	for (i = 0; i < n; i++)
		wr(i % 2 ? f->c1 : f->c0, f->mm, a + i * PAGE_SIZE, i + 1);
	assert_int_equal(get_mm_counter(f->mm, MM_ANONPAGES), n);
	assert_int_equal(vm_munmap(f->mm, a, n * PAGE_SIZE), 0);
	assert_int_equal(get_mm_counter(f->mm, MM_ANONPAGES), 0);
	assert_int_equal(phys_nr_allocated(f->mmw->pm), 1);
}

/* ---- mprotect ---- */

static void test_mprotect(void **state)
{
	struct fx *f = FX(state);
	struct mm_struct *mm = f->mm;
	unsigned long a = mmap_anon(mm, 2 * PAGE_SIZE, RW);
	uint64_t v;

	wr(f->c0, mm, a, 5);
	wr(f->c1, mm, a + PAGE_SIZE, 6);
	assert_int_equal(do_mprotect_pkey(mm, a, PAGE_SIZE, PROT_READ, -1), 0);
	assert_int_equal(mm->map_count, 2);
	assert_int_equal(cpu_write(f->c0, mm, a, 7), CPU_SIGSEGV);
	assert_int_equal(cpu_write(f->c1, mm, a, 7), CPU_SIGSEGV);
	assert_int_equal(rd(f->c1, mm, a), 5);
	wr(f->c0, mm, a + PAGE_SIZE, 8); /* the other page is untouched */

	assert_int_equal(do_mprotect_pkey(mm, a, PAGE_SIZE, PROT_NONE, -1), 0);
	assert_int_equal(cpu_read(f->c0, mm, a, &v), CPU_SIGSEGV);
	/* back to RW: merged again, the exclusive page writable at once */
	assert_int_equal(do_mprotect_pkey(mm, a, PAGE_SIZE, RW, -1), 0);
	assert_int_equal(mm->map_count, 1);
	{
		unsigned long faults = f->c0->nr_faults;

		wr(f->c0, mm, a, 9);
		assert_int_equal(f->c0->nr_faults, faults);
	}
	assert_int_equal(rd(f->c1, mm, a), 9);
}

/* ---- madvise ---- */

static void test_madvise_dontneed(void **state)
{
	struct fx *f = FX(state);
	struct mm_struct *mm = f->mm;
	unsigned long a = mmap_anon(mm, 3 * PAGE_SIZE, RW);

	wr(f->c0, mm, a, 1);
	wr(f->c0, mm, a + PAGE_SIZE, 2);
	wr(f->c1, mm, a + 2 * PAGE_SIZE, 3);
	assert_int_equal(do_madvise(mm, a, 2 * PAGE_SIZE, MADV_DONTNEED), 0);
	assert_int_equal(get_mm_counter(mm, MM_ANONPAGES), 1);
	/* zero-filled on the next touch, from any CPU */
	assert_int_equal(rd(f->c1, mm, a), 0);
	assert_int_equal(rd(f->c0, mm, a + PAGE_SIZE), 0);
	assert_int_equal(rd(f->c0, mm, a + 2 * PAGE_SIZE), 3);
	assert_int_equal(mm->map_count, 1);
}

static void test_madvise_free(void **state)
{
	struct fx *f = FX(state);
	struct mm_struct *mm = f->mm;
	unsigned long a = mmap_anon(mm, PAGE_SIZE, RW);

	wr(f->c0, mm, a, 42);
	assert_int_equal(do_madvise(mm, a, PAGE_SIZE, MADV_FREE), 0);
	/* nothing reclaims it: the old value stays (old-or-zero) */
	assert_int_equal(rd(f->c1, mm, a), 42);
	wr(f->c1, mm, a, 43);
	assert_int_equal(rd(f->c0, mm, a), 43);
}

static void test_madvise_dontfork(void **state)
{
	struct fx *f = FX(state);
	struct mm_struct *mm = f->mm, *child;
	unsigned long a = mmap_anon(mm, 2 * PAGE_SIZE, RW);
	uint64_t v;

	wr(f->c0, mm, a, 1);
	wr(f->c0, mm, a + PAGE_SIZE, 2);
	assert_int_equal(do_madvise(mm, a, PAGE_SIZE, MADV_DONTFORK), 0);
	assert_int_equal(mm->map_count, 2);
	child = dup_mm(mm);
	assert_non_null(child);
	assert_int_equal(cpu_read(f->c1, child, a, &v), CPU_SIGSEGV);
	assert_int_equal(rd(f->c1, child, a + PAGE_SIZE), 2);
	assert_int_equal(do_madvise(mm, a, PAGE_SIZE, MADV_DOFORK), 0);
	assert_int_equal(mm->map_count, 1);
	cpu_idle(f->c1);
	mmput(child);

	/* WIPEONFORK: the child gets the range, empty */
	assert_int_equal(do_madvise(mm, a, PAGE_SIZE, MADV_WIPEONFORK), 0);
	child = dup_mm(mm);
	assert_non_null(child);
	assert_int_equal(rd(f->c1, child, a), 0);
	assert_int_equal(rd(f->c1, child, a + PAGE_SIZE), 2);
	assert_int_equal(rd(f->c0, mm, a), 1);
	cpu_idle(f->c1);
	mmput(child);
}

/* ---- fork ---- */

static void test_fork_cow(void **state)
{
	struct fx *f = FX(state);
	struct mm_struct *mm = f->mm, *child;
	unsigned long a = mmap_anon(mm, 2 * PAGE_SIZE, RW);

	wr(f->c0, mm, a, 10);
	wr(f->c0, mm, a + PAGE_SIZE, 20);
	child = dup_mm(mm);
	assert_non_null(child);
	assert_int_equal(get_mm_counter(child, MM_ANONPAGES), 2);

	/* both see the snapshot */
	assert_int_equal(rd(f->c1, child, a), 10);
	assert_int_equal(rd(f->c0, mm, a), 10);
	/* parent writes: the child keeps the old value */
	wr(f->c0, mm, a, 11);
	assert_int_equal(rd(f->c1, child, a), 10);
	/* child writes: the parent keeps its own */
	wr(f->c1, child, a + PAGE_SIZE, 21);
	assert_int_equal(rd(f->c0, mm, a + PAGE_SIZE), 20);
	assert_int_equal(rd(f->c1, child, a + PAGE_SIZE), 21);
	assert_int_equal(rd(f->c0, mm, a), 11);
	mm_check_quiescent(f->mmw);
	assert_int_equal(f->w->nr_reports, 0);

	/* the child exits: the parent's shared page becomes its own again */
	cpu_idle(f->c1);
	mmput(child);
	{
		unsigned long allocated = phys_nr_allocated(f->mmw->pm);

		/* reused in place: no copy */
		wr(f->c0, mm, a + PAGE_SIZE, 22);
		assert_int_equal(phys_nr_allocated(f->mmw->pm), allocated);
	}
	assert_int_equal(rd(f->c1, mm, a + PAGE_SIZE), 22);
}

static void test_fork_pinned_page_copied(void **state)
{
	struct fx *f = FX(state);
	struct mm_struct *mm = f->mm, *child;
	unsigned long a = mmap_anon(mm, PAGE_SIZE, RW);
	struct vm_area_struct *vma;
	struct page *page;
	spinlock_t *ptl;
	pte_t *pte;
	pmd_t *pmd;

	wr(f->c0, mm, a, 77);
	vma = vma_lookup(mm, a);
	pmd = pmd_offset(pud_offset(pgd_offset(mm, a), a), a);
	pte = pte_offset_map_lock(mm, pmd, a, &ptl);
	page = vm_normal_page(vma, a, ptep_get(pte));
	pte_unmap_unlock(pte, ptl);
	assert_true(folio_try_pin(page_folio(page)));

	child = dup_mm(mm);
	assert_non_null(child);
	/* the child got a copy at fork; the parent kept its writable page */
	assert_int_equal(rd(f->c1, child, a), 77);
	{
		unsigned long faults = f->c0->nr_faults;

		wr(f->c0, mm, a, 78);
		assert_int_equal(f->c0->nr_faults, faults);
	}
	assert_int_equal(rd(f->c1, child, a), 77);
	unpin_user_page(page);
	cpu_idle(f->c1);
	mmput(child);
}

/* ---- errno ---- */

static void test_errno_mmap(void **state)
{
	struct mm_struct *mm = FX(state)->mm;

#define E(x) ((long)(x))
	assert_int_equal(E(vm_mmap(mm, NULL, 0, 0, RW, ANON, 0)), -EINVAL);
	assert_int_equal(E(vm_mmap(mm, NULL, 0x10001000, PAGE_SIZE, RW,
				   ANON | MAP_FIXED, PAGE_SIZE / 2)),
			 -EINVAL);
	assert_int_equal(E(vm_mmap(mm, NULL, 0x10000010, PAGE_SIZE, RW,
				   ANON | MAP_FIXED, 0)),
			 -EINVAL);
	/* no map type, or both with an unknown anonymous type */
	assert_int_equal(
		E(vm_mmap(mm, NULL, 0, PAGE_SIZE, RW, MAP_ANONYMOUS, 0)),
		-EINVAL);
	assert_int_equal(E(vm_mmap(mm, NULL, 0, PAGE_SIZE, RW,
				   MAP_SHARED_VALIDATE | MAP_ANONYMOUS, 0)),
			 -EINVAL);
	assert_int_equal(E(vm_mmap(mm, NULL, 0, PAGE_SIZE, RW, MAP_PRIVATE, 0)),
			 -EBADF);
	/* fixed below vm.mmap_min_addr, or beyond the user address space */
	assert_int_equal(E(vm_mmap(mm, NULL, PAGE_SIZE, PAGE_SIZE, RW,
				   ANON | MAP_FIXED, 0)),
			 -EPERM);
	assert_int_equal(E(vm_mmap(mm, NULL, TASK_SIZE, PAGE_SIZE, RW,
				   ANON | MAP_FIXED, 0)),
			 -ENOMEM);
	assert_int_equal(E(vm_mmap(mm, NULL, 0, TASK_SIZE, RW, ANON, 0)),
			 -ENOMEM);
	/* a length that wraps to 0 when rounded up: do_mmap's -ENOMEM */
	assert_int_equal(E(vm_mmap(mm, NULL, 0, -100UL, RW, ANON, 0)), -ENOMEM);
	/* an offset range that wraps */
	assert_int_equal(
		E(vm_mmap(mm, NULL, 0, 2 * PAGE_SIZE, RW, ANON, -PAGE_SIZE)),
		-EINVAL);
	assert_int_equal(mm->map_count, 0);
#undef E
}

static void test_errno_munmap(void **state)
{
	struct mm_struct *mm = FX(state)->mm;
	unsigned long a = mmap_anon(mm, PAGE_SIZE, RW);

	assert_int_equal(vm_munmap(mm, a + 1, PAGE_SIZE), -EINVAL);
	assert_int_equal(vm_munmap(mm, a, 0), -EINVAL);
	assert_int_equal(vm_munmap(mm, TASK_SIZE - PAGE_SIZE, 2 * PAGE_SIZE),
			 -EINVAL);
	assert_int_equal(vm_munmap(mm, 0x10000000, PAGE_SIZE), 0); /* hole */
	assert_int_equal(vm_munmap(mm, a, 1), 0); /* rounded up */
	assert_int_equal(mm->map_count, 0);
}

static void test_errno_mprotect(void **state)
{
	struct fx *f = FX(state);
	struct mm_struct *mm = f->mm;
	unsigned long a = mmap_anon(mm, 2 * PAGE_SIZE, RW);
	uint64_t v;

	assert_int_equal(do_mprotect_pkey(mm, a + 1, PAGE_SIZE, PROT_READ, -1),
			 -EINVAL);
	assert_int_equal(do_mprotect_pkey(mm, a, 0, PROT_READ, -1), 0);
	assert_int_equal(do_mprotect_pkey(mm, a, PAGE_SIZE, 0x40, -1), -EINVAL);
	assert_int_equal(do_mprotect_pkey(mm, a, PAGE_SIZE, PROT_READ, 3),
			 -EINVAL);
	assert_int_equal(
		do_mprotect_pkey(mm, a, PAGE_SIZE,
				 PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP, -1),
		-EINVAL);
	assert_int_equal(do_mprotect_pkey(mm, a, -PAGE_SIZE, PROT_READ, -1),
			 -ENOMEM);
	/* a hole at the start, then a range running past the end */
	assert_int_equal(do_mprotect_pkey(mm, a - PAGE_SIZE, 2 * PAGE_SIZE,
					  PROT_READ, -1),
			 -ENOMEM);
	wr(f->c0, mm, a, 1); /* nothing was changed */
	assert_int_equal(do_mprotect_pkey(mm, a, 3 * PAGE_SIZE, PROT_READ, -1),
			 -ENOMEM);
	/* ... but the mapped part before the hole was changed, as Linux */
	assert_int_equal(cpu_write(f->c0, mm, a, 2), CPU_SIGSEGV);
	assert_int_equal(cpu_read(f->c0, mm, a, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(do_mprotect_pkey(mm, 0x10000000, PAGE_SIZE, PROT_READ,
					  -1),
			 -ENOMEM);
}

static void test_errno_madvise(void **state)
{
	struct mm_struct *mm = FX(state)->mm;
	unsigned long a = mmap_anon(mm, PAGE_SIZE, RW);

	assert_int_equal(do_madvise(mm, a, PAGE_SIZE, 1000), -EINVAL);
	assert_int_equal(do_madvise(mm, a + 1, PAGE_SIZE, MADV_DONTNEED),
			 -EINVAL);
	assert_int_equal(do_madvise(mm, a, 0, MADV_DONTNEED), 0);
	assert_int_equal(do_madvise(mm, a, -1UL, MADV_DONTNEED), -EINVAL);
	assert_int_equal(do_madvise(mm, a, 2 * PAGE_SIZE, MADV_DONTNEED),
			 -ENOMEM);
	assert_int_equal(do_madvise(mm, 0x10000000, PAGE_SIZE, MADV_DONTNEED),
			 -ENOMEM);
	assert_int_equal(do_madvise(mm, a, PAGE_SIZE, MADV_REMOVE), -EINVAL);
	assert_int_equal(do_madvise(mm, a, PAGE_SIZE, MADV_WIPEONFORK), 0);
	/* locked memory cannot be dropped, unless with DONTNEED_LOCKED */
	{
		unsigned long l = vm_mmap(mm, NULL, 0, PAGE_SIZE, RW,
					  ANON | MAP_LOCKED, 0);

		assert_false(IS_ERR_VALUE(l));
		assert_int_equal(mm->locked_vm, 1);
		assert_int_equal(get_mm_counter(mm, MM_ANONPAGES), 1);
		assert_int_equal(do_madvise(mm, l, PAGE_SIZE, MADV_DONTNEED),
				 -EINVAL);
		assert_int_equal(
			do_madvise(mm, l, PAGE_SIZE, MADV_DONTNEED_LOCKED), 0);
		assert_int_equal(get_mm_counter(mm, MM_ANONPAGES), 0);
		assert_int_equal(vm_munmap(mm, l, PAGE_SIZE), 0);
		assert_int_equal(mm->locked_vm, 0);
	}
}

/* ---- files, shared memory, truncate ---- */

static void test_shared_anon_fork(void **state)
{
	struct fx *f = FX(state);
	struct mm_struct *mm = f->mm, *child;
	unsigned long a = vm_mmap(mm, NULL, 0, 2 * PAGE_SIZE, RW,
				  MAP_SHARED | MAP_ANONYMOUS, 0);

	assert_false(IS_ERR_VALUE(a));
	assert_int_equal(rd(f->c0, mm, a), 0);
	wr(f->c0, mm, a, 1);
	child = dup_mm(mm);
	assert_non_null(child);
	/* shared both ways, before and after the fork */
	assert_int_equal(rd(f->c1, child, a), 1);
	wr(f->c1, child, a + PAGE_SIZE, 2);
	assert_int_equal(rd(f->c0, mm, a + PAGE_SIZE), 2);
	wr(f->c0, mm, a, 3);
	assert_int_equal(rd(f->c1, child, a), 3);
	assert_int_equal(get_mm_counter(mm, MM_SHMEMPAGES), 2);
	assert_int_equal(get_mm_counter(mm, MM_ANONPAGES), 0);
	cpu_idle(f->c1);
	mmput(child);
	assert_int_equal(rd(f->c0, mm, a + PAGE_SIZE), 2);
	/* MADV_FREE and WIPEONFORK want anonymous private memory */
	assert_int_equal(do_madvise(mm, a, PAGE_SIZE, MADV_FREE), -EINVAL);
	assert_int_equal(do_madvise(mm, a, PAGE_SIZE, MADV_WIPEONFORK),
			 -EINVAL);
}

static void test_file_shared_mapping(void **state)
{
	struct fx *f = FX(state);
	struct mm_struct *mm = f->mm;
	struct file *file = shmem_file_setup(f->mmw, 2 * PAGE_SIZE);
	unsigned long a;
	uint64_t v;

	assert_non_null(file);
	assert_int_equal(filemap_write_word(file, PAGE_SIZE + 8, 55), 0);
	a = vm_mmap(mm, file, 0, 2 * PAGE_SIZE, RW, MAP_SHARED, 0);
	assert_false(IS_ERR_VALUE(a));
	/* the mapping sees the file, the file sees the mapping */
	assert_int_equal(rd(f->c0, mm, a + PAGE_SIZE + 8), 55);
	wr(f->c1, mm, a + 16, 66);
	assert_int_equal(filemap_read_word(file, 16, &v), 8);
	assert_int_equal(v, 66);
	/* an offset mapping of the second page only */
	{
		unsigned long b = vm_mmap(mm, file, 0, PAGE_SIZE, PROT_READ,
					  MAP_SHARED, PAGE_SIZE);

		assert_false(IS_ERR_VALUE(b));
		assert_int_equal(rd(f->c1, mm, b + 8), 55);
		assert_int_equal(cpu_write(f->c1, mm, b + 8, 1), CPU_SIGSEGV);
	}
	assert_int_equal(file->f_mapping->nrpages, 2);
	fput(file); /* the VMAs keep it */
	assert_int_equal(rd(f->c0, mm, a + 16), 66);
}

/*
 * i_mmap stays sorted by vm_pgoff when munmap of a file VMA's head raises
 * its offset (split_vma with the new VMA below): rmap walks visit VMAs in
 * Linux's interval-tree order, which several races depend on.
 */
static void test_split_resorts_i_mmap(void **state)
{
	struct fx *f = FX(state);
	struct mm_struct *mm = f->mm;
	struct file *file = shmem_file_setup(f->mmw, 3 * PAGE_SIZE);
	struct vm_area_struct *v;
	unsigned long a, b, order[4];
	int n = 0;

	assert_non_null(file);
	a = vm_mmap(mm, file, 0, 3 * PAGE_SIZE, RW, MAP_SHARED, 0);
	b = vm_mmap(mm, file, 0, PAGE_SIZE, RW, MAP_SHARED, PAGE_SIZE);
	assert_false(IS_ERR_VALUE(a));
	assert_false(IS_ERR_VALUE(b));
	assert_int_equal(vm_munmap(mm, a, 2 * PAGE_SIZE), 0);
	list_for_each_entry(v, &file->f_mapping->i_mmap, shared) {
		assert_true(n < 4);
		order[n++] = v->vm_pgoff;
	}
	assert_int_equal(n, 2);
	/* b (offset 1) first, then what is left of a (offset 2) */
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 2);
	v = find_vma(mm, a + 2 * PAGE_SIZE);
	assert_non_null(v);
	assert_int_equal(v->vm_start, a + 2 * PAGE_SIZE);
	assert_int_equal(v->vm_pgoff, 2);
	fput(file);
}

static void test_file_private_cow(void **state)
{
	struct fx *f = FX(state);
	struct mm_struct *mm = f->mm;
	struct file *file = shmem_file_setup(f->mmw, 2 * PAGE_SIZE);
	unsigned long a;
	uint64_t v;

	assert_int_equal(filemap_write_word(file, 0, 7), 0);
	assert_int_equal(filemap_write_word(file, PAGE_SIZE, 8), 0);
	a = vm_mmap(mm, file, 0, 2 * PAGE_SIZE, RW, MAP_PRIVATE, 0);
	assert_false(IS_ERR_VALUE(a));
	assert_int_equal(rd(f->c0, mm, a), 7);
	/* a private write copies: the file keeps its value */
	wr(f->c0, mm, a, 70);
	assert_int_equal(rd(f->c1, mm, a), 70);
	assert_int_equal(filemap_read_word(file, 0, &v), 8);
	assert_int_equal(v, 7);
	/* a file write shows through the pages not copied yet */
	assert_int_equal(filemap_write_word(file, PAGE_SIZE, 9), 0);
	assert_int_equal(rd(f->c1, mm, a + PAGE_SIZE), 9);
	assert_int_equal(filemap_write_word(file, 0, 10), 0);
	assert_int_equal(rd(f->c1, mm, a), 70);
	assert_int_equal(get_mm_counter(mm, MM_ANONPAGES), 1);
	assert_int_equal(get_mm_counter(mm, MM_SHMEMPAGES), 1);
	/* a first write fault straight on an unmapped page copies too */
	assert_int_equal(vm_munmap(mm, a, 2 * PAGE_SIZE), 0);
	a = vm_mmap(mm, file, 0, 2 * PAGE_SIZE, RW, MAP_PRIVATE, 0);
	wr(f->c0, mm, a + PAGE_SIZE, 90);
	assert_int_equal(filemap_read_word(file, PAGE_SIZE, &v), 8);
	assert_int_equal(v, 9);
	fput(file);
}

static void test_truncate_sigbus(void **state)
{
	struct fx *f = FX(state);
	struct mm_struct *mm = f->mm;
	struct file *file = shmem_file_setup(f->mmw, 3 * PAGE_SIZE);
	unsigned long a, p;
	uint64_t v;

	a = vm_mmap(mm, file, 0, 3 * PAGE_SIZE, RW, MAP_SHARED, 0);
	p = vm_mmap(mm, file, 0, 3 * PAGE_SIZE, RW, MAP_PRIVATE, 0);
	assert_false(IS_ERR_VALUE(a) || IS_ERR_VALUE(p));
	wr(f->c0, mm, a, 1);
	wr(f->c0, mm, a + PAGE_SIZE + 8, 2);
	wr(f->c0, mm, a + 2 * PAGE_SIZE, 3);
	wr(f->c1, mm, p + 2 * PAGE_SIZE, 30); /* a private COW copy */
	assert_int_equal(file->f_mapping->nrpages, 3);

	/* shrink to one page and a bit: the rest is gone everywhere */
	assert_int_equal(vfs_truncate(file, PAGE_SIZE + 8), 0);
	assert_int_equal(file->f_mapping->nrpages, 2);
	assert_int_equal(cpu_read(f->c0, mm, a + 2 * PAGE_SIZE, &v),
			 CPU_SIGBUS);
	assert_int_equal(cpu_read(f->c1, mm, p + 2 * PAGE_SIZE, &v),
			 CPU_SIGBUS);
	assert_int_equal(cpu_write(f->c1, mm, a + 2 * PAGE_SIZE, 5),
			 CPU_SIGBUS);
	/* the partial page: its head stays, its tail reads zero */
	assert_int_equal(rd(f->c1, mm, a + PAGE_SIZE), 0);
	assert_int_equal(rd(f->c1, mm, a + PAGE_SIZE + 8), 0);
	wr(f->c1, mm, a + PAGE_SIZE + 16, 4); /* still inside the page */
	assert_int_equal(rd(f->c0, mm, a), 1);
	assert_int_equal(filemap_read_word(file, PAGE_SIZE, &v), 8);
	assert_int_equal(filemap_read_word(file, PAGE_SIZE + 8, &v), 0);

	/* growing again: a hole, zero */
	assert_int_equal(vfs_truncate(file, 3 * PAGE_SIZE), 0);
	assert_int_equal(rd(f->c0, mm, a + 2 * PAGE_SIZE), 0);
	assert_int_equal(rd(f->c0, mm, p + 2 * PAGE_SIZE), 0);
	assert_int_equal(vfs_truncate(file, 1UL << 40), -EFBIG);
	fput(file);
}

static void test_mmap_past_eof_sigbus(void **state)
{
	struct fx *f = FX(state);
	struct file *file = shmem_file_setup(f->mmw, PAGE_SIZE);
	unsigned long a =
		vm_mmap(f->mm, file, 0, 2 * PAGE_SIZE, RW, MAP_SHARED, 0);
	uint64_t v;

	assert_false(IS_ERR_VALUE(a));
	assert_int_equal(rd(f->c0, f->mm, a), 0);
	assert_int_equal(cpu_read(f->c0, f->mm, a + PAGE_SIZE, &v), CPU_SIGBUS);
	fput(file);
}

static void test_errno_file_mmap(void **state)
{
	struct fx *f = FX(state);
	struct mm_struct *mm = f->mm;
	struct file *file = shmem_file_setup(f->mmw, PAGE_SIZE);
	unsigned long a;

#define E(x) ((long)(x))
	file->f_mode = FMODE_READ;
	assert_int_equal(E(vm_mmap(mm, file, 0, PAGE_SIZE, RW, MAP_SHARED, 0)),
			 -EACCES);
	assert_int_equal(E(vm_mmap(mm, file, 0, PAGE_SIZE, RW,
				   MAP_SHARED_VALIDATE | 0x800000, 0)),
			 -EOPNOTSUPP);
	/* unknown flags are ignored with plain MAP_SHARED */
	a = vm_mmap(mm, file, 0, PAGE_SIZE, PROT_READ, MAP_SHARED | 0x800000,
		    0);
	assert_false(IS_ERR_VALUE(a));
	/* read-only file, shared: never writable */
	assert_int_equal(do_mprotect_pkey(mm, a, PAGE_SIZE, RW, -1), -EACCES);
	/* private: may be written (copies) */
	a = vm_mmap(mm, file, 0, PAGE_SIZE, RW, MAP_PRIVATE, 0);
	assert_false(IS_ERR_VALUE(a));
	wr(f->c0, mm, a, 3);
	file->f_mode = FMODE_WRITE;
	assert_int_equal(
		E(vm_mmap(mm, file, 0, PAGE_SIZE, PROT_READ, MAP_PRIVATE, 0)),
		-EACCES);
	file->f_mode = FMODE_READ | FMODE_WRITE;
	assert_int_equal(
		E(vm_mmap(mm, file, 0, PAGE_SIZE, PROT_READ, MAP_PRIVATE, 1)),
		-EINVAL);
#undef E
	fput(file);
}

/* ---- VM_PFNMAP: a device driver's mmap ---- */

struct bar {
	long base_pfn;
	unsigned long nr;
	int faults;
};

static vm_fault_t bar_fault(struct vm_fault *vmf)
{
	struct bar *bar = vmf->vma->vm_file->private_data;

	bar->faults++;
	if (vmf->pgoff >= bar->nr)
		return VM_FAULT_SIGBUS;
	return vmf_insert_pfn(vmf->vma, vmf->address,
			      bar->base_pfn + vmf->pgoff);
}

static const struct vm_operations_struct bar_vm_ops = {
	.fault = bar_fault,
	.name = "bar",
};

static int bar_mmap(struct file *file, struct vm_area_struct *vma)
{
	vma->vm_flags |= VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP;
	vma->vm_ops = &bar_vm_ops;
	return 0;
}

static const struct file_operations bar_fops = { .mmap = bar_mmap };

static void test_pfnmap(void **state)
{
	struct fx *f = FX(state);
	struct mm_struct *mm = f->mm, *child;
	struct bar bar = { .nr = 2 };
	struct file file = { .f_op = &bar_fops,
			     .f_mode = FMODE_READ | FMODE_WRITE,
			     .private_data = &bar };
	unsigned long a;
	uint64_t v;

	bar.base_pfn = phys_reserve_range(f->mmw->pm, 2, PAGE_STATE_DEVICE);
	assert_true(bar.base_pfn >= 0);
	a = vm_mmap(mm, &file, 0, 3 * PAGE_SIZE, RW, MAP_SHARED, 0);
	assert_false(IS_ERR_VALUE(a));
	assert_true(vma_lookup(mm, a)->vm_flags & VM_PFNMAP);
	wr(f->c0, mm, a + PAGE_SIZE + 8, 0xbeef);
	assert_int_equal(phys_read(f->mmw->pm, bar.base_pfn + 1, 8, &v), 0);
	assert_int_equal(v, 0xbeef);
	assert_int_equal(rd(f->c1, mm, a + PAGE_SIZE + 8), 0xbeef);
	assert_int_equal(bar.faults, 1);
	/* beyond the BAR: the driver says SIGBUS */
	assert_int_equal(cpu_read(f->c0, mm, a + 2 * PAGE_SIZE, &v),
			 CPU_SIGBUS);
	/* no struct page use: no rss, no mapcount */
	assert_int_equal(get_mm_counter(mm, MM_FILEPAGES) +
				 get_mm_counter(mm, MM_SHMEMPAGES),
			 0);
	assert_int_equal(do_madvise(mm, a, PAGE_SIZE, MADV_DONTNEED), -EINVAL);
	/* fork copies PFN mappings as they are */
	child = dup_mm(mm);
	assert_non_null(child);
	assert_int_equal(rd(f->c1, child, a + PAGE_SIZE + 8), 0xbeef);
	assert_int_equal(bar.faults, 2); /* only the parent's first fault */
	cpu_idle(f->c1);
	mmput(child);
	assert_int_equal(vm_munmap(mm, a, 3 * PAGE_SIZE), 0);
	assert_int_equal(cpu_read(f->c0, mm, a, &v), CPU_SIGSEGV);
	/* the device frames stay the driver's: teardown allows them */
}

/* ---- exit and the quiescent checks ---- */

static void test_exit_frees_everything(void **state)
{
	struct fx *f = FX(state);
	unsigned long a = mmap_anon(f->mm, 8 * PAGE_SIZE, RW);
	unsigned long b =
		vm_mmap(f->mm, NULL, 0x40000000UL, PAGE_SIZE, RW, ANON, 0);
	int i;

	for (i = 0; i < 8; i++)
		wr(f->c0, f->mm, a + i * PAGE_SIZE, i);
	wr(f->c1, f->mm, b, 1);
	assert_int_equal(mm_check_quiescent(f->mmw), 0);
	cpu_idle(f->c0);
	cpu_idle(f->c1);
	mmput(f->mm);
	f->mm = NULL;
	assert_int_equal(phys_nr_allocated(f->mmw->pm), 0);
	assert_int_equal(phys_check_leaks(f->mmw->pm, 0), 0);
}

static void test_quiescent_catches_mapcount(void **state)
{
	struct fx *f = FX(state);
	unsigned long a = mmap_anon(f->mm, PAGE_SIZE, RW);
	struct page *page;
	spinlock_t *ptl;
	pte_t *pte;
	pmd_t *pmd;

	wr(f->c0, f->mm, a, 1);
	pmd = pmd_offset(pud_offset(pgd_offset(f->mm, a), a), a);
	pte = pte_offset_map_lock(f->mm, pmd, a, &ptl);
	page = pfn_to_page(f->mmw->pm, pte_pfn(ptep_get(pte)));
	pte_unmap_unlock(pte, ptl);
	page_mapcount_inc(page); /* a bug the checker must see */
	assert_int_equal(mm_check_quiescent(f->mmw), 1);
	assert_true(report_has(f->w, "mapcount"));
	page_mapcount_dec(page);
	f->expected_reports = 1; /* the rest must stay clean */
}

/* ---- mremap(MREMAP_DONTUNMAP), as selftests/mm/mremap_dontunmap.c ---- */

#define ERRV(e) ((unsigned long)-(e))

/* the pages move; the old range stays mapped and reads fresh zeros */
static void test_mremap_dontunmap_anon(void **state)
{
	struct fx *f = FX(state);
	struct mm_struct *mm = f->mm;
	unsigned long a = mmap_anon(mm, 4 * PAGE_SIZE, RW), b;
	int i;

	for (i = 0; i < 4; i++)
		wr(f->c0, mm, a + i * PAGE_SIZE, 100 + i);
	b = do_mremap(mm, a, 4 * PAGE_SIZE, 4 * PAGE_SIZE,
		      MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
	assert_false(IS_ERR_VALUE(b));
	assert_true(b != a);
	for (i = 0; i < 4; i++) {
		assert_int_equal(rd(f->c1, mm, b + i * PAGE_SIZE), 100 + i);
		assert_int_equal(rd(f->c1, mm, a + i * PAGE_SIZE), 0);
	}
	assert_int_equal(mm->map_count, 2);
	assert_int_equal(mm->total_vm, 8);
	assert_int_equal(get_mm_counter(mm, MM_ANONPAGES), 8);
	/* the two ranges are independent now */
	wr(f->c0, mm, a, 7);
	assert_int_equal(rd(f->c1, mm, b), 100);
}

/* with MREMAP_FIXED the destination is replaced; a hint is only a hint */
static void test_mremap_dontunmap_fixed(void **state)
{
	struct fx *f = FX(state);
	struct mm_struct *mm = f->mm;
	unsigned long a = mmap_anon(mm, 2 * PAGE_SIZE, RW);
	unsigned long d = mmap_anon(mm, 2 * PAGE_SIZE, RW), b;

	wr(f->c0, mm, a, 1);
	wr(f->c0, mm, d, 2);
	b = do_mremap(mm, a, 2 * PAGE_SIZE, 2 * PAGE_SIZE,
		      MREMAP_MAYMOVE | MREMAP_DONTUNMAP | MREMAP_FIXED, d);
	assert_int_equal(b, d);
	assert_int_equal(rd(f->c1, mm, d), 1);
	assert_int_equal(rd(f->c1, mm, a), 0);
	/* a hint that is taken: the destination is free */
	b = do_mremap(mm, d, 2 * PAGE_SIZE, 2 * PAGE_SIZE,
		      MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0x7000000000UL);
	assert_int_equal(b, 0x7000000000UL);
	assert_int_equal(rd(f->c0, mm, b), 1);
	assert_int_equal(rd(f->c0, mm, d), 0);
}

/* a shared file mapping: the old range faults the file page back in */
static void test_mremap_dontunmap_file(void **state)
{
	struct fx *f = FX(state);
	struct mm_struct *mm = f->mm;
	struct file *file = shmem_file_setup(f->mmw, PAGE_SIZE);
	unsigned long a, b;

	a = vm_mmap(mm, file, 0, PAGE_SIZE, RW, MAP_SHARED, 0);
	assert_false(IS_ERR_VALUE(a));
	wr(f->c0, mm, a, 5);
	b = do_mremap(mm, a, PAGE_SIZE, PAGE_SIZE,
		      MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
	assert_false(IS_ERR_VALUE(b));
	assert_int_equal(rd(f->c1, mm, b), 5);
	assert_int_equal(rd(f->c1, mm, a), 5);
	wr(f->c1, mm, a, 6);
	assert_int_equal(rd(f->c0, mm, b), 6);
	fput(file);
}

/* the old range is no longer locked; locked_vm is unchanged */
static void test_mremap_dontunmap_locked(void **state)
{
	struct fx *f = FX(state);
	struct mm_struct *mm = f->mm;
	unsigned long a, b;

	a = vm_mmap(mm, NULL, 0, 2 * PAGE_SIZE, RW, ANON | MAP_LOCKED, 0);
	assert_false(IS_ERR_VALUE(a));
	assert_int_equal(mm->locked_vm, 2);
	b = do_mremap(mm, a, 2 * PAGE_SIZE, 2 * PAGE_SIZE,
		      MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
	assert_false(IS_ERR_VALUE(b));
	assert_int_equal(mm->locked_vm, 2);
	assert_true(vma_lookup(mm, b)->vm_flags & VM_LOCKED);
	assert_false(vma_lookup(mm, a)->vm_flags & VM_LOCKED);
}

/* Linux's errno for DONTUNMAP misuse */
static void test_mremap_dontunmap_errno(void **state)
{
	struct fx *f = FX(state);
	struct mm_struct *mm = f->mm;
	unsigned long a = mmap_anon(mm, 2 * PAGE_SIZE, RW);
	const unsigned long du = MREMAP_MAYMOVE | MREMAP_DONTUNMAP;

	/* always a move */
	assert_int_equal(do_mremap(mm, a, PAGE_SIZE, PAGE_SIZE,
				   MREMAP_DONTUNMAP, 0),
			 ERRV(EINVAL));
	/* never a resize, compared before rounding to pages */
	assert_int_equal(do_mremap(mm, a, PAGE_SIZE, 2 * PAGE_SIZE, du, 0),
			 ERRV(EINVAL));
	assert_int_equal(do_mremap(mm, a, PAGE_SIZE, PAGE_SIZE - 1, du, 0),
			 ERRV(EINVAL));
	/* the target may not overlap the source, even as a hint */
	assert_int_equal(do_mremap(mm, a, PAGE_SIZE, PAGE_SIZE, du, a),
			 ERRV(EINVAL));
	assert_int_equal(do_mremap(mm, a, PAGE_SIZE, PAGE_SIZE, du, a + 8),
			 ERRV(EINVAL));
	/* nothing there, or not within one VMA */
	assert_int_equal(do_mremap(mm, a + 0x100000, PAGE_SIZE, PAGE_SIZE, du,
				   0),
			 ERRV(EFAULT));
	assert_int_equal(do_mremap(mm, a, 3 * PAGE_SIZE, 3 * PAGE_SIZE, du, 0),
			 ERRV(EFAULT));
	assert_int_equal(mm->map_count, 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pte_bits),
		T(test_mremap_dontunmap_anon),
		T(test_mremap_dontunmap_fixed),
		T(test_mremap_dontunmap_file),
		T(test_mremap_dontunmap_locked),
		T(test_mremap_dontunmap_errno),
		T(test_pgtable_alloc_walk),
		T(test_mmap_write_read),
		T(test_mmap_hint_fixed),
		T(test_munmap_segv),
		T(test_munmap_many_pages),
		T(test_mprotect),
		T(test_madvise_dontneed),
		T(test_madvise_free),
		T(test_madvise_dontfork),
		T(test_fork_cow),
		T(test_fork_pinned_page_copied),
		T(test_errno_mmap),
		T(test_errno_munmap),
		T(test_errno_mprotect),
		T(test_errno_madvise),
		T(test_shared_anon_fork),
		T(test_file_shared_mapping),
		T(test_split_resorts_i_mmap),
		T(test_file_private_cow),
		T(test_truncate_sigbus),
		T(test_mmap_past_eof_sigbus),
		T(test_errno_file_mmap),
		T(test_pfnmap),
		T(test_exit_frees_everything),
		T(test_quiescent_catches_mapcount),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
