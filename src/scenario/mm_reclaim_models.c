// SPDX-License-Identifier: MIT
/*
 * Built-in models of reclaim racing with the primary MMU's users.
 *
 *   reclaim-vs-mprotect        CPU0 writes and reads a page; kswapd
 *                              reclaims it with a batched (deferred) TLB
 *                              flush; CPU1 mprotects it read-only (clean)
 *   reclaim-vs-munmap          the same, CPU1 munmaps it (clean)
 *   reclaim-vs-mprotect-2017   reclaim-vs-mprotect with the policy
 *                              rmap.batched_flush_pending=false forced
 *                              (bug: permission)
 *   reclaim-vs-munmap-2017     the same for munmap (bug:
 *                              access-after-munmap)
 *   migrate-vs-write           CPU0 writes and reads a page while a
 *                              migrator moves it twice (clean: every
 *                              read returns the last write)
 *   ksm-vs-write               two identical pages: CPU0 keeps writing
 *                              the same value to the first, CPU1 writes
 *                              the second (the same value, then another
 *                              one), while ksmd merges them twice
 *                              (clean: no write shows through the other
 *                              page, every read returns its last write)
 *
 * The 2017 race (fixed by commit 3ea277194daa, "mm, mprotect: flush TLB
 * if potentially racing with a parallel reclaim leaving stale TLB
 * entries", 4.13): reclaim clears the PTE and defers the flush; mprotect
 * or munmap finds the PTE already gone, has nothing to flush, and
 * returns while CPU0 still holds a writable TLB entry: CPU0 writes a
 * page it may no longer write (or no longer has), and that reclaim is
 * about to write out and free.
 *
 * The models read rmap.batched_flush_pending from the world's policy
 * (the -2017 variants force it false in setup, as a scenario file's
 * policy is applied).  The oracle is mm_models.c's: once the operation
 * has returned, a write that succeeds is a violation; a read returns the
 * last successful write (reclaim is transparent: no lost write).
 *
 * Locking: the agents use the mm's own locks; `done` is published with
 * WRITE_ONCE.
 */
#include "check/check.h"
#include "core/policy.h"
#include "mm/mm.h"
#include "mm/tlb.h"
#include "scenario/mm_models.h"
#include "scenario/scenario.h"

#define RECLAIM_FRAMES 512
#define RECLAIM_ADDR 0x10000000UL

struct reclaim_race {
	const struct reclaim_race_opts *o;
	struct mm_world *mmw;
	struct mm_struct *mm;
	unsigned long addr;
	int done;
	/* the kswapd agent's context: its own batch of deferred flushes */
	struct tlbflush_unmap_batch tlb_ubc;
};

static const char *op_name(const struct reclaim_race *r)
{
	return r->o->munmap ? "munmap" : "mprotect(PROT_READ)";
}

/* CPU0: write i and read it back, iters times */
static void reclaim_toucher(void *arg)
{
	struct reclaim_race *r = arg;
	struct world *w = r->mmw->w;
	struct cpu *cpu = mm_cpu(r->mmw, 0);
	uint64_t last = 0, v;
	bool after;
	int i;

	for (i = 1; i <= r->o->iters; i++) {
		after = READ_ONCE(r->done);
		if (!cpu_write(cpu, r->mm, r->addr, i)) {
			last = i;
			if (after)
				report_add(
					w,
					r->o->munmap ? "access-after-munmap" :
						       "permission",
					"%s: write %d to va %#lx succeeded after %s had returned, through a TLB entry reclaim's deferred flush had not removed yet (rmap.batched_flush_pending=%s, mm->tlb_flush_batched=%d)\n",
					current->name, i, r->addr, op_name(r),
					policy_bool(
						w,
						KNOB_RMAP_BATCHED_FLUSH_PENDING) ?
						"true" :
						"false",
					(int)__atomic_load_n(
						&r->mm->tlb_flush_batched,
						__ATOMIC_RELAXED));
		}
		after = READ_ONCE(r->done);
		if (cpu_read(cpu, r->mm, r->addr, &v))
			continue;
		if (after && r->o->munmap)
			report_add(
				w, "access-after-munmap",
				"%s: read %d of va %#lx succeeded after munmap had returned, through a TLB entry reclaim's deferred flush had not removed yet (rmap.batched_flush_pending=%s, mm->tlb_flush_batched=%d)\n",
				current->name, i, r->addr,
				policy_bool(w,
					    KNOB_RMAP_BATCHED_FLUSH_PENDING) ?
					"true" :
					"false",
				(int)__atomic_load_n(&r->mm->tlb_flush_batched,
						     __ATOMIC_RELAXED));
		if (v != last)
			report_add(
				w, "value",
				"%s: read %llu from va %#lx, last write was %llu (a write lost to reclaim)\n",
				current->name, (unsigned long long)v, r->addr,
				(unsigned long long)last);
	}
}

/* kswapd: reclaim the page with a batched flush */
static void reclaim_kswapd(void *arg)
{
	struct reclaim_race *r = arg;
	struct scan_control sc = {
		.nr_to_reclaim = 1,
		.ignore_references = true,
		.tlb_ubc = &r->tlb_ubc,
	};

	kswapd_shrink(r->mmw, &sc);
}

/* the migrator: move the page to a new frame, twice */
static void reclaim_migrator(void *arg)
{
	struct reclaim_race *r = arg;
	int i;

	for (i = 0; i < 2; i++) {
		struct folio *folio = sc_follow_folio(r->mm, r->addr);

		if (!folio)
			continue;
		migrate_folio_one(r->mmw, folio);
		folio_put(folio);
	}
}

#define KSM_VAL 42

/* ksmd: merge the two pages, twice */
static void reclaim_ksmd(void *arg)
{
	struct reclaim_race *r = arg;
	int i;

	for (i = 0; i < 2; i++)
		ksm_merge_pair(r->mm, r->addr, r->addr + PAGE_SIZE);
}

/* CPU0 (ksm): the first page only ever holds KSM_VAL */
static void ksm_toucher(void *arg)
{
	struct reclaim_race *r = arg;
	struct cpu *cpu = mm_cpu(r->mmw, 0);
	uint64_t v;
	int i;

	for (i = 1; i <= r->o->iters; i++) {
		if (cpu_write(cpu, r->mm, r->addr, KSM_VAL))
			report_add(r->mmw->w, "value",
				   "%s: write %d to va %#lx failed\n",
				   current->name, i, r->addr);
		if (cpu_read(cpu, r->mm, r->addr, &v) || v != KSM_VAL)
			report_add(
				r->mmw->w, "value",
				"%s: read %llu from va %#lx, which only ever held %d (another page's write showed through a merged page)\n",
				current->name, (unsigned long long)v, r->addr,
				KSM_VAL);
	}
}

/* CPU1 (ksm): KSM_VAL (still mergeable), then one other value */
static void ksm_writer(void *arg)
{
	struct reclaim_race *r = arg;
	struct cpu *cpu = mm_cpu(r->mmw, 1);
	unsigned long va = r->addr + PAGE_SIZE;
	uint64_t v, val;
	int i;

	for (i = 1; i <= r->o->iters; i++) {
		val = i < r->o->iters ? KSM_VAL : 100 + i;
		if (cpu_write(cpu, r->mm, va, val) ||
		    cpu_read(cpu, r->mm, va, &v) || v != val)
			report_add(
				r->mmw->w, "value",
				"%s: read %llu from va %#lx after writing %llu\n",
				current->name, (unsigned long long)v, va,
				(unsigned long long)val);
	}
}

/* CPU1: the operation */
static void reclaim_operator(void *arg)
{
	struct reclaim_race *r = arg;
	int ret;

	if (r->o->munmap)
		ret = vm_munmap(r->mm, r->addr, PAGE_SIZE);
	else
		ret = do_mprotect_pkey(r->mm, r->addr, PAGE_SIZE, PROT_READ,
				       -1);
	if (ret)
		report_add(r->mmw->w, "syscall-failed", "%s returned %d\n",
			   op_name(r), ret);
	WRITE_ONCE(r->done, 1);
}

/**
 * reclaim_race_setup - one execution of a reclaim-vs-X model
 * @w: the world
 * @arg: a struct reclaim_race_opts
 *
 * One mm with one anonymous page at RECLAIM_ADDR, written (so cached
 * writable and dirty) by CPU0; agents "toucher" (CPU0), "kswapd" (no
 * CPU) and "protector" or "unmapper" (CPU1).
 */
int reclaim_race_setup(struct world *w, void *arg)
{
	const struct reclaim_race_opts *o = arg;
	struct reclaim_race *r = arena_alloc(w, sizeof(*r));
	unsigned long a;

	r->o = o;
	if (o->force_2017)
		w->policy->v[KNOB_RMAP_BATCHED_FLUSH_PENDING] = 0;
	r->mmw = mm_world_get(w, RECLAIM_FRAMES, 2);
	if (!r->mmw)
		return -ENOMEM;
	r->mm = mm_alloc(r->mmw);
	if (!r->mm)
		return -ENOMEM;
	a = vm_mmap(r->mm, NULL, RECLAIM_ADDR, PAGE_SIZE,
		    PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
	if (a != RECLAIM_ADDR)
		return -ENOMEM;
	r->addr = a;
	/*
	 * A neighbour in its own VMA (PROT_EXEC: no merge) keeps the PTE
	 * table alive through munmap: freeing it would force a flush and
	 * hide the race, as it does in Linux.
	 */
	if (vm_mmap(r->mm, NULL, a + PAGE_SIZE, PAGE_SIZE,
		    PROT_READ | PROT_WRITE | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		    0) != a + PAGE_SIZE)
		return -ENOMEM;
	if (cpu_write(mm_cpu(r->mmw, 0), r->mm, a, 0))
		return -EFAULT;
	w->priv = r;
	if (o->ksm) {
		if (do_madvise(r->mm, a, 2 * PAGE_SIZE, MADV_MERGEABLE) ||
		    cpu_write(mm_cpu(r->mmw, 0), r->mm, a, KSM_VAL) ||
		    cpu_write(mm_cpu(r->mmw, 0), r->mm, a + PAGE_SIZE, KSM_VAL))
			return -EFAULT;
		w->priv = r;
		if (!agent_create(w, "ksmd", reclaim_ksmd, r) ||
		    !agent_create(w, "toucher", ksm_toucher, r) ||
		    !agent_create(w, "writer", ksm_writer, r))
			return -EAGAIN;
		return 0;
	}
	if (o->migrate) {
		if (!agent_create(w, "toucher", reclaim_toucher, r) ||
		    !agent_create(w, "migrator", reclaim_migrator, r))
			return -EAGAIN;
		return 0;
	}
	if (!agent_create(w, "toucher", reclaim_toucher, r) ||
	    !agent_create(w, "kswapd", reclaim_kswapd, r) ||
	    !agent_create(w, o->munmap ? "unmapper" : "protector",
			  reclaim_operator, r))
		return -EAGAIN;
	return 0;
}

/* quiescent checks, then exit: no frame and no swap slot may be left */
void reclaim_race_check(struct world *w, void *arg)
{
	struct reclaim_race *r = w->priv;

	mm_check_quiescent(r->mmw);
	cpu_idle(mm_cpu(r->mmw, 0));
	cpu_idle(mm_cpu(r->mmw, 1));
	mmput(r->mm);
	if (nr_swap_slots_used(r->mmw))
		report_add(w, "swap-leak", "%lu swap slots left after exit\n",
			   nr_swap_slots_used(r->mmw));
	phys_check_leaks(r->mmw->pm, 0);
}

#define RECLAIM_ITERS 4

static const struct reclaim_race_opts opts_mprotect = {
	.iters = RECLAIM_ITERS,
};
static const struct reclaim_race_opts opts_munmap = {
	.munmap = true,
	.iters = RECLAIM_ITERS,
};
static const struct reclaim_race_opts opts_mprotect_2017 = {
	.force_2017 = true,
	.iters = RECLAIM_ITERS,
};
static const struct reclaim_race_opts opts_migrate = {
	.migrate = true,
	.iters = RECLAIM_ITERS,
};
static const struct reclaim_race_opts opts_ksm = {
	.ksm = true,
	.iters = 8, /* long enough for ksmd to find them equal */
};
static const struct reclaim_race_opts opts_munmap_2017 = {
	.munmap = true,
	.force_2017 = true,
	.iters = RECLAIM_ITERS,
};

const struct model model_reclaim_vs_mprotect = {
	"reclaim-vs-mprotect",
	"CPU0 writes a page kswapd reclaims with a batched flush while CPU1 mprotects it (clean)",
	reclaim_race_setup, reclaim_race_check, (void *)&opts_mprotect
};
const struct model model_reclaim_vs_munmap = {
	"reclaim-vs-munmap",
	"CPU0 writes a page kswapd reclaims with a batched flush while CPU1 munmaps it (clean)",
	reclaim_race_setup, reclaim_race_check, (void *)&opts_munmap
};
const struct model model_reclaim_vs_mprotect_2017 = {
	"reclaim-vs-mprotect-2017",
	"reclaim-vs-mprotect with rmap.batched_flush_pending=false (bug: permission)",
	reclaim_race_setup, reclaim_race_check, (void *)&opts_mprotect_2017
};
const struct model model_reclaim_vs_munmap_2017 = {
	"reclaim-vs-munmap-2017",
	"reclaim-vs-munmap with rmap.batched_flush_pending=false (bug: access-after-munmap)",
	reclaim_race_setup, reclaim_race_check, (void *)&opts_munmap_2017
};
const struct model model_migrate_vs_write = {
	"migrate-vs-write",
	"CPU0 writes a page while a migrator moves it twice (clean)",
	reclaim_race_setup, reclaim_race_check, (void *)&opts_migrate
};
const struct model model_ksm_vs_write = {
	"ksm-vs-write",
	"ksmd merges two identical pages while CPU0 and CPU1 write them (clean)",
	reclaim_race_setup, reclaim_race_check, (void *)&opts_ksm
};
