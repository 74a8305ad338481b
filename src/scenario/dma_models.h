/* SPDX-License-Identifier: MIT */
/*
 * Built-in models of the DMA API through an IOMMU (src/iommu/dma-iommu.c):
 * a driver maps and unmaps buffers while its device keeps doing DMA.
 */
#ifndef SECMMU_SCENARIO_DMA_MODELS_H
#define SECMMU_SCENARIO_DMA_MODELS_H

#include "engine/engine.h"

/**
 * struct dma_race_opts - one variant
 * @deferred: setup sets iommu.dma_invalidation=deferred; otherwise the
 *	world's policy decides
 * @ats: the device has a device TLB (ATS)
 * @rounds: map/unmap rounds of the driver (a second round may reuse the
 *	IOVA of the first)
 * @iters: device reads
 * @fq_timeout: flush-queue timeout in world steps
 */
struct dma_race_opts {
	bool deferred;
	bool ats;
	int rounds;
	int iters;
	unsigned long fq_timeout;
};

int dma_race_setup(struct world *w, void *arg);
void dma_race_check(struct world *w, void *arg);

extern const struct model model_dma_unmap_vs_dma;
extern const struct model model_dma_unmap_vs_dma_deferred;

/*
 * SVA devices (iommu-sva.c) racing with the primary MMU: the secondary
 * TLB flush of mremap, of tlb_finish_mmu's nested flush, and of KSM's
 * write-protect.  They read their knobs from the world's policy.
 */
enum sva_flush_race_op {
	SVA_FLUSH_MREMAP, /* mremap moves a file page, truncate frees it */
	SVA_FLUSH_DONTNEED, /* two MADV_DONTNEEDs: the nested flush */
	SVA_FLUSH_KSM, /* ksmd merges the page the device writes */
};

/**
 * struct sva_flush_race_opts - one variant
 * @op: what races with the device
 * @iters: device accesses
 */
struct sva_flush_race_opts {
	enum sva_flush_race_op op;
	int iters;
};

int sva_flush_race_setup(struct world *w, void *arg);
void sva_flush_race_check(struct world *w, void *arg);
/*
 * After an execution of sva-ksm-vs-write (before its check): did ksmd
 * merge, and did the device write through a cached writable translation
 * of a page whose PTE was already read-only (the deferral window)?
 */
void sva_flush_race_stats(struct world *w, bool *merged, bool *stale_write);
/* report "syscall-failed" for the current agent's @what returning @ret */
void sva_syscall_failed(struct world *w, const char *what, long ret);

extern const struct model model_sva_mremap_vs_truncate;
extern const struct model model_sva_dontneed_nested;
extern const struct model model_sva_ksm_vs_write;

/*
 * mremap moving a page an SVA device has cached while another path frees
 * it without the mmap_lock (sva_mremap_models.c).
 */
enum sva_mremap_race_op {
	SVA_MREMAP_RECLAIM_FILE, /* a clean file page reclaimed via rmap */
	SVA_MREMAP_RECLAIM_ANON, /* kswapd swaps an anonymous page out */
	SVA_MREMAP_MIGRATE, /* the anonymous page is migrated */
	SVA_MREMAP_DONTNEED, /* MADV_DONTNEED of the new range */
};

/**
 * struct sva_mremap_race_opts - one variant
 * @op: what races with mremap
 * @pages: pages mremap moves (2: a private file mapping whose second page,
 *	in the next PTE table, is a COW copy: it shows how far the move is)
 * @iters: device reads of the old address of the first page
 * @merge: (file reclaim, one page) the page is file page 1, mapped alone,
 *	and mremap moves it back next to the mapping of file page 0, so
 *	copy_vma() merges it into that VMA (need_rmap_locks)
 */
struct sva_mremap_race_opts {
	enum sva_mremap_race_op op;
	int pages;
	int iters;
	bool merge;
};

/**
 * struct sva_mremap_stats - what one execution did (for tests)
 * @stale_reads: device reads of the old address that succeeded after
 *	its PTE was gone (through the IOTLB/ATC)
 * @freed: the racing path freed the page (or zapped it)
 * @freed_in_window: ... and had begun to unmap it while the page was
 *	already at the new address and the device still cached the old one
 * @rmap_flushed_old: (two pages) ... and when try_to_unmap() returned, the
 *	device no longer cached the old address though mremap had not
 *	reached its range end: the rmap walk's range over the old VMA did it
 */
struct sva_mremap_stats {
	int stale_reads;
	int freed;
	int freed_in_window;
	int rmap_flushed_old;
};

int sva_mremap_race_setup(struct world *w, void *arg);
void sva_mremap_race_check(struct world *w, void *arg);
/* after an execution, before its check */
void sva_mremap_race_stats(struct world *w, struct sva_mremap_stats *st);

extern const struct model model_sva_mremap_vs_reclaim_file;
extern const struct model model_sva_mremap2_vs_reclaim_file;
extern const struct model model_sva_mremap_vs_reclaim_anon;
extern const struct model model_sva_mremap_vs_migrate;
extern const struct model model_sva_mremap_vs_dontneed;
extern const struct model model_sva_mremap_merge_vs_reclaim;

#endif
