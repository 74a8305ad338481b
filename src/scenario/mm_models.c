// SPDX-License-Identifier: MIT
/*
 * Built-in models of the primary MMU racing with itself.
 *
 *   fault-vs-munmap            CPU0 writes and reads a page while CPU1
 *                              munmaps it (clean)
 *   fault-vs-munmap-noflush    the same, munmap's mmu_gather skips its
 *                              TLB flush (bug: stale-tlb)
 *   fault-vs-mprotect          CPU0 writes while CPU1 makes the page
 *                              read-only (clean)
 *   fault-vs-mprotect-noflush  mprotect skips its flush (bug: a write
 *                              after mprotect returned: permission)
 *   fault-vs-truncate          CPU0 uses a shared file page while CPU1
 *                              truncates the file to 0 (clean: SIGBUS
 *                              once truncate returned)
 *   read-vs-dontneed           CPU0 reads a page while CPU1 and CPU2 both
 *                              MADV_DONTNEED it (clean: zero once either
 *                              returned)
 *   read-vs-dontneed-nonested  tlb_finish_mmu ignores a nested gather
 *                              (bug: the old value read after
 *                              MADV_DONTNEED returned, 2017's race)
 *   write-vs-fork              CPU0 writes a page while CPU1 forks and
 *                              then reads the child's copy (clean: the
 *                              child's snapshot never changes)
 *   write-vs-fork-noflush      fork does not flush the parent's TLBs
 *                              (bug: parent writes leak into the child)
 *   mremap-vs-truncate         CPU0 reads a shared file page it has
 *                              cached, CPU1 moves it with mremap, CPU2
 *                              truncates the file (clean under the
 *                              default policy; with
 *                              mremap.flush_before_ptl_unlock=false, as
 *                              before Linux 4.19, the freed page is
 *                              read through CPU0's stale TLB entry:
 *                              stale-tlb, CVE-2018-18281)
 *   write-vs-clear-refs        CPU0 keeps writing a page while a tracker
 *                              clears soft-dirty (clear_refs "4"), then
 *                              writes once more; clean: a write after
 *                              clear_refs returned shows in pagemap
 *   write-vs-clear-refs-noflush  the same with clear_refs.flush_tlb=false
 *                              (bug: CPU0 writes through its old writable
 *                              TLB entry: missed-dirty)
 *
 * The oracle is DESIGN.md's concurrency rule: while munmap/mprotect is in
 * flight either outcome is allowed; once it has returned, an access that
 * still succeeds is a violation ("access-after-munmap", "permission",
 * "access-after-truncate").  A
 * read that succeeds must return the last value written.  The checker
 * adds "stale-tlb" on any use of a translation to a freed frame, and the
 * quiescent checks at the end (src/check).
 *
 * Locking: the agents use the mm's own locks through the syscalls and
 * CPU accesses; the model's flag `done` is published with WRITE_ONCE.
 */
#include "check/check.h"
#include "fs/proc_fs.h"
#include "mm/mm.h"
#include "mm/tlb.h"
#include "scenario/mm_models.h"

#define RACE_FRAMES 4096
#define RACE_ADDR 0x10000000UL

struct mm_race {
	const struct mm_race_opts *o;
	struct mm_world *mmw;
	struct mm_struct *mm;
	struct file *file; /* MM_RACE_TRUNCATE */
	struct mm_struct *child; /* MM_RACE_FORK */
	unsigned long addr; /* the target page */
	unsigned long naddr; /* the neighbour page, 0 if none */
	int done; /* the second agent's operation has returned */
	int done2; /* MM_RACE_DONTNEED: the third agent's has */
};

#define DONTNEED_OLD 5 /* the value the page holds before DONTNEED */
#define MREMAP_VAL 42 /* the file page's value in MM_RACE_MREMAP */
/* the mremap target: another PMD, so the two PTE locks differ */
#define MREMAP_TARGET (RACE_ADDR + 0x400000UL)

static const char *race_op_name(const struct mm_race *r)
{
	switch (r->o->op) {
	case MM_RACE_MUNMAP:
		return "munmap";
	case MM_RACE_MPROTECT:
		return "mprotect(PROT_READ)";
	case MM_RACE_DONTNEED:
		return "madvise(MADV_DONTNEED)";
	case MM_RACE_FORK:
		return "fork";
	case MM_RACE_MREMAP:
		return "mremap";
	default:
		return "truncate";
	}
}

/* an access succeeded: was the operation already over when it began? */
static void race_check_after(struct mm_race *r, bool after, bool write, int i)
{
	struct world *w = r->mmw->w;

	if (!after)
		return;
	switch (r->o->op) {
	case MM_RACE_MUNMAP:
		report_add(
			w, "access-after-munmap",
			"%s: %s %d of va %#lx succeeded after munmap() had returned\n",
			current->name, write ? "write" : "read", i, r->addr);
		break;
	case MM_RACE_TRUNCATE:
		report_add(
			w, "access-after-truncate",
			"%s: %s %d of va %#lx succeeded after truncate() to 0 had returned\n",
			current->name, write ? "write" : "read", i, r->addr);
		break;
	case MM_RACE_MPROTECT:
		if (write)
			report_add(
				w, "permission",
				"%s: write %d to va %#lx succeeded after mprotect(PROT_READ) had returned\n",
				current->name, i, r->addr);
		break;
	case MM_RACE_DONTNEED:
	case MM_RACE_FORK:
	case MM_RACE_MREMAP:
		break; /* their own oracles: race_reader(), race_forker(),
			* mremap_reader() */
	}
}

/* the neighbour page is never touched by the operation: it must work */
static void race_touch_neighbor(struct mm_race *r, struct cpu *cpu, int i)
{
	uint64_t v;
	int ret;

	ret = cpu_write(cpu, r->mm, r->naddr, i);
	if (!ret)
		ret = cpu_read(cpu, r->mm, r->naddr, &v);
	if (ret)
		report_add(
			r->mmw->w, "value",
			"%s: access %d to the neighbour page %#lx failed with %d\n",
			current->name, i, r->naddr, ret);
	else if (v != (uint64_t)i)
		report_add(
			r->mmw->w, "value",
			"%s: read %llu from the neighbour page %#lx, wrote %d\n",
			current->name, (unsigned long long)v, r->naddr, i);
}

/* CPU0: write i, read it back, iters times (and the neighbour's) */
static void race_toucher(void *arg)
{
	struct mm_race *r = arg;
	struct cpu *cpu = mm_cpu(r->mmw, 0);
	uint64_t last = 0, v;
	bool after;
	int i;

	for (i = 1; i <= r->o->iters; i++) {
		after = READ_ONCE(r->done);
		if (!cpu_write(cpu, r->mm, r->addr, i)) {
			last = i;
			race_check_after(r, after, true, i);
		}
		if (r->naddr)
			race_touch_neighbor(r, cpu, i);
		after = READ_ONCE(r->done);
		if (cpu_read(cpu, r->mm, r->addr, &v))
			continue;
		race_check_after(r, after, false, i);
		if (v != last)
			report_add(
				r->mmw->w, "value",
				"%s: read %llu from va %#lx, last write was %llu\n",
				current->name, (unsigned long long)v, r->addr,
				(unsigned long long)last);
	}
}

/*
 * CPU0, MM_RACE_DONTNEED: read only.  The old value may be seen while no
 * MADV_DONTNEED has returned; once one has, the page reads zero.
 */
static void race_reader(void *arg)
{
	struct mm_race *r = arg;
	struct cpu *cpu = mm_cpu(r->mmw, 0);
	uint64_t v;
	bool after;
	int i;

	for (i = 1; i <= r->o->iters; i++) {
		after = READ_ONCE(r->done) || READ_ONCE(r->done2);
		if (cpu_read(cpu, r->mm, r->addr, &v)) {
			report_add(r->mmw->w, "value",
				   "%s: read %d of va %#lx faulted\n",
				   current->name, i, r->addr);
			continue;
		}
		if (v == 0 || (v == DONTNEED_OLD && !after))
			continue;
		report_add(r->mmw->w, "value",
			   "%s: read %d of va %#lx returned %llu%s\n",
			   current->name, i, r->addr, (unsigned long long)v,
			   after ? " after MADV_DONTNEED had returned" : "");
	}
}

/* CPU2, MM_RACE_DONTNEED: the second MADV_DONTNEED */
static void race_dontneed2(void *arg)
{
	struct mm_race *r = arg;
	int ret = do_madvise(r->mm, r->addr, PAGE_SIZE, MADV_DONTNEED);

	if (ret)
		report_add(r->mmw->w, "syscall-failed",
			   "madvise(MADV_DONTNEED) returned %d\n", ret);
	WRITE_ONCE(r->done2, 1);
}

/*
 * CPU1, MM_RACE_FORK: fork, then read the child's copy a few times.  The
 * child is a snapshot taken while fork ran: once fork has returned, the
 * parent's writes must never show through.
 */
static void race_forker(void *arg)
{
	struct mm_race *r = arg;
	struct cpu *cpu = mm_cpu(r->mmw, 1);
	uint64_t first, v;
	int i;

	r->child = dup_mm(r->mm);
	if (!r->child) {
		report_add(r->mmw->w, "syscall-failed", "fork failed\n");
		return;
	}
	WRITE_ONCE(r->done, 1);
	if (cpu_read(cpu, r->child, r->addr, &first))
		report_add(r->mmw->w, "value", "the child's read faulted\n");
	for (i = 0; i < r->o->iters; i++) {
		if (cpu_read(cpu, r->child, r->addr, &v) || v != first)
			report_add(
				r->mmw->w, "cow-leak",
				"%s: the child's copy of va %#lx changed from %llu to %llu after fork() returned\n",
				current->name, r->addr,
				(unsigned long long)first,
				(unsigned long long)v);
	}
	cpu_idle(cpu);
}

/*
 * CPU0, MM_RACE_MREMAP: read the old address.  Until mremap returns the
 * page may be seen there (MREMAP_VAL) or the read may fault; once mremap
 * or truncate has returned, no read may succeed.  The checker reports
 * stale-tlb if the read goes through a translation of a freed page.
 */
static void mremap_reader(void *arg)
{
	struct mm_race *r = arg;
	struct cpu *cpu = mm_cpu(r->mmw, 0);
	bool moved, truncated;
	uint64_t v;
	int i;

	for (i = 1; i <= r->o->iters; i++) {
		moved = READ_ONCE(r->done);
		truncated = READ_ONCE(r->done2);
		if (cpu_read(cpu, r->mm, r->addr, &v))
			continue;
		if (moved || truncated)
			report_add(
				r->mmw->w,
				truncated ? "access-after-truncate" :
					    "access-after-mremap",
				"%s: read %d of va %#lx succeeded after %s() had returned\n",
				current->name, i, r->addr,
				truncated ? "truncate" : "mremap");
		else if (v != MREMAP_VAL)
			report_add(
				r->mmw->w, "value",
				"%s: read %llu from va %#lx, the file holds %d\n",
				current->name, (unsigned long long)v, r->addr,
				MREMAP_VAL);
	}
}

/* CPU1, MM_RACE_MREMAP: move the page to MREMAP_TARGET */
static void mremap_mover(void *arg)
{
	struct mm_race *r = arg;
	unsigned long ret;

	ret = do_mremap(r->mm, r->addr, PAGE_SIZE, PAGE_SIZE,
			MREMAP_MAYMOVE | MREMAP_FIXED, MREMAP_TARGET);
	if (ret != MREMAP_TARGET)
		report_add(r->mmw->w, "syscall-failed", "mremap returned %ld\n",
			   (long)ret);
	WRITE_ONCE(r->done, 1);
}

/* CPU2, MM_RACE_MREMAP: truncate the file to 0 */
static void mremap_truncater(void *arg)
{
	struct mm_race *r = arg;
	int ret = vfs_truncate(r->file, 0);

	if (ret)
		report_add(r->mmw->w, "syscall-failed",
			   "truncate returned %d\n", ret);
	WRITE_ONCE(r->done2, 1);
}

/* CPU1: touch the page (so CPU1 caches it too), then the operation */
static void race_operator(void *arg)
{
	struct mm_race *r = arg;
	struct cpu *cpu = mm_cpu(r->mmw, 1);
	uint64_t v;
	int ret;

	/* truncate and DONTNEED run on CPUs that never use the mapping */
	if (r->o->op == MM_RACE_MUNMAP || r->o->op == MM_RACE_MPROTECT)
		cpu_read(cpu, r->mm, r->addr, &v);
	if (r->o->op == MM_RACE_MUNMAP)
		ret = vm_munmap(r->mm, r->addr, PAGE_SIZE);
	else if (r->o->op == MM_RACE_MPROTECT)
		ret = do_mprotect_pkey(r->mm, r->addr, PAGE_SIZE, PROT_READ,
				       -1);
	else if (r->o->op == MM_RACE_DONTNEED)
		ret = do_madvise(r->mm, r->addr, PAGE_SIZE, MADV_DONTNEED);
	else
		ret = vfs_truncate(r->file, 0);
	if (ret)
		report_add(r->mmw->w, "syscall-failed", "%s returned %d\n",
			   race_op_name(r), ret);
	WRITE_ONCE(r->done, 1);
}

static const char *const race_agent_names[] = {
	[MM_RACE_MUNMAP] = "unmapper",	  [MM_RACE_MPROTECT] = "protector",
	[MM_RACE_TRUNCATE] = "truncater", [MM_RACE_DONTNEED] = "dontneed-a",
	[MM_RACE_FORK] = "forker",	  [MM_RACE_MREMAP] = "mremapper",
};

/**
 * mm_race_setup - one execution of a fault-vs-X model
 * @w: the world
 * @arg: a struct mm_race_opts
 *
 * One mm with one anonymous page at RACE_ADDR (and its neighbour in a
 * VMA of its own), faulted in and cached by CPU0 unless @cold; agent
 * "toucher" on CPU0, agent "unmapper", "protector" or "truncater" on
 * CPU1.  MM_RACE_DONTNEED: the page holds DONTNEED_OLD and is cached by
 * CPU0, whose agent "reader" only reads, while "dontneed-a" and
 * "dontneed-b" drop it.
 */
int mm_race_setup(struct world *w, void *arg)
{
	const struct mm_race_opts *o = arg;
	struct mm_race *r = arena_alloc(w, sizeof(*r));
	unsigned long a;

	r->o = o;
	r->mmw = mm_world_get(w, RACE_FRAMES, 3);
	if (!r->mmw)
		return -ENOMEM;
	r->mmw->inject.munmap_skip_flush = o->op == MM_RACE_MUNMAP &&
					   o->inject_no_flush;
	r->mmw->inject.mprotect_skip_flush = o->op == MM_RACE_MPROTECT &&
					     o->inject_no_flush;
	r->mmw->inject.truncate_single_unmap = o->op == MM_RACE_TRUNCATE &&
					       o->inject_no_flush;
	r->mmw->inject.tlb_no_nested_flush = o->op == MM_RACE_DONTNEED &&
					     o->inject_no_flush;
	r->mmw->inject.fork_skip_flush = o->op == MM_RACE_FORK &&
					 o->inject_no_flush;
	r->mm = mm_alloc(r->mmw);
	if (!r->mm)
		return -ENOMEM;
	if (o->op == MM_RACE_TRUNCATE || o->op == MM_RACE_MREMAP) {
		r->file = shmem_file_setup(r->mmw, PAGE_SIZE);
		a = vm_mmap(r->mm, r->file, RACE_ADDR, PAGE_SIZE,
			    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, 0);
	} else {
		a = vm_mmap(r->mm, NULL, RACE_ADDR, PAGE_SIZE,
			    PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
	}
	if (a != RACE_ADDR)
		return -ENOMEM;
	r->addr = a;
	if (o->neighbor) {
		/* PROT_EXEC keeps it from merging with the target */
		r->naddr = vm_mmap(r->mm, NULL, a + PAGE_SIZE, PAGE_SIZE,
				   PROT_READ | PROT_WRITE | PROT_EXEC,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
		if (r->naddr != a + PAGE_SIZE)
			return -ENOMEM;
	}
	if (o->op == MM_RACE_MREMAP) {
		uint64_t v;

		/* the value goes in through the page cache: the PTE stays
		 * clean, as after a read fault, and CPU0 caches it */
		if (filemap_write_word(r->file, 0, MREMAP_VAL) < 0 ||
		    cpu_read(mm_cpu(r->mmw, 0), r->mm, a, &v) ||
		    v != MREMAP_VAL)
			return -EFAULT;
		w->priv = r;
		if (!agent_create(w, "reader", mremap_reader, r) ||
		    !agent_create(w, "mremapper", mremap_mover, r) ||
		    !agent_create(w, "truncater", mremap_truncater, r))
			return -EAGAIN;
		return 0;
	}
	if (!o->cold && cpu_write(mm_cpu(r->mmw, 0), r->mm, a,
				  o->op == MM_RACE_DONTNEED ? DONTNEED_OLD : 0))
		return -EFAULT;
	w->priv = r;
	if (o->op == MM_RACE_DONTNEED) {
		if (!agent_create(w, "reader", race_reader, r) ||
		    !agent_create(w, "dontneed-a", race_operator, r) ||
		    !agent_create(w, "dontneed-b", race_dontneed2, r))
			return -EAGAIN;
		return 0;
	}
	if (!agent_create(w, "toucher", race_toucher, r) ||
	    !agent_create(w, race_agent_names[o->op],
			  o->op == MM_RACE_FORK ? race_forker : race_operator,
			  r))
		return -EAGAIN;
	return 0;
}

/* quiescent checks, then exit: nothing may be left allocated */
void mm_race_check(struct world *w, void *arg)
{
	struct mm_race *r = w->priv;

	if (!r->o->no_quiescent)
		mm_check_quiescent(r->mmw);
	cpu_idle(mm_cpu(r->mmw, 0));
	cpu_idle(mm_cpu(r->mmw, 1));
	cpu_idle(mm_cpu(r->mmw, 2));
	mmput(r->mm);
	if (r->child)
		mmput(r->child);
	if (r->file)
		fput(r->file);
	phys_check_leaks(r->mmw->pm, 0);
}

#define BUILTIN_ITERS 4

static const struct mm_race_opts opts_munmap = {
	.op = MM_RACE_MUNMAP,
	.iters = BUILTIN_ITERS,
	.neighbor = true,
	.cold = true,
};
static const struct mm_race_opts opts_munmap_noflush = {
	.op = MM_RACE_MUNMAP,
	.inject_no_flush = true,
	.iters = BUILTIN_ITERS,
	.neighbor = true,
};
static const struct mm_race_opts opts_mprotect = {
	.op = MM_RACE_MPROTECT,
	.iters = BUILTIN_ITERS,
	.neighbor = true,
	.cold = true,
};
static const struct mm_race_opts opts_mprotect_noflush = {
	.op = MM_RACE_MPROTECT,
	.inject_no_flush = true,
	.iters = BUILTIN_ITERS,
};

static const struct mm_race_opts opts_truncate = {
	.op = MM_RACE_TRUNCATE,
	.iters = BUILTIN_ITERS,
	.neighbor = true,
	.cold = true,
};

static const struct mm_race_opts opts_dontneed = {
	.op = MM_RACE_DONTNEED,
	.iters = BUILTIN_ITERS,
};
static const struct mm_race_opts opts_dontneed_nonested = {
	.op = MM_RACE_DONTNEED,
	.inject_no_flush = true,
	.iters = BUILTIN_ITERS,
};

static const struct mm_race_opts opts_fork = {
	.op = MM_RACE_FORK,
	.iters = BUILTIN_ITERS,
};
static const struct mm_race_opts opts_fork_noflush = {
	.op = MM_RACE_FORK,
	.inject_no_flush = true,
	.iters = BUILTIN_ITERS,
};

static const struct mm_race_opts opts_mremap = {
	.op = MM_RACE_MREMAP,
	.iters = 2,
};

const struct model model_mremap_vs_truncate = {
	"mremap-vs-truncate",
	"CPU0 reads a file page, CPU1 mremaps it, CPU2 truncates (clean; stale-tlb with mremap.flush_before_ptl_unlock=false)",
	mm_race_setup, mm_race_check, (void *)&opts_mremap
};

const struct model model_fault_vs_munmap = {
	"fault-vs-munmap", "CPU0 uses a page while CPU1 munmaps it (clean)",
	mm_race_setup, mm_race_check, (void *)&opts_munmap
};
const struct model model_fault_vs_munmap_noflush = {
	"fault-vs-munmap-noflush",
	"munmap frees the page without a TLB flush (bug: stale-tlb)",
	mm_race_setup, mm_race_check, (void *)&opts_munmap_noflush
};
const struct model model_fault_vs_mprotect = {
	"fault-vs-mprotect",
	"CPU0 writes a page while CPU1 makes it read-only (clean)",
	mm_race_setup, mm_race_check, (void *)&opts_mprotect
};
const struct model model_fault_vs_mprotect_noflush = {
	"fault-vs-mprotect-noflush",
	"mprotect skips its TLB flush (bug: permission)", mm_race_setup,
	mm_race_check, (void *)&opts_mprotect_noflush
};
const struct model model_fault_vs_truncate = {
	"fault-vs-truncate",
	"CPU0 uses a shared file page while CPU1 truncates the file (clean)",
	mm_race_setup, mm_race_check, (void *)&opts_truncate
};
const struct model model_read_vs_dontneed = {
	"read-vs-dontneed",
	"CPU0 reads a page while CPU1 and CPU2 MADV_DONTNEED it (clean)",
	mm_race_setup, mm_race_check, (void *)&opts_dontneed
};
const struct model model_read_vs_dontneed_nonested = {
	"read-vs-dontneed-nonested",
	"tlb_finish_mmu ignores a nested gather (bug: old value after DONTNEED)",
	mm_race_setup, mm_race_check, (void *)&opts_dontneed_nonested
};
const struct model model_write_vs_fork = {
	"write-vs-fork",
	"CPU0 writes a page while CPU1 forks and reads the child (clean)",
	mm_race_setup, mm_race_check, (void *)&opts_fork
};
const struct model model_write_vs_fork_noflush = {
	"write-vs-fork-noflush",
	"fork skips the parent's TLB flush (bug: cow-leak)", mm_race_setup,
	mm_race_check, (void *)&opts_fork_noflush
};

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
