// SPDX-License-Identifier: MIT
/*
 * VFIO type1: user DMA mappings of pinned process memory, shared by the
 * IOMMU domains of a container, and the CPU cache flushes a non-coherent
 * domain needs.
 *
 * Models drivers/vfio/vfio_iommu_type1.c: struct vfio_iommu with its
 * domain_list, the vfio_dma tree (never overlapping), dma_avail
 * (dma_entry_limit), v2 semantics, vfio_dma_do_map / vfio_dma_do_unmap
 * with their errnos, VFIO_DMA_MAP_FLAG_VADDR / VFIO_DMA_UNMAP_FLAG_VADDR
 * (vaddr_invalid), VFIO_DMA_UNMAP_FLAG_ALL, VFIO_IOMMU_DIRTY_PAGES,
 * VFIO_CHECK_EXTENSION; pinning (vfio_pin_pages_remote through
 * pin_user_pages_remote(FOLL_LONGTERM), vfio_batch, vfio_lock_acct
 * against RLIMIT_MEMLOCK), vfio_unmap_unpin with an iommu_iotlb_gather
 * synced before the pages are unpinned, vfio_iommu_map and the unwinds of
 * a failed map; attach/detach of groups, joining a compatible domain or
 * creating one and vfio_iommu_replay(), enforce_cache_coherency, and
 * vfio_test_domain_fgsp().  On top, the 2024 series "vfio/type1: Flush
 * CPU caches on DMA pages in non-coherent domains" (Yan Zhao) as policy
 * knobs: vfio.noncoherent_flush, vfio.cache_flush_bookkeeping,
 * vfio.fgsp_second_flush; and two what-ifs: vfio.sync_before_unpin,
 * vfio.unwind_unaccount.  The code is our own.
 *
 * Simplifications:
 *  - Groups hold one device each; no emulated (mdev) groups, so no
 *    external pinning (vfio_pin_pages), no pfn_list, no dma_unmap
 *    notifier, and the FLAG_VADDR -EBUSY with mdevs cannot happen.
 *  - One IOMMU (the world's), one page size (4 KiB): pgsize_bitmap is
 *    PAGE_SIZE.  A group's ops_id stands for its IOMMU driver's
 *    iommu_ops, so "compatible" means same ops_id and same
 *    enforce_cache_coherency.  The aperture is the io-pgtable's
 *    39-bit IOVA space; no reserved regions, no MSI cookie.
 *  - VM_PFNMAP ranges (a vfio-pci BAR mmap, peer-to-peer DMA): as in
 *    Linux, vaddr_get_pfns() falls back to follow_fault_pfn() and maps
 *    the frames unpinned and uncharged (is_invalid_reserved_pfn());
 *    follow_pfnmap_start() is PTE-level only, so a run is one page.
 *    Nothing ties the IOMMU mapping to the PTE it was read from: when
 *    vfio-pci zaps its BAR mappings (decode off, reset, D3hot) the IOVA
 *    stays mapped, and a peer's DMA reaches a device that does not
 *    decode (Linux's behaviour; see docs/vfio.md).
 *  - vfio_change_dma_owner() moves the locked_vm charge to the new mm
 *    (task and mm are the struct vfio_task's).
 *  - The vfio_dma tree is an array sorted by iova (binary search).
 *  - The series' "has_noncoherent_domain" is the noncoherent_domains
 *    counter the review asked for, kept by vfio_iommu_link_domain() and
 *    vfio_iommu_unlink_domain().
 *  - Invalid vaddrs have no waiters: as in the recent mainline, pinning
 *    paths (attach, here) fail with -EBUSY while any vaddr is invalid.
 *  - iommu_map() of a domain may be made to fail by a group's
 *    map_fail_at (fault injection for the unwind paths).
 *
 * Value oracle: a device reaching a vfio_dma follows the pinned frames,
 * not the process's VA: a process that munmaps a DMA-mapped range keeps
 * the device's view of the old pages (the frames stay pinned until the
 * unmap).  The IOMMU core checks only SVA domains against the process
 * (iommu.c dma_do_access), which is that contract.
 *
 * Lock order (outermost first):
 *
 *   vfio_iommu->lock            (iommu->lock in Linux: the container)
 *     mmap_lock                 (pinning reads; locked_vm accounting
 *                                writes; never both at once)
 *       ptdesc->ptl             (gup's follow of a PTE, follow_pfnmap)
 *       vdev->memory_lock (read) (a BAR fault from follow_fault_pfn,
 *                                 under the fault's own order)
 *     iommu->lock, pci_dev->atc_lock   (IOTLB invalidation, iommu.c)
 *     zone->lock                (unpin of a last reference)
 *     cache lock                (arch_flush_cache_phys, src/phys/cache.c)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "check/oracle.h"
#include "core/policy.h"
#include "core/trace.h"
#include "mm/gup.h"
#include "phys/cache.h"
#include "vfio/vfio.h"

#define U64_MAX (~0ULL)

static struct phys_mem *iommu_pm(struct vfio_iommu *iommu)
{
	return iommu->mmw->pm;
}

/* ---- the domain's page table (the IOMMU driver's part) ---- */

static int vfio_domain_walk(struct iommu_domain *domain, uint32_t pasid,
			    unsigned long iova, bool write,
			    struct iommu_walk_result *out, bool peek)
{
	struct vfio_domain *vd = domain->priv;
	struct io_pgtable_walk wk;
	int ret;

	if (pasid != IOMMU_NO_PASID)
		return -ENOENT;
	ret = peek ? io_pgtable_iova_to_phys_peek(&vd->iop, iova, &wk) :
		     io_pgtable_iova_to_phys(&vd->iop, iova, &wk);
	if (ret)
		return -ENOENT;
	if (write ? !(wk.prot & IOMMU_WRITE) : !(wk.prot & IOMMU_READ))
		return -EACCES;
	out->pfn = wk.pfn;
	out->gen = page_generation(pfn_to_page(iommu_pm(vd->iommu), wk.pfn));
	out->writable = wk.prot & IOMMU_WRITE;
	out->clean = false;
	return 0;
}

static int vfio_domain_iova_to_phys(struct iommu_domain *domain, uint32_t pasid,
				    unsigned long iova, bool write,
				    struct iommu_walk_result *out)
{
	return vfio_domain_walk(domain, pasid, iova, write, out, false);
}

static int vfio_domain_iova_to_phys_peek(struct iommu_domain *domain,
					 uint32_t pasid, unsigned long iova,
					 struct iommu_walk_result *out)
{
	return vfio_domain_walk(domain, pasid, iova, false, out, true);
}

static struct vfio_dma *vfio_find_dma(struct vfio_iommu *iommu,
				      unsigned long start, unsigned long size);

/*
 * The value oracle's rule for VFIO DMA: the device writes the pinned
 * frame, and the process sees it wherever its VA still maps that frame
 * (after a munmap or mremap it does not: the contract follows the frame).
 * The oracle runs only under the deterministic engine, so the container
 * is read without its lock; nothing here is a schedule point.
 */
static void vfio_domain_dma_access(struct iommu_domain *domain,
				   unsigned long iova, unsigned long pfn,
				   bool write, uint64_t val)
{
	struct vfio_domain *vd = domain->priv;
	struct vfio_iommu *iommu = vd->iommu;
	struct vfio_dma *dma;
	unsigned long va;
	pte_t pte;

	if (!write || !iommu->mmw->oracle)
		return;
	dma = vfio_find_dma(iommu, iova, 1);
	if (!dma || dma->vaddr_invalid || !dma->mm->oracle)
		return;
	va = dma->vaddr + (iova - dma->iova);
	pte = check_peek_pte(iommu->mmw, dma->mm, va);
	if (pte_present(pte) && pte_pfn(pte) == pfn)
		oracle_access(dma->mm, -1, va, true, val);
}

static const struct iommu_domain_ops vfio_domain_ops = {
	.iova_to_phys = vfio_domain_iova_to_phys,
	.iova_to_phys_peek = vfio_domain_iova_to_phys_peek,
	.dma_access = vfio_domain_dma_access,
};

/* iommu_iova_to_phys(): the frame's address, 0 when unmapped */
static unsigned long iommu_iova_to_phys(struct vfio_domain *d,
					unsigned long iova)
{
	struct io_pgtable_walk wk;

	if (io_pgtable_iova_to_phys_peek(&d->iop, iova, &wk))
		return 0;
	return wk.pfn << PAGE_SHIFT;
}

/* iommu_map() into @d (IOMMU_CACHE is implied: see enforce_cache_...) */
static int iommu_map(struct vfio_domain *d, unsigned long iova,
		     unsigned long phys, unsigned long size, int prot)
{
	unsigned long npage = size >> PAGE_SHIFT;
	size_t mapped = 0;
	int ret;

	if (d->map_fail_at && d->nr_mapped + npage > d->map_fail_at)
		return -ENOMEM; /* the io-pgtable could not get a table */
	ret = io_pgtable_map_pages(&d->iop, iova, phys >> PAGE_SHIFT, npage,
				   prot, &mapped);
	d->nr_mapped += mapped >> PAGE_SHIFT;
	if (ret && mapped) {
		struct iommu_iotlb_gather g;

		iommu_iotlb_gather_init(&g);
		d->nr_mapped -= io_pgtable_unmap_pages(&d->iop, iova,
						       mapped >> PAGE_SHIFT,
						       &g) >>
				PAGE_SHIFT;
		if (!iommu_iotlb_gather_empty(&g))
			iommu_domain_flush_range(d->domain, IOMMU_NO_PASID,
						 g.start, g.end + 1);
	}
	return ret;
}

static size_t iommu_unmap_fast(struct vfio_domain *d, unsigned long iova,
			       unsigned long size,
			       struct iommu_iotlb_gather *gather)
{
	size_t n = io_pgtable_unmap_pages(&d->iop, iova, size >> PAGE_SHIFT,
					  gather);

	d->nr_mapped -= n >> PAGE_SHIFT;
	return n;
}

static void iommu_iotlb_sync(struct vfio_domain *d,
			     struct iommu_iotlb_gather *gather)
{
	if (iommu_iotlb_gather_empty(gather))
		return;
	d->iommu->stats.iotlb_syncs++;
	iommu_domain_flush_range(d->domain, IOMMU_NO_PASID, gather->start,
				 gather->end + 1);
	iommu_iotlb_gather_init(gather);
}

static size_t iommu_unmap(struct vfio_domain *d, unsigned long iova,
			  unsigned long size)
{
	struct iommu_iotlb_gather g;
	size_t n;

	iommu_iotlb_gather_init(&g);
	n = iommu_unmap_fast(d, iova, size, &g);
	iommu_iotlb_sync(d, &g);
	return n;
}

/* ---- the vfio_dma tree (sorted array) ---- */

/* index of the first dma ending after @start */
static int dma_lower_bound(struct vfio_iommu *iommu, unsigned long start)
{
	int lo = 0, hi = iommu->nr_dma;

	while (lo < hi) {
		int mid = (lo + hi) / 2;
		struct vfio_dma *d = iommu->dma[mid];

		if (d->iova + d->size <= start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* vfio_find_dma(): a dma overlapping [start, start + size) */
static struct vfio_dma *vfio_find_dma(struct vfio_iommu *iommu,
				      unsigned long start, unsigned long size)
{
	int i = dma_lower_bound(iommu, start);
	struct vfio_dma *d;

	if (i >= iommu->nr_dma)
		return NULL;
	d = iommu->dma[i];
	/* size 0: a dma strictly around start (as Linux's rb-tree walk) */
	if (size ? d->iova < start + size : d->iova < start)
		return d;
	return NULL;
}

struct vfio_dma *vfio_find_dma_peek(struct vfio_iommu *iommu,
				    unsigned long iova)
{
	return vfio_find_dma(iommu, iova, 1);
}

static int vfio_dma_index(struct vfio_iommu *iommu, struct vfio_dma *dma)
{
	int i;

	for (i = dma_lower_bound(iommu, dma->iova); i < iommu->nr_dma; i++)
		if (iommu->dma[i] == dma)
			return i;
	for (i = 0; i < iommu->nr_dma; i++) /* zero-sized while growing */
		if (iommu->dma[i] == dma)
			return i;
	return -1;
}

static void vfio_link_dma(struct vfio_iommu *iommu, struct vfio_dma *new)
{
	int i;

	if (iommu->nr_dma == iommu->cap_dma) {
		int cap = iommu->cap_dma ? iommu->cap_dma * 2 : 16;
		struct vfio_dma **n = arena_alloc(iommu->w, cap * sizeof(*n));

		if (iommu->nr_dma)
			memcpy(n, iommu->dma, iommu->nr_dma * sizeof(*n));
		iommu->dma = n;
		iommu->cap_dma = cap;
	}
	for (i = 0; i < iommu->nr_dma && iommu->dma[i]->iova < new->iova; i++)
		;
	memmove(&iommu->dma[i + 1], &iommu->dma[i],
		(iommu->nr_dma - i) * sizeof(*iommu->dma));
	iommu->dma[i] = new;
	iommu->nr_dma++;
}

static void vfio_unlink_dma(struct vfio_iommu *iommu, struct vfio_dma *old)
{
	int i = vfio_dma_index(iommu, old);

	if (i < 0)
		return;
	memmove(&iommu->dma[i], &iommu->dma[i + 1],
		(iommu->nr_dma - i - 1) * sizeof(*iommu->dma));
	iommu->nr_dma--;
}

/* ---- locked_vm ---- */

/* __account_locked_vm() */
static int account_locked_vm(struct mm_struct *mm, unsigned long pages,
			     bool inc, struct vfio_task *task, bool lock_cap)
{
	unsigned long locked_vm = mm->locked_vm;

	if (inc) {
		if (!lock_cap && locked_vm + pages > task->rlimit_memlock)
			return -ENOMEM;
		mm->locked_vm = locked_vm + pages;
	} else {
		mm->locked_vm = pages > locked_vm ? 0 : locked_vm - pages;
	}
	return 0;
}

static int mm_lock_acct(struct vfio_task *task, struct mm_struct *mm,
			bool lock_cap, long npage)
{
	int ret = mmap_write_lock_killable(mm);

	if (ret)
		return ret;
	ret = account_locked_vm(mm, labs(npage), npage > 0, task, lock_cap);
	mmap_write_unlock(mm);
	return ret;
}

static int vfio_lock_acct(struct vfio_dma *dma, long npage, bool async)
{
	struct mm_struct *mm = dma->mm;
	int ret;

	if (!npage)
		return 0;
	if (async && !mmget_not_zero(mm))
		return -ESRCH; /* process exited */
	ret = mm_lock_acct(dma->task, mm, dma->lock_cap, npage);
	if (!ret)
		dma->locked_vm += npage;
	if (async)
		mmput(mm);
	return ret;
}

/* ---- pinning ---- */

struct vfio_batch {
	struct page *pages[VFIO_BATCH_MAX_CAPACITY];
	unsigned int capacity, size, offset;
};

static void vfio_batch_init(struct vfio_batch *batch)
{
	batch->capacity = VFIO_BATCH_MAX_CAPACITY;
	batch->size = 0;
	batch->offset = 0;
}

/*
 * A frame with no page to pin: device MMIO (a BAR mapped by a VM_PFNMAP
 * VMA) or reserved memory.  Such frames are mapped without a pin and not
 * charged to locked_vm.
 */
static bool is_invalid_reserved_pfn(struct phys_mem *pm, unsigned long pfn)
{
	enum page_state st;

	if (!pfn_valid(pm, pfn))
		return true;
	st = page_state(pfn_to_page(pm, pfn));
	return st == PAGE_STATE_DEVICE || st == PAGE_STATE_RESERVED;
}

/* 1 if a pin was dropped, 0 for a frame that was never pinned */
static int put_pfn(struct vfio_iommu *iommu, unsigned long pfn, int prot)
{
	struct page *page;

	if (is_invalid_reserved_pfn(iommu_pm(iommu), pfn))
		return 0;
	page = pfn_to_page(iommu_pm(iommu), pfn);
	unpin_user_pages_dirty_lock(&page, 1, prot & IOMMU_WRITE);
	return 1;
}

static void vfio_batch_unpin(struct vfio_iommu *iommu, struct vfio_batch *batch,
			     struct vfio_dma *dma)
{
	while (batch->size) {
		put_pfn(iommu, page_to_pfn(batch->pages[batch->offset]),
			dma->prot);
		batch->offset++;
		batch->size--;
	}
}

/*
 * The frame a VM_PFNMAP VMA maps at @vaddr, faulting it in through the
 * driver (vfio-pci's mmap fault) if its PTE is not there: a BAR that is
 * not decoding gives SIGBUS there, so -EFAULT here.  No reference is
 * taken: the IOMMU mapping outlives the PTE lock, and nothing tells
 * type1 when the driver zaps the PTE later.
 */
static int follow_fault_pfn(struct vm_area_struct *vma, struct mm_struct *mm,
			    unsigned long vaddr, unsigned long *pfn,
			    unsigned long *addr_mask, bool write_fault)
{
	struct follow_pfnmap_args args = { .vma = vma, .address = vaddr };
	int ret;

	ret = follow_pfnmap_start(&args);
	if (ret) {
		bool unlocked = false;

		ret = fixup_user_fault(mm, vaddr,
				       FAULT_FLAG_REMOTE |
					       (write_fault ? FAULT_FLAG_WRITE :
							      0),
				       &unlocked);
		if (unlocked)
			return -EAGAIN;
		if (ret)
			return ret;
		ret = follow_pfnmap_start(&args);
		if (ret)
			return ret;
	}
	if (write_fault && !args.writable) {
		ret = -EFAULT;
	} else {
		*pfn = args.pfn;
		*addr_mask = args.addr_mask;
	}
	follow_pfnmap_end(&args);
	return ret;
}

/*
 * Returns how many frames from *@pfn on: pinned pages in @batch, or for
 * a VM_PFNMAP range a run of unpinned frames (@batch left empty).
 */
static long vaddr_get_pfns(struct mm_struct *mm, unsigned long vaddr,
			   unsigned long npages, int prot, unsigned long *pfn,
			   struct vfio_batch *batch)
{
	unsigned long pin_pages = npages < batch->capacity ? npages :
							     batch->capacity;
	unsigned int flags = FOLL_LONGTERM;
	struct vm_area_struct *vma;
	long ret;

	if (prot & IOMMU_WRITE)
		flags |= FOLL_WRITE;
	mmap_read_lock(mm);
	ret = pin_user_pages_remote(mm, vaddr, pin_pages, flags, batch->pages);
	if (ret > 0) {
		*pfn = page_to_pfn(batch->pages[0]);
		batch->size = ret;
		batch->offset = 0;
		goto done;
	} else if (!ret) {
		ret = -EFAULT;
	}
	/* gup refuses VM_IO/VM_PFNMAP: a PFN map (a BAR) is followed */
retry:
	vma = vma_lookup(mm, vaddr);
	if (vma && (vma->vm_flags & VM_PFNMAP)) {
		unsigned long addr_mask;

		ret = follow_fault_pfn(vma, mm, vaddr, pfn, &addr_mask,
				       prot & IOMMU_WRITE);
		if (ret == -EAGAIN)
			goto retry;
		if (!ret) {
			if (is_invalid_reserved_pfn(mm->mmw->pm, *pfn)) {
				unsigned long epfn;

				epfn = (*pfn | (~addr_mask >> PAGE_SHIFT)) + 1;
				ret = (long)(npages < epfn - *pfn ?
						     npages :
						     epfn - *pfn);
			} else {
				ret = -EFAULT;
			}
		}
	}
done:
	mmap_read_unlock(mm);
	return ret;
}

/*
 * Pin a physically contiguous run starting at @vaddr: the pages of one
 * IOMMU mapping, charged to locked_vm (RLIMIT_MEMLOCK: -ENOMEM).
 */
static long vfio_pin_pages_remote(struct vfio_iommu *iommu,
				  struct vfio_dma *dma, unsigned long vaddr,
				  unsigned long npage, unsigned long *pfn_base,
				  unsigned long limit, struct vfio_batch *batch)
{
	struct mm_struct *mm = dma->mm;
	long ret = 0, pinned = 0, lock_acct = 0;
	unsigned long pfn = 0;
	bool rsvd = false;

	if (!mm)
		return -ENODEV;
	if (batch->size) {
		/* leftover pages in batch from an earlier call */
		*pfn_base = page_to_pfn(batch->pages[batch->offset]);
		pfn = *pfn_base;
		rsvd = is_invalid_reserved_pfn(iommu_pm(iommu), *pfn_base);
	} else {
		*pfn_base = 0;
	}
	while (npage) {
		if (!batch->size) {
			cond_resched();
			ret = vaddr_get_pfns(mm, vaddr, npage, dma->prot, &pfn,
					     batch);
			if (ret < 0)
				goto unpin_out;
			if (!pinned) {
				*pfn_base = pfn;
				rsvd = is_invalid_reserved_pfn(iommu_pm(iommu),
							       pfn);
			}
			/* a PFN map: contiguous frames, nothing pinned */
			if (!batch->size) {
				if (pfn != *pfn_base + pinned || !rsvd)
					goto out;
				pinned += ret;
				npage -= ret;
				vaddr += PAGE_SIZE * ret;
				continue;
			}
		}
		for (;;) {
			if (pfn != *pfn_base + pinned ||
			    rsvd != is_invalid_reserved_pfn(iommu_pm(iommu),
							    pfn))
				goto out;
			/* reserved frames are not charged to the user */
			if (!rsvd) {
				if (!dma->lock_cap &&
				    mm->locked_vm + lock_acct + 1 > limit) {
					/* RLIMIT_MEMLOCK exceeded */
					ret = -ENOMEM;
					goto unpin_out;
				}
				lock_acct++;
			}
			pinned++;
			npage--;
			vaddr += PAGE_SIZE;
			batch->offset++;
			batch->size--;
			if (!batch->size || !npage)
				break;
			pfn = page_to_pfn(batch->pages[batch->offset]);
		}
	}
out:
	ret = vfio_lock_acct(dma, lock_acct, false);
unpin_out:
	if (ret < 0) {
		if (pinned && !rsvd) {
			for (pfn = *pfn_base; pinned; pfn++, pinned--)
				put_pfn(iommu, pfn, dma->prot);
		}
		vfio_batch_unpin(iommu, batch, dma);
		return ret;
	}
	return pinned;
}

static bool nc_flush_on(struct vfio_iommu *iommu)
{
	return policy_enum(iommu->w, KNOB_VFIO_NONCOHERENT_FLUSH) ==
	       VFIO_NC_FLUSH_MAP_AND_UNPIN;
}

static void vfio_flush_cache(struct vfio_iommu *iommu, unsigned long pfn,
			     unsigned long npage)
{
	iommu->stats.flushes++;
	iommu->stats.flushed_pages += npage;
	trace_eventf(iommu->w, "vfio arch_flush_cache_phys pfn %#lx +%lu", pfn,
		     npage);
	arch_flush_cache_phys(iommu_pm(iommu), pfn << PAGE_SHIFT,
			      npage << PAGE_SHIFT);
}

static long vfio_unpin_pages_remote(struct vfio_iommu *iommu,
				    struct vfio_dma *dma, unsigned long iova,
				    unsigned long pfn, unsigned long npage,
				    bool do_accounting)
{
	long unlocked = 0, i;

	/* the series: clean the lines before the page is the host's again */
	if (dma->cache_flush_required && nc_flush_on(iommu))
		vfio_flush_cache(iommu, pfn, npage);
	for (i = 0; i < (long)npage; i++, iova += PAGE_SIZE)
		unlocked += put_pfn(iommu, pfn++, dma->prot);
	if (do_accounting)
		vfio_lock_acct(dma, -unlocked, true);
	return unlocked;
}

/* ---- unmap and unpin ---- */

struct vfio_regions {
	unsigned long iova, phys, len;
};

static long vfio_sync_unpin(struct vfio_iommu *iommu, struct vfio_dma *dma,
			    struct vfio_domain *domain,
			    struct vfio_regions *regions, int *nr,
			    struct iommu_iotlb_gather *gather)
{
	bool sync_first = policy_bool(iommu->w, KNOB_VFIO_SYNC_BEFORE_UNPIN);
	long unlocked = 0;
	int i;

	/* no translation may remain when a page can be freed */
	if (sync_first)
		iommu_iotlb_sync(domain, gather);
	for (i = 0; i < *nr; i++)
		unlocked += vfio_unpin_pages_remote(
			iommu, dma, regions[i].iova,
			regions[i].phys >> PAGE_SHIFT,
			regions[i].len >> PAGE_SHIFT, false);
	if (!sync_first)
		iommu_iotlb_sync(domain, gather);
	*nr = 0;
	cond_resched();
	return unlocked;
}

static long vfio_unmap_unpin(struct vfio_iommu *iommu, struct vfio_dma *dma,
			     bool do_accounting)
{
	unsigned long iova = dma->iova, end = dma->iova + dma->size;
	struct iommu_iotlb_gather gather;
	struct vfio_regions *regions;
	struct vfio_domain *domain;
	long unlocked = 0;
	int i, nr = 0;

	if (!dma->size || !iommu->nr_domains)
		return 0;
	/*
	 * The first domain tells which frames to unpin; the others are
	 * unmapped (and synced) first, so no translation remains anywhere
	 * once they are unpinned.
	 */
	domain = iommu->domains[0];
	for (i = 1; i < iommu->nr_domains; i++) {
		iommu_unmap(iommu->domains[i], dma->iova, dma->size);
		cond_resched();
	}
	regions = malloc(VFIO_IOMMU_TLB_SYNC_MAX * sizeof(*regions));
	if (!regions)
		abort();
	iommu_iotlb_gather_init(&gather);
	while (iova < end) {
		unsigned long phys, len;
		size_t unmapped;

		phys = iommu_iova_to_phys(domain, iova);
		if (!phys) {
			iova += PAGE_SIZE;
			continue;
		}
		for (len = PAGE_SIZE; iova + len < end; len += PAGE_SIZE)
			if (iommu_iova_to_phys(domain, iova + len) !=
			    phys + len)
				break;
		/* unmap_unpin_fast(): gather, unpin after the sync */
		unmapped = iommu_unmap_fast(domain, iova, len, &gather);
		if (!unmapped)
			break;
		regions[nr++] = (struct vfio_regions){ iova, phys, unmapped };
		iova += unmapped;
		if (nr >= VFIO_IOMMU_TLB_SYNC_MAX)
			unlocked += vfio_sync_unpin(iommu, dma, domain, regions,
						    &nr, &gather);
	}
	dma->iommu_mapped = false;
	if (nr)
		unlocked += vfio_sync_unpin(iommu, dma, domain, regions, &nr,
					    &gather);
	free(regions);
	iommu->stats.pages_unmapped += dma->size >> PAGE_SHIFT;
	/* the series: the pages left every domain and were flushed */
	dma->cache_flush_required = false;
	if (do_accounting) {
		vfio_lock_acct(dma, -unlocked, true);
		return 0;
	}
	return unlocked;
}

static void vfio_remove_dma(struct vfio_iommu *iommu, struct vfio_dma *dma)
{
	vfio_unmap_unpin(iommu, dma, true);
	vfio_unlink_dma(iommu, dma);
	mmdrop(dma->mm);
	if (dma->vaddr_invalid)
		iommu->vaddr_invalid_count--;
	iommu->dma_avail++;
}

/* ---- map ---- */

static int vfio_iommu_map(struct vfio_iommu *iommu, unsigned long iova,
			  unsigned long pfn, long npage, int prot)
{
	int i, ret = 0;

	for (i = 0; i < iommu->nr_domains; i++) {
		ret = iommu_map(iommu->domains[i], iova, pfn << PAGE_SHIFT,
				npage << PAGE_SHIFT, prot);
		if (ret)
			goto unwind;
		cond_resched();
	}
	return 0;
unwind:
	while (--i >= 0) {
		iommu_unmap(iommu->domains[i], iova, npage << PAGE_SHIFT);
		cond_resched();
	}
	return ret;
}

static int vfio_pin_map_dma(struct vfio_iommu *iommu, struct vfio_dma *dma,
			    unsigned long map_size)
{
	unsigned long iova = dma->iova, vaddr = dma->vaddr, size = map_size;
	unsigned long pfn, limit = dma->task->rlimit_memlock;
	struct vfio_batch *batch = malloc(sizeof(*batch));
	long npage;
	int ret = 0;

	if (!batch)
		return -ENOMEM;
	vfio_batch_init(batch);
	/* the series: every domain so far decides for pin+map and unpin */
	dma->cache_flush_required = iommu->noncoherent_domains > 0;
	while (size) {
		npage = vfio_pin_pages_remote(iommu, dma, vaddr + dma->size,
					      size >> PAGE_SHIFT, &pfn, limit,
					      batch);
		if (npage <= 0) {
			ret = npage ? (int)npage : -EFAULT;
			break;
		}
		if (dma->cache_flush_required && nc_flush_on(iommu))
			vfio_flush_cache(iommu, pfn, npage);
		ret = vfio_iommu_map(iommu, iova + dma->size, pfn, npage,
				     dma->prot);
		if (ret) {
			vfio_unpin_pages_remote(
				iommu, dma, iova + dma->size, pfn, npage,
				policy_bool(iommu->w,
					    KNOB_VFIO_UNWIND_UNACCOUNT));
			vfio_batch_unpin(iommu, batch, dma);
			break;
		}
		size -= npage << PAGE_SHIFT;
		dma->size += npage << PAGE_SHIFT;
	}
	free(batch);
	dma->iommu_mapped = true;
	iommu->stats.pages_mapped += dma->size >> PAGE_SHIFT;
	if (ret)
		vfio_remove_dma(iommu, dma);
	return ret;
}

static bool vfio_iommu_iova_dma_valid(struct vfio_iommu *iommu,
				      unsigned long start, unsigned long end)
{
	/* an empty iova_list (no domain) accepts everything */
	return !iommu->nr_domains || end < IOPT_IOVA_LIMIT;
}

static int vfio_change_dma_owner(struct vfio_dma *dma, struct vfio_task *task)
{
	long npage = dma->locked_vm;
	int ret;

	if (task->mm == dma->mm)
		return 0;
	ret = mm_lock_acct(task, task->mm, task->cap_ipc_lock, npage);
	if (ret)
		return ret;
	if (mmget_not_zero(dma->mm)) {
		mm_lock_acct(dma->task, dma->mm, dma->lock_cap, -npage);
		mmput(dma->mm);
	}
	mmdrop(dma->mm);
	dma->task = task;
	dma->mm = task->mm;
	mmgrab(dma->mm);
	dma->lock_cap = task->cap_ipc_lock;
	return 0;
}

static int vfio_dma_do_map(struct vfio_iommu *iommu, struct vfio_task *task,
			   struct vfio_iommu_type1_dma_map *map)
{
	bool set_vaddr = map->flags & VFIO_DMA_MAP_FLAG_VADDR;
	unsigned long iova = map->iova, vaddr = map->vaddr, size = map->size;
	unsigned long pgsize = PAGE_SIZE;
	struct vfio_dma *dma;
	int ret = 0, prot = 0;

	if (map->flags & VFIO_DMA_MAP_FLAG_WRITE)
		prot |= IOMMU_WRITE;
	if (map->flags & VFIO_DMA_MAP_FLAG_READ)
		prot |= IOMMU_READ;
	if ((prot && set_vaddr) || (!prot && !set_vaddr))
		return -EINVAL;

	mutex_lock(&iommu->lock);
	if (!size || (size | iova | vaddr) & (pgsize - 1)) {
		ret = -EINVAL;
		goto out_unlock;
	}
	/* no IOVA or virtual address wrap */
	if (iova + size - 1 < iova || vaddr + size - 1 < vaddr) {
		ret = -EINVAL;
		goto out_unlock;
	}
	dma = vfio_find_dma(iommu, iova, size);
	if (set_vaddr) {
		if (!dma) {
			ret = -ENOENT;
		} else if (!dma->vaddr_invalid || dma->iova != iova ||
			   dma->size != size) {
			ret = -EINVAL;
		} else {
			ret = vfio_change_dma_owner(dma, task);
			if (ret)
				goto out_unlock;
			dma->vaddr = vaddr;
			dma->vaddr_invalid = false;
			iommu->vaddr_invalid_count--;
		}
		goto out_unlock;
	} else if (dma) {
		ret = -EEXIST;
		goto out_unlock;
	}
	if (!iommu->dma_avail) {
		ret = -ENOSPC;
		goto out_unlock;
	}
	if (!vfio_iommu_iova_dma_valid(iommu, iova, iova + size - 1)) {
		ret = -EINVAL;
		goto out_unlock;
	}
	dma = arena_alloc(iommu->w, sizeof(*dma));
	iommu->dma_avail--;
	dma->iova = iova;
	dma->vaddr = vaddr;
	dma->prot = prot;
	dma->task = task;
	dma->lock_cap = task->cap_ipc_lock;
	dma->mm = task->mm;
	mmgrab(dma->mm);
	/* linked zero-sized, grows as chunks are mapped */
	vfio_link_dma(iommu, dma);
	iommu->stats.maps++;
	if (!iommu->nr_domains)
		dma->size = size;
	else
		ret = vfio_pin_map_dma(iommu, dma, size);
	if (!ret && iommu->dirty_page_tracking)
		dma->bitmap = true;
out_unlock:
	mutex_unlock(&iommu->lock);
	return ret;
}

/* ---- unmap ---- */

static void set_bits(uint64_t *map, unsigned long first, unsigned long nr)
{
	unsigned long i;

	for (i = first; i < first + nr; i++)
		map[i / 64] |= 1ULL << (i % 64);
}

/*
 * update_user_bitmap(): every page of a mapped dma is dirty, since an
 * IOMMU-backed group can write anything it maps (num_non_pinned_groups).
 */
static void update_user_bitmap(const struct vfio_bitmap *bm,
			       struct vfio_iommu *iommu, struct vfio_dma *dma,
			       unsigned long base_iova)
{
	unsigned long first = (dma->iova - base_iova) >> PAGE_SHIFT;
	unsigned long nr = dma->size >> PAGE_SHIFT, max = bm->size * 8;

	if (!iommu->num_non_pinned_groups || !dma->iommu_mapped || first >= max)
		return;
	/* copy_to_user() past the user's buffer would fault: clip */
	set_bits(bm->data, first, nr < max - first ? nr : max - first);
}

static int vfio_dma_do_unmap(struct vfio_iommu *iommu,
			     struct vfio_iommu_type1_dma_unmap *unmap)
{
	unsigned long iova = unmap->iova, pgsize = PAGE_SIZE;
	unsigned long long size = unmap->size, unmapped = 0;
	bool unmap_all = unmap->flags & VFIO_DMA_UNMAP_FLAG_ALL;
	bool invalidate_vaddr = unmap->flags & VFIO_DMA_UNMAP_FLAG_VADDR;
	struct vfio_dma *dma;
	int ret = -EINVAL, i, first;

	mutex_lock(&iommu->lock);
	if (iova & (pgsize - 1))
		goto unlock;
	if (unmap_all) {
		if (iova || size)
			goto unlock;
		size = U64_MAX;
	} else if (!size || size & (pgsize - 1) || iova + size - 1 < iova) {
		goto unlock;
	}
	/* with dirty tracking, only the minimum page size */
	if ((unmap->flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) &&
	    (!iommu->dirty_page_tracking || unmap->bitmap.pgsize != pgsize))
		goto unlock;
	/* v2: no mapping may be bisected by the range */
	if (iommu->v2 && !unmap_all) {
		dma = vfio_find_dma(iommu, iova, 1);
		if (dma && dma->iova != iova)
			goto unlock;
		dma = vfio_find_dma(iommu, iova + size - 1, 0);
		if (dma && dma->iova + dma->size != iova + size)
			goto unlock;
	}
	ret = 0;
	first = i = dma_lower_bound(iommu, iova);
	while (i < iommu->nr_dma) {
		dma = iommu->dma[i];
		if (dma->iova >= iova + size && size != U64_MAX)
			break;
		if (!iommu->v2 && iova > dma->iova)
			break;
		if (invalidate_vaddr) {
			if (dma->vaddr_invalid) {
				/* undo what this call invalidated */
				int j;

				for (j = first; j < i; j++) {
					iommu->dma[j]->vaddr_invalid = false;
					iommu->vaddr_invalid_count--;
				}
				ret = -EINVAL;
				unmapped = 0;
				break;
			}
			dma->vaddr_invalid = true;
			iommu->vaddr_invalid_count++;
			unmapped += dma->size;
			i++;
			continue;
		}
		if (unmap->flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP)
			update_user_bitmap(&unmap->bitmap, iommu, dma, iova);
		unmapped += dma->size;
		iommu->stats.unmaps++;
		vfio_remove_dma(iommu, dma); /* dma[i] is the next one now */
	}
unlock:
	mutex_unlock(&iommu->lock);
	unmap->size = unmapped;
	return ret;
}

/* ---- domains ---- */

static void vfio_iommu_link_domain(struct vfio_iommu *iommu,
				   struct vfio_domain *domain)
{
	memmove(&iommu->domains[1], &iommu->domains[0],
		iommu->nr_domains * sizeof(iommu->domains[0]));
	iommu->domains[0] = domain; /* list_add: newest first */
	iommu->nr_domains++;
	if (!domain->enforce_cache_coherency)
		iommu->noncoherent_domains++;
}

static void vfio_iommu_unlink_domain(struct vfio_iommu *iommu,
				     struct vfio_domain *domain)
{
	int i;

	for (i = 0; i < iommu->nr_domains; i++)
		if (iommu->domains[i] == domain)
			break;
	if (i == iommu->nr_domains)
		return;
	memmove(&iommu->domains[i], &iommu->domains[i + 1],
		(iommu->nr_domains - i - 1) * sizeof(iommu->domains[0]));
	iommu->nr_domains--;
	if (!domain->enforce_cache_coherency)
		iommu->noncoherent_domains--;
}

/*
 * Replay every mapping into the new @domain: pages already pinned are
 * found through the first domain, the others are pinned now.  The
 * series flushes before a page becomes reachable by a non-coherent
 * domain, by the bookkeeping variant of vfio.cache_flush_bookkeeping.
 */
static int vfio_iommu_replay(struct vfio_iommu *iommu,
			     struct vfio_domain *domain)
{
	unsigned int variant =
		policy_enum(iommu->w, KNOB_VFIO_CACHE_FLUSH_BOOKKEEPING);
	struct vfio_domain *d = iommu->nr_domains ? iommu->domains[0] : NULL;
	unsigned long limit;
	struct vfio_batch *batch = malloc(sizeof(*batch));
	int n, ret = 0;

	if (!batch)
		return -ENOMEM;
	vfio_batch_init(batch);
	iommu->stats.replays++;
	for (n = 0; n < iommu->nr_dma; n++) {
		struct vfio_dma *dma = iommu->dma[n];
		unsigned long iova = dma->iova;
		bool flush;

		switch (variant) {
		case VFIO_CFR_V1:
			flush = !domain->enforce_cache_coherency &&
				!dma->cache_flush_required;
			if (flush)
				dma->cache_flush_required = true;
			break;
		case VFIO_CFR_KEEP_SET:
			if (!dma->cache_flush_required)
				dma->cache_flush_required =
					!domain->enforce_cache_coherency;
			flush = !domain->enforce_cache_coherency;
			break;
		default: /* VFIO_CFR_PLAIN */
			dma->cache_flush_required =
				!domain->enforce_cache_coherency;
			flush = dma->cache_flush_required;
			break;
		}
		limit = dma->task->rlimit_memlock;
		while (iova < dma->iova + dma->size) {
			unsigned long phys, size;

			if (dma->iommu_mapped) {
				unsigned long p, i;

				if (!d) { /* mapped without a domain?! */
					ret = -EINVAL;
					goto unwind;
				}
				phys = iommu_iova_to_phys(d, iova);
				if (!phys) {
					iova += PAGE_SIZE;
					continue;
				}
				size = PAGE_SIZE;
				p = phys + size;
				i = iova + size;
				while (i < dma->iova + dma->size &&
				       p == iommu_iova_to_phys(d, i)) {
					size += PAGE_SIZE;
					p += PAGE_SIZE;
					i += PAGE_SIZE;
				}
			} else {
				unsigned long pfn;
				unsigned long vaddr =
					dma->vaddr + (iova - dma->iova);
				long npage = vfio_pin_pages_remote(
					iommu, dma, vaddr,
					(dma->iova + dma->size - iova) >>
						PAGE_SHIFT,
					&pfn, limit, batch);

				if (npage <= 0) {
					ret = npage ? (int)npage : -EFAULT;
					goto unwind;
				}
				phys = pfn << PAGE_SHIFT;
				size = npage << PAGE_SHIFT;
			}
			if (flush && nc_flush_on(iommu))
				vfio_flush_cache(iommu, phys >> PAGE_SHIFT,
						 size >> PAGE_SHIFT);
			ret = iommu_map(domain, iova, phys, size, dma->prot);
			if (ret) {
				if (!dma->iommu_mapped) {
					vfio_unpin_pages_remote(
						iommu, dma, iova,
						phys >> PAGE_SHIFT,
						size >> PAGE_SHIFT, true);
					vfio_batch_unpin(iommu, batch, dma);
				}
				goto unwind;
			}
			iommu->stats.replayed_pages += size >> PAGE_SHIFT;
			iova += size;
		}
	}
	/* all mapped: the second walk marks them */
	for (n = 0; n < iommu->nr_dma; n++)
		iommu->dma[n]->iommu_mapped = true;
	free(batch);
	return 0;

unwind:
	for (; n >= 0; n--) {
		struct vfio_dma *dma = iommu->dma[n];
		unsigned long iova;

		if (dma->iommu_mapped) {
			iommu_unmap(domain, dma->iova, dma->size);
			continue;
		}
		iova = dma->iova;
		while (iova < dma->iova + dma->size) {
			unsigned long phys = iommu_iova_to_phys(domain, iova);
			unsigned long size, p, i;

			if (!phys) {
				iova += PAGE_SIZE;
				continue;
			}
			size = PAGE_SIZE;
			p = phys + size;
			i = iova + size;
			while (i < dma->iova + dma->size &&
			       p == iommu_iova_to_phys(domain, i)) {
				size += PAGE_SIZE;
				p += PAGE_SIZE;
				i += PAGE_SIZE;
			}
			iommu_unmap(domain, iova, size);
			vfio_unpin_pages_remote(iommu, dma, iova,
						phys >> PAGE_SHIFT,
						size >> PAGE_SHIFT, true);
			iova += size;
		}
		dma->cache_flush_required = false;
	}
	free(batch);
	return ret;
}

/*
 * vfio_test_domain_fgsp(): map two zeroed kernel pages at IOVA 0 and see
 * whether unmapping one page takes both (fine-grained superpages).  Only
 * its cache side matters here: the probe pages are reachable by the
 * domain's devices while mapped.
 */
static void vfio_test_domain_fgsp(struct vfio_iommu *iommu,
				  struct vfio_domain *domain)
{
	struct phys_mem *pm = iommu_pm(iommu);
	bool nc = !domain->enforce_cache_coherency;
	struct page *pages[2];
	int i;

	pages[0] = alloc_page(pm, GFP_KERNEL | __GFP_ZERO);
	pages[1] = pages[0] ? alloc_page(pm, GFP_KERNEL | __GFP_ZERO) : NULL;
	if (!pages[1]) {
		if (pages[0])
			__free_page(pages[0]);
		return;
	}
	for (i = 0; i < 2; i++) {
		if (nc && nc_flush_on(iommu))
			vfio_flush_cache(iommu, page_to_pfn(pages[i]), 1);
		if (iommu_map(domain, i * PAGE_SIZE,
			      page_to_pfn(pages[i]) << PAGE_SHIFT, PAGE_SIZE,
			      IOMMU_READ | IOMMU_WRITE))
			break;
	}
	if (domain->fgsp_quirk) {
		/* the driver's CPU stores to the probe pages while mapped;
		 * the domain's devices may DMA to them meanwhile */
		for (i = 0; i < 2; i++)
			phys_write(pm, page_to_pfn(pages[i]), 0, 0x5a5a);
		cond_resched();
	}
	iommu_unmap(domain, 0, 2 * PAGE_SIZE);
	for (i = 0; i < 2; i++) {
		if (nc && nc_flush_on(iommu) &&
		    policy_bool(iommu->w, KNOB_VFIO_FGSP_SECOND_FLUSH))
			vfio_flush_cache(iommu, page_to_pfn(pages[i]), 1);
		__free_page(pages[i]);
	}
}

static void vfio_domain_free(struct vfio_domain *domain)
{
	iommu_domain_free(domain->domain);
}

static struct vfio_domain *vfio_domain_alloc(struct vfio_iommu *iommu,
					     struct vfio_group *group)
{
	struct vfio_domain *domain = arena_alloc(iommu->w, sizeof(*domain));

	domain->iommu = iommu;
	if (alloc_io_pgtable(iommu->w, &domain->iop))
		return NULL;
	domain->domain = iommu_domain_alloc(iommu->hw, IOMMU_DOMAIN_UNMANAGED,
					    &vfio_domain_ops, domain);
	if (!domain->domain)
		return NULL;
	domain->map_fail_at = group->map_fail_at;
	domain->fgsp_quirk = group->fgsp_quirk;
	domain->ops_id = group->ops_id;
	return domain;
}

/**
 * vfio_iommu_type1_attach_group - VFIO_GROUP_SET_CONTAINER
 * @iommu: the container
 * @group: the group; attached to no container
 *
 * Joins a domain of the same coherency or makes a new one, replaying
 * every mapping into it.  Returns 0, -EBUSY (an invalid vaddr exists, or
 * the group belongs to a container), -EINVAL (attached already), -ENOMEM,
 * or the replay's error.
 */
int vfio_iommu_type1_attach_group(struct vfio_iommu *iommu,
				  struct vfio_group *group)
{
	struct vfio_domain *domain, *d;
	int ret = -EBUSY, i;

	mutex_lock(&iommu->lock);
	/* attach could require pinning: not while a vaddr is invalid */
	if (iommu->vaddr_invalid_count)
		goto out_unlock;
	ret = -EINVAL;
	if (group->container == iommu)
		goto out_unlock;
	ret = -EBUSY;
	if (group->container)
		goto out_unlock;
	ret = -ENOMEM;
	domain = vfio_domain_alloc(iommu, group);
	if (!domain)
		goto out_unlock;
	ret = iommu_attach_device(domain->domain, group->dev);
	if (ret)
		goto out_domain;
	/* IOMMU_CAP_ENFORCE_CACHE_COHERENCY: what the group's IOMMU can */
	domain->enforce_cache_coherency = group->coherent;
	domain->domain->noncoherent = !group->coherent;
	/* a compatible domain: same ops, same coherency */
	for (i = 0; i < iommu->nr_domains; i++) {
		d = iommu->domains[i];
		if (d->ops_id != domain->ops_id ||
		    d->enforce_cache_coherency !=
			    domain->enforce_cache_coherency ||
		    d->nr_groups == VFIO_MAX_GROUPS)
			continue;
		iommu_detach_device(domain->domain, group->dev);
		if (!iommu_attach_device(d->domain, group->dev)) {
			d->groups[d->nr_groups++] = group;
			vfio_domain_free(domain);
			goto done;
		}
		ret = iommu_attach_device(domain->domain, group->dev);
		if (ret)
			goto out_domain;
	}
	domain->groups[domain->nr_groups++] = group;
	/* the CPU cache matters from the first non-coherent domain on */
	if (!domain->enforce_cache_coherency &&
	    cpu_cache_enable(iommu_pm(iommu))) {
		ret = -ENOMEM;
		goto out_detach;
	}
	vfio_test_domain_fgsp(iommu, domain);
	ret = vfio_iommu_replay(iommu, domain);
	if (ret)
		goto out_detach;
	vfio_iommu_link_domain(iommu, domain);
done:
	group->container = iommu;
	iommu->num_non_pinned_groups++;
	trace_eventf(iommu->w,
		     "vfio attach %s (%s) -> %d domains, %u non-coherent",
		     group->name, group->coherent ? "coherent" : "non-coherent",
		     iommu->nr_domains, iommu->noncoherent_domains);
	mutex_unlock(&iommu->lock);
	return 0;

out_detach:
	iommu_detach_device(domain->domain, group->dev);
out_domain:
	vfio_domain_free(domain);
out_unlock:
	mutex_unlock(&iommu->lock);
	return ret;
}

static void vfio_iommu_unmap_unpin_all(struct vfio_iommu *iommu)
{
	while (iommu->nr_dma)
		vfio_remove_dma(iommu, iommu->dma[0]);
}

/**
 * vfio_iommu_type1_detach_group - the group leaves its container
 *
 * The last group of a domain takes the domain with it; the last domain
 * takes every mapping (unmap, unpin).
 */
void vfio_iommu_type1_detach_group(struct vfio_iommu *iommu,
				   struct vfio_group *group)
{
	int i, j;

	mutex_lock(&iommu->lock);
	for (i = 0; i < iommu->nr_domains; i++) {
		struct vfio_domain *domain = iommu->domains[i];

		for (j = 0; j < domain->nr_groups; j++)
			if (domain->groups[j] == group)
				break;
		if (j == domain->nr_groups)
			continue;
		iommu_detach_device(domain->domain, group->dev);
		domain->groups[j] = domain->groups[--domain->nr_groups];
		group->container = NULL;
		iommu->num_non_pinned_groups--;
		if (!domain->nr_groups) {
			if (iommu->nr_domains == 1)
				vfio_iommu_unmap_unpin_all(iommu);
			else
				/* unmap from it while the others still map */
				for (j = 0; j < iommu->nr_dma; j++)
					iommu_unmap(domain, iommu->dma[j]->iova,
						    iommu->dma[j]->size);
			vfio_domain_free(domain);
			vfio_iommu_unlink_domain(iommu, domain);
		}
		break;
	}
	mutex_unlock(&iommu->lock);
}

/* ---- the container ---- */

struct vfio_group *vfio_group_add(struct mm_world *mmw, const char *name,
				  bool coherent)
{
	struct iommu *hw = iommu_get(mmw);
	struct vfio_group *group = arena_alloc(mmw->w, sizeof(*group));

	group->name = name;
	group->coherent = coherent;
	group->dev = pci_dev_add(hw, name, false, false);
	return group->dev ? group : NULL;
}

struct vfio_iommu *vfio_iommu_type1_open(struct mm_world *mmw,
					 unsigned long type, int *err)
{
	struct vfio_iommu *iommu;

	if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU) {
		*err = -EINVAL;
		return NULL;
	}
	iommu = arena_alloc(mmw->w, sizeof(*iommu));
	iommu->w = mmw->w;
	iommu->mmw = mmw;
	iommu->hw = iommu_get(mmw);
	iommu->v2 = type == VFIO_TYPE1v2_IOMMU;
	iommu->dma_avail = VFIO_DMA_ENTRY_LIMIT;
	iommu->pgsize_bitmap = PAGE_SIZE;
	mutex_init(mmw->w, &iommu->lock, "vfio_iommu->lock");
	*err = 0;
	return iommu;
}

void vfio_iommu_type1_release(struct vfio_iommu *iommu)
{
	int i, j;

	mutex_lock(&iommu->lock);
	vfio_iommu_unmap_unpin_all(iommu);
	for (i = 0; i < iommu->nr_domains; i++) {
		struct vfio_domain *domain = iommu->domains[i];

		for (j = 0; j < domain->nr_groups; j++) {
			iommu_detach_device(domain->domain,
					    domain->groups[j]->dev);
			domain->groups[j]->container = NULL;
		}
		domain->nr_groups = 0;
		vfio_domain_free(domain);
	}
	/* Linux skips the counter here; the model keeps it exact */
	while (iommu->nr_domains)
		vfio_iommu_unlink_domain(iommu, iommu->domains[0]);
	iommu->num_non_pinned_groups = 0;
	mutex_unlock(&iommu->lock);
}

int vfio_iommu_type1_check_extension(struct vfio_iommu *iommu,
				     unsigned long arg)
{
	int ret;

	switch (arg) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
		return 1;
	case VFIO_UPDATE_VADDR:
		return iommu != NULL; /* no emulated groups in the model */
	case VFIO_DMA_CC_IOMMU:
		if (!iommu)
			return 0;
		mutex_lock(&iommu->lock);
		ret = iommu->noncoherent_domains ? 0 : 1;
		mutex_unlock(&iommu->lock);
		return ret;
	default:
		return 0;
	}
}

static int vfio_iommu_type1_map_dma(struct vfio_iommu *iommu,
				    struct vfio_task *task,
				    struct vfio_iommu_type1_dma_map *map)
{
	uint32_t mask = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE |
			VFIO_DMA_MAP_FLAG_VADDR;

	if (map->argsz < VFIO_DMA_MAP_MINSZ || map->flags & ~mask)
		return -EINVAL;
	return vfio_dma_do_map(iommu, task, map);
}

static int verify_bitmap_size(uint64_t npages, uint64_t bitmap_size)
{
	uint64_t need = ((npages + 63) / 64) * 8;

	if (!npages || !bitmap_size || bitmap_size < need ||
	    bitmap_size > (1ULL << 28))
		return -EINVAL;
	return 0;
}

static int vfio_iommu_type1_unmap_dma(struct vfio_iommu *iommu,
				      struct vfio_iommu_type1_dma_unmap *unmap)
{
	uint32_t mask = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP |
			VFIO_DMA_UNMAP_FLAG_VADDR | VFIO_DMA_UNMAP_FLAG_ALL;
	int ret;

	if (unmap->argsz < VFIO_DMA_UNMAP_MINSZ || unmap->flags & ~mask)
		return -EINVAL;
	if ((unmap->flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) &&
	    (unmap->flags &
	     (VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR)))
		return -EINVAL;
	if (unmap->flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) {
		if (unmap->argsz < VFIO_DMA_UNMAP_MINSZ + VFIO_BITMAP_SZ)
			return -EINVAL;
		if (!unmap->bitmap.data) /* access_ok() */
			return -EINVAL;
		if (!unmap->bitmap.pgsize)
			return -EINVAL;
		ret = verify_bitmap_size(unmap->size / unmap->bitmap.pgsize,
					 unmap->bitmap.size);
		if (ret)
			return ret;
	}
	return vfio_dma_do_unmap(iommu, unmap);
}

static int vfio_iova_dirty_bitmap(const struct vfio_bitmap *bitmap,
				  struct vfio_iommu *iommu, unsigned long iova,
				  unsigned long size)
{
	struct vfio_dma *dma;
	int i;

	/* the range must fully cover the mappings it touches */
	dma = vfio_find_dma(iommu, iova, 1);
	if (dma && dma->iova != iova)
		return -EINVAL;
	dma = vfio_find_dma(iommu, iova + size - 1, 0);
	if (dma && dma->iova + dma->size != iova + size)
		return -EINVAL;
	for (i = 0; i < iommu->nr_dma; i++) {
		dma = iommu->dma[i];
		if (dma->iova < iova)
			continue;
		if (dma->iova > iova + size - 1)
			break;
		update_user_bitmap(bitmap, iommu, dma, iova);
	}
	return 0;
}

static int vfio_iommu_type1_dirty_pages(struct vfio_iommu *iommu,
					struct vfio_iommu_type1_dirty_bitmap *d)
{
	uint32_t mask = VFIO_IOMMU_DIRTY_PAGES_FLAG_START |
			VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP |
			VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	struct vfio_iommu_type1_dirty_bitmap_get *r = &d->range;
	int ret = 0, i;

	if (!iommu->v2)
		return -EACCES;
	if (d->argsz < VFIO_DIRTY_MINSZ || d->flags & ~mask)
		return -EINVAL;
	/* exactly one flag */
	if (!d->flags || (d->flags & (d->flags - 1)))
		return -EINVAL;
	if (d->flags & VFIO_IOMMU_DIRTY_PAGES_FLAG_START) {
		mutex_lock(&iommu->lock);
		if (!iommu->dirty_page_tracking) {
			for (i = 0; i < iommu->nr_dma; i++)
				iommu->dma[i]->bitmap = true;
			iommu->dirty_page_tracking = true;
		}
		mutex_unlock(&iommu->lock);
		return 0;
	}
	if (d->flags & VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP) {
		mutex_lock(&iommu->lock);
		if (iommu->dirty_page_tracking) {
			iommu->dirty_page_tracking = false;
			for (i = 0; i < iommu->nr_dma; i++)
				iommu->dma[i]->bitmap = false;
		}
		mutex_unlock(&iommu->lock);
		return 0;
	}
	/* GET_BITMAP */
	if (d->argsz < VFIO_DIRTY_MINSZ + VFIO_DIRTY_GET_SZ)
		return -EINVAL;
	if (r->iova + r->size < r->iova)
		return -EINVAL;
	if (!r->bitmap.data) /* access_ok() */
		return -EINVAL;
	if (!r->bitmap.pgsize)
		return -EINVAL;
	ret = verify_bitmap_size(r->size / r->bitmap.pgsize, r->bitmap.size);
	if (ret)
		return ret;
	mutex_lock(&iommu->lock);
	if (r->bitmap.pgsize != PAGE_SIZE || r->iova & (PAGE_SIZE - 1) ||
	    !r->size || r->size & (PAGE_SIZE - 1))
		ret = -EINVAL;
	else if (iommu->dirty_page_tracking)
		ret = vfio_iova_dirty_bitmap(&r->bitmap, iommu, r->iova,
					     r->size);
	else
		ret = -EINVAL;
	mutex_unlock(&iommu->lock);
	return ret;
}

long vfio_iommu_type1_ioctl(struct vfio_iommu *iommu, struct vfio_task *task,
			    unsigned int cmd, void *arg)
{
	switch (cmd) {
	case VFIO_CHECK_EXTENSION:
		return vfio_iommu_type1_check_extension(iommu,
							(unsigned long)arg);
	case VFIO_IOMMU_MAP_DMA:
		return vfio_iommu_type1_map_dma(iommu, task, arg);
	case VFIO_IOMMU_UNMAP_DMA:
		return vfio_iommu_type1_unmap_dma(iommu, arg);
	case VFIO_IOMMU_DIRTY_PAGES:
		return vfio_iommu_type1_dirty_pages(iommu, arg);
	default:
		return -ENOTTY;
	}
}
