// SPDX-License-Identifier: MIT
/*
 * The CPU cache model (see cache.h for the interface).
 *
 * Models what arch/x86 gives a device that does not snoop: a write-back,
 * write-allocate cache of 64-byte lines in front of memory, clflush over a
 * physical range (arch_flush_cache_phys(), the helper Yan Zhao's 2024
 * series "vfio/type1: Flush CPU caches on DMA pages in non-coherent
 * domains" introduced, first as arch_clean_nonsnoop_dma()) and wbinvd.
 *
 * Why one shared cache: x86 CPU caches are coherent among CPUs (MESI-style
 * snooping between cores and sockets), so whatever CPU stores a line,
 * every CPU loads the newest value, and a clflush or wbinvd on one CPU
 * writes back the line whichever cache holds it (clflush is broadcast in
 * the coherence domain; the kernel's wbinvd_on_all_cpus() covers the
 * rest).  The only observer that can tell a cache from memory is a
 * device that bypasses the coherence domain: a PCIe request with the
 * no-snoop attribute, allowed when the IOMMU domain does not enforce cache
 * coherency.  One shared set-associative cache gives every CPU the same
 * view the real hierarchy gives and keeps the per-line state in one place.
 *
 * Where it lives: src/phys, beside the frames, because it is a property
 * of physical memory as every agent sees it (CPUs, kernel copies, snooping
 * devices all pass through phys_read()/phys_write()), not of one
 * architecture's page tables; the x86 choice is the coherence rule above.
 *
 * Checks (report kinds; the first of each kind per execution is
 * reported):
 *  - "noncoherent-leak": a non-snooping read of memory whose data was
 *    written under an earlier generation of the frame, i.e. a previous
 *    owner's data, while the new owner's view (e.g. the zeroes of
 *    clear_highpage()) sits in CPU lines.
 *  - "noncoherent-stale-read": a non-snooping read of a word that a dirty
 *    CPU line holds with another, newer value.
 *  - "noncoherent-corruption": a dirty CPU line written back over data a
 *    non-snooping device wrote under it after the CPU dirtied it, once
 *    the frame has been freed since the line was dirtied, or once it is
 *    no longer DMA-pinned when it was pinned at the device's write: the
 *    host then sees its memory change under it.  A write-back while the
 *    frame is still pinned (the series' flush before unpinning), or by
 *    the kernel owner of an unpinned page before it frees it (the second
 *    flush of vfio_test_domain_fgsp()), is not reported.  A new owner's
 *    store into the line makes it the new owner's (the old device data
 *    no longer matters).
 *
 * What memory holds for a line is tracked by generation: a record per
 * line written to memory while the cache exists (write-back, a
 * non-snooping write), else a record per frame made when it was freed,
 * else "current" (memory was written before the cache existed, by CPUs
 * that then wrote through to it).
 *
 * Simplifications:
 *  - 128 sets x 8 ways, FIFO replacement per set, indexed by a hash of
 *    the line address: deterministic, and small enough to evict.
 *  - No speculative fills, no prefetch, no separate clean-line
 *    invalidation by a non-snooping write: a clean line over memory a
 *    device wrote keeps the old value until evicted or flushed (a CPU
 *    reads stale data then; not reported, see docs/vfio.md).
 *  - The content model drops a freed frame's words (page_alloc.c); the
 *    records above say whose data memory "still" holds, so a leak is
 *    reported from the generation, not from a value.
 *  - page_content_words()/page_content_checksum() read memory, not the
 *    CPU view.
 *
 * Locking: cache->lock is a pthread mutex outside the model (as the
 * content stripes), taken only by the real engine, never held across a
 * model primitive.  Order: cache->lock, then a content stripe (memory
 * accesses), then w->lock (report_add).  Nothing here is a schedule
 * point: callers place theirs.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/world.h"
#include "phys/cache.h"

#define KEY_NONE (~0UL)
#define FRAME_KEY_BIT (1UL << 63)

struct cache_line {
	unsigned long key; /* pfn << 6 | line index; KEY_NONE: invalid */
	uint64_t data[CACHE_LINE_WORDS];
	unsigned long gen; /* the frame's generation when last stored to */
	unsigned long dirty_step;
	bool dirty;
	bool dev_wrote; /* memory under it written by a non-snooping device */
	bool dev_wrote_pinned; /* ... while the frame was pinned for DMA */
};

struct cache_set {
	struct cache_line way[CPU_CACHE_WAYS];
	unsigned int next; /* FIFO victim */
};

/* open-addressing map, no deletion: line or frame key -> generation */
struct gen_map {
	unsigned long *keys;
	unsigned long *vals;
	unsigned long cap, nr;
};

struct cpu_cache {
	struct phys_mem *pm;
	pthread_mutex_t lock;
	struct cache_set sets[CPU_CACHE_SETS];
	struct gen_map mem;
	struct cpu_cache_stats stats;
	bool reported_leak, reported_stale, reported_corrupt;
};

static void cc_lock(struct cpu_cache *c)
{
	if (c->pm->threaded)
		pthread_mutex_lock(&c->lock);
}

static void cc_unlock(struct cpu_cache *c)
{
	if (c->pm->threaded)
		pthread_mutex_unlock(&c->lock);
}

static unsigned long line_key(unsigned long pfn, unsigned long offset)
{
	return pfn << 6 | (offset >> CACHE_LINE_SHIFT);
}

static unsigned long key_pfn(unsigned long key)
{
	return key >> 6;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

/* ---- the memory-generation records ---- */

static unsigned long *gen_map_slot(struct gen_map *m, unsigned long key)
{
	unsigned long i = mix(key) & (m->cap - 1);

	while (m->keys[i] != KEY_NONE && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return &m->keys[i];
}

static void gen_map_grow(struct gen_map *m)
{
	struct gen_map n = { .cap = m->cap ? m->cap * 2 : 1024 };
	unsigned long i;

	n.keys = malloc(n.cap * sizeof(*n.keys));
	n.vals = malloc(n.cap * sizeof(*n.vals));
	if (!n.keys || !n.vals)
		abort();
	memset(n.keys, 0xff, n.cap * sizeof(*n.keys));
	for (i = 0; i < m->cap; i++) {
		unsigned long *k;

		if (m->keys[i] == KEY_NONE)
			continue;
		k = gen_map_slot(&n, m->keys[i]);
		*k = m->keys[i];
		n.vals[k - n.keys] = m->vals[i];
		n.nr++;
	}
	free(m->keys);
	free(m->vals);
	*m = n;
}

static bool gen_map_get(struct gen_map *m, unsigned long key,
			unsigned long *val)
{
	unsigned long *k;

	if (!m->nr)
		return false;
	k = gen_map_slot(m, key);
	if (*k == KEY_NONE)
		return false;
	*val = m->vals[k - m->keys];
	return true;
}

static void gen_map_set(struct gen_map *m, unsigned long key, unsigned long val,
			bool keep)
{
	unsigned long *k;

	if ((m->nr + 1) * 2 > m->cap)
		gen_map_grow(m);
	k = gen_map_slot(m, key);
	if (*k == KEY_NONE) {
		*k = key;
		m->nr++;
	} else if (keep) {
		return;
	}
	m->vals[k - m->keys] = val;
}

/* the generation whose data memory holds under line @key */
static unsigned long mem_gen(struct cpu_cache *c, unsigned long key)
{
	unsigned long g;

	if (gen_map_get(&c->mem, key, &g))
		return g;
	if (gen_map_get(&c->mem, key_pfn(key) | FRAME_KEY_BIT, &g))
		return g;
	return phys_generation(c->pm, key_pfn(key));
}

/* ---- lines ---- */

static struct cache_set *set_of(struct cpu_cache *c, unsigned long key)
{
	return &c->sets[mix(key) % CPU_CACHE_SETS];
}

static struct cache_line *line_lookup(struct cpu_cache *c, unsigned long key)
{
	struct cache_set *s = set_of(c, key);
	int i;

	for (i = 0; i < CPU_CACHE_WAYS; i++)
		if (s->way[i].key == key)
			return &s->way[i];
	return NULL;
}

static const char *cur_name(void)
{
	return current ? current->name : "(no agent)";
}

/* write a dirty line back to memory; the checks of a write-back */
static void line_writeback(struct cpu_cache *c, struct cache_line *l,
			   const char *why)
{
	struct phys_mem *pm = c->pm;
	unsigned long pfn = key_pfn(l->key), i;
	struct folio *folio = page_folio(pfn_to_page(pm, pfn));
	unsigned long gen = phys_generation(pm, pfn);

	if (l->dev_wrote && !c->reported_corrupt &&
	    (l->gen != gen ||
	     (l->dev_wrote_pinned && !folio_maybe_dma_pinned(folio)))) {
		c->reported_corrupt = true;
		report_add(
			pm->w, "noncoherent-corruption",
			"%s: %s writes back a dirty CPU cache line of pfn %#lx (offset %#lx, dirtied at step %lu under generation %lu) over data a non-snooping device wrote to memory after it; the frame is %s (generation %lu), so the host sees its memory change without a store: the line was not flushed while the frame was still pinned for DMA\n",
			cur_name(), why, pfn,
			(l->key & (CACHE_LINES_PER_PAGE - 1))
				<< CACHE_LINE_SHIFT,
			l->dirty_step, l->gen,
			l->gen != gen ? "freed (or reused) since" :
					"no longer pinned for DMA",
			gen);
	}
	for (i = 0; i < CACHE_LINE_WORDS; i++)
		__phys_write_mem(pm, pfn,
				 ((l->key & (CACHE_LINES_PER_PAGE - 1))
				  << CACHE_LINE_SHIFT) +
					 i * sizeof(uint64_t),
				 l->data[i]);
	gen_map_set(&c->mem, l->key, l->gen, false);
	l->dirty = false;
	l->dev_wrote = false;
	l->dev_wrote_pinned = false;
	c->stats.writebacks++;
}

static void line_evict(struct cpu_cache *c, struct cache_line *l,
		       const char *why)
{
	if (l->key == KEY_NONE)
		return;
	if (l->dirty)
		line_writeback(c, l, why);
	l->key = KEY_NONE;
}

/* the line of @key, filled from memory on a miss (write allocate) */
static struct cache_line *line_get(struct cpu_cache *c, unsigned long key,
				   bool fill)
{
	struct cache_line *l = line_lookup(c, key);
	struct cache_set *s;
	unsigned long i, pfn = key_pfn(key);

	if (l) {
		c->stats.hits++;
		return l;
	}
	c->stats.misses++;
	s = set_of(c, key);
	l = &s->way[s->next];
	s->next = (s->next + 1) % CPU_CACHE_WAYS;
	if (l->key != KEY_NONE)
		c->stats.evictions++;
	line_evict(c, l, "an eviction");
	l->key = key;
	l->dirty = false;
	l->dev_wrote = false;
	l->gen = phys_generation(c->pm, pfn);
	for (i = 0; i < CACHE_LINE_WORDS; i++) {
		l->data[i] = 0;
		if (fill)
			__phys_read_mem(c->pm, pfn,
					((key & (CACHE_LINES_PER_PAGE - 1))
					 << CACHE_LINE_SHIFT) +
						i * sizeof(uint64_t),
					&l->data[i]);
	}
	return l;
}

static void line_store(struct cpu_cache *c, struct cache_line *l,
		       unsigned int word, uint64_t val)
{
	struct world *w = c->pm->w;
	unsigned long gen = phys_generation(c->pm, key_pfn(l->key));

	/* a new owner's store: the old owner's device data is not its */
	if (l->gen != gen)
		l->dev_wrote = false;
	l->data[word] = val;
	if (!l->dirty)
		l->dirty_step = __atomic_load_n(&w->step, __ATOMIC_RELAXED);
	l->dirty = true;
	l->gen = gen;
}

static int check_addr(struct phys_mem *pm, unsigned long pfn,
		      unsigned long offset)
{
	if (!pfn_valid(pm, pfn) || offset >= PAGE_SIZE)
		return -ERANGE;
	if (offset % sizeof(uint64_t))
		return -EINVAL;
	return 0;
}

static unsigned int word_of(unsigned long offset)
{
	return (offset & (CACHE_LINE_SIZE - 1)) / sizeof(uint64_t);
}

/* ---- lifetime ---- */

int cpu_cache_enable(struct phys_mem *pm)
{
	struct cpu_cache *c;
	int s, i;

	if (pm->cache)
		return 0;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->pm = pm;
	pthread_mutex_init(&c->lock, NULL);
	for (s = 0; s < CPU_CACHE_SETS; s++)
		for (i = 0; i < CPU_CACHE_WAYS; i++)
			c->sets[s].way[i].key = KEY_NONE;
	__atomic_store_n(&pm->cache, c, __ATOMIC_RELEASE);
	return 0;
}

void cpu_cache_destroy(struct phys_mem *pm)
{
	struct cpu_cache *c = __phys_cache(pm);

	if (!c)
		return;
	pm->cache = NULL;
	pthread_mutex_destroy(&c->lock);
	free(c->mem.keys);
	free(c->mem.vals);
	free(c);
}

void cpu_cache_reset(struct phys_mem *pm)
{
	cpu_cache_destroy(pm);
}

/* ---- the CPU side ---- */

int cpu_cache_load(struct phys_mem *pm, unsigned long pfn, unsigned long offset,
		   uint64_t *val)
{
	struct cpu_cache *c = __phys_cache(pm);
	int ret = check_addr(pm, pfn, offset);

	if (ret)
		return ret;
	cc_lock(c);
	c->stats.loads++;
	*val = line_get(c, line_key(pfn, offset), true)->data[word_of(offset)];
	cc_unlock(c);
	return 0;
}

int cpu_cache_store(struct phys_mem *pm, unsigned long pfn,
		    unsigned long offset, uint64_t val)
{
	struct cpu_cache *c = __phys_cache(pm);
	int ret = check_addr(pm, pfn, offset);

	if (ret)
		return ret;
	cc_lock(c);
	c->stats.stores++;
	line_store(c, line_get(c, line_key(pfn, offset), true), word_of(offset),
		   val);
	cc_unlock(c);
	return 0;
}

/* full-line stores: no fill needed (rep stos / movdir64b-like) */
void cpu_cache_clear_page(struct phys_mem *pm, unsigned long pfn)
{
	struct cpu_cache *c = __phys_cache(pm);
	unsigned long li, i;

	cc_lock(c);
	for (li = 0; li < CACHE_LINES_PER_PAGE; li++) {
		struct cache_line *l = line_get(c, pfn << 6 | li, false);

		for (i = 0; i < CACHE_LINE_WORDS; i++)
			line_store(c, l, i, 0);
	}
	cc_unlock(c);
}

void cpu_cache_copy_page(struct phys_mem *pm, unsigned long to,
			 unsigned long from)
{
	struct cpu_cache *c = __phys_cache(pm);
	uint64_t buf[CACHE_LINE_WORDS];
	unsigned long li, i;

	cc_lock(c);
	for (li = 0; li < CACHE_LINES_PER_PAGE; li++) {
		struct cache_line *l = line_get(c, from << 6 | li, true);

		memcpy(buf, l->data, sizeof(buf));
		l = line_get(c, to << 6 | li, false);
		for (i = 0; i < CACHE_LINE_WORDS; i++)
			line_store(c, l, i, buf[i]);
	}
	cc_unlock(c);
}

int cpu_cache_memcmp_pages(struct phys_mem *pm, unsigned long a,
			   unsigned long b)
{
	struct cpu_cache *c = __phys_cache(pm);
	uint64_t buf[CACHE_LINE_WORDS];
	unsigned long li;
	int ret = 0;

	cc_lock(c);
	for (li = 0; li < CACHE_LINES_PER_PAGE && !ret; li++) {
		memcpy(buf, line_get(c, a << 6 | li, true)->data, sizeof(buf));
		ret = memcmp(buf, line_get(c, b << 6 | li, true)->data,
			     sizeof(buf)) != 0;
	}
	cc_unlock(c);
	return ret;
}

void cpu_cache_frame_freed(struct phys_mem *pm, unsigned long pfn,
			   unsigned long gen)
{
	struct cpu_cache *c = __phys_cache(pm);

	cc_lock(c);
	/* the oldest unknown data stays: keep an existing record */
	gen_map_set(&c->mem, pfn | FRAME_KEY_BIT, gen, true);
	cc_unlock(c);
}

/* ---- non-snooping devices ---- */

int phys_read_nosnoop(struct phys_mem *pm, unsigned long pfn,
		      unsigned long offset, uint64_t *val, const char *who)
{
	struct cpu_cache *c = __phys_cache(pm);
	unsigned long key = line_key(pfn, offset), mg, gen;
	struct cache_line *l;
	int ret;

	if (!c)
		return phys_read(pm, pfn, offset, val);
	ret = check_addr(pm, pfn, offset);
	if (ret)
		return ret;
	cc_lock(c);
	c->stats.nosnoop_reads++;
	__phys_read_mem(pm, pfn, offset, val);
	mg = mem_gen(c, key);
	gen = phys_generation(pm, pfn);
	l = line_lookup(c, key);
	if (mg != gen && !c->reported_leak) {
		c->reported_leak = true;
		report_add(
			pm->w, "noncoherent-leak",
			"%s: device %s read pfn %#lx offset %#lx without snooping the CPU cache and got memory last written under generation %lu, a previous owner's data: the frame is generation %lu now and its owner's view (%s) is in the CPU cache, never flushed before the page became reachable by a non-coherent domain\n",
			cur_name(), who, pfn, offset, mg, gen,
			l && l->dirty ? "a dirty line" : "not yet in memory");
	} else if (l && l->dirty && l->data[word_of(offset)] != *val &&
		   !c->reported_stale) {
		c->reported_stale = true;
		report_add(
			pm->w, "noncoherent-stale-read",
			"%s: device %s read pfn %#lx offset %#lx without snooping and got %llu from memory, but a dirty CPU cache line (stored at step %lu) holds %llu: the device saw memory older than the CPU's view\n",
			cur_name(), who, pfn, offset, (unsigned long long)*val,
			l->dirty_step,
			(unsigned long long)l->data[word_of(offset)]);
	}
	cc_unlock(c);
	return 0;
}

int phys_write_nosnoop(struct phys_mem *pm, unsigned long pfn,
		       unsigned long offset, uint64_t val, const char *who)
{
	struct cpu_cache *c = __phys_cache(pm);
	unsigned long key = line_key(pfn, offset);
	struct cache_line *l;
	int ret;

	(void)who;
	if (!c)
		return phys_write(pm, pfn, offset, val);
	ret = check_addr(pm, pfn, offset);
	if (ret)
		return ret;
	cc_lock(c);
	c->stats.nosnoop_writes++;
	__phys_write_mem(pm, pfn, offset, val);
	/* the rest of the line in memory is the current owner's now too */
	gen_map_set(&c->mem, key, phys_generation(pm, pfn), false);
	l = line_lookup(c, key);
	if (l && l->dirty) {
		l->dev_wrote = true;
		l->dev_wrote_pinned = folio_maybe_dma_pinned(
			page_folio(pfn_to_page(pm, pfn)));
	}
	cc_unlock(c);
	return 0;
}

/* ---- maintenance ---- */

void arch_flush_cache_phys(struct phys_mem *pm, unsigned long phys,
			   unsigned long size)
{
	struct cpu_cache *c = __phys_cache(pm);
	unsigned long a, end = phys + size;

	if (!c || !size)
		return;
	cc_lock(c);
	for (a = phys & ~(CACHE_LINE_SIZE - 1); a < end; a += CACHE_LINE_SIZE) {
		struct cache_line *l = line_lookup(c, line_key(a >> PAGE_SHIFT,
							       a & ~PAGE_MASK));

		c->stats.flushed_lines++;
		if (l)
			line_evict(c, l, "clflush");
	}
	cc_unlock(c);
}

void cpu_cache_wbinvd(struct phys_mem *pm)
{
	struct cpu_cache *c = __phys_cache(pm);
	int s, i;

	if (!c)
		return;
	cc_lock(c);
	c->stats.wbinvd++;
	for (s = 0; s < CPU_CACHE_SETS; s++)
		for (i = 0; i < CPU_CACHE_WAYS; i++)
			line_evict(c, &c->sets[s].way[i], "wbinvd");
	cc_unlock(c);
}

bool cpu_cache_line_state(struct phys_mem *pm, unsigned long pfn,
			  unsigned long offset, bool *dirty)
{
	struct cpu_cache *c = __phys_cache(pm);
	struct cache_line *l;

	*dirty = false;
	if (!c)
		return false;
	cc_lock(c);
	l = line_lookup(c, line_key(pfn, offset));
	if (l)
		*dirty = l->dirty;
	cc_unlock(c);
	return l != NULL;
}

void cpu_cache_get_stats(struct phys_mem *pm, struct cpu_cache_stats *out)
{
	struct cpu_cache *c = __phys_cache(pm);

	memset(out, 0, sizeof(*out));
	if (!c)
		return;
	cc_lock(c);
	*out = c->stats;
	cc_unlock(c);
}
