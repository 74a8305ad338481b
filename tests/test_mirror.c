// SPDX-License-Identifier: MIT
/*
 * The mirror device (src/devices/mirror.c) and the mmu_notifier call
 * sites of the primary MMU.
 *
 * `test_mirror det` (suite unit): hmm-tests-style device tests driven
 * outside agents (anon_read/anon_write: device reads and writes see the
 * process's values; anon_read_prot/anon_write_prot: PROT_NONE gives
 * -EFAULT, a write to read-only memory -EPERM; anon_write_child: after
 * fork the parent's and the child's devices see separate COW copies;
 * munmap, MADV_DONTNEED, mprotect, mremap, migration, reclaim and exit
 * drop the entries they must), anon_teardown (device reads against
 * munmap, explored), the events the call sites use, the
 * notifier.secondary_tlb_flush policy, every mirror-vs-X race model
 * (clean under random, PCT and DFS; the -noretry twins found, with a
 * schedule that replays), and mirror-vs-oom-reaper under both values of
 * notifier.nonblock_fail_ends_itree.
 *
 * `test_mirror real` (suite real): the clean models on threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check/check.h"
#include "core/policy.h"
#include "devices/mirror.h"
#include "engine/engine.h"
#include "mm/mm.h"
#include "mm/tlb.h"
#include "scenario/builtin.h"
#include "scenario/mirror_models.h"
#include "scenario/mm_models.h"

#include "explore_helpers.h"
#include "shipped.h"

#define NR_FRAMES 2048UL
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define NPAGES 4

struct fx {
	struct world *w;
	struct policy pol;
	struct mm_world *mmw;
	struct mm_struct *mm;
	struct cpu *c0;
	struct dmirror dev;
	bool dev_live;
	unsigned long addr;
};

static struct fx *fx_new(const char *knob, const char *value)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];

	policy_init_default(&f->pol);
	if (knob)
		assert_int_equal(
			policy_set(&f->pol, knob, value, err, sizeof(err)), 0);
	f->w = world_create(&(struct world_opts){ .engine = ENGINE_DET,
						  .policy = &f->pol });
	assert_non_null(f->w);
	f->mmw = mm_world_get(f->w, NR_FRAMES, 2);
	assert_non_null(f->mmw);
	f->mm = mm_alloc(f->mmw);
	assert_non_null(f->mm);
	f->c0 = mm_cpu(f->mmw, 0);
	return f;
}

/* map NPAGES pages, CPU0 writes 100 + i to page i, the device mirrors */
static void fx_map(struct fx *f, unsigned long prot)
{
	int i;

	f->addr = vm_mmap(f->mm, NULL, 0, NPAGES * PAGE_SIZE, RW, ANON, 0);
	assert_false(IS_ERR_VALUE(f->addr));
	for (i = 0; i < NPAGES; i++)
		assert_int_equal(cpu_write(f->c0, f->mm,
					   f->addr + i * PAGE_SIZE, 100 + i),
				 0);
	if (prot != RW)
		assert_int_equal(do_mprotect_pkey(f->mm, f->addr,
						  NPAGES * PAGE_SIZE, prot, -1),
				 0);
	assert_int_equal(dmirror_init(&f->dev, f->mm, f->addr, NPAGES), 0);
	f->dev_live = true;
}

/* every test ends clean: no report, nothing leaked once the mm exits */
static void fx_done(struct fx *f)
{
	if (f->dev_live)
		dmirror_check_quiescent(&f->dev);
	mm_check_quiescent(f->mmw);
	cpu_idle(f->c0);
	cpu_idle(mm_cpu(f->mmw, 1));
	if (f->mm)
		mmput(f->mm); /* exit_mmap: mmu_notifier_release */
	if (f->dev_live) {
		assert_int_equal(dmirror_nr_valid(&f->dev), 0);
		dmirror_fini(&f->dev); /* the last mm reference */
	}
	mmu_notifier_world_check(f->mmw->nw);
	phys_check_leaks(f->mmw->pm, 0);
	if (f->w->nr_reports)
		report_print_all(f->w, stderr);
	assert_int_equal(f->w->nr_reports, 0);
	world_destroy(f->w);
	free(f);
}

static uint64_t dev_read(struct fx *f, int page, int *ret)
{
	uint64_t v = 0;

	*ret = dmirror_read(&f->dev, f->addr + page * PAGE_SIZE, &v);
	return v;
}

/* hmm-tests anon_read / anon_write */
static void test_read_write(void **state)
{
	struct fx *f = fx_new(NULL, NULL);
	uint64_t v;
	int i, ret;

	(void)state;
	fx_map(f, RW);
	for (i = 0; i < NPAGES; i++) {
		assert_int_equal(dev_read(f, i, &ret), 100 + i);
		assert_int_equal(ret, 0);
	}
	assert_int_equal(dmirror_nr_valid(&f->dev), NPAGES);
	for (i = 0; i < NPAGES; i++)
		assert_int_equal(dmirror_write(&f->dev,
					       f->addr + i * PAGE_SIZE + 8,
					       200 + i),
				 0);
	for (i = 0; i < NPAGES; i++) {
		assert_int_equal(cpu_read(f->c0, f->mm,
					  f->addr + i * PAGE_SIZE + 8, &v),
				 0);
		assert_int_equal(v, 200 + i);
	}
	/* the CPU's later writes are seen by the device (same frames) */
	assert_int_equal(cpu_write(f->c0, f->mm, f->addr, 7), 0);
	assert_int_equal(dev_read(f, 0, &ret), 7);
	/* a bulk fault of the whole range, as dmirror's ioctl */
	assert_int_equal(dmirror_fault(&f->dev, f->addr, NPAGES, true), 0);
	/* outside the mirrored range, or misaligned */
	assert_int_equal(dmirror_read(&f->dev, f->addr + NPAGES * PAGE_SIZE,
				      &v),
			 -EFAULT);
	assert_int_equal(dmirror_read(&f->dev, f->addr + 3, &v), -EFAULT);
	fx_done(f);
}

/* hmm-tests anon_read_prot / anon_write_prot: -EFAULT and -EPERM */
static void test_prot(void **state)
{
	struct fx *f = fx_new(NULL, NULL);
	int ret;

	(void)state;
	fx_map(f, PROT_NONE);
	dev_read(f, 0, &ret);
	assert_int_equal(ret, -EFAULT);
	assert_int_equal(dmirror_write(&f->dev, f->addr, 1), -EFAULT);
	assert_int_equal(do_mprotect_pkey(f->mm, f->addr, NPAGES * PAGE_SIZE,
					  PROT_READ, -1),
			 0);
	assert_int_equal(dev_read(f, 1, &ret), 101);
	assert_int_equal(ret, 0);
	assert_int_equal(dmirror_write(&f->dev, f->addr + PAGE_SIZE, 1),
			 -EPERM);
	/* writable again: the device write goes through */
	assert_int_equal(do_mprotect_pkey(f->mm, f->addr, NPAGES * PAGE_SIZE,
					  RW, -1),
			 0);
	assert_int_equal(dmirror_write(&f->dev, f->addr + PAGE_SIZE, 9), 0);
	assert_int_equal(dev_read(f, 1, &ret), 9);
	fx_done(f);
}

/* mprotect drops the device's entries (PROTECTION_VMA) */
static void test_mprotect_invalidates(void **state)
{
	struct fx *f = fx_new(NULL, NULL);
	int ret;

	(void)state;
	fx_map(f, RW);
	assert_int_equal(dmirror_fault(&f->dev, f->addr, NPAGES, true), 0);
	assert_int_equal(dmirror_nr_valid(&f->dev), NPAGES);
	assert_int_equal(do_mprotect_pkey(f->mm, f->addr + PAGE_SIZE, PAGE_SIZE,
					  PROT_READ, -1),
			 0);
	assert_int_equal(dmirror_nr_valid(&f->dev), NPAGES - 1);
	assert_int_equal(dmirror_write(&f->dev, f->addr + PAGE_SIZE, 1),
			 -EPERM);
	assert_int_equal(dmirror_write(&f->dev, f->addr, 5), 0);
	assert_int_equal(dev_read(f, 0, &ret), 5);
	fx_done(f);
}

/* munmap (UNMAP) and MADV_DONTNEED (CLEAR) drop the entries */
static void test_munmap_dontneed(void **state)
{
	struct fx *f = fx_new(NULL, NULL);
	int ret;

	(void)state;
	fx_map(f, RW);
	assert_int_equal(dmirror_fault(&f->dev, f->addr, NPAGES, false), 0);
	assert_int_equal(do_madvise(f->mm, f->addr, PAGE_SIZE, MADV_DONTNEED),
			 0);
	assert_int_equal(dmirror_nr_valid(&f->dev), NPAGES - 1);
	assert_int_equal(dev_read(f, 0, &ret), 0); /* zero-filled again */
	assert_int_equal(ret, 0);
	assert_int_equal(
		vm_munmap(f->mm, f->addr + 2 * PAGE_SIZE, 2 * PAGE_SIZE), 0);
	assert_int_equal(dmirror_nr_valid(&f->dev), 2);
	dev_read(f, 2, &ret);
	assert_int_equal(ret, -EFAULT);
	dev_read(f, 3, &ret);
	assert_int_equal(ret, -EFAULT);
	assert_int_equal(dev_read(f, 1, &ret), 101);
	fx_done(f);
}

/* hmm-tests anon_write_child / COW: fork write-protects, COW replaces */
static void test_fork_cow(void **state)
{
	struct fx *f = fx_new(NULL, NULL);
	struct mm_struct *child;
	uint64_t v;
	int ret;

	(void)state;
	fx_map(f, RW);
	assert_int_equal(dmirror_fault(&f->dev, f->addr, NPAGES, true), 0);
	child = dup_mm(f->mm);
	assert_non_null(child);
	/* copy_page_range's PROTECTION_PAGE dropped every entry */
	assert_int_equal(dmirror_nr_valid(&f->dev), 0);
	assert_int_equal(dev_read(f, 0, &ret), 100);
	/* the parent's CPU write copies the page (wp_page_copy: CLEAR) */
	assert_int_equal(cpu_write(f->c0, f->mm, f->addr, 11), 0);
	assert_int_equal(dev_read(f, 0, &ret), 11);
	/* a device write breaks COW for the parent only */
	assert_int_equal(dmirror_write(&f->dev, f->addr + PAGE_SIZE, 12), 0);
	assert_int_equal(cpu_read(f->c0, f->mm, f->addr + PAGE_SIZE, &v), 0);
	assert_int_equal(v, 12);
	assert_int_equal(cpu_read(mm_cpu(f->mmw, 1), child, f->addr, &v), 0);
	assert_int_equal(v, 100);
	assert_int_equal(
		cpu_read(mm_cpu(f->mmw, 1), child, f->addr + PAGE_SIZE, &v), 0);
	assert_int_equal(v, 101);
	cpu_idle(mm_cpu(f->mmw, 1));
	mmput(child);
	fx_done(f);
}

/*
 * hmm-tests anon_write_child: after fork a device on the child and one on
 * the parent each see their own COW copy; writes through one never show
 * through the other, in either order.
 */
static void test_fork_child_device(void **state)
{
	struct fx *f = fx_new(NULL, NULL);
	struct dmirror *cdev = calloc(1, sizeof(*cdev));
	struct mm_struct *child;
	uint64_t v;
	int i, ret;

	(void)state;
	fx_map(f, RW);
	/* the parent's device holds writable entries across the fork */
	assert_int_equal(dmirror_fault(&f->dev, f->addr, NPAGES, true), 0);
	child = dup_mm(f->mm);
	assert_non_null(child);
	assert_int_equal(dmirror_init(cdev, child, f->addr, NPAGES), 0);
	/* both see the values of before the fork */
	for (i = 0; i < NPAGES; i++) {
		assert_int_equal(
			dmirror_read(cdev, f->addr + i * PAGE_SIZE, &v), 0);
		assert_int_equal(v, 100 + i);
		assert_int_equal(dev_read(f, i, &ret), 100 + i);
	}
	/* the child's device writes even pages, the parent's odd ones */
	for (i = 0; i < NPAGES; i++) {
		if (i & 1)
			assert_int_equal(dmirror_write(&f->dev,
						       f->addr + i * PAGE_SIZE,
						       300 + i),
					 0);
		else
			assert_int_equal(dmirror_write(cdev,
						       f->addr + i * PAGE_SIZE,
						       200 + i),
					 0);
	}
	for (i = 0; i < NPAGES; i++) {
		uint64_t pv = i & 1 ? 300 + i : 100 + i;
		uint64_t cv = i & 1 ? 100 + i : 200 + i;

		assert_int_equal(dev_read(f, i, &ret), pv);
		assert_int_equal(
			dmirror_read(cdev, f->addr + i * PAGE_SIZE, &v), 0);
		assert_int_equal(v, cv);
		/* and the CPUs agree with their process's device */
		assert_int_equal(
			cpu_read(f->c0, f->mm, f->addr + i * PAGE_SIZE, &v), 0);
		assert_int_equal(v, pv);
		assert_int_equal(cpu_read(mm_cpu(f->mmw, 1), child,
					  f->addr + i * PAGE_SIZE, &v),
				 0);
		assert_int_equal(v, cv);
	}
	/* every page was copied once: the two devices map different frames */
	for (i = 0; i < NPAGES; i++)
		assert_int_not_equal(f->dev.pt[i].pfn, cdev->pt[i].pfn);
	dmirror_check_quiescent(cdev);
	cpu_idle(mm_cpu(f->mmw, 1));
	mmput(child);
	assert_int_equal(dmirror_nr_valid(cdev), 0);
	dmirror_fini(cdev);
	free(cdev);
	fx_done(f);
}

/* the folio the device's entry for page @i maps, with a reference */
static struct folio *dev_folio(struct fx *f, int i)
{
	struct folio *folio =
		page_folio(pfn_to_page(f->mmw->pm, f->dev.pt[i].pfn));

	assert_true(folio_try_get(folio));
	return folio;
}

/*
 * hmm-tests migrate, for system memory: migration moves a page the device
 * maps; its entry is dropped (the device holds no reference, so nothing
 * pins the old frame), and the device's next access faults the new frame
 * in, with the value.
 */
static void test_migrate_drops_entries(void **state)
{
	struct fx *f = fx_new(NULL, NULL);
	struct folio *folio;
	unsigned long old;
	uint64_t v;
	int ret;

	(void)state;
	fx_map(f, RW);
	assert_int_equal(dmirror_fault(&f->dev, f->addr, NPAGES, true), 0);
	old = f->dev.pt[1].pfn;
	folio = dev_folio(f, 1);
	assert_int_equal(migrate_folio_one(f->mmw, folio), 0);
	folio_put(folio);
	assert_int_equal(dmirror_nr_valid(&f->dev), NPAGES - 1);
	assert_false(f->dev.pt[1].valid);
	assert_int_equal(dev_read(f, 1, &ret), 101);
	assert_int_equal(ret, 0);
	assert_int_not_equal(f->dev.pt[1].pfn, old);
	/* a device write lands in the new frame, seen by the CPU */
	assert_int_equal(dmirror_write(&f->dev, f->addr + PAGE_SIZE, 7), 0);
	assert_int_equal(cpu_read(f->c0, f->mm, f->addr + PAGE_SIZE, &v), 0);
	assert_int_equal(v, 7);
	fx_done(f);
}

/*
 * Reclaim: kswapd swaps the device's pages out (try_to_unmap_one's CLEAR
 * drops the entries); device reads swap them back in with their values.
 */
static void test_reclaim_drops_entries(void **state)
{
	struct fx *f = fx_new(NULL, NULL);
	struct tlbflush_unmap_batch ubc;
	struct scan_control sc = { .nr_to_reclaim = NPAGES,
				   .ignore_references = true,
				   .tlb_ubc = &ubc };
	int i, ret;

	(void)state;
	memset(&ubc, 0, sizeof(ubc));
	fx_map(f, RW);
	assert_int_equal(dmirror_fault(&f->dev, f->addr, NPAGES, false), 0);
	assert_int_equal(kswapd_shrink(f->mmw, &sc), NPAGES);
	assert_int_equal(dmirror_nr_valid(&f->dev), 0);
	assert_int_equal(nr_swap_slots_used(f->mmw), NPAGES);
	for (i = 0; i < NPAGES; i++) {
		assert_int_equal(dev_read(f, i, &ret), 100 + i);
		assert_int_equal(ret, 0);
	}
	assert_int_equal(dmirror_nr_valid(&f->dev), NPAGES);
	fx_done(f);
}

/* mremap moves the pages: the old entries go, the new address works */
static void test_mremap_drops_entries(void **state)
{
	struct fx *f = fx_new(NULL, NULL);
	unsigned long to;
	int ret;

	(void)state;
	fx_map(f, RW);
	assert_int_equal(dmirror_fault(&f->dev, f->addr, NPAGES, false), 0);
	/* move the first page onto the third (MREMAP_FIXED unmaps it) */
	to = do_mremap(f->mm, f->addr, PAGE_SIZE, PAGE_SIZE,
		       MREMAP_MAYMOVE | MREMAP_FIXED, f->addr + 2 * PAGE_SIZE);
	assert_int_equal(to, f->addr + 2 * PAGE_SIZE);
	assert_false(f->dev.pt[0].valid);
	assert_false(f->dev.pt[2].valid);
	assert_true(f->dev.pt[1].valid);
	dev_read(f, 0, &ret);
	assert_int_equal(ret, -EFAULT);
	assert_int_equal(dev_read(f, 2, &ret), 100);
	assert_int_equal(ret, 0);
	fx_done(f);
}

/* exit_mmap: mmu_notifier_release drops everything; fini after exit */
static void test_exit(void **state)
{
	struct fx *f = fx_new(NULL, NULL);

	(void)state;
	fx_map(f, RW);
	assert_int_equal(dmirror_fault(&f->dev, f->addr, NPAGES, false), 0);
	assert_int_equal(dmirror_nr_valid(&f->dev), NPAGES);
	fx_done(f); /* asserts no entry survives mmput */
}

/* ---- the events of the call sites ---- */

struct evlog {
	struct mmu_interval_notifier mni;
	int n;
	enum mmu_notifier_event ev[16];
	unsigned long start[16], end[16];
};

static bool evlog_invalidate(struct mmu_interval_notifier *mni,
			     const struct mmu_notifier_range *range,
			     unsigned long cur_seq)
{
	struct evlog *l = container_of(mni, struct evlog, mni);

	mmu_interval_set_seq(mni, cur_seq);
	if (l->n < 16) {
		l->ev[l->n] = range->event;
		l->start[l->n] = range->start;
		l->end[l->n] = range->end;
	}
	l->n++;
	return true;
}

static const struct mmu_interval_notifier_ops evlog_ops = {
	.invalidate = evlog_invalidate,
};

static void test_call_site_events(void **state)
{
	struct fx *f = fx_new(NULL, NULL);
	struct evlog l = { 0 };
	struct mm_struct *child;
	unsigned long a;

	(void)state;
	a = vm_mmap(f->mm, NULL, 0, 4 * PAGE_SIZE, RW, ANON, 0);
	assert_int_equal(cpu_write(f->c0, f->mm, a, 1), 0);
	assert_int_equal(mmu_interval_notifier_insert(
				 &l.mni, f->mm->notifier_subscriptions, a,
				 4 * PAGE_SIZE, &evlog_ops),
			 0);
	assert_int_equal(do_mprotect_pkey(f->mm, a, PAGE_SIZE, PROT_READ, -1),
			 0);
	assert_int_equal(l.ev[0], MMU_NOTIFY_PROTECTION_VMA);
	assert_int_equal(l.start[0], a);
	assert_int_equal(l.end[0], a + PAGE_SIZE);
	assert_int_equal(do_mprotect_pkey(f->mm, a, PAGE_SIZE, RW, -1), 0);
	assert_int_equal(
		do_madvise(f->mm, a + PAGE_SIZE, PAGE_SIZE, MADV_DONTNEED), 0);
	assert_int_equal(l.ev[2], MMU_NOTIFY_CLEAR);
	assert_int_equal(l.start[2], a + PAGE_SIZE);
	child = dup_mm(f->mm);
	assert_non_null(child);
	assert_int_equal(l.ev[3], MMU_NOTIFY_PROTECTION_PAGE);
	assert_int_equal(cpu_write(f->c0, f->mm, a + 8, 2), 0); /* COW */
	assert_int_equal(l.ev[4], MMU_NOTIFY_CLEAR);
	assert_int_equal(l.start[4], a);
	assert_int_equal(l.end[4], a + PAGE_SIZE);
	assert_int_equal(vm_munmap(f->mm, a + 3 * PAGE_SIZE, PAGE_SIZE), 0);
	assert_int_equal(l.ev[5], MMU_NOTIFY_UNMAP);
	assert_int_equal(l.start[5], a + 3 * PAGE_SIZE);
	assert_int_equal(l.n, 6);
	mmput(child);
	assert_int_equal(l.n, 6); /* the child's mm is another address space */
	cpu_idle(f->c0);
	mmgrab(f->mm); /* the interval's reference, as in Linux */
	mmput(f->mm);
	assert_int_equal(l.ev[6], MMU_NOTIFY_RELEASE);
	mmu_interval_notifier_remove(&l.mni);
	mmdrop(f->mm);
	f->mm = NULL;
	fx_done(f);
}

/* truncate: unmap_mapping_pages zaps with CLEAR */
static void test_truncate_event(void **state)
{
	struct fx *f = fx_new(NULL, NULL);
	struct evlog l = { 0 };
	struct file *file = shmem_file_setup(f->mmw, 2 * PAGE_SIZE);
	unsigned long a;

	(void)state;
	a = vm_mmap(f->mm, file, 0, 2 * PAGE_SIZE, RW, MAP_SHARED, 0);
	assert_false(IS_ERR_VALUE(a));
	assert_int_equal(cpu_write(f->c0, f->mm, a + PAGE_SIZE, 1), 0);
	assert_int_equal(mmu_interval_notifier_insert(
				 &l.mni, f->mm->notifier_subscriptions, a,
				 2 * PAGE_SIZE, &evlog_ops),
			 0);
	assert_int_equal(vfs_truncate(file, PAGE_SIZE), 0);
	assert_true(l.n >= 1);
	assert_int_equal(l.ev[0], MMU_NOTIFY_CLEAR);
	assert_int_equal(l.start[0], a + PAGE_SIZE);
	mmu_interval_notifier_remove(&l.mni);
	fput(file);
	fx_done(f);
}

/* ---- notifier.secondary_tlb_flush ---- */

struct sva {
	struct mmu_notifier mn;
	int calls;
};

static void sva_tlbs(struct mmu_notifier *mn, struct mm_struct *mm,
		     unsigned long start, unsigned long end)
{
	container_of(mn, struct sva, mn)->calls++;
}

static const struct mmu_notifier_ops sva_ops = {
	.arch_invalidate_secondary_tlbs = sva_tlbs,
};

/* calls of arch_invalidate_secondary_tlbs by flush_tlb_mm, and by munmap */
static void sva_run(const char *value, int *by_flush, int *by_munmap)
{
	struct fx *f = fx_new("notifier.secondary_tlb_flush", value);
	struct sva s = { .mn.ops = &sva_ops };
	unsigned long a;

	a = vm_mmap(f->mm, NULL, 0, PAGE_SIZE, RW, ANON, 0);
	assert_int_equal(cpu_write(f->c0, f->mm, a, 1), 0);
	assert_int_equal(
		mmu_notifier_register(&s.mn, f->mm->notifier_subscriptions), 0);
	flush_tlb_mm(f->mm);
	*by_flush = s.calls;
	assert_int_equal(vm_munmap(f->mm, a, PAGE_SIZE), 0);
	*by_munmap = s.calls - *by_flush;
	mmu_notifier_unregister(&s.mn, f->mm->notifier_subscriptions);
	fx_done(f);
}

static void test_secondary_tlb_flush_policy(void **state)
{
	int flush, unmap;

	(void)state;
	sva_run("with_tlb_flush", &flush, &unmap);
	assert_int_equal(flush, 1);
	assert_true(unmap >= 1);
	sva_run("in_range_end", &flush, &unmap);
	assert_int_equal(flush, 0); /* not from the arch flush */
	/* the gather's flushes (tlb_end_vma's, then tlb_finish_mmu's for the
	 * freed table) called ->invalidate_range() after tlb_flush(), and
	 * so did invalidate_range_end: three, as in 3.19-6.5 */
	assert_int_equal(unmap, 3);
	sva_run("none", &flush, &unmap);
	assert_int_equal(flush, 0);
	assert_int_equal(unmap, 0);
}

/* ---- the explorer ---- */

static void expect_clean(const struct model *m, enum strategy s,
			 unsigned long iters, int bound)
{
	explore_expect_clean(m, s, iters, bound,
			     XCLEAN_EXHAUSTED | XCLEAN_ALL_RUNS);
}

/* found with one of these kinds, and the schedule replays to the same */
static const char *const mirror_kinds[] = { "stale-secondary",
					    "install-in-invalidation",
					    "permission",
					    "access-after-munmap",
					    "value",
					    "lost-write",
					    NULL };

static void expect_found(const struct model *m, enum strategy s,
			 unsigned long iters, int bound)
{
	explore_expect_found(m, s, iters, bound, mirror_kinds, NULL);
}

/* the DFS preemption bound that finishes quickly for @m */
static int quick_bound(const struct model *m)
{
	(void)m; /* every model: bound 2 is at most a few thousand executions */
	return 2;
}

/* the kinds an execution of @m reports over a whole DFS */
static bool dfs_reports_kind(const struct model *m, const char *kind)
{
	struct explore_opts o = xopts(STRAT_DFS, 0, quick_bound(m));
	struct explore_result r;
	bool found = false;
	int i;

	o.stop_on_violation = false;
	assert_int_equal(explore(m, &o, &r), 0);
	for (i = 0; i < r.nr_kinds; i++)
		if (!strcmp(r.kinds[i].kind, kind))
			found = true;
	explore_result_free(&r);
	return found;
}

/* every primary MM operation against the device: clean (linux-6.6) */
static void test_explore_clean(void **state)
{
	struct mirror_race_opts o = { .op = MIRROR_RACE_MUNMAP, .iters = 6 };
	struct model m = { .name = "mirror-race",
			   .setup = mirror_race_setup,
			   .check = mirror_race_check,
			   .arg = &o };
	int i, n = 0;

	(void)state;
	for (i = 0; mirror_race_models[i]; i++) {
		const struct model *b = mirror_race_models[i];

		if (strstr(b->name, "-noretry"))
			continue;
		assert_ptr_equal(model_by_name(b->name), b);
		expect_clean(b, STRAT_RANDOM, 300, -1);
		expect_clean(b, STRAT_PCT, 200, -1);
		expect_clean(b, STRAT_DFS, 0, quick_bound(b));
		n++;
	}
	assert_int_equal(n, MIRROR_RACE_NR);
	/* longer device agents under random walks */
	for (o.op = 0; o.op < MIRROR_RACE_NR; o.op++)
		expect_clean(&m, STRAT_RANDOM, 200, -1);
}

/* mirror.read_retry=false is found against every operation but exit */
static void test_explore_noretry_found(void **state)
{
	const struct model *mu = model_by_name("mirror-vs-munmap-noretry");
	const struct model *mp = model_by_name("mirror-vs-mprotect-noretry");
	int i, n = 0;

	(void)state;
	for (i = 0; mirror_race_models[i]; i++) {
		const struct model *b = mirror_race_models[i];

		if (!strstr(b->name, "-noretry"))
			continue;
		assert_ptr_equal(model_by_name(b->name), b);
		expect_found(b, STRAT_DFS, 0, quick_bound(b));
		expect_found(b, STRAT_RANDOM, 5000, -1);
		expect_found(b, STRAT_PCT, 5000, -1);
		n++;
	}
	assert_int_equal(n, MIRROR_RACE_NR - 1);
	/* both rules catch it on some schedule */
	assert_true(dfs_reports_kind(mu, "stale-secondary"));
	assert_true(dfs_reports_kind(mu, "install-in-invalidation"));
	assert_true(dfs_reports_kind(mp, "install-in-invalidation"));
	/* and the value oracle sees the stale data itself */
	assert_true(dfs_reports_kind(model_by_name("mirror-vs-migrate-noretry"),
				     "value"));
	assert_true(dfs_reports_kind(model_by_name("mirror-vs-fork-noretry"),
				     "value"));
}

/*
 * notifier.nonblock_fail_ends_itree: the OOM reaper's failed non-blockable
 * start leaves the device's interval epoch open under Linux's behaviour
 * (the default): the device's read_begin sleeps for ever or the open
 * epoch is reported; ending it (true) is clean.
 */
static void test_oom_reaper_nonblock(void **state)
{
	const struct model *m = &model_mirror_vs_oom_reaper;
	struct explore_opts o = xopts(STRAT_DFS, 0, 2);
	struct policy_model pm;
	struct explore_result r;
	struct policy p;
	bool deadlock = false, open = false;
	int i;

	(void)state;
	o.stop_on_violation = false;
	assert_int_equal(explore(m, &o, &r), 0);
	assert_true(r.exhausted);
	/* every interleaving: the reaper always fails once the device is in */
	assert_int_equal(r.violating, r.executions);
	for (i = 0; i < r.nr_kinds; i++) {
		deadlock |= !strcmp(r.kinds[i].kind, "deadlock");
		open |= !strcmp(r.kinds[i].kind, "notifier-epoch-open");
	}
	assert_true(deadlock);
	assert_true(open);
	explore_result_free(&r);
	o = xopts(STRAT_RANDOM, 200, -1);
	assert_int_equal(explore(m, &o, &r), 0);
	assert_int_equal(r.first_violation, 1);
	explore_result_free(&r);

	policy_init_default(&p);
	assert_int_equal(policy_set(&p, "notifier.nonblock_fail_ends_itree",
				    "true", NULL, 0),
			 0);
	policy_model_init(&pm, m, &p);
	expect_clean(&pm.m, STRAT_DFS, 0, 2);
	expect_clean(&pm.m, STRAT_RANDOM, 300, -1);
	expect_clean(&pm.m, STRAT_PCT, 200, -1);
}

/*
 * hmm-tests anon_teardown: a device reads four pages over and over while
 * the process munmaps them (the middle two, then the rest).  A read
 * returns the page's value or -EFAULT, and -EFAULT for good once the
 * munmap of that page has returned.
 */
struct teardown {
	struct mm_world *mmw;
	struct mm_struct *mm;
	struct dmirror dev;
	int gone[NPAGES]; /* munmap of the page returned */
};

#define TD_ADDR 0x30000000UL

static void td_device(void *arg)
{
	struct teardown *t = arg;
	uint64_t v;
	int round, i, ret, gone;

	for (round = 0; round < 2; round++)
		for (i = 0; i < NPAGES; i++) {
			gone = READ_ONCE(t->gone[i]);
			ret = dmirror_read(&t->dev, TD_ADDR + i * PAGE_SIZE,
					   &v);
			if ((ret && ret != -EFAULT) ||
			    (!ret && (gone || v != 100 + (uint64_t)i)))
				report_add(
					t->mmw->w, "value",
					"device read of page %d: %d, %#llx (gone %d)\n",
					i, ret, (unsigned long long)v, gone);
		}
}

static void td_unmapper(void *arg)
{
	struct teardown *t = arg;

	vm_munmap(t->mm, TD_ADDR + PAGE_SIZE, 2 * PAGE_SIZE);
	WRITE_ONCE(t->gone[1], 1);
	WRITE_ONCE(t->gone[2], 1);
	vm_munmap(t->mm, TD_ADDR, NPAGES * PAGE_SIZE);
	WRITE_ONCE(t->gone[0], 1);
	WRITE_ONCE(t->gone[3], 1);
}

static int td_setup(struct world *w, void *arg)
{
	struct teardown *t = arena_alloc(w, sizeof(*t));
	int i;

	(void)arg;
	t->mmw = mm_world_get(w, 256, 1);
	t->mm = t->mmw ? mm_alloc(t->mmw) : NULL;
	if (!t->mm || vm_mmap(t->mm, NULL, TD_ADDR, NPAGES * PAGE_SIZE, RW,
			      ANON | MAP_FIXED, 0) != TD_ADDR)
		return -ENOMEM;
	for (i = 0; i < NPAGES; i++)
		if (cpu_write(mm_cpu(t->mmw, 0), t->mm, TD_ADDR + i * PAGE_SIZE,
			      100 + i))
			return -EFAULT;
	if (dmirror_init(&t->dev, t->mm, TD_ADDR, NPAGES))
		return -ENOMEM;
	w->priv = t;
	if (!agent_create(w, "device", td_device, t) ||
	    !agent_create(w, "munmap", td_unmapper, t))
		return -EAGAIN;
	return 0;
}

static void td_check(struct world *w, void *arg)
{
	struct teardown *t = w->priv;

	(void)arg;
	if (dmirror_nr_valid(&t->dev))
		report_add(w, "stale-secondary",
			   "%lu device entries left after munmap\n",
			   dmirror_nr_valid(&t->dev));
	mm_check_quiescent(t->mmw);
	mmu_notifier_world_check(t->mmw->nw);
	cpu_idle(mm_cpu(t->mmw, 0));
	dmirror_fini(&t->dev);
	mmput(t->mm);
	phys_check_leaks(t->mmw->pm, 0);
}

static const struct model model_teardown = { "anon-teardown",
					     "device reads vs munmap", td_setup,
					     td_check, NULL };

static void test_anon_teardown(void **state)
{
	struct policy_model pm;
	struct policy p;

	(void)state;
	expect_clean(&model_teardown, STRAT_RANDOM, 300, -1);
	expect_clean(&model_teardown, STRAT_PCT, 200, -1);
	expect_clean(&model_teardown, STRAT_DFS, 0, 1);
	/* the same without read_retry: a stale entry survives the munmap */
	policy_init_default(&p);
	assert_int_equal(policy_set(&p, "mirror.read_retry", "false", NULL, 0),
			 0);
	policy_model_init(&pm, &model_teardown, &p);
	expect_found(&pm.m, STRAT_DFS, 0, 1);
}

/* ---- real engine ---- */

static void test_real_models(void **state)
{
	int i;

	(void)state;
	for (i = 0; mirror_race_models[i]; i++) {
		if (strstr(mirror_race_models[i]->name, "-noretry"))
			continue;
		/* 20 threaded runs each: they sleep more than they compute */
		real_expect_clean(mirror_race_models[i], 20, 30);
	}
	real_expect_clean(&model_teardown, 20, 30);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest det[] = {
		cmocka_unit_test(test_read_write),
		cmocka_unit_test(test_prot),
		cmocka_unit_test(test_mprotect_invalidates),
		cmocka_unit_test(test_munmap_dontneed),
		cmocka_unit_test(test_fork_cow),
		cmocka_unit_test(test_fork_child_device),
		cmocka_unit_test(test_migrate_drops_entries),
		cmocka_unit_test(test_reclaim_drops_entries),
		cmocka_unit_test(test_mremap_drops_entries),
		cmocka_unit_test(test_exit),
		cmocka_unit_test(test_call_site_events),
		cmocka_unit_test(test_truncate_event),
		cmocka_unit_test(test_secondary_tlb_flush_policy),
		cmocka_unit_test(test_explore_clean),
		cmocka_unit_test(test_explore_noretry_found),
		cmocka_unit_test(test_oom_reaper_nonblock),
		cmocka_unit_test(test_anon_teardown),
	};
	const struct CMUnitTest real[] = {
		cmocka_unit_test(test_real_models),
	};

	if (argc > 1 && !strcmp(argv[1], "real"))
		return cmocka_run_group_tests(real, NULL, NULL);
	return cmocka_run_group_tests(det, NULL, NULL);
}
