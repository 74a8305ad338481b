// SPDX-License-Identifier: MIT
/*
 * An in-model swap device and swap cache, enough for reclaim to page
 * anonymous memory out and for do_swap_page() to bring it back.
 *
 * Models the parts of mm/swapfile.c (swap_map counts: swap_duplicate,
 * swap_free; folio_alloc_swap), mm/swap_state.c (the swap cache:
 * add_to_swap, swap_cache_get_folio, delete_from_swap_cache) and
 * mm/page_io.c (swap_writepage) that reclaim needs.
 *
 * Simplifications:
 *  - One device of SWAP_SLOTS slots; entry offset i + 1 names slot i
 *    (offset 0 would make a swap PTE look like pte_none).
 *  - The "disk" copy of a slot is a frame (slot->store) the content is
 *    copied into; I/O is synchronous and never fails.
 *  - A slot's count is the number of swap PTEs naming it; the swap cache
 *    is a pointer with a reference (no SWAP_HAS_CACHE count bit).  The
 *    slot is free when both are gone.
 *  - swap-in without a swap-cache hit makes a private copy and does not
 *    add it to the swap cache (do_swap_page's SWP_SYNCHRONOUS_IO path).
 *  - The folio's swap entry lives in folio->private (folio->swap).
 *
 * Lock order (see memory.c): swap_info's lock is taken under the folio
 * lock and the PTE lock, and only zone->lock (freeing the store frame is
 * done after dropping it anyway) nests inside it.
 */
#include "mm/mm.h"

static struct swap_slot *swap_slot(struct mm_world *mmw, swp_entry_t entry)
{
	unsigned long off = swp_offset(entry);

	if (swp_type(entry) != 0 || off == 0 || off > SWAP_SLOTS)
		return NULL;
	return &mmw->swap.slots[off - 1];
}

static bool slot_free(const struct swap_slot *s)
{
	return !s->count && !s->cache && !s->store;
}

/**
 * folio_alloc_swap - give @folio a swap slot and put it in the swap cache
 * @mmw: the world's mm state
 * @folio: an anonymous folio, locked, not in the swap cache yet
 *
 * The swap cache takes a reference.  Returns the entry, or a zero entry
 * if the device is full.
 */
swp_entry_t folio_alloc_swap(struct mm_world *mmw, struct folio *folio)
{
	swp_entry_t entry = { 0 };
	int i;

	spin_lock(&mmw->swap.lock);
	for (i = 0; i < SWAP_SLOTS; i++) {
		struct swap_slot *s = &mmw->swap.slots[i];

		if (!slot_free(s))
			continue;
		s->cache = folio;
		folio_get(folio);
		entry = swp_entry(0, i + 1);
		folio->private = entry.val;
		folio_set_swapcache(folio);
		break;
	}
	spin_unlock(&mmw->swap.lock);
	return entry;
}

/* one more swap PTE names @entry (try_to_unmap_one, fork) */
void swap_duplicate(struct mm_world *mmw, swp_entry_t entry)
{
	struct swap_slot *s = swap_slot(mmw, entry);

	if (!s)
		return;
	spin_lock(&mmw->swap.lock);
	s->count++;
	spin_unlock(&mmw->swap.lock);
}

static void __delete_from_swap_cache(struct mm_world *mmw, struct folio *folio,
				     struct page **store);

/*
 * swap_free - a swap PTE naming @entry went away (zap, swap-in).  The
 * slot's store is freed with its last user; a folio left alone in the
 * swap cache is dropped from it if its lock can be had now
 * (free_swap_and_cache; otherwise whoever holds the lock does it).
 * Returns the PTEs left.
 */
int swap_free(struct mm_world *mmw, swp_entry_t entry)
{
	struct swap_slot *s = swap_slot(mmw, entry);
	struct page *store = NULL;
	struct folio *cache = NULL;
	int left;

	if (!s)
		return 0;
	spin_lock(&mmw->swap.lock);
	left = --s->count;
	if (!left && !s->cache) {
		store = s->store;
		s->store = NULL;
	} else if (!left) {
		cache = s->cache;
		folio_get(cache);
	}
	spin_unlock(&mmw->swap.lock);
	if (store)
		put_page(store);
	if (cache && folio_trylock(cache)) {
		bool del = false;

		spin_lock(&mmw->swap.lock);
		if (!s->count && s->cache == cache) {
			__delete_from_swap_cache(mmw, cache, &store);
			del = true;
		}
		spin_unlock(&mmw->swap.lock);
		folio_unlock(cache);
		if (store)
			put_page(store);
		if (del)
			folio_put(cache); /* the swap cache's reference */
	}
	if (cache)
		folio_put(cache);
	return left;
}

/* the swap-cache folio of @entry with a reference, or NULL */
struct folio *swap_cache_get_folio(struct mm_world *mmw, swp_entry_t entry)
{
	struct swap_slot *s = swap_slot(mmw, entry);
	struct folio *folio = NULL;

	if (!s)
		return NULL;
	spin_lock(&mmw->swap.lock);
	folio = s->cache;
	if (folio)
		folio_get(folio);
	spin_unlock(&mmw->swap.lock);
	return folio;
}

/* read the slot's stored content into @page (swap_read_folio) */
int swap_read_store(struct mm_world *mmw, swp_entry_t entry, struct page *page)
{
	struct swap_slot *s = swap_slot(mmw, entry);
	struct page *store;

	if (!s)
		return -EINVAL;
	spin_lock(&mmw->swap.lock);
	store = s->store;
	spin_unlock(&mmw->swap.lock);
	if (!store)
		return -EIO;
	/* the store cannot go: our swap PTE still names the slot */
	copy_highpage(page, store);
	return 0;
}

/*
 * swap_writepage - write @folio (locked, in the swap cache, unmapped,
 * its TLB entries flushed) to its slot.
 */
void swap_writepage(struct mm_world *mmw, struct folio *folio)
{
	swp_entry_t entry = { folio->private };
	struct swap_slot *s = swap_slot(mmw, entry);
	struct page *store;

	spin_lock(&mmw->swap.lock);
	store = s->store;
	spin_unlock(&mmw->swap.lock);
	if (!store) {
		store = alloc_page(mmw->pm, GFP_HIGHUSER_MOVABLE);
		if (!store)
			return; /* stays dirty: reclaim keeps the folio */
		spin_lock(&mmw->swap.lock);
		s->store = store;
		spin_unlock(&mmw->swap.lock);
	}
	copy_highpage(store, &folio->page);
	folio_clear_dirty(folio);
}

static void __delete_from_swap_cache(struct mm_world *mmw, struct folio *folio,
				     struct page **store)
{
	swp_entry_t entry = { folio->private };
	struct swap_slot *s = swap_slot(mmw, entry);

	s->cache = NULL;
	folio->private = 0;
	folio_clear_swapcache(folio);
	if (!s->count) {
		*store = s->store;
		s->store = NULL;
	}
}

/**
 * swap_remove_mapping - take a written-out @folio out of the swap cache
 * if nobody else holds it (__remove_mapping)
 * @mmw: the world's mm state
 * @folio: locked, clean, in the swap cache
 * @expected_refs: the caller's references plus the swap cache's
 *
 * A fault that found it in the swap cache holds an extra reference taken
 * under the same lock, so it cannot be freed under that fault.  On
 * success the swap cache's reference is dropped (the caller's remain).
 */
bool swap_remove_mapping(struct mm_world *mmw, struct folio *folio,
			 int expected_refs)
{
	struct page *store = NULL;
	bool ok = false;

	spin_lock(&mmw->swap.lock);
	if (folio_ref_count(folio) == expected_refs && !folio_mapped(folio) &&
	    !folio_test_dirty(folio)) {
		__delete_from_swap_cache(mmw, folio, &store);
		ok = true;
	}
	spin_unlock(&mmw->swap.lock);
	if (store)
		put_page(store);
	if (ok)
		folio_put(folio);
	return ok;
}

/* @folio (locked) leaves the swap cache: its slot has no PTE left */
void delete_from_swap_cache(struct mm_world *mmw, struct folio *folio)
{
	struct page *store = NULL;

	spin_lock(&mmw->swap.lock);
	__delete_from_swap_cache(mmw, folio, &store);
	spin_unlock(&mmw->swap.lock);
	if (store)
		put_page(store);
	folio_put(folio);
}

/**
 * folio_free_swap - drop locked @folio from the swap cache if no swap PTE
 * names its slot any more.  Returns true if it did.
 */
bool folio_free_swap(struct mm_world *mmw, struct folio *folio)
{
	swp_entry_t entry = { folio->private };
	struct swap_slot *s;
	struct page *store = NULL;
	bool del = false;

	if (!folio_test_swapcache(folio))
		return false;
	s = swap_slot(mmw, entry);
	spin_lock(&mmw->swap.lock);
	if (s && !s->count && s->cache == folio) {
		__delete_from_swap_cache(mmw, folio, &store);
		del = true;
	}
	spin_unlock(&mmw->swap.lock);
	if (store)
		put_page(store);
	if (del)
		folio_put(folio);
	return del;
}

/* slots in use (tests) */
unsigned long nr_swap_slots_used(struct mm_world *mmw)
{
	unsigned long n = 0;
	int i;

	spin_lock(&mmw->swap.lock);
	for (i = 0; i < SWAP_SLOTS; i++)
		if (!slot_free(&mmw->swap.slots[i]))
			n++;
	spin_unlock(&mmw->swap.lock);
	return n;
}
