// SPDX-License-Identifier: MIT
/*
 * Built-in models of an SVA device (src/iommu) racing with the primary
 * MMU.  In each, a device bound to process P with a PASID DMAs through
 * its device TLB (ATS) and the IOMMU's IOTLB, faulting through PRI page
 * requests answered by the iopf worker agent, while a CPU changes P's
 * page tables.
 *
 *   sva-vs-munmap      the device reads a page while a CPU munmaps it;
 *                      clean under linux-6.6; with
 *                      notifier.secondary_tlb_flush=none the Intel glue is
 *                      never called: stale-iotlb / stale-atc
 *   sva-vs-mprotect    the device writes a page while a CPU makes it
 *                      read-only (clean)
 *   sva-refault        an AMD IOMMUv2 device reads page A while a CPU
 *                      MADV_DONTNEEDs page B twice; clean by default;
 *                      with iommu.fault_during_invalidation=refault and
 *                      notifier.secondary_tlb_flush=none (the pre-3.19
 *                      driver) the device refaults through every
 *                      invalidation bracket until it gives up:
 *                      device-failure
 *                      (the historical bug, with those two knobs
 *                      set, is scenarios/bugs/sva-refault-2014.yaml)
 *   sva-upgrade        after fork and a COW in the child, the device
 *                      reads the parent's read-only page, then writes it
 *                      while a CPU writes it too: the write fault reuses
 *                      the page and makes its PTE writable in place;
 *                      clean by default
 *                      with iommu.invalidate_on_upgrade=false (arm64
 *                      SMMU before 6.6) the IOTLB keeps the read-only
 *                      entry, the device faults forever on a page the
 *                      handler finds writable: iopf-livelock (the zoo
 *                      entry scenarios/bugs/sva-upgrade-2023.yaml)
 *   sva-vs-reclaim     kswapd reclaims a page (batched flush) the device
 *                      writes; rmap.secondary_flush_under_ptl decides
 *                      whether try_to_unmap_one tells the secondary TLBs
 *                      under the PTL
 *
 * Oracle: while the CPU's operation runs either outcome is allowed; once
 * it has returned, a device read of the unmapped page or a device write
 * to the read-only page that succeeds is reported ("access-after-munmap",
 * "permission"); a read returns the last value written ("value").  The
 * IOMMU adds stale-iotlb/stale-atc, device-failure and dma-after-unbind;
 * the iopf handler iopf-livelock; the end runs iommu_check_quiescent,
 * the mm's quiescent checks and the notifier's.
 *
 * Why C, not scenarios/models/: written as scenarios (mmap, writes and
 * sva_bind in a setup agent, then the device and CPU agents) these races
 * give the same verdicts under every policy the tests use, but the setup
 * agent's schedule points and the iopf worker multiply the DFS tree: at
 * preemption bound 1, sva-vs-munmap is 590,731 executions as a scenario
 * against 1,123 here (sva-vs-mprotect 465,468 / 710, sva-vs-reclaim
 * 406,113 / 1,353).  They move once the format has a setup phase that
 * runs before the agents, without schedule points, as this setup does.
 * sva-refault-2014 and sva-upgrade-2023 are the zoo scenarios of the same
 * programs (scenarios/bugs/).
 *
 * Locking: the agents use the model's locks; `done` flags are published
 * with WRITE_ONCE.  The device agent unbinds and stops the iopf worker
 * (iopf_queue_free) when it is done, as a driver's release would.
 */
#include "check/check.h"
#include "core/policy.h"
#include "iommu/io-pgfault.h"
#include "iommu/iommu-sva.h"
#include "mm/tlb.h"
#include "scenario/iommu_models.h"

#define SVA_FRAMES 1024
#define SVA_ADDR 0x20000000UL
#define SVA_VAL 0x5eedUL

struct sva_race {
	const struct sva_race_opts *o;
	struct mm_world *mmw;
	struct mm_struct *mm;
	struct mm_struct *child;
	struct iommu *iommu;
	struct pci_dev *dev;
	struct iommu_sva *sva;
	struct iopf_queue *iopf;
	uint32_t pasid;
	int done;
	uint64_t last;
};

static void sva_report_value(struct sva_race *r, const char *what, int i,
			     int ret, uint64_t v, uint64_t want)
{
	report_add(
		r->mmw->w, "value",
		"%s: device %s %d of va %#lx: ret %d value %#llx, expected %#llx\n",
		current->name, what, i, SVA_ADDR, ret, (unsigned long long)v,
		(unsigned long long)want);
}

static void sva_device_munmap(struct sva_race *r)
{
	uint64_t v;
	bool after;
	int i, ret;

	for (i = 1; i <= r->o->iters; i++) {
		after = READ_ONCE(r->done);
		ret = iommu_dma_read(r->dev, r->pasid, SVA_ADDR, &v);
		if (ret) {
			if (ret != -EFAULT)
				sva_report_value(r, "read", i, ret, 0, SVA_VAL);
			continue;
		}
		if (after)
			report_add(
				r->mmw->w, "access-after-munmap",
				"%s: device read %d of va %#lx succeeded after munmap() had returned\n",
				current->name, i, SVA_ADDR);
		if (v != SVA_VAL)
			sva_report_value(r, "read", i, ret, v, SVA_VAL);
	}
}

static void sva_device_mprotect(struct sva_race *r)
{
	bool after;
	int i, ret;

	for (i = 1; i <= r->o->iters; i++) {
		after = READ_ONCE(r->done);
		ret = iommu_dma_write(r->dev, r->pasid, SVA_ADDR, SVA_VAL + i);
		if (!ret && after)
			report_add(
				r->mmw->w, "permission",
				"%s: device write %d to va %#lx succeeded after mprotect(PROT_READ) had returned\n",
				current->name, i, SVA_ADDR);
		else if (ret && ret != -EFAULT)
			sva_report_value(r, "write", i, ret, 0, 0);
	}
}

/* page A keeps its value: every read must succeed with it */
static void sva_device_refault(struct sva_race *r)
{
	uint64_t v;
	int i, ret;

	for (i = 1; i <= r->o->iters; i++) {
		ret = iommu_dma_read(r->dev, r->pasid, SVA_ADDR, &v);
		if (ret == -EIO)
			return; /* failed: reported by the IOMMU */
		if (ret || v != SVA_VAL)
			sva_report_value(r, "read", i, ret, v, SVA_VAL);
	}
}

/* read the COW-shared page (read-only entry), then write it */
static void sva_device_upgrade(struct sva_race *r)
{
	uint64_t v;
	int ret;

	ret = iommu_dma_read(r->dev, r->pasid, SVA_ADDR + 8, &v);
	if (ret || v != SVA_VAL)
		sva_report_value(r, "read", 1, ret, v, SVA_VAL);
	ret = iommu_dma_write(r->dev, r->pasid, SVA_ADDR + 8, 2);
	if (ret && ret != -EIO)
		sva_report_value(r, "write", 2, ret, 0, 0);
}

/* write the page kswapd is reclaiming; the check reads it back */
static void sva_device_reclaim(struct sva_race *r)
{
	int i, ret;

	for (i = 1; i <= r->o->iters; i++) {
		ret = iommu_dma_write(r->dev, r->pasid, SVA_ADDR, SVA_VAL + i);
		if (ret) {
			sva_report_value(r, "write", i, ret, 0, 0);
			continue;
		}
		WRITE_ONCE(r->last, SVA_VAL + i);
	}
}

static void sva_device(void *arg)
{
	struct sva_race *r = arg;

	switch (r->o->op) {
	case SVA_RACE_MUNMAP:
		sva_device_munmap(r);
		break;
	case SVA_RACE_MPROTECT:
		sva_device_mprotect(r);
		break;
	case SVA_RACE_REFAULT:
		sva_device_refault(r);
		break;
	case SVA_RACE_UPGRADE:
		sva_device_upgrade(r);
		break;
	case SVA_RACE_RECLAIM:
		sva_device_reclaim(r);
		break;
	}
	iommu_sva_unbind_device(r->sva);
	iopf_queue_free(r->iopf);
}

static void sva_operator(void *arg)
{
	struct sva_race *r = arg;
	struct tlbflush_unmap_batch tlb_ubc = { 0 };
	struct scan_control sc = {
		.nr_to_reclaim = 2,
		.ignore_references = true,
		.tlb_ubc = &tlb_ubc,
	};
	int i;

	switch (r->o->op) {
	case SVA_RACE_MUNMAP:
		vm_munmap(r->mm, SVA_ADDR, PAGE_SIZE);
		break;
	case SVA_RACE_MPROTECT:
		do_mprotect_pkey(r->mm, SVA_ADDR, PAGE_SIZE, PROT_READ, -1);
		break;
	case SVA_RACE_REFAULT:
		/* unrelated invalidations: page B of the same mm */
		for (i = 0; i < 2; i++)
			do_madvise(r->mm, SVA_ADDR + PAGE_SIZE, PAGE_SIZE,
				   MADV_DONTNEED);
		break;
	case SVA_RACE_UPGRADE:
		/* the CPU writes another word: its fault may do the reuse */
		if (cpu_write(mm_cpu(r->mmw, 0), r->mm, SVA_ADDR, 3))
			report_add(r->mmw->w, "value", "%s: CPU write failed\n",
				   current->name);
		break;
	case SVA_RACE_RECLAIM:
		kswapd_shrink(r->mmw, &sc);
		break;
	}
	WRITE_ONCE(r->done, 1);
}

int sva_race_setup(struct world *w, void *arg)
{
	const struct sva_race_opts *o = arg;
	struct sva_race *r = arena_alloc(w, sizeof(*r));
	struct cpu *c0, *c1;
	unsigned long a;

	r->o = o;
	w->arch = o->arch;
	if (o->force_policy)
		o->force_policy(w->policy);
	r->mmw = mm_world_get(w, SVA_FRAMES, 2);
	if (!r->mmw)
		return -ENOMEM;
	c0 = mm_cpu(r->mmw, 0);
	c1 = mm_cpu(r->mmw, 1);
	r->mm = mm_alloc(r->mmw);
	if (!r->mm)
		return -ENOMEM;
	a = vm_mmap(r->mm, NULL, SVA_ADDR, 2 * PAGE_SIZE,
		    PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
	if (a != SVA_ADDR)
		return -ENOMEM;
	if (cpu_write(c0, r->mm, a, SVA_VAL) ||
	    cpu_write(c0, r->mm, a + 8, SVA_VAL) ||
	    cpu_write(c0, r->mm, a + PAGE_SIZE, SVA_VAL))
		return -EFAULT;
	r->last = SVA_VAL;
	if (o->op == SVA_RACE_UPGRADE) {
		/* fork, and the child's COW leaves the page to the parent
		 * alone, still mapped read-only there */
		r->child = dup_mm(r->mm);
		if (!r->child || cpu_write(c1, r->child, a, 7))
			return -ENOMEM;
		cpu_idle(c1);
	}
	cpu_idle(c0);
	r->iommu = iommu_get(r->mmw);
	if (o->amd_v2)
		r->iommu->vendor = IOMMU_VENDOR_AMD_V2;
	r->dev = pci_dev_add(r->iommu, "accel", true, true);
	r->iopf = iopf_queue_alloc(r->iommu, "iopf");
	if (!r->dev || !r->iopf || iopf_queue_add_device(r->iopf, r->dev))
		return -ENOMEM;
	r->sva = iommu_sva_bind_device(r->dev, r->mm);
	if (IS_ERR(r->sva))
		return PTR_ERR(r->sva);
	r->pasid = iommu_sva_get_pasid(r->sva);
	w->priv = r;
	if (!agent_create(w, "device", sva_device, r) ||
	    !agent_create(w, "cpu", sva_operator, r))
		return -EAGAIN;
	return 0;
}

void sva_race_check(struct world *w, void *arg)
{
	struct sva_race *r = w->priv;
	uint64_t v;

	(void)arg;
	if (r->o->op == SVA_RACE_RECLAIM &&
	    !cpu_read(mm_cpu(r->mmw, 1), r->mm, SVA_ADDR, &v) && v != r->last)
		report_add(
			w, "value",
			"the page reads %#llx after reclaim and the device's writes, expected its last write %#llx: a device write was lost\n",
			(unsigned long long)v, (unsigned long long)r->last);
	iommu_check_quiescent(r->iommu);
	mm_check_quiescent(r->mmw);
	mmu_notifier_world_check(r->mmw->nw);
	iopf_queue_remove_device(r->iopf, r->dev);
	cpu_idle(mm_cpu(r->mmw, 0));
	cpu_idle(mm_cpu(r->mmw, 1));
	if (r->child)
		mmput(r->child);
	mmput(r->mm);
	phys_check_leaks(r->mmw->pm, 0);
}

static const struct sva_race_opts opts_munmap = {
	.op = SVA_RACE_MUNMAP,
	.iters = 3,
};
static const struct sva_race_opts opts_mprotect = {
	.op = SVA_RACE_MPROTECT,
	.iters = 3,
};
static const struct sva_race_opts opts_refault = {
	.op = SVA_RACE_REFAULT,
	.iters = 2,
	.amd_v2 = true,
};
static const struct sva_race_opts opts_upgrade = {
	.op = SVA_RACE_UPGRADE,
	.iters = 1,
	.arch = WORLD_ARCH_ARM64,
};
static const struct sva_race_opts opts_reclaim = {
	.op = SVA_RACE_RECLAIM,
	.iters = 2,
};

const struct model model_sva_vs_munmap = {
	"sva-vs-munmap",
	"an SVA device reads a page while a CPU munmaps it (clean)",
	sva_race_setup, sva_race_check, (void *)&opts_munmap
};
const struct model model_sva_vs_mprotect = {
	"sva-vs-mprotect",
	"an SVA device writes a page while a CPU makes it read-only (clean)",
	sva_race_setup, sva_race_check, (void *)&opts_mprotect
};
const struct model model_sva_refault = {
	"sva-refault",
	"an AMD IOMMUv2 SVA device reads while the mm is invalidated elsewhere (clean; refault+none: device-failure)",
	sva_race_setup, sva_race_check, (void *)&opts_refault
};
const struct model model_sva_upgrade = {
	"sva-upgrade",
	"an SVA device writes a COW page whose write fault upgrades the PTE in place (clean)",
	sva_race_setup, sva_race_check, (void *)&opts_upgrade
};
const struct model model_sva_vs_reclaim = {
	"sva-vs-reclaim",
	"kswapd reclaims a page an SVA device writes (rmap.secondary_flush_under_ptl)",
	sva_race_setup, sva_race_check, (void *)&opts_reclaim
};
