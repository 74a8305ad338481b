// SPDX-License-Identifier: MIT
/*
 * Built-in models of the mirror device racing with the primary MMU: one
 * device agent reads and writes a page through its own page table
 * (dmirror_read / dmirror_write, faulting through hmm_range_fault) while
 * another agent runs one primary MMU operation on that page.
 *
 *   mirror-vs-munmap     the device reads; the process munmaps the page
 *   mirror-vs-mprotect   the device writes; the process makes it
 *                        read-only
 *   mirror-vs-mremap     the device writes and reads the page; the
 *                        process moves it two pages up (MREMAP_FIXED);
 *                        once moved the device reads the new address
 *   mirror-vs-dontneed   ... MADV_DONTNEED (the page may read back as 0)
 *   mirror-vs-fork       the device writes word 1 and reads both words;
 *                        the process forks, then its CPU writes word 0
 *                        (COW break while the device holds an entry); the
 *                        child's copy must not see the device's later
 *                        writes, the device must see the parent's copy
 *   mirror-vs-truncate   a MAP_SHARED shmem page truncated away
 *   mirror-vs-migrate    a migrator moves the page twice
 *   mirror-vs-ksm        ksmd merges the page with an identical one twice;
 *                        the device's last write (another value) must not
 *                        show through the other page
 *   mirror-vs-reclaim    kswapd reclaims the page (try_to_unmap_one with
 *                        a batched flush, swap out)
 *   mirror-vs-exit       the process's last mmput (exit_mmap)
 *
 * Each is clean under the default policy (= linux-6.6); each but exit
 * has a "-noretry" twin that sets mirror.read_retry=false (the driver
 * installs without mmu_interval_read_retry) and is a bug: stale-secondary,
 * install-in-invalidation, permission, value.  Exit has none: the
 * device's fault holds mm_users (mmget_not_zero), so exit_mmap cannot
 * begin while an entry is being built, and once it has begun no fault
 * starts; read_retry plays no part there.
 *
 * Oracle (DESIGN's concurrency rule, as in mm_models.c), with `started`
 * set by the operation's agent before it begins and `done` after it
 * returned:
 *  - an access that fails although `started` was still clear when it
 *    returned is a violation ("value"); operations that keep the page
 *    (fork, migration, KSM, reclaim, DONTNEED) never make it fail;
 *  - once `done` was seen, an access that still succeeds on an address
 *    the operation took away (munmap, mremap's old address, truncate,
 *    exit) or a write to a page made read-only is a violation
 *    ("access-after-munmap", "permission");
 *  - a read returns the device's last write (or the setup's value), or 0
 *    for DONTNEED when that write did not start after `done`;
 *  - at the end: the value through the CPU (at the new address for
 *    mremap; the child's copy for fork lies between the last device
 *    write finished before fork started and the first one started after
 *    fork returned; KSM's other page still holds its value).
 * The device adds "stale-secondary" (an access through an entry whose
 * frame was freed, or at the end an entry no PTE backs) and the notifier
 * "install-in-invalidation"; the quiescent checks of src/check and
 * mmu_notifier_world_check() run at the end.
 *
 * Not yet scenarios: the mirror ops (mirror_read, mirror_write,
 * mirror_fault) can express these programs, but converting the ten races
 * and moving their tests was not done in this round.  As for
 * reclaim-vs-X, the -noretry twins would become
 * `--set mirror.read_retry=false` on one file, not second copies.
 *
 * Locking: the agents use the mm's and the device's locks; `started` and
 * `done` are published with WRITE_ONCE.
 */
#include "check/check.h"
#include "core/policy.h"
#include "devices/mirror.h"
#include "mm/mmu_gather.h"
#include "mm/tlb.h"
#include "scenario/mirror_models.h"
#include "scenario/scenario.h"

#define MIRROR_FRAMES 1024
#define MIRROR_ADDR 0x20000000UL
#define MIRROR_PAGES 4
#define MIRROR_VAL 0x5eedUL
#define MIRROR_COW_VAL 0xc0aUL /* the parent's CPU write after fork */
#define MIRROR_KSM_VAL 42UL
#define MIRROR_ITERS 3 /* munmap / mprotect: one access per iteration */
#define MIRROR_RW_ITERS 2 /* the others: a write and reads per iteration */

struct mirror_race {
	const struct mirror_race_opts *o;
	struct mm_world *mmw;
	struct mm_struct *mm;
	struct mm_struct *child; /* fork */
	struct file *file; /* truncate */
	struct dmirror *dev;
	int started, done;
	bool exited; /* exit: the process dropped its mm */
	/* the device's view, for the final checks */
	uint64_t last; /* the last value the device wrote (or setup's) */
	bool last_after; /* that write started after `done` was seen */
	uint64_t child_lo, child_hi; /* fork: the child's allowed window */
	struct tlbflush_unmap_batch tlb_ubc; /* kswapd's batch */
};

static const char *const op_names[MIRROR_RACE_NR] = {
	[MIRROR_RACE_MUNMAP] = "munmap",
	[MIRROR_RACE_MPROTECT] = "mprotect",
	[MIRROR_RACE_MREMAP] = "mremap",
	[MIRROR_RACE_DONTNEED] = "madvise(MADV_DONTNEED)",
	[MIRROR_RACE_FORK] = "fork",
	[MIRROR_RACE_TRUNCATE] = "truncate",
	[MIRROR_RACE_MIGRATE] = "migration",
	[MIRROR_RACE_KSM] = "KSM merge",
	[MIRROR_RACE_RECLAIM] = "reclaim",
	[MIRROR_RACE_EXIT] = "exit",
};

/* the operation takes the device's address away */
static bool op_revokes(enum mirror_race_op op)
{
	return op == MIRROR_RACE_MUNMAP || op == MIRROR_RACE_MREMAP ||
	       op == MIRROR_RACE_TRUNCATE || op == MIRROR_RACE_EXIT;
}

/* where the device writes (fork: word 1, so word 0 shows the COW break) */
static unsigned long dev_va(struct mirror_race *r)
{
	return MIRROR_ADDR + (r->o->op == MIRROR_RACE_FORK ? 8 : 0);
}

/* munmap: the device only reads; mprotect: it only writes */
static void mirror_device_one_way(struct mirror_race *r)
{
	struct world *w = r->mmw->w;
	uint64_t last = MIRROR_VAL, v;
	bool after;
	int i, ret;

	for (i = 1; i <= r->o->iters; i++) {
		after = READ_ONCE(r->done);
		if (r->o->op == MIRROR_RACE_MPROTECT) {
			ret = dmirror_write(r->dev, MIRROR_ADDR,
					    MIRROR_VAL + i);
			if (!ret) {
				last = MIRROR_VAL + i;
				if (after)
					report_add(
						w, "permission",
						"%s: device write %d to va %#lx succeeded after mprotect(PROT_READ) had returned\n",
						current->name, i, MIRROR_ADDR);
			} else if (ret != -EPERM) {
				report_add(
					w, "value",
					"%s: device write %d failed with %d\n",
					current->name, i, ret);
			}
			continue;
		}
		ret = dmirror_read(r->dev, MIRROR_ADDR, &v);
		if (ret) {
			if (ret != -EFAULT)
				report_add(
					w, "value",
					"%s: device read %d failed with %d\n",
					current->name, i, ret);
			continue;
		}
		if (after)
			report_add(
				w, "access-after-munmap",
				"%s: device read %d of va %#lx succeeded after munmap() had returned\n",
				current->name, i, MIRROR_ADDR);
		if (v != last)
			report_add(
				w, "value",
				"%s: device read %d returned %#llx, expected %#llx\n",
				current->name, i, (unsigned long long)v,
				(unsigned long long)last);
	}
}

/*
 * The oracle for one device access that returned @ret; @after: `done`
 * was seen before it started.  Returns true if it succeeded.
 */
static bool mirror_check_access(struct mirror_race *r, const char *what,
				unsigned long va, int i, bool after, int ret)
{
	struct world *w = r->mmw->w;
	const char *op = op_names[r->o->op];

	if (ret) {
		/* only an operation that took the address away may fail it */
		if (!op_revokes(r->o->op) || ret != -EFAULT ||
		    !READ_ONCE(r->started))
			report_add(
				w, "value",
				"%s: device %s %d of va %#lx failed with %d (%s %s)\n",
				current->name, what, i, va, ret, op,
				READ_ONCE(r->started) ? "running or done" :
							"not started yet");
		return false;
	}
	if (after && op_revokes(r->o->op))
		report_add(
			w, "access-after-munmap",
			"%s: device %s %d of va %#lx succeeded after %s had returned\n",
			current->name, what, i, va, op);
	return true;
}

/* the other ops: write VAL + i (KSM: the same value but the last time) */
static void mirror_device_rw(struct mirror_race *r)
{
	struct world *w = r->mmw->w;
	enum mirror_race_op op = r->o->op;
	unsigned long va = dev_va(r);
	uint64_t val, v, seen0 = MIRROR_VAL;
	bool after, ok;
	int i, ret;

	for (i = 1; i <= r->o->iters; i++) {
		if (op == MIRROR_RACE_KSM)
			val = i < r->o->iters ? MIRROR_KSM_VAL : MIRROR_VAL + i;
		else
			val = MIRROR_VAL + i;
		after = READ_ONCE(r->done);
		ret = dmirror_write(r->dev, va, val);
		if (mirror_check_access(r, "write", va, i, after, ret)) {
			r->last = val;
			r->last_after = after;
			/* fork: finished before fork started: the child has it */
			if (op == MIRROR_RACE_FORK && !READ_ONCE(r->started))
				r->child_lo = val;
		}
		if (op == MIRROR_RACE_FORK && after && r->child_hi > val)
			r->child_hi = val;

		after = READ_ONCE(r->done);
		ret = dmirror_read(r->dev, va, &v);
		ok = mirror_check_access(r, "read", va, i, after, ret);
		if (ok && v != r->last &&
		    !(op == MIRROR_RACE_DONTNEED && v == 0 && !r->last_after))
			report_add(
				w, "value",
				"%s: device read %d of va %#lx returned %#llx, the device last wrote %#llx\n",
				current->name, i, va, (unsigned long long)v,
				(unsigned long long)r->last);
		if (ok && op == MIRROR_RACE_DONTNEED && v == 0)
			r->last = 0;

		if (op == MIRROR_RACE_FORK) {
			/* word 0: the parent's copy, never the child's again */
			after = READ_ONCE(r->done);
			ret = dmirror_read(r->dev, MIRROR_ADDR, &v);
			if (!mirror_check_access(r, "read", MIRROR_ADDR, i,
						 after, ret))
				continue;
			if ((v != MIRROR_VAL && v != MIRROR_COW_VAL) ||
			    (seen0 == MIRROR_COW_VAL && v != MIRROR_COW_VAL))
				report_add(
					w, "value",
					"%s: device read %d of va %#lx returned %#llx after %#llx (the parent's COW copy holds %#lx once written)\n",
					current->name, i, MIRROR_ADDR,
					(unsigned long long)v,
					(unsigned long long)seen0,
					MIRROR_COW_VAL);
			seen0 = v;
		}
		if (op == MIRROR_RACE_MREMAP && after) {
			/* the page now lives two pages up, with its value */
			unsigned long nva = MIRROR_ADDR + 2 * PAGE_SIZE;

			ret = dmirror_read(r->dev, nva, &v);
			if (ret || v != r->last)
				report_add(
					w, "value",
					"%s: device read of the moved page at va %#lx: %d, %#llx, the device last wrote %#llx\n",
					current->name, nva, ret,
					(unsigned long long)v,
					(unsigned long long)r->last);
		}
	}
}

static void mirror_device(void *arg)
{
	struct mirror_race *r = arg;

	if (r->o->op == MIRROR_RACE_MUNMAP || r->o->op == MIRROR_RACE_MPROTECT)
		mirror_device_one_way(r);
	else
		mirror_device_rw(r);
}

static int mirror_do_op(struct mirror_race *r)
{
	struct scan_control sc = {
		.nr_to_reclaim = 1,
		.ignore_references = true,
		.tlb_ubc = &r->tlb_ubc,
	};
	struct folio *folio;
	unsigned long a;
	int i, ret = 0;

	switch (r->o->op) {
	case MIRROR_RACE_MUNMAP:
		return vm_munmap(r->mm, MIRROR_ADDR, PAGE_SIZE);
	case MIRROR_RACE_MPROTECT:
		return do_mprotect_pkey(r->mm, MIRROR_ADDR, PAGE_SIZE,
					PROT_READ, -1);
	case MIRROR_RACE_MREMAP:
		a = do_mremap(r->mm, MIRROR_ADDR, PAGE_SIZE, PAGE_SIZE,
			      MREMAP_MAYMOVE | MREMAP_FIXED,
			      MIRROR_ADDR + 2 * PAGE_SIZE);
		return IS_ERR_VALUE(a) ? (int)a : 0;
	case MIRROR_RACE_DONTNEED:
		return do_madvise(r->mm, MIRROR_ADDR, PAGE_SIZE, MADV_DONTNEED);
	case MIRROR_RACE_FORK:
		r->child = dup_mm(r->mm);
		if (!r->child)
			return -ENOMEM;
		return cpu_write(mm_cpu(r->mmw, 0), r->mm, MIRROR_ADDR,
				 MIRROR_COW_VAL);
	case MIRROR_RACE_TRUNCATE:
		return vfs_truncate(r->file, PAGE_SIZE);
	case MIRROR_RACE_MIGRATE:
		/* -EAGAIN (busy) is allowed: the next round tries again */
		for (i = 0; i < 2; i++) {
			folio = sc_follow_folio(r->mm, MIRROR_ADDR);
			if (!folio)
				continue;
			migrate_folio_one(r->mmw, folio);
			folio_put(folio);
		}
		return 0;
	case MIRROR_RACE_KSM:
		for (i = 0; i < 2; i++)
			ksm_merge_pair(r->mm, MIRROR_ADDR,
				       MIRROR_ADDR + PAGE_SIZE);
		return 0;
	case MIRROR_RACE_RECLAIM:
		kswapd_shrink(r->mmw, &sc);
		return 0;
	case MIRROR_RACE_EXIT:
		r->exited = true;
		mmput(r->mm);
		return 0;
	default:
		return -EINVAL;
	}
	return ret;
}

static void mirror_operator(void *arg)
{
	struct mirror_race *r = arg;
	int ret;

	WRITE_ONCE(r->started, 1);
	ret = mirror_do_op(r);
	if (ret)
		report_add(r->mmw->w, "syscall-failed", "%s: %s returned %d\n",
			   current->name, op_names[r->o->op], ret);
	WRITE_ONCE(r->done, 1);
}

/* the mapping the device mirrors; 0 or -errno */
static int mirror_race_map(struct mirror_race *r)
{
	struct cpu *c0 = mm_cpu(r->mmw, 0);
	unsigned long a, len = PAGE_SIZE;

	if (r->o->op == MIRROR_RACE_TRUNCATE) {
		r->file = shmem_file_setup(r->mmw, 2 * PAGE_SIZE);
		if (!r->file)
			return -ENOMEM;
		/* the device works on the second page, the one cut off */
		a = vm_mmap(r->mm, r->file, MIRROR_ADDR - PAGE_SIZE,
			    2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_FIXED, 0);
		if (a != MIRROR_ADDR - PAGE_SIZE)
			return -ENOMEM;
		return cpu_write(c0, r->mm, MIRROR_ADDR, MIRROR_VAL);
	}
	if (r->o->op == MIRROR_RACE_KSM)
		len = 2 * PAGE_SIZE;
	a = vm_mmap(r->mm, NULL, MIRROR_ADDR, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
	if (a != MIRROR_ADDR)
		return -ENOMEM;
	if (r->o->op == MIRROR_RACE_KSM)
		return do_madvise(r->mm, a, len, MADV_MERGEABLE)       ?:
			       cpu_write(c0, r->mm, a, MIRROR_KSM_VAL) ?:
			       cpu_write(c0, r->mm, a + PAGE_SIZE,
					 MIRROR_KSM_VAL);
	return cpu_write(c0, r->mm, a, MIRROR_VAL);
}

/**
 * mirror_race_setup - one execution of a mirror-vs-X model
 * @w: the world
 * @arg: a struct mirror_race_opts
 *
 * One mm with the page at MIRROR_ADDR written by CPU0, a mirror device
 * over MIRROR_PAGES pages from there (its entries empty), agents
 * "device" and the operation's.
 */
int mirror_race_setup(struct world *w, void *arg)
{
	const struct mirror_race_opts *o = arg;
	struct mirror_race *r = arena_alloc(w, sizeof(*r));
	const char *agent;
	int ret;

	r->o = o;
	if (o->no_read_retry)
		w->policy->v[KNOB_MIRROR_READ_RETRY] = false;
	r->mmw = mm_world_get(w, MIRROR_FRAMES, 2);
	if (!r->mmw)
		return -ENOMEM;
	r->mm = mm_alloc(r->mmw);
	if (!r->mm)
		return -ENOMEM;
	ret = mirror_race_map(r);
	if (ret)
		return ret;
	r->last = o->op == MIRROR_RACE_FORK ? 0 :
		  o->op == MIRROR_RACE_KSM  ? MIRROR_KSM_VAL :
					      MIRROR_VAL;
	r->child_hi = UINT64_MAX;
	r->dev = arena_alloc(w, sizeof(*r->dev));
	if (dmirror_init(r->dev, r->mm, MIRROR_ADDR,
			 o->op <= MIRROR_RACE_MPROTECT ? 1 : MIRROR_PAGES))
		return -ENOMEM;
	w->priv = r;
	switch (o->op) {
	case MIRROR_RACE_MIGRATE:
		agent = "migrator";
		break;
	case MIRROR_RACE_KSM:
		agent = "ksmd";
		break;
	case MIRROR_RACE_RECLAIM:
		agent = "kswapd";
		break;
	case MIRROR_RACE_TRUNCATE:
		agent = "truncate";
		break;
	case MIRROR_RACE_DONTNEED:
		agent = "madvise";
		break;
	default:
		agent = op_names[o->op];
	}
	if (!agent_create(w, "device", mirror_device, r) ||
	    !agent_create(w, agent, mirror_operator, r))
		return -EAGAIN;
	return 0;
}

/* the final values through the CPUs (no agent runs) */
static void mirror_check_values(struct mirror_race *r)
{
	struct world *w = r->mmw->w;
	struct cpu *c0 = mm_cpu(r->mmw, 0), *c1 = mm_cpu(r->mmw, 1);
	enum mirror_race_op op = r->o->op;
	unsigned long va = dev_va(r);
	uint64_t v = 0, v0 = 0;
	int ret;

	switch (op) {
	case MIRROR_RACE_MREMAP:
		va = MIRROR_ADDR + 2 * PAGE_SIZE;
		break;
	case MIRROR_RACE_DONTNEED:
	case MIRROR_RACE_MIGRATE:
	case MIRROR_RACE_RECLAIM:
	case MIRROR_RACE_KSM:
	case MIRROR_RACE_FORK:
		break;
	default:
		return;
	}
	ret = cpu_read(c0, r->mm, va, &v);
	if (ret || (v != r->last &&
		    !(op == MIRROR_RACE_DONTNEED && v == 0 && !r->last_after)))
		report_add(
			w, "value",
			"at the end, the CPU reads va %#lx: %d, %#llx; the device last wrote %#llx\n",
			va, ret, (unsigned long long)v,
			(unsigned long long)r->last);
	if (op == MIRROR_RACE_KSM) {
		ret = cpu_read(c0, r->mm, MIRROR_ADDR + PAGE_SIZE, &v);
		if (ret || v != MIRROR_KSM_VAL)
			report_add(
				w, "value",
				"at the end, the page KSM merged with the device's reads %#llx (%d), it only ever held %#lx: a device write showed through\n",
				(unsigned long long)v, ret, MIRROR_KSM_VAL);
	}
	if (op != MIRROR_RACE_FORK || !r->child)
		return;
	ret = cpu_read(c0, r->mm, MIRROR_ADDR, &v0);
	if (ret || v0 != MIRROR_COW_VAL)
		report_add(w, "value",
			   "at the end, the parent's word 0 is %#llx (%d)\n",
			   (unsigned long long)v0, ret);
	ret = cpu_read(c1, r->child, va, &v) ?:
		      cpu_read(c1, r->child, MIRROR_ADDR, &v0);
	if (ret || v < r->child_lo || v >= r->child_hi || v0 != MIRROR_VAL)
		report_add(
			w, "value",
			"at the end, the child's copy holds %#llx and %#llx (%d): word 1 must lie in [%#llx, %#llx) (device writes done before fork started .. started after fork returned), word 0 must be %#lx\n",
			(unsigned long long)v0, (unsigned long long)v, ret,
			(unsigned long long)r->child_lo,
			(unsigned long long)r->child_hi, MIRROR_VAL);
}

void mirror_race_check(struct world *w, void *arg)
{
	struct mirror_race *r = w->priv;

	dmirror_check_quiescent(r->dev);
	mm_check_quiescent(r->mmw);
	mirror_check_values(r);
	mmu_notifier_world_check(r->mmw->nw);
	cpu_idle(mm_cpu(r->mmw, 0));
	cpu_idle(mm_cpu(r->mmw, 1));
	dmirror_fini(r->dev); /* exit: the last mm reference */
	if (r->child)
		mmput(r->child);
	if (!r->exited)
		mmput(r->mm);
	if (r->file)
		fput(r->file);
	if (nr_swap_slots_used(r->mmw))
		report_add(w, "swap-leak", "%lu swap slots left after exit\n",
			   nr_swap_slots_used(r->mmw));
	phys_check_leaks(r->mmw->pm, 0);
}

/* ---- the OOM reaper and notifier.nonblock_fail_ends_itree ---- */

/*
 * mirror-vs-oom-reaper: the mm has the device's interval notifier and a
 * plain subscriber that refuses non-blockable starts (-EAGAIN, no end
 * op: allowed).  The OOM reaper (__oom_reap_task_mm) tries a
 * non-blockable UNMAP start over the VMA twice and gives up; the device
 * reads the page twice.  With notifier.nonblock_fail_ends_itree=false
 * (Linux) the interval part of the failed start is never ended: the
 * device's next mmu_interval_read_begin sleeps for ever ("deadlock"), or,
 * when it has already finished, the open epoch is reported at the end
 * ("notifier-epoch-open").  With true it is clean.
 */
struct mirror_oom {
	struct mm_world *mmw;
	struct mm_struct *mm;
	struct dmirror *dev;
	struct mmu_notifier refuser;
};

static int refuser_start(struct mmu_notifier *mn,
			 const struct mmu_notifier_range *range)
{
	/* a driver that must sleep to invalidate: refuses when it may not */
	return mmu_notifier_range_blockable(range) ? 0 : -EAGAIN;
}

static const struct mmu_notifier_ops refuser_ops = {
	.invalidate_range_start = refuser_start,
};

/* __oom_reap_task_mm, for the one anonymous VMA; up to two tries */
static void mirror_oom_reaper(void *arg)
{
	struct mirror_oom *o = arg;
	struct mmu_notifier_range range;
	struct vm_area_struct *vma;
	struct mmu_gather tlb;
	int tries;

	for (tries = 0; tries < 2; tries++) {
		if (!down_read_trylock(&o->mm->mmap_lock))
			continue;
		vma = vma_lookup(o->mm, MIRROR_ADDR);
		if (!vma) {
			mmap_read_unlock(o->mm);
			return;
		}
		mmu_notifier_range_init(&range, MMU_NOTIFY_UNMAP, 0, o->mm,
					vma->vm_start, vma->vm_end);
		if (mmu_notifier_invalidate_range_start_nonblock(
			    o->mm->notifier_subscriptions, &range)) {
			/* may not call end; try again later */
			mmap_read_unlock(o->mm);
			continue;
		}
		tlb_gather_mmu(&tlb, o->mm);
		unmap_page_range(&tlb, vma, range.start, range.end);
		mmu_notifier_invalidate_range_end(o->mm->notifier_subscriptions,
						  &range);
		tlb_finish_mmu(&tlb);
		mmap_read_unlock(o->mm);
		return;
	}
}

static void mirror_oom_device(void *arg)
{
	struct mirror_oom *o = arg;
	uint64_t v;
	int i, ret;

	for (i = 1; i <= 2; i++) {
		ret = dmirror_read(o->dev, MIRROR_ADDR, &v);
		/* the reaper never zaps: the refuser always refuses */
		if (ret || v != MIRROR_VAL)
			report_add(
				o->mmw->w, "value",
				"%s: device read %d of va %#lx: %d, %#llx, expected %#lx\n",
				current->name, i, MIRROR_ADDR, ret,
				(unsigned long long)v, MIRROR_VAL);
	}
}

static int mirror_oom_setup(struct world *w, void *arg)
{
	struct mirror_oom *o = arena_alloc(w, sizeof(*o));
	unsigned long a;

	(void)arg;
	o->mmw = mm_world_get(w, MIRROR_FRAMES, 2);
	if (!o->mmw)
		return -ENOMEM;
	o->mm = mm_alloc(o->mmw);
	if (!o->mm)
		return -ENOMEM;
	a = vm_mmap(o->mm, NULL, MIRROR_ADDR, PAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
	if (a != MIRROR_ADDR ||
	    cpu_write(mm_cpu(o->mmw, 0), o->mm, a, MIRROR_VAL))
		return -ENOMEM;
	o->dev = arena_alloc(w, sizeof(*o->dev));
	if (dmirror_init(o->dev, o->mm, MIRROR_ADDR, 1))
		return -ENOMEM;
	o->refuser.ops = &refuser_ops;
	if (mmu_notifier_register(&o->refuser, o->mm->notifier_subscriptions))
		return -ENOMEM;
	w->priv = o;
	if (!agent_create(w, "device", mirror_oom_device, o) ||
	    !agent_create(w, "oom_reaper", mirror_oom_reaper, o))
		return -EAGAIN;
	return 0;
}

static void mirror_oom_check(struct world *w, void *arg)
{
	struct mirror_oom *o = w->priv;
	struct mmu_notifier_subscriptions *subs = o->mm->notifier_subscriptions;

	(void)arg;
	dmirror_check_quiescent(o->dev);
	mmu_notifier_world_check(o->mmw->nw);
	mmu_notifier_unregister(&o->refuser, subs);
	/*
	 * An epoch left open (reported above): removing the device's
	 * interval would wait for it for ever, so the teardown stops here.
	 */
	if (subs->active_invalidate_ranges || w->nr_reports)
		return;
	mm_check_quiescent(o->mmw);
	cpu_idle(mm_cpu(o->mmw, 0));
	cpu_idle(mm_cpu(o->mmw, 1));
	dmirror_fini(o->dev);
	mmput(o->mm);
	phys_check_leaks(o->mmw->pm, 0);
}

const struct model model_mirror_vs_oom_reaper = {
	"mirror-vs-oom-reaper",
	"the OOM reaper's non-blockable start fails in a plain subscriber while a mirror device reads (notifier.nonblock_fail_ends_itree=false, Linux: deadlock / notifier-epoch-open; true: clean)",
	mirror_oom_setup, mirror_oom_check, NULL
};

#define OPTS(name, o, it, nr)                                \
	static const struct mirror_race_opts opts_##name = { \
		.op = o,                                     \
		.no_read_retry = nr,                         \
		.iters = it,                                 \
	}

OPTS(munmap, MIRROR_RACE_MUNMAP, MIRROR_ITERS, false);
OPTS(mprotect, MIRROR_RACE_MPROTECT, MIRROR_ITERS, false);
OPTS(munmap_noretry, MIRROR_RACE_MUNMAP, MIRROR_ITERS, true);
OPTS(mprotect_noretry, MIRROR_RACE_MPROTECT, MIRROR_ITERS, true);
OPTS(mremap, MIRROR_RACE_MREMAP, MIRROR_RW_ITERS, false);
OPTS(dontneed, MIRROR_RACE_DONTNEED, MIRROR_RW_ITERS, false);
OPTS(fork, MIRROR_RACE_FORK, MIRROR_RW_ITERS, false);
OPTS(truncate, MIRROR_RACE_TRUNCATE, MIRROR_RW_ITERS, false);
OPTS(migrate, MIRROR_RACE_MIGRATE, MIRROR_RW_ITERS, false);
OPTS(ksm, MIRROR_RACE_KSM, MIRROR_RW_ITERS, false);
OPTS(reclaim, MIRROR_RACE_RECLAIM, MIRROR_RW_ITERS, false);
OPTS(exit, MIRROR_RACE_EXIT, MIRROR_RW_ITERS, false);
OPTS(mremap_noretry, MIRROR_RACE_MREMAP, MIRROR_RW_ITERS, true);
OPTS(dontneed_noretry, MIRROR_RACE_DONTNEED, MIRROR_RW_ITERS, true);
OPTS(fork_noretry, MIRROR_RACE_FORK, MIRROR_RW_ITERS, true);
OPTS(truncate_noretry, MIRROR_RACE_TRUNCATE, MIRROR_RW_ITERS, true);
OPTS(migrate_noretry, MIRROR_RACE_MIGRATE, MIRROR_RW_ITERS, true);
OPTS(ksm_noretry, MIRROR_RACE_KSM, MIRROR_RW_ITERS, true);
OPTS(reclaim_noretry, MIRROR_RACE_RECLAIM, MIRROR_RW_ITERS, true);

#define MIRROR_MODEL(name, desc)                                               \
	const struct model model_mirror_vs_##name = { "mirror-vs-" #name,      \
						      desc, mirror_race_setup, \
						      mirror_race_check,       \
						      (void *)&opts_##name }
#define MIRROR_MODEL_NORETRY(name, what)                             \
	const struct model model_mirror_vs_##name##_noretry = {      \
		"mirror-vs-" #name "-noretry",                       \
		"mirror.read_retry=false against " what              \
		" (bug: stale-secondary / install-in-invalidation)", \
		mirror_race_setup, mirror_race_check,                \
		(void *)&opts_##name##_noretry                       \
	}

const struct model model_mirror_vs_munmap = {
	"mirror-vs-munmap",
	"a mirror device reads a page while a CPU munmaps it (clean)",
	mirror_race_setup, mirror_race_check, (void *)&opts_munmap
};
const struct model model_mirror_vs_mprotect = {
	"mirror-vs-mprotect",
	"a mirror device writes a page while a CPU makes it read-only (clean)",
	mirror_race_setup, mirror_race_check, (void *)&opts_mprotect
};
const struct model model_mirror_vs_munmap_noretry = {
	"mirror-vs-munmap-noretry",
	"mirror.read_retry=false: the device installs without read_retry (bug: stale-secondary)",
	mirror_race_setup, mirror_race_check, (void *)&opts_munmap_noretry
};
const struct model model_mirror_vs_mprotect_noretry = {
	"mirror-vs-mprotect-noretry",
	"mirror.read_retry=false against mprotect (bug: install-in-invalidation)",
	mirror_race_setup, mirror_race_check, (void *)&opts_mprotect_noretry
};
MIRROR_MODEL(
	mremap,
	"a mirror device writes and reads a page while the process mremaps it away (clean)");
MIRROR_MODEL(
	dontneed,
	"a mirror device writes and reads a page while the process MADV_DONTNEEDs it (clean)");
MIRROR_MODEL(
	fork,
	"a mirror device writes and reads a page while the process forks and breaks COW (clean)");
MIRROR_MODEL(
	truncate,
	"a mirror device writes and reads a shared file page while it is truncated away (clean)");
MIRROR_MODEL(
	migrate,
	"a mirror device writes and reads a page while it is migrated twice (clean)");
MIRROR_MODEL(
	ksm,
	"a mirror device writes and reads a page while ksmd merges it with an identical one (clean)");
MIRROR_MODEL(
	reclaim,
	"a mirror device writes and reads a page while kswapd reclaims it (clean)");
MIRROR_MODEL(
	exit,
	"a mirror device writes and reads a page while the process exits (clean)");
MIRROR_MODEL_NORETRY(mremap, "mremap");
MIRROR_MODEL_NORETRY(dontneed, "MADV_DONTNEED");
MIRROR_MODEL_NORETRY(fork, "fork");
MIRROR_MODEL_NORETRY(truncate, "truncate");
MIRROR_MODEL_NORETRY(migrate, "migration");
MIRROR_MODEL_NORETRY(ksm, "a KSM merge");
MIRROR_MODEL_NORETRY(reclaim, "reclaim");

const struct model *const mirror_race_models[] = {
	&model_mirror_vs_munmap,
	&model_mirror_vs_mprotect,
	&model_mirror_vs_mremap,
	&model_mirror_vs_dontneed,
	&model_mirror_vs_fork,
	&model_mirror_vs_truncate,
	&model_mirror_vs_migrate,
	&model_mirror_vs_ksm,
	&model_mirror_vs_reclaim,
	&model_mirror_vs_exit,
	&model_mirror_vs_munmap_noretry,
	&model_mirror_vs_mprotect_noretry,
	&model_mirror_vs_mremap_noretry,
	&model_mirror_vs_dontneed_noretry,
	&model_mirror_vs_fork_noretry,
	&model_mirror_vs_truncate_noretry,
	&model_mirror_vs_migrate_noretry,
	&model_mirror_vs_ksm_noretry,
	&model_mirror_vs_reclaim_noretry,
	NULL,
};
