// SPDX-License-Identifier: MIT
/*
 * bench_kvm: KVM's TDP MMU in numbers.
 *
 *  1. Guest faults per second: 1 or 2 vCPU agents each read a word of
 *     every page of their own 64-page share of a memslot (an EPT
 *     violation each: srcu, hva_to_pfn through the mm's fault handler,
 *     read_lock(mmu_lock), the cmpxchg install), then a MADV_DONTNEED of
 *     the share zaps the SPTEs and the next round faults them again.
 *     Real engine (real threads and locks) and deterministic engine.
 *  2. Zap throughput: N pages (1 .. 262144) are faulted in by one vCPU,
 *     then one agent zaps the whole range with
 *     __kvm_tdp_mmu_zap_gfn_range (can_yield true/false, mmu_lock for
 *     write or read) and flushes; SPTEs zapped per second and remote TLB
 *     flushes per zap (one agent: need_resched() is never true, so the
 *     yield policy costs only its checks).  Deterministic engine.
 *  3. The cost of a host MADV_DONTNEED of 64 guest-mapped pages per
 *     invalidated page: no secondary, the mirror device (16 pages mapped)
 *     and KVM (64 SPTEs mapped), real engine, median of 5.
 *
 * Timings never fail the run; a violation or a failed access does.
 * Locking: each agent owns its share; results are read after world_run().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "devices/mirror.h"
#include "engine/engine.h"
#include "kvm/kvm_host.h"
#include "mm/tlb.h"

#define SLOT_HVA 0x40000000UL
#define SHARE 64

struct kb {
	struct world *w;
	struct mm_world *mmw;
	struct mm_struct *mm;
	struct kvm *kvm;
	unsigned long npages;
	long rounds;
	int nr_vcpus;
	bool shared, can_yield;
	double t0, t1, busy;
	unsigned long flushes;
	int bad;
	int started;
};

static int kb_world(struct kb *b, enum engine_kind kind, unsigned long frames,
		    int nr_vcpus, unsigned long slot_pages)
{
	b->w = world_create(&(struct world_opts){
		.engine = kind, .max_steps = ~0UL, .seed = 1 });
	if (!b->w)
		return -1;
	b->mmw = mm_world_get(b->w, frames, 1);
	b->mm = b->mmw ? mm_alloc(b->mmw) : NULL;
	if (!b->mm)
		return -1;
	b->kvm = kvm_create_vm(b->mm, nr_vcpus);
	if (IS_ERR(b->kvm))
		return -1;
	return kvm_set_memory_region(b->kvm, 0, 0, 0, slot_pages << PAGE_SHIFT,
				     SLOT_HVA);
}

static void kb_done(struct kb *b)
{
	kvm_destroy_vm(b->kvm);
	cpu_idle(mm_cpu(b->mmw, 0));
	mmput(b->mm);
	if (b->w->nr_reports) {
		report_print_all(b->w, stderr);
		broken("reports");
	}
	world_destroy(b->w);
}

/* ---- 1. guest faults ---- */

static void fault_agent(void *arg)
{
	struct kb *b = arg;
	int id = __atomic_fetch_add(&b->started, 1, __ATOMIC_RELAXED);
	struct kvm_vcpu *vcpu = &b->kvm->vcpus[id];
	unsigned long base = (unsigned long)id * SHARE;
	uint64_t v;
	long r;
	int p;

	for (r = 0; r < b->rounds; r++) {
		for (p = 0; p < SHARE; p++)
			if (kvm_vcpu_guest_access(vcpu,
						  (base + p) << PAGE_SHIFT,
						  false, false, &v))
				b->bad++;
		if (do_madvise(b->mm, SLOT_HVA + (base << PAGE_SHIFT),
			       SHARE * PAGE_SIZE, MADV_DONTNEED))
			b->bad++;
	}
}

static void map_agent(void *arg)
{
	struct kb *b = arg;

	if (vm_mmap(b->mm, NULL, SLOT_HVA, b->npages * PAGE_SIZE,
		    PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0) != SLOT_HVA)
		b->bad++;
}

static double bench_faults(enum engine_kind kind, int nr_vcpus, long rounds)
{
	struct kb b = { .nr_vcpus = nr_vcpus, .rounds = rounds };
	double t0, t1;
	int i;

	b.npages = nr_vcpus * SHARE;
	if (kb_world(&b, kind, 1024, nr_vcpus, b.npages)) {
		broken("world");
		return -1;
	}
	if (!agent_create(b.w, "map", map_agent, &b) || world_run(b.w))
		broken("map");
	for (i = 0; i < nr_vcpus; i++)
		if (!agent_create(b.w, "vcpu", fault_agent, &b))
			broken("agent");
	t0 = now_sec();
	if (world_run(b.w))
		broken("world_run");
	t1 = now_sec();
	if (b.bad)
		broken("guest access");
	kb_done(&b);
	return nr_vcpus * SHARE * rounds / (t1 - t0);
}

/* ---- 2. zap throughput ---- */

static void populate_agent(void *arg)
{
	struct kb *b = arg;
	uint64_t v;
	unsigned long p;

	map_agent(b);
	for (p = 0; p < b->npages; p++)
		if (kvm_vcpu_guest_access(&b->kvm->vcpus[0], p << PAGE_SHIFT,
					  false, false, &v))
			b->bad++;
}

static void zap_agent(void *arg)
{
	struct kb *b = arg;
	struct kvm *kvm = b->kvm;
	unsigned long f0 = kvm->nr_remote_tlb_flushes, z0 = kvm->nr_zapped;
	bool flush;

	b->t0 = now_sec();
	if (b->shared)
		read_lock(&kvm->mmu_lock);
	else
		write_lock(&kvm->mmu_lock);
	rcu_read_lock();
	flush = __kvm_tdp_mmu_zap_gfn_range(kvm, 0, b->npages, b->can_yield,
					    false, b->shared);
	if (flush)
		kvm_flush_remote_tlbs(kvm);
	rcu_read_unlock();
	if (b->shared)
		read_unlock(&kvm->mmu_lock);
	else
		write_unlock(&kvm->mmu_lock);
	b->t1 = now_sec();
	b->flushes = kvm->nr_remote_tlb_flushes - f0;
	if (kvm->nr_zapped - z0 != b->npages)
		b->bad++;
}

static void bench_zap(unsigned long npages)
{
	static const struct {
		bool shared, can_yield;
		const char *name;
	} modes[] = { { false, true, "write yield" },
		      { false, false, "write noyield" },
		      { true, true, "read yield" },
		      { true, false, "read noyield" } };
	char name[64];
	unsigned m;

	for (m = 0; m < 4; m++) {
		struct kb b = { .npages = npages,
				.shared = modes[m].shared,
				.can_yield = modes[m].can_yield };

		if (kb_world(&b, ENGINE_DET, npages + 2048, 1, npages)) {
			broken("world");
			return;
		}
		if (!agent_create(b.w, "populate", populate_agent, &b) ||
		    world_run(b.w) ||
		    !agent_create(b.w, "zap", zap_agent, &b) || world_run(b.w))
			broken("world_run");
		if (b.bad)
			broken("populate or zap count");
		snprintf(name, sizeof(name), "zap %lu %s", npages,
			 modes[m].name);
		figure(name, npages / (b.t1 - b.t0), "SPTEs/s");
		snprintf(name, sizeof(name), "zap %lu %s flushes", npages,
			 modes[m].name);
		figure(name, b.flushes, "per zap");
		kb_done(&b);
	}
}

/* ---- 3. MADV_DONTNEED per secondary ---- */

enum secondary { SEC_NONE, SEC_MIRROR, SEC_KVM };

struct dn {
	struct kb kb;
	enum secondary sec;
	struct dmirror dev;
	long calls;
};

static void dontneed_agent(void *arg)
{
	struct dn *d = arg;
	struct kb *b = &d->kb;
	struct cpu *cpu = mm_cpu(b->mmw, 0);
	uint64_t v;
	long i;
	int p;
	double t;

	map_agent(b);
	if (d->sec == SEC_MIRROR && dmirror_init(&d->dev, b->mm, SLOT_HVA, 16))
		b->bad++;
	for (i = 0; i < d->calls; i++) {
		for (p = 0; p < SHARE; p++)
			if (cpu_write(cpu, b->mm, SLOT_HVA + p * PAGE_SIZE, i))
				b->bad++;
		if (d->sec == SEC_MIRROR &&
		    dmirror_fault(&d->dev, SLOT_HVA, 16, false))
			b->bad++;
		if (d->sec == SEC_KVM)
			for (p = 0; p < SHARE; p++)
				if (kvm_vcpu_guest_access(&b->kvm->vcpus[0],
							  (unsigned long)p
								  << PAGE_SHIFT,
							  false, false, &v))
					b->bad++;
		t = now_sec();
		if (do_madvise(b->mm, SLOT_HVA, SHARE * PAGE_SIZE,
			       MADV_DONTNEED))
			b->bad++;
		b->busy += now_sec() - t;
	}
	if (d->sec == SEC_MIRROR)
		dmirror_fini(&d->dev);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void bench_dontneed(void)
{
	static const char *const names[] = { "none", "mirror", "kvm" };
	char name[64];
	int s, rep;

	for (s = SEC_NONE; s <= SEC_KVM; s++) {
		double v[5];

		for (rep = 0; rep < 5; rep++) {
			struct dn d = { .sec = s, .calls = 300 };

			d.kb.npages = SHARE;
			if (kb_world(&d.kb, ENGINE_REAL, 1024, 1, SHARE)) {
				broken("world");
				return;
			}
			if (!agent_create(d.kb.w, "dn", dontneed_agent, &d) ||
			    world_run(d.kb.w))
				broken("world_run");
			if (d.kb.bad)
				broken("access");
			v[rep] = d.kb.busy * 1e9 / (d.calls * SHARE);
			kb_done(&d.kb);
		}
		qsort(v, 5, sizeof(v[0]), cmp_double);
		snprintf(name, sizeof(name), "dontneed per page, %s", names[s]);
		figure(name, v[2], "ns");
	}
}

int main(int argc, char **argv)
{
	static const unsigned long sizes[] = { 1, 64, 4096, 65536, 262144 };
	bool quick = argc > 1 && !strcmp(argv[1], "quick");
	unsigned i;

	bench_name = "bench_kvm";
	figure("guest faults real 1 vcpu", bench_faults(ENGINE_REAL, 1, 200),
	       "faults/s");
	figure("guest faults real 2 vcpus", bench_faults(ENGINE_REAL, 2, 200),
	       "faults/s");
	figure("guest faults det 1 vcpu", bench_faults(ENGINE_DET, 1, 50),
	       "faults/s");
	figure("guest faults det 2 vcpus", bench_faults(ENGINE_DET, 2, 50),
	       "faults/s");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (!quick || sizes[i] <= 4096)
			bench_zap(sizes[i]);
	bench_dontneed();
	printf("== summary\n");
	for (i = 0; i < (unsigned)bench_nr_figures; i++)
		printf("  %-40s %14.1f %s\n", bench_figures[i].name,
		       bench_figures[i].value, bench_figures[i].unit);
	return bench_failures ? 1 : 0;
}
