// SPDX-License-Identifier: MIT
/*
 * Built-in models of the mirror device racing with the primary MMU.
 *
 *   mirror-vs-munmap            the device reads a page (through its own
 *                               table, faulting through hmm_range_fault)
 *                               while a CPU munmaps it (clean)
 *   mirror-vs-mprotect          the device writes a page while a CPU
 *                               makes it read-only (clean)
 *   mirror-vs-munmap-noretry    mirror.read_retry=false: the device
 *                               installs without mmu_interval_read_retry
 *                               (bug: stale-secondary /
 *                               install-in-invalidation)
 *   mirror-vs-mprotect-noretry  the same against mprotect (bug:
 *                               install-in-invalidation, a writable
 *                               device entry over a read-only PTE)
 *
 * Oracle (DESIGN's concurrency rule, as in mm_models.c): while the
 * operation is in flight either outcome is allowed; once it has returned,
 * a device read of the unmapped page or a device write to the read-only
 * page that still succeeds is reported ("access-after-munmap",
 * "permission"); a read that succeeds returns the value the setup wrote
 * or the device's last write ("value").  The device adds "stale-secondary"
 * (a use of an entry whose frame was freed, or at the end an entry no PTE
 * backs) and the notifier "install-in-invalidation"; the quiescent checks
 * of src/check and mmu_notifier_world_check() run at the end.
 *
 * Locking: the agents use the mm's and the device's locks; the flag
 * `done` is published with WRITE_ONCE.
 */
#include "check/check.h"
#include "core/policy.h"
#include "devices/mirror.h"
#include "mm/tlb.h"
#include "scenario/mirror_models.h"

#define MIRROR_FRAMES 1024
#define MIRROR_ADDR 0x20000000UL
#define MIRROR_VAL 0x5eedUL

struct mirror_race {
	const struct mirror_race_opts *o;
	struct mm_world *mmw;
	struct mm_struct *mm;
	struct dmirror *dev;
	int done;
};

static void mirror_device(void *arg)
{
	struct mirror_race *r = arg;
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

static void mirror_operator(void *arg)
{
	struct mirror_race *r = arg;

	if (r->o->op == MIRROR_RACE_MUNMAP)
		vm_munmap(r->mm, MIRROR_ADDR, PAGE_SIZE);
	else
		do_mprotect_pkey(r->mm, MIRROR_ADDR, PAGE_SIZE, PROT_READ, -1);
	WRITE_ONCE(r->done, 1);
}

int mirror_race_setup(struct world *w, void *arg)
{
	const struct mirror_race_opts *o = arg;
	struct mirror_race *r = arena_alloc(w, sizeof(*r));
	unsigned long a;

	r->o = o;
	if (o->no_read_retry)
		w->policy->v[KNOB_MIRROR_READ_RETRY] = false;
	r->mmw = mm_world_get(w, MIRROR_FRAMES, 2);
	if (!r->mmw)
		return -ENOMEM;
	r->mm = mm_alloc(r->mmw);
	if (!r->mm)
		return -ENOMEM;
	a = vm_mmap(r->mm, NULL, MIRROR_ADDR, PAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
	if (a != MIRROR_ADDR)
		return -ENOMEM;
	if (cpu_write(mm_cpu(r->mmw, 0), r->mm, a, MIRROR_VAL))
		return -EFAULT;
	r->dev = arena_alloc(w, sizeof(*r->dev));
	if (dmirror_init(r->dev, r->mm, MIRROR_ADDR, 1))
		return -ENOMEM;
	w->priv = r;
	if (!agent_create(w, "device", mirror_device, r) ||
	    !agent_create(w,
			  o->op == MIRROR_RACE_MUNMAP ? "munmap" : "mprotect",
			  mirror_operator, r))
		return -EAGAIN;
	return 0;
}

void mirror_race_check(struct world *w, void *arg)
{
	struct mirror_race *r = w->priv;

	dmirror_check_quiescent(r->dev);
	mm_check_quiescent(r->mmw);
	mmu_notifier_world_check(r->mmw->nw);
	dmirror_fini(r->dev);
	cpu_idle(mm_cpu(r->mmw, 0));
	cpu_idle(mm_cpu(r->mmw, 1));
	mmput(r->mm);
	phys_check_leaks(r->mmw->pm, 0);
}

#define MIRROR_ITERS 3

static const struct mirror_race_opts opts_munmap = {
	.op = MIRROR_RACE_MUNMAP,
	.iters = MIRROR_ITERS,
};
static const struct mirror_race_opts opts_mprotect = {
	.op = MIRROR_RACE_MPROTECT,
	.iters = MIRROR_ITERS,
};
static const struct mirror_race_opts opts_munmap_noretry = {
	.op = MIRROR_RACE_MUNMAP,
	.no_read_retry = true,
	.iters = MIRROR_ITERS,
};
static const struct mirror_race_opts opts_mprotect_noretry = {
	.op = MIRROR_RACE_MPROTECT,
	.no_read_retry = true,
	.iters = MIRROR_ITERS,
};

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
