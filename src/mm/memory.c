// SPDX-License-Identifier: MIT
/*
 * The page-fault handler, page-table teardown (zap), page-table freeing
 * and the copy of page tables at fork.
 *
 * Models mm/memory.c: handle_mm_fault, handle_pte_fault,
 * do_anonymous_page, do_fault (do_read_fault, do_cow_fault,
 * do_shared_fault, finish_fault; VM_PFNMAP drivers through ->fault and
 * vmf_insert_pfn), do_wp_page with wp_page_reuse/wp_page_copy,
 * unmap_mapping_pages/unmap_mapping_range (truncation, device files),
 * remap_pfn_range and zap_vma_ptes (VM_PFNMAP drivers),
 * zap_pte_range .. unmap_vmas, zap_page_range_single, free_pgd_range ..
 * free_pgtables, copy_pte_range .. copy_page_range; and mm/gup.c's
 * populate loop (mm_populate).
 *
 * Simplifications:
 *  - No zero page: a read fault on anonymous memory allocates a zeroed
 *    frame, as with the zero page disabled.
 *  - No THP in the fault path yet: PMD leaves are never created here.
 *  - Swap is an in-model device (swapfile.c): do_swap_page() maps the
 *    swap-cache folio or a private copy of the slot; zap frees and fork
 *    duplicates swap entries.  A migration entry makes the fault wait on
 *    the folio lock.  Files are memory-backed (filemap.c, shmem.c).
 *  - No userfaultfd, no NUMA hinting (protnone PTEs come only from
 *    PROT_NONE VMAs).  mmu notifiers: unmap_vmas (UNMAP),
 *    zap_page_range_single (CLEAR: MADV_DONTNEED, unmap_mapping_pages),
 *    wp_page_copy (CLEAR, one page), copy_page_range (PROTECTION_PAGE),
 *    move_page_tables (UNMAP over the old range, mremap.c).
 *    try_to_unmap_one (CLEAR, one page; also for migration entries, as
 *    try_to_migrate_one does; rmap.c), KSM write_protect_page
 *    (CLEAR, as Linux's) and replace_page (CLEAR) (ksm.c).
 *    clear_refs_write (SOFT_DIRTY, whole address space;
 *    src/fs/proc_task_mmu.c).
 *    Page aging: folio_referenced_one -> clear_flush_young, idle
 *    tracking -> clear_young (rmap.c).  No test_young caller: Linux's
 *    is khugepaged's scan, which is not modeled.
 *  - Faults run under mmap_lock for read; there are no per-VMA locks and
 *    handle_mm_fault() never returns VM_FAULT_RETRY.
 *
 * Lock order of src/mm (outermost first):
 *
 *   inode->i_rwsem "i_rwsem"       (truncate, write(2))
 *   mm->mmap_lock                  (rw_semaphore; fork: the parent's only,
 *                                   the child is invisible until returned)
 *     mmu_notifier_invalidate_range_start (lockdep map; secondary MMU
 *                                   locks such as "dmirror->mutex" nest
 *                                   inside it, see notifier/, devices/)
 *     folio lock                   (file faults hold it until mapped;
 *                                   truncation holds it to remove a page;
 *                                   reclaim and migration hold it across
 *                                   the rmap walk, which takes
 *                                   mmlist_lock, then each mm's mmap_lock
 *                                   by TRYLOCK only, then the PTLs;
 *                                   do_swap_page and KSM, under their
 *                                   mmap_lock, hold it; a fault on a
 *                                   migration entry waits for it with
 *                                   mmap_lock held, so the migrating side
 *                                   never blocks on an mmap_lock)
 *       mapping->i_mmap_rwsem      (i_mmap: linking VMAs, truncation's
 *                                   unmap, the file rmap walk; before a
 *                                   file VMA's tables are freed)
 *         mapping->i_pages "i_pages" (the page cache index, a leaf)
 *       swap_info                  (the swap slots and swap cache; also
 *                                   under a PTL: zap and swap-in free
 *                                   slots; only zone->lock inside)
 *     mm->page_table_lock          (populating PGD/PUD/PMD entries,
 *                                   installing vma->anon_vma)
 *     ptdesc->ptl                  (one PTE table; fork nests the parent's
 *                                   inside the child's, SINGLE_DEPTH_NESTING)
 *       cpu->tlb_lock "cpu_tlb"    (TLB shootdown; ptep_clear_flush() and
 *                                   a full mmu_gather flush it under the PTL)
 *   zone->lock                     (page allocator: a leaf, may be taken
 *                                   under any of the above but cpu_tlb;
 *                                   nothing is taken under it)
 *   mmlist_lock                    (alone, or under a folio lock in
 *                                   the anon rmap walk; nothing inside)
 *
 * The CPU's own access path (fault.c) holds cpu_tlb alone, inside an RCU
 * read-side section, and takes page faults only after dropping it.  Page
 * tables are freed one grace period after the TLB flush (mmu_gather.c).
 */
#include <stdio.h>
#include <string.h>

#include "core/policy.h"
#include "iommu/iommu-sva.h" /* mmu_notifier_invalidate_secondary_upgrade */
#include "mm/mm.h"
#include "mm/mmu_gather.h"
#include "mm/tlb.h"

/* ---- small helpers ---- */

/* which rss counter a mapped page counts in (mm_counter()) */
int mm_counter(struct page *page)
{
	if (PageAnon(page))
		return MM_ANONPAGES;
	return PageSwapBacked(page) ? MM_SHMEMPAGES : MM_FILEPAGES;
}

static void add_mm_rss_vec(struct mm_struct *mm, long *rss)
{
	int i;

	for (i = 0; i < NR_MM_COUNTERS; i++)
		if (rss[i]) {
			add_mm_counter(mm, i, rss[i]);
			rss[i] = 0;
		}
}

static pte_t maybe_mkwrite(pte_t pte, struct vm_area_struct *vma)
{
	if (vma->vm_flags & VM_WRITE)
		pte = pte_mkwrite(pte);
	return pte;
}

static void print_bad_pte(struct vm_area_struct *vma, unsigned long addr,
			  pte_t pte, const char *why)
{
	report_add(vma->vm_mm->mmw->w, "bad-pte",
		   "BUG: Bad page map in mm %d: addr:%#lx pte:%#llx (%s)\n",
		   vma->vm_mm->id, addr, (unsigned long long)pte_val(pte), why);
}

/**
 * vm_normal_page - the struct page a PTE maps, if it is a normal page
 * @vma: the VMA of @addr
 * @addr: the address
 * @pte: the PTE value
 *
 * NULL for special PTEs (VM_PFNMAP, device frames) which hold no
 * reference and no mapcount.
 */
struct page *vm_normal_page(struct vm_area_struct *vma, unsigned long addr,
			    pte_t pte)
{
	struct phys_mem *pm = vma->vm_mm->mmw->pm;
	unsigned long pfn = pte_pfn(pte);

	if (pte_special(pte))
		return NULL;
	if (!pfn_valid(pm, pfn)) {
		print_bad_pte(vma, addr, pte, "pfn out of range");
		return NULL;
	}
	return pfn_to_page(pm, pfn);
}

/*
 * A changed PTE is written only on a write fault.  x86 flushes nothing
 * here (a CPU drops an entry that faults, so the next access walks
 * again); arm64 (world->arch) flushes the page after a dirty change, and
 * since 6.6 that flush reaches the secondary TLBs (src/iommu), which an
 * SMMU needs since it keeps a read-only entry after a permission fault.
 */
int ptep_set_access_flags(struct vm_area_struct *vma, unsigned long address,
			  pte_t *ptep, pte_t entry, int dirty)
{
	pte_t old = ptep_get(ptep);
	bool changed = !pte_same(old, entry);

	if (changed && dirty) {
		set_pte_at(vma->vm_mm, address, ptep, entry);
		if (vma->vm_mm->mmw->w->arch == WORLD_ARCH_ARM64 &&
		    !pte_write(old) && pte_write(entry))
			mmu_notifier_invalidate_secondary_upgrade(
				vma, address & PAGE_MASK,
				(address & PAGE_MASK) + PAGE_SIZE);
	}
	return changed;
}

/* a PTE some TLB may cache: present, or protnone with a flush pending */
static bool pte_accessible(struct mm_struct *mm, pte_t pte)
{
	if (pte_hw_present(pte))
		return true;
	return pte_protnone(pte) && mm_tlb_flush_pending(mm);
}

/* clear a PTE and flush it from every TLB before returning (PTL held) */
pte_t ptep_clear_flush(struct vm_area_struct *vma, unsigned long address,
		       pte_t *ptep)
{
	struct mm_struct *mm = vma->vm_mm;
	pte_t pte = ptep_get_and_clear(mm, address, ptep);

	if (pte_accessible(mm, pte))
		flush_tlb_page(vma, address);
	return pte;
}

/*
 * ptep_clear_flush_notify - ptep_clear_flush() that also invalidates the
 * secondary TLBs under the PTL.  Before 6.6 (in_range_end) it called
 * ->invalidate_range() itself, so its users ended their bracket with
 * mmu_notifier_invalidate_range_only_end(); since 6.6 (with_tlb_flush)
 * flush_tlb_page() reaches the secondaries and it is plain
 * ptep_clear_flush().  With secondary_tlb_flush=none nothing is told.
 */
pte_t ptep_clear_flush_notify(struct vm_area_struct *vma, unsigned long address,
			      pte_t *ptep)
{
	struct mm_struct *mm = vma->vm_mm;
	pte_t pte = ptep_clear_flush(vma, address, ptep);

	address &= PAGE_MASK;
	if (policy_enum(mm->mmw->w, KNOB_NOTIFIER_SECONDARY_TLB_FLUSH) ==
	    SECONDARY_TLB_FLUSH_IN_RANGE_END)
		mmu_notifier_arch_invalidate_secondary_tlbs(
			mm->notifier_subscriptions, address,
			address + PAGE_SIZE);
	return pte;
}

static struct page *alloc_anon_page(struct vm_area_struct *vma)
{
	return alloc_page(vma->vm_mm->mmw->pm,
			  GFP_HIGHUSER_MOVABLE | __GFP_ZERO);
}

/* ---- anonymous faults ---- */

/*
 * do_anonymous_page - first touch of anonymous memory.  The frame is
 * allocated and zeroed before the PTL is taken; under it the PTE must
 * still be none (another thread may have faulted the same page).
 */
static vm_fault_t do_anonymous_page(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mm_struct *mm = vma->vm_mm;
	struct page *page;
	pte_t entry;

	if (vma->vm_flags & VM_SHARED)
		return VM_FAULT_SIGBUS;
	if (pte_alloc(mm, vmf->pmd))
		return VM_FAULT_OOM;
	if (anon_vma_prepare(vma))
		return VM_FAULT_OOM;
	page = alloc_anon_page(vma);
	if (!page)
		return VM_FAULT_OOM;
	SetPageUptodate(page);

	entry = pte_sw_mkyoung(pfn_pte(page_to_pfn(page), vma->vm_page_prot));
	if (vma->vm_flags & VM_WRITE)
		entry = pte_mkwrite(pte_mkdirty(entry));

	vmf->pte = pte_offset_map_lock(mm, vmf->pmd, vmf->address, &vmf->ptl);
	if (!vmf->pte)
		goto release;
	if (!pte_none(ptep_get(vmf->pte))) {
		pte_unmap_unlock(vmf->pte, vmf->ptl);
		goto release;
	}
	add_mm_counter(mm, MM_ANONPAGES, 1);
	folio_add_new_anon_rmap(page_folio(page), vma, vmf->address);
	set_pte_at(mm, vmf->address, vmf->pte, entry);
	pte_unmap_unlock(vmf->pte, vmf->ptl);
	return 0;

release:
	put_page(page);
	return 0;
}

/* ---- write-protect faults ---- */

/* the page stays ours: make the PTE writable in place (PTL held) */
static vm_fault_t wp_page_reuse(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	pte_t entry;

	entry = pte_mkyoung(vmf->orig_pte);
	entry = maybe_mkwrite(pte_mkdirty(entry), vma);
	ptep_set_access_flags(vma, vmf->address, vmf->pte, entry, 1);
	pte_unmap_unlock(vmf->pte, vmf->ptl);
	return 0;
}

/*
 * wp_page_copy - break COW: map a private copy of the page.
 *
 * Called without the PTL, holding a reference on the old page (if any).
 * The copy is made unlocked; under the PTL the PTE must be unchanged.
 * The old PTE is cleared and flushed from every TLB *before* the new one
 * is set, so no CPU can go on writing the old page through a stale
 * writable entry while others already see the copy.
 */
static vm_fault_t wp_page_copy(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mm_struct *mm = vma->vm_mm;
	struct phys_mem *pm = mm->mmw->pm;
	struct page *old_page = vmf->page;
	struct page *new_page;
	struct mmu_notifier_range range;
	pte_t entry;

	if (anon_vma_prepare(vma))
		goto oom;
	new_page = alloc_page(pm, GFP_HIGHUSER_MOVABLE);
	if (!new_page)
		goto oom;
	/* no struct page (PFNMAP): copy from the frame itself */
	copy_highpage(new_page,
		      old_page ? old_page :
				 pfn_to_page(pm, pte_pfn(vmf->orig_pte)));
	SetPageUptodate(new_page);
	mmu_notifier_range_init(&range, MMU_NOTIFY_CLEAR, 0, mm,
				vmf->address & PAGE_MASK,
				(vmf->address & PAGE_MASK) + PAGE_SIZE);
	mmu_notifier_invalidate_range_start(mm->notifier_subscriptions, &range);

	vmf->pte = pte_offset_map_lock(mm, vmf->pmd, vmf->address, &vmf->ptl);
	if (vmf->pte && pte_same(ptep_get(vmf->pte), vmf->orig_pte)) {
		if (old_page && !PageAnon(old_page)) {
			add_mm_counter(mm, mm_counter(old_page), -1);
			add_mm_counter(mm, MM_ANONPAGES, 1);
		} else if (!old_page) {
			add_mm_counter(mm, MM_ANONPAGES, 1);
		}
		entry = pte_sw_mkyoung(
			pfn_pte(page_to_pfn(new_page), vma->vm_page_prot));
		entry = maybe_mkwrite(pte_mkdirty(entry), vma);
		ptep_clear_flush_notify(vma, vmf->address, vmf->pte);
		folio_add_new_anon_rmap(page_folio(new_page), vma,
					vmf->address);
		set_pte_at(mm, vmf->address, vmf->pte, entry);
		if (old_page)
			folio_remove_rmap_pte(page_folio(old_page), old_page,
					      vma);
		/* the old page's mapping reference goes with the put below */
		new_page = old_page;
	}
	if (vmf->pte)
		pte_unmap_unlock(vmf->pte, vmf->ptl);
	/* the secondaries were told under the PTL (before 6.6) */
	mmu_notifier_invalidate_range_only_end(mm->notifier_subscriptions,
					       &range);
	if (new_page)
		put_page(new_page);
	if (old_page)
		put_page(old_page); /* the reference do_wp_page() took */
	return 0;

oom:
	if (old_page)
		put_page(old_page);
	return VM_FAULT_OOM;
}

/*
 * wp_can_reuse_anon_folio - nobody else can see this anonymous page: no
 * other mapping and no other reference (a page still waiting in some
 * mmu_gather counts as shared).
 */
static bool wp_can_reuse_anon_folio(struct folio *folio)
{
	if (folio_ref_count(folio) > 1)
		return false;
	if (!folio_trylock(folio))
		return false;
	if (folio_ref_count(folio) != 1) {
		folio_unlock(folio);
		return false;
	}
	folio_unlock(folio);
	return true;
}

/*
 * do_wp_page - write to a present, write-protected PTE (PTL held).
 * Reuse the page if we own it exclusively, otherwise copy it.
 */
static vm_fault_t do_wp_page(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct folio *folio;

	vmf->page = vm_normal_page(vma, vmf->address, vmf->orig_pte);
	if (!vmf->page) {
		if (vma->vm_flags & (VM_SHARED | VM_MAYSHARE))
			return wp_page_reuse(vmf); /* wp_pfn_shared() */
		pte_unmap_unlock(vmf->pte, vmf->ptl);
		return wp_page_copy(vmf);
	}
	if (vma->vm_flags & (VM_SHARED | VM_MAYSHARE))
		return wp_page_reuse(vmf); /* wp_page_shared(), no dirty
					    * accounting */
	folio = page_folio(vmf->page);
	if (folio_test_anon(folio) &&
	    (PageAnonExclusive(vmf->page) || wp_can_reuse_anon_folio(folio))) {
		if (!PageAnonExclusive(vmf->page))
			SetPageAnonExclusive(vmf->page);
		return wp_page_reuse(vmf);
	}
	get_page(vmf->page);
	pte_unmap_unlock(vmf->pte, vmf->ptl);
	return wp_page_copy(vmf);
}

/* ---- swap and migration entries ---- */

/*
 * migration_entry_wait - the PTE is a migration entry: wait until the
 * migrating agent (which holds the folio lock from unmap to remap) is
 * done, then let the access retry (__migration_entry_wait).
 */
static void migration_entry_wait(struct mm_struct *mm, pmd_t *pmd,
				 unsigned long addr)
{
	struct phys_mem *pm = mm->mmw->pm;
	struct folio *folio;
	spinlock_t *ptl;
	pte_t *ptep, pte;

	ptep = pte_offset_map_lock(mm, pmd, addr, &ptl);
	if (!ptep)
		return;
	pte = ptep_get(ptep);
	if (!is_swap_pte(pte) || !is_migration_entry(pte_to_swp_entry(pte))) {
		pte_unmap_unlock(ptep, ptl);
		return;
	}
	folio = page_folio(
		pfn_to_page(pm, swp_offset_pfn(pte_to_swp_entry(pte))));
	if (!folio_try_get(folio)) {
		pte_unmap_unlock(ptep, ptl);
		return;
	}
	pte_unmap_unlock(ptep, ptl);
	folio_lock(folio); /* folio_wait_locked() */
	folio_unlock(folio);
	folio_put(folio);
}

/*
 * The slot's copy is gone: a fault of another CPU swapped the page in
 * and freed the slot, and may not have set the PTE yet.  As Linux does,
 * wait for it on the PTL and look again instead of spinning on the
 * fault: an unchanged PTE means the entry really is lost.
 */
static vm_fault_t do_swap_page_backout(struct vm_fault *vmf)
{
	struct mm_struct *mm = vmf->vma->vm_mm;
	vm_fault_t ret = 0;

	vmf->pte = pte_offset_map_lock(mm, vmf->pmd, vmf->address, &vmf->ptl);
	if (!vmf->pte)
		return 0;
	if (pte_same(ptep_get(vmf->pte), vmf->orig_pte))
		ret = VM_FAULT_OOM;
	pte_unmap_unlock(vmf->pte, vmf->ptl);
	return ret;
}

/*
 * do_swap_page - the PTE is a swap or migration entry.
 *
 * Migration entry: wait for the migration to finish (the folio lock the
 * migrating agent holds) and retry.  Swap entry: take the folio from the
 * swap cache (reclaim may still hold it) or read a private copy from the
 * slot's store, then, under the PTL and if the PTE is unchanged, map it
 * and drop the PTE's swap reference.  The page is exclusive to us (and so
 * writable) if it is a fresh copy, or no other swap PTE names the slot
 * and no other PTE maps it.
 */
static vm_fault_t do_swap_page(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mm_struct *mm = vma->vm_mm;
	struct mm_world *mmw = mm->mmw;
	swp_entry_t entry = pte_to_swp_entry(vmf->orig_pte);
	struct folio *folio, *cached;
	struct page *page;
	bool exclusive;
	pte_t pte;

	if (non_swap_entry(entry)) {
		if (is_migration_entry(entry)) {
			migration_entry_wait(mm, vmf->pmd, vmf->address);
			return 0;
		}
		print_bad_pte(vma, vmf->address, vmf->orig_pte,
			      "unknown non-swap entry");
		return VM_FAULT_SIGBUS;
	}
	cached = swap_cache_get_folio(mmw, entry);
	if (cached) {
		folio = cached;
		folio_lock(folio);
	} else {
		page = alloc_anon_page(vma);
		if (!page)
			return VM_FAULT_OOM;
		folio = page_folio(page);
		if (swap_read_store(mmw, entry, page)) {
			put_page(page);
			return do_swap_page_backout(vmf);
		}
		SetPageUptodate(page);
		if (anon_vma_prepare(vma)) {
			put_page(page);
			return VM_FAULT_OOM;
		}
	}
	page = &folio->page;

	vmf->pte = pte_offset_map_lock(mm, vmf->pmd, vmf->address, &vmf->ptl);
	if (!vmf->pte || !pte_same(ptep_get(vmf->pte), vmf->orig_pte))
		goto out_nomap;
	if (cached &&
	    (!folio_test_swapcache(folio) || folio->private != entry.val))
		goto out_nomap; /* left the swap cache meanwhile: retry */

	/*
	 * Exclusive: a fresh private copy, or the swap-cache folio when no
	 * other swap PTE names the slot and no other PTE maps it (after
	 * fork, a sibling may have swapped it in already: COW must hold).
	 */
	exclusive = swap_free(mmw, entry) == 0 || !cached;
	if (cached && folio_mapped(folio))
		exclusive = false;
	add_mm_counter(mm, MM_ANONPAGES, 1);
	add_mm_counter(mm, MM_SWAPENTS, -1);
	pte = pfn_pte(folio_pfn(folio), vma->vm_page_prot);
	pte = pte_sw_mkyoung(pte);
	if (pte_swp_soft_dirty(vmf->orig_pte))
		pte = pte_mksoft_dirty(pte);
	/* soft-dirty tracking wants the write fault if the bit is clear */
	if (exclusive && (vma->vm_flags & VM_WRITE) &&
	    ((vma->vm_flags & VM_SOFTDIRTY) || pte_soft_dirty(pte) ||
	     (vmf->flags & FAULT_FLAG_WRITE))) {
		pte = pte_mkwrite(pte);
		if (vmf->flags & FAULT_FLAG_WRITE)
			pte = pte_mkdirty(pte);
	}
	if (cached) {
		folio_add_anon_rmap_pte(folio, page, vma);
		if (exclusive)
			SetPageAnonExclusive(page);
	} else {
		folio_add_new_anon_rmap(folio, vma, vmf->address);
	}
	set_pte_at(mm, vmf->address, vmf->pte, pte);
	pte_unmap_unlock(vmf->pte, vmf->ptl);
	/* the last swap PTE is gone: the slot and the swap cache go too */
	if (cached)
		folio_free_swap(mmw, folio);
	if (cached)
		folio_unlock(folio);
	/* our reference is now the mapping's */
	return 0;

out_nomap:
	if (vmf->pte)
		pte_unmap_unlock(vmf->pte, vmf->ptl);
	if (cached)
		folio_unlock(folio);
	folio_put(folio);
	return 0;
}

/* ---- faults on VMAs with a ->fault op ---- */

static vm_fault_t get_locked_pte_fault(struct vm_area_struct *vma,
				       unsigned long addr, pte_t **ptep,
				       spinlock_t **ptlp)
{
	struct mm_struct *mm = vma->vm_mm;
	pud_t *pud = pud_alloc(mm, pgd_offset(mm, addr), addr);
	pmd_t *pmd;

	if (!pud)
		return VM_FAULT_OOM;
	pmd = pmd_alloc(mm, pud, addr);
	if (!pmd)
		return VM_FAULT_OOM;
	*ptep = pte_alloc_map_lock(mm, pmd, addr, ptlp);
	return *ptep ? 0 : VM_FAULT_OOM;
}

/**
 * vmf_insert_pfn - map a raw frame into a VM_PFNMAP VMA
 * @vma: the VMA (VM_PFNMAP or VM_MIXEDMAP)
 * @addr: the address to map
 * @pfn: the frame (device MMIO, or any frame the driver owns)
 *
 * For a driver's ->fault.  The PTE is special (no struct page use, no
 * reference, no mapcount) with the VMA's protection.  If a PTE is already
 * there it is left alone.  Returns VM_FAULT_NOPAGE, VM_FAULT_OOM or
 * VM_FAULT_SIGBUS.
 */
vm_fault_t vmf_insert_pfn(struct vm_area_struct *vma, unsigned long addr,
			  unsigned long pfn)
{
	spinlock_t *ptl;
	pte_t *pte;
	vm_fault_t ret;

	if (!(vma->vm_flags & (VM_PFNMAP | VM_MIXEDMAP)) ||
	    addr < vma->vm_start || addr >= vma->vm_end)
		return VM_FAULT_SIGBUS;
	if (!pfn_valid(vma->vm_mm->mmw->pm, pfn))
		return VM_FAULT_SIGBUS;
	ret = get_locked_pte_fault(vma, addr, &pte, &ptl);
	if (ret)
		return ret;
	if (pte_none(ptep_get(pte)))
		set_pte_at(vma->vm_mm, addr, pte,
			   pte_mkspecial(pfn_pte(pfn, vma->vm_page_prot)));
	pte_unmap_unlock(pte, ptl);
	return VM_FAULT_NOPAGE;
}

/**
 * follow_pfnmap_start - look up the frame a VM_IO/VM_PFNMAP VMA maps
 * @args: in: vma, address; out: pfn, addr_mask, writable
 *
 * Caller holds mmap_lock.  On success the PTE lock is held until
 * follow_pfnmap_end(), so a driver's zap cannot remove the PTE while the
 * caller uses the frame; it takes no reference (the frame has no struct
 * page use).  Simplified: PTE level only, so addr_mask is PAGE_MASK.
 * Returns 0, or -EINVAL when nothing is mapped there (the caller faults
 * and retries).
 */
int follow_pfnmap_start(struct follow_pfnmap_args *args)
{
	struct vm_area_struct *vma = args->vma;
	struct mm_struct *mm = vma->vm_mm;
	unsigned long address = args->address;
	spinlock_t *ptl;
	pte_t *ptep, pte;
	pmd_t *pmd;

	mmap_assert_locked(mm);
	if (!(vma->vm_flags & (VM_IO | VM_PFNMAP)) || address < vma->vm_start ||
	    address >= vma->vm_end)
		return -EINVAL;
	pmd = mm_find_pmd(mm, address);
	if (!pmd)
		return -EINVAL;
	ptep = pte_offset_map_lock(mm, pmd, address, &ptl);
	if (!ptep)
		return -EINVAL;
	pte = ptep_get(ptep);
	if (!pte_present(pte)) {
		pte_unmap_unlock(ptep, ptl);
		return -EINVAL;
	}
	args->ptep = ptep;
	args->lock = ptl;
	args->pfn = pte_pfn(pte);
	args->addr_mask = PAGE_MASK;
	args->writable = pte_write(pte);
	return 0;
}

/* drop what follow_pfnmap_start() took */
void follow_pfnmap_end(struct follow_pfnmap_args *args)
{
	pte_unmap_unlock(args->ptep, args->lock);
}

/**
 * remap_pfn_range - map [addr, addr + size) of @vma to frames from @pfn
 * @vma: a VM_PFNMAP VMA (VM_IO | VM_PFNMAP are the caller's to set, as
 *	io_remap_pfn_range() callers in ->fault must: a fault handler may
 *	not change vm_flags)
 * @addr: start, page aligned, inside @vma
 * @pfn: the first frame
 * @size: length in bytes
 * @prot: the PTE protection
 *
 * Every PTE of the range must be none: Linux's remap_pte_range()
 * BUG()s on a present one (the reason vfio-pci's whole-VMA fault had to
 * keep concurrent faults of one VMA apart); here that is a "bad-pte"
 * report and -EBUSY.  Returns 0, -EINVAL, -ENOMEM or -EBUSY.
 */
int remap_pfn_range(struct vm_area_struct *vma, unsigned long addr,
		    unsigned long pfn, unsigned long size, pgprot_t prot)
{
	struct phys_mem *pm = vma->vm_mm->mmw->pm;
	unsigned long end = addr + PAGE_ALIGN(size);
	spinlock_t *ptl;
	pte_t *pte;

	if ((addr & ~PAGE_MASK) || addr < vma->vm_start || end > vma->vm_end ||
	    !(vma->vm_flags & VM_PFNMAP))
		return -EINVAL;
	for (; addr < end; addr += PAGE_SIZE, pfn++) {
		if (!pfn_valid(pm, pfn))
			return -EINVAL;
		if (get_locked_pte_fault(vma, addr, &pte, &ptl))
			return -ENOMEM;
		if (!pte_none(ptep_get(pte))) {
			pte_t old = ptep_get(pte);

			pte_unmap_unlock(pte, ptl);
			print_bad_pte(vma, addr, old,
				      "remap_pfn_range over a present PTE (BUG_ON in remap_pte_range)");
			return -EBUSY;
		}
		set_pte_at(vma->vm_mm, addr, pte,
			   pte_mkspecial(pfn_pte(pfn, prot)));
		pte_unmap_unlock(pte, ptl);
	}
	return 0;
}

int io_remap_pfn_range(struct vm_area_struct *vma, unsigned long addr,
		       unsigned long pfn, unsigned long size, pgprot_t prot)
{
	return remap_pfn_range(vma, addr, pfn, size, prot);
}

/*
 * finish_fault - map vmf->cow_page (a private copy) or vmf->page (the
 * file's page, locked) at the faulting address.  The caller's reference
 * on the page becomes the mapping's.  Returns 0, VM_FAULT_NOPAGE if the
 * PTE was filled meanwhile (the caller drops its reference), or
 * VM_FAULT_OOM.
 */
static vm_fault_t finish_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mm_struct *mm = vma->vm_mm;
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	struct page *page;
	pte_t entry;

	if (write && !(vma->vm_flags & VM_SHARED))
		page = vmf->cow_page;
	else
		page = vmf->page;
	if (pte_alloc(mm, vmf->pmd))
		return VM_FAULT_OOM;
	vmf->pte = pte_offset_map_lock(mm, vmf->pmd, vmf->address, &vmf->ptl);
	if (!vmf->pte)
		return VM_FAULT_NOPAGE;
	if (!pte_none(ptep_get(vmf->pte))) {
		pte_unmap_unlock(vmf->pte, vmf->ptl);
		return VM_FAULT_NOPAGE;
	}
	entry = pte_sw_mkyoung(pfn_pte(page_to_pfn(page), vma->vm_page_prot));
	if (write)
		entry = maybe_mkwrite(pte_mkdirty(entry), vma);
	if (page == vmf->cow_page) {
		add_mm_counter(mm, MM_ANONPAGES, 1);
		folio_add_new_anon_rmap(page_folio(page), vma, vmf->address);
	} else {
		add_mm_counter(mm, mm_counter(page), 1);
		page_mapcount_inc(page); /* folio_add_file_rmap_pte() */
	}
	set_pte_at(mm, vmf->address, vmf->pte, entry);
	pte_unmap_unlock(vmf->pte, vmf->ptl);
	return 0;
}

/* ->fault; a driver inserting PFNs itself returns VM_FAULT_NOPAGE */
static vm_fault_t __do_fault(struct vm_fault *vmf)
{
	vm_fault_t ret = vmf->vma->vm_ops->fault(vmf);

	if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY))
		return ret;
	if (!vmf->page)
		return VM_FAULT_SIGBUS;
	if (!(ret & VM_FAULT_LOCKED)) {
		lock_page(vmf->page);
		ret |= VM_FAULT_LOCKED;
	}
	return ret;
}

/* read fault: map the file's page itself (read-only if private) */
static vm_fault_t do_read_fault(struct vm_fault *vmf)
{
	vm_fault_t ret = __do_fault(vmf);

	if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY))
		return ret;
	ret |= finish_fault(vmf);
	unlock_page(vmf->page);
	if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE))
		put_page(vmf->page);
	return ret & ~VM_FAULT_LOCKED;
}

/* write fault on a private file mapping: map a copy of the page */
static vm_fault_t do_cow_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	vm_fault_t ret;

	if (anon_vma_prepare(vma))
		return VM_FAULT_OOM;
	vmf->cow_page = alloc_page(vma->vm_mm->mmw->pm, GFP_HIGHUSER_MOVABLE);
	if (!vmf->cow_page)
		return VM_FAULT_OOM;
	ret = __do_fault(vmf);
	if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY))
		goto uncharge_out;
	copy_highpage(vmf->cow_page, vmf->page);
	SetPageUptodate(vmf->cow_page);
	ret |= finish_fault(vmf);
	unlock_page(vmf->page);
	put_page(vmf->page);
	if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE))
		goto uncharge_out;
	return ret & ~VM_FAULT_LOCKED;
uncharge_out:
	put_page(vmf->cow_page);
	return ret & ~VM_FAULT_LOCKED;
}

/* write fault on a shared mapping: map the page writable, dirty it */
static vm_fault_t do_shared_fault(struct vm_fault *vmf)
{
	struct page *page;
	vm_fault_t ret = __do_fault(vmf);

	if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY))
		return ret;
	page = vmf->page;
	ret |= finish_fault(vmf);
	if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE)) {
		unlock_page(page);
		put_page(page);
		return ret & ~VM_FAULT_LOCKED;
	}
	SetPageDirty(page); /* fault_dirty_shared_page() */
	unlock_page(page);
	return ret & ~VM_FAULT_LOCKED;
}

/* do_fault(): a VMA with a ->fault op, the PTE is none */
static vm_fault_t do_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;

	if (!vma->vm_ops->fault)
		return VM_FAULT_SIGBUS;
	if (!(vmf->flags & FAULT_FLAG_WRITE))
		return do_read_fault(vmf);
	if (!(vma->vm_flags & VM_SHARED))
		return do_cow_fault(vmf);
	return do_shared_fault(vmf);
}

/* ---- the fault entry ---- */

static vm_fault_t handle_pte_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	pte_t entry;

	if (pmd_none(pmdp_get(vmf->pmd))) {
		vmf->pte = NULL;
	} else {
		vmf->pte = pte_offset_map_nolock(vma->vm_mm, vmf->pmd,
						 vmf->address, &vmf->ptl);
		if (vmf->pte) {
			vmf->orig_pte = ptep_get(vmf->pte);
			if (pte_none(vmf->orig_pte)) {
				pte_unmap(vmf->pte);
				vmf->pte = NULL;
			}
		}
	}

	if (!vmf->pte)
		return vma_is_anonymous(vma) ? do_anonymous_page(vmf) :
					       do_fault(vmf);

	if (!pte_present(vmf->orig_pte)) {
		pte_unmap(vmf->pte);
		return do_swap_page(vmf);
	}

	spin_lock(vmf->ptl);
	entry = vmf->orig_pte;
	if (!pte_same(ptep_get(vmf->pte), entry))
		goto unlock; /* changed under us: let the CPU retry */
	if (vmf->flags & FAULT_FLAG_WRITE) {
		if (!pte_write(entry))
			return do_wp_page(vmf);
		entry = pte_mkdirty(entry);
	}
	entry = pte_mkyoung(entry);
	/* a spurious fault on x86 needs no flush: the fault dropped the
	 * faulting CPU's entry already */
	ptep_set_access_flags(vma, vmf->address, vmf->pte, entry,
			      vmf->flags & FAULT_FLAG_WRITE);
unlock:
	pte_unmap_unlock(vmf->pte, vmf->ptl);
	return 0;
}

/**
 * handle_mm_fault - resolve a fault at @address in @vma
 * @vma: the VMA containing @address, already checked for access
 * @address: the faulting address
 * @flags: FAULT_FLAG_*
 *
 * Caller holds mmap_lock for read.  Returns 0 (the access may be
 * retried) or VM_FAULT_* error/status bits.
 */
vm_fault_t handle_mm_fault(struct vm_area_struct *vma, unsigned long address,
			   unsigned int flags)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_fault vmf = {
		.vma = vma,
		.address = address & PAGE_MASK,
		.real_address = address,
		.flags = flags,
		.pgoff = linear_page_index(vma, address),
	};
	pud_t *pud;

	mmap_assert_locked(mm);
	pud = pud_alloc(mm, pgd_offset(mm, address), address);
	if (!pud)
		return VM_FAULT_OOM;
	vmf.pmd = pmd_alloc(mm, pud, address);
	if (!vmf.pmd)
		return VM_FAULT_OOM;
	if (pmd_leaf(pmdp_get(vmf.pmd)))
		return VM_FAULT_SIGBUS; /* no THP faults yet */
	return handle_pte_fault(&vmf);
}

/**
 * populate_vma_page_range - fault in [start, end) of @vma
 * @vma: the VMA; caller holds mmap_lock
 * @start: page-aligned start inside @vma
 * @end: end inside @vma
 *
 * As GUP does for MAP_POPULATE and VM_LOCKED: writable private mappings
 * are faulted for write, so COW is broken now.  Errors are ignored.
 */
void populate_vma_page_range(struct vm_area_struct *vma, unsigned long start,
			     unsigned long end)
{
	unsigned int flags = 0;
	unsigned long addr;

	mmap_assert_locked(vma->vm_mm);
	if ((vma->vm_flags & (VM_IO | VM_PFNMAP)) || !vma_is_accessible(vma))
		return;
	if ((vma->vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE)
		flags |= FAULT_FLAG_WRITE;
	for (addr = start; addr < end; addr += PAGE_SIZE)
		handle_mm_fault(vma, addr, flags);
}

/* __mm_populate(): every VMA of the range, under mmap_lock for read */
int mm_populate(struct mm_struct *mm, unsigned long start, unsigned long len)
{
	unsigned long end = start + len, next;
	struct vm_area_struct *vma;

	mmap_read_lock(mm);
	for (; start < end; start = next) {
		vma = find_vma(mm, start);
		if (!vma || vma->vm_start >= end)
			break;
		start = max(start, vma->vm_start);
		next = min(end, vma->vm_end);
		populate_vma_page_range(vma, start, next);
	}
	mmap_read_unlock(mm);
	return 0;
}

/* ---- zap: tearing down user mappings ---- */

/*
 * zap_pte_range - clear the PTEs of [addr, end) in one PTE table.
 *
 * Each page's rmap goes at once but its reference waits in the
 * mmu_gather until the TLBs are flushed.  If the gather fills up, the
 * TLB flush is done before dropping the PTL, the pages are freed after,
 * and the loop comes back for the rest.
 */
static unsigned long zap_pte_range(struct mmu_gather *tlb,
				   struct vm_area_struct *vma, pmd_t *pmd,
				   unsigned long addr, unsigned long end)
{
	struct mm_struct *mm = tlb->mm;
	long rss[NR_MM_COUNTERS] = { 0 };
	spinlock_t *ptl;
	pte_t *start_pte, *pte;
	bool force_flush;

	do {
		force_flush = false;
		start_pte = pte = pte_offset_map_lock(mm, pmd, addr, &ptl);
		if (!pte)
			return end;
		flush_tlb_batched_pending(mm);
		for (; addr != end; pte++, addr += PAGE_SIZE) {
			pte_t ptent = ptep_get_locked(pte, ptl);
			struct page *page;

			if (pte_none(ptent))
				continue;
			if (!pte_present(ptent)) {
				swp_entry_t entry = pte_to_swp_entry(ptent);

				pte_clear(mm, addr, pte);
				if (!non_swap_entry(entry)) {
					rss[MM_SWAPENTS]--;
					swap_free(mm->mmw, entry);
				} else if (is_migration_entry(entry)) {
					/* it still counts as its page */
					rss[mm_counter(pfn_to_page(
						mm->mmw->pm,
						swp_offset_pfn(entry)))]--;
				}
				continue;
			}
			page = vm_normal_page(vma, addr, ptent);
			ptent = ptep_get_and_clear(mm, addr, pte);
			tlb_remove_tlb_entry(tlb, pte, addr);
			if (!page)
				continue;
			if (!PageAnon(page)) {
				if (pte_dirty(ptent))
					SetPageDirty(page);
				if (pte_young(ptent))
					SetPageReferenced(page);
			}
			rss[mm_counter(page)]--;
			folio_remove_rmap_pte(page_folio(page), page, vma);
			if (__tlb_remove_page(tlb, page)) {
				force_flush = true;
				addr += PAGE_SIZE;
				break;
			}
		}
		add_mm_rss_vec(mm, rss);
		if (force_flush)
			tlb_flush_mmu_tlbonly(tlb);
		pte_unmap_unlock(start_pte, ptl);
		if (force_flush)
			tlb_flush_mmu(tlb);
	} while (addr != end);
	return addr;
}

static bool pmd_none_or_clear_bad(struct mm_struct *mm, pmd_t *pmd)
{
	pmd_t v = pmdp_get(pmd);

	if (pmd_none(v))
		return true;
	if (!pmd_leaf(v) && pmd_bad(v)) {
		report_add(mm->mmw->w, "bad-pte", "bad pmd %#llx in mm %d\n",
			   (unsigned long long)pmd_val(v), mm->id);
		pmd_clear(pmd);
		return true;
	}
	return false;
}

static bool pud_none_or_clear_bad(struct mm_struct *mm, pud_t *pud)
{
	pud_t v = pudp_get(pud);

	if (pud_none(v))
		return true;
	if (pud_bad(v)) {
		report_add(mm->mmw->w, "bad-pte", "bad pud %#llx in mm %d\n",
			   (unsigned long long)pud_val(v), mm->id);
		pud_clear(pud);
		return true;
	}
	return false;
}

static bool pgd_none_or_clear_bad(struct mm_struct *mm, pgd_t *pgd)
{
	pgd_t v = pgdp_get(pgd);

	if (pgd_none(v))
		return true;
	if (pgd_bad(v)) {
		report_add(mm->mmw->w, "bad-pte", "bad pgd %#llx in mm %d\n",
			   (unsigned long long)pgd_val(v), mm->id);
		pgd_clear(pgd);
		return true;
	}
	return false;
}

static void zap_pmd_range(struct mmu_gather *tlb, struct vm_area_struct *vma,
			  pud_t *pud, unsigned long addr, unsigned long end)
{
	pmd_t *pmd = pmd_offset(pud, addr);
	unsigned long next;

	do {
		next = pmd_addr_end(addr, end);
		if (pmd_none_or_clear_bad(tlb->mm, pmd))
			continue;
		zap_pte_range(tlb, vma, pmd, addr, next);
	} while (pmd++, addr = next, addr != end);
}

static void zap_pud_range(struct mmu_gather *tlb, struct vm_area_struct *vma,
			  pgd_t *pgd, unsigned long addr, unsigned long end)
{
	pud_t *pud = pud_offset(pgd, addr);
	unsigned long next;

	do {
		next = pud_addr_end(addr, end);
		if (pud_none_or_clear_bad(tlb->mm, pud))
			continue;
		zap_pmd_range(tlb, vma, pud, addr, next);
	} while (pud++, addr = next, addr != end);
}

/**
 * unmap_page_range - zap the user pages of [addr, end) in @vma
 * @tlb: the gather collecting pages to free after the flush
 * @vma: the VMA
 * @addr: start, within @vma
 * @end: end, within @vma
 */
void unmap_page_range(struct mmu_gather *tlb, struct vm_area_struct *vma,
		      unsigned long addr, unsigned long end)
{
	pgd_t *pgd = pgd_offset(vma->vm_mm, addr);
	unsigned long next;

	tlb_start_vma(tlb, vma);
	do {
		next = pgd_addr_end(addr, end);
		if (pgd_none_or_clear_bad(tlb->mm, pgd))
			continue;
		zap_pud_range(tlb, vma, pgd, addr, next);
	} while (pgd++, addr = next, addr != end);
	tlb_end_vma(tlb, vma);
}

static void unmap_single_vma(struct mmu_gather *tlb, struct vm_area_struct *vma,
			     unsigned long start_addr, unsigned long end_addr)
{
	unsigned long start = max(vma->vm_start, start_addr);
	unsigned long end = min(vma->vm_end, end_addr);

	if (start >= end)
		return;
	unmap_page_range(tlb, vma, start, end);
}

/**
 * unmap_vmas - zap the pages of a run of VMAs
 * @tlb: the gather
 * @vmas: the VMAs, in address order
 * @nr: how many
 * @start: first address to zap
 * @end: end of the range to zap
 *
 * Caller holds mmap_lock (read or write) and no VMA of the run can be
 * faulted any more (they are detached, or the mm is exiting).
 */
void unmap_vmas(struct mmu_gather *tlb, struct vm_area_struct **vmas, int nr,
		unsigned long start, unsigned long end)
{
	struct mmu_notifier_range range;
	int i;

	if (!nr)
		return;
	mmu_notifier_range_init(&range, MMU_NOTIFY_UNMAP, 0, vmas[0]->vm_mm,
				start, end);
	mmu_notifier_invalidate_range_start(
		vmas[0]->vm_mm->notifier_subscriptions, &range);
	for (i = 0; i < nr; i++)
		unmap_single_vma(tlb, vmas[i], start, end);
	mmu_notifier_invalidate_range_end(
		vmas[0]->vm_mm->notifier_subscriptions, &range);
}

/**
 * zap_page_range_single - zap [address, address + size) of one VMA
 * @vma: the VMA
 * @address: start
 * @size: length
 *
 * With its own mmu_gather: the pages are freed after the flush, before
 * this returns (MADV_DONTNEED).
 */
void zap_page_range_single(struct vm_area_struct *vma, unsigned long address,
			   unsigned long size)
{
	struct mmu_notifier_range range;
	struct mmu_gather tlb;

	mmu_notifier_range_init(&range, MMU_NOTIFY_CLEAR, 0, vma->vm_mm,
				address, address + size);
	tlb_gather_mmu(&tlb, vma->vm_mm);
	mmu_notifier_invalidate_range_start(vma->vm_mm->notifier_subscriptions,
					    &range);
	unmap_single_vma(&tlb, vma, address, address + size);
	mmu_notifier_invalidate_range_end(vma->vm_mm->notifier_subscriptions,
					  &range);
	tlb_finish_mmu(&tlb);
}

/**
 * unmap_mapping_pages - zap the mappings of file pages [start, start + nr)
 * @mapping: the file's page cache
 * @start: first page offset
 * @nr: number of pages, 0 for "to the end"
 * @even_cows: zap private COW copies of those pages too (truncation)
 *
 * Walks i_mmap under i_mmap_rwsem for read; takes no mmap_lock.  Private
 * COW copies are always zapped here: there is no zap_details filter yet,
 * and the one caller (truncation) wants them gone.
 */
void unmap_mapping_pages(struct address_space *mapping, unsigned long start,
			 unsigned long nr, bool even_cows)
{
	unsigned long last = nr ? start + nr - 1 : ~0UL;
	struct vm_area_struct *vma;

	(void)even_cows;
	down_read(&mapping->i_mmap_rwsem);
	list_for_each_entry(vma, &mapping->i_mmap, shared) {
		unsigned long vfirst = vma->vm_pgoff;
		unsigned long vlast = vfirst + vma_pages(vma) - 1;
		unsigned long zs, ze;

		if (vlast < start || vfirst > last)
			continue;
		zs = vma->vm_start +
		     ((max(start, vfirst) - vfirst) << PAGE_SHIFT);
		ze = vma->vm_start +
		     ((min(last, vlast) - vfirst + 1) << PAGE_SHIFT);
		zap_page_range_single(vma, zs, ze - zs);
	}
	up_read(&mapping->i_mmap_rwsem);
}

/**
 * unmap_mapping_range - zap the mappings of [holebegin, holebegin +
 *	holelen) of @mapping, in bytes
 * @mapping: the file's address_space (a device's inode for VM_PFNMAP
 *	drivers such as vfio-pci since 6.10)
 * @holebegin: first byte
 * @holelen: length, 0 for "to the end"
 * @even_cows: also private COW copies
 */
void unmap_mapping_range(struct address_space *mapping,
			 unsigned long holebegin, unsigned long holelen,
			 bool even_cows)
{
	unsigned long first = holebegin >> PAGE_SHIFT;
	unsigned long nr = (PAGE_ALIGN(holebegin + holelen) >> PAGE_SHIFT) -
			   first;

	unmap_mapping_pages(mapping, first, holelen ? nr : 0, even_cows);
}

/**
 * zap_vma_ptes - remove the PTEs of part of a VM_PFNMAP VMA
 * @vma: the VMA; nothing happens for any other kind
 * @address: start
 * @size: length
 *
 * Caller holds the VMA's mmap_lock (read is enough).
 */
void zap_vma_ptes(struct vm_area_struct *vma, unsigned long address,
		  unsigned long size)
{
	if (!vma || !(vma->vm_flags & VM_PFNMAP) || address < vma->vm_start ||
	    address + size > vma->vm_end)
		return;
	zap_page_range_single(vma, address, size);
}

/* ---- freeing page tables ---- */

static void mm_dec_nr_ptes(struct mm_struct *mm)
{
	__atomic_sub_fetch(&mm->nr_ptes, 1, __ATOMIC_RELAXED);
}

/* unlink the PTE table under @pmd; it is freed after flush + RCU */
static void free_pte_range(struct mmu_gather *tlb, pmd_t *pmd,
			   unsigned long addr)
{
	struct ptdesc *pt = ptdesc_of(pte_offset_kernel(pmd, addr));

	pmd_clear(pmd);
	pte_free_tlb(tlb, pt, addr);
	mm_dec_nr_ptes(tlb->mm);
}

static void free_pmd_range(struct mmu_gather *tlb, pud_t *pud,
			   unsigned long addr, unsigned long end,
			   unsigned long floor, unsigned long ceiling)
{
	unsigned long next, start = addr;
	struct ptdesc *pt;
	pmd_t *pmd = pmd_offset(pud, addr);

	do {
		next = pmd_addr_end(addr, end);
		if (pmd_none_or_clear_bad(tlb->mm, pmd))
			continue;
		free_pte_range(tlb, pmd, addr);
	} while (pmd++, addr = next, addr != end);

	/* free the PMD table only if nothing else can be under it */
	start &= PUD_MASK;
	if (start < floor)
		return;
	if (ceiling) {
		ceiling &= PUD_MASK;
		if (!ceiling)
			return;
	}
	if (end - 1 > ceiling - 1)
		return;
	pt = ptdesc_of(pmd_offset(pud, start));
	pud_clear(pud);
	pmd_free_tlb(tlb, pt, start);
	mm_dec_nr_ptes(tlb->mm);
}

static void free_pud_range(struct mmu_gather *tlb, pgd_t *pgd,
			   unsigned long addr, unsigned long end,
			   unsigned long floor, unsigned long ceiling)
{
	unsigned long next, start = addr;
	struct ptdesc *pt;
	pud_t *pud = pud_offset(pgd, addr);

	do {
		next = pud_addr_end(addr, end);
		if (pud_none_or_clear_bad(tlb->mm, pud))
			continue;
		free_pmd_range(tlb, pud, addr, next, floor, ceiling);
	} while (pud++, addr = next, addr != end);

	start &= PGDIR_MASK;
	if (start < floor)
		return;
	if (ceiling) {
		ceiling &= PGDIR_MASK;
		if (!ceiling)
			return;
	}
	if (end - 1 > ceiling - 1)
		return;
	pt = ptdesc_of(pud_offset(pgd, start));
	pgd_clear(pgd);
	pud_free_tlb(tlb, pt, start);
	mm_dec_nr_ptes(tlb->mm);
}

/**
 * free_pgd_range - unlink the page tables of [addr, end)
 * @tlb: the gather; tables are freed after its flush and a grace period
 * @addr: start of the unmapped range
 * @end: its end
 * @floor: the end of the previous VMA: tables reaching below stay
 * @ceiling: the start of the next VMA (0: the top): tables reaching
 *	above stay
 *
 * A table is freed only if the whole range it covers is inside
 * [floor, ceiling), so no other VMA can still use it.
 */
void free_pgd_range(struct mmu_gather *tlb, unsigned long addr,
		    unsigned long end, unsigned long floor,
		    unsigned long ceiling)
{
	unsigned long next;
	pgd_t *pgd;

	addr &= PMD_MASK;
	if (addr < floor) {
		addr += PMD_SIZE;
		if (!addr)
			return;
	}
	if (ceiling) {
		ceiling &= PMD_MASK;
		if (!ceiling)
			return;
	}
	if (end - 1 > ceiling - 1)
		end -= PMD_SIZE;
	if (addr > end - 1)
		return;
	pgd = pgd_offset(tlb->mm, addr);
	do {
		next = pgd_addr_end(addr, end);
		if (pgd_none_or_clear_bad(tlb->mm, pgd))
			continue;
		free_pud_range(tlb, pgd, addr, next, floor, ceiling);
	} while (pgd++, addr = next, addr != end);
}

/**
 * free_pgtables - free the page tables under a run of unmapped VMAs
 * @tlb: the gather
 * @vmas: the VMAs, in address order, already zapped and detached
 * @nr: how many
 * @floor: end of the VMA before the run (FIRST_USER_ADDRESS if none)
 * @ceiling: start of the VMA after it (USER_PGTABLES_CEILING if none)
 */
void free_pgtables(struct mmu_gather *tlb, struct vm_area_struct **vmas, int nr,
		   unsigned long floor, unsigned long ceiling)
{
	int i = 0;

	/* truncation must not walk tables we are about to free */
	for (i = 0; i < nr; i++)
		unlink_file_vma(vmas[i]);
	i = 0;
	while (i < nr) {
		unsigned long addr = vmas[i]->vm_start;

		/* gather VMAs close together into one call down */
		while (i + 1 < nr &&
		       vmas[i + 1]->vm_start <= vmas[i]->vm_end + PMD_SIZE)
			i++;
		free_pgd_range(tlb, addr, vmas[i]->vm_end, floor,
			       i + 1 < nr ? vmas[i + 1]->vm_start : ceiling);
		i++;
	}
}

/* ---- fork: copying page tables ---- */

/*
 * copy_present_page - the parent's anonymous page may be DMA-pinned:
 * give the child its own copy now instead of sharing it COW.
 */
static int copy_present_page(struct vm_area_struct *dst_vma,
			     struct vm_area_struct *src_vma, pte_t *dst_pte,
			     unsigned long addr, long *rss,
			     struct page **prealloc, struct page *page)
{
	struct page *new_page = *prealloc;
	pte_t pte;

	if (!new_page)
		return -EAGAIN;
	*prealloc = NULL;
	copy_highpage(new_page, page);
	SetPageUptodate(new_page);
	folio_add_new_anon_rmap(page_folio(new_page), dst_vma, addr);
	rss[MM_ANONPAGES]++;
	pte = pfn_pte(page_to_pfn(new_page), dst_vma->vm_page_prot);
	pte = maybe_mkwrite(pte_mkdirty(pte), dst_vma);
	set_pte_at(dst_vma->vm_mm, addr, dst_pte, pte);
	return 0;
}

/*
 * copy_present_pte - share one present PTE with the child.  A private
 * writable mapping is write-protected in the parent and in the child, so
 * the first write on either side copies (do_wp_page).
 */
static int copy_present_pte(struct vm_area_struct *dst_vma,
			    struct vm_area_struct *src_vma, pte_t *dst_pte,
			    pte_t *src_pte, pte_t pte, unsigned long addr,
			    long *rss, struct page **prealloc)
{
	struct mm_struct *src_mm = src_vma->vm_mm;
	struct page *page = vm_normal_page(src_vma, addr, pte);

	if (page && PageAnon(page)) {
		struct folio *folio = page_folio(page);

		folio_get(folio);
		if (folio_try_dup_anon_rmap_pte(folio, page, dst_vma,
						src_vma)) {
			folio_put(folio);
			return copy_present_page(dst_vma, src_vma, dst_pte,
						 addr, rss, prealloc, page);
		}
		rss[MM_ANONPAGES]++;
	} else if (page) {
		get_page(page);
		page_mapcount_inc(page); /* folio_dup_file_rmap_pte() */
		rss[mm_counter(page)]++;
	}
	if (is_cow_mapping(src_vma->vm_flags) && pte_write(pte)) {
		ptep_set_wrprotect(src_mm, addr, src_pte);
		pte = pte_wrprotect(pte);
	}
	if (src_vma->vm_flags & VM_SHARED)
		pte = pte_mkclean(pte);
	pte = pte_mkold(pte);
	set_pte_at(dst_vma->vm_mm, addr, dst_pte, pte);
	return 0;
}

static int copy_pte_range(struct vm_area_struct *dst_vma,
			  struct vm_area_struct *src_vma, pmd_t *dst_pmd,
			  pmd_t *src_pmd, unsigned long addr, unsigned long end)
{
	struct mm_struct *dst_mm = dst_vma->vm_mm;
	struct mm_struct *src_mm = src_vma->vm_mm;
	long rss[NR_MM_COUNTERS] = { 0 };
	struct page *prealloc = NULL;
	spinlock_t *src_ptl, *dst_ptl;
	pte_t *src_pte, *dst_pte, *orig_src_pte, *orig_dst_pte;
	int ret = 0;

again:
	dst_pte = pte_alloc_map_lock(dst_mm, dst_pmd, addr, &dst_ptl);
	if (!dst_pte) {
		ret = -ENOMEM;
		goto out;
	}
	src_pte = pte_offset_map_nolock(src_mm, src_pmd, addr, &src_ptl);
	if (!src_pte) {
		pte_unmap_unlock(dst_pte, dst_ptl);
		goto out;
	}
	spin_lock_nested(src_ptl, 1 /* SINGLE_DEPTH_NESTING */);
	orig_src_pte = src_pte;
	orig_dst_pte = dst_pte;
	do {
		pte_t ptent = ptep_get_locked(src_pte, src_ptl);

		if (pte_none(ptent))
			continue;
		if (!pte_present(ptent)) {
			/* swap/migration entries: copied as they are */
			swp_entry_t entry = pte_to_swp_entry(ptent);

			if (!non_swap_entry(entry)) {
				swap_duplicate(dst_mm->mmw, entry);
				rss[MM_SWAPENTS]++;
			}
			set_pte_at(dst_mm, addr, dst_pte, ptent);
			continue;
		}
		ret = copy_present_pte(dst_vma, src_vma, dst_pte, src_pte,
				       ptent, addr, rss, &prealloc);
		if (ret == -EAGAIN)
			break;
	} while (dst_pte++, src_pte++, addr += PAGE_SIZE, addr != end);

	spin_unlock(src_ptl);
	pte_unmap(orig_src_pte);
	add_mm_rss_vec(dst_mm, rss);
	pte_unmap_unlock(orig_dst_pte, dst_ptl);

	if (ret == -EAGAIN) {
		prealloc = alloc_page(dst_mm->mmw->pm, GFP_HIGHUSER_MOVABLE);
		if (!prealloc)
			return -ENOMEM;
		ret = 0;
	}
	if (addr != end)
		goto again;
out:
	if (prealloc)
		put_page(prealloc);
	return ret;
}

static int copy_pmd_range(struct vm_area_struct *dst_vma,
			  struct vm_area_struct *src_vma, pud_t *dst_pud,
			  pud_t *src_pud, unsigned long addr, unsigned long end)
{
	struct mm_struct *dst_mm = dst_vma->vm_mm;
	pmd_t *src_pmd, *dst_pmd;
	unsigned long next;

	dst_pmd = pmd_alloc(dst_mm, dst_pud, addr);
	if (!dst_pmd)
		return -ENOMEM;
	src_pmd = pmd_offset(src_pud, addr);
	do {
		next = pmd_addr_end(addr, end);
		if (pmd_none_or_clear_bad(src_vma->vm_mm, src_pmd))
			continue;
		if (copy_pte_range(dst_vma, src_vma, dst_pmd, src_pmd, addr,
				   next))
			return -ENOMEM;
	} while (dst_pmd++, src_pmd++, addr = next, addr != end);
	return 0;
}

static int copy_pud_range(struct vm_area_struct *dst_vma,
			  struct vm_area_struct *src_vma, pgd_t *dst_pgd,
			  pgd_t *src_pgd, unsigned long addr, unsigned long end)
{
	struct mm_struct *dst_mm = dst_vma->vm_mm;
	pud_t *src_pud, *dst_pud;
	unsigned long next;

	dst_pud = pud_alloc(dst_mm, dst_pgd, addr);
	if (!dst_pud)
		return -ENOMEM;
	src_pud = pud_offset(src_pgd, addr);
	do {
		next = pud_addr_end(addr, end);
		if (pud_none_or_clear_bad(src_vma->vm_mm, src_pud))
			continue;
		if (copy_pmd_range(dst_vma, src_vma, dst_pud, src_pud, addr,
				   next))
			return -ENOMEM;
	} while (dst_pud++, src_pud++, addr = next, addr != end);
	return 0;
}

/* nothing to copy for mappings that can simply fault again */
static bool vma_needs_copy(struct vm_area_struct *dst_vma,
			   struct vm_area_struct *src_vma)
{
	if (src_vma->vm_flags & (VM_PFNMAP | VM_MIXEDMAP))
		return true;
	return src_vma->anon_vma != NULL;
}

/**
 * copy_page_range - fork: give @dst_vma the parent's mappings
 * @dst_vma: the child's VMA
 * @src_vma: the parent's
 *
 * Caller holds the parent's mmap_lock for write and flushes the parent's
 * TLB (flush_tlb_mm) once all VMAs are copied.  Returns 0 or -ENOMEM.
 */
int copy_page_range(struct vm_area_struct *dst_vma,
		    struct vm_area_struct *src_vma)
{
	unsigned long addr = src_vma->vm_start, end = src_vma->vm_end;
	unsigned long next;
	pgd_t *src_pgd, *dst_pgd;
	struct mmu_notifier_range range;
	bool is_cow = is_cow_mapping(src_vma->vm_flags);
	int ret = 0;

	if (!vma_needs_copy(dst_vma, src_vma))
		return 0;
	/* the parent's PTEs are write-protected for COW */
	if (is_cow) {
		mmu_notifier_range_init(&range, MMU_NOTIFY_PROTECTION_PAGE, 0,
					src_vma->vm_mm, addr, end);
		mmu_notifier_invalidate_range_start(
			src_vma->vm_mm->notifier_subscriptions, &range);
	}
	dst_pgd = pgd_offset(dst_vma->vm_mm, addr);
	src_pgd = pgd_offset(src_vma->vm_mm, addr);
	do {
		next = pgd_addr_end(addr, end);
		if (pgd_none_or_clear_bad(src_vma->vm_mm, src_pgd))
			continue;
		if (copy_pud_range(dst_vma, src_vma, dst_pgd, src_pgd, addr,
				   next)) {
			ret = -ENOMEM;
			break;
		}
	} while (dst_pgd++, src_pgd++, addr = next, addr != end);
	if (is_cow)
		mmu_notifier_invalidate_range_end(
			src_vma->vm_mm->notifier_subscriptions, &range);
	return ret;
}
