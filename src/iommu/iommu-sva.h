/* SPDX-License-Identifier: MIT */
/*
 * Shared Virtual Addressing: a device DMAs with process virtual addresses
 * tagged by the PASID of the process's mm, and the IOMMU walks the CPU
 * page tables of that mm (see iommu-sva.c).
 */
#ifndef SECMMU_IOMMU_IOMMU_SVA_H
#define SECMMU_IOMMU_IOMMU_SVA_H

#include "iommu/iommu.h"
#include "mm/mm.h"
#include "notifier/mmu_notifier.h"

#define SVA_MAX_BONDS 8

/**
 * struct intel_svm - the SVA domain of one mm on one IOMMU, with its
 *	notifier (drivers/iommu/intel/svm.c's struct intel_svm)
 * @notifier: the mmu_notifier registered on @mm
 * @mm: the address space (held with mmgrab while registered)
 * @iommu: the IOMMU
 * @domain: the IOMMU_DOMAIN_SVA domain (domain->priv is this)
 * @pasid: the mm's PASID
 * @lock: "intel_svm->lock": guards @devs (the notifier callbacks run in
 *	atomic context, so a spinlock)
 * @devs: devices attached to @pasid, @nr_devs of them
 * @start_end: registered with the pre-3.19 start/end ops
 *	(notifier.secondary_tlb_flush=none), else with
 *	arch_invalidate_secondary_tlbs
 * @notifier_count: start/end scheme only: invalidations in progress;
 *	while it is nonzero the PASID translates through an empty table
 * @wq: woken when @notifier_count drops to 0
 * @released: the mm went away (intel_mm_release ran)
 * @spurious_addr, @spurious_count, @spurious_reported: page requests in a
 *	row for one page that the page table already allowed (the iopf
 *	worker's; "iopf-livelock")
 * @nr_*: statistics
 */
struct intel_svm {
	struct mmu_notifier notifier;
	struct mm_struct *mm;
	struct iommu *iommu;
	struct iommu_domain *domain;
	uint32_t pasid;
	spinlock_t lock;
	struct pci_dev *devs[IOMMU_MAX_DEVICES];
	int nr_devs;
	bool start_end;
	int notifier_count;
	wait_queue_head_t wq;
	bool released;
	unsigned long spurious_addr;
	unsigned int spurious_count;
	bool spurious_reported;
	unsigned long nr_inv_range, nr_inv_all, nr_inv_start;
};

/**
 * struct iommu_sva - the handle iommu_sva_bind_device() returns
 * @dev: the device
 * @svm: the mm's SVA domain
 * @users: binds of this (device, mm) pair
 */
struct iommu_sva {
	struct pci_dev *dev;
	struct intel_svm *svm;
	int users;
};

/* per-IOMMU SVA state (iommu->sva) */
struct iommu_sva_state {
	struct mutex lock; /* "iommu_sva_lock" */
	struct intel_svm *svms[SVA_MAX_BONDS];
	struct iommu_sva handles[SVA_MAX_BONDS];
};

struct iommu_sva *iommu_sva_bind_device(struct pci_dev *dev,
					struct mm_struct *mm);
void iommu_sva_unbind_device(struct iommu_sva *handle);
uint32_t iommu_sva_get_pasid(struct iommu_sva *handle);

/* io-pgfault.c calls this for a page request on an SVA domain */
enum iommu_page_response_code
iommu_sva_handle_iopf(struct iommu_fault *fault, struct iommu_domain *domain);

/* the SVA domain's walk of the CPU page tables, for the checker too */
int sva_peek_pte(struct mm_struct *mm, unsigned long va, pte_t *out);

/**
 * mmu_notifier_invalidate_secondary_upgrade - a PTE of @vma became more
 *	permissive (read-only to writable)
 *
 * With iommu.invalidate_on_upgrade (6.6+), secondary TLBs that cache
 * permissions are told, as arm64's flush in ptep_set_access_flags() and
 * in mprotect does through arch_invalidate_secondary_tlbs (not under
 * notifier.secondary_tlb_flush=none, where nothing calls that).  Called
 * with the PTL held.  Defined in iommu-sva.c.
 */
void mmu_notifier_invalidate_secondary_upgrade(struct vm_area_struct *vma,
					       unsigned long start,
					       unsigned long end);

#endif
