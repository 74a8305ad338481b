// SPDX-License-Identifier: MIT
/*
 * Test harness: the fault-vs-X races of the primary MMU in C, with knobs
 * the unit tests sweep (iterations, a cold start, a neighbouring VMA that
 * shares the page tables, the quiescent checks off, a fault injection).
 * The races themselves are shipped scenarios (scenarios/models/
 * fault-vs-munmap.yaml and the rest; mremap-vs-truncate is
 * scenarios/bugs/mremap-truncate-cve-2018-18281.yaml); this harness runs
 * the same programs under parameters a scenario file fixes, for
 * test_mm_explore.c and test_oracle.c only.  It models no kernel part.
 *
 * The oracle is DESIGN.md's concurrency rule: while munmap/mprotect is in
 * flight either outcome is allowed; once it has returned, an access that
 * still succeeds is a violation ("access-after-munmap", "permission",
 * "access-after-truncate").  A read that succeeds must return the last
 * value written.  The checker adds "stale-tlb" on any use of a
 * translation to a freed frame, and the quiescent checks at the end.
 *
 * Locking: the agents use the mm's own locks through the syscalls and
 * CPU accesses; the harness's flag `done` is published with WRITE_ONCE.
 */
#include "check/check.h"
#include "fs/proc_fs.h"
#include "mm/mm.h"
#include "mm/tlb.h"
#include "mm_race.h"

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
