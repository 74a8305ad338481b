// SPDX-License-Identifier: MIT
/*
 * /proc/PID/clear_refs and the soft-dirty half of /proc/PID/pagemap.
 *
 * Models fs/proc/task_mmu.c: clear_refs_write (types 1..5; 4 is
 * CLEAR_REFS_SOFT_DIRTY), clear_refs_test_walk, clear_refs_pte_range,
 * clear_soft_dirty, pte_is_pinned, and pagemap_pmd_range /
 * pte_to_pagemap_entry for one address.
 *
 * Soft-dirty, as on x86: pte_mkdirty() sets _PAGE_SOFT_DIRTY with
 * _PAGE_DIRTY, so every PTE made dirty by the kernel (write fault,
 * do_wp_page, a new anonymous page) is soft-dirty; the hardware walker
 * sets only _PAGE_DIRTY.  clear_refs "4" clears VM_SOFTDIRTY on every VMA
 * (vma_set_page_prot() then write-protects shared writable mappings:
 * vma_wants_writenotify()), and in each present PTE clears the bit and the
 * write permission, so the next write faults and sets it again.  A TLB
 * entry that stays writable after that would let a write land unseen:
 * hence the flush_tlb_mm() at the end (knob clear_refs.flush_tlb), and the
 * checker's "missed-dirty" (src/check/dirty.c).
 *
 * Simplifications:
 *  - The caller names the mm (no task, no get_task_mm()/mmput()); the
 *    written text is the number itself (no kstrtoint() of a buffer).
 *  - CLEAR_REFS_MM_HIWATER_RSS (5) is accepted and does nothing: the
 *    model keeps no RSS high-water mark.
 *  - No THP leaves (clear_soft_dirty_pmd) and no hugetlb.
 *  - pagemap_read_entry() answers for one address instead of producing
 *    the 64-bit records of a read(2) of the file; its bits are Linux's.
 *
 * Lock order: mmap_lock (write, as Linux since 5.11: clear_refs changes
 * vm_flags) -> mmu_notifier_invalidate_range_start map -> ptl ->
 * cpu_tlb (flush_tlb_mm() after the walk, PTL dropped).  pagemap takes
 * mmap_lock for read, then the PTL.
 */
#include "fs/proc_fs.h"
#include "core/policy.h"
#include "core/trace.h"
#include "mm/mm.h"
#include "mm/tlb.h"
#include "notifier/mmu_notifier.h"

struct clear_refs_private {
	enum clear_refs_types type;
};

/*
 * pte_is_pinned - a writable private page someone may be DMA-ing into
 * (FOLL_PIN).  Write-protecting it would make the next CPU write break
 * COW away from the pinned copy, so clear_refs leaves it alone.
 */
static bool pte_is_pinned(struct vm_area_struct *vma, unsigned long addr,
			  pte_t pte)
{
	struct page *page;

	if (!pte_write(pte) || !is_cow_mapping(vma->vm_flags))
		return false;
	page = vm_normal_page(vma, addr, pte);
	return page && folio_maybe_dma_pinned(page_folio(page));
}

/*
 * clear_soft_dirty - one PTE, under its PTL.  A present PTE loses the
 * bit and write permission in one ptep_modify_prot_start/commit pair
 * (x86: get_and_clear + set), so a concurrent hardware A/D update is not
 * lost; a swap entry loses its own copy of the bit.
 */
static void clear_soft_dirty(struct vm_area_struct *vma, unsigned long addr,
			     pte_t *ptep)
{
	struct mm_struct *mm = vma->vm_mm;
	pte_t ptent = ptep_get(ptep);

	if (pte_present(ptent)) {
		pte_t old;

		if (pte_is_pinned(vma, addr, ptent))
			return;
		old = ptep_get_and_clear(mm, addr, ptep);
		ptent = pte_clear_soft_dirty(pte_wrprotect(old));
		set_pte_at(mm, addr, ptep, ptent);
	} else if (is_swap_pte(ptent)) {
		set_pte_at(mm, addr, ptep, pte_swp_clear_soft_dirty(ptent));
	}
}

/* test and clear the accessed bit (x86 needs no flush: see rmap.c) */
static bool clear_refs_test_and_clear_young(pte_t *ptep)
{
	sched_point(SP_MEM, ptep);
	return __atomic_fetch_and(&ptep->pte, ~(uint64_t)_PAGE_ACCESSED,
				  __ATOMIC_ACQ_REL) &
	       _PAGE_ACCESSED;
}

static int clear_refs_pte_range(pmd_t *pmd, unsigned long addr,
				unsigned long end, struct mm_walk *walk)
{
	struct clear_refs_private *cp = walk->private;
	struct vm_area_struct *vma = walk->vma;
	spinlock_t *ptl;
	pte_t *pte, *start_pte;

	start_pte = pte = pte_offset_map_lock(walk->mm, pmd, addr, &ptl);
	if (!pte)
		return 0; /* the table went away: nothing to clear */
	for (; addr != end; pte++, addr += PAGE_SIZE) {
		pte_t ptent;
		struct page *page;

		if (cp->type == CLEAR_REFS_SOFT_DIRTY) {
			clear_soft_dirty(vma, addr, pte);
			continue;
		}
		ptent = ptep_get_locked(pte, ptl);
		if (!pte_present(ptent))
			continue;
		page = vm_normal_page(vma, addr, ptent);
		if (!page)
			continue;
		/* no PG_referenced in the model: the PTE bit is all */
		clear_refs_test_and_clear_young(pte);
	}
	pte_unmap_unlock(start_pte, ptl);
	return 0;
}

static const struct mm_walk_ops clear_refs_walk_ops = {
	.pmd_entry = clear_refs_pte_range,
};

/* clear_refs_test_walk(): which VMAs a type concerns */
static bool clear_refs_skip_vma(struct vm_area_struct *vma,
				enum clear_refs_types type)
{
	if (vma->vm_flags & VM_PFNMAP)
		return true;
	if (type == CLEAR_REFS_ANON && vma->vm_file)
		return true;
	if (type == CLEAR_REFS_MAPPED && !vma->vm_file)
		return true;
	return false;
}

/**
 * clear_refs_write - write @type to /proc/PID/clear_refs of @mm
 * @mm: the address space (the caller holds a reference: mmget)
 * @type: CLEAR_REFS_ALL (1), _ANON (2), _MAPPED (3), _SOFT_DIRTY (4),
 *	_MM_HIWATER_RSS (5)
 *
 * Returns 0, or -EINVAL for another number (Linux's answer to the
 * write), -EINTR if the lock wait was killed.  For CLEAR_REFS_SOFT_DIRTY:
 * VM_SOFTDIRTY is cleared on every VMA (and the page protection
 * recomputed), then, with a pending TLB flush announced and an
 * MMU_NOTIFY_SOFT_DIRTY range over the whole address space open, every
 * PTE loses its soft-dirty bit and its write permission; the TLBs are
 * flushed after the walk unless clear_refs.flush_tlb is false.
 */
int clear_refs_write(struct mm_struct *mm, int type)
{
	struct mmu_notifier_range range;
	struct clear_refs_private cp = { .type = type };
	bool soft_dirty = type == CLEAR_REFS_SOFT_DIRTY;
	int i;

	if (type < CLEAR_REFS_ALL || type >= CLEAR_REFS_LAST)
		return -EINVAL;
	if (mmap_write_lock_killable(mm))
		return -EINTR;
	if (type == CLEAR_REFS_MM_HIWATER_RSS)
		goto out_unlock;

	if (soft_dirty) {
		for (i = 0; i < mm->map_count; i++) {
			struct vm_area_struct *vma = mm->vmas[i];

			if (!(vma->vm_flags & VM_SOFTDIRTY))
				continue;
			vm_flags_reset(vma, vma->vm_flags & ~VM_SOFTDIRTY);
			vma_set_page_prot(vma);
		}
		inc_tlb_flush_pending(mm);
		mmu_notifier_range_init(&range, MMU_NOTIFY_SOFT_DIRTY, 0, mm, 0,
					-1UL);
		mmu_notifier_invalidate_range_start(mm->notifier_subscriptions,
						    &range);
	}
	for (i = 0; i < mm->map_count; i++) {
		struct vm_area_struct *vma = mm->vmas[i];

		if (clear_refs_skip_vma(vma, type))
			continue;
		walk_page_range_vma(vma, vma->vm_start, vma->vm_end,
				    &clear_refs_walk_ops, &cp);
	}
	if (soft_dirty) {
		mmu_notifier_invalidate_range_end(mm->notifier_subscriptions,
						  &range);
		/*
		 * Without this flush a CPU keeps its writable, dirty TLB
		 * entry: its next writes land without a fault and the
		 * soft-dirty bit stays clear (the 2020 arm64 fullmm-gather
		 * case).  Flushing before dec_tlb_flush_pending() keeps
		 * mm_tlb_flush_pending() true until no TLB can write.
		 */
		if (policy_bool(mm->mmw->w, KNOB_CLEAR_REFS_FLUSH_TLB))
			flush_tlb_mm(mm);
		dec_tlb_flush_pending(mm);
		__atomic_add_fetch(&mm->soft_dirty_clears, 1, __ATOMIC_RELEASE);
	}
	trace_eventf(mm->mmw->w, "clear_refs mm %d type %d", mm->id, type);
out_unlock:
	mmap_write_unlock(mm);
	return 0;
}

/* pte_to_pagemap_entry(): the record of one PTE */
static uint64_t pte_to_pagemap_entry(struct vm_area_struct *vma,
				     unsigned long addr, pte_t pte)
{
	uint64_t frame = 0, flags = 0;
	struct page *page = NULL;

	if (pte_present(pte)) {
		frame = pte_pfn(pte);
		flags |= PM_PRESENT;
		page = vm_normal_page(vma, addr, pte);
		if (pte_soft_dirty(pte))
			flags |= PM_SOFT_DIRTY;
	} else if (is_swap_pte(pte)) {
		swp_entry_t entry = pte_to_swp_entry(pte);

		if (pte_swp_soft_dirty(pte))
			flags |= PM_SOFT_DIRTY;
		frame = swp_type(entry) | (swp_offset(entry) << 5);
		flags |= PM_SWAP;
	}
	if (page && !PageAnon(page))
		flags |= PM_FILE;
	if (page && page_mapcount(page) == 1)
		flags |= PM_MMAP_EXCLUSIVE;
	if (vma->vm_flags & VM_SOFTDIRTY)
		flags |= PM_SOFT_DIRTY;
	return (frame & PM_PFRAME_MASK) | flags;
}

/**
 * pagemap_read_entry - the /proc/PID/pagemap record of @addr in @mm
 * @mm: the address space
 * @addr: the virtual address
 * @entry: the record: PM_PRESENT (bit 63), PM_SWAP (62), PM_FILE (61),
 *	PM_MMAP_EXCLUSIVE (56), PM_SOFT_DIRTY (55), the pfn in bits 0..54
 *
 * Takes mmap_lock for read and the PTL, as pagemap_read() does.  An
 * address in no VMA gives 0 (a hole); a page not yet touched in a
 * VM_SOFTDIRTY VMA still reads as soft-dirty, as in Linux.  Returns 0.
 */
int pagemap_read_entry(struct mm_struct *mm, unsigned long addr,
		       uint64_t *entry)
{
	struct vm_area_struct *vma;
	spinlock_t *ptl;
	pmd_t *pmd;
	pte_t *pte;

	*entry = 0;
	addr &= PAGE_MASK;
	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (!vma)
		goto out;
	if (vma->vm_flags & VM_SOFTDIRTY)
		*entry = PM_SOFT_DIRTY;
	pmd = mm_find_pmd(mm, addr);
	if (!pmd)
		goto out;
	pte = pte_offset_map_lock(mm, pmd, addr, &ptl);
	if (!pte)
		goto out;
	*entry = pte_to_pagemap_entry(vma, addr, ptep_get(pte));
	pte_unmap_unlock(pte, ptl);
out:
	mmap_read_unlock(mm);
	return 0;
}

/**
 * pagemap_soft_dirty - bit 55 of @addr's pagemap record: 1, 0, or a
 * negative errno from the read
 */
int pagemap_soft_dirty(struct mm_struct *mm, unsigned long addr)
{
	uint64_t entry;
	int err = pagemap_read_entry(mm, addr, &entry);

	if (err)
		return err;
	return !!(entry & PM_SOFT_DIRTY);
}
