/* SPDX-License-Identifier: MIT */
/*
 * Physical memory: the frames, their struct page, the frame allocator and
 * the frames' content.
 *
 * Models include/linux/mm_types.h (struct page, struct folio),
 * include/linux/page-flags.h, include/linux/page_ref.h, include/linux/mm.h
 * (get_page/put_page, folio_mapcount, folio_maybe_dma_pinned), mm/gup.c's
 * pin accounting, mm/filemap.c's folio lock and mm/page_alloc.c.
 *
 * Simplifications:
 *  - One zone, no per-cpu lists, no watermarks, no reclaim from inside the
 *    allocator: a failed allocation returns NULL (the caller's OOM path).
 *  - Only two orders: 0 and PMD_ORDER (2 MiB, THP-style).  A PMD_ORDER
 *    allocation is always a compound page (a large folio), as folio_alloc()
 *    gives.  Free blocks are never merged back (no buddy coalescing); an
 *    order-0 allocation that finds nothing else splits a free 2 MiB block.
 *  - Freed frames go to the head of their free list and allocation takes
 *    from the head (LIFO), so a just-freed frame is the next one handed
 *    out: a use-after-free through a stale TLB entry lands on a frame that
 *    already has a new owner, which is the case worth catching.
 *  - Every frame has a generation that goes up each time it is freed.  A
 *    translation cached at (pfn, generation) is stale once they differ.
 *  - _mapcount counts mappings from 0 (Linux biases it by -1 so that
 *    atomic_inc_and_test() spots the first mapping; page_mapcount_inc()
 *    returns that same answer).  Large folios keep per-page PTE mapcounts
 *    plus the folio's entire (PMD) mapcount in the first tail page.
 *  - FOLL_PIN: a separate exact _pincount on the folio, and each pin also
 *    holds one ordinary reference, which is what Linux does for large
 *    folios.  Linux's small-folio trick (GUP_PIN_COUNTING_BIAS, 1024 added
 *    to _refcount) saves a field but makes folio_maybe_dma_pinned()
 *    approximate (1024 plain references look like a pin); the model wants
 *    exact pin balance for its quiescent checks, and has the room.
 *  - Content is sparse: only nonzero words are stored, in a per-frame
 *    content slot kept outside struct page; unwritten words read 0.
 *    Freeing a frame drops its content.  A stale reader is found through
 *    the generation, never through the content.
 *  - The struct page array is one mmap'ed region aligned to PHYS_MAP_ALIGN,
 *    with a pointer to its struct phys_mem at the aligned base: as with
 *    Linux's vmemmap, page_to_pfn(), put_page() and friends need only the
 *    page.  The array is touched lazily: frames never allocated cost no
 *    RSS, so 16 M frames are cheap.
 *
 * Refcount, mapcount, pincount, flag and generation operations are plain
 * __atomic operations with no schedule point: they are hot, and the model
 * code adds sched_point() at the call sites whose interleaving matters.
 * Taking zone->lock (alloc, free) is a schedule point, as any lock is.
 *
 * Lock order (innermost last; the allocator is a leaf):
 *
 *   folio lock (PG_locked, sleeping; see mm/rmap.c's order for its place)
 *     ... page-table lock, lruvec lock, anything else of mm/ ...
 *       zone->lock          (free lists, frontiers, nr_allocated)
 *         content stripe    (pthread mutex outside the model, real engine
 *                            only, never held across a model primitive)
 *
 * Nothing here takes a model lock while holding a content stripe, and
 * zone->lock is never held while calling out of this file.
 */
#ifndef SECMMU_PHYS_PAGE_H
#define SECMMU_PHYS_PAGE_H

#include <pthread.h>
#include <stdint.h>

#include "core/locking.h"

#ifndef PAGE_SHIFT
#define PAGE_SHIFT 12
#endif
#ifndef PAGE_SIZE
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#endif
#ifndef PAGE_MASK
#define PAGE_MASK (~(PAGE_SIZE - 1))
#endif
#ifndef PMD_ORDER
#define PMD_ORDER 9
#endif
#define HPAGE_PMD_ORDER PMD_ORDER
#define HPAGE_PMD_NR (1UL << HPAGE_PMD_ORDER)

#define PAGE_WORDS (PAGE_SIZE / sizeof(uint64_t)) /* 512 words a frame */

/* A 32-bit frame index in page links; PFN_NIL ends a list. */
#define PFN_NIL UINT32_MAX

/* The struct page array of one phys_mem lives in a region of this
 * alignment; its base holds a pointer to the phys_mem. */
#define PHYS_MAP_ALIGN (1UL << 32)
#define PHYS_MAP_HEADER 4096UL
#define PHYS_MAX_FRAMES ((PHYS_MAP_ALIGN - PHYS_MAP_HEADER) / 64)

struct address_space;
struct anon_vma;
struct phys_mem;

typedef unsigned int gfp_t;

/* gfp flags: the subset that means something to the model */
#define __GFP_HIGH 0x01u /* may use reserves (ignored) */
#define __GFP_IO 0x02u /* (ignored) */
#define __GFP_FS 0x04u /* (ignored) */
#define __GFP_ZERO 0x08u /* clear_highpage() the frames */
#define __GFP_DIRECT_RECLAIM 0x10u /* may sleep: might_sleep() is checked */
#define __GFP_KSWAPD_RECLAIM 0x20u /* (ignored: no kswapd inside) */
#define __GFP_MOVABLE 0x40u /* (ignored) */
#define __GFP_COMP 0x80u /* implied for PMD_ORDER */
#define __GFP_NOWARN 0x100u /* (ignored) */
#define __GFP_RECLAIM (__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)

#define GFP_ATOMIC (__GFP_HIGH | __GFP_KSWAPD_RECLAIM)
#define GFP_NOWAIT (__GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL (__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_USER GFP_KERNEL
#define GFP_HIGHUSER_MOVABLE (GFP_USER | __GFP_MOVABLE)
#define GFP_TRANSHUGE_LIGHT (GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_NOWARN)
#define GFP_TRANSHUGE (GFP_TRANSHUGE_LIGHT | __GFP_DIRECT_RECLAIM)

/* What a frame is used for; kept in the folio head's flags. */
enum page_state {
	PAGE_STATE_FREE, /* in the allocator (PageBuddy) or never used */
	PAGE_STATE_KERNEL, /* allocated, not (yet) typed by its user */
	PAGE_STATE_ANON, /* anonymous memory (PageAnon) */
	PAGE_STATE_FILE, /* page cache of a file */
	PAGE_STATE_PGTABLE, /* a page-table page (PageTable) */
	PAGE_STATE_DEVICE, /* device MMIO (a BAR), mapped by VM_PFNMAP */
	PAGE_STATE_RESERVED, /* PG_reserved: never freed */
	NR_PAGE_STATES,
};
#define PAGE_STATE_BIT(s) (1u << (s))

/* Page flag bits (include/linux/page-flags.h) */
enum pageflags {
	PG_locked, /* folio lock, see folio_lock() */
	PG_referenced, /* accessed lately (LRU aging) */
	PG_uptodate, /* content valid (page cache) */
	PG_dirty, /* content newer than its backing store */
	PG_lru, /* on an LRU list (lru links in use) */
	PG_head, /* first page of a large folio */
	PG_tail, /* ours: Linux tags compound_head with bit 0 */
	PG_active, /* on the active LRU */
	PG_workingset, /* refaulted soon after eviction */
	PG_private, /* ->private in use */
	PG_writeback, /* being written back */
	PG_reclaim, /* to be reclaimed once writeback ends */
	PG_swapbacked, /* backed by swap (anon, shmem) */
	PG_swapcache, /* in the swap cache */
	PG_unevictable, /* on the unevictable list */
	PG_mlocked, /* mlock()ed */
	PG_anon_exclusive, /* per page: exclusively owned anon page (GUP/COW) */
	PG_young, /* page_idle: accessed since last idle marking */
	PG_idle, /* page_idle: not accessed since marking */
	PG_hwpoison, /* per page: memory failure */
	NR_PAGEFLAGS,
};

/* flags layout: PG_* bits low, then the state and the compound order */
#define PAGE_STATE_SHIFT 48
#define PAGE_STATE_MASK (0xfUL << PAGE_STATE_SHIFT)
#define PAGE_ORDER_SHIFT 52
#define PAGE_ORDER_MASK (0xfUL << PAGE_ORDER_SHIFT)

/* flags that must be clear when a folio is freed (PAGE_FLAGS_CHECK_AT_FREE) */
#define PAGE_FLAGS_CHECK_AT_FREE                                      \
	((1UL << PG_locked) | (1UL << PG_lru) | (1UL << PG_private) | \
	 (1UL << PG_writeback) | (1UL << PG_active) |                 \
	 (1UL << PG_unevictable) | (1UL << PG_mlocked))

/* Index-based list link: two 32-bit pfns instead of two pointers. */
struct page_link {
	uint32_t next, prev;
};

/**
 * struct page - metadata of one modeled 4 KiB frame (64 bytes)
 * @flags: PG_* bits, the page state and (heads) the compound order;
 *	atomic bit operations
 * @lru: list link (LRU lists, the allocator's free lists; the list's
 *	owner lock guards it)
 * @compound_head: tail pages: distance back to the head, in pages
 * @_entire_mapcount: first tail page of a large folio: PMD mappings of
 *	the whole folio
 * @mapping: page cache: the file's address_space; anon: may hold the
 *	anon_vma (the state, not a tag bit, says which)
 * @index: page offset within @mapping (file) or the anon linear index
 * @private: for the page's owner (swap entry, buffer heads, ...)
 * @generation: goes up each time the frame is freed; never reset except
 *	by phys_mem_reset()
 * @_refcount: references on the folio (head only; tails stay 0)
 * @_mapcount: page-table mappings of this page (from 0, see above)
 * @_pincount: FOLL_PIN pins on the folio (head only)
 * @content: index of the frame's content slot, 0 for none (all zero)
 *
 * Tail pages never sit on a list, so their link is reused for
 * @compound_head, as Linux reuses lru.next.
 */
struct page {
	unsigned long flags;
	union {
		struct page_link lru;
		struct {
			uint32_t compound_head;
			int _entire_mapcount;
		};
	};
	struct address_space *mapping;
	unsigned long index;
	unsigned long private;
	unsigned long generation;
	int _refcount;
	int _mapcount;
	int _pincount;
	uint32_t content;
};

_Static_assert(sizeof(struct page) <= 64, "struct page must fit 64 bytes");
_Static_assert(sizeof(unsigned long) == 8, "LP64 assumed");

/*
 * struct folio - a page that is the head of its folio (or an order-0
 * page).  The fields overlay struct page exactly, as in Linux; a large
 * folio's extra state lives in its first tail page (see the helpers).
 */
struct folio {
	union {
		struct {
			unsigned long flags;
			union {
				struct page_link lru;
				struct {
					uint32_t _compound_head_unused;
					int _entire_mapcount_unused;
				};
			};
			struct address_space *mapping;
			unsigned long index;
			unsigned long private;
			unsigned long generation;
			int _refcount;
			int _mapcount;
			int _pincount;
			uint32_t content;
		};
		struct page page;
	};
};

#define FOLIO_MATCH(pg, fl)                                \
	_Static_assert(offsetof(struct page, pg) ==        \
			       offsetof(struct folio, fl), \
		       "folio field " #fl " must overlay page field " #pg)
FOLIO_MATCH(flags, flags);
FOLIO_MATCH(lru, lru);
FOLIO_MATCH(mapping, mapping);
FOLIO_MATCH(index, index);
FOLIO_MATCH(private, private);
FOLIO_MATCH(generation, generation);
FOLIO_MATCH(_refcount, _refcount);
FOLIO_MATCH(_mapcount, _mapcount);
FOLIO_MATCH(_pincount, _pincount);
FOLIO_MATCH(content, content);
_Static_assert(sizeof(struct folio) == sizeof(struct page), "folio overlay");

/* A list of pages linked through page->lru, by pfn. */
struct page_list {
	uint32_t head, tail;
	unsigned long nr;
};

/* free_area[0] holds order-0 frames, free_area[1] PMD_ORDER blocks */
#define NR_FREE_AREAS 2

struct free_area {
	struct page_list free_list;
};

/**
 * struct zone - the allocator's state
 * @lock: guards everything below
 * @free_area: LIFO free lists, one per supported order
 * @fresh_huge: never-used frames are [fresh_huge, fresh_small); 2 MiB
 *	blocks are carved upward from 0 ...
 * @fresh_small: ... and single frames and reserved ranges downward from
 *	nr_frames, so both touched ranges stay compact for reset
 * @nr_allocated: frames handed out and not yet freed
 */
struct zone {
	spinlock_t lock;
	struct free_area free_area[NR_FREE_AREAS];
	unsigned long fresh_huge;
	unsigned long fresh_small;
	unsigned long nr_allocated;
};

struct page_content;

#define PHYS_CONTENT_STRIPES 64
#define PAGE_WAIT_TABLE_SIZE 256

/* guards the content of frames with pfn % PHYS_CONTENT_STRIPES == i */
struct phys_content_stripe {
	pthread_mutex_t lock;
	uint32_t free_slots; /* content slots free for this stripe's frames */
} __attribute__((aligned(64)));

/**
 * struct phys_mem - one world's physical memory
 * @w: the world (reports, lockdep, engine)
 * @nr_frames: frames 0 .. nr_frames - 1
 * @pages: the struct page array (lazily touched)
 * @zone: the allocator
 * @threaded: real engine: content stripes must be locked
 *
 * The content slots, the folio wait table and the mapping are private to
 * src/phys.
 */
struct phys_mem {
	struct world *w;
	unsigned long nr_frames;
	struct page *pages;
	bool threaded;

	struct zone zone;

	/* private: content slots (page.c) */
	struct page_content **content_chunks;
	unsigned long nr_content_chunks;
	uint32_t next_slot;
	size_t content_bytes;
	pthread_mutex_t chunk_lock;
	struct phys_content_stripe stripes[PHYS_CONTENT_STRIPES];

	/* private: folio lock waiters, hashed like Linux's folio_wait_table */
	wait_queue_head_t folio_wait_table[PAGE_WAIT_TABLE_SIZE];

	/* private: the mapping holding the struct page array */
	void *map;
	size_t map_size;

	/* the CPU cache model (cache.c), NULL until a non-coherent IOMMU
	 * domain exists: CPU accesses test it once */
	struct cpu_cache *cache;
};

/* ------------------------------------------------------------------ */
/* pfn <-> page                                                        */

static inline uintptr_t __page_map_base(const struct page *page)
{
	return (uintptr_t)page & ~(PHYS_MAP_ALIGN - 1);
}

/* The phys_mem a page belongs to. */
static inline struct phys_mem *page_phys_mem(const struct page *page)
{
	return *(struct phys_mem *const *)__page_map_base(page);
}

static inline unsigned long page_to_pfn(const struct page *page)
{
	return page -
	       (const struct page *)(__page_map_base(page) + PHYS_MAP_HEADER);
}

static inline bool pfn_valid(const struct phys_mem *pm, unsigned long pfn)
{
	return pfn < pm->nr_frames;
}

/* No range check, as in Linux: test pfn_valid() first where in doubt. */
static inline struct page *pfn_to_page(const struct phys_mem *pm,
				       unsigned long pfn)
{
	return pm->pages + pfn;
}

/* the page with frame number @pfn in the same array as @near */
static inline struct page *__pfn_to_page_near(const struct page *near,
					      unsigned long pfn)
{
	return (struct page *)(__page_map_base(near) + PHYS_MAP_HEADER) + pfn;
}

/* ------------------------------------------------------------------ */
/* atomic flag bits (no schedule points)                               */

static inline bool pf_test(int nr, const unsigned long *flags)
{
	return __atomic_load_n(flags, __ATOMIC_RELAXED) >> nr & 1;
}

static inline void pf_set(int nr, unsigned long *flags)
{
	__atomic_fetch_or(flags, 1UL << nr, __ATOMIC_RELAXED);
}

static inline void pf_clear(int nr, unsigned long *flags)
{
	__atomic_fetch_and(flags, ~(1UL << nr), __ATOMIC_RELAXED);
}

static inline bool pf_test_and_set(int nr, unsigned long *flags)
{
	return __atomic_fetch_or(flags, 1UL << nr, __ATOMIC_ACQ_REL) >> nr & 1;
}

static inline bool pf_test_and_clear(int nr, unsigned long *flags)
{
	return __atomic_fetch_and(flags, ~(1UL << nr), __ATOMIC_ACQ_REL) >> nr &
	       1;
}

/* ------------------------------------------------------------------ */
/* compound pages and folios                                           */

static inline bool PageTail(const struct page *page)
{
	return pf_test(PG_tail, &page->flags);
}

static inline bool PageHead(const struct page *page)
{
	return pf_test(PG_head, &page->flags);
}

static inline bool PageCompound(const struct page *page)
{
	return PageHead(page) || PageTail(page);
}

static inline struct page *compound_head(const struct page *page)
{
	if (PageTail(page))
		page -= __atomic_load_n(&page->compound_head, __ATOMIC_RELAXED);
	return (struct page *)page;
}

static inline struct folio *page_folio(const struct page *page)
{
	return (struct folio *)compound_head(page);
}

static inline struct page *folio_page(struct folio *folio, unsigned long n)
{
	return &folio->page + n;
}

static inline unsigned int folio_order(const struct folio *folio)
{
	return (__atomic_load_n(&folio->flags, __ATOMIC_RELAXED) &
		PAGE_ORDER_MASK) >>
	       PAGE_ORDER_SHIFT;
}

static inline unsigned int compound_order(const struct page *page)
{
	return PageHead(page) ? folio_order((const struct folio *)page) : 0;
}

static inline unsigned long folio_nr_pages(const struct folio *folio)
{
	return 1UL << folio_order(folio);
}

static inline bool folio_test_large(const struct folio *folio)
{
	return pf_test(PG_head, &folio->flags);
}

static inline unsigned long folio_pfn(const struct folio *folio)
{
	return page_to_pfn(&folio->page);
}

/* ------------------------------------------------------------------ */
/* page flags: folio_test_dirty(), PageDirty(), SetPageDirty(), ...     */

/* A flag of the folio: the page versions act on the page's folio. */
#define FOLIO_FLAG(lname, uname)                                         \
	static inline bool folio_test_##lname(const struct folio *folio) \
	{                                                                \
		return pf_test(PG_##lname, &folio->flags);               \
	}                                                                \
	static inline void folio_set_##lname(struct folio *folio)        \
	{                                                                \
		pf_set(PG_##lname, &folio->flags);                       \
	}                                                                \
	static inline void folio_clear_##lname(struct folio *folio)      \
	{                                                                \
		pf_clear(PG_##lname, &folio->flags);                     \
	}                                                                \
	static inline bool folio_test_set_##lname(struct folio *folio)   \
	{                                                                \
		return pf_test_and_set(PG_##lname, &folio->flags);       \
	}                                                                \
	static inline bool folio_test_clear_##lname(struct folio *folio) \
	{                                                                \
		return pf_test_and_clear(PG_##lname, &folio->flags);     \
	}                                                                \
	static inline bool Page##uname(const struct page *page)          \
	{                                                                \
		return folio_test_##lname(page_folio(page));             \
	}                                                                \
	static inline void SetPage##uname(struct page *page)             \
	{                                                                \
		folio_set_##lname(page_folio(page));                     \
	}                                                                \
	static inline void ClearPage##uname(struct page *page)           \
	{                                                                \
		folio_clear_##lname(page_folio(page));                   \
	}                                                                \
	static inline bool TestSetPage##uname(struct page *page)         \
	{                                                                \
		return folio_test_set_##lname(page_folio(page));         \
	}                                                                \
	static inline bool TestClearPage##uname(struct page *page)       \
	{                                                                \
		return folio_test_clear_##lname(page_folio(page));       \
	}

/* A flag of each page, tail pages included. */
#define PAGE_FLAG_ANY(lname, uname)                             \
	static inline bool Page##uname(const struct page *page) \
	{                                                       \
		return pf_test(PG_##lname, &page->flags);       \
	}                                                       \
	static inline void SetPage##uname(struct page *page)    \
	{                                                       \
		pf_set(PG_##lname, &page->flags);               \
	}                                                       \
	static inline void ClearPage##uname(struct page *page)  \
	{                                                       \
		pf_clear(PG_##lname, &page->flags);             \
	}

FOLIO_FLAG(locked, Locked)
FOLIO_FLAG(referenced, Referenced)
FOLIO_FLAG(uptodate, Uptodate)
FOLIO_FLAG(dirty, Dirty)
FOLIO_FLAG(lru, LRU)
FOLIO_FLAG(active, Active)
FOLIO_FLAG(workingset, Workingset)
FOLIO_FLAG(private, Private)
FOLIO_FLAG(writeback, Writeback)
FOLIO_FLAG(reclaim, Reclaim)
FOLIO_FLAG(swapbacked, SwapBacked)
FOLIO_FLAG(swapcache, SwapCache)
FOLIO_FLAG(unevictable, Unevictable)
FOLIO_FLAG(mlocked, Mlocked)
FOLIO_FLAG(young, Young)
FOLIO_FLAG(idle, Idle)
PAGE_FLAG_ANY(anon_exclusive, AnonExclusive)
PAGE_FLAG_ANY(hwpoison, HWPoison)

/* ------------------------------------------------------------------ */
/* page state                                                          */

static inline enum page_state folio_state(const struct folio *folio)
{
	return (__atomic_load_n(&folio->flags, __ATOMIC_RELAXED) &
		PAGE_STATE_MASK) >>
	       PAGE_STATE_SHIFT;
}

static inline enum page_state page_state(const struct page *page)
{
	return folio_state(page_folio(page));
}

/* Type an allocated folio: __folio_set_anon(), __SetPageTable(), ... */
static inline void folio_set_state(struct folio *folio, enum page_state s)
{
	unsigned long old = __atomic_load_n(&folio->flags, __ATOMIC_RELAXED);
	unsigned long new;

	do {
		new = (old & ~PAGE_STATE_MASK) |
		      ((unsigned long)s << PAGE_STATE_SHIFT);
	} while (!__atomic_compare_exchange_n(&folio->flags, &old, new, false,
					      __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
}

static inline void page_set_state(struct page *page, enum page_state s)
{
	folio_set_state(page_folio(page), s);
}

static inline bool folio_test_anon(const struct folio *folio)
{
	return folio_state(folio) == PAGE_STATE_ANON;
}

static inline bool PageAnon(const struct page *page)
{
	return page_state(page) == PAGE_STATE_ANON;
}

static inline bool PageTable(const struct page *page)
{
	return page_state(page) == PAGE_STATE_PGTABLE;
}

static inline bool PageReserved(const struct page *page)
{
	return page_state(page) == PAGE_STATE_RESERVED;
}

/* free in the allocator (Linux: PageBuddy, here also never-used frames) */
static inline bool PageBuddy(const struct page *page)
{
	return page_state(page) == PAGE_STATE_FREE;
}

static inline struct anon_vma *folio_anon_vma(const struct folio *folio)
{
	return folio_test_anon(folio) ? (struct anon_vma *)folio->mapping :
					NULL;
}

const char *page_state_name(enum page_state s);

/* ------------------------------------------------------------------ */
/* generation                                                          */

/* The frame's generation: a translation cached at another is stale. */
static inline unsigned long page_generation(const struct page *page)
{
	return __atomic_load_n(&page->generation, __ATOMIC_ACQUIRE);
}

static inline unsigned long phys_generation(const struct phys_mem *pm,
					    unsigned long pfn)
{
	return page_generation(pfn_to_page(pm, pfn));
}

/* ------------------------------------------------------------------ */
/* reference counts (include/linux/page_ref.h, mm.h)                   */

/* Report a broken page invariant ("bad-page"); never crashes. */
void bad_page(const struct page *page, const char *reason);
/* Called by folio_put_refs() when the last reference goes. */
void __folio_put(struct folio *folio);

static inline int page_ref_count(const struct page *page)
{
	return __atomic_load_n(&page->_refcount, __ATOMIC_ACQUIRE);
}

static inline int folio_ref_count(const struct folio *folio)
{
	return page_ref_count(&folio->page);
}

/* references on the page's folio, as Linux's page_count() */
static inline int page_count(const struct page *page)
{
	return folio_ref_count(page_folio(page));
}

static inline void folio_ref_add(struct folio *folio, int nr)
{
	int old = __atomic_fetch_add(&folio->_refcount, nr, __ATOMIC_RELAXED);

	if (unlikely(old <= 0)) {
		__atomic_fetch_sub(&folio->_refcount, nr, __ATOMIC_RELAXED);
		bad_page(&folio->page, "get on a page with no reference");
	}
}

static inline void folio_get(struct folio *folio)
{
	folio_ref_add(folio, 1);
}

static inline void get_page(struct page *page)
{
	folio_get(page_folio(page));
}

/* speculative reference: fails on a free (or frozen) folio */
static inline bool folio_try_get(struct folio *folio)
{
	int old = __atomic_load_n(&folio->_refcount, __ATOMIC_RELAXED);

	do {
		if (old <= 0)
			return false;
	} while (!__atomic_compare_exchange_n(&folio->_refcount, &old, old + 1,
					      false, __ATOMIC_ACQUIRE,
					      __ATOMIC_RELAXED));
	return true;
}

static inline bool get_page_unless_zero(struct page *page)
{
	return folio_try_get(page_folio(page));
}

/* Drop @nr references; the last one frees the folio. */
static inline void folio_put_refs(struct folio *folio, int nr)
{
	int old = __atomic_load_n(&folio->_refcount, __ATOMIC_RELAXED);

	do {
		if (unlikely(old < nr)) {
			bad_page(&folio->page,
				 folio_state(folio) == PAGE_STATE_FREE ?
					 "put_page on a free page" :
					 "refcount underflow");
			return;
		}
	} while (!__atomic_compare_exchange_n(&folio->_refcount, &old, old - nr,
					      false, __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
	if (old == nr)
		__folio_put(folio);
}

static inline void folio_put(struct folio *folio)
{
	folio_put_refs(folio, 1);
}

static inline void put_page(struct page *page)
{
	folio_put(page_folio(page));
}

/* migration/split: take the refcount from exactly @count to 0 */
static inline bool folio_ref_freeze(struct folio *folio, int count)
{
	int old = count;

	return __atomic_compare_exchange_n(&folio->_refcount, &old, 0, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void folio_ref_unfreeze(struct folio *folio, int count)
{
	if (__atomic_load_n(&folio->_refcount, __ATOMIC_RELAXED) != 0)
		bad_page(&folio->page, "unfreeze of a folio not frozen");
	__atomic_store_n(&folio->_refcount, count, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------------ */
/* mapcounts                                                           */

static inline int folio_entire_mapcount(const struct folio *folio)
{
	if (!folio_test_large(folio))
		return 0;
	return __atomic_load_n(&(&folio->page)[1]._entire_mapcount,
			       __ATOMIC_RELAXED);
}

/* a PMD mapping of the whole folio; true if it is the first one */
static inline bool folio_entire_mapcount_inc(struct folio *folio)
{
	if (unlikely(!folio_test_large(folio))) {
		bad_page(&folio->page, "PMD mapping of a small folio");
		return false;
	}
	return __atomic_add_fetch(&(&folio->page)[1]._entire_mapcount, 1,
				  __ATOMIC_RELAXED) == 1;
}

/* true if the last PMD mapping went */
static inline bool folio_entire_mapcount_dec(struct folio *folio)
{
	int v;

	if (unlikely(!folio_test_large(folio))) {
		bad_page(&folio->page, "PMD unmapping of a small folio");
		return false;
	}
	v = __atomic_sub_fetch(&(&folio->page)[1]._entire_mapcount, 1,
			       __ATOMIC_RELAXED);

	if (unlikely(v < 0)) {
		__atomic_add_fetch(&(&folio->page)[1]._entire_mapcount, 1,
				   __ATOMIC_RELAXED);
		bad_page(&folio->page, "entire mapcount underflow");
		return false;
	}
	return v == 0;
}

/* PTE mappings of this page plus PMD mappings of its folio */
static inline int page_mapcount(const struct page *page)
{
	int n = __atomic_load_n(&page->_mapcount, __ATOMIC_RELAXED);

	if (PageCompound(page))
		n += folio_entire_mapcount(page_folio(page));
	return n;
}

/* one more PTE maps @page; true if it is the page's first */
static inline bool page_mapcount_inc(struct page *page)
{
	return __atomic_add_fetch(&page->_mapcount, 1, __ATOMIC_RELAXED) == 1;
}

/* one PTE mapping of @page went; true if it was the last */
static inline bool page_mapcount_dec(struct page *page)
{
	int v = __atomic_sub_fetch(&page->_mapcount, 1, __ATOMIC_RELAXED);

	if (unlikely(v < 0)) {
		__atomic_add_fetch(&page->_mapcount, 1, __ATOMIC_RELAXED);
		bad_page(page, "mapcount underflow");
		return false;
	}
	return v == 0;
}

/* all mappings of the folio: PMD ones plus every page's PTE ones */
static inline int folio_mapcount(const struct folio *folio)
{
	unsigned long i, nr = folio_nr_pages(folio);
	int n = folio_entire_mapcount(folio);

	for (i = 0; i < nr; i++)
		n += __atomic_load_n(&(&folio->page)[i]._mapcount,
				     __ATOMIC_RELAXED);
	return n;
}

static inline bool folio_mapped(const struct folio *folio)
{
	return folio_mapcount(folio) > 0;
}

/* ------------------------------------------------------------------ */
/* FOLL_PIN (mm/gup.c)                                                 */

static inline int folio_pincount(const struct folio *folio)
{
	return __atomic_load_n(&folio->_pincount, __ATOMIC_RELAXED);
}

/* exact here: see the header comment */
static inline bool folio_maybe_dma_pinned(const struct folio *folio)
{
	return folio_pincount(folio) > 0;
}

/* try_grab_folio(folio, 1, FOLL_PIN): a reference and a pin */
static inline bool folio_try_pin(struct folio *folio)
{
	if (!folio_try_get(folio))
		return false;
	__atomic_add_fetch(&folio->_pincount, 1, __ATOMIC_RELAXED);
	return true;
}

/* unpin_user_page() for a folio: drops the pin and its reference */
static inline void unpin_folio(struct folio *folio)
{
	int old = __atomic_load_n(&folio->_pincount, __ATOMIC_RELAXED);

	do {
		if (unlikely(old <= 0)) {
			bad_page(&folio->page, "unpin of an unpinned folio");
			return;
		}
	} while (!__atomic_compare_exchange_n(&folio->_pincount, &old, old - 1,
					      false, __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
	folio_put(folio);
}

static inline void unpin_user_page(struct page *page)
{
	unpin_folio(page_folio(page));
}

/* ------------------------------------------------------------------ */
/* lists linked through page->lru (caller holds the list's lock)       */

static inline void page_list_init(struct page_list *l)
{
	l->head = l->tail = PFN_NIL;
	l->nr = 0;
}

static inline bool page_list_empty(const struct page_list *l)
{
	return l->head == PFN_NIL;
}

static inline void page_list_add(struct page_list *l, struct page *page)
{
	uint32_t pfn = page_to_pfn(page);

	page->lru.prev = PFN_NIL;
	page->lru.next = l->head;
	if (l->head != PFN_NIL)
		__pfn_to_page_near(page, l->head)->lru.prev = pfn;
	else
		l->tail = pfn;
	l->head = pfn;
	l->nr++;
}

static inline void page_list_add_tail(struct page_list *l, struct page *page)
{
	uint32_t pfn = page_to_pfn(page);

	page->lru.next = PFN_NIL;
	page->lru.prev = l->tail;
	if (l->tail != PFN_NIL)
		__pfn_to_page_near(page, l->tail)->lru.next = pfn;
	else
		l->head = pfn;
	l->tail = pfn;
	l->nr++;
}

static inline void page_list_del(struct page_list *l, struct page *page)
{
	if (page->lru.prev != PFN_NIL)
		__pfn_to_page_near(page, page->lru.prev)->lru.next =
			page->lru.next;
	else
		l->head = page->lru.next;
	if (page->lru.next != PFN_NIL)
		__pfn_to_page_near(page, page->lru.next)->lru.prev =
			page->lru.prev;
	else
		l->tail = page->lru.prev;
	page->lru.next = page->lru.prev = PFN_NIL;
	l->nr--;
}

static inline struct page *page_list_first(const struct phys_mem *pm,
					   const struct page_list *l)
{
	return l->head == PFN_NIL ? NULL : pfn_to_page(pm, l->head);
}

static inline struct page *page_list_next(const struct page *page)
{
	return page->lru.next == PFN_NIL ?
		       NULL :
		       __pfn_to_page_near(page, page->lru.next);
}

#define page_list_for_each(pos, pm, l) \
	for (pos = page_list_first(pm, l); pos; pos = page_list_next(pos))

/* ------------------------------------------------------------------ */
/* page_alloc.c: the world's physical memory and the allocator         */

struct phys_mem *phys_mem_create(struct world *w, unsigned long nr_frames);
void phys_mem_reset(struct phys_mem *pm);
void phys_mem_destroy(struct phys_mem *pm);

struct page *alloc_pages(struct phys_mem *pm, gfp_t gfp, unsigned int order);
#define alloc_page(pm, gfp) alloc_pages(pm, gfp, 0)
struct folio *folio_alloc(struct phys_mem *pm, gfp_t gfp, unsigned int order);
void __free_pages(struct page *page, unsigned int order);
#define __free_page(page) __free_pages(page, 0)

long phys_reserve_range(struct phys_mem *pm, unsigned long nr,
			enum page_state state);
int split_folio_to_order0(struct folio *folio);

unsigned long phys_nr_allocated(struct phys_mem *pm);
void phys_count_states(struct phys_mem *pm,
		       unsigned long counts[NR_PAGE_STATES]);
unsigned long phys_check_leaks(struct phys_mem *pm, unsigned int allowed);
double phys_metadata_bytes_per_frame(struct phys_mem *pm);

/* ------------------------------------------------------------------ */
/* page.c: content and the folio lock                                  */

int phys_read(struct phys_mem *pm, unsigned long pfn, unsigned long offset,
	      uint64_t *val);
int phys_write(struct phys_mem *pm, unsigned long pfn, unsigned long offset,
	       uint64_t val);
void clear_highpage(struct page *page);
void copy_highpage(struct page *to, struct page *from);
void folio_zero(struct folio *folio);
void folio_copy(struct folio *dst, struct folio *src);
int memcmp_pages(struct page *a, struct page *b);
unsigned int page_content_words(struct page *page);
uint32_t page_content_checksum(struct page *page);

bool folio_trylock(struct folio *folio);
void folio_lock(struct folio *folio);
void folio_unlock(struct folio *folio);

static inline void lock_page(struct page *page)
{
	folio_lock(page_folio(page));
}

static inline void unlock_page(struct page *page)
{
	folio_unlock(page_folio(page));
}

/* private to src/phys */
struct cpu_cache;
/* the CPU cache if one exists (made while agents run: acquire) */
static inline struct cpu_cache *__phys_cache(struct phys_mem *pm)
{
	return __atomic_load_n(&pm->cache, __ATOMIC_ACQUIRE);
}
/* memory itself, under the CPU cache (cache.c) */
int __phys_read_mem(struct phys_mem *pm, unsigned long pfn,
		    unsigned long offset, uint64_t *val);
int __phys_write_mem(struct phys_mem *pm, unsigned long pfn,
		     unsigned long offset, uint64_t val);
void __phys_content_init(struct phys_mem *pm);
void __phys_content_reset(struct phys_mem *pm);
void __phys_content_destroy(struct phys_mem *pm);
void __page_content_drop(struct page *page);
size_t __phys_content_bytes(struct phys_mem *pm);

#endif
