// SPDX-License-Identifier: MIT
/*
 * Shared Virtual Addressing: binding an mm to a device under a PASID, the
 * SVA domain that walks the CPU page tables, and the mmu_notifier glue
 * that keeps the IOTLB and the device TLBs coherent with them.
 *
 * Models drivers/iommu/iommu-sva.c (iommu_sva_bind_device,
 * iommu_sva_unbind_device, iommu_sva_get_pasid, iommu_sva_handle_iopf)
 * with the Intel VT-d driver's notifier glue (drivers/iommu/intel/svm.c,
 * 6.6: intel_arch_invalidate_secondary_tlbs, intel_flush_svm_range,
 * intel_flush_svm_all, intel_mm_release, intel_svm_drain_prq).  An
 * IOMMU with vendor IOMMU_VENDOR_AMD_V2 under
 * notifier.secondary_tlb_flush=none uses instead the scheme of the AMD
 * IOMMUv2 driver before 3.19 (drivers/iommu/amd_iommu_v2.c:
 * mn_invalidate_range_start switched the PASID to an empty page table and
 * flushed it, mn_invalidate_range_end switched back), the only way to stay
 * coherent without ->invalidate_range(); under the later policies the AMD
 * glue, like Intel's, is called where the CPU TLB is flushed.  The Intel
 * glue under "none" is never called at all: its IOTLB goes stale, as a
 * secondary TLB without invalidation would.  The code is our own.
 *
 * Simplifications:
 *  - One SVA domain per (IOMMU, mm), shared by the devices bound to it;
 *    the mm's PASID is allocated at the first bind and freed at the last
 *    unbind (Linux keeps mm->pasid until the mm is freed).
 *  - The IOMMU walk is the CPU's x86 walk (4 levels, sets A/D with a
 *    cmpxchg, under rcu_read_lock), done with iommu->lock held; PMD
 *    leaves are treated as absent (no THP here).
 *  - Invalidation commands complete synchronously (iommu.c).
 *
 * Checks: "stale-pte" / "pgtable-use-after-free" on the walk (as the
 * CPU's), "iopf-livelock" when the page request handler answers success
 * iommu.refault_limit times in a row for a translation the page table
 * already allows (the IOMMU keeps using a cached one: a permission
 * upgrade nobody invalidated).
 *
 * Lock order (outermost first):
 *
 *   iommu_sva_lock (mutex: bind/unbind)
 *     mmap_lock (mmu_notifier_register)
 *   [the primary MMU's locks: mmap_lock, PTL ...]
 *     intel_svm->lock (spinlock: the bond's device list; notifier
 *                      callbacks, atomic context)
 *       pci_dev->atc_lock, iommu->lock (invalidation, one at a time)
 *   pci_dev->atc_lock -> iommu->lock -> rcu_read_lock (the SVA walk;
 *                      reads notifier_count locklessly)
 *   the iopf worker: mmap_lock (read) for handle_mm_fault, nothing of
 *                    the IOMMU held
 */
#include <stdio.h>
#include <string.h>

#include "core/policy.h"
#include "core/trace.h"
#include "iommu/io-pgfault.h"
#include "iommu/iommu-sva.h"
#include "mm/tlb.h"

static unsigned long level_index(int level, unsigned long va)
{
	return (va >> (PAGE_SHIFT + 9 * (level - 1))) & (PTRS_PER_PTE - 1);
}

static struct iommu_sva_state *sva_state(struct iommu *iommu)
{
	struct iommu_sva_state *st, *old = NULL;

	st = __atomic_load_n((struct iommu_sva_state **)&iommu->sva,
			     __ATOMIC_ACQUIRE);
	if (st)
		return st;
	st = arena_alloc(iommu->w, sizeof(*st));
	mutex_init(iommu->w, &st->lock, "iommu_sva_lock");
	if (!__atomic_compare_exchange_n((struct iommu_sva_state **)&iommu->sva,
					 &old, st, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return old; /* another binder won; ours stays in the arena */
	return st;
}

/* ---- the SVA domain: the IOMMU walks the CPU page tables ---- */

/**
 * sva_peek_pte - the PTE of @va in @mm, for the checker
 *
 * Plain acquire loads, no schedule point, no side effect.  Returns 0 and
 * the PTE, or -ENOENT when a level is missing (or a PMD leaf).
 */
int sva_peek_pte(struct mm_struct *mm, unsigned long va, pte_t *out)
{
	struct phys_mem *pm = mm->mmw->pm;
	struct ptdesc *pt = ptdesc_of(mm->pgd);
	uint64_t v;
	int level;

	for (level = 4; level > 1; level--) {
		v = __atomic_load_n(&pt->entries[level_index(level, va)],
				    __ATOMIC_ACQUIRE);
		if (!(v & _PAGE_PRESENT) || (v & _PAGE_PSE))
			return -ENOENT;
		pt = ptdesc_of_pfn(pm, (v & PTE_PFN_MASK) >> PAGE_SHIFT);
		if (!pt)
			return -ENOENT;
	}
	*out = __pte(__atomic_load_n(&pt->entries[level_index(1, va)],
				     __ATOMIC_ACQUIRE));
	return 0;
}

static void sva_report_walk(struct intel_svm *svm, const char *kind,
			    unsigned long va, int level, uint64_t val,
			    const char *what)
{
	report_add(
		svm->iommu->w, kind,
		"IOMMU: %s: SVA walk of pasid %u va %#lx at level %d (entry %#llx): %s\n",
		current ? current->name : "(no agent)", svm->pasid, va, level,
		(unsigned long long)val, what);
}

/*
 * The first-level walk of the IOMMU (iommu->lock held): like the CPU's,
 * it sets the accessed and (for a write) dirty bits.  Under the pre-3.19
 * start/end scheme the PASID points at an empty table while an
 * invalidation is in progress: nothing translates.
 */
static int sva_iova_to_phys(struct iommu_domain *domain, uint32_t pasid,
			    unsigned long iova, bool write,
			    struct iommu_walk_result *out)
{
	struct intel_svm *svm = domain->priv;
	struct mm_struct *mm = svm->mm;
	struct phys_mem *pm = mm->mmw->pm;
	uint64_t need = _PAGE_ACCESSED | (write ? _PAGE_DIRTY : 0);
	uint64_t *entry, val, perm;
	struct ptdesc *pt;
	unsigned long pfn;
	struct page *page;
	int level, ret = -ENOENT;

	(void)pasid;
	if (svm->start_end && READ_ONCE(svm->notifier_count))
		return -ENOENT; /* the empty page table */
	if (iova >= TASK_SIZE)
		return -ENOENT;
	rcu_read_lock();
retry:
	pt = ptdesc_of(mm->pgd);
	perm = _PAGE_RW | _PAGE_USER;
	for (level = 4;; level--) {
		entry = &pt->entries[level_index(level, iova)];
		val = __PT_LOAD(entry);
		if (!(val & _PAGE_PRESENT) || (level == 2 && (val & _PAGE_PSE)))
			goto out;
		perm &= val;
		if (level == 1)
			break;
		pt = ptdesc_of_pfn(pm, (val & PTE_PFN_MASK) >> PAGE_SHIFT);
		if (!pt) {
			sva_report_walk(
				svm, "pgtable-use-after-free", iova, level, val,
				"the entry points to a frame that is no longer a page table");
			goto out;
		}
	}
	ret = -EACCES;
	if (!(perm & _PAGE_USER) || (write && !(perm & _PAGE_RW)))
		goto out;
	if ((val & need) != need) {
		if (!ptep_cmpxchg((pte_t *)entry, __pte(val),
				  __pte(val | need)))
			goto retry;
		val |= need;
	}
	pfn = (val & PTE_PFN_MASK) >> PAGE_SHIFT;
	ret = -ENOENT;
	if (!pfn_valid(pm, pfn)) {
		sva_report_walk(svm, "bad-pte", iova, level, val,
				"the frame is out of range");
		goto out;
	}
	page = pfn_to_page(pm, pfn);
	if (PageBuddy(page))
		sva_report_walk(svm, "stale-pte", iova, level, val,
				"a present PTE maps a free frame");
	out->pfn = pfn;
	out->gen = page_generation(page);
	out->writable = perm & _PAGE_RW;
	out->clean = !(val & _PAGE_DIRTY);
	ret = 0;
out:
	rcu_read_unlock();
	return ret;
}

static int sva_iova_to_phys_peek(struct iommu_domain *domain, uint32_t pasid,
				 unsigned long iova,
				 struct iommu_walk_result *out)
{
	struct intel_svm *svm = domain->priv;
	struct phys_mem *pm = svm->mm->mmw->pm;
	pte_t pte;

	(void)pasid;
	if (sva_peek_pte(svm->mm, iova, &pte) || !pte_hw_present(pte) ||
	    !(pte_val(pte) & _PAGE_USER) || !pfn_valid(pm, pte_pfn(pte)))
		return -ENOENT;
	out->pfn = pte_pfn(pte);
	out->gen = phys_generation(pm, out->pfn);
	out->writable = pte_write(pte);
	out->clean = !(pte_val(pte) & _PAGE_DIRTY);
	return 0;
}

static const struct iommu_domain_ops sva_domain_ops = {
	.iova_to_phys = sva_iova_to_phys,
	.iova_to_phys_peek = sva_iova_to_phys_peek,
};

/* ---- the notifier glue ---- */

/* the bond's devices, copied under its lock */
static int svm_devs(struct intel_svm *svm, struct pci_dev **devs)
{
	int i, n;

	spin_lock(&svm->lock);
	n = svm->nr_devs;
	for (i = 0; i < n; i++)
		devs[i] = svm->devs[i];
	spin_unlock(&svm->lock);
	return n;
}

/* IOTLB (one command for the PASID) and each device's ATC */
static void intel_flush_svm_range(struct intel_svm *svm, unsigned long start,
				  unsigned long end)
{
	struct pci_dev *devs[IOMMU_MAX_DEVICES];
	int i, n = svm_devs(svm, devs);

	if (!n)
		return;
	iommu_flush_iotlb_range(svm->iommu, svm->domain->id, svm->pasid, start,
				end);
	for (i = 0; i < n; i++)
		iommu_flush_dev_iotlb(devs[i], svm->pasid, start, end);
}

static void intel_flush_svm_all(struct intel_svm *svm)
{
	intel_flush_svm_range(svm, 0, IOMMU_FLUSH_ALL);
}

/*
 * arch_invalidate_secondary_tlbs: called wherever the CPU TLB of the mm
 * is flushed (6.6), atomic context.  A full-mm flush comes as
 * [0, TLB_FLUSH_ALL) and becomes a PASID-wide invalidation; so does any
 * range above the IOTLB's ceiling (iommu_flush_iotlb_range).
 */
static void intel_arch_invalidate_secondary_tlbs(struct mmu_notifier *mn,
						 struct mm_struct *mm,
						 unsigned long start,
						 unsigned long end)
{
	struct intel_svm *svm = container_of(mn, struct intel_svm, notifier);

	(void)mm;
	if (!policy_bool(svm->iommu->w, KNOB_IOMMU_SVA_FULL_RANGE_FLUSH)) {
		/*
		 * dma.c's hook (iommu.sva_full_range_flush=false): the driver
		 * before the Nov 2023 fix turned the range into a page count,
		 * (end - start + PAGE_SIZE - 1) >> PAGE_SHIFT, which wraps to
		 * 0 for [0, -1UL): nothing was invalidated.
		 */
		unsigned long pages = (end - start + PAGE_SIZE - 1) >>
				      PAGE_SHIFT;

		__atomic_add_fetch(&svm->nr_inv_range, 1, __ATOMIC_RELAXED);
		if (pages)
			intel_flush_svm_range(svm, start,
					      start + (pages << PAGE_SHIFT));
		return;
	}
	if (start == 0 && end == TLB_FLUSH_ALL) {
		__atomic_add_fetch(&svm->nr_inv_all, 1, __ATOMIC_RELAXED);
		intel_flush_svm_all(svm);
		return;
	}
	__atomic_add_fetch(&svm->nr_inv_range, 1, __ATOMIC_RELAXED);
	intel_flush_svm_range(svm, start, end);
}

/*
 * intel_mm_release: the mm is going away (exit_mmap, or unregister).
 * Every device's PASID entry is torn down with fault processing off:
 * from now on the device's DMA faults and raises no page request.
 */
static void intel_mm_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct intel_svm *svm = container_of(mn, struct intel_svm, notifier);
	int i;

	(void)mm;
	spin_lock(&svm->lock);
	for (i = 0; i < svm->nr_devs; i++)
		iommu_block_device_pasid(svm->devs[i], svm->pasid);
	WRITE_ONCE(svm->released, true);
	spin_unlock(&svm->lock);
	trace_eventf(svm->iommu->w, "sva release pasid %u", svm->pasid);
}

static const struct mmu_notifier_ops intel_mmuops = {
	.release = intel_mm_release,
	.arch_invalidate_secondary_tlbs = intel_arch_invalidate_secondary_tlbs,
};

/*
 * The pre-3.19 AMD IOMMUv2 scheme (notifier.secondary_tlb_flush=none):
 * the first of overlapping invalidations points the PASID at an empty
 * table and flushes it, the last one restores it.  Devices fault for the
 * whole bracket, whatever address they use.
 */
static int mn_invalidate_range_start(struct mmu_notifier *mn,
				     const struct mmu_notifier_range *range)
{
	struct intel_svm *svm = container_of(mn, struct intel_svm, notifier);
	bool first;

	(void)range;
	spin_lock(&svm->lock);
	first = svm->notifier_count == 0;
	WRITE_ONCE(svm->notifier_count, svm->notifier_count + 1);
	spin_unlock(&svm->lock);
	__atomic_add_fetch(&svm->nr_inv_start, 1, __ATOMIC_RELAXED);
	if (first)
		intel_flush_svm_all(svm);
	return 0;
}

static void mn_invalidate_range_end(struct mmu_notifier *mn,
				    const struct mmu_notifier_range *range)
{
	struct intel_svm *svm = container_of(mn, struct intel_svm, notifier);
	bool last;

	(void)range;
	spin_lock(&svm->lock);
	WRITE_ONCE(svm->notifier_count, svm->notifier_count - 1);
	last = svm->notifier_count == 0;
	spin_unlock(&svm->lock);
	if (last)
		wake_up(&svm->wq);
}

static const struct mmu_notifier_ops amd_iommu_v2_mmuops = {
	.release = intel_mm_release,
	.invalidate_range_start = mn_invalidate_range_start,
	.invalidate_range_end = mn_invalidate_range_end,
};

/* ---- bind and unbind ---- */

static struct intel_svm *svm_find(struct iommu_sva_state *st,
				  struct mm_struct *mm)
{
	int i;

	for (i = 0; i < SVA_MAX_BONDS; i++)
		if (st->svms[i] && st->svms[i]->mm == mm)
			return st->svms[i];
	return NULL;
}

static struct iommu_sva *handle_find(struct iommu_sva_state *st,
				     struct pci_dev *dev, struct intel_svm *svm)
{
	int i;

	for (i = 0; i < SVA_MAX_BONDS; i++)
		if (st->handles[i].users && st->handles[i].dev == dev &&
		    st->handles[i].svm == svm)
			return &st->handles[i];
	return NULL;
}

/* a new SVA domain for @mm with its PASID and notifier (sva lock held) */
static struct intel_svm *svm_alloc(struct iommu *iommu, struct mm_struct *mm,
				   int *err)
{
	struct world *w = iommu->w;
	struct intel_svm *svm;
	uint32_t pasid;
	int ret;

	pasid = iommu_alloc_global_pasid(iommu);
	if (pasid == IOMMU_NO_PASID) {
		*err = -ENOSPC;
		return NULL;
	}
	svm = arena_alloc(w, sizeof(*svm));
	svm->mm = mm;
	svm->iommu = iommu;
	svm->pasid = pasid;
	spin_lock_init(w, &svm->lock, "intel_svm->lock");
	init_waitqueue_head(w, &svm->wq);
	svm->domain = iommu_domain_alloc(iommu, IOMMU_DOMAIN_SVA,
					 &sva_domain_ops, svm);
	if (!svm->domain) {
		ret = -ENOSPC;
		goto free_pasid;
	}
	svm->domain->mm = mm;
	svm->start_end = iommu->vendor == IOMMU_VENDOR_AMD_V2 &&
			 policy_enum(w, KNOB_NOTIFIER_SECONDARY_TLB_FLUSH) ==
				 SECONDARY_TLB_FLUSH_NONE;
	svm->notifier.ops = svm->start_end ? &amd_iommu_v2_mmuops :
					     &intel_mmuops;
	mmgrab(mm);
	ret = mmu_notifier_register(&svm->notifier, mm->notifier_subscriptions);
	if (ret)
		goto drop_mm;
	trace_eventf(w, "sva domain did %u pasid %u mm %d (%s)",
		     svm->domain->id, pasid, mm->id,
		     svm->start_end ? "start/end" : "secondary tlbs");
	return svm;

drop_mm:
	mmdrop(mm);
	iommu_domain_free(svm->domain);
free_pasid:
	iommu_free_global_pasid(iommu, pasid);
	*err = ret;
	return NULL;
}

static void svm_free(struct intel_svm *svm)
{
	mmu_notifier_unregister(&svm->notifier,
				svm->mm->notifier_subscriptions);
	iommu_domain_free(svm->domain);
	iommu_free_global_pasid(svm->iommu, svm->pasid);
	mmdrop(svm->mm);
}

/**
 * iommu_sva_bind_device - let @dev DMA into @mm's address space
 * @dev: the device (PASIDs enabled)
 * @mm: the address space (the caller holds a reference)
 *
 * The first bind of @mm allocates its PASID and SVA domain and registers
 * the domain's mmu_notifier (taking mmap_lock for write); later binds of
 * the same device and mm take another reference on the same handle.
 * Returns the handle, or ERR_PTR(-ENODEV) (no PASID support), -ENOSPC
 * (PASIDs, domains or bonds exhausted), or the attach's error.
 * May sleep.
 */
struct iommu_sva *iommu_sva_bind_device(struct pci_dev *dev,
					struct mm_struct *mm)
{
	struct iommu *iommu = dev->iommu;
	struct iommu_sva_state *st;
	struct iommu_sva *handle = NULL;
	struct intel_svm *svm;
	bool new_svm = false;
	int i, ret = 0;

	if (!dev->pasid_enabled)
		return ERR_PTR(-ENODEV);
	might_sleep();
	st = sva_state(iommu);
	mutex_lock(&st->lock);
	svm = svm_find(st, mm);
	if (svm) {
		handle = handle_find(st, dev, svm);
		if (handle) {
			handle->users++;
			goto out;
		}
	}
	for (i = 0; i < SVA_MAX_BONDS && !handle; i++)
		if (!st->handles[i].users)
			handle = &st->handles[i];
	if (!handle) {
		ret = -ENOSPC;
		goto out;
	}
	if (!svm) {
		for (i = 0; i < SVA_MAX_BONDS; i++)
			if (!st->svms[i])
				break;
		if (i == SVA_MAX_BONDS) {
			ret = -ENOSPC;
			goto out;
		}
		svm = svm_alloc(iommu, mm, &ret);
		if (!svm)
			goto out;
		st->svms[i] = svm;
		new_svm = true;
	}
	ret = iommu_attach_device_pasid(svm->domain, dev, svm->pasid);
	if (ret) {
		if (new_svm) {
			for (i = 0; i < SVA_MAX_BONDS; i++)
				if (st->svms[i] == svm)
					st->svms[i] = NULL;
			svm_free(svm);
		}
		goto out;
	}
	spin_lock(&svm->lock);
	svm->devs[svm->nr_devs++] = dev;
	spin_unlock(&svm->lock);
	*handle = (struct iommu_sva){ .dev = dev, .svm = svm, .users = 1 };
	trace_eventf(iommu->w, "sva bind %s mm %d pasid %u", dev->name, mm->id,
		     svm->pasid);
out:
	mutex_unlock(&st->lock);
	return ret ? ERR_PTR(ret) : handle;
}

/**
 * iommu_sva_unbind_device - drop a reference on a bind
 * @handle: what iommu_sva_bind_device() returned
 *
 * The last reference detaches the PASID from the device (its IOTLB and
 * device-TLB entries are invalidated), drains the device's outstanding
 * page requests (intel_svm_drain_prq), and, if no device is left,
 * unregisters the notifier and frees the domain and the PASID.  The
 * driver must have stopped the device's DMA with this PASID: a later one
 * is reported ("dma-after-unbind").  May sleep.
 */
void iommu_sva_unbind_device(struct iommu_sva *handle)
{
	struct pci_dev *dev = handle->dev;
	struct iommu_sva_state *st = sva_state(dev->iommu);
	struct intel_svm *svm = handle->svm;
	int i;

	might_sleep();
	mutex_lock(&st->lock);
	if (--handle->users) {
		mutex_unlock(&st->lock);
		return;
	}
	spin_lock(&svm->lock);
	for (i = 0; i < svm->nr_devs; i++)
		if (svm->devs[i] == dev)
			break;
	if (i < svm->nr_devs) {
		svm->devs[i] = svm->devs[svm->nr_devs - 1];
		svm->nr_devs--;
	}
	spin_unlock(&svm->lock);
	iommu_detach_device_pasid(svm->domain, dev, svm->pasid);
	iopf_queue_flush_dev(dev);
	trace_eventf(dev->iommu->w, "sva unbind %s pasid %u", dev->name,
		     svm->pasid);
	if (!svm->nr_devs) {
		for (i = 0; i < SVA_MAX_BONDS; i++)
			if (st->svms[i] == svm)
				st->svms[i] = NULL;
		svm_free(svm);
	}
	handle->dev = NULL;
	handle->svm = NULL;
	mutex_unlock(&st->lock);
}

uint32_t iommu_sva_get_pasid(struct iommu_sva *handle)
{
	return handle->svm ? handle->svm->pasid : IOMMU_NO_PASID;
}

/* ---- page requests ---- */

/* the PTE already allows the access and the PASID is translating */
static bool iopf_is_spurious(struct intel_svm *svm, unsigned long addr,
			     bool write)
{
	pte_t pte;

	if (svm->start_end &&
	    __atomic_load_n(&svm->notifier_count, __ATOMIC_RELAXED))
		return false;
	if (sva_peek_pte(svm->mm, addr, &pte) || !pte_hw_present(pte) ||
	    !(pte_val(pte) & _PAGE_USER))
		return false;
	return !write || pte_write(pte);
}

/* consecutive spurious requests for one page (the iopf worker is alone) */
static void iopf_note_spurious(struct intel_svm *svm, unsigned long addr,
			       bool write, bool spurious)
{
	struct world *w = svm->iommu->w;
	unsigned int limit = policy_uint(w, KNOB_IOMMU_REFAULT_LIMIT);

	if (!spurious || svm->spurious_addr != addr) {
		svm->spurious_addr = spurious ? addr : 0;
		svm->spurious_count = spurious;
		return;
	}
	svm->spurious_count++;
	if (svm->spurious_count < limit || svm->spurious_reported)
		return;
	svm->spurious_reported = true;
	report_add(
		w, "iopf-livelock",
		"iopf: %s: %u page requests in a row for %s of va %#lx (pasid %u) found the PTE already allowing it and were answered success: the IOMMU keeps faulting on a cached translation that nothing invalidated (a permission upgrade without a secondary TLB invalidation?)\n",
		current ? current->name : "(no agent)", svm->spurious_count,
		write ? "a write" : "a read", addr, svm->pasid);
}

/**
 * iommu_sva_handle_iopf - resolve a page request on an SVA domain
 * @fault: the request
 * @domain: the SVA domain of its PASID
 *
 * Runs in the iopf worker.  Takes a reference on the mm if it still has
 * users, mmap_read_lock, checks that a VMA covers the address and allows
 * the access (as access_error), and runs handle_mm_fault() as a remote
 * fault.  Under the start/end scheme with iommu.fault_during_invalidation
 * = wait, it first waits until no invalidation is in progress; with
 * refault it answers as soon as the CPU page table is fixed, although
 * the IOMMU cannot use it before the invalidation ends.  Returns the
 * response code.
 */
enum iommu_page_response_code iommu_sva_handle_iopf(struct iommu_fault *fault,
						    struct iommu_domain *domain)
{
	struct intel_svm *svm = domain->priv;
	struct mm_struct *mm = svm->mm;
	struct world *w = svm->iommu->w;
	struct iommu_fault_page_request *prm = &fault->prm;
	bool write = prm->perm & IOMMU_FAULT_PERM_WRITE;
	enum iommu_page_response_code status = IOMMU_PAGE_RESP_INVALID;
	unsigned long addr = prm->addr;
	struct vm_area_struct *vma;
	vm_flags_t access_flags;
	vm_fault_t ret;

	if (!(prm->flags & IOMMU_FAULT_PAGE_REQUEST_PASID_VALID))
		return status;
	if (!mmget_not_zero(mm))
		return status;
	if (svm->start_end &&
	    policy_enum(w, KNOB_IOMMU_FAULT_DURING_INVALIDATION) ==
		    IOMMU_FAULT_INV_WAIT)
		wait_event(svm->wq, !READ_ONCE(svm->notifier_count));
	mmap_read_lock(mm);
	vma = find_vma(mm, addr);
	if (!vma || vma->vm_start > addr)
		goto out;
	access_flags = VM_READ | (write ? VM_WRITE : 0);
	if (access_flags & ~vma->vm_flags)
		goto out;
	iopf_note_spurious(svm, addr, write,
			   iopf_is_spurious(svm, addr, write));
	ret = handle_mm_fault(
		vma, addr, FAULT_FLAG_REMOTE | (write ? FAULT_FLAG_WRITE : 0));
	status = ret & VM_FAULT_ERROR ? IOMMU_PAGE_RESP_INVALID :
					IOMMU_PAGE_RESP_SUCCESS;
out:
	mmap_read_unlock(mm);
	mmput(mm);
	return status;
}

/* ---- permission upgrades ---- */

void mmu_notifier_invalidate_secondary_upgrade(struct vm_area_struct *vma,
					       unsigned long start,
					       unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;

	if (!policy_bool(mm->mmw->w, KNOB_IOMMU_INVALIDATE_ON_UPGRADE) ||
	    policy_enum(mm->mmw->w, KNOB_NOTIFIER_SECONDARY_TLB_FLUSH) ==
		    SECONDARY_TLB_FLUSH_NONE)
		return;
	mmu_notifier_arch_invalidate_secondary_tlbs(mm->notifier_subscriptions,
						    start, end);
}
