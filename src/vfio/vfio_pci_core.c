// SPDX-License-Identifier: MIT
/*
 * vfio-pci's BAR mappings: mmap of a BAR region, the fault that maps it,
 * and the zap that takes every user mapping away before the device stops
 * decoding memory (a COMMAND write clearing the memory bit, a reset, a
 * move to D3hot), in each design vfio-pci has had or was argued to have
 * (policy vfio_pci.design).
 *
 * Models drivers/vfio/pci/vfio_pci_core.c: vfio_pci_core_mmap,
 * vfio_pci_mmap_fault / vfio_pci_mmap_huge_fault (order 0 only),
 * vfio_pci_mmap_open/close, vfio_pci_zap_and_vma_lock,
 * vfio_pci_zap_bars, vfio_pci_zap_and_down_write_memory_lock,
 * vfio_lock_and_set_power_state and the VFIO_DEVICE_RESET ioctl.  Names
 * are Linux's; the code is our own.
 *
 * Simplifications: see vfio_pci_core.h.  The BAR's frames are found from
 * the VMA's region offset in every design (vma_to_pfn); 5.8 rewrote
 * vm_pgoff to the pfn instead.  Before CVE-2020-12888's fix
 * (vfio_pci.zap_on_memory_disable=false) mmap maps the whole VMA at once
 * with remap_pfn_range() and installs no fault handler, memory_lock is
 * taken (it did not exist) but nothing is zapped and nothing checks
 * decode.
 *
 * The designs and their lock orders (outermost first):
 *
 *  unmap_mapping_range (aac6db75a9fc, 6.10; the default)
 *    fault:  mm->mmap_lock (read, the fault's)
 *              memory_lock (read)
 *                ptl (vmf_insert_pfn of the one faulting page)
 *    zap:    memory_lock (write)
 *              inode i_mmap_rwsem (read, unmap_mapping_range)
 *                ptl, cpu_tlb (zap_page_range_single's gather)
 *    No VMA list: the device's inode's i_mmap finds every mapping, and
 *    the zap runs with memory_lock held, so no fault can map a page
 *    between the zap and the decode change.
 *
 *  vma_list (abafbc551fdd, 5.8 .. 6.9)
 *    fault:  mm->mmap_lock (read)
 *              vma_lock
 *                memory_lock (read)
 *                  ptl (io_remap_pfn_range of the whole VMA)
 *    zap:    vma_lock, dropped before ...
 *            mm->mmap_lock (read, each mm on the list: mmget_not_zero)
 *              vma_lock (again)
 *                ptl, cpu_tlb (zap_vma_ptes)
 *            ... vma_lock, then memory_lock (write), then vma_lock goes
 *    memory_lock nests inside vma_lock, and the zap may hold memory_lock
 *    for write only once the list is empty, with vma_lock held so no
 *    fault can add to it.
 *
 *  vma_list_5_8 (abafbc551fdd as merged in 5.8, until 6a45ece4c9af)
 *    fault:  mm->mmap_lock (read) -> vma_lock -> memory_lock (read);
 *            vma_lock dropped, io_remap_pfn_range under memory_lock
 *    zap:    as vma_list.  Concurrent faults of one VMA both remap it.
 *
 *  vma_list_trylock (an alternative of the 2020 thread)
 *    fault:  mm->mmap_lock (read)
 *              memory_lock (TRYLOCK, read; on failure: with
 *                FAULT_FLAG_ALLOW_RETRY drop mmap_lock, wait for
 *                memory_lock, return VM_FAULT_RETRY; with RETRY_NOWAIT
 *                return VM_FAULT_RETRY holding mmap_lock; without
 *                ALLOW_RETRY (GUP, hmm_range_fault) VM_FAULT_SIGBUS)
 *                vma_lock
 *                  ptl
 *    zap:    memory_lock (write)
 *              vma_lock / mm->mmap_lock (read) / vma_lock: the 5.8 dance
 *    The trylock is what makes memory_lock -> mmap_lock legal.
 *
 *  pause_faults (an alternative of the 2020 thread, after Jason
 *  Gunthorpe's suggestion, as a flag)
 *    fault:  mm->mmap_lock (read)
 *              vma_lock (pause_faults set: unlock both and
 *                wait_event(fault_wq), then VM_FAULT_RETRY)
 *                ptl
 *    zap:    vma_lock (set pause_faults) ...
 *            the 5.8 dance, then memory_lock (write); pause_faults is
 *            cleared and fault_wq woken after up_write(memory_lock).
 *
 *  memory_lock_outer (the order the thread rejected)
 *    fault:  mm->mmap_lock (read) -> vma_lock -> memory_lock (read)
 *    zap:    memory_lock (write) -> vma_lock / mm->mmap_lock / vma_lock
 *    memory_lock -> vma_lock against vma_lock -> memory_lock and
 *    memory_lock -> mmap_lock against mmap_lock -> memory_lock: lockdep
 *    reports the circular dependency, and a fault racing the zap
 *    deadlocks.
 *
 * The BAR read/write file ops (vfio_pci_rdwr.c) take memory_lock for
 * read alone; config writes (vfio_pci_config.c) take it for write
 * through vfio_pci_zap_and_down_write_memory_lock() or down_write().
 */
#include <errno.h>
#include <string.h>

#include "core/trace.h"
#include "vfio/vfio_pci_core.h"

static const struct file_operations vfio_pci_fops = {
	.mmap = vfio_pci_core_mmap,
};

const char *vfio_pci_design_name(enum vfio_pci_design d)
{
	switch (d) {
	case VFIO_PCI_DESIGN_UNMAP_MAPPING_RANGE:
		return "unmap_mapping_range";
	case VFIO_PCI_DESIGN_VMA_LIST:
		return "vma_list";
	case VFIO_PCI_DESIGN_VMA_LIST_TRYLOCK:
		return "vma_list_trylock";
	case VFIO_PCI_DESIGN_PAUSE_FAULTS:
		return "pause_faults";
	case VFIO_PCI_DESIGN_MEMORY_LOCK_OUTER:
		return "memory_lock_outer";
	case VFIO_PCI_DESIGN_VMA_LIST_58:
		return "vma_list_5_8";
	}
	return "?";
}

static bool vma_list_design(const struct vfio_pci_core_device *vdev)
{
	return vdev->design != VFIO_PCI_DESIGN_UNMAP_MAPPING_RANGE;
}

/**
 * vfio_pci_core_init_dev - bind @pdev to vfio-pci and open it
 * @vdev: zeroed storage (the world's arena)
 * @pdev: the device
 *
 * Reads vfio_pci.design and vfio_pci.zap_on_memory_disable once: a
 * device keeps its design for its lifetime.  Returns 0.
 */
int vfio_pci_core_init_dev(struct vfio_pci_core_device *vdev,
			   struct pci_dev *pdev)
{
	struct world *w = pdev->mmw->w;

	memset(vdev, 0, sizeof(*vdev));
	vdev->pdev = pdev;
	vdev->w = w;
	vdev->design = policy_enum(w, KNOB_VFIO_PCI_DESIGN);
	vdev->zap = policy_bool(w, KNOB_VFIO_PCI_ZAP_ON_MEMORY_DISABLE);
	init_rwsem(w, &vdev->memory_lock, "memory_lock");
	mutex_init(w, &vdev->vma_lock, "vma_lock");
	INIT_LIST_HEAD(&vdev->vma_list);
	init_waitqueue_head(w, &vdev->fault_wq);

	/* the device's inode (vfio_fs_type): i_mmap of every mapping */
	vdev->inode.mmw = pdev->mmw;
	init_rwsem(w, &vdev->inode.i_rwsem, "i_rwsem");
	spin_lock_init(w, &vdev->inode.i_pages_lock, "i_pages");
	init_rwsem(w, &vdev->inode.i_mmap_rwsem, "i_mmap_rwsem");
	INIT_LIST_HEAD(&vdev->inode.i_mmap);
	vdev->file.f_op = &vfio_pci_fops;
	vdev->file.f_mode = FMODE_READ | FMODE_WRITE;
	vdev->file.f_mapping = &vdev->inode;
	vdev->file.private_data = vdev;
	/* the driver's own reference: the file is never freed by fput */
	vdev->file.f_count.counter = 1;
	return 0;
}

bool __vfio_pci_memory_enabled(struct vfio_pci_core_device *vdev)
{
	return __pci_memory_enabled(vdev->pdev);
}

/* ---- the VMA list (vma_list designs) ---- */

static unsigned long vma_to_pfn(struct vm_area_struct *vma)
{
	struct vfio_pci_core_device *vdev = vma->vm_private_data;
	int index = vma->vm_pgoff >> (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT);
	unsigned long pgoff =
		vma->vm_pgoff &
		((1UL << (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT)) - 1);

	return pci_resource_start_pfn(vdev->pdev, index) + pgoff;
}

/* Caller holds vma_lock */
static int __vfio_pci_add_vma(struct vfio_pci_core_device *vdev,
			      struct vm_area_struct *vma)
{
	struct vfio_pci_mmap_vma *mmap_vma;

	lockdep_assert_held(&vdev->vma_lock);
	if (vdev->nr_vma_free)
		mmap_vma = vdev->vma_free[--vdev->nr_vma_free];
	else
		mmap_vma = arena_alloc(vdev->w, sizeof(*mmap_vma));
	mmap_vma->vma = vma;
	sched_point(SP_MEM, &vdev->vma_list);
	list_add(&mmap_vma->vma_next, &vdev->vma_list);
	return 0;
}

/* Caller holds vma_lock */
static void __vfio_pci_del_vma(struct vfio_pci_core_device *vdev,
			       struct vfio_pci_mmap_vma *mmap_vma)
{
	sched_point(SP_MEM, &vdev->vma_list);
	list_del_init(&mmap_vma->vma_next);
	if (vdev->nr_vma_free < (int)ARRAY_SIZE(vdev->vma_free))
		vdev->vma_free[vdev->nr_vma_free++] = mmap_vma;
}

static bool vfio_pci_vma_listed(struct vfio_pci_core_device *vdev,
				struct vm_area_struct *vma)
{
	struct vfio_pci_mmap_vma *mmap_vma;

	sched_point(SP_MEM, &vdev->vma_list);
	list_for_each_entry(mmap_vma, &vdev->vma_list, vma_next)
		if (mmap_vma->vma == vma)
			return true;
	return false;
}

/*
 * vfio_pci_zap_and_vma_lock - zap every VMA on the list; returns with
 * vma_lock held and the list empty.
 *
 * A fault holds mmap_lock and then takes vma_lock, so the zap may not
 * take mmap_lock under vma_lock: it picks an mm under vma_lock, drops
 * vma_lock, takes that mm's mmap_lock for read, retakes vma_lock and
 * zaps the list's VMAs of that mm, until no VMA is left.
 */
static void vfio_pci_zap_and_vma_lock(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_mmap_vma *mmap_vma, *tmp;

	for (;;) {
		struct mm_struct *mm = NULL;

		mutex_lock(&vdev->vma_lock);
		while (!list_empty(&vdev->vma_list)) {
			mmap_vma = list_first_entry(&vdev->vma_list,
						    struct vfio_pci_mmap_vma,
						    vma_next);
			mm = mmap_vma->vma->vm_mm;
			if (mmget_not_zero(mm))
				break;
			/* the mm is exiting: its VMAs go with it */
			__vfio_pci_del_vma(vdev, mmap_vma);
			mm = NULL;
		}
		if (!mm)
			return;
		mutex_unlock(&vdev->vma_lock);

		mmap_read_lock(mm);
		mutex_lock(&vdev->vma_lock);
		list_for_each_entry_safe(mmap_vma, tmp, &vdev->vma_list,
					 vma_next) {
			struct vm_area_struct *vma = mmap_vma->vma;

			if (vma->vm_mm != mm)
				continue;
			__vfio_pci_del_vma(vdev, mmap_vma);
			zap_vma_ptes(vma, vma->vm_start,
				     vma->vm_end - vma->vm_start);
		}
		mutex_unlock(&vdev->vma_lock);
		mmap_read_unlock(mm);
		mmput(mm);
	}
}

/* ---- zapping ---- */

/**
 * vfio_pci_zap_bars - unmap every user mapping of the device's BARs
 * @vdev: the device (unmap_mapping_range design; memory_lock held for
 *	write)
 */
void vfio_pci_zap_bars(struct vfio_pci_core_device *vdev)
{
	unsigned long start =
		VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_BAR0_REGION_INDEX);
	unsigned long end = VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_ROM_REGION_INDEX);

	unmap_mapping_range(&vdev->inode, start, end - start, true);
}

/**
 * vfio_pci_zap_and_down_write_memory_lock - zap the BAR mappings and take
 *	memory_lock for write, so nothing maps them again until
 *	vfio_pci_memory_up_write()
 * @vdev: the device
 *
 * The order depends on the design (see the top of the file).
 */
void vfio_pci_zap_and_down_write_memory_lock(struct vfio_pci_core_device *vdev)
{
	if (!vdev->zap) {
		down_write(&vdev->memory_lock);
		return;
	}
	switch (vdev->design) {
	case VFIO_PCI_DESIGN_UNMAP_MAPPING_RANGE:
		down_write(&vdev->memory_lock);
		vfio_pci_zap_bars(vdev);
		break;
	case VFIO_PCI_DESIGN_VMA_LIST:
	case VFIO_PCI_DESIGN_VMA_LIST_58:
		vfio_pci_zap_and_vma_lock(vdev);
		down_write(&vdev->memory_lock);
		mutex_unlock(&vdev->vma_lock);
		break;
	case VFIO_PCI_DESIGN_PAUSE_FAULTS:
		mutex_lock(&vdev->vma_lock);
		WRITE_ONCE(vdev->pause_faults, 1);
		mutex_unlock(&vdev->vma_lock);
		vfio_pci_zap_and_vma_lock(vdev);
		mutex_unlock(&vdev->vma_lock);
		down_write(&vdev->memory_lock);
		break;
	case VFIO_PCI_DESIGN_VMA_LIST_TRYLOCK:
	case VFIO_PCI_DESIGN_MEMORY_LOCK_OUTER:
		down_write(&vdev->memory_lock);
		vfio_pci_zap_and_vma_lock(vdev);
		mutex_unlock(&vdev->vma_lock);
		break;
	}
	__atomic_add_fetch(&vdev->nr_zaps, 1, __ATOMIC_RELAXED);
	pci_note_zap(vdev->pdev);
	trace_eventf(vdev->w, "vfio-pci %s: BAR mappings zapped (%s)",
		     vdev->pdev->name, vfio_pci_design_name(vdev->design));
}

/* up_write(&vdev->memory_lock), and let paused faults go */
void vfio_pci_memory_up_write(struct vfio_pci_core_device *vdev)
{
	up_write(&vdev->memory_lock);
	if (vdev->zap && vdev->design == VFIO_PCI_DESIGN_PAUSE_FAULTS) {
		WRITE_ONCE(vdev->pause_faults, 0);
		wake_up(&vdev->fault_wq);
	}
}

/* ---- the fault ---- */

/*
 * The fault could not take memory_lock (or is paused): drop mmap_lock
 * and wait if the caller can retry, else SIGBUS (GUP and
 * hmm_range_fault pass no FAULT_FLAG_ALLOW_RETRY).
 */
static vm_fault_t vfio_pci_fault_wait(struct vfio_pci_core_device *vdev,
				      struct vm_fault *vmf)
{
	struct mm_struct *mm = vmf->vma->vm_mm;

	if (!(vmf->flags & FAULT_FLAG_ALLOW_RETRY)) {
		__atomic_add_fetch(&vdev->nr_sigbus, 1, __ATOMIC_RELAXED);
		return VM_FAULT_SIGBUS;
	}
	if (vmf->flags & FAULT_FLAG_RETRY_NOWAIT)
		return VM_FAULT_RETRY;
	mmap_read_unlock(mm);
	if (vdev->design == VFIO_PCI_DESIGN_PAUSE_FAULTS) {
		wait_event(vdev->fault_wq, !READ_ONCE(vdev->pause_faults));
	} else if (vmf->flags & FAULT_FLAG_KILLABLE) {
		if (!down_read_killable(&vdev->memory_lock))
			up_read(&vdev->memory_lock);
	} else {
		down_read(&vdev->memory_lock);
		up_read(&vdev->memory_lock);
	}
	return VM_FAULT_RETRY;
}

/* unmap_mapping_range design: one page, under memory_lock (read) */
static vm_fault_t vfio_pci_mmap_page_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vfio_pci_core_device *vdev = vma->vm_private_data;
	unsigned long pgoff = (vmf->address - vma->vm_start) >> PAGE_SHIFT;
	unsigned long pfn = vma_to_pfn(vma) + pgoff;
	vm_fault_t ret = VM_FAULT_SIGBUS;

	down_read(&vdev->memory_lock);
	if (__vfio_pci_memory_enabled(vdev))
		ret = vmf_insert_pfn(vma, vmf->address, pfn);
	else
		__atomic_add_fetch(&vdev->nr_sigbus, 1, __ATOMIC_RELAXED);
	up_read(&vdev->memory_lock);
	return ret;
}

/* map the whole VMA and list it, vma_lock held (and memory_lock) */
static vm_fault_t vfio_pci_map_whole_vma(struct vfio_pci_core_device *vdev,
					 struct vm_area_struct *vma)
{
	/* a concurrent fault of this VMA got here first */
	if (vfio_pci_vma_listed(vdev, vma))
		return VM_FAULT_NOPAGE;
	if (io_remap_pfn_range(vma, vma->vm_start, vma_to_pfn(vma),
			       vma->vm_end - vma->vm_start,
			       vma->vm_page_prot)) {
		zap_vma_ptes(vma, vma->vm_start, vma->vm_end - vma->vm_start);
		return VM_FAULT_SIGBUS;
	}
	__vfio_pci_add_vma(vdev, vma);
	return VM_FAULT_NOPAGE;
}

/*
 * 5.8's fault: list the VMA under vma_lock, drop it, then map the whole
 * VMA under memory_lock alone.  Two faults of one VMA both get here: the
 * second remaps over the first's PTEs (remap_pte_range's BUG_ON) and
 * lists the VMA twice.
 */
static vm_fault_t vfio_pci_mmap_fault_58(struct vfio_pci_core_device *vdev,
					 struct vm_area_struct *vma)
{
	vm_fault_t ret = VM_FAULT_NOPAGE;

	mutex_lock(&vdev->vma_lock);
	down_read(&vdev->memory_lock);
	if (!__vfio_pci_memory_enabled(vdev)) {
		__atomic_add_fetch(&vdev->nr_sigbus, 1, __ATOMIC_RELAXED);
		mutex_unlock(&vdev->vma_lock);
		ret = VM_FAULT_SIGBUS;
		goto up_out;
	}
	__vfio_pci_add_vma(vdev, vma);
	mutex_unlock(&vdev->vma_lock);
	if (io_remap_pfn_range(vma, vma->vm_start, vma_to_pfn(vma),
			       vma->vm_end - vma->vm_start, vma->vm_page_prot))
		ret = VM_FAULT_SIGBUS;
up_out:
	up_read(&vdev->memory_lock);
	return ret;
}

/* the vma_list designs: the whole VMA, listed for the zap */
static vm_fault_t vfio_pci_mmap_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vfio_pci_core_device *vdev = vma->vm_private_data;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	bool memory_locked = true;

	switch (vdev->design) {
	case VFIO_PCI_DESIGN_VMA_LIST_58:
		return vfio_pci_mmap_fault_58(vdev, vma);
	case VFIO_PCI_DESIGN_VMA_LIST_TRYLOCK:
		if (!down_read_trylock(&vdev->memory_lock))
			return vfio_pci_fault_wait(vdev, vmf);
		mutex_lock(&vdev->vma_lock);
		break;
	case VFIO_PCI_DESIGN_PAUSE_FAULTS:
		mutex_lock(&vdev->vma_lock);
		if (READ_ONCE(vdev->pause_faults)) {
			mutex_unlock(&vdev->vma_lock);
			return vfio_pci_fault_wait(vdev, vmf);
		}
		memory_locked = false;
		break;
	default: /* vma_list, memory_lock_outer */
		mutex_lock(&vdev->vma_lock);
		down_read(&vdev->memory_lock);
		break;
	}
	if (__vfio_pci_memory_enabled(vdev))
		ret = vfio_pci_map_whole_vma(vdev, vma);
	else
		__atomic_add_fetch(&vdev->nr_sigbus, 1, __ATOMIC_RELAXED);
	if (memory_locked)
		up_read(&vdev->memory_lock);
	mutex_unlock(&vdev->vma_lock);
	return ret;
}

/* a copy of the VMA (split, fork): unmapped, so it faults and is listed */
static void vfio_pci_mmap_open(struct vm_area_struct *vma)
{
	zap_vma_ptes(vma, vma->vm_start, vma->vm_end - vma->vm_start);
}

static void vfio_pci_mmap_close(struct vm_area_struct *vma)
{
	struct vfio_pci_core_device *vdev = vma->vm_private_data;
	struct vfio_pci_mmap_vma *mmap_vma;

	mutex_lock(&vdev->vma_lock);
	list_for_each_entry(mmap_vma, &vdev->vma_list, vma_next) {
		if (mmap_vma->vma == vma) {
			__vfio_pci_del_vma(vdev, mmap_vma);
			break;
		}
	}
	mutex_unlock(&vdev->vma_lock);
}

static vm_fault_t vfio_pci_fault_counted(struct vm_fault *vmf)
{
	struct vfio_pci_core_device *vdev = vmf->vma->vm_private_data;

	__atomic_add_fetch(&vdev->nr_faults, 1, __ATOMIC_RELAXED);
	return vma_list_design(vdev) ? vfio_pci_mmap_fault(vmf) :
				       vfio_pci_mmap_page_fault(vmf);
}

static const struct vm_operations_struct vfio_pci_mmap_ops = {
	.fault = vfio_pci_fault_counted,
	.name = "vfio-pci",
};

static const struct vm_operations_struct vfio_pci_mmap_list_ops = {
	.open = vfio_pci_mmap_open,
	.close = vfio_pci_mmap_close,
	.fault = vfio_pci_fault_counted,
	.name = "vfio-pci",
};

/* before CVE-2020-12888's fix: no fault, no tracking */
static const struct vm_operations_struct vfio_pci_mmap_nozap_ops = {
	.name = "vfio-pci",
};

/**
 * vfio_pci_core_mmap - the device file's ->mmap: set up a BAR mapping
 * @file: the device file
 * @vma: the new VMA (vm_pgoff: region index << 28 | page offset)
 *
 * Returns 0 or -EINVAL, as Linux, for a region that is not an mmap'able
 * BAR, a private mapping, or a range past the end of the BAR.
 */
int vfio_pci_core_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct vfio_pci_core_device *vdev = file->private_data;
	struct pci_dev *pdev = vdev->pdev;
	unsigned long index, phys_len, req_len, pgoff, req_start;

	index = vma->vm_pgoff >> (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT);
	if (index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	if (vma->vm_end < vma->vm_start)
		return -EINVAL;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (index >= VFIO_PCI_ROM_REGION_INDEX)
		return -EINVAL;
	if ((int)index >= pdev->nr_bars) /* !bar_mmap_supported[index] */
		return -EINVAL;

	phys_len = PAGE_ALIGN(pci_resource_len(pdev, index));
	req_len = vma->vm_end - vma->vm_start;
	pgoff = vma->vm_pgoff &
		((1UL << (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT)) - 1);
	req_start = pgoff << PAGE_SHIFT;
	if (req_start + req_len > phys_len)
		return -EINVAL;

	vma->vm_private_data = vdev;
	vma->vm_flags |= VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP;
	if (!vdev->zap) {
		vma->vm_ops = &vfio_pci_mmap_nozap_ops;
		return io_remap_pfn_range(vma, vma->vm_start, vma_to_pfn(vma),
					  req_len, vma->vm_page_prot);
	}
	vma->vm_ops = vma_list_design(vdev) ? &vfio_pci_mmap_list_ops :
					      &vfio_pci_mmap_ops;
	return 0;
}

/**
 * vfio_pci_mmap_bar - mmap(2) of BAR @bar of the device file in @mm
 * @vdev: the device
 * @mm: the address space
 * @bar: region index
 * @addr: address hint (or the address with @fixed)
 * @len: length in bytes
 * @bar_offset: offset in the BAR, page aligned
 * @fixed: MAP_FIXED
 *
 * PROT_READ | PROT_WRITE, MAP_SHARED.  Returns the address or -errno.
 */
unsigned long vfio_pci_mmap_bar(struct vfio_pci_core_device *vdev,
				struct mm_struct *mm, int bar,
				unsigned long addr, unsigned long len,
				unsigned long bar_offset, bool fixed)
{
	if (bar < 0 || bar >= VFIO_PCI_NUM_REGIONS ||
	    bar_offset > VFIO_PCI_OFFSET_MASK)
		return -EINVAL;
	return vm_mmap(mm, &vdev->file, addr, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | (fixed ? MAP_FIXED : 0),
		       VFIO_PCI_INDEX_TO_OFFSET(bar) + bar_offset);
}

/* ---- power state and reset ---- */

/**
 * vfio_pci_set_power_state - vfio_lock_and_set_power_state()
 * @vdev: the device
 * @state: PCI_D0 or PCI_D3hot
 *
 * Going to D3hot stops decode: the mappings are zapped first.
 * Returns 0 or -EINVAL.
 */
int vfio_pci_set_power_state(struct vfio_pci_core_device *vdev, int state)
{
	int ret;

	if (state != PCI_D0 && state != PCI_D3hot)
		return -EINVAL;
	if (state >= PCI_D3hot)
		vfio_pci_zap_and_down_write_memory_lock(vdev);
	else
		down_write(&vdev->memory_lock);
	ret = pci_set_power_state(vdev->pdev, state);
	vfio_pci_memory_up_write(vdev);
	return ret;
}

/**
 * vfio_pci_core_reset - the VFIO_DEVICE_RESET ioctl
 * @vdev: the device
 *
 * Decode is off during the function reset: zap, memory_lock for write,
 * pci_reset_function() (which restores the command register).
 */
int vfio_pci_core_reset(struct vfio_pci_core_device *vdev)
{
	int ret;

	vfio_pci_zap_and_down_write_memory_lock(vdev);
	ret = pci_reset_function(vdev->pdev);
	vfio_pci_memory_up_write(vdev);
	return ret;
}
