/* SPDX-License-Identifier: MIT */
/*
 * The CPU cache: write-back 64-byte lines between the CPUs and the frames,
 * for devices whose DMA does not snoop it (non-coherent IOMMU domains).
 *
 * Models the x86 cache as seen from a device: one coherent view shared by
 * every CPU (x86 keeps the caches of all CPUs coherent with each other by
 * hardware, so one shared last-level cache gives every CPU access the
 * same answer the real per-CPU hierarchy does), write-back with write
 * allocate, dirty lines written back on eviction, clflush
 * (arch_flush_cache_phys(), the name the 2024 review settled on) and
 * wbinvd.  A snooping device access goes through phys_read()/phys_write()
 * and so through the cache; a non-snooping one (phys_read_nosnoop(),
 * phys_write_nosnoop()) reads and writes memory and leaves the lines as
 * they were.  See cache.c for the checks and what is simplified.
 *
 * The cache exists only once a non-coherent domain has been created in
 * the world (cpu_cache_enable()); until then pm->cache is NULL and the
 * CPU access path pays one predictable branch.
 */
#ifndef SECMMU_PHYS_CACHE_H
#define SECMMU_PHYS_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "phys/page.h"

#define CACHE_LINE_SHIFT 6
#define CACHE_LINE_SIZE (1UL << CACHE_LINE_SHIFT)
#define CACHE_LINE_WORDS (CACHE_LINE_SIZE / sizeof(uint64_t))
#define CACHE_LINES_PER_PAGE (PAGE_SIZE / CACHE_LINE_SIZE)
/* 128 sets of 8 ways: a 64 KiB cache, small enough that lines get evicted */
#define CPU_CACHE_SETS 128
#define CPU_CACHE_WAYS 8

/* counters (under the cache lock) */
struct cpu_cache_stats {
	unsigned long loads, stores, hits, misses;
	unsigned long evictions, writebacks;
	unsigned long flushed_lines; /* lines examined by clflush */
	unsigned long wbinvd;
	unsigned long nosnoop_reads, nosnoop_writes;
};

struct cpu_cache;

/* make the cache of @pm (idempotent); 0 or -ENOMEM */
int cpu_cache_enable(struct phys_mem *pm);
/* drop every line and record and turn the cache off (phys_mem_reset) */
void cpu_cache_reset(struct phys_mem *pm);
void cpu_cache_destroy(struct phys_mem *pm);

static inline bool cpu_cache_enabled(struct phys_mem *pm)
{
	return __phys_cache(pm) != NULL;
}

/* ---- the CPU side (page.c calls these while the cache exists) ---- */

int cpu_cache_load(struct phys_mem *pm, unsigned long pfn, unsigned long offset,
		   uint64_t *val);
int cpu_cache_store(struct phys_mem *pm, unsigned long pfn,
		    unsigned long offset, uint64_t val);
void cpu_cache_clear_page(struct phys_mem *pm, unsigned long pfn);
void cpu_cache_copy_page(struct phys_mem *pm, unsigned long to,
			 unsigned long from);
int cpu_cache_memcmp_pages(struct phys_mem *pm, unsigned long a,
			   unsigned long b);
/* free_frame_prepare(): memory keeps the data of generation @gen */
void cpu_cache_frame_freed(struct phys_mem *pm, unsigned long pfn,
			   unsigned long gen);

/* ---- devices that do not snoop ---- */

/**
 * phys_read_nosnoop - a non-snooping device reads one word of memory
 * @who: the device, for reports
 *
 * Reads memory whatever the cache holds.  Reports
 * "noncoherent-leak" when the memory under the word still holds a
 * previous owner's data (written before the frame was last freed), else
 * "noncoherent-stale-read" when a dirty CPU line holds a different,
 * newer value.  Without a cache it is phys_read().
 */
int phys_read_nosnoop(struct phys_mem *pm, unsigned long pfn,
		      unsigned long offset, uint64_t *val, const char *who);
/*
 * A non-snooping device writes memory; a CPU line over it keeps its
 * value.  A dirty one that is written back later, once the frame is no
 * longer pinned for DMA, is "noncoherent-corruption".
 */
int phys_write_nosnoop(struct phys_mem *pm, unsigned long pfn,
		       unsigned long offset, uint64_t val, const char *who);

/* ---- cache maintenance ---- */

/**
 * arch_flush_cache_phys - clflush every line of [@phys, @phys + @size)
 *
 * Dirty lines are written back, every line is invalidated.  A no-op
 * without a cache (nothing can be stale then).
 */
void arch_flush_cache_phys(struct phys_mem *pm, unsigned long phys,
			   unsigned long size);
/* wbinvd: write back and invalidate the whole cache */
void cpu_cache_wbinvd(struct phys_mem *pm);

/* for tests: is the line at @pfn/@offset resident, and dirty? */
bool cpu_cache_line_state(struct phys_mem *pm, unsigned long pfn,
			  unsigned long offset, bool *dirty);
void cpu_cache_get_stats(struct phys_mem *pm, struct cpu_cache_stats *out);

#endif
