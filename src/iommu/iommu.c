// SPDX-License-Identifier: MIT
/*
 * The IOMMU core and the hardware it drives: the IOMMU's IOTLB, PCIe
 * devices with an ATS device TLB, DMA, translation faults and PRI page
 * requests.
 *
 * Models drivers/iommu/iommu.c (iommu_domain_alloc/free, attach and
 * detach of a device and of a device's PASID, iommu_alloc_global_pasid,
 * iommu_report_device_fault, iommu_page_response) and the parts of a
 * driver that touch the hardware (Intel's qi_flush_piotlb and
 * qi_flush_dev_iotlb_pasid, the PASID table tear-down), plus the
 * hardware: an IOTLB tagged by (domain id, PASID, page) that caches the
 * permission it walked, and a device TLB tagged by (PASID, page).  The
 * code is our own.
 *
 * Simplifications:
 *  - One IOMMU per world (iommu_get), devices added to it by name.  No
 *    groups, no default domains, no context/PASID-cache invalidation
 *    (the PASID table is read under iommu->lock, so a change is seen at
 *    once), no paging-structure caches, no 2-stage translation.
 *  - A DMA access is one aligned 8-byte read or write.  The IOTLB and the
 *    ATC are small FIFO caches (IOMMU_IOTLB_ENTRIES, DEV_ATC_ENTRIES).
 *  - The IOTLB caches the permission of the walk.  What a write through a
 *    cached read-only entry does depends on world->arch: arm64 (an SMMU)
 *    faults without walking again and keeps the entry, so only an
 *    invalidation makes the IOMMU see a PTE that became writable; x86
 *    (VT-d) drops the entry and walks again, as the CPU model does.
 *  - Invalidation commands complete synchronously (a queued invalidation
 *    followed by its wait descriptor), ATS invalidation too.
 *  - A page request is delivered to the registered handler by the
 *    faulting device itself (standing in for the IOMMU's page request
 *    queue and its interrupt thread); the device then sleeps until
 *    iommu_page_response() answers its group.  One page per group.
 *
 * Checks made here (reports):
 *  - "stale-iotlb" / "stale-atc": a hit on an entry whose frame was
 *    freed since the fill (its generation moved), naming the fill step
 *    and the agent that filled it, once per entry;
 *  - "device-failure": more than iommu.refault_limit faults of one access
 *    after page requests answered success;
 *  - "dma-after-unbind": DMA tagged with a PASID unbound from the device;
 *  - iommu_check_quiescent(): entries stale or more permissive than the
 *    domain's tables ("stale-iotlb", "stale-atc", "iotlb-coherence").
 *
 * Lock order (outermost first):
 *
 *   pci_dev->atc_lock   (one DMA access of the device; an ATS invalidation)
 *     iommu->lock       (IOTLB, PASID tables, the walk and its fill; an
 *                        IOTLB invalidation)
 *       rcu_read_lock   (SVA walks of the CPU page tables)
 *   pci_dev->prq_lock   (leaf: the device's page request groups)
 *
 * Invalidation takes iommu->lock and then, separately, each device's
 * atc_lock, never one inside the other; callers may hold a page-table
 * lock (the notifier's arch_invalidate_secondary_tlbs runs under it), so
 * nothing under atc_lock or iommu->lock may take a page-table lock.
 */
#include <stdio.h>
#include <string.h>

#include "check/check.h"
#include "check/oracle.h"
#include "core/policy.h"
#include "core/trace.h"
#include "iommu/iommu.h"
#include "phys/cache.h"

static void stat_add(unsigned long *v, unsigned long n)
{
	__atomic_add_fetch(v, n, __ATOMIC_RELAXED);
}

static unsigned long world_step(struct world *w)
{
	return __atomic_load_n(&w->step, __ATOMIC_RELAXED);
}

static const char *agent_name(struct world *w, int id)
{
	if (id < 0 || id >= w->nr_agents || !w->agents[id])
		return "(no agent)";
	return w->agents[id]->name;
}

static const char *cur_name(void)
{
	return current ? current->name : "(no agent)";
}

/**
 * iommu_get - the world's IOMMU, made on first use in this execution
 * @mmw: the world's mm state
 *
 * The IOMMU lives in the arena: world_reset() discards it and
 * mm_world_get() forgets the pointer, so each execution makes its own,
 * with the same lock ids.  Call from setup or from an agent.
 */
struct iommu *iommu_get(struct mm_world *mmw)
{
	struct world *w = mmw->w;
	struct iommu *iommu = mmw->iommu;

	if (iommu)
		return iommu;
	iommu = arena_alloc(w, sizeof(*iommu));
	iommu->mmw = mmw;
	iommu->w = w;
	spin_lock_init(w, &iommu->lock, "iommu->lock");
	iommu->next_did = 1;
	iommu->pasid_used = 1; /* IOMMU_NO_PASID is never handed out */
	iommu->sva = NULL;
	iommu->iopf = NULL;
	mmw->iommu = iommu;
	return iommu;
}

/* ---- domains ---- */

/**
 * iommu_domain_alloc - a new domain on @iommu
 * @iommu: the IOMMU
 * @type: IOMMU_DOMAIN_*
 * @ops: its translation (iova_to_phys at least)
 * @priv: the owner's
 *
 * Returns the domain with a fresh domain id, or NULL when ids run out.
 */
struct iommu_domain *iommu_domain_alloc(struct iommu *iommu,
					enum iommu_domain_type type,
					const struct iommu_domain_ops *ops,
					void *priv)
{
	struct iommu_domain *domain;
	unsigned int did;

	spin_lock(&iommu->lock);
	did = iommu->next_did;
	if (did >= IOMMU_MAX_DID) {
		spin_unlock(&iommu->lock);
		return NULL;
	}
	iommu->next_did++;
	spin_unlock(&iommu->lock);
	domain = arena_alloc(iommu->w, sizeof(*domain));
	domain->type = type;
	domain->id = did;
	domain->ops = ops;
	domain->iommu = iommu;
	domain->priv = priv;
	domain->name = type == IOMMU_DOMAIN_SVA	   ? "sva" :
		       type == IOMMU_DOMAIN_DMA	   ? "dma" :
		       type == IOMMU_DOMAIN_DMA_FQ ? "dma-fq" :
						     "unmanaged";
	return domain;
}

/**
 * iommu_domain_free - free a domain no device is attached to
 * @domain: the domain
 *
 * Drops every IOTLB entry tagged with its id, then calls ops->free.
 */
void iommu_domain_free(struct iommu_domain *domain)
{
	iommu_flush_iotlb_domain(domain->iommu, domain->id);
	if (domain->ops && domain->ops->free)
		domain->ops->free(domain);
}

/**
 * pci_dev_add - plug a device in behind @iommu
 * @iommu: the IOMMU
 * @name: its name, for reports (kept, not copied)
 * @ats: ATS enabled (it has a device TLB)
 * @pri: PRI enabled (it sends page requests); PASIDs are enabled with it
 *
 * Returns the device, or NULL if the IOMMU has IOMMU_MAX_DEVICES.
 */
struct pci_dev *pci_dev_add(struct iommu *iommu, const char *name, bool ats,
			    bool pri)
{
	struct world *w = iommu->w;
	struct pci_dev *dev;

	if (iommu->nr_devices >= IOMMU_MAX_DEVICES)
		return NULL;
	dev = arena_alloc(w, sizeof(*dev));
	dev->iommu = iommu;
	dev->name = name;
	dev->id = iommu->nr_devices;
	dev->ats_enabled = ats;
	dev->pri_enabled = pri;
	dev->pasid_enabled = true;
	spin_lock_init(w, &dev->atc_lock, "pci_dev->atc_lock");
	spin_lock_init(w, &dev->prq_lock, "pci_dev->prq_lock");
	init_waitqueue_head(w, &dev->prq_wq);
	iommu->devices[iommu->nr_devices++] = dev;
	return dev;
}

/* ---- the global PASID space ---- */

uint32_t iommu_alloc_global_pasid(struct iommu *iommu)
{
	uint32_t pasid;

	spin_lock(&iommu->lock);
	for (pasid = 1; pasid < IOMMU_MAX_PASID; pasid++)
		if (!(iommu->pasid_used & (1ULL << pasid)))
			break;
	if (pasid < IOMMU_MAX_PASID)
		iommu->pasid_used |= 1ULL << pasid;
	else
		pasid = IOMMU_NO_PASID; /* Linux: IOMMU_PASID_INVALID */
	spin_unlock(&iommu->lock);
	return pasid;
}

void iommu_free_global_pasid(struct iommu *iommu, uint32_t pasid)
{
	if (pasid == IOMMU_NO_PASID || pasid >= IOMMU_MAX_PASID)
		return;
	spin_lock(&iommu->lock);
	iommu->pasid_used &= ~(1ULL << pasid);
	spin_unlock(&iommu->lock);
}

/* ---- PASID tables (under iommu->lock) ---- */

static struct dev_pasid *dev_pasid_find(struct pci_dev *dev, uint32_t pasid)
{
	int i;

	for (i = 0; i < DEV_MAX_PASIDS; i++)
		if (dev->pasids[i].state != DEV_PASID_FREE &&
		    dev->pasids[i].pasid == pasid)
			return &dev->pasids[i];
	return NULL;
}

/* the domain requests of (@dev, @pasid) translate through, or NULL */
static struct iommu_domain *dev_domain_locked(struct pci_dev *dev,
					      uint32_t pasid)
{
	struct dev_pasid *dp;

	if (pasid == IOMMU_NO_PASID)
		return dev->domain;
	dp = dev_pasid_find(dev, pasid);
	return dp && dp->state == DEV_PASID_ACTIVE ? dp->domain : NULL;
}

struct iommu_domain *iommu_get_domain_for_dev_pasid(struct pci_dev *dev,
						    uint32_t pasid)
{
	struct iommu_domain *domain;

	spin_lock(&dev->iommu->lock);
	domain = dev_domain_locked(dev, pasid);
	spin_unlock(&dev->iommu->lock);
	return domain;
}

int iommu_attach_device(struct iommu_domain *domain, struct pci_dev *dev)
{
	struct iommu *iommu = dev->iommu;
	int ret = 0;

	if (domain->iommu != iommu)
		return -EINVAL;
	spin_lock(&iommu->lock);
	if (dev->domain)
		ret = -EBUSY;
	else
		dev->domain = domain;
	spin_unlock(&iommu->lock);
	return ret;
}

void iommu_detach_device(struct iommu_domain *domain, struct pci_dev *dev)
{
	struct iommu *iommu = dev->iommu;

	spin_lock(&iommu->lock);
	if (dev->domain == domain)
		dev->domain = NULL;
	spin_unlock(&iommu->lock);
	iommu_flush_iotlb_range(iommu, domain->id, IOMMU_NO_PASID, 0,
				IOMMU_FLUSH_ALL);
	iommu_flush_dev_iotlb(dev, IOMMU_NO_PASID, 0, IOMMU_FLUSH_ALL);
}

/**
 * iommu_attach_device_pasid - requests of @dev tagged @pasid translate
 *	through @domain
 *
 * Returns 0, -EINVAL (PASIDs not enabled, a bad PASID, another IOMMU),
 * -EBUSY (the PASID is attached already) or -ENOSPC (table full).
 */
int iommu_attach_device_pasid(struct iommu_domain *domain, struct pci_dev *dev,
			      uint32_t pasid)
{
	struct iommu *iommu = dev->iommu;
	struct dev_pasid *dp, *slot = NULL;
	int i, ret = 0;

	if (!dev->pasid_enabled || pasid == IOMMU_NO_PASID ||
	    pasid >= IOMMU_MAX_PASID || domain->iommu != iommu)
		return -EINVAL;
	spin_lock(&iommu->lock);
	dp = dev_pasid_find(dev, pasid);
	if (dp && dp->state == DEV_PASID_ACTIVE) {
		ret = -EBUSY;
		goto out;
	}
	if (dp) {
		slot = dp; /* a blocked or unbound entry is reused */
	} else {
		for (i = 0; i < DEV_MAX_PASIDS && !slot; i++)
			if (dev->pasids[i].state == DEV_PASID_FREE)
				slot = &dev->pasids[i];
		for (i = 0; i < DEV_MAX_PASIDS && !slot; i++)
			if (dev->pasids[i].state == DEV_PASID_UNBOUND)
				slot = &dev->pasids[i];
	}
	if (!slot) {
		ret = -ENOSPC;
		goto out;
	}
	*slot = (struct dev_pasid){
		.pasid = pasid,
		.state = DEV_PASID_ACTIVE,
		.domain = domain,
	};
out:
	spin_unlock(&iommu->lock);
	return ret;
}

/* the PASID entry goes, with the IOTLB and ATC entries it tagged */
static void dev_pasid_teardown(struct pci_dev *dev, uint32_t pasid,
			       enum dev_pasid_state state)
{
	struct iommu *iommu = dev->iommu;
	struct dev_pasid *dp;
	unsigned int did = 0;

	spin_lock(&iommu->lock);
	dp = dev_pasid_find(dev, pasid);
	if (dp) {
		if (dp->domain)
			did = dp->domain->id;
		dp->state = state;
		dp->unbind_step = world_step(iommu->w);
		if (state != DEV_PASID_BLOCKED)
			dp->domain = NULL;
	}
	spin_unlock(&iommu->lock);
	if (!dp)
		return;
	if (did)
		iommu_flush_iotlb_range(iommu, did, pasid, 0, IOMMU_FLUSH_ALL);
	iommu_flush_dev_iotlb(dev, pasid, 0, IOMMU_FLUSH_ALL);
}

/**
 * iommu_detach_device_pasid - undo iommu_attach_device_pasid()
 *
 * Flushes the IOTLB and the device TLB of the PASID.  The entry is kept
 * as "unbound": a later DMA with this PASID is reported
 * ("dma-after-unbind") until the PASID is attached again.
 */
void iommu_detach_device_pasid(struct iommu_domain *domain, struct pci_dev *dev,
			       uint32_t pasid)
{
	(void)domain;
	dev_pasid_teardown(dev, pasid, DEV_PASID_UNBOUND);
}

/**
 * iommu_block_device_pasid - tear a PASID entry down but keep it reserved
 *
 * What intel_mm_release() does when the mm goes away under a bond:
 * translation of the PASID faults from now on and the faults are not
 * reported to the page request handler (fault processing disabled).
 */
void iommu_block_device_pasid(struct pci_dev *dev, uint32_t pasid)
{
	dev_pasid_teardown(dev, pasid, DEV_PASID_BLOCKED);
}

/* ---- the IOTLB (under iommu->lock) ---- */

static struct iotlb_entry *iotlb_lookup(struct iommu *iommu, unsigned int did,
					uint32_t pasid, unsigned long vpn)
{
	int i;

	for (i = 0; i < IOMMU_IOTLB_ENTRIES; i++) {
		struct iotlb_entry *e = &iommu->iotlb[i];

		if (e->valid && e->did == did && e->pasid == pasid &&
		    e->vpn == vpn)
			return e;
	}
	return NULL;
}

static void iotlb_fill(struct iommu *iommu, const struct iotlb_entry *e)
{
	struct iotlb_entry *slot =
		iotlb_lookup(iommu, e->did, e->pasid, e->vpn);

	if (!slot) {
		slot = &iommu->iotlb[iommu->iotlb_next];
		iommu->iotlb_next =
			(iommu->iotlb_next + 1) % IOMMU_IOTLB_ENTRIES;
	}
	*slot = *e;
}

struct iotlb_entry *iommu_iotlb_peek(struct iommu *iommu, unsigned int did,
				     uint32_t pasid, unsigned long iova)
{
	return iotlb_lookup(iommu, did, pasid, iova >> PAGE_SHIFT);
}

unsigned int iommu_iotlb_nr_valid(struct iommu *iommu)
{
	unsigned int i, n = 0;

	for (i = 0; i < IOMMU_IOTLB_ENTRIES; i++)
		n += iommu->iotlb[i].valid;
	return n;
}

/* a range the invalidation turns into a PASID- or domain-wide one */
static bool flush_is_all(unsigned long start, unsigned long end)
{
	return end == IOMMU_FLUSH_ALL || end <= start ||
	       ((end - start) >> PAGE_SHIFT) > IOMMU_FLUSH_CEILING;
}

/**
 * iommu_flush_iotlb_range - invalidate (did, pasid)'s IOTLB entries
 * @iommu: the IOMMU
 * @did: the domain id
 * @pasid: the PASID (IOMMU_NO_PASID for requests without one)
 * @start: first address
 * @end: one past the last, or IOMMU_FLUSH_ALL
 *
 * Up to IOMMU_FLUSH_CEILING pages this is one page-selective command;
 * beyond, or for IOMMU_FLUSH_ALL (a full-mm flush), or for an empty or
 * inverted range, it is one PASID-selective command that drops every
 * entry of (did, pasid).  Completes before it returns.  May be called
 * in atomic context (a page-table lock held).
 */
void iommu_flush_iotlb_range(struct iommu *iommu, unsigned int did,
			     uint32_t pasid, unsigned long start,
			     unsigned long end)
{
	bool all = flush_is_all(start, end);
	unsigned long svpn = start >> PAGE_SHIFT;
	unsigned long evpn = all ? 0 : (end + PAGE_SIZE - 1) >> PAGE_SHIFT;
	unsigned long dropped = 0;
	int i;

	spin_lock(&iommu->lock);
	for (i = 0; i < IOMMU_IOTLB_ENTRIES; i++) {
		struct iotlb_entry *e = &iommu->iotlb[i];

		if (!e->valid || e->did != did || e->pasid != pasid)
			continue;
		if (all || (e->vpn >= svpn && e->vpn < evpn)) {
			e->valid = false;
			dropped++;
		}
	}
	spin_unlock(&iommu->lock);
	stat_add(&iommu->stats.inv_cmds, 1);
	if (all)
		stat_add(&iommu->stats.inv_all, 1);
	else
		stat_add(&iommu->stats.inv_pages, evpn - svpn);
	stat_add(&iommu->stats.inv_entries, dropped);
	if (all)
		trace_event_dev(iommu->w, "IOMMU", NULL, -1,
				"iotlb flush did %u pasid %u all", did, pasid);
	else
		trace_event_dev(iommu->w, "IOMMU", NULL, -1,
				"iotlb flush did %u pasid %u [%#lx, %#lx)", did,
				pasid, start, end);
}

/* a domain-selective invalidation: every PASID of @did */
void iommu_flush_iotlb_domain(struct iommu *iommu, unsigned int did)
{
	int i;

	spin_lock(&iommu->lock);
	for (i = 0; i < IOMMU_IOTLB_ENTRIES; i++)
		if (iommu->iotlb[i].did == did)
			iommu->iotlb[i].valid = false;
	spin_unlock(&iommu->lock);
	stat_add(&iommu->stats.inv_cmds, 1);
	stat_add(&iommu->stats.inv_all, 1);
	trace_event_dev(iommu->w, "IOMMU", NULL, -1, "iotlb flush did %u", did);
}

/* a global invalidation */
void iommu_flush_iotlb_all(struct iommu *iommu)
{
	int i;

	spin_lock(&iommu->lock);
	for (i = 0; i < IOMMU_IOTLB_ENTRIES; i++)
		iommu->iotlb[i].valid = false;
	spin_unlock(&iommu->lock);
	stat_add(&iommu->stats.inv_cmds, 1);
	stat_add(&iommu->stats.inv_all, 1);
	trace_event_dev(iommu->w, "IOMMU", NULL, -1, "iotlb flush global");
}

/* ---- the device TLB (under dev->atc_lock) ---- */

static struct atc_entry *atc_lookup(struct pci_dev *dev, uint32_t pasid,
				    unsigned long vpn)
{
	int i;

	for (i = 0; i < DEV_ATC_ENTRIES; i++) {
		struct atc_entry *e = &dev->atc[i];

		if (e->valid && e->pasid == pasid && e->vpn == vpn)
			return e;
	}
	return NULL;
}

static void atc_fill(struct pci_dev *dev, const struct atc_entry *e)
{
	struct atc_entry *slot = atc_lookup(dev, e->pasid, e->vpn);

	if (!slot) {
		slot = &dev->atc[dev->atc_next];
		dev->atc_next = (dev->atc_next + 1) % DEV_ATC_ENTRIES;
	}
	*slot = *e;
}

struct atc_entry *dev_atc_peek(struct pci_dev *dev, uint32_t pasid,
			       unsigned long iova)
{
	return atc_lookup(dev, pasid, iova >> PAGE_SHIFT);
}

unsigned int dev_atc_nr_valid(struct pci_dev *dev)
{
	unsigned int i, n = 0;

	for (i = 0; i < DEV_ATC_ENTRIES; i++)
		n += dev->atc[i].valid;
	return n;
}

/**
 * iommu_flush_dev_iotlb - ATS invalidation of @dev's device TLB
 * @dev: the device (nothing happens if ATS is off)
 * @pasid: the PASID whose entries go
 * @start, @end: the range; as iommu_flush_iotlb_range() for the
 *	ceiling and IOMMU_FLUSH_ALL
 *
 * Waits for the device's access in flight (its atc_lock), so when this
 * returns no DMA of the device uses a dropped translation.
 */
void iommu_flush_dev_iotlb(struct pci_dev *dev, uint32_t pasid,
			   unsigned long start, unsigned long end)
{
	struct iommu *iommu = dev->iommu;
	bool all = flush_is_all(start, end);
	unsigned long svpn = start >> PAGE_SHIFT;
	unsigned long evpn = all ? 0 : (end + PAGE_SIZE - 1) >> PAGE_SHIFT;
	int i;

	if (!dev->ats_enabled)
		return;
	spin_lock(&dev->atc_lock);
	for (i = 0; i < DEV_ATC_ENTRIES; i++) {
		struct atc_entry *e = &dev->atc[i];

		if (!e->valid || e->pasid != pasid)
			continue;
		if (all || (e->vpn >= svpn && e->vpn < evpn))
			e->valid = false;
	}
	spin_unlock(&dev->atc_lock);
	stat_add(&iommu->stats.dev_inv_cmds, 1);
	if (!all)
		stat_add(&iommu->stats.dev_inv_pages, evpn - svpn);
	trace_event_dev(iommu->w, "device", dev->name, -1,
			"atc invalidate pasid %u [%#lx, %#lx)", pasid, start,
			end);
}

/**
 * iommu_domain_flush_range - invalidate a domain's translations of
 *	[start, end) for @pasid: the IOTLB, then the device TLB of every
 *	device attached to (@domain, @pasid)
 */
void iommu_domain_flush_range(struct iommu_domain *domain, uint32_t pasid,
			      unsigned long start, unsigned long end)
{
	struct iommu *iommu = domain->iommu;
	struct pci_dev *devs[IOMMU_MAX_DEVICES];
	int i, n = 0;

	iommu_flush_iotlb_range(iommu, domain->id, pasid, start, end);
	spin_lock(&iommu->lock);
	for (i = 0; i < iommu->nr_devices; i++) {
		struct pci_dev *dev = iommu->devices[i];

		if (dev_domain_locked(dev, pasid) == domain)
			devs[n++] = dev;
	}
	spin_unlock(&iommu->lock);
	for (i = 0; i < n; i++)
		iommu_flush_dev_iotlb(devs[i], pasid, start, end);
}

/* ---- DMA ---- */

enum dma_xlate {
	XLATE_OK,
	XLATE_FAULT, /* translation fault: a page request may resolve it */
	XLATE_ABORT, /* no translation possible: no PRI either */
};

static void check_stale_iotlb(struct iommu *iommu, struct pci_dev *dev,
			      struct iotlb_entry *e, unsigned long iova,
			      bool write)
{
	struct page *page = pfn_to_page(iommu->mmw->pm, e->pfn);
	unsigned long gen = page_generation(page);

	if (gen == e->gen || e->reported)
		return;
	e->reported = true;
	report_add(
		iommu->w, "stale-iotlb",
		"%s: device %s %s iova %#lx (pasid %u, did %u) through a stale IOTLB entry: pfn %#lx was cached at step %lu by %s with generation %lu, but the frame has been freed since (generation %lu, now %s)\n",
		cur_name(), dev->name, write ? "wrote" : "read", iova, e->pasid,
		e->did, e->pfn, e->fill_step,
		agent_name(iommu->w, e->fill_agent), e->gen, gen,
		page_state_name(page_state(page)));
}

static void check_stale_atc(struct pci_dev *dev, struct atc_entry *e,
			    unsigned long iova, bool write)
{
	struct iommu *iommu = dev->iommu;
	struct page *page = pfn_to_page(iommu->mmw->pm, e->pfn);
	unsigned long gen = page_generation(page);

	if (gen == e->gen || e->reported)
		return;
	e->reported = true;
	report_add(
		iommu->w, "stale-atc",
		"%s: device %s %s iova %#lx (pasid %u) through a stale device-TLB entry: pfn %#lx was cached at step %lu by %s with generation %lu, but the frame has been freed since (generation %lu, now %s)\n",
		cur_name(), dev->name, write ? "wrote" : "read", iova, e->pasid,
		e->pfn, e->fill_step, agent_name(iommu->w, e->fill_agent),
		e->gen, gen, page_state_name(page_state(page)));
}

/*
 * The IOMMU translates one request of @dev: PASID table, IOTLB, walk on
 * a miss, fill.  Under iommu->lock.
 */
static enum dma_xlate iommu_translate_locked(struct pci_dev *dev,
					     uint32_t pasid, unsigned long iova,
					     bool write,
					     struct iommu_walk_result *res)
{
	struct iommu *iommu = dev->iommu;
	struct world *w = iommu->w;
	struct iommu_domain *domain;
	struct iotlb_entry *e, fill;
	struct dev_pasid *dp = NULL;
	int ret;

	if (pasid == IOMMU_NO_PASID) {
		domain = dev->domain;
	} else {
		dp = dev_pasid_find(dev, pasid);
		domain = dp && dp->state == DEV_PASID_ACTIVE ? dp->domain :
							       NULL;
	}
	if (!domain) {
		if (dp && dp->state == DEV_PASID_UNBOUND)
			report_add(
				w, "dma-after-unbind",
				"%s: device %s %s iova %#lx with pasid %u, which was unbound from it at step %lu: the driver let DMA run past iommu_sva_unbind_device()\n",
				cur_name(), dev->name,
				write ? "writes" : "reads", iova, pasid,
				dp->unbind_step);
		return XLATE_ABORT;
	}
	e = iotlb_lookup(iommu, domain->id, pasid, iova >> PAGE_SHIFT);
	if (e && write && e->writable && e->clean)
		e = NULL; /* walk again to set the dirty bit */
	if (e) {
		if (write && !e->writable && w->arch == WORLD_ARCH_ARM64) {
			/* SMMU: the cached permission says no: fault, keep it */
			return XLATE_FAULT;
		}
		if (write && !e->writable) {
			/* VT-d: no fault from a cached read-only entry: the
			 * walk below decides, with the PTE as it is now */
			e->valid = false;
			e = NULL;
		}
	}
	if (e) {
		stat_add(&iommu->stats.iotlb_hits, 1);
		check_stale_iotlb(iommu, dev, e, iova, write);
		if (domain->ops->check_hit)
			domain->ops->check_hit(domain, dev, pasid, iova, write,
					       e->pfn, false);
		*res = (struct iommu_walk_result){ .pfn = e->pfn,
						   .gen = e->gen,
						   .writable = e->writable,
						   .clean = e->clean };
		return XLATE_OK;
	}
	stat_add(&iommu->stats.iotlb_misses, 1);
	stat_add(&iommu->stats.walks, 1);
	*res = (struct iommu_walk_result){ 0 }; /* ops may leave fields */
	ret = domain->ops->iova_to_phys(domain, pasid, iova & PAGE_MASK, write,
					res);
	if (ret)
		return XLATE_FAULT;
	fill = (struct iotlb_entry){
		.vpn = iova >> PAGE_SHIFT,
		.pfn = res->pfn,
		.gen = res->gen,
		.fill_step = world_step(w),
		.did = domain->id,
		.pasid = pasid,
		.fill_agent = current ? current->id : -1,
		.valid = true,
		.writable = res->writable,
		.clean = res->clean,
	};
	iotlb_fill(iommu, &fill);
	trace_event_dev(
		w, "IOMMU", NULL, -1,
		"iotlb fill %s did %u pasid %u iova %#lx -> pfn %#lx gen %lu %s",
		dev->name, domain->id, pasid, iova & PAGE_MASK, res->pfn,
		res->gen, res->writable ? "rw" : "ro");
	return XLATE_OK;
}

/*
 * The access reaches memory.  An SVA device follows the process address
 * space, so the value oracle checks it like a CPU access; DMA-API
 * devices follow the frames they were given, which is their contract.
 */
static void dma_do_access(struct pci_dev *dev, uint32_t pasid,
			  unsigned long pfn, unsigned long iova, bool write,
			  uint64_t *val)
{
	struct iommu *iommu = dev->iommu;
	struct iommu_domain *domain;

	domain = pasid == IOMMU_NO_PASID ?
			 __atomic_load_n(&dev->domain, __ATOMIC_ACQUIRE) :
			 NULL;
	if (unlikely(iommu->mmw->p2p_access) &&
	    page_state(pfn_to_page(iommu->mmw->pm, pfn)) == PAGE_STATE_DEVICE) {
		/* peer-to-peer: the BAR's device decodes it, or not */
		if (iommu->mmw->p2p_access(iommu->mmw, dev->name, pfn,
					   iova & ~PAGE_MASK, write)) {
			if (write)
				phys_write(iommu->mmw->pm, pfn,
					   iova & ~PAGE_MASK, *val);
			else
				phys_read(iommu->mmw->pm, pfn,
					  iova & ~PAGE_MASK, val);
		} else if (!write) {
			*val = ~0ULL; /* unsupported request: all ones */
		}
		trace_event_dev(iommu->w, "device", dev->name, -1,
				"p2p dma %s iova %#lx pfn %#lx = %llu",
				write ? "write" : "read", iova, pfn,
				(unsigned long long)*val);
		return;
	}
	if (unlikely(domain && domain->noncoherent)) {
		/* no-snoop: memory itself, whatever the CPU cache holds */
		if (write)
			phys_write_nosnoop(iommu->mmw->pm, pfn,
					   iova & ~PAGE_MASK, *val, dev->name);
		else
			phys_read_nosnoop(iommu->mmw->pm, pfn,
					  iova & ~PAGE_MASK, val, dev->name);
	} else if (write) {
		phys_write(iommu->mmw->pm, pfn, iova & ~PAGE_MASK, *val);
	} else {
		phys_read(iommu->mmw->pm, pfn, iova & ~PAGE_MASK, val);
	}
	trace_event_dev(iommu->w, "device", dev->name, -1,
			"dma %s pasid %u iova %#lx pfn %#lx = %llu",
			write ? "write" : "read", pasid, iova, pfn,
			(unsigned long long)*val);
	/*
	 * The oracle runs only under the deterministic engine (one agent at
	 * a time), so the PASID table is read without iommu->lock, which
	 * the untranslated path holds here already.
	 */
	if (pasid == IOMMU_NO_PASID && domain && domain->ops->dma_access)
		domain->ops->dma_access(domain, iova, pfn, write, *val);
	if (pasid == IOMMU_NO_PASID || !iommu->mmw->oracle)
		return;
	domain = dev_domain_locked(dev, pasid);
	if (!domain || domain->type != IOMMU_DOMAIN_SVA || !domain->mm)
		return;
	oracle_access(domain->mm, -1, iova, write, *val);
	if (write)
		check_missed_dirty_secondary(domain->mm, iova, pfn, dev->name);
}

/* one attempt of one access, under dev->atc_lock */
static enum dma_xlate dev_dma_try(struct pci_dev *dev, uint32_t pasid,
				  unsigned long iova, bool write, uint64_t *val)
{
	struct iommu *iommu = dev->iommu;
	struct iommu_walk_result res;
	struct atc_entry *e, fill;
	enum dma_xlate x;

	if (!dev->ats_enabled) {
		/* untranslated request: the IOMMU translates every access */
		spin_lock(&iommu->lock);
		x = iommu_translate_locked(dev, pasid, iova, write, &res);
		if (x == XLATE_OK)
			dma_do_access(dev, pasid, res.pfn, iova, write, val);
		spin_unlock(&iommu->lock);
		return x;
	}
	e = atc_lookup(dev, pasid, iova >> PAGE_SHIFT);
	if (e && (!write || (e->writable && !e->clean))) {
		struct iommu_domain *domain;

		stat_add(&iommu->stats.atc_hits, 1);
		check_stale_atc(dev, e, iova, write);
		domain = pasid == IOMMU_NO_PASID ? dev->domain : NULL;
		if (pasid != IOMMU_NO_PASID) {
			struct dev_pasid *dp = dev_pasid_find(dev, pasid);

			domain = dp ? dp->domain : NULL;
		}
		if (domain && domain->ops->check_hit)
			domain->ops->check_hit(domain, dev, pasid, iova, write,
					       e->pfn, true);
		dma_do_access(dev, pasid, e->pfn, iova, write, val);
		return XLATE_OK;
	}
	/* ATS translation request to the IOMMU */
	stat_add(&iommu->stats.atc_misses, 1);
	spin_lock(&iommu->lock);
	x = iommu_translate_locked(dev, pasid, iova, write, &res);
	spin_unlock(&iommu->lock);
	if (x != XLATE_OK)
		return x;
	fill = (struct atc_entry){
		.vpn = iova >> PAGE_SHIFT,
		.pfn = res.pfn,
		.gen = res.gen,
		.fill_step = world_step(iommu->w),
		.pasid = pasid,
		.fill_agent = current ? current->id : -1,
		.valid = true,
		.writable = res.writable,
		.clean = res.clean,
	};
	atc_fill(dev, &fill);
	trace_event_dev(iommu->w, "device", dev->name, -1,
			"atc fill pasid %u iova %#lx -> pfn %#lx gen %lu %s",
			pasid, iova & PAGE_MASK, res.pfn, res.gen,
			res.writable ? "rw" : "ro");
	dma_do_access(dev, pasid, res.pfn, iova, write, val);
	return XLATE_OK;
}

static bool dev_prg_available(struct pci_dev *dev)
{
	bool avail = false;
	int grp;

	spin_lock(&dev->prq_lock);
	for (grp = 0; grp < DEV_MAX_PRG; grp++)
		if (!dev->prg[grp].in_use)
			avail = true;
	spin_unlock(&dev->prq_lock);
	return avail;
}

/*
 * PRI: send a page request for @iova and sleep until its group is
 * answered.  Returns the response code.
 */
static enum iommu_page_response_code dev_page_request(struct pci_dev *dev,
						      uint32_t pasid,
						      unsigned long iova,
						      bool write)
{
	struct iommu *iommu = dev->iommu;
	struct world *w = iommu->w;
	struct iommu_fault fault;
	enum iommu_page_response_code code;
	unsigned long sent;
	int grp;

	for (;;) {
		spin_lock(&dev->prq_lock);
		for (grp = 0; grp < DEV_MAX_PRG; grp++)
			if (!dev->prg[grp].in_use)
				break;
		if (grp < DEV_MAX_PRG) {
			dev->prg[grp] = (struct dev_prg){
				.in_use = true,
				.sent_step = world_step(w),
			};
			spin_unlock(&dev->prq_lock);
			break;
		}
		spin_unlock(&dev->prq_lock);
		wait_event(dev->prq_wq, dev_prg_available(dev));
	}
	sent = world_step(w);
	fault = (struct iommu_fault){
		.type = IOMMU_FAULT_PAGE_REQ,
		.prm = {
			.flags = IOMMU_FAULT_PAGE_REQUEST_PASID_VALID |
				 IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE,
			.pasid = pasid,
			.grpid = grp,
			.perm = IOMMU_FAULT_PERM_READ |
				(write ? IOMMU_FAULT_PERM_WRITE : 0),
			.addr = iova & PAGE_MASK,
		},
	};
	stat_add(&iommu->stats.page_requests, 1);
	stat_add(&dev->nr_page_requests, 1);
	trace_eventf(w, "%s page request grp %d pasid %u iova %#lx %s",
		     dev->name, grp, pasid, iova & PAGE_MASK,
		     write ? "write" : "read");
	if (iommu_report_device_fault(dev, &fault)) {
		/* nobody takes page requests: the IOMMU answers failure */
		spin_lock(&dev->prq_lock);
		dev->prg[grp].in_use = false;
		spin_unlock(&dev->prq_lock);
		wake_up(&dev->prq_wq);
		return IOMMU_PAGE_RESP_FAILURE;
	}
	wait_event(dev->prq_wq,
		   __atomic_load_n(&dev->prg[grp].responded, __ATOMIC_ACQUIRE));
	spin_lock(&dev->prq_lock);
	code = dev->prg[grp].code;
	dev->prg[grp].in_use = false;
	spin_unlock(&dev->prq_lock);
	wake_up(&dev->prq_wq);
	stat_add(&dev->prq_wait_steps, world_step(w) - sent);
	return code;
}

/**
 * iommu_dma_access - one DMA access by @dev
 * @dev: the device
 * @pasid: the PASID of the request, or IOMMU_NO_PASID (DMA API: @addr is
 *	an IOVA of the device's domain)
 * @addr: the address, 8-byte aligned
 * @write: store *@val, else load into *@val
 * @val: the value
 *
 * Device TLB (ATS), then the IOMMU's IOTLB, then a walk of the domain's
 * tables, filling both.  A translation fault of a request with a PASID
 * from a device with PRI becomes a page request; the device sleeps until
 * it is answered and retries on success.  More than iommu.refault_limit
 * faults after successful answers put the device in the failure state
 * ("device-failure").
 *
 * Returns 0, -EINVAL (misaligned), -EFAULT (translation fault without
 * PRI, or answered invalid/failure), -EIO (the device has failed).
 */
int iommu_dma_access(struct pci_dev *dev, uint32_t pasid, unsigned long addr,
		     bool write, uint64_t *val)
{
	struct iommu *iommu = dev->iommu;
	struct world *w = iommu->w;
	unsigned int limit = policy_uint(w, KNOB_IOMMU_REFAULT_LIMIT);
	unsigned long nr_success = 0;
	enum iommu_page_response_code code;
	enum dma_xlate x;

	if (addr & 7)
		return -EINVAL;
	if (__atomic_load_n(&dev->failed, __ATOMIC_ACQUIRE))
		return -EIO;
	stat_add(&dev->nr_dma, 1);
	for (;;) {
		spin_lock(&dev->atc_lock);
		x = dev_dma_try(dev, pasid, addr, write, val);
		spin_unlock(&dev->atc_lock);
		if (x == XLATE_OK)
			break;
		stat_add(&iommu->stats.faults, 1);
		stat_add(&dev->nr_faults, 1);
		if (x == XLATE_ABORT || !dev->pri_enabled ||
		    pasid == IOMMU_NO_PASID)
			return -EFAULT;
		if (nr_success) {
			stat_add(&iommu->stats.refaults, 1);
			stat_add(&dev->nr_refaults, 1);
		}
		if (nr_success > limit) {
			__atomic_store_n(&dev->failed, true, __ATOMIC_RELEASE);
			report_add(
				w, "device-failure",
				"%s: device %s gave up on %s of iova %#lx (pasid %u): it faulted again after %lu page requests answered success (iommu.refault_limit=%u)\n",
				cur_name(), dev->name,
				write ? "a write" : "a read", addr, pasid,
				nr_success, limit);
			return -EIO;
		}
		code = dev_page_request(dev, pasid, addr, write);
		if (code != IOMMU_PAGE_RESP_SUCCESS)
			return -EFAULT;
		nr_success++;
	}
	if (nr_success > __atomic_load_n(&dev->max_refaults, __ATOMIC_RELAXED))
		__atomic_store_n(&dev->max_refaults, nr_success,
				 __ATOMIC_RELAXED);
	return 0;
}

int iommu_dma_read(struct pci_dev *dev, uint32_t pasid, unsigned long addr,
		   uint64_t *val)
{
	return iommu_dma_access(dev, pasid, addr, false, val);
}

int iommu_dma_write(struct pci_dev *dev, uint32_t pasid, unsigned long addr,
		    uint64_t val)
{
	return iommu_dma_access(dev, pasid, addr, true, &val);
}

/* ---- fault reporting and page responses ---- */

int iommu_register_device_fault_handler(struct pci_dev *dev,
					iommu_dev_fault_handler_t handler,
					void *data)
{
	int ret = 0;

	spin_lock(&dev->prq_lock);
	if (dev->fault_handler) {
		ret = -EBUSY;
	} else {
		dev->fault_handler = handler;
		dev->fault_data = data;
	}
	spin_unlock(&dev->prq_lock);
	return ret;
}

int iommu_unregister_device_fault_handler(struct pci_dev *dev)
{
	int ret = 0, i;

	spin_lock(&dev->prq_lock);
	for (i = 0; i < DEV_MAX_PRG; i++)
		if (dev->prg[i].in_use && !dev->prg[i].responded)
			ret = -EBUSY; /* Linux: pending faults */
	if (!ret) {
		dev->fault_handler = NULL;
		dev->fault_data = NULL;
	}
	spin_unlock(&dev->prq_lock);
	return ret;
}

/**
 * iommu_report_device_fault - hand a fault of @dev to its handler
 *
 * Returns what the handler returns, or -EINVAL if none is registered
 * (the caller then answers the page request itself).
 */
int iommu_report_device_fault(struct pci_dev *dev, struct iommu_fault *fault)
{
	iommu_dev_fault_handler_t handler;
	void *data;

	spin_lock(&dev->prq_lock);
	handler = dev->fault_handler;
	data = dev->fault_data;
	spin_unlock(&dev->prq_lock);
	if (!handler)
		return -EINVAL;
	return handler(fault, dev, data);
}

/**
 * iommu_page_response - answer a page request group of @dev
 *
 * Returns 0, or -EINVAL if no request of that group is outstanding.
 */
int iommu_page_response(struct pci_dev *dev, struct iommu_page_response *msg)
{
	struct iommu *iommu = dev->iommu;
	struct dev_prg *prg;

	if (msg->grpid >= DEV_MAX_PRG)
		return -EINVAL;
	prg = &dev->prg[msg->grpid];
	spin_lock(&dev->prq_lock);
	if (!prg->in_use || prg->responded) {
		spin_unlock(&dev->prq_lock);
		return -EINVAL;
	}
	prg->code = msg->code;
	__atomic_store_n(&prg->responded, true, __ATOMIC_RELEASE);
	spin_unlock(&dev->prq_lock);
	stat_add(msg->code == IOMMU_PAGE_RESP_SUCCESS ?
			 &iommu->stats.resp_success :
			 &iommu->stats.resp_invalid,
		 1);
	wake_up(&dev->prq_wq);
	return 0;
}

/* ---- the quiescent check ---- */

static struct iommu_domain *find_domain(struct iommu *iommu, unsigned int did,
					uint32_t pasid)
{
	int i, j;

	for (i = 0; i < iommu->nr_devices; i++) {
		struct pci_dev *dev = iommu->devices[i];

		if (dev->domain && dev->domain->id == did &&
		    pasid == IOMMU_NO_PASID)
			return dev->domain;
		for (j = 0; j < DEV_MAX_PASIDS; j++) {
			struct dev_pasid *dp = &dev->pasids[j];

			if (dp->state == DEV_PASID_ACTIVE && dp->domain &&
			    dp->domain->id == did && dp->pasid == pasid)
				return dp->domain;
		}
	}
	return NULL;
}

/* "" if the entry matches the domain's tables, else why not */
static const char *entry_why(struct iommu_domain *domain, uint32_t pasid,
			     unsigned long iova, unsigned long pfn,
			     bool writable)
{
	struct iommu_walk_result r = { 0 };

	if (!domain)
		return "no attached domain backs it";
	if (!domain->ops->iova_to_phys_peek)
		return "";
	if (domain->ops->iova_to_phys_peek(domain, pasid, iova, &r))
		return "nothing is mapped there any more";
	if (r.pfn != pfn)
		return "the tables map another frame";
	if (writable && !r.writable)
		return "it is writable but the tables are read-only";
	return "";
}

/**
 * iommu_check_quiescent - every IOTLB and device-TLB entry must still be
 *	backed by its domain's tables (no agent running)
 *
 * Returns the number of reports added.
 */
unsigned long iommu_check_quiescent(struct iommu *iommu)
{
	struct phys_mem *pm = iommu->mmw->pm;
	unsigned long nr = 0;
	const char *why;
	int i, d;

	for (i = 0; i < IOMMU_IOTLB_ENTRIES; i++) {
		struct iotlb_entry *e = &iommu->iotlb[i];

		if (!e->valid)
			continue;
		if (phys_generation(pm, e->pfn) != e->gen) {
			nr++;
			report_add(
				iommu->w, "stale-iotlb",
				"quiescent: the IOTLB caches did %u pasid %u iova %#lx -> pfn %#lx, a frame freed since (filled at step %lu)\n",
				e->did, e->pasid, e->vpn << PAGE_SHIFT, e->pfn,
				e->fill_step);
			continue;
		}
		why = entry_why(find_domain(iommu, e->did, e->pasid), e->pasid,
				e->vpn << PAGE_SHIFT, e->pfn, e->writable);
		if (!*why)
			continue;
		nr++;
		report_add(
			iommu->w, "iotlb-coherence",
			"quiescent: the IOTLB caches did %u pasid %u iova %#lx -> pfn %#lx (%s, filled at step %lu): %s\n",
			e->did, e->pasid, e->vpn << PAGE_SHIFT, e->pfn,
			e->writable ? "rw" : "ro", e->fill_step, why);
	}
	for (d = 0; d < iommu->nr_devices; d++) {
		struct pci_dev *dev = iommu->devices[d];

		for (i = 0; i < DEV_ATC_ENTRIES; i++) {
			struct atc_entry *e = &dev->atc[i];
			struct iommu_domain *domain;

			if (!e->valid)
				continue;
			if (phys_generation(pm, e->pfn) != e->gen) {
				nr++;
				report_add(
					iommu->w, "stale-atc",
					"quiescent: device %s caches pasid %u iova %#lx -> pfn %#lx, a frame freed since (filled at step %lu)\n",
					dev->name, e->pasid,
					e->vpn << PAGE_SHIFT, e->pfn,
					e->fill_step);
				continue;
			}
			domain = dev_domain_locked(dev, e->pasid);
			why = entry_why(domain, e->pasid, e->vpn << PAGE_SHIFT,
					e->pfn, e->writable);
			if (!*why)
				continue;
			nr++;
			report_add(
				iommu->w, "iotlb-coherence",
				"quiescent: device %s's ATC caches pasid %u iova %#lx -> pfn %#lx (%s, filled at step %lu): %s\n",
				dev->name, e->pasid, e->vpn << PAGE_SHIFT,
				e->pfn, e->writable ? "rw" : "ro", e->fill_step,
				why);
		}
	}
	return nr;
}
