// SPDX-License-Identifier: MIT
/*
 * pread/pwrite of a vfio-pci BAR region: the kernel accesses the BAR
 * through its own mapping (pci_iomap) on the user's behalf.
 *
 * Models drivers/vfio/pci/vfio_pci_rdwr.c: vfio_pci_bar_rw and
 * vfio_pci_core_do_io_rw's test_mem path: the access is made under
 * memory_lock for read and fails with -EIO while memory decode is off
 * (before CVE-2020-12888's fix there was no check: the access reached a
 * device that did not decode it).
 *
 * Simplifications: one 8-byte access per call, 8-byte aligned; no
 * copy_to/from_user (so the recursive memory_lock read of a user buffer
 * inside a BAR mapping, bc93b9ae0151, cannot happen here).
 *
 * Lock order: memory_lock (read), then nothing: the device access takes
 * no lock.
 */
#include <errno.h>

#include "core/trace.h"
#include "vfio/vfio_pci_core.h"

/**
 * vfio_pci_bar_rw - read or write one word of BAR @bar
 * @vdev: the device
 * @bar: region index
 * @offset: byte offset in the BAR
 * @val: the value written, or where the value read goes
 * @iswrite: write, else read
 *
 * Returns 8 (bytes done), -EINVAL for a bad BAR or offset, -EIO while
 * the device does not decode memory.
 */
long vfio_pci_bar_rw(struct vfio_pci_core_device *vdev, int bar,
		     unsigned long offset, uint64_t *val, bool iswrite)
{
	struct pci_dev *pdev = vdev->pdev;
	long ret = sizeof(*val);

	if (bar < 0 || bar >= pdev->nr_bars || (offset & 7) ||
	    offset >= pci_resource_len(pdev, bar))
		return -EINVAL;
	down_read(&vdev->memory_lock);
	if (vdev->zap && !__vfio_pci_memory_enabled(vdev)) {
		ret = -EIO;
		goto out;
	}
	if (pci_bar_access(pdev, bar, offset, iswrite, val))
		ret = -EINVAL;
out:
	up_read(&vdev->memory_lock);
	trace_eventf(vdev->w, "vfio-pci %s BAR%d %s %#lx: %ld", pdev->name, bar,
		     iswrite ? "write" : "read", offset, ret);
	return ret;
}
