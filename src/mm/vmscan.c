// SPDX-License-Identifier: MIT
/*
 * Page reclaim of anonymous memory: a kswapd-like pass that pages folios
 * out to the in-model swap device (swapfile.c).
 *
 * Models mm/vmscan.c: shrink_folio_list (folio_referenced, add_to_swap,
 * try_to_unmap with TTU_BATCH_FLUSH, try_to_unmap_flush_dirty before
 * pageout, __remove_mapping, and the try_to_unmap_flush() that must come
 * before the batch of folios is freed) and a kswapd pass over the LRU.
 *
 * Simplifications:
 *  - No LRU lists: the "LRU" is a scan over the frames (pfn order) for
 *    mapped anonymous folios, each isolated by taking a speculative
 *    reference and the folio lock with trylocks, as isolate_lru_folios
 *    and shrink_folio_list do.  No active/inactive aging, no watermarks:
 *    the caller says how much to reclaim.
 *  - Only anonymous memory is reclaimed.  Files are tmpfs, memory-backed
 *    with no swap of their own, so their pages are never dropped.
 *  - Pageout is synchronous (no PG_writeback), always succeeds.
 *
 * Lock order (see memory.c): folio lock -> (trylock) mmap_lock of the
 * mms the rmap walk visits -> PTL -> cpu_tlb; swap_info under the folio
 * lock.  The batch of deferred flushes belongs to the reclaiming agent.
 */
#include "mm/mm.h"

#define SHRINK_BATCH 16

/*
 * shrink_folio - page one isolated, locked folio out.  Returns true if
 * it can be freed (the caller drops its reference after the final TLB
 * flush), false to put it back.
 */
static bool shrink_folio(struct mm_world *mmw, struct folio *folio,
			 struct scan_control *sc)
{
	swp_entry_t entry;

	if (!sc->ignore_references && folio_referenced(folio))
		return false; /* folio_check_references(): keep it active */
	/*
	 * A DMA-pinned page stays (VFIO, FOLL_LONGTERM): Linux's
	 * try_to_unmap_one() fails folio_try_share_anon_rmap_pte() on a
	 * maybe-pinned exclusive anon page and keeps it mapped.
	 */
	if (folio_maybe_dma_pinned(folio))
		return false;
	if (!folio_test_swapcache(folio)) {
		entry = folio_alloc_swap(mmw, folio);
		if (!entry.val)
			return false;
		folio_set_dirty(folio); /* add_to_swap() dirties it */
	}
	if (folio_mapped(folio) &&
	    !try_to_unmap(folio, TTU_BATCH_FLUSH, sc->tlb_ubc))
		return false;
	if (folio_test_dirty(folio)) {
		/* no CPU may write the page while it is copied out */
		try_to_unmap_flush_dirty(mmw, sc->tlb_ubc);
		swap_writepage(mmw, folio);
		if (folio_test_dirty(folio))
			return false;
	}
	/* our isolation reference plus the swap cache's */
	return swap_remove_mapping(mmw, folio, 2);
}

/**
 * shrink_folio_list - try to reclaim @nr isolated folios
 * @mmw: the world's mm state
 * @folios: the folios, each with a reference the caller gives up
 * @nr: how many
 * @sc: the pass
 *
 * Returns the number freed.  Freed folios are released only after
 * try_to_unmap_flush(): until then another CPU may still hold a stale
 * TLB entry to them.
 */
unsigned long shrink_folio_list(struct mm_world *mmw, struct folio **folios,
				int nr, struct scan_control *sc)
{
	struct folio *free[SHRINK_BATCH];
	unsigned long nr_free = 0;
	int i;

	for (i = 0; i < nr; i++) {
		struct folio *folio = folios[i];

		sc->nr_scanned++;
		if (!folio_trylock(folio)) {
			folio_put(folio);
			continue;
		}
		if (folio_test_anon(folio) && nr_free < SHRINK_BATCH &&
		    shrink_folio(mmw, folio, sc)) {
			folio_unlock(folio);
			free[nr_free++] = folio;
			continue;
		}
		/* kept: a slot no swap PTE names is not worth keeping */
		folio_free_swap(mmw, folio);
		folio_unlock(folio);
		folio_put(folio); /* folio_putback_lru() */
	}
	try_to_unmap_flush(mmw, sc->tlb_ubc);
	for (i = 0; i < (int)nr_free; i++)
		folio_put(free[i]); /* free_unref_folios() */
	sc->nr_reclaimed += nr_free;
	return nr_free;
}

/**
 * kswapd_shrink - one pass of the background reclaimer
 * @mmw: the world's mm state
 * @sc: the pass; sc->nr_to_reclaim folios at most, sc->tlb_ubc the
 *	agent's own batch
 *
 * Isolates mapped anonymous folios in frame order (the LRU stand-in,
 * reading frame state without schedule points: no lock guards it), then
 * reclaims them.  Returns the number freed.
 */
unsigned long kswapd_shrink(struct mm_world *mmw, struct scan_control *sc)
{
	struct phys_mem *pm = mmw->pm;
	struct folio *batch[SHRINK_BATCH];
	unsigned long pfn;
	int nr = 0;

	for (pfn = 0; pfn < pm->nr_frames; pfn++) {
		struct page *page = pfn_to_page(pm, pfn);
		struct folio *folio;

		if (nr == SHRINK_BATCH ||
		    sc->nr_reclaimed + nr >= sc->nr_to_reclaim)
			break;
		if (PageTail(page) || !PageAnon(page) || !page_mapcount(page))
			continue;
		folio = page_folio(page);
		if (!folio_try_get(folio))
			continue;
		/* recheck now that it cannot be freed under us */
		if (!folio_test_anon(folio) || folio_test_large(folio) ||
		    !folio_mapped(folio)) {
			folio_put(folio);
			continue;
		}
		batch[nr++] = folio;
	}
	return shrink_folio_list(mmw, batch, nr, sc);
}
