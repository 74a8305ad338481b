// SPDX-License-Identifier: MIT
/*
 * bench_iommu: what SVA costs the device and the IOMMU.
 *
 * 1. Device stalls under iommu.fault_during_invalidation = refault vs
 *    wait: the sva-refault model (an AMD IOMMUv2 device reads page A
 *    while the CPU MADV_DONTNEEDs page B twice; notifier.
 *    secondary_tlb_flush=none, so the driver brackets each invalidation
 *    with an empty page table), explored with PCT and random schedules.
 *    Per execution: page requests, refaults (faults after a success
 *    answer), the longest refault run of one access, the world steps a
 *    request waited for its answer, and how often the device gave up at
 *    the default iommu.refault_limit (8).  The stall figures are taken
 *    with the limit raised to 1000 (PCT can still starve the invalidating
 *    agent past that: the refault run is unbounded under an adversarial
 *    scheduler, which is the point of the 2014 change).
 * 2. Secondary invalidations per 1,000 MM operations (IOTLB commands and
 *    ATS invalidation requests) with one SVA device bound, for munmap,
 *    mprotect, KSM, migration and reclaim workloads, under each
 *    notifier.secondary_tlb_flush value with the Intel glue, and with the
 *    pre-3.19 AMD IOMMUv2 glue under "none".
 *
 * Figures never fail the run; the exit status is nonzero only if a
 * workload misbehaves (a failed syscall or a report where none is
 * expected).
 *
 * Locking: part 1 reads the IOMMU's counters in the model's check, after
 * every agent finished; part 2 runs outside agents (setup-style calls).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "core/policy.h"
#include "engine/engine.h"
#include "iommu/io-pgfault.h"
#include "iommu/iommu-sva.h"
#include "mm/tlb.h"
#include "scenario/iommu_models.h"

#define STALL_EXECS 2000
#define MM_OPS 1000

/* ---- 1. stalls ---- */

struct stall_model {
	struct model m;
	struct sva_race_opts o;
	unsigned fault_inv;
	unsigned limit;
	/* summed over executions */
	unsigned long execs, requests, refaults, max_run, wait_steps, handled,
		latency, failed;
};

static void stall_policy(struct policy *p)
{
	(void)p; /* the wrapper sets the knobs in stall_setup */
}

static int stall_setup(struct world *w, void *arg)
{
	struct stall_model *s = arg;

	w->policy->v[KNOB_NOTIFIER_SECONDARY_TLB_FLUSH] =
		SECONDARY_TLB_FLUSH_NONE;
	w->policy->v[KNOB_IOMMU_FAULT_DURING_INVALIDATION] = s->fault_inv;
	w->policy->v[KNOB_IOMMU_REFAULT_LIMIT] = s->limit;
	return sva_race_setup(w, &s->o);
}

static void stall_check(struct world *w, void *arg)
{
	struct stall_model *s = arg;
	struct iommu *iommu = w->mmw->iommu;
	struct pci_dev *dev = iommu->devices[0];
	struct iopf_queue *q = iommu->iopf;

	s->execs++;
	s->requests += dev->nr_page_requests;
	s->refaults += dev->nr_refaults;
	if (dev->max_refaults > s->max_run)
		s->max_run = dev->max_refaults;
	s->wait_steps += dev->prq_wait_steps;
	s->handled += q->nr_handled;
	s->latency += q->latency_steps;
	s->failed += dev->failed;
	sva_race_check(w, &s->o);
}

static void stall_run(const char *label, unsigned fault_inv, unsigned limit,
		      enum strategy st)
{
	struct stall_model s = {
		.m = { .name = "sva-refault-bench",
		       .desc = "",
		       .setup = stall_setup,
		       .check = stall_check },
		.o = { .op = SVA_RACE_REFAULT,
		       .iters = 2,
		       .amd_v2 = true,
		       .force_policy = stall_policy },
		.fault_inv = fault_inv,
		.limit = limit,
	};
	struct explore_opts o = { .strategy = st,
				  .seed = 1,
				  .iterations = STALL_EXECS,
				  .bound = -1,
				  .progress_fd = -1 };
	struct explore_result r;
	const char *sname = st == STRAT_PCT ? "pct" : "random";
	char name[64];

	s.m.arg = &s;
	if (explore(&s.m, &o, &r)) {
		broken("explore");
		return;
	}
	explore_result_free(&r);
	if (!s.execs)
		return;
	snprintf(name, sizeof(name), "%s %s limit %u: device failed", label,
		 sname, limit);
	figure(name, 100.0 * s.failed / s.execs, "% of executions");
	if (limit == 8)
		return;
	snprintf(name, sizeof(name), "%s %s: page requests", label, sname);
	figure(name, (double)s.requests / s.execs, "per execution");
	snprintf(name, sizeof(name), "%s %s: refaults", label, sname);
	figure(name, (double)s.refaults / s.execs, "per execution");
	snprintf(name, sizeof(name), "%s %s: longest refault run", label,
		 sname);
	figure(name, s.max_run, "refaults of one access");
	snprintf(name, sizeof(name), "%s %s: request latency", label, sname);
	figure(name, s.handled ? (double)s.latency / s.handled : 0,
	       "steps queued-to-answered");
	snprintf(name, sizeof(name), "%s %s: device stall", label, sname);
	figure(name, (double)s.wait_steps / s.execs,
	       "steps waiting per execution");
}

/* ---- 2. invalidations per 1,000 MM operations ---- */

enum workload { W_MUNMAP, W_MPROTECT, W_KSM, W_MIGRATE, W_RECLAIM, NR_W };

static const char *const workload_names[NR_W] = {
	"munmap", "mprotect", "ksm", "migration", "reclaim",
};

#define A 0x10000000UL

struct inv_bench {
	struct world *w;
	struct policy pol;
	struct mm_world *mmw;
	struct mm_struct *mm;
	struct cpu *c0;
	struct iommu *iommu;
	struct pci_dev *dev;
	struct iommu_sva *sva;
	uint32_t pasid;
};

static void must(int ok, const char *what)
{
	if (!ok)
		broken(what);
}

/* the device touches @va so that there is something to invalidate */
static void dev_touch(struct inv_bench *b, unsigned long va)
{
	uint64_t v;

	iommu_dma_read(b->dev, b->pasid, va, &v);
}

static struct folio *folio_of(struct inv_bench *b, unsigned long va)
{
	struct folio *folio;
	pte_t pte;

	if (sva_peek_pte(b->mm, va, &pte) || !pte_present(pte))
		return NULL;
	folio = page_folio(pfn_to_page(b->mmw->pm, pte_pfn(pte)));
	folio_get(folio);
	return folio;
}

/* one operation of @wl (and whatever it needs to be repeatable) */
static void inv_op(struct inv_bench *b, enum workload wl, int i)
{
	const int rw = PROT_READ | PROT_WRITE;
	struct tlbflush_unmap_batch tlb_ubc = { 0 };
	struct scan_control sc = { .nr_to_reclaim = 1,
				   .ignore_references = true,
				   .tlb_ubc = &tlb_ubc };
	struct folio *folio;

	switch (wl) {
	case W_MUNMAP:
		must(vm_mmap(b->mm, NULL, A, PAGE_SIZE, rw,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0) == A,
		     "mmap");
		must(!cpu_write(b->c0, b->mm, A, i), "write");
		dev_touch(b, A);
		must(!vm_munmap(b->mm, A, PAGE_SIZE), "munmap");
		break;
	case W_MPROTECT:
		dev_touch(b, A);
		must(!do_mprotect_pkey(b->mm, A, PAGE_SIZE,
				       i & 1 ? rw : PROT_READ, -1),
		     "mprotect");
		break;
	case W_KSM:
		/* two equal pages merge; a write breaks COW again */
		must(!cpu_write(b->c0, b->mm, A, 42), "write");
		must(!cpu_write(b->c0, b->mm, A + PAGE_SIZE, 42), "write");
		dev_touch(b, A + PAGE_SIZE);
		ksm_merge_pair(b->mm, A, A + PAGE_SIZE);
		break;
	case W_MIGRATE:
		dev_touch(b, A);
		folio = folio_of(b, A);
		if (folio) {
			migrate_folio_one(b->mmw, folio);
			folio_put(folio);
		}
		break;
	case W_RECLAIM:
		must(!cpu_write(b->c0, b->mm, A, i), "write");
		dev_touch(b, A);
		kswapd_shrink(b->mmw, &sc);
		break;
	case NR_W:
		break;
	}
}

static double inv_run(enum workload wl, const char *flush, bool amd)
{
	struct inv_bench b = { 0 };
	unsigned long cmds;
	char err[256];
	int i;

	policy_init_default(&b.pol);
	if (policy_set(&b.pol, "notifier.secondary_tlb_flush", flush, err,
		       sizeof(err)))
		broken(err);
	b.w = world_create(&(struct world_opts){
		.engine = ENGINE_DET, .max_steps = ~0UL, .policy = &b.pol });
	b.mmw = b.w ? mm_world_get(b.w, 1024, 1) : NULL;
	b.mm = b.mmw ? mm_alloc(b.mmw) : NULL;
	if (!b.mm) {
		broken("setup");
		return -1;
	}
	b.c0 = mm_cpu(b.mmw, 0);
	b.iommu = iommu_get(b.mmw);
	if (amd)
		b.iommu->vendor = IOMMU_VENDOR_AMD_V2;
	b.dev = pci_dev_add(b.iommu, "accel", true, false);
	if (wl != W_MUNMAP) {
		must(vm_mmap(b.mm, NULL, A, 2 * PAGE_SIZE,
			     PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0) == A,
		     "mmap");
		must(!cpu_write(b.c0, b.mm, A, 1), "write");
		must(!cpu_write(b.c0, b.mm, A + PAGE_SIZE, 2), "write");
		if (wl == W_KSM)
			must(!do_madvise(b.mm, A, 2 * PAGE_SIZE,
					 MADV_MERGEABLE),
			     "madvise");
	}
	b.sva = iommu_sva_bind_device(b.dev, b.mm);
	if (IS_ERR(b.sva)) {
		broken("bind");
		return -1;
	}
	b.pasid = iommu_sva_get_pasid(b.sva);
	cmds = b.iommu->stats.inv_cmds + b.iommu->stats.dev_inv_cmds;
	for (i = 0; i < MM_OPS; i++)
		inv_op(&b, wl, i);
	cmds = b.iommu->stats.inv_cmds + b.iommu->stats.dev_inv_cmds - cmds;
	iommu_sva_unbind_device(b.sva);
	cpu_idle(b.c0);
	mmput(b.mm);
	/* "none" with the Intel glue leaves stale entries: expected there */
	if (b.w->nr_reports && strcmp(flush, "none")) {
		report_print_all(b.w, stderr);
		broken("reports");
	}
	world_destroy(b.w);
	return cmds * 1000.0 / MM_OPS;
}

int main(void)
{
	static const char *const flushes[] = { "with_tlb_flush", "in_range_end",
					       "none" };
	char name[64];
	int wl, f;

	bench_name = "bench_iommu";
	/* the stall figures depend only on the model and the seed: steps,
	 * not time */
	stall_run("refault", IOMMU_FAULT_INV_REFAULT, 1000, STRAT_PCT);
	stall_run("wait", IOMMU_FAULT_INV_WAIT, 1000, STRAT_PCT);
	stall_run("refault", IOMMU_FAULT_INV_REFAULT, 1000, STRAT_RANDOM);
	stall_run("wait", IOMMU_FAULT_INV_WAIT, 1000, STRAT_RANDOM);
	stall_run("refault", IOMMU_FAULT_INV_REFAULT, 8, STRAT_PCT);
	stall_run("wait", IOMMU_FAULT_INV_WAIT, 8, STRAT_PCT);
	for (wl = 0; wl < NR_W; wl++) {
		for (f = 0; f < 3; f++) {
			snprintf(name, sizeof(name), "%s, %s",
				 workload_names[wl], flushes[f]);
			figure(name, inv_run(wl, flushes[f], false),
			       "invalidations per 1000 ops");
		}
		snprintf(name, sizeof(name), "%s, none, amd_iommu_v2",
			 workload_names[wl]);
		figure(name, inv_run(wl, "none", true),
		       "invalidations per 1000 ops");
	}
	return bench_failures ? 1 : 0;
}
