/* SPDX-License-Identifier: MIT */
/*
 * DMA-API domains: dma_map_page()/dma_unmap_page() through an IOMMU, with
 * strict or deferred (flush queue) IOTLB invalidation, and the checker's
 * "dma-after-unmap" report.  See dma-iommu.c for what it models, what it
 * simplifies and its lock order.
 *
 * Usage:
 *
 *   cookie = iommu_dma_domain_alloc(iommu, dev);   DMA or DMA_FQ domain
 *                                                   (iommu.dma_invalidation),
 *                                                   attached to @dev's RID
 *   dma = iommu_dma_map_page(dev, page, off, len, DMA_BIDIRECTIONAL);
 *   iommu_dma_read(dev, IOMMU_NO_PASID, dma, &v);  the device's DMA (core)
 *   iommu_dma_unmap_page(dev, dma, len, DMA_BIDIRECTIONAL);
 *   iommu_dma_domain_free(cookie);                  stops the flush-queue
 *                                                   timer, flushes, drops
 *                                                   what is still queued
 */
#ifndef SECMMU_IOMMU_DMA_IOMMU_H
#define SECMMU_IOMMU_DMA_IOMMU_H

#include "iommu/io-pgtable.h"
#include "iommu/iommu.h"
#include "iommu/iova.h"

typedef unsigned long dma_addr_t;

#define DMA_MAPPING_ERROR (~(dma_addr_t)0)

enum dma_data_direction {
	DMA_BIDIRECTIONAL = 0,
	DMA_TO_DEVICE = 1, /* the device reads */
	DMA_FROM_DEVICE = 2, /* the device writes */
	DMA_NONE = 3,
};

/* values of iommu.dma_invalidation */
enum iommu_dma_invalidation {
	IOMMU_DMA_STRICT,
	IOMMU_DMA_DEFERRED,
};

/* entries of the flush queue ring; one slot stays empty (Linux: 256) */
#define IOVA_FQ_SIZE 256
/* IOVA_FQ_TIMEOUT (10 ms in Linux) as world steps */
#define IOVA_FQ_TIMEOUT_STEPS 200

/*
 * The IOVA space of a DMA domain: the device's DMA mask is 32 bits and
 * the allocator hands out the top DMA_IOVA_PAGES pages below it, which
 * the checker tracks page by page.
 */
#define DMA_IOVA_LIMIT_PFN ((1UL << (32 - PAGE_SHIFT)) - 1)
#define DMA_IOVA_PAGES 1024UL
#define DMA_IOVA_START_PFN (DMA_IOVA_LIMIT_PFN + 1 - DMA_IOVA_PAGES)
#define DMA_IOVA_MAX_RANGES 1024U

/**
 * struct iova_fq_entry - one queued unmap
 * @iova_pfn, @pages: the IOVA range to free after the flush
 * @page: the buffer's reference to drop after the flush
 * @counter: fq_flush_start_cnt when queued: freeable once a flush that
 *	started later has finished
 * @unmap_step: world step at which the unmap was queued (window stats)
 */
struct iova_fq_entry {
	unsigned long iova_pfn;
	unsigned long pages;
	struct page *page;
	unsigned long counter;
	unsigned long unmap_step;
};

/* the flush queue: a ring under "iova_fq->lock" */
struct iova_fq {
	spinlock_t lock;
	unsigned int head, tail;
	struct iova_fq_entry entries[IOVA_FQ_SIZE];
};

/* the checker's view of one IOVA page */
enum dma_iova_state {
	DMA_IOVA_FREE = 0, /* never mapped */
	DMA_IOVA_MAPPED, /* dma_map_page() made it */
	DMA_IOVA_UNMAPPING, /* dma_unmap_page() in flight */
	DMA_IOVA_UNMAPPED, /* dma_unmap_page() returned */
};

/**
 * struct dma_iova_track - the DMA API's promise for one IOVA page
 * @state: enum dma_iova_state (atomic)
 * @pfn: the frame of the current (or last) mapping
 * @old_pfn: the frame of the mapping before that (IOVA reuse)
 * @unmap_step: when the last dma_unmap_page() of it returned
 * @unmap_agent: who called it
 * @reported: an access after unmap was reported for this page already
 */
struct dma_iova_track {
	int state;
	unsigned long pfn;
	unsigned long old_pfn;
	unsigned long unmap_step;
	int unmap_agent;
	bool reported;
};

/* exposure windows (unmap return -> IOTLB flush done), in steps */
struct dma_windows {
	unsigned long *v;
	unsigned long nr, cap;
};

/**
 * struct iommu_dma_cookie - a DMA-API domain (drivers/iommu/dma-iommu.c)
 * @domain: the IOMMU domain (IOMMU_DOMAIN_DMA or IOMMU_DOMAIN_DMA_FQ)
 * @dev: the device attached to it (requests without PASID)
 * @iop: the domain's page table
 * @iovad: its IOVA allocator
 * @deferred: unmaps go through the flush queue (lazy invalidation)
 * @fq: the flush queue; @fq_flush_start_cnt/@fq_flush_finish_cnt count
 *	domain-wide flushes started and finished (atomic)
 * @fq_timer_on: the timer is armed (atomic); @fq_timer_armed_step when
 * @fq_timeout: the timeout in world steps
 * @fq_timer_wq: the timer agent sleeps here while disarmed
 * @fq_timer_stop: iommu_dma_domain_free() asks the timer agent to exit
 * @fq_timer: the timer agent ("fq-timer"), NULL in strict mode
 * @track: per IOVA page of [DMA_IOVA_START_PFN, DMA_IOVA_LIMIT_PFN]
 * @windows: optional exposure-window samples (benchmarks)
 * @nr_*: statistics (atomic)
 */
struct iommu_dma_cookie {
	struct iommu_domain *domain;
	struct pci_dev *dev;
	struct io_pgtable iop;
	struct iova_domain iovad;
	bool deferred;

	struct iova_fq fq;
	unsigned long fq_flush_start_cnt;
	unsigned long fq_flush_finish_cnt;
	unsigned long fq_last_finish_step;
	int fq_timer_on;
	unsigned long fq_timer_armed_step;
	unsigned long fq_timeout;
	wait_queue_head_t fq_timer_wq;
	bool fq_timer_stop;
	struct agent *fq_timer;

	struct dma_iova_track track[DMA_IOVA_PAGES];
	struct dma_windows windows;

	unsigned long nr_maps, nr_unmaps, nr_map_errors;
	unsigned long nr_fq_flushes, nr_fq_full_flushes, nr_fq_timeout_flushes;
	unsigned long nr_iotlb_syncs;
	unsigned long nr_after_unmap;
	unsigned long max_window;
};

/**
 * iommu_dma_domain_alloc - a DMA-API domain for @dev's requests
 * @iommu: the IOMMU
 * @dev: the device; attached to the new domain
 *
 * The domain is IOMMU_DOMAIN_DMA_FQ (deferred) or IOMMU_DOMAIN_DMA
 * (strict) after the policy's iommu.dma_invalidation.  Deferred mode
 * starts the flush-queue timer agent.  Call from setup or an agent.
 * Returns the cookie or NULL.
 */
struct iommu_dma_cookie *iommu_dma_domain_alloc(struct iommu *iommu,
						struct pci_dev *dev);

/*
 * Deferred mode: start the flush-queue timer agent ("fq-timer"); from
 * setup or an agent.  Without it only a full queue (or the domain's
 * teardown) flushes.  0, or -EBUSY/-ENOMEM.
 */
int iommu_dma_init_fq(struct iommu_dma_cookie *cookie);

/**
 * iommu_dma_domain_free - tear the domain down
 *
 * Stops the timer agent and waits for it (del_timer_sync), flushes the
 * IOTLB, frees what the queue still holds and detaches the device.
 * Call from an agent (it joins the timer) once no DMA API call of the
 * domain runs.
 */
void iommu_dma_domain_free(struct iommu_dma_cookie *cookie);

/* the cookie of @dev's DMA domain, NULL if it has none */
struct iommu_dma_cookie *dev_dma_cookie(struct pci_dev *dev);

/**
 * iommu_dma_map_page - dma_map_page(): map @size bytes at @offset of @page
 *	for @dev
 * @dir: DMA_TO_DEVICE (the device reads), DMA_FROM_DEVICE (writes) or
 *	DMA_BIDIRECTIONAL
 *
 * Takes a reference on @page (the buffer stays allocated while mapped),
 * allocates an IOVA and maps it.  Returns the DMA address, or
 * DMA_MAPPING_ERROR (bad arguments, IOVA space exhausted).
 */
dma_addr_t iommu_dma_map_page(struct pci_dev *dev, struct page *page,
			      unsigned long offset, size_t size,
			      enum dma_data_direction dir);

/**
 * iommu_dma_unmap_page - dma_unmap_page()
 *
 * Unmaps the IOVA range, then: strict: syncs the IOTLB, frees the IOVA
 * and drops the page reference before returning; deferred: queues IOVA
 * and page on the flush queue (a full queue flushes first) and arms the
 * timer.  From its return on, a device access through a translation of
 * this mapping is "dma-after-unmap".
 */
void iommu_dma_unmap_page(struct pci_dev *dev, dma_addr_t dma_addr, size_t size,
			  enum dma_data_direction dir);

/*
 * iommu_map / iommu_unmap on a DMA domain (Linux's are in iommu.c):
 * 0 or -errno; bytes unmapped, the IOTLB synced.  iommu_unmap_fast
 * leaves the sync to the caller (@gather).
 */
int iommu_map(struct iommu_domain *domain, unsigned long iova,
	      unsigned long paddr, size_t size, int prot);
size_t iommu_unmap_fast(struct iommu_domain *domain, unsigned long iova,
			size_t size, struct iommu_iotlb_gather *gather);
size_t iommu_unmap(struct iommu_domain *domain, unsigned long iova,
		   size_t size);
void iommu_iotlb_sync(struct iommu_domain *domain,
		      struct iommu_iotlb_gather *gather);
/* the flush-queue flush: every IOTLB and ATC entry of the domain */
void iommu_dma_flush_iotlb_all(struct iommu_domain *domain);

/* record exposure windows (up to @cap samples) for benchmarks */
void iommu_dma_record_windows(struct iommu_dma_cookie *cookie,
			      unsigned long cap);

/* entries waiting in the flush queue (under its lock) */
unsigned int iommu_dma_fq_len(struct iommu_dma_cookie *cookie);

/*
 * End-of-run check (no agent running, after iommu_dma_domain_free):
 * nothing left mapped or queued.  Reports "dma-leak"; returns the number
 * of reports.
 */
unsigned long iommu_dma_check_quiescent(struct iommu_dma_cookie *cookie);

#endif
