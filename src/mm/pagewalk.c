// SPDX-License-Identifier: MIT
/*
 * A generic walk of the page tables under a range of one VMA.
 *
 * Models mm/pagewalk.c (walk_page_range_vma with a pmd_entry callback);
 * only the PMD-level callback exists, which is what madvise and
 * clear_refs use.
 *
 * Locking: the caller holds mmap_lock; the callback takes the PTE lock
 * itself (pte_offset_map_lock), as Linux's do.
 */
#include "mm/mm.h"

static int walk_pmd_range(pud_t *pud, unsigned long addr, unsigned long end,
			  struct mm_walk *walk)
{
	pmd_t *pmd = pmd_offset(pud, addr);
	unsigned long next;
	int err;

	do {
		next = pmd_addr_end(addr, end);
		if (pmd_none(pmdp_get(pmd)))
			continue;
		err = walk->ops->pmd_entry(pmd, addr, next, walk);
		if (err)
			return err;
	} while (pmd++, addr = next, addr != end);
	return 0;
}

static int walk_pud_range(pgd_t *pgd, unsigned long addr, unsigned long end,
			  struct mm_walk *walk)
{
	pud_t *pud = pud_offset(pgd, addr);
	unsigned long next;
	int err;

	do {
		next = pud_addr_end(addr, end);
		if (pud_none(pudp_get(pud)))
			continue;
		err = walk_pmd_range(pud, addr, next, walk);
		if (err)
			return err;
	} while (pud++, addr = next, addr != end);
	return 0;
}

/**
 * walk_page_range_vma - call @ops for the page tables under [start, end)
 * @vma: the VMA containing the range; mmap_lock held
 * @start: page-aligned start
 * @end: end
 * @ops: the callbacks
 * @private: for the callbacks (walk->private)
 *
 * Returns 0 or the first non-zero callback result.
 */
int walk_page_range_vma(struct vm_area_struct *vma, unsigned long start,
			unsigned long end, const struct mm_walk_ops *ops,
			void *private)
{
	struct mm_walk walk = {
		.ops = ops,
		.mm = vma->vm_mm,
		.vma = vma,
		.private = private,
	};
	pgd_t *pgd = pgd_offset(vma->vm_mm, start);
	unsigned long next, addr = start;
	int err;

	mmap_assert_locked(vma->vm_mm);
	do {
		next = pgd_addr_end(addr, end);
		if (pgd_none(pgdp_get(pgd)))
			continue;
		err = walk_pud_range(pgd, addr, next, &walk);
		if (err)
			return err;
	} while (pgd++, addr = next, addr != end);
	return 0;
}
