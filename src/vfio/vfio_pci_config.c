// SPDX-License-Identifier: MIT
/*
 * The user's writes to a vfio-pci device's configuration space that
 * change memory decode: the COMMAND register and the power state.
 *
 * Models drivers/vfio/pci/vfio_pci_config.c: vfio_basic_config_write's
 * PCI_COMMAND case (clearing PCI_COMMAND_MEMORY zaps the BAR mappings
 * and takes memory_lock for write; setting it takes memory_lock for write
 * alone) and vfio_pm_config_write's PCI_PM_CTRL case
 * (vfio_lock_and_set_power_state).
 *
 * Simplifications: no virtual config space and no permission table: the
 * written COMMAND value reaches the device as it is.
 *
 * Lock order: memory_lock (write), taken by
 * vfio_pci_zap_and_down_write_memory_lock() in the design's order (see
 * vfio_pci_core.c); the device's config registers take no lock.
 */
#include <errno.h>

#include "core/trace.h"
#include "vfio/vfio_pci_core.h"

/**
 * vfio_pci_config_write_command - the user writes PCI_COMMAND
 * @vdev: the device
 * @cmd: the new value (PCI_COMMAND_MEMORY, _IO, _MASTER bits)
 *
 * Returns 0.
 */
int vfio_pci_config_write_command(struct vfio_pci_core_device *vdev,
				  uint16_t cmd)
{
	bool new_mem = cmd & PCI_COMMAND_MEMORY;

	if (!new_mem)
		vfio_pci_zap_and_down_write_memory_lock(vdev);
	else
		down_write(&vdev->memory_lock);
	pci_write_config_word(vdev->pdev, PCI_COMMAND, cmd);
	vfio_pci_memory_up_write(vdev);
	return 0;
}

/**
 * vfio_pci_config_write_power - the user writes PCI_PM_CTRL's state
 * @vdev: the device
 * @state: PCI_D0 or PCI_D3hot
 *
 * Returns 0 or -EINVAL for another state.
 */
int vfio_pci_config_write_power(struct vfio_pci_core_device *vdev, int state)
{
	return vfio_pci_set_power_state(vdev, state);
}
