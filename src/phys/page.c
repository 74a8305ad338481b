// SPDX-License-Identifier: MIT
/*
 * Frame content and the folio lock.
 *
 * Models what include/linux/highmem.h (clear_highpage, copy_highpage),
 * mm/util.c (memcmp_pages) and mm/filemap.c (folio_lock, folio_unlock,
 * the hashed folio_wait_table) do to a frame.
 *
 * Content is sparse.  A frame with any nonzero word owns a content slot,
 * found through page->content (0: no slot, every word reads 0).  A slot
 * holds a 512-bit presence map and the values of the present words in
 * word order, so a read is a bit test and a popcount rank.  Only nonzero
 * words are stored: writing 0 removes the word, so two frames have equal
 * content exactly when their maps and values are equal.  Slots live in
 * chunks that never move; freed slots are reused by frames of the same
 * stripe and keep their value arrays, so a steady state allocates nothing.
 *
 * Simplifications: no highmem, no kmap; a word is 8 aligned bytes; the
 * content of a free frame may be written (a stale DMA does that in real
 * life) and is dropped again on the next __GFP_ZERO allocation or free.
 * Reads and writes are not schedule points: callers that model an access
 * place one (the access is atomic as an aligned 64-bit access is).
 *
 * Locking: the content of the frames with pfn % PHYS_CONTENT_STRIPES == i
 * is guarded by stripes[i].lock, a pthread mutex outside the model taken
 * only by the real engine (the deterministic one runs one agent at a
 * time) and never held across a model primitive.  copy_highpage() and
 * memcmp_pages() take two stripes in index order.  Once the world has a
 * CPU cache (cache.c), phys_read(), phys_write(), clear_highpage(),
 * copy_highpage() and memcmp_pages() are CPU accesses and go through it;
 * __phys_read_mem()/__phys_write_mem() are memory itself.  chunk_lock guards the
 * growth of the chunk table; page->content is read without a lock only to
 * see that a frame has no content.  The folio lock is the PG_locked bit;
 * waiters sleep on a hashed wait queue; it is a sleeping lock that lockdep
 * does not track, as in Linux.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "page.h"

#define CONTENT_CHUNK_SHIFT 10
#define CONTENT_CHUNK_SLOTS (1U << CONTENT_CHUNK_SHIFT)
#define PRESENT_LONGS (PAGE_WORDS / 64)

/*
 * struct page_content - the stored words of one frame
 * @present: bit w set iff word w is stored (and nonzero)
 * @vals: the values of the present words, in word order
 * @nr: number of present words
 * @cap: room in @vals
 * @next_free: next slot on the stripe's free list
 */
struct page_content {
	uint64_t present[PRESENT_LONGS];
	uint64_t *vals;
	uint16_t nr, cap;
	uint32_t next_free;
};

static unsigned int pfn_stripe(unsigned long pfn)
{
	return pfn % PHYS_CONTENT_STRIPES;
}

static void stripe_lock(struct phys_mem *pm, unsigned int s)
{
	if (pm->threaded)
		pthread_mutex_lock(&pm->stripes[s].lock);
}

static void stripe_unlock(struct phys_mem *pm, unsigned int s)
{
	if (pm->threaded)
		pthread_mutex_unlock(&pm->stripes[s].lock);
}

static void stripe_lock2(struct phys_mem *pm, unsigned int a, unsigned int b)
{
	if (a == b) {
		stripe_lock(pm, a);
	} else {
		stripe_lock(pm, min(a, b));
		stripe_lock(pm, max(a, b));
	}
}

static void stripe_unlock2(struct phys_mem *pm, unsigned int a, unsigned int b)
{
	stripe_unlock(pm, a);
	if (a != b)
		stripe_unlock(pm, b);
}

static struct page_content *slot_of(struct phys_mem *pm, uint32_t idx)
{
	struct page_content *chunk =
		__atomic_load_n(&pm->content_chunks[idx >> CONTENT_CHUNK_SHIFT],
				__ATOMIC_ACQUIRE);

	return &chunk[idx & (CONTENT_CHUNK_SLOTS - 1)];
}

static void content_account(struct phys_mem *pm, long bytes)
{
	__atomic_add_fetch(&pm->content_bytes, bytes, __ATOMIC_RELAXED);
}

void __phys_content_init(struct phys_mem *pm)
{
	/* a frame owns at most one slot; slot 0 means none */
	pm->nr_content_chunks = (pm->nr_frames + 1 + CONTENT_CHUNK_SLOTS - 1) /
				CONTENT_CHUNK_SLOTS;
	pm->content_chunks =
		calloc(pm->nr_content_chunks, sizeof(*pm->content_chunks));
	if (!pm->content_chunks)
		abort();
	content_account(pm,
			pm->nr_content_chunks * sizeof(*pm->content_chunks));
	pm->next_slot = 1;
}

/* Forget every frame's content; keep chunks and value arrays. */
void __phys_content_reset(struct phys_mem *pm)
{
	int i;

	pm->next_slot = 1;
	for (i = 0; i < PHYS_CONTENT_STRIPES; i++)
		pm->stripes[i].free_slots = 0;
}

void __phys_content_destroy(struct phys_mem *pm)
{
	unsigned long c;
	unsigned int i;

	for (c = 0; c < pm->nr_content_chunks; c++) {
		struct page_content *chunk = pm->content_chunks[c];

		if (!chunk)
			continue;
		for (i = 0; i < CONTENT_CHUNK_SLOTS; i++)
			free(chunk[i].vals);
		free(chunk);
	}
	free(pm->content_chunks);
	pm->content_chunks = NULL;
}

size_t __phys_content_bytes(struct phys_mem *pm)
{
	return __atomic_load_n(&pm->content_bytes, __ATOMIC_RELAXED);
}

/* A fresh empty slot for a frame of stripe @s; stripe lock held. */
static uint32_t slot_alloc(struct phys_mem *pm, unsigned int s)
{
	struct phys_content_stripe *st = &pm->stripes[s];
	struct page_content *c;
	unsigned long ci;
	uint32_t idx;

	if (st->free_slots) {
		idx = st->free_slots;
		c = slot_of(pm, idx);
		st->free_slots = c->next_free;
		goto out;
	}
	idx = __atomic_fetch_add(&pm->next_slot, 1, __ATOMIC_RELAXED);
	ci = idx >> CONTENT_CHUNK_SHIFT;
	if (!__atomic_load_n(&pm->content_chunks[ci], __ATOMIC_ACQUIRE)) {
		if (pm->threaded)
			pthread_mutex_lock(&pm->chunk_lock);
		if (!pm->content_chunks[ci]) {
			c = calloc(CONTENT_CHUNK_SLOTS, sizeof(*c));
			if (!c)
				abort();
			content_account(pm, CONTENT_CHUNK_SLOTS * sizeof(*c));
			__atomic_store_n(&pm->content_chunks[ci], c,
					 __ATOMIC_RELEASE);
		}
		if (pm->threaded)
			pthread_mutex_unlock(&pm->chunk_lock);
	}
	c = slot_of(pm, idx);
out:
	memset(c->present, 0, sizeof(c->present));
	c->nr = 0;
	c->next_free = 0;
	return idx;
}

/* Detach @page's slot, if any; stripe lock held. */
static void content_drop_locked(struct phys_mem *pm, struct page *page,
				unsigned int s)
{
	uint32_t idx = __atomic_load_n(&page->content, __ATOMIC_RELAXED);
	struct page_content *c;

	if (!idx)
		return;
	c = slot_of(pm, idx);
	c->nr = 0;
	c->next_free = pm->stripes[s].free_slots;
	pm->stripes[s].free_slots = idx;
	__atomic_store_n(&page->content, 0, __ATOMIC_RELAXED);
}

void __page_content_drop(struct page *page)
{
	struct phys_mem *pm = page_phys_mem(page);
	unsigned int s = pfn_stripe(page_to_pfn(page));

	if (!__atomic_load_n(&page->content, __ATOMIC_RELAXED))
		return;
	stripe_lock(pm, s);
	content_drop_locked(pm, page, s);
	stripe_unlock(pm, s);
}

static bool word_present(const struct page_content *c, unsigned int w)
{
	return c->present[w / 64] >> (w % 64) & 1;
}

/* position of word @w among the present words */
static unsigned int word_rank(const struct page_content *c, unsigned int w)
{
	unsigned int i, r = 0;

	for (i = 0; i < w / 64; i++)
		r += __builtin_popcountll(c->present[i]);
	if (w % 64)
		r += __builtin_popcountll(c->present[w / 64] &
					  ((1ULL << (w % 64)) - 1));
	return r;
}

static void content_reserve(struct phys_mem *pm, struct page_content *c,
			    unsigned int nr)
{
	unsigned int cap = c->cap ? c->cap : 4;
	uint64_t *vals;

	if (nr <= c->cap)
		return;
	while (cap < nr)
		cap *= 2;
	cap = min(cap, (unsigned int)PAGE_WORDS);
	vals = realloc(c->vals, cap * sizeof(*vals));
	if (!vals)
		abort();
	content_account(pm, (long)(cap - c->cap) * (long)sizeof(*vals));
	c->vals = vals;
	c->cap = cap;
}

/* check a (pfn, offset) pair; returns the word index or -errno */
static int word_index(const struct phys_mem *pm, unsigned long pfn,
		      unsigned long offset)
{
	if (!pfn_valid(pm, pfn) || offset >= PAGE_SIZE)
		return -ERANGE;
	if (offset % sizeof(uint64_t))
		return -EINVAL;
	return offset / sizeof(uint64_t);
}

/**
 * phys_read - read one word of a frame
 * @pm: physical memory
 * @pfn: the frame
 * @offset: byte offset in the frame, 8-byte aligned
 * @val: the word (0 if never written)
 *
 * Returns 0, -EINVAL for a misaligned offset or -ERANGE for a pfn or
 * offset out of range.  Free frames can be read: whether the reader had
 * the right to is the checker's business (generations).
 */
int phys_read(struct phys_mem *pm, unsigned long pfn, unsigned long offset,
	      uint64_t *val)
{
	if (unlikely(__phys_cache(pm)))
		return cpu_cache_load(pm, pfn, offset, val);
	return __phys_read_mem(pm, pfn, offset, val);
}

int __phys_read_mem(struct phys_mem *pm, unsigned long pfn,
		    unsigned long offset, uint64_t *val)
{
	struct page *page;
	unsigned int s;
	uint32_t idx;
	int w = word_index(pm, pfn, offset);

	if (w < 0)
		return w;
	page = pfn_to_page(pm, pfn);
	*val = 0;
	if (!__atomic_load_n(&page->content, __ATOMIC_RELAXED))
		return 0;
	s = pfn_stripe(pfn);
	stripe_lock(pm, s);
	idx = __atomic_load_n(&page->content, __ATOMIC_RELAXED);
	if (idx) {
		struct page_content *c = slot_of(pm, idx);

		if (word_present(c, w))
			*val = c->vals[word_rank(c, w)];
	}
	stripe_unlock(pm, s);
	return 0;
}

/**
 * phys_write - write one word of a frame
 * @pm: physical memory
 * @pfn: the frame
 * @offset: byte offset in the frame, 8-byte aligned
 * @val: the value
 *
 * Returns 0, -EINVAL for a misaligned offset or -ERANGE for a pfn or
 * offset out of range.
 */
int phys_write(struct phys_mem *pm, unsigned long pfn, unsigned long offset,
	       uint64_t val)
{
	if (unlikely(__phys_cache(pm)))
		return cpu_cache_store(pm, pfn, offset, val);
	return __phys_write_mem(pm, pfn, offset, val);
}

int __phys_write_mem(struct phys_mem *pm, unsigned long pfn,
		     unsigned long offset, uint64_t val)
{
	struct page_content *c;
	struct page *page;
	unsigned int s, r;
	uint32_t idx;
	int w = word_index(pm, pfn, offset);

	if (w < 0)
		return w;
	page = pfn_to_page(pm, pfn);
	s = pfn_stripe(pfn);
	stripe_lock(pm, s);
	idx = __atomic_load_n(&page->content, __ATOMIC_RELAXED);
	if (!idx) {
		if (!val)
			goto out;
		idx = slot_alloc(pm, s);
		__atomic_store_n(&page->content, idx, __ATOMIC_RELAXED);
	}
	c = slot_of(pm, idx);
	r = word_rank(c, w);
	if (word_present(c, w)) {
		if (val) {
			c->vals[r] = val;
		} else {
			memmove(&c->vals[r], &c->vals[r + 1],
				(c->nr - r - 1) * sizeof(c->vals[0]));
			c->nr--;
			c->present[w / 64] &= ~(1ULL << (w % 64));
		}
	} else if (val) {
		content_reserve(pm, c, c->nr + 1);
		memmove(&c->vals[r + 1], &c->vals[r],
			(c->nr - r) * sizeof(c->vals[0]));
		c->vals[r] = val;
		c->nr++;
		c->present[w / 64] |= 1ULL << (w % 64);
	}
out:
	stripe_unlock(pm, s);
	return 0;
}

/* clear_highpage(): every word of the frame reads 0 */
void clear_highpage(struct page *page)
{
	struct phys_mem *pm = page_phys_mem(page);

	/* the stores land in the CPU cache: memory keeps what it had */
	if (unlikely(__phys_cache(pm))) {
		cpu_cache_clear_page(pm, page_to_pfn(page));
		return;
	}
	__page_content_drop(page);
}

/**
 * copy_highpage - copy a frame's content
 * @to: destination frame
 * @from: source frame (same phys_mem)
 *
 * Afterwards @to reads exactly what @from reads.  Generations and
 * metadata are untouched.
 */
void copy_highpage(struct page *to, struct page *from)
{
	struct phys_mem *pm = page_phys_mem(to);
	unsigned int sd = pfn_stripe(page_to_pfn(to));
	unsigned int ss = pfn_stripe(page_to_pfn(from));
	struct page_content *src, *dst;
	uint32_t sidx, didx;

	if (to == from)
		return;
	if (unlikely(__phys_cache(pm))) {
		cpu_cache_copy_page(pm, page_to_pfn(to), page_to_pfn(from));
		return;
	}
	stripe_lock2(pm, sd, ss);
	sidx = __atomic_load_n(&from->content, __ATOMIC_RELAXED);
	src = sidx ? slot_of(pm, sidx) : NULL;
	if (!src || !src->nr) {
		content_drop_locked(pm, to, sd);
		goto out;
	}
	didx = __atomic_load_n(&to->content, __ATOMIC_RELAXED);
	if (!didx) {
		didx = slot_alloc(pm, sd);
		__atomic_store_n(&to->content, didx, __ATOMIC_RELAXED);
	}
	dst = slot_of(pm, didx);
	content_reserve(pm, dst, src->nr);
	memcpy(dst->present, src->present, sizeof(dst->present));
	memcpy(dst->vals, src->vals, src->nr * sizeof(src->vals[0]));
	dst->nr = src->nr;
out:
	stripe_unlock2(pm, sd, ss);
}

/* every frame of the folio reads 0 (clear_huge_page()) */
void folio_zero(struct folio *folio)
{
	unsigned long i, nr = folio_nr_pages(folio);

	for (i = 0; i < nr; i++)
		clear_highpage(folio_page(folio, i));
}

/* folio_copy(): @dst, of the same order, reads what @src reads */
void folio_copy(struct folio *dst, struct folio *src)
{
	unsigned long i, nr = folio_nr_pages(src);

	if (folio_nr_pages(dst) != nr) {
		bad_page(&dst->page, "folio_copy() between different orders");
		return;
	}
	for (i = 0; i < nr; i++)
		copy_highpage(folio_page(dst, i), folio_page(src, i));
}

/**
 * memcmp_pages - compare two frames' content (KSM)
 * @a: a frame
 * @b: a frame of the same phys_mem
 *
 * Returns 0 when every word is equal, nonzero otherwise.
 */
int memcmp_pages(struct page *a, struct page *b)
{
	struct phys_mem *pm = page_phys_mem(a);
	unsigned int sa = pfn_stripe(page_to_pfn(a));
	unsigned int sb = pfn_stripe(page_to_pfn(b));
	struct page_content *ca, *cb;
	uint32_t ia, ib;
	int ret;

	if (a == b)
		return 0;
	if (unlikely(__phys_cache(pm)))
		return cpu_cache_memcmp_pages(pm, page_to_pfn(a),
					      page_to_pfn(b));
	stripe_lock2(pm, sa, sb);
	ia = __atomic_load_n(&a->content, __ATOMIC_RELAXED);
	ib = __atomic_load_n(&b->content, __ATOMIC_RELAXED);
	ca = ia ? slot_of(pm, ia) : NULL;
	cb = ib ? slot_of(pm, ib) : NULL;
	if (!ca || !ca->nr || !cb || !cb->nr)
		ret = (ca && ca->nr) != (cb && cb->nr);
	else
		ret = ca->nr != cb->nr ||
		      memcmp(ca->present, cb->present, sizeof(ca->present)) ||
		      memcmp(ca->vals, cb->vals, ca->nr * sizeof(ca->vals[0]));
	stripe_unlock2(pm, sa, sb);
	return ret;
}

/* number of nonzero words of the frame */
unsigned int page_content_words(struct page *page)
{
	struct phys_mem *pm = page_phys_mem(page);
	unsigned int s = pfn_stripe(page_to_pfn(page)), nr = 0;
	uint32_t idx;

	stripe_lock(pm, s);
	idx = __atomic_load_n(&page->content, __ATOMIC_RELAXED);
	if (idx)
		nr = slot_of(pm, idx)->nr;
	stripe_unlock(pm, s);
	return nr;
}

/*
 * A checksum of the content (ksm's calc_checksum()): equal content, equal
 * checksum, independent of the frame and of how the content got there.
 */
uint32_t page_content_checksum(struct page *page)
{
	struct phys_mem *pm = page_phys_mem(page);
	unsigned int s = pfn_stripe(page_to_pfn(page));
	uint64_t h = 0x9e3779b97f4a7c15ULL;
	unsigned int w, r = 0;
	uint32_t idx;

	stripe_lock(pm, s);
	idx = __atomic_load_n(&page->content, __ATOMIC_RELAXED);
	if (idx) {
		struct page_content *c = slot_of(pm, idx);

		for (w = 0; w < PAGE_WORDS; w++) {
			uint64_t x;

			if (!word_present(c, w))
				continue;
			x = (uint64_t)w << 48 ^ c->vals[r++];
			h ^= splitmix64(&x);
			h *= 0x100000001b3ULL;
		}
	}
	stripe_unlock(pm, s);
	return (uint32_t)(h ^ h >> 32);
}

/* ------------------------------------------------------------------ */
/* the folio lock (mm/filemap.c)                                       */

static wait_queue_head_t *folio_waitqueue(struct folio *folio)
{
	struct phys_mem *pm = page_phys_mem(&folio->page);
	uint64_t h = folio_pfn(folio) * 0x9e3779b97f4a7c15ULL;

	return &pm->folio_wait_table[h >> 56];
}

static bool __folio_trylock(struct folio *folio)
{
	return !folio_test_set_locked(folio);
}

/* Take the folio lock if it is free; a schedule point. */
bool folio_trylock(struct folio *folio)
{
	sched_point(SP_LOCK, folio);
	return __folio_trylock(folio);
}

/**
 * folio_lock - take the folio lock, sleeping while another holds it
 * @folio: the folio
 *
 * May sleep.  Not tracked by lockdep (as in Linux); a folio lock cycle
 * shows up as a deadlock of the deterministic engine.
 */
void folio_lock(struct folio *folio)
{
	wait_queue_head_t *wq;

	might_sleep();
	if (folio_trylock(folio))
		return;
	if (!current) {
		/* outside any agent nobody could ever unlock it */
		report_add(
			page_phys_mem(&folio->page)->w, "deadlock",
			"folio_lock() of a locked folio (pfn %#lx) outside any agent",
			folio_pfn(folio));
		return;
	}
	wq = folio_waitqueue(folio);
	wait_event(*wq, __folio_trylock(folio));
}

void folio_unlock(struct folio *folio)
{
	if (!folio_test_clear_locked(folio)) {
		bad_page(&folio->page, "folio_unlock() of an unlocked folio");
		return;
	}
	wake_up(folio_waitqueue(folio));
}
