/* SPDX-License-Identifier: MIT */
/*
 * The IOMMU core: one IOMMU unit with its IOTLB, domains, PCI devices with
 * an ATS device TLB (ATC), DMA by devices, translation faults and the page
 * request plumbing.
 *
 * Models drivers/iommu/iommu.c (domains, attach to a device or to a
 * device's PASID, the global PASID allocator, the fault reporting and
 * page response entry points) and the hardware: the IOMMU's IOTLB tagged
 * by (domain id, PASID, page), the PCIe ATS device TLB tagged by (PASID,
 * page), PRI page requests.  See iommu.c for what is simplified and the
 * lock order.
 *
 * API summary (the contract shared by iommu-sva.c and dma-iommu.c):
 *
 *   iommu_get(mmw)                     the world's IOMMU (made lazily)
 *   iommu_domain_alloc / _free         a domain with ops->iova_to_phys
 *   pci_dev_add(iommu, name, ats, pri) a device on that IOMMU
 *   iommu_attach_device / _detach      the device's RID (IOMMU_NO_PASID)
 *   iommu_attach_device_pasid / _detach_device_pasid / _block_device_pasid
 *   iommu_flush_iotlb_range / _domain / _all, iommu_flush_dev_iotlb,
 *   iommu_domain_flush_range           invalidation (counted in ->stats)
 *   iommu_dma_access / iommu_dma_read / iommu_dma_write
 *                                      one 8-byte DMA: ATC -> IOTLB ->
 *                                      walk -> fill, checked on every hit;
 *                                      a fault with PRI becomes a page
 *                                      request the device waits on
 *   iommu_register_device_fault_handler, iommu_report_device_fault,
 *   iommu_page_response               page request delivery and answer
 *   iommu_check_quiescent              end-of-run check of every entry
 *
 * Reports (kind in quotes): "stale-iotlb" / "stale-atc" (a hit on a frame
 * freed since the fill), "iotlb-coherence" (at quiescence, an entry the
 * domain's tables no longer back, or more permissive than them),
 * "device-failure" (a device exceeded iommu.refault_limit page requests
 * answered success for one access), "dma-after-unbind" (DMA tagged with a
 * PASID that was unbound from the device).
 */
#ifndef SECMMU_IOMMU_IOMMU_H
#define SECMMU_IOMMU_IOMMU_H

#include <errno.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/locking.h"
#include "mm/mm_types.h"

#define IOMMU_NO_PASID 0U /* requests without a PASID (include/linux/iommu.h) */
#define IOMMU_MAX_PASID 64U /* PASIDs 1 .. 63 can be allocated */
#define IOMMU_IOTLB_ENTRIES 32
#define DEV_ATC_ENTRIES 16
#define DEV_MAX_PASIDS 8 /* PASID table entries per device */
#define DEV_MAX_PRG 8 /* outstanding page request groups per device */
#define IOMMU_MAX_DEVICES 8
#define IOMMU_MAX_DID 1024 /* domain ids 1 .. 1023 */

/* a flush whose end is this covers the whole PASID / domain */
#define IOMMU_FLUSH_ALL (~0UL)
/* page-selective invalidation up to this many pages, else PASID-wide */
#define IOMMU_FLUSH_CEILING 16

struct iommu;
struct iommu_domain;
struct pci_dev;
struct iommu_fault;

enum iommu_domain_type {
	IOMMU_DOMAIN_BLOCKED,
	IOMMU_DOMAIN_IDENTITY,
	IOMMU_DOMAIN_UNMANAGED,
	IOMMU_DOMAIN_DMA,
	IOMMU_DOMAIN_DMA_FQ,
	IOMMU_DOMAIN_SVA,
};

/**
 * struct iommu_walk_result - what a translation walk found
 * @pfn: the frame
 * @gen: the frame's generation when the walk read the entry
 * @writable: the tables allow writes
 * @clean: the tables do not record the page as written (an SVA walk for a
 *	read of a clean PTE): a later write through the cached entry walks
 *	again to set the dirty bit, as the CPU does.  Domains without dirty
 *	tracking leave it false.
 */
struct iommu_walk_result {
	unsigned long pfn;
	unsigned long gen;
	bool writable;
	bool clean;
};

/**
 * struct iommu_domain_ops - a domain's translation
 * @iova_to_phys: the walk made on an IOTLB miss, by the IOMMU, with
 *	iommu->lock held (may have schedule points, may not sleep).  Returns
 *	0 with @out filled, -ENOENT if nothing is mapped at @iova, -EACCES
 *	if a write is not allowed.  SVA domains walk their mm's CPU page
 *	tables (setting the accessed/dirty bits as the IOMMU does); DMA
 *	domains walk their io-pgtable.
 * @iova_to_phys_peek: optional; the same lookup for the checker: no
 *	schedule point, no side effect, outside agents or under any lock.
 *	Used by iommu_check_quiescent().
 * @check_hit: optional; called on every IOTLB or ATC hit (under the lock
 *	of that cache) so the domain can add its own checks (the DMA API's
 *	"access after unmap returned").  @atc: the hit was in the device TLB.
 * @free: optional; iommu_domain_free() calls it last.
 * @dma_access: optional; called after each access of a request without
 *	PASID reached frame @pfn (under the lock of the translation used),
 *	so the domain's owner can tell the value oracle what its contract
 *	says (VFIO: the device writes the pinned frame)
 */
struct iommu_domain_ops {
	int (*iova_to_phys)(struct iommu_domain *domain, uint32_t pasid,
			    unsigned long iova, bool write,
			    struct iommu_walk_result *out);
	int (*iova_to_phys_peek)(struct iommu_domain *domain, uint32_t pasid,
				 unsigned long iova,
				 struct iommu_walk_result *out);
	void (*check_hit)(struct iommu_domain *domain, struct pci_dev *dev,
			  uint32_t pasid, unsigned long iova, bool write,
			  unsigned long pfn, bool atc);
	void (*free)(struct iommu_domain *domain);
	void (*dma_access)(struct iommu_domain *domain, unsigned long iova,
			   unsigned long pfn, bool write, uint64_t val);
};

/**
 * struct iommu_domain - a translation context
 * @type: IOMMU_DOMAIN_*
 * @id: the domain id (DID) that tags its IOTLB entries, > 0
 * @ops: its translation
 * @iommu: the IOMMU it belongs to
 * @mm: SVA: the address space whose page tables it shares
 * @priv: the owner's (io-pgtable, SVA bond list, ...)
 * @name: for reports
 * @noncoherent: the domain lets devices DMA with no-snoop (it does not
 *	enforce cache coherency): their accesses bypass the CPU cache
 *	(src/phys/cache.h).  Set by the owner before a device uses it.
 */
struct iommu_domain {
	enum iommu_domain_type type;
	unsigned int id;
	const struct iommu_domain_ops *ops;
	struct iommu *iommu;
	struct mm_struct *mm;
	void *priv;
	const char *name;
	bool noncoherent;
};

/**
 * struct iotlb_entry - one cached translation of the IOMMU
 * @vpn: the page (iova >> PAGE_SHIFT)
 * @pfn: the frame
 * @gen: the frame's generation at fill time
 * @fill_step, @fill_agent: when and by whom it was filled (reports)
 * @did, @pasid: the tag, with @vpn
 * @valid, @writable: state and cached permission
 * @clean: filled from a clean PTE: a write walks again (sets dirty)
 * @reported: a stale use was reported already
 */
struct iotlb_entry {
	unsigned long vpn;
	unsigned long pfn;
	unsigned long gen;
	unsigned long fill_step;
	unsigned int did;
	uint32_t pasid;
	short fill_agent;
	bool valid;
	bool writable;
	bool clean;
	bool reported;
};

/* statistics; updated with atomic adds (several agents may DMA at once) */
struct iommu_stats {
	unsigned long inv_cmds; /* IOTLB invalidation commands issued */
	unsigned long inv_pages; /* pages named by page-selective ones */
	unsigned long inv_all; /* PASID-, domain- or IOMMU-wide ones */
	unsigned long inv_entries; /* IOTLB entries actually dropped */
	unsigned long dev_inv_cmds; /* ATS invalidation requests */
	unsigned long dev_inv_pages;
	unsigned long iotlb_hits, iotlb_misses, walks;
	unsigned long atc_hits, atc_misses;
	unsigned long faults; /* translation faults */
	unsigned long page_requests; /* PRI requests reported */
	unsigned long refaults; /* requests answered success that faulted again */
	unsigned long resp_success, resp_invalid;
};

/*
 * Which driver's SVA notifier glue the IOMMU uses (iommu-sva.c): Intel's
 * (6.6 intel/svm.c, the default) or the AMD IOMMUv2 driver's, which
 * before 3.19 had no ->invalidate_range() and bracketed invalidations
 * with an empty page table instead.
 */
enum iommu_vendor {
	IOMMU_VENDOR_INTEL = 0,
	IOMMU_VENDOR_AMD_V2,
};

/**
 * struct iommu - one IOMMU unit (DMAR unit, SMMU, AMD IOMMU)
 * @mmw: the world's mm state (physical memory, the world)
 * @lock: "iommu->lock": guards the IOTLB, every PASID table and the PASID
 *	allocator; held across a walk and its fill
 * @iotlb: the IOTLB (FIFO replacement, @iotlb_next the cursor)
 * @pasid_used: bitmap of allocated global PASIDs (bit 0: IOMMU_NO_PASID)
 * @devices: attached PCI devices, @nr_devices of them
 * @sva, @iopf: iommu-sva.c's and io-pgfault.c's per-IOMMU state
 * @stats: counters for benchmarks
 * @vendor: whose SVA glue (set before the first bind)
 */
struct iommu {
	struct mm_world *mmw;
	struct world *w;
	enum iommu_vendor vendor;
	spinlock_t lock;
	struct iotlb_entry iotlb[IOMMU_IOTLB_ENTRIES];
	unsigned int iotlb_next;
	unsigned int next_did;
	uint64_t pasid_used;
	struct pci_dev *devices[IOMMU_MAX_DEVICES];
	int nr_devices;
	void *sva;
	void *iopf;
	struct iommu_stats stats;
};

/* one ATS device TLB entry: tagged by (PASID, page) */
struct atc_entry {
	unsigned long vpn;
	unsigned long pfn;
	unsigned long gen;
	unsigned long fill_step;
	uint32_t pasid;
	short fill_agent;
	bool valid;
	bool writable;
	bool clean;
	bool reported;
};

enum dev_pasid_state {
	DEV_PASID_FREE = 0,
	DEV_PASID_ACTIVE, /* translates through @domain */
	DEV_PASID_BLOCKED, /* torn down (mm released): DMA faults, no PRI */
	DEV_PASID_UNBOUND, /* detached: DMA with it is reported */
};

/* one entry of the device's PASID table (Intel's per-device table) */
struct dev_pasid {
	uint32_t pasid;
	enum dev_pasid_state state;
	struct iommu_domain *domain;
	unsigned long unbind_step;
};

/* ---- page requests (include/linux/iommu.h) ---- */

#define IOMMU_FAULT_PERM_READ (1 << 0)
#define IOMMU_FAULT_PERM_WRITE (1 << 1)

#define IOMMU_FAULT_PAGE_REQUEST_PASID_VALID (1 << 0)
#define IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE (1 << 1)

enum iommu_fault_type {
	IOMMU_FAULT_DMA_UNRECOV = 1,
	IOMMU_FAULT_PAGE_REQ,
};

/**
 * struct iommu_fault_page_request - one PRI page request
 * @flags: IOMMU_FAULT_PAGE_REQUEST_*
 * @pasid: the PASID the device used
 * @grpid: page request group index (the device's slot)
 * @perm: IOMMU_FAULT_PERM_*
 * @addr: the page address
 */
struct iommu_fault_page_request {
	uint32_t flags;
	uint32_t pasid;
	uint32_t grpid;
	uint32_t perm;
	unsigned long addr;
};

struct iommu_fault {
	enum iommu_fault_type type;
	struct iommu_fault_page_request prm;
};

enum iommu_page_response_code {
	IOMMU_PAGE_RESP_SUCCESS = 0,
	IOMMU_PAGE_RESP_INVALID,
	IOMMU_PAGE_RESP_FAILURE,
};

struct iommu_page_response {
	uint32_t pasid;
	uint32_t grpid;
	enum iommu_page_response_code code;
};

/* a page request handler (io-pgfault.c's iommu_queue_iopf) */
typedef int (*iommu_dev_fault_handler_t)(struct iommu_fault *fault,
					 struct pci_dev *dev, void *data);

/* the device side of one outstanding page request group */
struct dev_prg {
	bool in_use;
	bool responded;
	enum iommu_page_response_code code;
	unsigned long sent_step;
};

/**
 * struct pci_dev - a PCIe device behind the IOMMU
 * @iommu: its IOMMU
 * @name: for reports
 * @ats_enabled: it caches translations in its ATC (ATS)
 * @pri_enabled: it sends page requests on translation faults (PRI)
 * @pasid_enabled: it tags requests with PASIDs
 * @atc_lock: "pci_dev->atc_lock": the device's translation engine; held
 *	for the whole of one DMA access (ATC lookup, translation request,
 *	fill, the memory access) and by an ATS invalidation, so an
 *	invalidation completes between two accesses, never inside one (the
 *	PCIe rule that an invalidation completion follows the translation
 *	completions in flight)
 * @atc: the device TLB (FIFO, @atc_next the cursor)
 * @domain: the domain of requests without PASID (under iommu->lock)
 * @pasids: the PASID table (under iommu->lock)
 * @fault_handler, @fault_data: iommu_register_device_fault_handler()
 * @prq_lock: "pci_dev->prq_lock" (leaf): guards @prg
 * @prg: outstanding page request groups; @prq_wq wakes their waiters
 * @failed: the device gave up (refault limit): every DMA returns -EIO
 * @nr_*: statistics (atomic)
 */
struct pci_dev {
	struct iommu *iommu;
	const char *name;
	int id;
	bool ats_enabled;
	bool pri_enabled;
	bool pasid_enabled;
	spinlock_t atc_lock;
	struct atc_entry atc[DEV_ATC_ENTRIES];
	unsigned int atc_next;
	struct iommu_domain *domain;
	struct dev_pasid pasids[DEV_MAX_PASIDS];
	iommu_dev_fault_handler_t fault_handler;
	void *fault_data;
	spinlock_t prq_lock;
	struct dev_prg prg[DEV_MAX_PRG];
	wait_queue_head_t prq_wq;
	bool failed;
	unsigned long nr_dma, nr_faults, nr_page_requests, nr_refaults;
	unsigned long max_refaults; /* most refaults of one access */
	unsigned long prq_wait_steps; /* world steps spent waiting on PRGs */
};

/* ---- the IOMMU, domains, devices ---- */

struct iommu *iommu_get(struct mm_world *mmw);

struct iommu_domain *iommu_domain_alloc(struct iommu *iommu,
					enum iommu_domain_type type,
					const struct iommu_domain_ops *ops,
					void *priv);
void iommu_domain_free(struct iommu_domain *domain);

struct pci_dev *pci_dev_add(struct iommu *iommu, const char *name, bool ats,
			    bool pri);

int iommu_attach_device(struct iommu_domain *domain, struct pci_dev *dev);
void iommu_detach_device(struct iommu_domain *domain, struct pci_dev *dev);
int iommu_attach_device_pasid(struct iommu_domain *domain, struct pci_dev *dev,
			      uint32_t pasid);
void iommu_detach_device_pasid(struct iommu_domain *domain, struct pci_dev *dev,
			       uint32_t pasid);
void iommu_block_device_pasid(struct pci_dev *dev, uint32_t pasid);
struct iommu_domain *iommu_get_domain_for_dev_pasid(struct pci_dev *dev,
						    uint32_t pasid);

/* the global PASID space (iommu_alloc_global_pasid): lowest free first */
uint32_t iommu_alloc_global_pasid(struct iommu *iommu);
void iommu_free_global_pasid(struct iommu *iommu, uint32_t pasid);

/* ---- invalidation ---- */

void iommu_flush_iotlb_range(struct iommu *iommu, unsigned int did,
			     uint32_t pasid, unsigned long start,
			     unsigned long end);
void iommu_flush_iotlb_domain(struct iommu *iommu, unsigned int did);
void iommu_flush_iotlb_all(struct iommu *iommu);
void iommu_flush_dev_iotlb(struct pci_dev *dev, uint32_t pasid,
			   unsigned long start, unsigned long end);
void iommu_domain_flush_range(struct iommu_domain *domain, uint32_t pasid,
			      unsigned long start, unsigned long end);

/* ---- DMA ---- */

int iommu_dma_access(struct pci_dev *dev, uint32_t pasid, unsigned long addr,
		     bool write, uint64_t *val);
int iommu_dma_read(struct pci_dev *dev, uint32_t pasid, unsigned long addr,
		   uint64_t *val);
int iommu_dma_write(struct pci_dev *dev, uint32_t pasid, unsigned long addr,
		    uint64_t val);

/* ---- faults and page requests ---- */

int iommu_register_device_fault_handler(struct pci_dev *dev,
					iommu_dev_fault_handler_t handler,
					void *data);
int iommu_unregister_device_fault_handler(struct pci_dev *dev);
int iommu_report_device_fault(struct pci_dev *dev, struct iommu_fault *fault);
int iommu_page_response(struct pci_dev *dev, struct iommu_page_response *msg);

/* ---- lookups for tests and the checker (no schedule points) ---- */

struct iotlb_entry *iommu_iotlb_peek(struct iommu *iommu, unsigned int did,
				     uint32_t pasid, unsigned long iova);
struct atc_entry *dev_atc_peek(struct pci_dev *dev, uint32_t pasid,
			       unsigned long iova);
unsigned int iommu_iotlb_nr_valid(struct iommu *iommu);
unsigned int dev_atc_nr_valid(struct pci_dev *dev);

unsigned long iommu_check_quiescent(struct iommu *iommu);

#endif
