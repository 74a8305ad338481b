// SPDX-License-Identifier: MIT
/*
 * A PCI endpoint's configuration space, BARs, reset and power states, and
 * the checker of accesses to its BARs.  See pci.h for what is modeled,
 * what is simplified and the locking.
 *
 * The device's decode state is what an access sees at the moment it
 * reaches the device: for a CPU that is inside its instruction (under
 * cpu_tlb, pci_mmio_access), for the kernel's ioread/iowrite inside
 * pci_bar_access().  A reset or a power transition opens a window (a
 * schedule point) during which the device decodes nothing, so an access
 * that bypasses the driver's memory_lock (a stale TLB entry, a PTE the
 * driver never zapped) lands in it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/trace.h"
#include "pci/pci.h"

static uint16_t cfg_get(struct pci_dev *pdev, int where)
{
	uint16_t v;

	sched_point(SP_MEM, &pdev->config[where]);
	v = __atomic_load_n((uint16_t *)&pdev->config[where], __ATOMIC_ACQUIRE);
	return v;
}

static void cfg_put(struct pci_dev *pdev, int where, uint16_t val)
{
	sched_point(SP_MEM, &pdev->config[where]);
	__atomic_store_n((uint16_t *)&pdev->config[where], val,
			 __ATOMIC_RELEASE);
}

uint16_t pci_read_config_word(struct pci_dev *pdev, int where)
{
	if (where < 0 || where + 2 > PCI_CFG_HEADER_SIZE || (where & 1))
		return 0xffff;
	return cfg_get(pdev, where);
}

/* BAR registers are read-only here (no reassignment) */
void pci_write_config_word(struct pci_dev *pdev, int where, uint16_t val)
{
	if (where < 0 || where + 2 > PCI_CFG_HEADER_SIZE || (where & 1) ||
	    (where >= PCI_BASE_ADDRESS_0 &&
	     where < PCI_BASE_ADDRESS_0 + 4 * PCI_STD_NUM_BARS) ||
	    where < PCI_COMMAND)
		return;
	cfg_put(pdev, where, val);
	trace_eventf(pdev->mmw->w, "pci %s config[%#x] := %#x", pdev->name,
		     where, val);
}

/* does the device decode memory now? (no schedule point: a snapshot) */
static bool pci_decodes(struct pci_dev *pdev)
{
	uint16_t cmd = __atomic_load_n((uint16_t *)&pdev->config[PCI_COMMAND],
				       __ATOMIC_ACQUIRE);

	return (cmd & PCI_COMMAND_MEMORY) &&
	       __atomic_load_n(&pdev->current_state, __ATOMIC_ACQUIRE) ==
		       PCI_D0;
}

/**
 * __pci_memory_enabled - memory decode is on (COMMAND.MEMORY and D0)
 * @pdev: the device
 *
 * A schedule point on the command register: callers decide on it.
 */
bool __pci_memory_enabled(struct pci_dev *pdev)
{
	return (pci_read_config_word(pdev, PCI_COMMAND) & PCI_COMMAND_MEMORY) &&
	       READ_ONCE(pdev->current_state) == PCI_D0;
}

const char *pci_power_name(int state)
{
	static const char *const names[] = { "D0", "D1", "D2", "D3hot",
					     "D3cold" };

	return state >= PCI_D0 && state <= PCI_D3cold ? names[state] : "D?";
}

/**
 * pci_set_power_state - move the device to @state
 * @pdev: the device
 * @state: PCI_D0 or PCI_D3hot (others are refused with -EINVAL)
 *
 * The device decodes memory in D0 only.  It keeps its configuration
 * across D3hot (No_Soft_Reset set), so going back to D0 restores decode
 * with the command register as it was.
 */
int pci_set_power_state(struct pci_dev *pdev, int state)
{
	if (state != PCI_D0 && state != PCI_D3hot)
		return -EINVAL;
	WRITE_ONCE(pdev->current_state, state);
	trace_eventf(pdev->mmw->w, "pci %s power %s", pdev->name,
		     pci_power_name(state));
	return 0;
}

/* function-level reset: the configuration goes back to its reset value */
void pcie_flr(struct pci_dev *pdev)
{
	cfg_put(pdev, PCI_COMMAND, 0);
	trace_eventf(pdev->mmw->w, "pci %s FLR", pdev->name);
	/* the reset takes time: others run while nothing is decoded */
	sched_point(SP_MEM, &pdev->config[PCI_COMMAND]);
}

/**
 * pci_reset_function - reset the function, keeping its configuration
 * @pdev: the device
 *
 * pci_save_state(), the FLR (decode off until the restore), then
 * pci_restore_state() of the command register.  Returns 0.
 */
int pci_reset_function(struct pci_dev *pdev)
{
	uint16_t cmd = pci_read_config_word(pdev, PCI_COMMAND);

	pcie_flr(pdev);
	cfg_put(pdev, PCI_COMMAND, cmd);
	return 0;
}

/* ---- the BARs and their accesses ---- */

static struct pci_bus *pci_bus_of(struct mm_world *mmw);

static struct pci_dev *pci_find_bar(struct pci_bus *bus, unsigned long pfn,
				    int *barp)
{
	int i, b;

	for (i = 0; i < bus->nr; i++)
		for (b = 0; b < bus->devs[i]->nr_bars; b++) {
			struct pci_bar *bar = &bus->devs[i]->bar[b];

			if (pfn >= bar->start_pfn &&
			    pfn < bar->start_pfn + bar->nr_pages) {
				*barp = b;
				return bus->devs[i];
			}
		}
	return NULL;
}

static void report_disabled(struct pci_dev *pdev, int bar, unsigned long off,
			    bool write, const char *via)
{
	struct world *w = pdev->mmw->w;

	if (__atomic_exchange_n(&pdev->reported, true, __ATOMIC_RELAXED))
		return;
	report_add(
		w, "mmio-while-disabled",
		"%s: %s BAR%d of %s at offset %#lx %s while the device does not decode memory (COMMAND %#x, %s): an unsupported request, fatal to the host (CVE-2020-12888)\n",
		current ? current->name : "(no agent)",
		write ? "wrote" : "read", bar, pdev->name, off, via,
		__atomic_load_n((uint16_t *)&pdev->config[PCI_COMMAND],
				__ATOMIC_RELAXED),
		pci_power_name(__atomic_load_n(&pdev->current_state,
					       __ATOMIC_RELAXED)));
	__atomic_store_n(&w->stop, true, __ATOMIC_RELAXED);
}

/*
 * The mm's mmio_access hook: a CPU access to a device frame, under
 * cpu_tlb, through entry @e (a hit, or the fill of a walk just made).
 */
static bool pci_mmio_access(struct mm_world *mmw, struct cpu *cpu,
			    const struct tlb_entry *e, unsigned long va,
			    bool write)
{
	struct pci_bus *bus = mmw->mmio_priv;
	unsigned long off;
	struct pci_dev *pdev;
	struct pci_bar *bar;
	unsigned long zap;
	int b;

	pdev = bus ? pci_find_bar(bus, e->pfn, &b) : NULL;
	if (!pdev)
		return true;
	bar = &pdev->bar[b];
	off = ((e->pfn - bar->start_pfn) << PAGE_SHIFT) | (va & ~PAGE_MASK);
	zap = __atomic_load_n(&bar->zap_step, __ATOMIC_ACQUIRE);
	if (zap && e->fill_step < zap &&
	    !__atomic_exchange_n(&pdev->stale_reported, true,
				 __ATOMIC_RELAXED)) {
		report_add(
			mmw->w, "stale-tlb",
			"CPU%d: %s %s va %#lx -> BAR%d of %s (offset %#lx) through a TLB entry filled at step %lu, but the driver's zap of the BAR mappings returned at step %lu\n",
			cpu->id, current ? current->name : "(no agent)",
			write ? "wrote" : "read", va, b, pdev->name, off,
			e->fill_step, zap);
	}
	if (pci_decodes(pdev))
		return true;
	report_disabled(pdev, b, off, write, "through the CPU's TLB/PTE");
	return false;
}

/*
 * The mm's p2p_access hook: another device's DMA, translated by the
 * IOMMU, reaches frame @pfn of a BAR.  The decode state is read when the
 * request arrives, as for a CPU access: the device does not know how the
 * initiator got the address (an IOMMU mapping nobody invalidated).
 */
static bool pci_p2p_access(struct mm_world *mmw, const char *initiator,
			   unsigned long pfn, unsigned long off, bool write)
{
	struct pci_bus *bus = mmw->mmio_priv;
	struct pci_dev *pdev;
	char via[96];
	int b;

	pdev = bus ? pci_find_bar(bus, pfn, &b) : NULL;
	if (!pdev)
		return true;
	sched_point(SP_MEM, &pdev->bar[b]);
	if (pci_decodes(pdev))
		return true;
	snprintf(via, sizeof(via), "by %s's peer-to-peer DMA through the IOMMU",
		 initiator);
	report_disabled(pdev, b,
			((pfn - pdev->bar[b].start_pfn) << PAGE_SHIFT) | off,
			write, via);
	return false;
}

/**
 * pci_bar_access - the kernel's ioread64/iowrite64 of a BAR (pci_iomap)
 * @pdev: the device
 * @bar: BAR index
 * @offset: byte offset, 8-byte aligned, inside the BAR
 * @write: store *@val, else load into *@val
 * @val: the value
 *
 * Returns 0, or -EINVAL for a bad BAR or offset.  An access while the
 * device does not decode is reported (and reads all ones).
 */
int pci_bar_access(struct pci_dev *pdev, int bar, unsigned long offset,
		   bool write, uint64_t *val)
{
	struct phys_mem *pm = pdev->mmw->pm;
	unsigned long pfn;

	if (bar < 0 || bar >= pdev->nr_bars || (offset & 7) ||
	    offset >= pci_resource_len(pdev, bar))
		return -EINVAL;
	sched_point(SP_MEM, &pdev->bar[bar]);
	if (!pci_decodes(pdev)) {
		report_disabled(pdev, bar, offset, write,
				"through the kernel's mapping (pci_iomap)");
		if (!write)
			*val = ~0ULL;
		return 0;
	}
	pfn = pdev->bar[bar].start_pfn + (offset >> PAGE_SHIFT);
	if (write)
		return phys_write(pm, pfn, offset & ~PAGE_MASK, *val);
	return phys_read(pm, pfn, offset & ~PAGE_MASK, val);
}

/**
 * pci_note_zap - the driver's zap of every user mapping of @pdev's BARs
 *	has returned: a TLB entry filled before now is stale from here on
 * @pdev: the device
 */
void pci_note_zap(struct pci_dev *pdev)
{
	unsigned long step =
		__atomic_load_n(&pdev->mmw->w->step, __ATOMIC_RELAXED);
	int b;

	for (b = 0; b < pdev->nr_bars; b++)
		__atomic_store_n(&pdev->bar[b].zap_step, step,
				 __ATOMIC_RELEASE);
}

static struct pci_bus *pci_bus_of(struct mm_world *mmw)
{
	struct pci_bus *bus = mmw->mmio_priv;

	if (!bus) {
		bus = arena_alloc(mmw->w, sizeof(*bus));
		mmw->mmio_priv = bus;
		mmw->mmio_access = pci_mmio_access;
		mmw->p2p_access = pci_p2p_access;
	}
	return bus;
}

/**
 * pci_dev_init - a device with @nr_bars memory BARs of @bar_pages pages
 * @pdev: zeroed storage (the world's arena)
 * @mmw: the world's mm state; BAR frames come from its physical memory
 * @name: for reports and traces
 * @bar_pages: the BARs' sizes in pages
 * @nr_bars: 1 .. PCI_STD_NUM_BARS
 *
 * Call before agents run.  The device is enabled (COMMAND = MEMORY |
 * MASTER, D0) as after vfio_pci_core_enable() and the user's enable.
 * Returns 0, -EINVAL for bad sizes, -ENOSPC past PCI_MAX_DEVICES or
 * -ENOMEM when the frames cannot be reserved.
 */
int pci_dev_init(struct pci_dev *pdev, struct mm_world *mmw, const char *name,
		 const unsigned long *bar_pages, int nr_bars)
{
	struct pci_bus *bus = pci_bus_of(mmw);
	int b;

	if (nr_bars < 1 || nr_bars > PCI_STD_NUM_BARS)
		return -EINVAL;
	if (bus->nr == PCI_MAX_DEVICES)
		return -ENOSPC;
	memset(pdev, 0, sizeof(*pdev));
	pdev->mmw = mmw;
	pdev->name = name;
	for (b = 0; b < nr_bars; b++) {
		long pfn;

		if (!bar_pages[b] || bar_pages[b] > PCI_BAR_MAX_PAGES)
			return -EINVAL;
		pfn = phys_reserve_range(mmw->pm, bar_pages[b],
					 PAGE_STATE_DEVICE);
		if (pfn < 0)
			return (int)pfn;
		pdev->bar[b].start_pfn = pfn;
		pdev->bar[b].nr_pages = bar_pages[b];
		*(uint32_t *)&pdev->config[PCI_BASE_ADDRESS_0 + 4 * b] =
			(uint32_t)((unsigned long)pfn << PAGE_SHIFT);
	}
	pdev->nr_bars = nr_bars;
	*(uint16_t *)&pdev->config[PCI_VENDOR_ID] = 0x1af4;
	*(uint16_t *)&pdev->config[PCI_DEVICE_ID] = 0x10f1;
	*(uint16_t *)&pdev->config[PCI_COMMAND] = PCI_COMMAND_MEMORY |
						  PCI_COMMAND_MASTER;
	pdev->current_state = PCI_D0;
	bus->devs[bus->nr++] = pdev;
	return 0;
}
