// SPDX-License-Identifier: MIT
/*
 * Built-in models of the primary MMU in C:
 *
 *   write-vs-clear-refs        CPU0 keeps writing a page while a tracker
 *                              clears soft-dirty (clear_refs "4"), then
 *                              writes once more; clean: a write after
 *                              clear_refs returned shows in pagemap
 *   write-vs-clear-refs-noflush  the same with clear_refs.flush_tlb=false
 *                              (bug: CPU0 writes through its old writable
 *                              TLB entry: missed-dirty)
 *   mremap-pmd-vs-truncate, mremap-pmd-vs-munmap (below)
 *
 * and policy_model_init(), which runs a built-in model under a policy.
 * Not yet scenarios (not converted in this round): write-vs-clear-refs
 * (its -noflush twin is clear_refs.flush_tlb=false) and the two
 * mremap-pmd races (scenarios/bugs/clear-refs-soft-dirty-flush.yaml and
 * mremap-pmd-rmap-locks-2021.yaml tell the same bugs).
 *
 * The fault-vs-X races (fault-vs-munmap, fault-vs-mprotect,
 * fault-vs-truncate, read-vs-dontneed, write-vs-fork and their -noflush
 * and -nonested twins) are shipped scenarios in scenarios/models/;
 * reclaim-vs-mprotect, reclaim-vs-munmap (their 2017 bug under
 * rmap.batched_flush_pending=false), migrate-vs-write and ksm-vs-write
 * are scenarios/models/ files too; mremap-vs-truncate is the zoo entry
 * scenarios/bugs/mremap-truncate-cve-2018-18281.yaml under its fixed
 * policy.  The unit tests keep a parameterised C harness of the same
 * programs (tests/mm_race.c).
 *
 * Locking: the agents use the mm's own locks through the syscalls and
 * CPU accesses; the models' flags are published with WRITE_ONCE.
 */
#include "check/check.h"
#include "fs/proc_fs.h"
#include "mm/mm.h"
#include "mm/tlb.h"
#include "scenario/mm_models.h"

#define RACE_FRAMES 4096
#define RACE_ADDR 0x10000000UL

/* ---- built-in models under a policy ---- */

static int policy_model_setup(struct world *w, void *arg)
{
	struct policy_model *pm = arg;

	*w->policy = pm->policy;
	return pm->inner->setup(w, pm->inner->arg);
}

static void policy_model_check(struct world *w, void *arg)
{
	struct policy_model *pm = arg;

	if (pm->inner->check)
		pm->inner->check(w, pm->inner->arg);
}

/**
 * policy_model_init - make @pm run @inner under @policy
 * @pm: filled in; pass &pm->m to explore() or run_real()
 * @inner: a built-in model (it must outlive @pm's runs)
 * @policy: copied
 */
void policy_model_init(struct policy_model *pm, const struct model *inner,
		       const struct policy *policy)
{
	pm->inner = inner;
	pm->policy = *policy;
	pm->m = (struct model){ .name = inner->name,
				.desc = inner->desc,
				.setup = policy_model_setup,
				.check = policy_model_check,
				.arg = pm };
}

/* ---- write-vs-clear-refs: soft-dirty tracking ---- */

/**
 * struct softdirty_race - one execution of write-vs-clear-refs
 * @o: the variant
 * @mmw, @mm: the world's mm state and the one address space
 * @addr: the page CPU0 writes (cached writable and dirty at the start)
 * @done: clear_refs has returned
 * @wrote_after: the last write CPU0 started after @done was set
 */
struct softdirty_race {
	const struct softdirty_race_opts *o;
	struct mm_world *mmw;
	struct mm_struct *mm;
	unsigned long addr;
	int done;
	int wrote_after;
};

/* CPU0: write i and read it back */
static void softdirty_writer(void *arg)
{
	struct softdirty_race *r = arg;
	struct cpu *cpu = mm_cpu(r->mmw, 0);
	uint64_t last = 0, v;
	bool after;
	int i;

	for (i = 1; i <= r->o->iters; i++) {
		after = READ_ONCE(r->done);
		if (cpu_write(cpu, r->mm, r->addr, i)) {
			report_add(r->mmw->w, "value",
				   "%s: write %d to va %#lx failed\n",
				   current->name, i, r->addr);
			continue;
		}
		last = i;
		if (after)
			WRITE_ONCE(r->wrote_after, i);
		if (cpu_read(cpu, r->mm, r->addr, &v) || v != last)
			report_add(
				r->mmw->w, "value",
				"%s: read %llu from va %#lx, last write was %llu\n",
				current->name, (unsigned long long)v, r->addr,
				(unsigned long long)last);
	}
}

/* the tracker (CRIU's pre-dump): clear the soft-dirty bits */
static void softdirty_tracker(void *arg)
{
	struct softdirty_race *r = arg;
	int ret = clear_refs_write(r->mm, CLEAR_REFS_SOFT_DIRTY);

	if (ret)
		report_add(r->mmw->w, "syscall-failed",
			   "clear_refs returned %d\n", ret);
	WRITE_ONCE(r->done, 1);
}

/**
 * softdirty_race_setup - CPU0 ("writer") keeps writing a page it has
 * cached writable and dirty while "tracker" writes 4 to clear_refs.
 * @w: the world
 * @arg: a struct softdirty_race_opts
 */
int softdirty_race_setup(struct world *w, void *arg)
{
	const struct softdirty_race_opts *o = arg;
	struct softdirty_race *r = arena_alloc(w, sizeof(*r));
	unsigned long a;

	r->o = o;
	if (o->noflush)
		w->policy->v[KNOB_CLEAR_REFS_FLUSH_TLB] = 0;
	r->mmw = mm_world_get(w, 256, 2);
	if (!r->mmw)
		return -ENOMEM;
	r->mm = mm_alloc(r->mmw);
	if (!r->mm)
		return -ENOMEM;
	a = vm_mmap(r->mm, NULL, RACE_ADDR, PAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
	if (a != RACE_ADDR)
		return -ENOMEM;
	r->addr = a;
	if (cpu_write(mm_cpu(r->mmw, 0), r->mm, a, 0))
		return -EFAULT;
	w->priv = r;
	if (!agent_create(w, "writer", softdirty_writer, r) ||
	    !agent_create(w, "tracker", softdirty_tracker, r))
		return -EAGAIN;
	return 0;
}

/*
 * The task runs on after the tracker's pass: CPU0 writes once more (the
 * checker sees whether that write can land unrecorded).  The oracle: a
 * write that started after clear_refs returned must show in pagemap;
 * then the quiescent checks and exit.
 */
void softdirty_race_check(struct world *w, void *arg)
{
	struct softdirty_race *r = w->priv;

	if (!cpu_write(mm_cpu(r->mmw, 0), r->mm, r->addr, r->o->iters + 1))
		r->wrote_after = r->o->iters + 1;
	if (r->wrote_after && pagemap_soft_dirty(r->mm, r->addr) != 1)
		report_add(
			w, "missed-dirty",
			"write %d to va %#lx started after clear_refs had returned, but pagemap reports the page clean (clear_refs.flush_tlb=%s)\n",
			r->wrote_after, r->addr,
			policy_bool(w, KNOB_CLEAR_REFS_FLUSH_TLB) ? "true" :
								    "false");
	mm_check_quiescent(r->mmw);
	cpu_idle(mm_cpu(r->mmw, 0));
	cpu_idle(mm_cpu(r->mmw, 1));
	mmput(r->mm);
	phys_check_leaks(r->mmw->pm, 0);
}

static const struct softdirty_race_opts opts_softdirty = { .iters = 3 };
static const struct softdirty_race_opts opts_softdirty_noflush = {
	.noflush = true,
	.iters = 3,
};

const struct model model_write_vs_clear_refs = {
	"write-vs-clear-refs",
	"CPU0 writes a page while a tracker clears soft-dirty with clear_refs (clean)",
	softdirty_race_setup, softdirty_race_check, (void *)&opts_softdirty
};
const struct model model_write_vs_clear_refs_noflush = {
	"write-vs-clear-refs-noflush",
	"write-vs-clear-refs with clear_refs.flush_tlb=false (bug: missed-dirty)",
	softdirty_race_setup, softdirty_race_check,
	(void *)&opts_softdirty_noflush
};

/*
 * Whole-table mremap (move_normal_pmd) racing with truncation or munmap.
 *
 *   mremap-pmd-vs-truncate     a 2 MiB shared file mapping, PMD-aligned;
 *                              CPU0 reads its first page at the old and
 *                              the new address, CPU1 moves the whole
 *                              2 MiB (one PTE table) with mremap, CPU2
 *                              truncates the file to 0 (clean; with
 *                              mremap.pmd_move_rmap_locks=false, as from
 *                              2019 to 2021, truncation that locked the
 *                              table through the old VMA zaps the page
 *                              at its new address, flushes only the old
 *                              one and frees it: stale-tlb)
 *   mremap-pmd-vs-munmap       a 2 MiB anonymous mapping, PMD-aligned;
 *                              CPU0 writes and reads a cached page and a
 *                              cold one at the old and the new address,
 *                              CPU1 moves the table, CPU2 munmaps the
 *                              old range (clean)
 *
 * Oracle: a successful read returns what the page holds (PMD_RACE_VAL,
 * or 0 for the cold anonymous page before its first write); once mremap
 * or munmap has returned no access to the old range may succeed; once
 * truncate has returned, no access to either.
 */
#define PMD_RACE_OLD 0x40000000UL
#define PMD_RACE_NEW (PMD_RACE_OLD + 0x400000UL) /* same PMD table */
#define PMD_RACE_VAL 77

struct pmd_race {
	const struct pmd_race_opts *o;
	struct mm_world *mmw;
	struct mm_struct *mm;
	struct file *file;
	int moved; /* mremap returned */
	int moved_ok; /* ... and moved the range */
	int gone; /* truncate or munmap returned */
};

/* one access by CPU0 to page @pg at @base; the oracle above */
static void pmd_race_access(struct pmd_race *r, unsigned long base, int pg,
			    bool write)
{
	struct cpu *cpu = mm_cpu(r->mmw, 0);
	unsigned long va = base + pg * PAGE_SIZE;
	bool moved = READ_ONCE(r->moved), gone = READ_ONCE(r->gone);
	uint64_t v = 0;
	int ret;

	ret = write ? cpu_write(cpu, r->mm, va, PMD_RACE_VAL) :
		      cpu_read(cpu, r->mm, va, &v);
	if (ret)
		return;
	if (r->o->truncate && gone)
		report_add(
			r->mmw->w, "access-after-truncate",
			"%s: %s of va %#lx succeeded after truncate() to 0 had returned\n",
			current->name, write ? "write" : "read", va);
	else if (base == PMD_RACE_OLD && (moved || (!r->o->truncate && gone)))
		report_add(
			r->mmw->w,
			moved ? "access-after-mremap" : "access-after-munmap",
			"%s: %s of va %#lx succeeded after %s() had returned\n",
			current->name, write ? "write" : "read", va,
			moved ? "mremap" : "munmap");
	else if (!write && v != PMD_RACE_VAL && !(pg && v == 0))
		report_add(r->mmw->w, "value",
			   "%s: read %llu from va %#lx, the page holds %d\n",
			   current->name, (unsigned long long)v, va,
			   PMD_RACE_VAL);
}

/* CPU0: the first page at both addresses; with munmap, a cold one too */
static void pmd_race_user(void *arg)
{
	struct pmd_race *r = arg;
	int i;

	for (i = 0; i < r->o->iters; i++) {
		pmd_race_access(r, PMD_RACE_OLD, 0, false);
		pmd_race_access(r, PMD_RACE_NEW, 0, false);
		/* a TLB hit on what the read before may have cached */
		pmd_race_access(r, PMD_RACE_NEW, 0, false);
		if (!r->o->truncate) {
			pmd_race_access(r, PMD_RACE_OLD, 1, i & 1);
			pmd_race_access(r, PMD_RACE_NEW, 1, !(i & 1));
		}
	}
	cpu_idle(mm_cpu(r->mmw, 0));
}

/* CPU1: move the whole PMD */
static void pmd_race_mover(void *arg)
{
	struct pmd_race *r = arg;
	unsigned long ret;

	ret = do_mremap(r->mm, PMD_RACE_OLD, PMD_SIZE, PMD_SIZE,
			MREMAP_MAYMOVE | MREMAP_FIXED, PMD_RACE_NEW);
	/* after munmap of the old range mremap finds nothing: -EFAULT */
	if (ret == PMD_RACE_NEW)
		WRITE_ONCE(r->moved_ok, 1);
	else if (r->o->truncate || ret != (unsigned long)-EFAULT)
		report_add(r->mmw->w, "syscall-failed", "mremap returned %ld\n",
			   (long)ret);
	WRITE_ONCE(r->moved, 1);
}

/* CPU2: truncate the file, or munmap the old range */
static void pmd_race_remover(void *arg)
{
	struct pmd_race *r = arg;
	int ret;

	if (r->o->truncate)
		ret = vfs_truncate(r->file, 0);
	else
		ret = vm_munmap(r->mm, PMD_RACE_OLD, PMD_SIZE);
	if (ret)
		report_add(r->mmw->w, "syscall-failed", "%s returned %d\n",
			   r->o->truncate ? "truncate" : "munmap", ret);
	WRITE_ONCE(r->gone, 1);
}

/**
 * pmd_race_setup - one execution of mremap-pmd-vs-truncate/-munmap
 * @w: the world
 * @arg: a struct pmd_race_opts
 *
 * One mm with a 2 MiB mapping at PMD_RACE_OLD (a shared file of 2 MiB,
 * or anonymous memory) whose first page holds PMD_RACE_VAL and is in
 * CPU0's TLB; agents "user" (CPU0), "mremapper" (CPU1) and "truncater"
 * or "unmapper" (CPU2).
 */
int pmd_race_setup(struct world *w, void *arg)
{
	const struct pmd_race_opts *o = arg;
	struct pmd_race *r = arena_alloc(w, sizeof(*r));
	unsigned long a;
	uint64_t v;

	r->o = o;
	r->mmw = mm_world_get(w, RACE_FRAMES, 3);
	if (!r->mmw)
		return -ENOMEM;
	r->mm = mm_alloc(r->mmw);
	if (!r->mm)
		return -ENOMEM;
	if (o->truncate) {
		r->file = shmem_file_setup(r->mmw, PMD_SIZE);
		a = vm_mmap(r->mm, r->file, PMD_RACE_OLD, PMD_SIZE,
			    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, 0);
	} else {
		a = vm_mmap(r->mm, NULL, PMD_RACE_OLD, PMD_SIZE,
			    PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
	}
	if (a != PMD_RACE_OLD)
		return -ENOMEM;
	/* a file page's value goes in through the page cache (clean PTE) */
	if (o->truncate && filemap_write_word(r->file, 0, PMD_RACE_VAL) < 0)
		return -EFAULT;
	if (!o->truncate &&
	    cpu_write(mm_cpu(r->mmw, 0), r->mm, a, PMD_RACE_VAL))
		return -EFAULT;
	if (cpu_read(mm_cpu(r->mmw, 0), r->mm, a, &v) || v != PMD_RACE_VAL)
		return -EFAULT;
	w->priv = r;
	if (!agent_create(w, "user", pmd_race_user, r) ||
	    !agent_create(w, "mremapper", pmd_race_mover, r) ||
	    !agent_create(w, o->truncate ? "truncater" : "unmapper",
			  pmd_race_remover, r))
		return -EAGAIN;
	return 0;
}

/* quiescent checks, then exit: nothing may be left allocated */
void pmd_race_check(struct world *w, void *arg)
{
	struct pmd_race *r = w->priv;

	mm_check_quiescent(r->mmw);
	cpu_idle(mm_cpu(r->mmw, 0));
	cpu_idle(mm_cpu(r->mmw, 1));
	cpu_idle(mm_cpu(r->mmw, 2));
	mmput(r->mm);
	if (r->file)
		fput(r->file);
	phys_check_leaks(r->mmw->pm, 0);
}

static const struct pmd_race_opts opts_pmd_truncate = {
	.truncate = true,
	.iters = 1,
};
static const struct pmd_race_opts opts_pmd_munmap = { .iters = 2 };

const struct model model_mremap_pmd_vs_truncate = {
	"mremap-pmd-vs-truncate",
	"CPU0 reads a file page, CPU1 mremaps its whole PTE table, CPU2 truncates (clean; stale-tlb with mremap.pmd_move_rmap_locks=false)",
	pmd_race_setup, pmd_race_check, (void *)&opts_pmd_truncate
};
const struct model model_mremap_pmd_vs_munmap = {
	"mremap-pmd-vs-munmap",
	"CPU0 uses two anonymous pages, CPU1 mremaps their whole PTE table, CPU2 munmaps the old range (clean)",
	pmd_race_setup, pmd_race_check, (void *)&opts_pmd_munmap
};
