// SPDX-License-Identifier: MIT
/*
 * The frame allocator and the world's physical memory.
 *
 * Models mm/page_alloc.c: rmqueue() taking a block off a free list,
 * prep_new_page(), free_pages_prepare() with its bad_page() checks, and
 * __free_one_page() putting the block back; plus mm/huge_memory.c's split
 * of a large folio into order-0 pages, reduced to the struct page part.
 *
 * Simplifications (see page.h for the full list): one zone, orders 0 and
 * PMD_ORDER only, no coalescing, no per-cpu lists, no reclaim or
 * compaction inside the allocator (only a wait for RCU-freed page tables,
 * real engine: __alloc_pages_slowpath()).  Free lists are LIFO, so the frame
 * freed last is handed out first.  Never-used frames are not on any list:
 * they are the range [fresh_huge, fresh_small), taken 2 MiB blocks from
 * the bottom and single frames from the top, so only the touched ends of
 * the struct page array need zeroing on reset.
 *
 * A bad page (double free, freeing a mapped or pinned page, a frame whose
 * counters are wrong) is reported as "bad-page" and the run goes on.  A
 * put on a free page changes nothing; a folio whose last reference goes
 * while it is still mapped, pinned or flagged is freed anyway (Linux
 * leaks it) so the accounting stays whole; the report is what matters.
 *
 * Locking: zone->lock guards the free lists and the fresh range, and
 * serialises the updates of nr_allocated (read without it, atomically);
 * it is a leaf.  Preparing a frame for use or for freeing happens outside
 * it, on frames nobody else may touch (refcount 0 on the way out, not yet
 * handed out on the way in).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cache.h"
#include "page.h"

static const char *const page_state_names[NR_PAGE_STATES] = {
	[PAGE_STATE_FREE] = "free",	    [PAGE_STATE_KERNEL] = "kernel",
	[PAGE_STATE_ANON] = "anon",	    [PAGE_STATE_FILE] = "file",
	[PAGE_STATE_PGTABLE] = "pgtable",   [PAGE_STATE_DEVICE] = "device",
	[PAGE_STATE_RESERVED] = "reserved",
};

const char *page_state_name(enum page_state s)
{
	return (unsigned)s < NR_PAGE_STATES ? page_state_names[s] : "?";
}

static int free_area_index(unsigned int order)
{
	return order == 0 ? 0 : 1;
}

/* dump_page()-like description, appended to @sb */
static void describe_page(struct strbuf *sb, const struct page *page)
{
	const struct folio *folio = page_folio(page);

	sb_printf(
		sb,
		"page: pfn:%#lx refcount:%d mapcount:%d pincount:%d mapping:%p index:%#lx\n",
		page_to_pfn(page), folio_ref_count(folio), page_mapcount(page),
		folio_pincount(folio), (void *)folio->mapping, folio->index);
	sb_printf(sb, "state:%s order:%u flags:%#lx generation:%lu%s\n",
		  page_state_name(folio_state(folio)), folio_order(folio),
		  __atomic_load_n(&page->flags, __ATOMIC_RELAXED) &
			  ((1UL << NR_PAGEFLAGS) - 1),
		  page_generation(page), PageTail(page) ? " (tail page)" : "");
}

/**
 * bad_page - report a page whose state breaks the rules
 * @page: the page
 * @reason: what is wrong, as Linux's "page dumped because:"
 *
 * Adds a "bad-page" report to the page's world.  Never crashes.
 */
void bad_page(const struct page *page, const char *reason)
{
	struct phys_mem *pm = page_phys_mem(page);
	struct strbuf sb = { 0 };

	sb_printf(&sb, "BUG: Bad page state: %s\n",
		  current ? current->name : "(no agent)");
	describe_page(&sb, page);
	sb_printf(&sb, "page dumped because: %s\n", reason);
	report_add(pm->w, "bad-page", "%s", sb.buf);
	sb_free(&sb);
}

/* ------------------------------------------------------------------ */
/* phys_mem lifetime                                                   */

static void zone_init(struct phys_mem *pm)
{
	struct zone *zone = &pm->zone;
	int i;

	spin_lock_init(pm->w, &zone->lock, "zone->lock");
	for (i = 0; i < NR_FREE_AREAS; i++)
		page_list_init(&zone->free_area[i].free_list);
	zone->fresh_huge = 0;
	zone->fresh_small = pm->nr_frames;
	zone->nr_allocated = 0;
}

static void phys_wait_table_init(struct phys_mem *pm)
{
	int i;

	for (i = 0; i < PAGE_WAIT_TABLE_SIZE; i++)
		init_waitqueue_head(pm->w, &pm->folio_wait_table[i]);
}

/*
 * An aligned mapping of @need bytes at one of a few aligned hints: this
 * costs only @need of address space, where the fallback below reserves
 * @need + PHYS_MAP_ALIGN and fails under a tight RLIMIT_AS (ulimit -v).
 */
static uintptr_t phys_map_at_hint(size_t need)
{
	uintptr_t hint = (uintptr_t)1 << 44; /* far above heap and libraries */
	void *r;
	int i;

#ifdef __SANITIZE_THREAD__
	/* ThreadSanitizer aborts on a mapping outside its application ranges */
	return 0;
#endif

	for (i = 0; i < 64; i++, hint += 64 * PHYS_MAP_ALIGN) {
		r = mmap((void *)hint, need, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
				 MAP_FIXED_NOREPLACE,
			 -1, 0);
		if (r == MAP_FAILED)
			continue;
		if ((uintptr_t)r == hint)
			return hint;
		munmap(r, need); /* a kernel without MAP_FIXED_NOREPLACE */
		break;
	}
	return 0;
}

/* Map the struct page array in a PHYS_MAP_ALIGN-aligned region. */
static int phys_map_pages(struct phys_mem *pm)
{
	size_t need =
		ALIGN_UP(PHYS_MAP_HEADER + pm->nr_frames * sizeof(struct page),
			 (size_t)4096);
	size_t reserve = need + PHYS_MAP_ALIGN;
	uintptr_t p, base, end;
	void *r;

	base = phys_map_at_hint(need);
	if (base)
		goto mapped;
	/* PROT_NONE reservation costs no commit charge; trim, then open */
	r = mmap(NULL, reserve, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return -ENOMEM;
	p = (uintptr_t)r;
	base = ALIGN_UP(p, (uintptr_t)PHYS_MAP_ALIGN);
	end = p + reserve;
	if (base > p)
		munmap(r, base - p);
	if (end > base + need)
		munmap((void *)(base + need), end - (base + need));
	if (mprotect((void *)base, need, PROT_READ | PROT_WRITE)) {
		munmap((void *)base, need);
		return -ENOMEM;
	}
mapped:
	pm->map = (void *)base;
	pm->map_size = need;
	*(struct phys_mem **)base = pm;
	pm->pages = (struct page *)(base + PHYS_MAP_HEADER);
	return 0;
}

/**
 * phys_mem_create - build a world's physical memory
 * @w: the world
 * @nr_frames: number of 4 KiB frames, 1 .. PHYS_MAX_FRAMES
 *
 * The struct page array is reserved, not touched: creation is quick and
 * costs no RSS whatever @nr_frames is.  Returns NULL on bad arguments or
 * when the address space cannot be reserved.
 */
struct phys_mem *phys_mem_create(struct world *w, unsigned long nr_frames)
{
	struct phys_mem *pm;
	int i;

	if (!nr_frames || nr_frames > PHYS_MAX_FRAMES)
		return NULL;
	pm = calloc(1, sizeof(*pm));
	if (!pm)
		return NULL;
	pm->w = w;
	pm->nr_frames = nr_frames;
	pm->threaded = !world_is_det(w);
	if (phys_map_pages(pm))
		goto err_free;
	pthread_mutex_init(&pm->chunk_lock, NULL);
	for (i = 0; i < PHYS_CONTENT_STRIPES; i++)
		pthread_mutex_init(&pm->stripes[i].lock, NULL);
	__phys_content_init(pm);
	zone_init(pm);
	phys_wait_table_init(pm);
	return pm;

err_free:
	free(pm);
	return NULL;
}

/* Zero pages[from, to): memset the edges, drop whole pages in between. */
static void zero_page_range(struct phys_mem *pm, unsigned long from,
			    unsigned long to)
{
	uintptr_t s = (uintptr_t)(pm->pages + from);
	uintptr_t e = (uintptr_t)(pm->pages + to);
	uintptr_t as = ALIGN_UP(s, (uintptr_t)4096), ae = e & ~4095UL;

	if (to <= from)
		return;
	if (e - s < (2UL << 20) || ae <= as ||
	    madvise((void *)as, ae - as, MADV_DONTNEED)) {
		memset((void *)s, 0, e - s);
		return;
	}
	memset((void *)s, 0, as - s);
	memset((void *)ae, 0, e - ae);
}

/**
 * phys_mem_reset - make physical memory as phys_mem_create() left it
 * @pm: physical memory
 *
 * For the explorer: call after world_reset() (it re-registers zone->lock
 * with the fresh lockdep instance numbering) and before the next setup.
 * Every frame is free again with generation 0, so executions replay
 * exactly.  Costs the frames touched, not nr_frames.
 */
void phys_mem_reset(struct phys_mem *pm)
{
	struct zone *zone = &pm->zone;

	zero_page_range(pm, 0, zone->fresh_huge);
	zero_page_range(pm, zone->fresh_small, pm->nr_frames);
	cpu_cache_reset(pm);
	__phys_content_reset(pm);
	zone_init(pm);
	phys_wait_table_init(pm);
}

void phys_mem_destroy(struct phys_mem *pm)
{
	int i;

	if (!pm)
		return;
	cpu_cache_destroy(pm);
	__phys_content_destroy(pm);
	for (i = 0; i < PHYS_CONTENT_STRIPES; i++)
		pthread_mutex_destroy(&pm->stripes[i].lock);
	pthread_mutex_destroy(&pm->chunk_lock);
	munmap(pm->map, pm->map_size);
	free(pm);
}

/* ------------------------------------------------------------------ */
/* allocation                                                          */

/* Take a free block of @order; returns its first pfn or -1. */
static long rmqueue(struct phys_mem *pm, unsigned int order)
{
	struct zone *zone = &pm->zone;
	struct page_list *l =
		&zone->free_area[free_area_index(order)].free_list;
	struct page_list *huge = &zone->free_area[1].free_list;
	struct page *page;
	unsigned long pfn, i;

	lockdep_assert_held(&zone->lock);
	page = page_list_first(pm, l);
	if (page) {
		page_list_del(l, page);
		return page_to_pfn(page);
	}
	if (order == PMD_ORDER) {
		if (zone->fresh_huge + HPAGE_PMD_NR > zone->fresh_small)
			return -1;
		pfn = zone->fresh_huge;
		zone->fresh_huge += HPAGE_PMD_NR;
		return pfn;
	}
	if (zone->fresh_small > zone->fresh_huge)
		return --zone->fresh_small;
	/* split a free 2 MiB block (expand()): keep its first frame */
	page = page_list_first(pm, huge);
	if (!page)
		return -1;
	page_list_del(huge, page);
	pfn = page_to_pfn(page);
	for (i = HPAGE_PMD_NR - 1; i > 0; i--)
		page_list_add(l, pfn_to_page(pm, pfn + i));
	return pfn;
}

/* check_new_page(): a frame coming off the free list must be clean */
static void check_new_page(struct page *page)
{
	if (__atomic_load_n(&page->_refcount, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&page->_mapcount, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&page->_pincount, __ATOMIC_RELAXED) ||
	    (__atomic_load_n(&page->flags, __ATOMIC_RELAXED) & PAGE_STATE_MASK))
		bad_page(page, "nonzero counters or state on a free page");
}

/* prep_new_page(): a block of 1 << @order frames becomes a folio */
static void prep_new_page(struct page *page, unsigned int order, gfp_t gfp,
			  enum page_state state)
{
	unsigned long i, nr = 1UL << order;
	unsigned long flags = (unsigned long)state << PAGE_STATE_SHIFT;

	for (i = 0; i < nr; i++)
		check_new_page(page + i);
	for (i = 1; i < nr; i++) {
		struct page *tail = page + i;

		__atomic_store_n(&tail->compound_head, (uint32_t)i,
				 __ATOMIC_RELAXED);
		tail->_entire_mapcount = 0;
		__atomic_store_n(&tail->flags, 1UL << PG_tail,
				 __ATOMIC_RELAXED);
	}
	if (order)
		flags |= 1UL << PG_head | (unsigned long)order
						  << PAGE_ORDER_SHIFT;
	page->lru.next = page->lru.prev = PFN_NIL;
	page->mapping = NULL;
	page->index = 0;
	page->private = 0;
	__atomic_store_n(&page->flags, flags, __ATOMIC_RELAXED);
	__atomic_store_n(&page->_refcount, 1, __ATOMIC_RELEASE);
	if (gfp & __GFP_ZERO)
		for (i = 0; i < nr; i++)
			clear_highpage(page + i);
}

/**
 * alloc_pages - allocate a block of frames
 * @pm: physical memory
 * @gfp: allocation flags (__GFP_ZERO, __GFP_DIRECT_RECLAIM, ...)
 * @order: 0 or PMD_ORDER
 *
 * Returns the first page with one reference, in PAGE_STATE_KERNEL until
 * its user types it (folio_set_state()); a PMD_ORDER block is a large
 * folio.  Returns NULL when no frame is free (OOM) or for another order.
 * With __GFP_DIRECT_RECLAIM the caller must be allowed to sleep.
 */
static long rmqueue_locked(struct phys_mem *pm, unsigned int order)
{
	struct zone *zone = &pm->zone;
	long pfn;

	spin_lock(&zone->lock);
	pfn = rmqueue(pm, order);
	if (pfn >= 0)
		__atomic_add_fetch(&zone->nr_allocated, 1UL << order,
				   __ATOMIC_RELAXED);
	spin_unlock(&zone->lock);
	return pfn;
}

/*
 * The model has no reclaim inside the allocator, but it has one kind of
 * memory that is free in all but name: page-table pages handed to
 * call_rcu() (tlb_remove_table) whose grace period has not yet run.  In
 * the real engine liburcu's callback thread frees them some time later,
 * so a lone thread unmapping fast could see every frame pending and fail
 * where the kernel would have reclaimed.  A caller that may sleep waits
 * for the callbacks (rcu_barrier) and tries once more.  The det engine
 * runs callbacks between steps as soon as their grace period ends, and
 * waiting there would add schedule points, so it fails at once.
 */
static long __alloc_pages_slowpath(struct phys_mem *pm, gfp_t gfp,
				   unsigned int order)
{
	struct agent *a = current;

	if (!(gfp & __GFP_DIRECT_RECLAIM) || !a || world_is_det(a->w) ||
	    a->preempt_count || a->rcu_depth || a->in_noblock)
		return -1;
	rcu_barrier();
	return rmqueue_locked(pm, order);
}

struct page *alloc_pages(struct phys_mem *pm, gfp_t gfp, unsigned int order)
{
	long pfn;

	if (order != 0 && order != PMD_ORDER)
		return NULL;
	if (gfp & __GFP_DIRECT_RECLAIM)
		might_sleep();
	pfn = rmqueue_locked(pm, order);
	if (pfn < 0)
		pfn = __alloc_pages_slowpath(pm, gfp, order);
	if (pfn < 0)
		return NULL;
	prep_new_page(pfn_to_page(pm, pfn), order, gfp, PAGE_STATE_KERNEL);
	return pfn_to_page(pm, pfn);
}

struct folio *folio_alloc(struct phys_mem *pm, gfp_t gfp, unsigned int order)
{
	return (struct folio *)alloc_pages(pm, gfp | __GFP_COMP, order);
}

/**
 * phys_reserve_range - set aside contiguous never-freed frames
 * @pm: physical memory
 * @nr: number of frames
 * @state: PAGE_STATE_DEVICE (a BAR's MMIO frames) or PAGE_STATE_RESERVED
 *
 * Each frame gets one reference and @state; they are never freed (a put
 * to zero is a bad page) until phys_mem_reset().  Returns the first pfn,
 * -EINVAL or -ENOMEM.
 */
long phys_reserve_range(struct phys_mem *pm, unsigned long nr,
			enum page_state state)
{
	struct zone *zone = &pm->zone;
	unsigned long i;
	long pfn = -ENOMEM;

	if (!nr || (state != PAGE_STATE_DEVICE && state != PAGE_STATE_RESERVED))
		return -EINVAL;
	spin_lock(&zone->lock);
	if (zone->fresh_small - zone->fresh_huge >= nr) {
		zone->fresh_small -= nr;
		__atomic_add_fetch(&zone->nr_allocated, nr, __ATOMIC_RELAXED);
		pfn = zone->fresh_small;
	}
	spin_unlock(&zone->lock);
	if (pfn < 0)
		return pfn;
	for (i = 0; i < nr; i++)
		prep_new_page(pfn_to_page(pm, pfn + i), 0, 0, state);
	return pfn;
}

/* ------------------------------------------------------------------ */
/* freeing                                                             */

/* free_page_is_bad(): the checks Linux makes on each freed page */
static void free_page_check(struct page *page, bool head)
{
	unsigned long flags = __atomic_load_n(&page->flags, __ATOMIC_RELAXED);

	if (__atomic_load_n(&page->_mapcount, __ATOMIC_RELAXED))
		bad_page(page, "nonzero mapcount");
	else if (head && folio_entire_mapcount((struct folio *)page))
		bad_page(page, "nonzero entire_mapcount");
	else if (head && __atomic_load_n(&page->_pincount, __ATOMIC_RELAXED))
		bad_page(page, "freeing a pinned page (nonzero pincount)");
	else if (head && (flags & PAGE_FLAGS_CHECK_AT_FREE))
		bad_page(page, "PAGE_FLAGS_CHECK_AT_FREE flag(s) set");
	else if (head && page_state(page) == PAGE_STATE_FILE && page->mapping)
		bad_page(page, "non-NULL mapping (still in the page cache)");
}

/*
 * free_pages_prepare() for one frame: the frame forgets its owner.  The
 * link is left alone: a tail's compound_head stays valid until PG_tail is
 * gone, and the head's link is rewritten when it joins a free list.
 */
static void free_frame_prepare(struct page *page)
{
	unsigned long gen =
		__atomic_fetch_add(&page->generation, 1, __ATOMIC_RELEASE);

	/* memory keeps the old owner's data; the content model drops it */
	if (unlikely(__phys_cache(page_phys_mem(page))))
		cpu_cache_frame_freed(page_phys_mem(page), page_to_pfn(page),
				      gen);
	__page_content_drop(page);
	page->mapping = NULL;
	page->index = 0;
	page->private = 0;
	__atomic_store_n(&page->_mapcount, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&page->_pincount, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&page->_refcount, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&page->flags, 0UL, __ATOMIC_RELEASE);
}

/* The last reference to @folio went: give its frames back. */
void __folio_put(struct folio *folio)
{
	struct page *page = &folio->page;
	struct phys_mem *pm = page_phys_mem(page);
	struct zone *zone = &pm->zone;
	enum page_state state = folio_state(folio);
	unsigned int order = folio_order(folio);
	unsigned long i, nr = 1UL << order;

	if (state == PAGE_STATE_DEVICE || state == PAGE_STATE_RESERVED) {
		bad_page(page, "last reference to a reserved/device frame");
		__atomic_store_n(&page->_refcount, 1, __ATOMIC_RELAXED);
		return;
	}
	if (state == PAGE_STATE_FREE) {
		bad_page(page, "freeing a free page");
		return;
	}
	free_page_check(page, true);
	for (i = 1; i < nr; i++)
		free_page_check(page + i, false);
	for (i = 0; i < nr; i++)
		free_frame_prepare(page + i);

	spin_lock(&zone->lock);
	page_list_add(&zone->free_area[free_area_index(order)].free_list, page);
	__atomic_sub_fetch(&zone->nr_allocated, nr, __ATOMIC_RELAXED);
	spin_unlock(&zone->lock);
}

/**
 * __free_pages - drop a reference taken by alloc_pages()
 * @page: the first page of the block
 * @order: the order it was allocated with
 *
 * As in Linux this is a put: the block is freed when the last reference
 * goes.  A wrong order or a page already free is reported as a bad page.
 */
void __free_pages(struct page *page, unsigned int order)
{
	if (PageTail(page) || compound_order(page) != order) {
		bad_page(page, "__free_pages() with the wrong page or order");
		return;
	}
	folio_put((struct folio *)page);
}

/**
 * split_folio_to_order0 - turn a large folio into order-0 folios
 * @folio: the large folio, unmapped and unpinned (the caller has replaced
 *	its mappings, as split_huge_page() does with migration entries)
 *
 * The struct page half of __split_huge_page(): the head keeps its
 * references, each former tail gets one reference of its own (the caller
 * drops those it does not keep) and inherits the state, the mapping, an
 * index of head->index + i and the folio's dirty/uptodate/swapbacked/
 * referenced bits.  Content and generations are unchanged: no frame is
 * freed.  Returns 0, or -EBUSY if the folio is mapped or pinned.
 */
int split_folio_to_order0(struct folio *folio)
{
	const unsigned long inherit = (1UL << PG_uptodate) | (1UL << PG_dirty) |
				      (1UL << PG_swapbacked) |
				      (1UL << PG_referenced) |
				      (1UL << PG_workingset) |
				      (1UL << PG_swapcache) | PAGE_STATE_MASK;
	const unsigned long own = (1UL << PG_anon_exclusive) |
				  (1UL << PG_hwpoison);
	struct page *head = &folio->page;
	unsigned long hflags, i, nr;

	if (!folio_test_large(folio))
		return 0;
	if (folio_mapped(folio) || folio_maybe_dma_pinned(folio))
		return -EBUSY;
	nr = folio_nr_pages(folio);
	hflags = __atomic_load_n(&folio->flags, __ATOMIC_RELAXED);
	for (i = nr - 1; i > 0; i--) {
		struct page *tail = head + i;
		unsigned long tflags =
			__atomic_load_n(&tail->flags, __ATOMIC_RELAXED);

		tail->mapping = folio->mapping;
		tail->index = folio->index + i;
		tail->private = 0;
		__atomic_store_n(&tail->_refcount, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&tail->flags,
				 (hflags & inherit) | (tflags & own),
				 __ATOMIC_RELEASE);
		/* no longer a tail: the link may become a list link */
		tail->lru.next = tail->lru.prev = PFN_NIL;
	}
	__atomic_fetch_and(&folio->flags, ~(PAGE_ORDER_MASK | 1UL << PG_head),
			   __ATOMIC_RELEASE);
	return 0;
}

/* ------------------------------------------------------------------ */
/* accounting and quiescent checks                                     */

unsigned long phys_nr_allocated(struct phys_mem *pm)
{
	return __atomic_load_n(&pm->zone.nr_allocated, __ATOMIC_RELAXED);
}

/* The touched frames: [0, fresh_huge) and [fresh_small, nr_frames). */
struct pfn_range {
	unsigned long start, end;
};

static void touched_ranges(struct phys_mem *pm, struct pfn_range r[2])
{
	spin_lock(&pm->zone.lock);
	r[0].start = 0;
	r[0].end = pm->zone.fresh_huge;
	r[1].start = pm->zone.fresh_small;
	r[1].end = pm->nr_frames;
	spin_unlock(&pm->zone.lock);
}

/**
 * phys_count_states - frames per state
 * @pm: physical memory
 * @counts: filled with the number of frames in each state (the frames of
 *	a large folio count in their folio's state)
 *
 * Meant for quiescent points: counts are exact only when nothing runs.
 */
void phys_count_states(struct phys_mem *pm,
		       unsigned long counts[NR_PAGE_STATES])
{
	struct pfn_range r[2];
	unsigned long pfn;
	int k;

	memset(counts, 0, NR_PAGE_STATES * sizeof(counts[0]));
	touched_ranges(pm, r);
	counts[PAGE_STATE_FREE] = r[1].start - r[0].end;
	for (k = 0; k < 2; k++)
		for (pfn = r[k].start; pfn < r[k].end; pfn++)
			counts[page_state(pfn_to_page(pm, pfn))]++;
}

#define LEAK_EXAMPLES 8

struct leak_scan {
	unsigned int allowed;
	unsigned long leaked, folios;
	struct strbuf sb;
};

static void leak_check_frame(struct leak_scan *ls, struct page *page)
{
	struct folio *folio = (struct folio *)page;
	enum page_state state;

	if (PageTail(page))
		return; /* counted with its head */
	state = folio_state(folio);
	if (state == PAGE_STATE_FREE) {
		if (page_ref_count(page) || page_mapcount(page) ||
		    folio_pincount(folio))
			bad_page(page, "free frame with nonzero counters");
		return;
	}
	if (!folio_ref_count(folio))
		bad_page(page, "allocated folio with no reference (frozen?)");
	if (ls->allowed & PAGE_STATE_BIT(state))
		return;
	ls->leaked += folio_nr_pages(folio);
	if (ls->folios++ < LEAK_EXAMPLES)
		describe_page(&ls->sb, page);
}

/**
 * phys_check_leaks - quiescent check: no frame leaked, counters sane
 * @pm: physical memory
 * @allowed: PAGE_STATE_BIT() mask of states that may stay allocated
 *	(e.g. the page tables of live mms, reserved and device frames)
 *
 * Reports "frame-leak" for allocated folios in any other state (naming up
 * to LEAK_EXAMPLES of them) and "bad-page" for free frames with nonzero
 * counters or allocated folios with no reference.  Returns the number of
 * leaked frames.
 */
unsigned long phys_check_leaks(struct phys_mem *pm, unsigned int allowed)
{
	struct leak_scan ls = { .allowed = allowed };
	struct pfn_range r[2];
	unsigned long pfn;
	int k;

	touched_ranges(pm, r);
	for (k = 0; k < 2; k++)
		for (pfn = r[k].start; pfn < r[k].end; pfn++)
			leak_check_frame(&ls, pfn_to_page(pm, pfn));
	if (ls.leaked)
		report_add(
			pm->w, "frame-leak",
			"%lu frame(s) in %lu folio(s) still allocated at a quiescent point%s\n%s",
			ls.leaked, ls.folios,
			ls.folios > LEAK_EXAMPLES ? " (first ones shown)" : "",
			ls.sb.buf ? ls.sb.buf : "");
	sb_free(&ls.sb);
	return ls.leaked;
}

/**
 * phys_metadata_bytes_per_frame - model memory per modeled frame
 * @pm: physical memory
 *
 * sizeof(struct page) plus the content slots and stored words, the
 * struct phys_mem and the mapping's header, amortized over nr_frames.
 * This is the benchmark's "bytes of metadata per frame".
 */
double phys_metadata_bytes_per_frame(struct phys_mem *pm)
{
	double extra = (double)__phys_content_bytes(pm) + sizeof(*pm) +
		       PHYS_MAP_HEADER;

	return sizeof(struct page) + extra / pm->nr_frames;
}
