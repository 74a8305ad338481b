// SPDX-License-Identifier: MIT
/*
 * KSM: merging two identical anonymous pages into one write-protected
 * page that both map, broken again by COW on the first write.
 *
 * Models mm/ksm.c: write_protect_page (clear and flush the PTE when it
 * is writable, dirty or AnonExclusive or a flush is pending, give up
 * if someone holds a reference the mappings do not explain, then map it
 * clean and read-only), replace_page (map the KSM page instead, flushing
 * the old PTE first), try_to_merge_one_page and try_to_merge_two_pages;
 * ksmd's scan is the caller naming the two addresses (ksm_merge_pair).
 *
 * Simplifications:
 *  - No stable/unstable trees, no rmap_items, no ksmd thread: the caller
 *    names two pages of VM_MERGEABLE VMAs of one mm.
 *  - No PageKsm: the KSM page keeps the ->mapping and ->index of the
 *    page it was, so an rmap walk misses its other mappings; reclaim and
 *    migration then find it still mapped and give up (safe, not
 *    complete).  It is never AnonExclusive, so a write copies it unless
 *    it has a single reference left (wp_can_reuse_anon_folio).
 *
 * Lock order (see memory.c): mmap_lock (read) -> folio lock -> PTL ->
 * cpu_tlb.
 */
#include "core/trace.h"
#include "mm/mm.h"
#include "notifier/mmu_notifier.h"

/* the page mapped at @addr of @vma, with a reference, or NULL */
static struct page *ksm_follow_page(struct vm_area_struct *vma,
				    unsigned long addr)
{
	pmd_t *pmd = mm_find_pmd(vma->vm_mm, addr);
	struct page *page = NULL;
	spinlock_t *ptl;
	pte_t *pte, ptent;

	if (!pmd)
		return NULL;
	pte = pte_offset_map_lock(vma->vm_mm, pmd, addr, &ptl);
	if (!pte)
		return NULL;
	ptent = ptep_get(pte);
	if (pte_present(ptent) && !pte_special(ptent)) {
		page = vm_normal_page(vma, addr, ptent);
		if (page && (!PageAnon(page) || PageCompound(page) ||
			     !get_page_unless_zero(page)))
			page = NULL;
	}
	pte_unmap_unlock(pte, ptl);
	return page;
}

/*
 * write_protect_page - make the PTE mapping @page at @addr read-only and
 * clean, flushed from every TLB, unless a reference besides the mappings
 * and ours exists (a GUP pin could write it behind our back).  *orig_pte
 * gets the PTE as it now is.  Returns 0 or -EFAULT.
 *
 * As in Linux the PTE is cleared and flushed not only when it is writable
 * or dirty but also when the page is still AnonExclusive (sharing it
 * needs the PTE cleared and flushed first: folio_try_share_anon_rmap_pte)
 * or when a flush of the mm is pending (mprotect or another gather may
 * have made the PTE read-only and clean while a CPU still holds the old
 * writable entry).  A read-only, clean, shared PTE with no flush pending
 * is left alone.  The notifier event is MMU_NOTIFY_CLEAR, as Linux's.
 */
static int write_protect_page(struct vm_area_struct *vma, struct page *page,
			      unsigned long addr, pte_t *orig_pte)
{
	struct mm_struct *mm = vma->vm_mm;
	struct folio *folio = page_folio(page);
	pmd_t *pmd = mm_find_pmd(mm, addr);
	struct mmu_notifier_range range;
	spinlock_t *ptl;
	pte_t *ptep, entry;
	int err = -EFAULT;

	if (!pmd)
		return err;
	mmu_notifier_range_init(&range, MMU_NOTIFY_CLEAR, 0, mm, addr,
				addr + PAGE_SIZE);
	mmu_notifier_invalidate_range_start(mm->notifier_subscriptions, &range);
	ptep = pte_offset_map_lock(mm, pmd, addr, &ptl);
	if (!ptep)
		goto out;
	entry = ptep_get(ptep);
	if (!pte_present(entry) || pte_pfn(entry) != page_to_pfn(page))
		goto out_unlock;
	if (pte_write(entry) || pte_dirty(entry) || PageAnonExclusive(page) ||
	    mm_tlb_flush_pending(mm)) {
		/* no CPU may keep writing through a stale entry from here */
		entry = ptep_clear_flush(vma, addr, ptep);
		if (folio_mapcount(folio) + 1 + folio_test_swapcache(folio) !=
		    folio_ref_count(folio)) {
			set_pte_at(mm, addr, ptep, entry);
			goto out_unlock;
		}
		if (pte_dirty(entry))
			folio_set_dirty(folio);
		/* the page is shared from now on (folio_try_share_anon_rmap) */
		ClearPageAnonExclusive(page);
		entry = pte_mkclean(pte_wrprotect(entry));
		set_pte_at(mm, addr, ptep, entry);
	}
	*orig_pte = entry;
	err = 0;
out_unlock:
	pte_unmap_unlock(ptep, ptl);
out:
	mmu_notifier_invalidate_range_end(mm->notifier_subscriptions, &range);
	return err;
}

/*
 * replace_page - map @kpage at @addr instead of @page, if the PTE is
 * still @orig_pte.  The old PTE is cleared and flushed before the new one
 * is set.  Returns 0 or -EFAULT.
 */
static int replace_page(struct vm_area_struct *vma, struct page *page,
			struct page *kpage, unsigned long addr, pte_t orig_pte)
{
	struct mm_struct *mm = vma->vm_mm;
	pmd_t *pmd = mm_find_pmd(mm, addr);
	struct mmu_notifier_range range;
	spinlock_t *ptl;
	pte_t *ptep, newpte;
	int err = -EFAULT;

	if (!pmd)
		return -EFAULT;
	mmu_notifier_range_init(&range, MMU_NOTIFY_CLEAR, 0, mm, addr,
				addr + PAGE_SIZE);
	mmu_notifier_invalidate_range_start(mm->notifier_subscriptions, &range);
	ptep = pte_offset_map_lock(mm, pmd, addr, &ptl);
	if (!ptep)
		goto out;
	if (!pte_same(ptep_get(ptep), orig_pte)) {
		pte_unmap_unlock(ptep, ptl);
		goto out;
	}
	get_page(kpage);
	folio_add_anon_rmap_pte(page_folio(kpage), kpage, vma);
	newpte = pte_wrprotect(
		pte_mkold(pfn_pte(page_to_pfn(kpage), vma->vm_page_prot)));
	ptep_clear_flush(vma, addr, ptep);
	set_pte_at(mm, addr, ptep, newpte);
	folio_remove_rmap_pte(page_folio(page), page, vma);
	pte_unmap_unlock(ptep, ptl);
	put_page(page); /* the old mapping's reference */
	err = 0;
out:
	mmu_notifier_invalidate_range_end(mm->notifier_subscriptions, &range);
	return err;
}

/**
 * ksm_merge_pair - merge the pages at @addr1 and @addr2 of @mm if they
 * are identical (try_to_merge_two_pages)
 * @mm: the address space
 * @addr1: the page that becomes the KSM page
 * @addr2: the page replaced by it
 *
 * Both must lie in VM_MERGEABLE VMAs.  Returns 0 if merged, -EAGAIN if
 * not now (different content, busy, changed meanwhile), -EINVAL.
 */
int ksm_merge_pair(struct mm_struct *mm, unsigned long addr1,
		   unsigned long addr2)
{
	struct vm_area_struct *vma1, *vma2;
	struct page *page1 = NULL, *page2 = NULL;
	pte_t orig1, orig2;
	int ret = -EAGAIN;

	mmap_read_lock(mm);
	vma1 = vma_lookup(mm, addr1);
	vma2 = vma_lookup(mm, addr2);
	if (!vma1 || !vma2 || !(vma1->vm_flags & VM_MERGEABLE) ||
	    !(vma2->vm_flags & VM_MERGEABLE) || !vma_is_anonymous(vma1) ||
	    !vma_is_anonymous(vma2)) {
		ret = -EINVAL;
		goto out;
	}
	page1 = ksm_follow_page(vma1, addr1 & PAGE_MASK);
	page2 = ksm_follow_page(vma2, addr2 & PAGE_MASK);
	if (!page1 || !page2 || page1 == page2)
		goto out;

	/* try_to_merge_with_ksm_page(page1, NULL): page1 becomes KSM */
	if (!folio_trylock(page_folio(page1)))
		goto out;
	if (write_protect_page(vma1, page1, addr1 & PAGE_MASK, &orig1)) {
		unlock_page(page1);
		goto out;
	}
	unlock_page(page1);

	/* try_to_merge_with_ksm_page(page2, page1) */
	if (!folio_trylock(page_folio(page2)))
		goto out;
	if (!write_protect_page(vma2, page2, addr2 & PAGE_MASK, &orig2) &&
	    !memcmp_pages(page1, page2))
		ret = replace_page(vma2, page2, page1, addr2 & PAGE_MASK,
				   orig2) ?
			      -EAGAIN :
			      0;
	if (!ret)
		trace_eventf(mm->mmw->w,
			     "ksm: va %#lx now maps pfn %#lx of va %#lx", addr2,
			     page_to_pfn(page1), addr1);
	unlock_page(page2);
out:
	mmap_read_unlock(mm);
	if (page1)
		put_page(page1);
	if (page2)
		put_page(page2);
	return ret;
}
