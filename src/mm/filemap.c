// SPDX-License-Identifier: MIT
/*
 * The page cache: looking pages up and adding them, the file fault
 * handler, word-sized reads and writes through the cache, and removing
 * pages on truncation.
 *
 * Models mm/filemap.c (filemap_get_folio, __filemap_add_folio,
 * filemap_fault with its recheck of i_size under the folio lock,
 * filemap_read/generic_perform_write reduced to one word,
 * __filemap_remove_folio) and mm/truncate.c (truncate_inode_pages_range,
 * truncate_pagecache, truncate_setsize).
 *
 * Simplifications:
 *  - Every file is memory-backed, as on tmpfs: a page that is not cached
 *    reads as zeros and is created on first use; there is no writeback,
 *    no readahead, no LRU.
 *  - The index is a two-level array (struct address_space), looked up
 *    under i_pages_lock; Linux looks up its xarray under RCU and takes a
 *    speculative reference.  The lock makes lookup and removal atomic,
 *    which is what that protocol achieves.
 *  - No mapping->invalidate_lock: faults and truncation are ordered by
 *    the folio lock and the i_size recheck, the classic protocol.
 *
 * Lock order (mm/rmap.c's, see memory.c for the whole tree):
 *   i_rwsem (truncate, write)
 *     mmap_lock (faults; not taken by truncate)
 *       folio lock
 *         i_mmap_rwsem (unmap_mapping_range)
 *           PTE lock
 *         i_pages_lock (a leaf, taken alone or under the folio lock)
 */
#include "check/oracle.h"
#include "mm/mm.h"

static unsigned long i_size_pages(struct address_space *mapping)
{
	return PAGE_ALIGN(i_size_read(mapping)) >> PAGE_SHIFT;
}

/* chunk @c of the index; read without the lock to skip holes */
static struct page **xa_chunk(struct address_space *mapping, unsigned long c)
{
	return __atomic_load_n(&mapping->xa[c], __ATOMIC_ACQUIRE);
}

/*
 * The slot of @index (i_pages_lock held).  A missing chunk is installed
 * from *@chunk_new if the caller brought one, else NULL is returned.
 */
static struct page **xa_slot(struct address_space *mapping, unsigned long index,
			     struct page ***chunk_new)
{
	unsigned long c = index / XA_CHUNK_PAGES;

	if (c >= XA_CHUNKS)
		return NULL;
	if (!mapping->xa[c]) {
		if (!chunk_new || !*chunk_new)
			return NULL;
		__atomic_store_n(&mapping->xa[c], *chunk_new, __ATOMIC_RELEASE);
		*chunk_new = NULL;
	}
	return &mapping->xa[c][index % XA_CHUNK_PAGES];
}

/**
 * filemap_get_page - the cached page at @index, with a reference
 * @mapping: the file's page cache
 * @index: page offset in the file
 *
 * NULL if no page is cached there.
 */
struct page *filemap_get_page(struct address_space *mapping,
			      unsigned long index)
{
	struct page **slot, *page = NULL;

	spin_lock(&mapping->i_pages_lock);
	slot = xa_slot(mapping, index, NULL);
	if (slot && *slot) {
		page = *slot;
		get_page(page);
	}
	spin_unlock(&mapping->i_pages_lock);
	return page;
}

/* a new zeroed page for @mapping at @index, not yet in the cache */
static struct page *filemap_alloc_page(struct address_space *mapping,
				       unsigned long index)
{
	struct page *page =
		alloc_page(mapping->mmw->pm, GFP_HIGHUSER_MOVABLE | __GFP_ZERO);

	if (!page)
		return NULL;
	page_set_state(page, PAGE_STATE_FILE);
	SetPageUptodate(page);
	if (mapping->swapbacked)
		SetPageSwapBacked(page);
	page->index = index;
	return page;
}

/**
 * filemap_grab_page - the page at @index, created zeroed if missing
 * @mapping: the file's page cache
 * @index: page offset in the file (may be past i_size: callers check)
 *
 * Returns the page with a reference for the caller (the cache holds its
 * own), or NULL when memory is out or @index is beyond MAX_FILE_PAGES.
 * Two callers racing to create it get the same page.
 */
struct page *filemap_grab_page(struct address_space *mapping,
			       unsigned long index)
{
	struct mm_world *mmw = mapping->mmw;
	struct page **chunk = NULL, **slot, *page, *new;

	page = filemap_get_page(mapping, index);
	if (page)
		return page;
	if (index >= MAX_FILE_PAGES)
		return NULL;
	new = filemap_alloc_page(mapping, index);
	if (!new)
		return NULL;
	if (!xa_chunk(mapping, index / XA_CHUNK_PAGES))
		chunk = kmem_cache_zalloc(mmw, &mmw->xa_node_cachep);

	spin_lock(&mapping->i_pages_lock);
	slot = xa_slot(mapping, index, &chunk);
	page = *slot;
	if (!page) {
		new->mapping = mapping;
		*slot = new; /* the allocation's reference: the cache's */
		mapping->nrpages++;
		page = new;
		new = NULL;
	}
	get_page(page);
	spin_unlock(&mapping->i_pages_lock);

	if (chunk)
		kmem_cache_free(mmw, &mmw->xa_node_cachep, chunk);
	if (new) {
		page_set_state(new, PAGE_STATE_KERNEL);
		put_page(new);
	}
	return page;
}

/* __filemap_remove_folio(): out of the cache; folio locked */
static void filemap_remove_page(struct address_space *mapping,
				struct page *page)
{
	struct page **slot;

	spin_lock(&mapping->i_pages_lock);
	slot = xa_slot(mapping, page->index, NULL);
	if (slot && *slot == page) {
		*slot = NULL;
		mapping->nrpages--;
	}
	spin_unlock(&mapping->i_pages_lock);
	ClearPageDirty(page);
	page->mapping = NULL;
	put_page(page); /* the cache's reference */
}

/**
 * filemap_fault - the ->fault of file mappings
 * @vmf: the fault; vmf->pgoff is the page offset in the file
 *
 * Finds or creates the page, locks it, and rechecks under the lock that
 * truncation did not take it away or shrink the file past it.  Returns
 * VM_FAULT_LOCKED with vmf->page locked and referenced, or
 * VM_FAULT_SIGBUS beyond the end of the file, or VM_FAULT_OOM.
 */
vm_fault_t filemap_fault(struct vm_fault *vmf)
{
	struct address_space *mapping = vmf->vma->vm_file->f_mapping;
	unsigned long index = vmf->pgoff;
	struct page *page;

	for (;;) {
		if (index >= i_size_pages(mapping))
			return VM_FAULT_SIGBUS;
		page = filemap_grab_page(mapping, index);
		if (!page)
			return VM_FAULT_OOM;
		lock_page(page);
		if (page->mapping == mapping)
			break;
		/* truncated while we waited for the lock: look again */
		unlock_page(page);
		put_page(page);
	}
	if (index >= i_size_pages(mapping)) {
		unlock_page(page);
		put_page(page);
		return VM_FAULT_SIGBUS;
	}
	vmf->page = page;
	return VM_FAULT_LOCKED;
}

/**
 * filemap_write_word - write(2) of one aligned word at @pos
 * @file: the file
 * @pos: byte offset, 8-byte aligned
 * @val: the value
 *
 * Extends the file if @pos is past its end.  Returns 0, -EINVAL
 * (misaligned), -EFBIG (beyond the largest file) or -ENOMEM.
 */
int filemap_write_word(struct file *file, unsigned long pos, uint64_t val)
{
	struct address_space *mapping = file->f_mapping;
	struct page *page;
	int ret = 0;

	if (pos & 7)
		return -EINVAL;
	if (pos >> PAGE_SHIFT >= MAX_FILE_PAGES)
		return -EFBIG;
	down_write(&mapping->i_rwsem);
	page = filemap_grab_page(mapping, pos >> PAGE_SHIFT);
	if (!page) {
		ret = -ENOMEM;
		goto out;
	}
	lock_page(page);
	phys_write(mapping->mmw->pm, page_to_pfn(page), pos & ~PAGE_MASK, val);
	oracle_file_write(mapping, pos, val);
	SetPageDirty(page);
	unlock_page(page);
	put_page(page);
	if (pos + 8 > i_size_read(mapping))
		i_size_write(mapping, pos + 8);
out:
	up_write(&mapping->i_rwsem);
	return ret;
}

/**
 * filemap_read_word - read(2) of one aligned word at @pos
 * @file: the file
 * @pos: byte offset, 8-byte aligned
 * @val: the value (0 in a hole)
 *
 * Returns 8 (bytes read), 0 at or past the end of the file, or -EINVAL.
 */
int filemap_read_word(struct file *file, unsigned long pos, uint64_t *val)
{
	struct address_space *mapping = file->f_mapping;
	struct page *page;

	if (pos & 7)
		return -EINVAL;
	*val = 0;
	if (pos + 8 > i_size_read(mapping))
		return 0;
	page = filemap_get_page(mapping, pos >> PAGE_SHIFT);
	if (page) {
		phys_read(mapping->mmw->pm, page_to_pfn(page), pos & ~PAGE_MASK,
			  val);
		put_page(page);
	}
	oracle_file_read(mapping, pos, *val, 8);
	return 8;
}

/*
 * The first cached page at or after *@index within *@index's chunk, with a
 * reference; *@index moves to it, or to the chunk's last index if there is
 * none.  Like Linux's xas_find() walk in find_get_entry() it skips holes
 * in one pass (one i_pages_lock section here, an RCU walk there), so an
 * empty stretch of the file costs no schedule points.
 */
static struct page *find_get_entry(struct address_space *mapping,
				   unsigned long *index)
{
	unsigned long i, end = (*index | (XA_CHUNK_PAGES - 1)) + 1;
	struct page **slot, *page = NULL;

	spin_lock(&mapping->i_pages_lock);
	for (i = *index; i < end; i++) {
		slot = xa_slot(mapping, i, NULL);
		if (slot && *slot) {
			page = *slot;
			get_page(page);
			break;
		}
	}
	spin_unlock(&mapping->i_pages_lock);
	*index = page ? i : end - 1;
	return page;
}

/**
 * truncate_inode_pages - drop the cached pages from byte @lstart on
 * @mapping: the file's page cache
 * @lstart: first byte to drop; the page containing it is zeroed from
 *	there when partial
 *
 * Each page is locked; one a fault mapped again since the caller's
 * unmap_mapping_range() is unmapped here first (truncate_inode_folio).
 */
void truncate_inode_pages(struct address_space *mapping, unsigned long lstart)
{
	unsigned long index, start = PAGE_ALIGN(lstart) >> PAGE_SHIFT;
	struct phys_mem *pm = mapping->mmw->pm;
	struct page *page;
	unsigned long off;

	/* the partial page keeps its head, its tail reads zero */
	if (lstart & ~PAGE_MASK) {
		page = filemap_get_page(mapping, lstart >> PAGE_SHIFT);
		if (page) {
			lock_page(page);
			for (off = lstart & ~PAGE_MASK & ~7UL; off < PAGE_SIZE;
			     off += 8)
				phys_write(pm, page_to_pfn(page), off, 0);
			unlock_page(page);
			put_page(page);
		}
	}
	for (index = start; index < MAX_FILE_PAGES; index++) {
		if (!xa_chunk(mapping, index / XA_CHUNK_PAGES)) {
			index |= XA_CHUNK_PAGES - 1;
			continue;
		}
		page = find_get_entry(mapping, &index);
		if (!page)
			continue;
		lock_page(page);
		if (page->mapping == mapping) {
			if (page_mapcount(page) &&
			    !mapping->mmw->inject.truncate_single_unmap)
				unmap_mapping_pages(mapping, index, 1, true);
			filemap_remove_page(mapping, page);
		}
		unlock_page(page);
		put_page(page);
	}
}

/* the file goes: its index chunks go back to their cache */
void filemap_free_index(struct address_space *mapping)
{
	struct mm_world *mmw = mapping->mmw;
	int c;

	for (c = 0; c < XA_CHUNKS; c++) {
		kmem_cache_free(mmw, &mmw->xa_node_cachep, mapping->xa[c]);
		mapping->xa[c] = NULL;
	}
}

/**
 * truncate_pagecache - the page-cache half of a size change to @newsize
 * @mapping: the file's page cache; i_size already set (i_rwsem held)
 * @newsize: the new size in bytes
 *
 * Unmaps every mapping of the pages past the end (private COW copies
 * too), drops them from the cache, then unmaps again: a fault may have
 * mapped a page between the first unmap and the removal.
 */
void truncate_pagecache(struct address_space *mapping, unsigned long newsize)
{
	unsigned long holebegin = PAGE_ALIGN(newsize) >> PAGE_SHIFT;

	unmap_mapping_pages(mapping, holebegin, 0, true);
	truncate_inode_pages(mapping, newsize);
	if (!mapping->mmw->inject.truncate_single_unmap)
		unmap_mapping_pages(mapping, holebegin, 0, true);
}
