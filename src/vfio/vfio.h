/* SPDX-License-Identifier: MIT */
/*
 * VFIO type1: a container (struct vfio_iommu) of IOMMU groups that share
 * user DMA mappings of pinned process memory.  See vfio_iommu_type1.c for
 * what is modeled, what is simplified and the lock order.
 *
 * The uAPI keeps Linux's numbers and errnos (include/uapi/linux/vfio.h);
 * an ioctl's argument is the struct itself, `current` is a struct
 * vfio_task naming the calling process's mm, its RLIMIT_MEMLOCK and
 * CAP_IPC_LOCK.
 *
 *   iommu = vfio_iommu_type1_open(mmw, VFIO_TYPE1v2_IOMMU, &err);
 *   grp = vfio_group_add(mmw, "nic", coherent);       a group, one device
 *   vfio_iommu_type1_attach_group(iommu, grp);          domain + replay
 *   vfio_iommu_type1_ioctl(iommu, &task, VFIO_IOMMU_MAP_DMA, &map);
 *   iommu_dma_read(grp->dev, IOMMU_NO_PASID, iova, &v); the device's DMA
 *   vfio_iommu_type1_ioctl(iommu, &task, VFIO_IOMMU_UNMAP_DMA, &unmap);
 *   vfio_iommu_type1_release(iommu);
 */
#ifndef SECMMU_VFIO_VFIO_H
#define SECMMU_VFIO_VFIO_H

#include <stdbool.h>
#include <stdint.h>

#include "iommu/io-pgtable.h"
#include "iommu/iommu.h"
#include "mm/mm.h"

/* ---- uAPI (include/uapi/linux/vfio.h) ---- */

#define VFIO_TYPE1_IOMMU 1
#define VFIO_TYPE1v2_IOMMU 3
#define VFIO_DMA_CC_IOMMU 4
#define VFIO_UNMAP_ALL 9
#define VFIO_UPDATE_VADDR 10

/* ioctl numbers: _IO(VFIO_TYPE, VFIO_BASE + n) */
#define VFIO_CHECK_EXTENSION 0x3b65
#define VFIO_IOMMU_MAP_DMA 0x3b71
#define VFIO_IOMMU_UNMAP_DMA 0x3b72
#define VFIO_IOMMU_DIRTY_PAGES 0x3b75

#define VFIO_DMA_MAP_FLAG_READ (1 << 0)
#define VFIO_DMA_MAP_FLAG_WRITE (1 << 1)
#define VFIO_DMA_MAP_FLAG_VADDR (1 << 2)

#define VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP (1 << 0)
#define VFIO_DMA_UNMAP_FLAG_ALL (1 << 1)
#define VFIO_DMA_UNMAP_FLAG_VADDR (1 << 2)

#define VFIO_IOMMU_DIRTY_PAGES_FLAG_START (1 << 0)
#define VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP (1 << 1)
#define VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP (1 << 2)

struct vfio_iommu_type1_dma_map {
	uint32_t argsz;
	uint32_t flags;
	uint64_t vaddr;
	uint64_t iova;
	uint64_t size;
};

/* @data: the user's bitmap (NULL fails access_ok()) */
struct vfio_bitmap {
	uint64_t pgsize;
	uint64_t size; /* bytes of @data */
	uint64_t *data;
};

/* @bitmap follows for VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP */
struct vfio_iommu_type1_dma_unmap {
	uint32_t argsz;
	uint32_t flags;
	uint64_t iova;
	uint64_t size;
	struct vfio_bitmap bitmap;
};

struct vfio_iommu_type1_dirty_bitmap_get {
	uint64_t iova;
	uint64_t size;
	struct vfio_bitmap bitmap;
};

struct vfio_iommu_type1_dirty_bitmap {
	uint32_t argsz;
	uint32_t flags;
	struct vfio_iommu_type1_dirty_bitmap_get range;
};

#define VFIO_DMA_MAP_MINSZ 32 /* offsetofend(dma_map, size) */
#define VFIO_DMA_UNMAP_MINSZ 24 /* offsetofend(dma_unmap, size) */
#define VFIO_DIRTY_MINSZ 8 /* offsetofend(dirty_bitmap, flags) */
#define VFIO_BITMAP_SZ 24 /* sizeof(struct vfio_bitmap) */
#define VFIO_DIRTY_GET_SZ 40 /* sizeof(dirty_bitmap_get) */

/* module parameter dma_entry_limit (U16_MAX) */
#define VFIO_DMA_ENTRY_LIMIT 65535U
#define VFIO_IOMMU_TLB_SYNC_MAX 512
#define VFIO_BATCH_MAX_CAPACITY (PAGE_SIZE / sizeof(struct page *))
#define VFIO_MAX_DOMAINS 8
#define VFIO_MAX_GROUPS 8
#define RLIM_INFINITY (~0UL)

/* ---- the model's `current` ---- */

/**
 * struct vfio_task - the process making an ioctl
 * @mm: its address space (current->mm)
 * @rlimit_memlock: RLIMIT_MEMLOCK in pages (RLIM_INFINITY: none)
 * @cap_ipc_lock: capable(CAP_IPC_LOCK): no limit on locked_vm
 */
struct vfio_task {
	struct mm_struct *mm;
	unsigned long rlimit_memlock;
	bool cap_ipc_lock;
};

/* ---- kernel objects ---- */

struct vfio_iommu;
struct vfio_domain;

/**
 * struct vfio_group - an IOMMU group with one PCI device
 * @name: its name (the device's)
 * @dev: the device, behind the world's IOMMU (no ATS, no PRI)
 * @coherent: the IOMMU can enforce snooping for it
 *	(ops->enforce_cache_coherency succeeds); false: the device may DMA
 *	with no-snoop, past the CPU cache
 * @map_fail_at: fault injection: iommu_map() into a domain created for
 *	this group fails with -ENOMEM once the domain maps this many pages
 *	(0: never), standing for a page-table allocation failure
 * @fgsp_quirk: the IOMMU driver's CPU touches (stores to) the probe pages
 *	of vfio_test_domain_fgsp() while they are mapped: the case Yan Zhao
 *	raised for its second flush
 * @ops_id: stands for the IOMMU driver (iommu_ops) behind the group:
 *	groups of different ones never share a domain (0 for all by default)
 * @container: the container it is attached to, or NULL
 */
struct vfio_group {
	const char *name;
	struct pci_dev *dev;
	bool coherent;
	bool fgsp_quirk;
	int ops_id;
	unsigned long map_fail_at;
	struct vfio_iommu *container;
};

/**
 * struct vfio_domain - one IOMMU domain of a container
 * @domain: the IOMMU domain (IOMMU_DOMAIN_UNMANAGED)
 * @iop: its page table
 * @groups: attached groups (group_list)
 * @enforce_cache_coherency: set when the domain blocks no-snoop
 * @nr_mapped: pages mapped (for @map_fail_at)
 */
struct vfio_domain {
	struct iommu_domain *domain;
	struct io_pgtable iop;
	struct vfio_group *groups[VFIO_MAX_GROUPS];
	int nr_groups;
	bool enforce_cache_coherency;
	unsigned long nr_mapped;
	unsigned long map_fail_at;
	bool fgsp_quirk;
	int ops_id;
	struct vfio_iommu *iommu;
};

/**
 * struct vfio_dma - one user mapping (never overlapping another)
 * @iova, @vaddr, @size: device address, process address, bytes mapped
 * @prot: IOMMU_READ | IOMMU_WRITE
 * @iommu_mapped: in every domain (pinned); false while the container has
 *	no domain (nothing pinned then)
 * @lock_cap, @task, @mm: whose locked_vm is charged
 * @vaddr_invalid: VFIO_DMA_UNMAP_FLAG_VADDR made @vaddr invalid
 * @cache_flush_required: the 2024 series' flag: pages need a CPU cache
 *	flush when mapped into a first non-coherent domain and when unpinned
 * @locked_vm: pages charged to @mm
 * @bitmap: dirty tracking is on for it
 */
struct vfio_dma {
	unsigned long iova;
	unsigned long vaddr;
	unsigned long size;
	int prot;
	bool iommu_mapped;
	bool lock_cap;
	bool vaddr_invalid;
	bool cache_flush_required;
	bool bitmap;
	struct vfio_task *task;
	struct mm_struct *mm;
	unsigned long locked_vm;
};

/* counters for benchmarks (under iommu->lock) */
struct vfio_stats {
	unsigned long maps, unmaps, pages_mapped, pages_unmapped;
	unsigned long flushes, flushed_pages, iotlb_syncs, replays;
	unsigned long replayed_pages;
};

/**
 * struct vfio_iommu - a type1 container
 * @lock: "vfio_iommu->lock" (iommu->lock in Linux): everything below
 * @domains: domain_list, newest first (list_add)
 * @dma: the vfio_dma tree as an array sorted by iova
 * @dma_avail: mappings still allowed (dma_entry_limit)
 * @vaddr_invalid_count: mappings with an invalid vaddr
 * @noncoherent_domains: domains without enforce_cache_coherency (the
 *	counter Alex Williamson asked for in the 2024 review)
 * @num_non_pinned_groups: groups that can dirty memory directly
 */
struct vfio_iommu {
	struct world *w;
	struct mm_world *mmw;
	struct iommu *hw;
	struct mutex lock;
	struct vfio_domain *domains[VFIO_MAX_DOMAINS];
	int nr_domains;
	struct vfio_dma **dma;
	int nr_dma, cap_dma;
	unsigned int dma_avail;
	unsigned int vaddr_invalid_count;
	unsigned int noncoherent_domains;
	unsigned long num_non_pinned_groups;
	unsigned long pgsize_bitmap;
	bool v2;
	bool dirty_page_tracking;
	struct vfio_stats stats;
};

/* a group with device @name on the world's IOMMU; NULL when full */
struct vfio_group *vfio_group_add(struct mm_world *mmw, const char *name,
				  bool coherent);

/* VFIO_SET_IOMMU: a container of @type; NULL with *@err = -EINVAL */
struct vfio_iommu *vfio_iommu_type1_open(struct mm_world *mmw,
					 unsigned long type, int *err);
void vfio_iommu_type1_release(struct vfio_iommu *iommu);
int vfio_iommu_type1_attach_group(struct vfio_iommu *iommu,
				  struct vfio_group *group);
void vfio_iommu_type1_detach_group(struct vfio_iommu *iommu,
				   struct vfio_group *group);

/**
 * vfio_iommu_type1_ioctl - VFIO_CHECK_EXTENSION, VFIO_IOMMU_MAP_DMA,
 *	VFIO_IOMMU_UNMAP_DMA, VFIO_IOMMU_DIRTY_PAGES
 * @task: the caller (current)
 * @arg: the extension number (CHECK_EXTENSION) or the ioctl's struct
 *
 * Returns what the ioctl returns in Linux: >= 0 or -errno; UNMAP_DMA
 * writes the size unmapped back into its struct.  Unknown ioctls:
 * -ENOTTY.
 */
long vfio_iommu_type1_ioctl(struct vfio_iommu *iommu, struct vfio_task *task,
			    unsigned int cmd, void *arg);
/* VFIO_CHECK_EXTENSION without a container (iommu NULL) too */
int vfio_iommu_type1_check_extension(struct vfio_iommu *iommu,
				     unsigned long arg);

/* the vfio_dma containing @iova, NULL if none (for tests, no lock) */
struct vfio_dma *vfio_find_dma_peek(struct vfio_iommu *iommu,
				    unsigned long iova);

#endif
