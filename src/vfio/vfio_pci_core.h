/* SPDX-License-Identifier: MIT */
/*
 * vfio-pci: a PCI device handed to user space, its BARs mmap'ed into the
 * user's address space and read/written through the device file.
 *
 * Models drivers/vfio/pci/vfio_pci_core.c (mmap, the mmap fault, the BAR
 * zap and memory_lock, power state, VFIO_DEVICE_RESET),
 * vfio_pci_config.c (the COMMAND and power-state writes) and
 * vfio_pci_rdwr.c (vfio_pci_bar_rw) across the designs vfio-pci has had
 * (vfio_pci.design, see vfio_pci_core.c for each one's lock order).
 *
 * Simplifications: no interrupts, no virtual config space (the user's
 * writes reach the device's COMMAND register as they are), no ROM, VGA,
 * device-specific regions or sparse mmap, no ioeventfd; one vfio_device
 * per PCI device, opened once; region offsets as VFIO's
 * (VFIO_PCI_INDEX_TO_OFFSET: index << 40).
 *
 * Locking: see vfio_pci_core.c.
 */
#ifndef SECMMU_VFIO_VFIO_PCI_CORE_H
#define SECMMU_VFIO_VFIO_PCI_CORE_H

#include "core/policy.h"
#include "pci/pci.h"

#define VFIO_PCI_OFFSET_SHIFT 40
#define VFIO_PCI_INDEX_TO_OFFSET(index) \
	((unsigned long)(index) << VFIO_PCI_OFFSET_SHIFT)
#define VFIO_PCI_OFFSET_TO_INDEX(off) ((off) >> VFIO_PCI_OFFSET_SHIFT)
#define VFIO_PCI_OFFSET_MASK ((1UL << VFIO_PCI_OFFSET_SHIFT) - 1)

enum {
	VFIO_PCI_BAR0_REGION_INDEX,
	VFIO_PCI_BAR5_REGION_INDEX = 5,
	VFIO_PCI_ROM_REGION_INDEX,
	VFIO_PCI_CONFIG_REGION_INDEX,
	VFIO_PCI_VGA_REGION_INDEX,
	VFIO_PCI_NUM_REGIONS,
};

/* one VMA that has faulted BAR pages in (the vma_list designs) */
struct vfio_pci_mmap_vma {
	struct vm_area_struct *vma;
	struct list_head vma_next;
};

/**
 * struct vfio_pci_core_device - a device bound to vfio-pci
 * @pdev: the PCI device
 * @w: the world
 * @design: vfio_pci.design at open
 * @zap: vfio_pci.zap_on_memory_disable at open
 * @memory_lock: guards the device's memory decode against BAR accesses
 *	and faults (class "memory_lock"): read for an access, write to
 *	change COMMAND, power state or reset
 * @vma_lock: guards @vma_list (class "vma_lock"; vma_list designs)
 * @vma_list: the VMAs with BAR pages mapped since the last zap
 * @vma_free: spare list entries (kmalloc/kfree of the model)
 * @pause_faults: pause_faults design: faults wait while it is set
 * @fault_wq: their wait queue
 * @file: the device file (the file descriptor mmap'ed)
 * @inode: its address_space: the inode per device of 6.10, whose
 *	i_mmap holds every VMA mapping a region of the device
 * @nr_faults, @nr_zaps, @nr_sigbus: statistics (atomic)
 */
struct vfio_pci_core_device {
	struct pci_dev *pdev;
	struct world *w;
	enum vfio_pci_design design;
	bool zap;
	struct rw_semaphore memory_lock;
	struct mutex vma_lock;
	struct list_head vma_list;
	struct vfio_pci_mmap_vma *vma_free[16];
	int nr_vma_free;
	int pause_faults;
	wait_queue_head_t fault_wq;
	struct file file;
	struct address_space inode;
	unsigned long nr_faults, nr_zaps, nr_sigbus;
};

int vfio_pci_core_init_dev(struct vfio_pci_core_device *vdev,
			   struct pci_dev *pdev);

/* mmap(2) of the device file: a BAR region into @mm */
unsigned long vfio_pci_mmap_bar(struct vfio_pci_core_device *vdev,
				struct mm_struct *mm, int bar,
				unsigned long addr, unsigned long len,
				unsigned long bar_offset, bool fixed);
int vfio_pci_core_mmap(struct file *file, struct vm_area_struct *vma);

bool __vfio_pci_memory_enabled(struct vfio_pci_core_device *vdev);
void vfio_pci_zap_bars(struct vfio_pci_core_device *vdev);
void vfio_pci_zap_and_down_write_memory_lock(struct vfio_pci_core_device *vdev);
void vfio_pci_memory_up_write(struct vfio_pci_core_device *vdev);
int vfio_pci_set_power_state(struct vfio_pci_core_device *vdev, int state);
int vfio_pci_core_reset(struct vfio_pci_core_device *vdev);

/* vfio_pci_config.c: the user's config space writes */
int vfio_pci_config_write_command(struct vfio_pci_core_device *vdev,
				  uint16_t cmd);
int vfio_pci_config_write_power(struct vfio_pci_core_device *vdev, int state);

/* vfio_pci_rdwr.c: pread/pwrite of a BAR region */
long vfio_pci_bar_rw(struct vfio_pci_core_device *vdev, int bar,
		     unsigned long offset, uint64_t *val, bool iswrite);

const char *vfio_pci_design_name(enum vfio_pci_design d);

#endif
