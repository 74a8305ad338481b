/* SPDX-License-Identifier: MIT */
/*
 * A PCI endpoint: the part of its configuration space that decides
 * whether it decodes memory, its BARs, function-level reset and the D0 /
 * D3hot power states.
 *
 * Models include/uapi/linux/pci_regs.h (PCI_COMMAND and its bits, the
 * BAR registers), drivers/pci/pci.c (pci_read/write_config_word,
 * pcie_flr, pci_reset_function's save/reset/restore, pci_set_power_state)
 * and the device's side of MMIO: a BAR is a range of PAGE_STATE_DEVICE
 * frames (phys_reserve_range(): never on the allocator's free lists),
 * and the device decodes an access to it only while PCI_COMMAND_MEMORY
 * is set and it is in D0.
 *
 * Simplifications: one function per device, memory BARs only (no I/O
 * BARs, no ROM, no 64-bit BAR pairs, no resizing or reassignment), no
 * capabilities but the power state, no bus or slot reset.  The BAR
 * registers read back the frame address; writes to them are ignored.
 * Config space is the 64-byte header only.
 *
 * Checks made here (pci_mmio_access, the mm's mmio_access hook;
 * pci_p2p_access, its p2p_access hook; pci_bar_access for kernel
 * accesses):
 *  - "mmio-while-disabled": a CPU access through a TLB entry or PTE, a
 *    kernel ioread/iowrite, or another device's DMA that the IOMMU
 *    translated to a BAR frame (peer-to-peer: the mm's p2p_access hook,
 *    called from the IOMMU core), to a BAR while its device does not decode
 *    memory (the unsupported request that ends in a host machine check,
 *    the impact of CVE-2020-12888);
 *  - "stale-tlb" naming the BAR: a CPU uses a TLB entry filled before
 *    the device's BAR mappings were last zapped (pci_note_zap()): the zap
 *    returned while a CPU could still reach the device.
 *
 * Locking: config space, power state and the zap step are written with
 * WRITE_ONCE under the driver's memory_lock (vfio-pci) and read with
 * READ_ONCE anywhere: the device itself takes no lock.  The per-world
 * device list is written only before agents run.
 */
#ifndef SECMMU_PCI_PCI_H
#define SECMMU_PCI_PCI_H

#include <stdint.h>

#include "mm/mm.h"

#define PCI_STD_NUM_BARS 6
#define PCI_CFG_HEADER_SIZE 64

#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_STATUS 0x06
#define PCI_BASE_ADDRESS_0 0x10

/* BAR sizes: 1 .. PCI_BAR_MAX_PAGES pages */
#define PCI_BAR_MAX_PAGES (1UL << 20)
#define PCI_MAX_DEVICES 8

enum pci_power_state {
	PCI_D0,
	PCI_D1,
	PCI_D2,
	PCI_D3hot,
	PCI_D3cold,
};

/**
 * struct pci_bar - one memory BAR (a struct resource)
 * @start_pfn: its first frame
 * @nr_pages: its size in pages (0: no BAR)
 * @zap_step: world step at which the driver's last zap of the BAR's
 *	user mappings returned (0: never)
 */
struct pci_bar {
	unsigned long start_pfn;
	unsigned long nr_pages;
	unsigned long zap_step;
};

/**
 * struct pci_dev - a PCI function
 * @mmw: the world's mm state (the BAR frames are its physical memory)
 * @name: for reports
 * @config: configuration space header (little-endian bytes)
 * @current_state: PCI_D0 .. PCI_D3cold
 * @bar: the BARs
 * @nr_bars: BARs 0 .. nr_bars - 1 exist
 * @reported: an mmio-while-disabled report was made (once per device)
 * @stale_reported: a stale-tlb report was made (once per device)
 */
struct pci_dev {
	struct mm_world *mmw;
	const char *name;
	_Alignas(8) uint8_t config[PCI_CFG_HEADER_SIZE];
	int current_state;
	struct pci_bar bar[PCI_STD_NUM_BARS];
	int nr_bars;
	bool reported;
	bool stale_reported;
};

/* the devices of one world: the mm's mmio_access hook looks them up */
struct pci_bus {
	struct pci_dev *devs[PCI_MAX_DEVICES];
	int nr;
};

int pci_dev_init(struct pci_dev *pdev, struct mm_world *mmw, const char *name,
		 const unsigned long *bar_pages, int nr_bars);

uint16_t pci_read_config_word(struct pci_dev *pdev, int where);
void pci_write_config_word(struct pci_dev *pdev, int where, uint16_t val);
bool __pci_memory_enabled(struct pci_dev *pdev);

int pci_set_power_state(struct pci_dev *pdev, int state);
void pcie_flr(struct pci_dev *pdev);
int pci_reset_function(struct pci_dev *pdev);

static inline unsigned long pci_resource_start_pfn(struct pci_dev *pdev,
						   int bar)
{
	return pdev->bar[bar].start_pfn;
}

static inline unsigned long pci_resource_len(struct pci_dev *pdev, int bar)
{
	return pdev->bar[bar].nr_pages << PAGE_SHIFT;
}

int pci_bar_access(struct pci_dev *pdev, int bar, unsigned long offset,
		   bool write, uint64_t *val);
void pci_note_zap(struct pci_dev *pdev);
const char *pci_power_name(int state);

#endif
