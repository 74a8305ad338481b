// SPDX-License-Identifier: MIT
/*
 * mremap(2): shrink, grow in place, or move a mapping with its pages.
 *
 * Models mm/mremap.c: the syscall's checks (do_mremap / mremap_to /
 * vma_to_resize, and the newer check_mremap_params), vma_expandable,
 * move_vma with copy_vma, and move_page_tables / move_ptes, which carry
 * the present PTEs from the old range to the new one under both PTE
 * locks.
 *
 * The TLB flush of the old range (knob mremap.flush_before_ptl_unlock):
 *  - true (Linux >= 4.19, eb66ae030829): move_ptes() flushes the old
 *    range while it still holds the PTE locks, whenever it moved a
 *    present PTE.  Nobody can find the page through the new PTE (and
 *    free it) while a CPU may still use the old translation.
 *  - false (before the fix, CVE-2018-18281): move_ptes() dropped the
 *    locks first, then flushed at once when a moved PTE was dirty, and
 *    left clean ones to one flush at the end of move_page_tables().  In
 *    that window truncate finds the page at its new address through
 *    i_mmap, zaps it (flushing only the new address) and frees it while
 *    another CPU still reaches it through its old-address TLB entry.
 *
 * Simplifications:
 *  - Whole PTE tables move when source, destination and length cover a
 *    whole PMD (move_normal_pmd, CONFIG_HAVE_MOVE_PMD); elsewhere PTEs move
 *    one by one (knob mremap.move_pmd: false for kernels before 2019, which
 *    always move PTEs); a whole PMD table moves when they cover a whole
 *    PUD (move_normal_pud).  No THP leaves (move_huge_pmd).  Whole-table
 *    moves take the rmap locks (knob mremap.pmd_move_rmap_locks: false
 *    reproduces the race fixed in 2021 by 97113eb39fa7); the rmap locks
 *    are i_mmap_rwsem only (the model has no anon_vma lock).
 *  - copy_vma() merges the new range into the VMA just below it, the
 *    one just above, or both (vma_merge_new_range: same file and flags,
 *    contiguous vm_pgoff).  When it merges, the merged VMA may sort
 *    before the old one in i_mmap (ordered by vm_pgoff), and
 *    need_rmap_locks is set as in Linux: move_ptes() then holds
 *    i_mmap_rwsem for write while it moves, and drops it before the range
 *    end (the pre-6.6 SVA window of docs/iommu.md).
 *  - MREMAP_DONTUNMAP keeps the old VMA (and its anon_vma: there are
 *    no chains to unlink here), with no RLIMIT_AS check.
 *  - No VM_ACCOUNT/overcommit, no mlock population
 *    of the grown part beyond mm_populate(), no userfaultfd, no hugetlb.
 *    One MMU_NOTIFY_UNMAP range over the old range brackets the move
 *    (move_page_tables).
 *  - old_len == 0 (duplicating a shared mapping) is refused with
 *    -EINVAL, which Linux does for private mappings.
 *
 * Lock order (see memory.c): mmap_lock for write around the whole call;
 * i_mmap_rwsem for write around a whole-table move and, with
 * need_rmap_locks, around each move_ptes() (take_rmap_locks), with
 * mm->page_table_lock (the PMD lock) inside it and the TLB shootdown
 * (cpu_tlb) under that; inside move_ptes() the old PTE table's lock, then the new one's with
 * spin_lock_nested(SINGLE_DEPTH_NESTING) when they differ; the TLB
 * shootdown (cpu_tlb) under them in the fixed kernel.
 */
#include "check/oracle.h"
#include "core/policy.h"
#include "core/trace.h"
#include "mm/mm.h"
#include "mm/tlb.h"

#define MREMAP_LEGAL_FLAGS (MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)

/* ---- moving page tables ---- */

static pmd_t *get_old_pmd(struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	pud_t *pud;
	pmd_t *pmd;

	if (pgd_none(pgdp_get(pgd)))
		return NULL;
	pud = pud_offset(pgd, addr);
	if (pud_none(pudp_get(pud)))
		return NULL;
	pmd = pmd_offset(pud, addr);
	if (pmd_none(pmdp_get(pmd)))
		return NULL;
	return pmd;
}

static pud_t *get_old_pud(struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	pud_t *pud;

	if (pgd_none(pgdp_get(pgd)))
		return NULL;
	pud = pud_offset(pgd, addr);
	if (pud_none(pudp_get(pud)))
		return NULL;
	return pud;
}

static pud_t *alloc_new_pud(struct mm_struct *mm, unsigned long addr)
{
	return pud_alloc(mm, pgd_offset(mm, addr), addr);
}

static pmd_t *alloc_new_pmd(struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	pud_t *pud = pud_alloc(mm, pgd, addr);

	if (!pud)
		return NULL;
	return pmd_alloc(mm, pud, addr);
}

/*
 * move_soft_dirty_pte - a moved page counts as written for soft-dirty
 * tracking: the user sees it at a new address.
 */
static pte_t move_soft_dirty_pte(pte_t pte)
{
	if (pte_present(pte))
		return pte_mksoft_dirty(pte);
	if (is_swap_pte(pte))
		return pte_swp_mksoft_dirty(pte);
	return pte;
}
/*
 * take_rmap_locks - keep the rmap walkers out of @vma while its page
 * tables move: a file walker (truncation, reclaim, migration, page aging)
 * walks i_mmap under i_mmap_rwsem for read, so the write side waits for
 * any walker already inside and keeps new ones out.  The model has no
 * anon_vma lock: the anon walk takes each mm's mmap_lock with a trylock,
 * which fails while mremap holds it for write.
 */
static void take_rmap_locks(struct vm_area_struct *vma)
{
	if (vma->vm_file)
		down_write(&vma->vm_file->f_mapping->i_mmap_rwsem);
}

static void drop_rmap_locks(struct vm_area_struct *vma)
{
	if (vma->vm_file)
		up_write(&vma->vm_file->f_mapping->i_mmap_rwsem);
}

/*
 * move_ptes - move the PTEs of [old_addr, old_end) to new_addr, under the
 * old table's lock and the new table's.  *flush_later is set when a
 * clean present PTE moved and the old kernel's deferred flush is due.
 * With @need_rmap_locks the rmap walkers are kept out while the PTEs
 * move (the new VMA may come first in their walk), and let in again
 * before the caller's range end.
 */
static void move_ptes(struct vm_area_struct *vma, pmd_t *old_pmd,
		      unsigned long old_addr, unsigned long old_end,
		      struct vm_area_struct *new_vma, pmd_t *new_pmd,
		      unsigned long new_addr, bool need_rmap_locks,
		      bool *flush_later)
{
	struct mm_struct *mm = vma->vm_mm;
	struct world *w = mm->mmw->w;
	bool fixed = policy_bool(w, KNOB_MREMAP_FLUSH_BEFORE_PTL_UNLOCK);
	unsigned long len = old_end - old_addr;
	bool moved = false, dirty = false;
	spinlock_t *old_ptl, *new_ptl;
	pte_t *old_pte, *new_pte, *old_first, *new_first;

	if (need_rmap_locks)
		take_rmap_locks(vma);
	old_pte = pte_offset_map_lock(mm, old_pmd, old_addr, &old_ptl);
	if (!old_pte)
		goto out;
	new_pte = pte_offset_map_nolock(mm, new_pmd, new_addr, &new_ptl);
	if (!new_pte) {
		pte_unmap_unlock(old_pte, old_ptl);
		goto out;
	}
	if (new_ptl != old_ptl)
		spin_lock_nested(new_ptl, 1 /* SINGLE_DEPTH_NESTING */);
	/* a PTE reclaim cleared may still be cached: its flush first */
	flush_tlb_batched_pending(mm);
	old_first = old_pte;
	new_first = new_pte;
	for (; old_addr < old_end; old_pte++, new_pte++, old_addr += PAGE_SIZE,
				   new_addr += PAGE_SIZE) {
		pte_t pte;

		if (pte_none(ptep_get_locked(old_pte, old_ptl)))
			continue;
		/* atomic: a CPU may set the dirty bit until the flush */
		pte = ptep_get_and_clear(mm, old_addr, old_pte);
		if (pte_present(pte)) {
			moved = true;
			if (pte_dirty(pte))
				dirty = true;
		}
		set_pte_at(mm, new_addr, new_pte, move_soft_dirty_pte(pte));
	}
	if (moved)
		trace_eventf(w, "move_ptes(%#lx..%#lx -> %#lx)", old_end - len,
			     old_end, new_addr - len);
	if (fixed && moved)
		flush_tlb_range(vma, old_end - len, old_end);
	if (new_ptl != old_ptl)
		spin_unlock(new_ptl);
	pte_unmap(new_first);
	/*
	 * Before 4.19 a dirty move (force_flush, since 4.9's page_mkclean()
	 * race fix) was flushed here, after the new table's lock but
	 * before the old one's: a clean one waited for the caller's flush
	 * after every lock was dropped (CVE-2018-18281).
	 */
	if (!fixed && dirty)
		flush_tlb_range(vma, old_end - len, old_end);
	else if (!fixed && moved)
		*flush_later = true;
	pte_unmap_unlock(old_first, old_ptl);
out:
	if (need_rmap_locks)
		drop_rmap_locks(vma);
}

/**
 * move_normal_pmd - move a whole PTE table from @old_pmd to @new_pmd
 * @vma: the source VMA; mmap_lock held for write
 * @old_addr: PMD-aligned start of the 2 MiB covered by @old_pmd
 * @new_vma: the destination VMA
 * @new_addr: PMD-aligned start of the 2 MiB covered by @new_pmd
 * @old_pmd: the source entry (points to a PTE table)
 * @new_pmd: the destination entry
 *
 * The table page changes hands as it is: its entries, its split lock
 * and its owner (the same mm) go with it, and mm->nr_ptes does not
 * change.  Neither side's PTE lock is taken, only the PMD lock
 * (mm->page_table_lock here); a walker that locked the table through the
 * old PMD before the move keeps its lock and now edits PTEs that map the
 * new addresses.  That is why the caller holds the rmap locks
 * (mremap.pmd_move_rmap_locks).  The old range is flushed before the PMD
 * lock drops, so no CPU keeps an old-address translation once the table
 * can be reached (and its pages zapped) from the new address alone.
 *
 * Returns false when the table cannot be moved whole: the destination
 * entry is already populated (Linux warns once and refuses), the two
 * VMAs are in different mms, or the source entry is no longer a table.
 * The caller then moves PTE by PTE.
 */
static bool move_normal_pmd(struct vm_area_struct *vma, unsigned long old_addr,
			    struct vm_area_struct *new_vma,
			    unsigned long new_addr, pmd_t *old_pmd,
			    pmd_t *new_pmd)
{
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *ptl;
	bool moved = false;
	pmd_t pmd;

	if (new_vma->vm_mm != mm)
		return false;
	/* free_pgtables() should have removed it; if not, go PTE by PTE */
	if (!pmd_none(pmdp_get(new_pmd)))
		return false;
	/* PMD entries of both sides are under the one page_table_lock */
	ptl = pmd_lock(mm, old_pmd);
	pmd = pmdp_get(old_pmd);
	/* emptied or turned into a leaf since the caller looked */
	if (pmd_none(pmd) || pmd_leaf(pmd) || !pmd_present(pmd))
		goto out_unlock;
	pmd_clear(old_pmd);
	/* the same table, now reached from the new address */
	set_pmd(new_pmd, pmd);
	moved = true;
	trace_eventf(mm->mmw->w,
		     "move_normal_pmd(%#lx -> %#lx, table pfn %#lx)", old_addr,
		     new_addr, pmd_pfn(pmd));
	/*
	 * Flush the old range under the PMD lock.  The mremap.pmd_move_rmap_locks
	 * race is not closed by this: a truncation that already holds the
	 * table's PTE lock does not need the PMD lock to zap through it.
	 */
	flush_tlb_range(vma, old_addr, old_addr + PMD_SIZE);
out_unlock:
	spin_unlock(ptl);
	return moved;
}

/**
 * move_normal_pud - move a whole PMD table (and the PTE tables under it)
 *	from @old_pud to @new_pud
 * @vma: the source VMA; mmap_lock held for write
 * @old_addr: PUD-aligned start of the 1 GiB covered by @old_pud
 * @new_vma: the destination VMA
 * @new_pud: the destination entry
 * @old_pud: the source entry (points to a PMD table)
 *
 * move_normal_pmd() one level up (CONFIG_HAVE_MOVE_PUD): the same
 * conditions, the PUD lock (mm->page_table_lock here), the flush of the
 * old 1 GiB before it drops.  Returns false when the caller must go
 * down a level.
 */
static bool move_normal_pud(struct vm_area_struct *vma, unsigned long old_addr,
			    struct vm_area_struct *new_vma,
			    unsigned long new_addr, pud_t *old_pud,
			    pud_t *new_pud)
{
	struct mm_struct *mm = vma->vm_mm;
	bool moved = false;
	pud_t pud;

	if (new_vma->vm_mm != mm)
		return false;
	if (!pud_none(pudp_get(new_pud)))
		return false;
	spin_lock(&mm->page_table_lock);
	pud = pudp_get(old_pud);
	if (pud_none(pud) || !pud_present(pud) || pud_bad(pud))
		goto out_unlock;
	pud_clear(old_pud);
	set_pud(new_pud, pud);
	moved = true;
	trace_eventf(mm->mmw->w,
		     "move_normal_pud(%#lx -> %#lx, table pfn %#lx)", old_addr,
		     new_addr, pud_pfn(pud));
	flush_tlb_range(vma, old_addr, old_addr + PUD_SIZE);
out_unlock:
	spin_unlock(&mm->page_table_lock);
	return moved;
}

enum pgt_entry {
	NORMAL_PMD,
	NORMAL_PUD,
};

/*
 * move_pgt_entry - move one whole table (@entry says which level), with
 * the rmap locks around it when @need_rmap_locks.
 */
static bool move_pgt_entry(enum pgt_entry entry, struct vm_area_struct *vma,
			   unsigned long old_addr,
			   struct vm_area_struct *new_vma,
			   unsigned long new_addr, void *old_entry,
			   void *new_entry, bool need_rmap_locks)
{
	bool moved;

	if (need_rmap_locks)
		take_rmap_locks(vma);
	if (entry == NORMAL_PUD)
		moved = move_normal_pud(vma, old_addr, new_vma, new_addr,
					old_entry, new_entry);
	else
		moved = move_normal_pmd(vma, old_addr, new_vma, new_addr,
					old_entry, new_entry);
	if (need_rmap_locks)
		drop_rmap_locks(vma);
	return moved;
}

/* get_extent - bytes to the next @size boundary of either side, capped */
static unsigned long get_extent(unsigned long size, unsigned long old_addr,
				unsigned long old_end, unsigned long new_addr)
{
	unsigned long extent = ((old_addr + size) & ~(size - 1)) - old_addr;
	unsigned long next = ((new_addr + size) & ~(size - 1)) - new_addr;

	if (extent > old_end - old_addr)
		extent = old_end - old_addr;
	if (extent > next)
		extent = next;
	return extent;
}

/**
 * move_page_tables - move the mappings of @len bytes at @old_addr in @vma
 *	to @new_addr in @new_vma
 * @vma: the source VMA; mmap_lock held for write
 * @old_addr: page-aligned start in @vma
 * @new_vma: the destination VMA (same mm)
 * @new_addr: page-aligned start in @new_vma
 * @len: bytes to move
 * @need_rmap_locks: @new_vma may come before @vma in an rmap walk (a
 *	merged VMA with a lower vm_pgoff): hold the rmap locks around
 *	every move, PTE by PTE too
 *
 * Where a step covers a whole PUD on both sides (both addresses
 * 1 GiB-aligned, 1 GiB left to move), the PMD table moves
 * (move_normal_pud); where it covers a whole PMD, the PTE table
 * (move_normal_pmd, as with CONFIG_HAVE_MOVE_PMD); elsewhere PTEs move
 * one by one (move_ptes).
 *
 * Returns how many bytes were moved: less than @len only when a page
 * table for the new range could not be allocated.
 */
unsigned long move_page_tables(struct vm_area_struct *vma,
			       unsigned long old_addr,
			       struct vm_area_struct *new_vma,
			       unsigned long new_addr, unsigned long len,
			       bool need_rmap_locks)
{
	struct mm_struct *mm = vma->vm_mm;
	struct world *w = mm->mmw->w;
	unsigned long old_end = old_addr + len, start = old_addr;
	unsigned long extent;
	bool flush_later = false;
	/* the 2021 fix takes the locks for whole-table moves anyway */
	bool pmd_rmap_locks = need_rmap_locks ||
			      policy_bool(w, KNOB_MREMAP_PMD_MOVE_RMAP_LOCKS);
	bool move_pmd = policy_bool(w, KNOB_MREMAP_MOVE_PMD);
	struct mmu_notifier_range range;
	pud_t *old_pud, *new_pud;
	pmd_t *old_pmd, *new_pmd;

	/* secondaries lose the old range for the whole move, as in Linux */
	mmu_notifier_range_init(&range, MMU_NOTIFY_UNMAP, 0, mm, old_addr,
				old_end);
	mmu_notifier_invalidate_range_start(mm->notifier_subscriptions, &range);
	for (; old_addr < old_end; old_addr += extent, new_addr += extent) {
		/* a whole 1 GiB on both sides: try to move the PMD table */
		extent = get_extent(PUD_SIZE, old_addr, old_end, new_addr);
		if (move_pmd && extent == PUD_SIZE) {
			old_pud = get_old_pud(mm, old_addr);
			if (!old_pud)
				continue;
			new_pud = alloc_new_pud(mm, new_addr);
			if (!new_pud)
				break;
			if (move_pgt_entry(NORMAL_PUD, vma, old_addr, new_vma,
					   new_addr, old_pud, new_pud,
					   pmd_rmap_locks))
				continue;
		}
		extent = get_extent(PMD_SIZE, old_addr, old_end, new_addr);
		old_pmd = get_old_pmd(mm, old_addr);
		if (!old_pmd)
			continue;
		new_pmd = alloc_new_pmd(mm, new_addr);
		if (!new_pmd)
			break;
		if (move_pmd && extent == PMD_SIZE &&
		    move_pgt_entry(NORMAL_PMD, vma, old_addr, new_vma, new_addr,
				   old_pmd, new_pmd, pmd_rmap_locks))
			continue;
		if (pte_alloc(mm, new_pmd))
			break;
		move_ptes(vma, old_pmd, old_addr, old_addr + extent, new_vma,
			  new_pmd, new_addr, need_rmap_locks, &flush_later);
	}
	/* the pre-4.19 deferred flush of clean PTEs */
	if (flush_later)
		flush_tlb_range(vma, start, old_addr);
	mmu_notifier_invalidate_range_end(mm->notifier_subscriptions, &range);
	return len - (old_end - old_addr);
}

/* ---- VMAs ---- */

/*
 * copy_vma - a VMA for [addr, addr + len) at file offset @pgoff, a copy
 * of @vma, in the mm and the file's i_mmap before any PTE moves (so
 * truncation finds the pages wherever they are): a neighbour grown over
 * it when they merge (vma_merge_new_range), else a new one.  *@need_rmap_locks says
 * whether it may come before @vma in an rmap walk: only a merged VMA can
 * (a new one has a vm_pgoff at least @vma's and is linked after it).
 */
static struct vm_area_struct *copy_vma(struct vm_area_struct *vma,
				       unsigned long addr, unsigned long len,
				       unsigned long pgoff,
				       bool *need_rmap_locks)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_area_struct *new;

	*need_rmap_locks = false;
	new = vma_merge_new_range(mm, vma, addr, addr + len, pgoff);
	if (new) {
		*need_rmap_locks = new->vm_pgoff <= vma->vm_pgoff;
		return new;
	}
	if (mm->map_count >= MM_MAX_VMAS)
		return NULL;
	new = vm_area_dup(vma);
	new->vm_start = addr;
	new->vm_end = addr + len;
	new->vm_pgoff = pgoff;
	if (vma_link(mm, new) < 0) {
		/* cannot happen: map_count was checked */
		return NULL;
	}
	vma_link_file(new);
	return new;
}

/*
 * move_vma - move [old_addr, +old_len) of @vma to new_addr, new_len long.
 * With MREMAP_DONTUNMAP the old range stays mapped, empty (its next
 * access faults in fresh memory), and no longer mlocked.
 */
static unsigned long move_vma(struct vm_area_struct *vma,
			      unsigned long old_addr, unsigned long old_len,
			      unsigned long new_len, unsigned long new_addr,
			      unsigned long flags)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long new_pgoff, moved;
	struct vm_area_struct *new_vma;
	bool locked = vma->vm_flags & VM_LOCKED;
	bool need_rmap_locks;

	/* the move may split the old VMA in three and add one */
	if (mm->map_count >= MM_MAX_VMAS - 3)
		return -ENOMEM;
	new_pgoff = vma->vm_pgoff + ((old_addr - vma->vm_start) >> PAGE_SHIFT);
	new_vma = copy_vma(vma, new_addr, new_len, new_pgoff, &need_rmap_locks);
	if (!new_vma)
		return -ENOMEM;
	moved = move_page_tables(vma, old_addr, new_vma, new_addr, old_len,
				 need_rmap_locks);
	if (moved < old_len) {
		/* put back what moved, then drop the new VMA: -ENOMEM */
		move_page_tables(new_vma, new_addr, vma, old_addr, moved, true);
		mm->total_vm += new_len >> PAGE_SHIFT;
		if (locked)
			mm->locked_vm += new_len >> PAGE_SHIFT;
		do_vmi_munmap(mm, new_addr, new_len, false);
		return -ENOMEM;
	}
	/* the new range counts now; munmap of the old one uncounts it */
	mm->total_vm += new_len >> PAGE_SHIFT;
	if (flags & MREMAP_DONTUNMAP) {
		/*
		 * The old range stays; its pages left with the move, so it is
		 * not locked any more, and the locked pages (now the new
		 * range's, old_len == new_len) stay counted as they were.
		 */
		if (locked && !vma_modify(&vma, old_addr, old_addr + old_len))
			vma->vm_flags &= ~VM_LOCKED;
		return new_addr;
	}
	if (locked)
		mm->locked_vm += new_len >> PAGE_SHIFT;
	if (do_vmi_munmap(mm, old_addr, old_len, false)) {
		/* Linux: "OOM: unable to split vma, just get accounts right" */
		mm->total_vm -= old_len >> PAGE_SHIFT;
	}
	return new_addr;
}

/*
 * vma_to_resize - the VMA of [addr, addr + old_len), which must be one
 * VMA, when it may grow to new_len; else -EFAULT (or -EINVAL)
 */
static struct vm_area_struct *
vma_to_resize(struct mm_struct *mm, unsigned long addr, unsigned long old_len,
	      unsigned long new_len, unsigned long flags, long *err)
{
	struct vm_area_struct *vma = vma_lookup(mm, addr);

	*err = -EFAULT;
	if (!vma)
		return NULL;
	/* a driver's mapping cannot be left behind empty */
	if ((flags & MREMAP_DONTUNMAP) &&
	    (vma->vm_flags & (VM_DONTEXPAND | VM_PFNMAP))) {
		*err = -EINVAL;
		return NULL;
	}
	if (old_len > vma->vm_end - addr)
		return NULL;
	if (new_len == old_len)
		return vma;
	/* drivers' special mappings cannot grow */
	if (vma->vm_flags & (VM_DONTEXPAND | VM_PFNMAP))
		return NULL;
	return vma;
}

/* may @vma grow by @delta bytes where it is? */
static bool vma_expandable(struct vm_area_struct *vma, unsigned long delta)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long end = vma->vm_end + delta;

	if (end < vma->vm_end || end > TASK_SIZE)
		return false;
	if (find_vma_intersection(mm, vma->vm_end, end))
		return false;
	return !IS_ERR_VALUE(get_unmapped_area(mm, vma->vm_start,
					       end - vma->vm_start, MAP_FIXED));
}

/*
 * mremap_to - MREMAP_FIXED: move to exactly new_addr, replacing what is
 * there; MREMAP_DONTUNMAP alone: move to new_addr if it is free (a hint),
 * else anywhere.
 */
static unsigned long mremap_to(struct mm_struct *mm, unsigned long addr,
			       unsigned long old_len, unsigned long new_addr,
			       unsigned long new_len, unsigned long flags)
{
	struct vm_area_struct *vma;
	unsigned long ret;
	long err;

	if (offset_in_page(new_addr))
		return -EINVAL;
	if (new_len > TASK_SIZE || new_addr > TASK_SIZE - new_len)
		return -EINVAL;
	/* the ranges may not overlap */
	if (addr + old_len > new_addr && new_addr + new_len > addr)
		return -EINVAL;
	if ((flags & MREMAP_FIXED) &&
	    do_vmi_munmap(mm, new_addr, new_len, false))
		return -ENOMEM;
	if (old_len > new_len) {
		if (do_vmi_munmap(mm, addr + new_len, old_len - new_len, false))
			return -ENOMEM;
		old_len = new_len;
	}
	vma = vma_to_resize(mm, addr, old_len, new_len, flags, &err);
	if (!vma)
		return err;
	ret = get_unmapped_area(mm, new_addr, new_len,
				flags & MREMAP_FIXED ? MAP_FIXED : 0);
	if (IS_ERR_VALUE(ret))
		return ret;
	return move_vma(vma, addr, old_len, new_len, ret, flags);
}

/**
 * do_mremap - mremap(2) in @mm
 * @mm: the address space
 * @addr: page-aligned start of the old mapping
 * @old_len: its length (rounded up to pages)
 * @new_len: the new length (rounded up to pages)
 * @flags: MREMAP_MAYMOVE, MREMAP_FIXED (with MAYMOVE), MREMAP_DONTUNMAP
 *	(with MAYMOVE, same length: move the pages, leave the old range
 *	mapped and empty)
 * @new_addr: with MREMAP_FIXED, where to put it; with DONTUNMAP alone, a
 *	hint
 *
 * Returns the (new) address, or -errno as an unsigned long: -EINVAL (bad
 * flags, FIXED or DONTUNMAP without MAYMOVE, DONTUNMAP with a new length,
 * or of a VM_PFNMAP/VM_DONTEXPAND mapping, unaligned addresses, zero
 * lengths, overlapping ranges with FIXED or DONTUNMAP), -EFAULT (the old range is not inside
 * one mapping), -ENOMEM (no room to grow without MAYMOVE, or nowhere to
 * move to), -EINTR.
 */
unsigned long do_mremap(struct mm_struct *mm, unsigned long addr,
			unsigned long old_len, unsigned long new_len,
			unsigned long flags, unsigned long new_addr)
{
	struct vm_area_struct *vma;
	unsigned long ret = -EINVAL;
	unsigned long populate = 0;
	long err;
	int tok;

	if (flags & ~MREMAP_LEGAL_FLAGS)
		goto out_nolock;
	if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
		goto out_nolock;
	/* always a move, never a resize */
	if ((flags & MREMAP_DONTUNMAP) &&
	    (!(flags & MREMAP_MAYMOVE) || old_len != new_len))
		goto out_nolock;
	if (offset_in_page(addr))
		goto out_nolock;
	old_len = PAGE_ALIGN(old_len);
	new_len = PAGE_ALIGN(new_len);
	if (!new_len || !old_len)
		goto out_nolock;

	tok = oracle_op_begin(mm, ORACLE_MREMAP, addr, old_len, flags);
	if (tok >= 0 && (flags & MREMAP_FIXED))
		oracle_mremap_target(mm, tok, new_addr, new_len);
	if (mmap_write_lock_killable(mm)) {
		oracle_mremap_end(mm, tok, -EINTR, addr, old_len, new_len,
				  flags);
		return -EINTR;
	}
	if (!vma_lookup(mm, addr)) {
		ret = -EFAULT;
		goto out;
	}
	if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) {
		ret = mremap_to(mm, addr, old_len, new_addr, new_len, flags);
		goto out;
	}
	/* shrinking: unmap the tail, done */
	if (old_len >= new_len) {
		ret = do_vmi_munmap(mm, addr + new_len, old_len - new_len,
				    false);
		if (!ret || old_len == new_len)
			ret = addr;
		goto out;
	}
	vma = vma_to_resize(mm, addr, old_len, new_len, flags, &err);
	if (!vma) {
		ret = err;
		goto out;
	}
	/* the old range reaches the VMA's end: try to grow in place */
	if (old_len == vma->vm_end - addr &&
	    vma_expandable(vma, new_len - old_len)) {
		long pages = (new_len - old_len) >> PAGE_SHIFT;
		struct address_space *mapping = vma_prepare(vma);

		vma->vm_end = addr + new_len;
		vma_complete(mapping);
		mm->total_vm += pages;
		if (vma->vm_flags & VM_LOCKED) {
			mm->locked_vm += pages;
			populate = new_len - old_len;
		}
		vma_merge_around(mm, vma_index(mm, vma));
		ret = addr;
		if (populate)
			new_addr = addr + old_len;
		goto out;
	}
	ret = -ENOMEM;
	if (flags & MREMAP_MAYMOVE) {
		new_addr = get_unmapped_area(mm, 0, new_len, 0);
		if (!IS_ERR_VALUE(new_addr))
			ret = move_vma(vma, addr, old_len, new_len, new_addr,
				       flags);
		else
			ret = new_addr;
	}
out:
	mmap_write_unlock(mm);
	if (populate && !IS_ERR_VALUE(ret))
		mm_populate(mm, new_addr, populate);
	oracle_mremap_end(mm, tok, ret, addr, old_len, new_len, flags);
out_nolock:
	trace_eventf(mm->mmw->w, "mremap(%#lx, %#lx, %#lx, %#lx) = %#lx", addr,
		     old_len, new_len, flags, ret);
	return ret;
}
