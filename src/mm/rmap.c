// SPDX-License-Identifier: MIT
/*
 * Reverse-mapping bookkeeping of anonymous and file pages: the anon_vma a
 * VMA's anonymous pages belong to, and the mapcount of each page.
 *
 * Models the accounting half of mm/rmap.c: anon_vma_prepare,
 * anon_vma_fork, unlink_anon_vmas, folio_add_new_anon_rmap,
 * folio_try_dup_anon_rmap_pte (with PageAnonExclusive and the pinned
 * case), folio_remove_rmap_pte.
 *
 * Simplifications: an anon_vma is a refcounted tag with a parent link; no
 * anon_vma_chain and no interval tree, so there is no rmap walk yet
 * (try_to_unmap, folio_referenced come with reclaim and migration).  A
 * page's ->mapping points to its anon_vma; nothing reads it back yet.
 *
 * Lock order (see memory.c): mmap_lock -> page_table_lock (installing
 * vma->anon_vma, as __anon_vma_prepare does); the mapcount updates are
 * atomic and done under the PTE lock of the PTE they account for.
 */
#include "mm/mm.h"

static struct anon_vma *anon_vma_alloc(struct mm_world *mmw)
{
	struct anon_vma *av = kmem_cache_zalloc(mmw, &mmw->anon_vma_cachep);

	av->root = av;
	av->refcount.counter = 1;
	return av;
}

static void get_anon_vma(struct anon_vma *av)
{
	atomic_inc(&av->refcount);
}

static void put_anon_vma(struct mm_world *mmw, struct anon_vma *av)
{
	while (av && atomic_dec_and_test(&av->refcount)) {
		struct anon_vma *parent = av->parent;

		kmem_cache_free(mmw, &mmw->anon_vma_cachep, av);
		av = parent;
	}
}

static struct anon_vma *vma_anon_vma(struct vm_area_struct *vma)
{
	return __atomic_load_n(&vma->anon_vma, __ATOMIC_ACQUIRE);
}

/**
 * anon_vma_prepare - make sure @vma has an anon_vma before its first
 * anonymous page is mapped
 * @vma: the VMA; caller holds mmap_lock (read suffices)
 *
 * Two faults may race to install one; page_table_lock decides, the loser
 * drops its own.  Returns 0 (allocation cannot fail here).
 */
int anon_vma_prepare(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;
	struct anon_vma *av;

	if (likely(vma_anon_vma(vma)))
		return 0;
	av = anon_vma_alloc(mm->mmw);
	spin_lock(&mm->page_table_lock);
	if (!vma->anon_vma) {
		__atomic_store_n(&vma->anon_vma, av, __ATOMIC_RELEASE);
		av = NULL;
	}
	spin_unlock(&mm->page_table_lock);
	if (av)
		put_anon_vma(mm->mmw, av);
	return 0;
}

/* a VMA split or duplicated within one mm shares its anon_vma */
void anon_vma_clone(struct vm_area_struct *dst, struct vm_area_struct *src)
{
	dst->anon_vma = src->anon_vma;
	if (dst->anon_vma)
		get_anon_vma(dst->anon_vma);
}

/**
 * anon_vma_fork - the child's VMA gets its own anon_vma under the parent's
 * @vma: the child's VMA (a copy of @pvma)
 * @pvma: the parent's VMA
 */
int anon_vma_fork(struct vm_area_struct *vma, struct vm_area_struct *pvma)
{
	struct anon_vma *av;

	vma->anon_vma = NULL;
	if (!pvma->anon_vma)
		return 0;
	av = anon_vma_alloc(vma->vm_mm->mmw);
	av->root = pvma->anon_vma->root;
	av->parent = pvma->anon_vma;
	get_anon_vma(av->parent);
	vma->anon_vma = av;
	return 0;
}

void unlink_anon_vmas(struct vm_area_struct *vma)
{
	struct anon_vma *av = vma->anon_vma;

	vma->anon_vma = NULL;
	put_anon_vma(vma->vm_mm->mmw, av);
}

/**
 * folio_add_new_anon_rmap - a freshly allocated page becomes anonymous
 * memory of @vma, mapped once, exclusively
 * @folio: the new folio (one reference, held by the mapping from now)
 * @vma: the VMA, with an anon_vma
 * @address: where it is mapped
 */
void folio_add_new_anon_rmap(struct folio *folio, struct vm_area_struct *vma,
			     unsigned long address)
{
	folio_set_state(folio, PAGE_STATE_ANON);
	folio->mapping = (struct address_space *)vma->anon_vma;
	folio->index = linear_page_index(vma, address);
	SetPageAnonExclusive(&folio->page);
	page_mapcount_inc(&folio->page);
}

void folio_add_anon_rmap_pte(struct folio *folio, struct page *page,
			     struct vm_area_struct *vma)
{
	page_mapcount_inc(page);
}

void folio_remove_rmap_pte(struct folio *folio, struct page *page,
			   struct vm_area_struct *vma)
{
	page_mapcount_dec(page);
}

/**
 * folio_try_dup_anon_rmap_pte - fork: the child maps the page too
 * @folio: the page's folio
 * @page: the page
 * @dst_vma: the child's VMA
 * @src_vma: the parent's VMA
 *
 * The page stops being exclusive to the parent.  Returns -EBUSY, with
 * nothing changed, if the page is exclusive and may be DMA-pinned: then
 * the child must get a copy (a pinned page must stay the parent's).
 */
int folio_try_dup_anon_rmap_pte(struct folio *folio, struct page *page,
				struct vm_area_struct *dst_vma,
				struct vm_area_struct *src_vma)
{
	if (PageAnonExclusive(page)) {
		if (folio_maybe_dma_pinned(folio))
			return -EBUSY;
		ClearPageAnonExclusive(page);
	}
	page_mapcount_inc(page);
	return 0;
}
