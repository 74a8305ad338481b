// SPDX-License-Identifier: MIT
/*
 * The value oracle (src/check/oracle.c): each rule with a direct
 * sequence that must stay silent (the fixture's teardown insists on no
 * report), and negative tests where the content changes behind the
 * model's back or a test knob breaks the kernel model, which must be
 * reported with the oracle's kind.  Then the built-in mm models under the
 * explorer with the oracle on: clean ones stay clean, and the oracle is
 * the check that finds the injected bugs it can see.
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
#include "check/oracle.h"
#include "core/policy.h"
#include "engine/engine.h"
#include "mm/mm.h"
#include "mm/tlb.h"
#include "scenario/builtin.h"
#include "scenario/mm_models.h"
#include "mm_race.h"

#define NR_FRAMES 1024UL

#include "explore_helpers.h"
#include "mm_fixture.h"
#include "shipped.h"

#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static uint64_t rd(struct cpu *c, struct mm_struct *mm, unsigned long va)
{
	uint64_t v = ~0ULL;

	assert_int_equal(cpu_read(c, mm, va, &v), 0);
	return v;
}

static void wr(struct cpu *c, struct mm_struct *mm, unsigned long va,
	       uint64_t v)
{
	assert_int_equal(cpu_write(c, mm, va, v), 0);
}

static unsigned long map(struct mm_struct *mm, struct file *file,
			 unsigned long npages, unsigned long flags)
{
	unsigned long a =
		vm_mmap(mm, file, 0, npages * PAGE_SIZE, RW, flags, 0);

	assert_false(IS_ERR_VALUE(a));
	return a;
}

/* the frame @va maps now */
static unsigned long pfn_at(struct mm_struct *mm, unsigned long va)
{
	spinlock_t *ptl;
	pte_t *pte = pte_offset_map_lock(mm, mm_find_pmd(mm, va), va, &ptl);
	unsigned long pfn;

	assert_true(pte_present(ptep_get(pte)));
	pfn = pte_pfn(ptep_get(pte));
	pte_unmap_unlock(pte, ptl);
	return pfn;
}

/* change memory behind the oracle's back */
static void corrupt(struct fx *f, struct mm_struct *mm, unsigned long va,
		    uint64_t v)
{
	phys_write(f->mmw->pm, pfn_at(mm, va), va & ~PAGE_MASK, v);
}

/* exactly one new report, of @kind, written by the oracle */
static void expect_report(struct fx *f, const char *kind)
{
	f->expected_reports++;
	if (f->w->nr_reports != f->expected_reports)
		report_print_all(f->w, stderr);
	assert_int_equal(f->w->nr_reports, f->expected_reports);
	assert_true(report_has(f->w, kind));
}

/* ---- direct sequences ---- */

static void test_on_in_det_off_in_real(void **state)
{
	struct fx *f = *state;
	struct policy p;
	struct world *w;
	struct mm_world *mmw;
	struct mm_struct *mm;

	assert_non_null(f->mmw->oracle);
	assert_non_null(f->mm->oracle);

	w = world_create(&(struct world_opts){ .engine = ENGINE_REAL });
	mmw = mm_world_get(w, 64, 1);
	assert_null(mmw->oracle);
	mm = mm_alloc(mmw);
	assert_null(mm->oracle);
	mmput(mm);
	world_destroy(w);

	policy_init_default(&p);
	assert_int_equal(policy_set(&p, "check.value_oracle", "false", NULL, 0),
			 0);
	w = world_create(
		&(struct world_opts){ .engine = ENGINE_DET, .policy = &p });
	mmw = mm_world_get(w, 64, 1);
	assert_null(mmw->oracle);
	world_destroy(w);
}

static void test_anon_zero_then_writes(void **state)
{
	struct fx *f = *state;
	unsigned long a = map(f->mm, NULL, 2, ANON);

	assert_int_equal(rd(f->c0, f->mm, a + 8), 0);
	wr(f->c0, f->mm, a + 8, 5);
	assert_int_equal(rd(f->c1, f->mm, a + 8), 5);
	wr(f->c1, f->mm, a + PAGE_SIZE, 6);
	assert_int_equal(rd(f->c0, f->mm, a + PAGE_SIZE), 6);
	assert_int_equal(f->w->nr_reports, 0);

	/* the frame changes behind the model: a wrong value */
	corrupt(f, f->mm, a + 8, 99);
	assert_int_equal(rd(f->c0, f->mm, a + 8), 99);
	expect_report(f, "value");
	/* the frame goes back to what the write replaced: a lost write */
	wr(f->c0, f->mm, a + PAGE_SIZE, 7);
	corrupt(f, f->mm, a + PAGE_SIZE, 6);
	assert_int_equal(rd(f->c1, f->mm, a + PAGE_SIZE), 6);
	expect_report(f, "lost-write");
}

static void test_dontneed_zero(void **state)
{
	struct fx *f = *state;
	unsigned long a = map(f->mm, NULL, 2, ANON);

	wr(f->c0, f->mm, a + 8, 5);
	wr(f->c0, f->mm, a + PAGE_SIZE + 8, 6);
	assert_int_equal(do_madvise(f->mm, a, PAGE_SIZE, MADV_DONTNEED), 0);
	assert_int_equal(rd(f->c1, f->mm, a + 8), 0);
	assert_int_equal(rd(f->c1, f->mm, a + PAGE_SIZE + 8), 6);
	assert_int_equal(f->w->nr_reports, 0);
	/* the old value reappearing after DONTNEED returned */
	corrupt(f, f->mm, a + 8, 5);
	assert_int_equal(rd(f->c0, f->mm, a + 8), 5);
	expect_report(f, "value");
}

static unsigned long reclaim_all(struct fx *f)
{
	struct scan_control sc = { .nr_to_reclaim = 64,
				   .ignore_references = true,
				   .tlb_ubc = &f->ubc };

	return kswapd_shrink(f->mmw, &sc);
}

static void test_madv_free_old_or_zero(void **state)
{
	struct fx *f = *state;
	unsigned long a = map(f->mm, NULL, 2, ANON);
	uint64_t v;

	wr(f->c0, f->mm, a + 8, 5);
	wr(f->c0, f->mm, a + PAGE_SIZE + 8, 6);
	assert_int_equal(do_madvise(f->mm, a, 2 * PAGE_SIZE, MADV_FREE), 0);
	/* the page is still there until reclaim drops it */
	assert_int_equal(rd(f->c1, f->mm, a + 8), 5);
	/* a write keeps the second page */
	wr(f->c0, f->mm, a + PAGE_SIZE + 8, 7);
	reclaim_all(f);
	v = rd(f->c1, f->mm, a + 8);
	assert_true(v == 5 || v == 0);
	assert_int_equal(rd(f->c1, f->mm, a + PAGE_SIZE + 8), 7);
	assert_int_equal(f->w->nr_reports, 0);
	/* after the write only its value: zero is no longer allowed */
	corrupt(f, f->mm, a + PAGE_SIZE + 8, 0);
	assert_int_equal(rd(f->c0, f->mm, a + PAGE_SIZE + 8), 0);
	expect_report(f, "value");
}

static void test_mremap_moves_values(void **state)
{
	struct fx *f = *state;
	unsigned long a = map(f->mm, NULL, 3, ANON), b, t;
	uint64_t v;
	int i;

	for (i = 0; i < 3; i++)
		wr(f->c0, f->mm, a + i * PAGE_SIZE + 16, 10 + i);
	assert_int_equal(rd(f->c1, f->mm, a + 16), 10); /* cached */
	t = a + 0x40000000UL;
	b = do_mremap(f->mm, a, 3 * PAGE_SIZE, 4 * PAGE_SIZE,
		      MREMAP_MAYMOVE | MREMAP_FIXED, t);
	assert_int_equal(b, t);
	for (i = 0; i < 3; i++)
		assert_int_equal(rd(f->c1, f->mm, b + i * PAGE_SIZE + 16),
				 10 + i);
	assert_int_equal(rd(f->c0, f->mm, b + 3 * PAGE_SIZE + 16), 0);
	assert_int_equal(cpu_read(f->c1, f->mm, a + 16, &v), CPU_SIGSEGV);
	/* shrink in place, then grow back: the regrown page is zero */
	assert_int_equal(do_mremap(f->mm, b, 4 * PAGE_SIZE, PAGE_SIZE, 0, 0),
			 b);
	assert_int_equal(cpu_read(f->c0, f->mm, b + PAGE_SIZE + 16, &v),
			 CPU_SIGSEGV);
	assert_int_equal(do_mremap(f->mm, b, PAGE_SIZE, 2 * PAGE_SIZE, 0, 0),
			 b);
	assert_int_equal(rd(f->c0, f->mm, b + PAGE_SIZE + 16), 0);
	assert_int_equal(rd(f->c0, f->mm, b + 16), 10);
	assert_int_equal(f->w->nr_reports, 0);
	corrupt(f, f->mm, b + 16, 11);
	assert_int_equal(rd(f->c0, f->mm, b + 16), 11);
	expect_report(f, "value");
}

static void test_fork_snapshot_and_cow(void **state)
{
	struct fx *f = *state;
	unsigned long a = map(f->mm, NULL, 2, ANON);

	wr(f->c0, f->mm, a + 8, 1);
	wr(f->c0, f->mm, a + PAGE_SIZE + 8, 2);
	f->child = dup_mm(f->mm);
	assert_non_null(f->child);
	assert_non_null(f->child->oracle);
	wr(f->c0, f->mm, a + 8, 3); /* parent breaks COW */
	assert_int_equal(rd(f->c1, f->child, a + 8), 1);
	wr(f->c1, f->child, a + PAGE_SIZE + 8, 4); /* child breaks COW */
	assert_int_equal(rd(f->c0, f->mm, a + PAGE_SIZE + 8), 2);
	assert_int_equal(rd(f->c0, f->mm, a + 8), 3);
	assert_int_equal(rd(f->c1, f->child, a + PAGE_SIZE + 8), 4);
	assert_int_equal(f->w->nr_reports, 0);
}

/* fork without the parent's TLB flush: the child sees a later write */
static void test_fork_noflush_reported(void **state)
{
	struct fx *f = *state;
	unsigned long a = map(f->mm, NULL, 1, ANON);

	f->mmw->inject.fork_skip_flush = true;
	wr(f->c0, f->mm, a + 8, 1); /* a writable, dirty TLB entry */
	f->child = dup_mm(f->mm);
	assert_non_null(f->child);
	wr(f->c0, f->mm, a + 8, 2); /* through the stale entry */
	assert_int_equal(rd(f->c1, f->child, a + 8), 2);
	expect_report(f, "value");
	/* let the quiescent check at teardown see a coherent TLB */
	flush_tlb_mm(f->mm);
	f->mmw->inject.fork_skip_flush = false;
}

static void test_shared_file_two_mms(void **state)
{
	struct fx *f = *state;
	struct file *file = shmem_file_setup(f->mmw, 2 * PAGE_SIZE);
	struct mm_struct *mm2 = mm_alloc(f->mmw);
	unsigned long a, b, p;
	uint64_t v;

	a = map(f->mm, file, 2, MAP_SHARED);
	b = map(mm2, file, 2, MAP_SHARED);
	p = map(f->mm, file, 2, MAP_PRIVATE);
	assert_int_equal(rd(f->c1, mm2, b + 8), 0);
	wr(f->c0, f->mm, a + 8, 41);
	assert_int_equal(rd(f->c1, mm2, b + 8), 41);
	assert_int_equal(rd(f->c0, f->mm, p + 8), 41); /* not copied yet */
	assert_int_equal(filemap_read_word(file, 8, &v), 8);
	assert_int_equal(v, 41);
	assert_int_equal(filemap_write_word(file, PAGE_SIZE + 8, 42), 0);
	assert_int_equal(rd(f->c0, f->mm, a + PAGE_SIZE + 8), 42);
	/* a private write copies the page: later file writes stay out */
	wr(f->c0, f->mm, p + 16, 7);
	wr(f->c1, mm2, b + 8, 43);
	assert_int_equal(rd(f->c0, f->mm, p + 8), 41);
	assert_int_equal(rd(f->c0, f->mm, p + 16), 7);
	assert_int_equal(rd(f->c0, f->mm, a + 16), 0);
	/* the uncopied page still follows the file */
	assert_int_equal(rd(f->c0, f->mm, p + PAGE_SIZE + 8), 42);
	assert_int_equal(f->w->nr_reports, 0);
	/* the file's page changes behind the model: both mms see it */
	corrupt(f, f->mm, a + PAGE_SIZE + 8, 5);
	assert_int_equal(rd(f->c1, mm2, b + PAGE_SIZE + 8), 5);
	expect_report(f, "value");
	cpu_idle(f->c1);
	mmput(mm2);
	fput(file);
}

static void test_truncate_sigbus(void **state)
{
	struct fx *f = *state;
	struct file *file = shmem_file_setup(f->mmw, 2 * PAGE_SIZE);
	unsigned long a = map(f->mm, file, 2, MAP_SHARED);
	uint64_t v;

	wr(f->c0, f->mm, a + PAGE_SIZE + 8, 9);
	wr(f->c0, f->mm, a + 8, 8);
	assert_int_equal(vfs_truncate(file, PAGE_SIZE + 8), 0);
	assert_int_equal(rd(f->c1, f->mm, a + PAGE_SIZE + 8), 0); /* tail */
	assert_int_equal(vfs_truncate(file, PAGE_SIZE), 0);
	assert_int_equal(cpu_read(f->c0, f->mm, a + PAGE_SIZE + 8, &v),
			 CPU_SIGBUS);
	assert_int_equal(rd(f->c0, f->mm, a + 8), 8);
	/* growing again: a hole of zeros */
	assert_int_equal(vfs_truncate(file, 2 * PAGE_SIZE), 0);
	assert_int_equal(rd(f->c1, f->mm, a + PAGE_SIZE + 8), 0);
	assert_int_equal(f->w->nr_reports, 0);
	fput(file);
}

static void test_transparent_ops_keep_values(void **state)
{
	struct fx *f = *state;
	unsigned long a = map(f->mm, NULL, 4, ANON);
	struct folio *folio;
	int i;

	for (i = 0; i < 4; i++)
		wr(f->c0, f->mm, a + i * PAGE_SIZE + 8, 100 + i);
	wr(f->c0, f->mm, a + 3 * PAGE_SIZE + 8, 100 + 2); /* = page 2 */
	/* reclaim to swap and refault */
	assert_true(reclaim_all(f) > 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(rd(f->c1, f->mm, a + i * PAGE_SIZE + 8),
				 100 + (i == 3 ? 2 : i));
	/* migration */
	folio = page_folio(pfn_to_page(f->mmw->pm, pfn_at(f->mm, a)));
	folio_get(folio);
	assert_int_equal(migrate_folio_one(f->mmw, folio), 0);
	folio_put(folio);
	assert_int_equal(rd(f->c1, f->mm, a + 8), 100);
	/* KSM merges pages 2 and 3; a write breaks COW */
	assert_int_equal(do_madvise(f->mm, a, 4 * PAGE_SIZE, MADV_MERGEABLE),
			 0);
	assert_int_equal(
		ksm_merge_pair(f->mm, a + 2 * PAGE_SIZE, a + 3 * PAGE_SIZE), 0);
	assert_int_equal(pfn_at(f->mm, a + 2 * PAGE_SIZE),
			 pfn_at(f->mm, a + 3 * PAGE_SIZE));
	assert_int_equal(rd(f->c1, f->mm, a + 3 * PAGE_SIZE + 8), 102);
	wr(f->c0, f->mm, a + 3 * PAGE_SIZE + 8, 7);
	assert_int_equal(rd(f->c1, f->mm, a + 2 * PAGE_SIZE + 8), 102);
	assert_int_equal(rd(f->c1, f->mm, a + 3 * PAGE_SIZE + 8), 7);
	assert_int_equal(f->w->nr_reports, 0);
	cpu_idle(f->c1);
}

/* mprotect: PROT_READ refuses writes; without its flush one lands */
static void test_mprotect_permission(void **state)
{
	struct fx *f = *state;
	unsigned long a = map(f->mm, NULL, 1, ANON);

	wr(f->c0, f->mm, a + 8, 1);
	assert_int_equal(do_mprotect_pkey(f->mm, a, PAGE_SIZE, PROT_READ, -1),
			 0);
	assert_int_equal(cpu_write(f->c0, f->mm, a + 8, 2), CPU_SIGSEGV);
	assert_int_equal(rd(f->c0, f->mm, a + 8), 1);
	assert_int_equal(f->w->nr_reports, 0);

	assert_int_equal(do_mprotect_pkey(f->mm, a, PAGE_SIZE, RW, -1), 0);
	wr(f->c0, f->mm, a + 8, 3);
	f->mmw->inject.mprotect_skip_flush = true;
	assert_int_equal(do_mprotect_pkey(f->mm, a, PAGE_SIZE, PROT_READ, -1),
			 0);
	wr(f->c0, f->mm, a + 8, 4); /* through the stale writable entry */
	expect_report(f, "permission");
	/* the write landed: the model follows it, so no lost-write later */
	assert_int_equal(rd(f->c0, f->mm, a + 8), 4);
	assert_int_equal(f->w->nr_reports, f->expected_reports);
	f->mmw->inject.mprotect_skip_flush = false;
	flush_tlb_mm(f->mm);
}

/* munmap that frees without flushing: the oracle sees the access */
static void test_munmap_noflush_reported(void **state)
{
	struct fx *f = *state;
	unsigned long a = map(f->mm, NULL, 2, ANON);

	wr(f->c0, f->mm, a + 8, 1);
	f->mmw->inject.munmap_skip_flush = true;
	assert_int_equal(vm_munmap(f->mm, a, PAGE_SIZE), 0);
	f->mmw->inject.munmap_skip_flush = false;
	rd(f->c0, f->mm, a + 8);
	/* stale-tlb (the frame was freed) and the oracle's own report */
	assert_true(report_has(f->w, "stale-tlb"));
	assert_true(report_has(f->w, "access-after-munmap"));
	f->expected_reports = f->w->nr_reports;
	flush_tlb_mm(f->mm);
}

/* a fault where the model says the page is mapped: spurious-fault */
static void test_spurious_fault(void **state)
{
	struct fx *f = *state;
	unsigned long a = map(f->mm, NULL, 2, ANON);
	uint64_t v;

	wr(f->c0, f->mm, a + 8, 1);
	/* unmap without the syscall: the oracle never hears of it */
	mmap_write_lock(f->mm);
	assert_int_equal(do_vmi_munmap(f->mm, a, PAGE_SIZE, false), 0);
	mmap_write_unlock(f->mm);
	assert_int_equal(cpu_read(f->c0, f->mm, a + 8, &v), CPU_SIGSEGV);
	expect_report(f, "spurious-fault");
}

/* ---- the built-in models under the explorer ---- */

static void explore_clean(const struct model *m, enum strategy s,
			  unsigned long iters, int bound)
{
	explore_expect_clean(m, s, iters, bound, 0);
}

static const char *const clean_models[] = {
	"fault-vs-munmap",    "fault-vs-mprotect",   "fault-vs-truncate",
	"read-vs-dontneed",   "write-vs-fork",	     "reclaim-vs-mprotect",
	"reclaim-vs-munmap",  "migrate-vs-write",    "ksm-vs-write",
	"mremap-truncate-cve-2018-18281", "write-vs-clear-refs", "mirror-vs-munmap",
	"mirror-vs-mprotect", "mirror-vs-mremap",    "mirror-vs-dontneed",
	"mirror-vs-fork",     "mirror-vs-truncate",  "mirror-vs-migrate",
	"mirror-vs-ksm",      "mirror-vs-reclaim",   "mirror-vs-exit",
};

static void test_clean_models_stay_clean(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(clean_models); i++) {
		const struct model *m = model_by_name_fixed(clean_models[i]);

		assert_non_null(m);
		explore_clean(m, STRAT_RANDOM, 300, -1);
		/*
		 * a scenario's setup agent makes its DFS trees far larger
		 * (reclaim-vs-mprotect: 16k executions at bound 1): PCT
		 * here, DFS in test_mm_explore/test_reclaim and long_test.sh
		 */
		if (builtin_find(clean_models[i]))
			explore_clean(m, STRAT_DFS, 0, 1);
		else
			explore_clean(m, STRAT_PCT, 300, -1);
	}
}

/*
 * Writes racing with a discarding or moving operation: CPU0 writes 1..3
 * to a word and reads it back, CPU1 runs the operation and then reads
 * the word where it now lives.  Only the oracle checks the values: a
 * write racing with DONTNEED may be lost, one racing with mremap moves,
 * MADV_FREE + reclaim may drop the page unless a write came after.
 */
enum wop { WOP_DONTNEED, WOP_FREE_RECLAIM, WOP_MREMAP, WOP_MUNMAP };

struct wrace {
	enum wop op;
	struct mm_world *mmw;
	struct mm_struct *mm;
	struct tlbflush_unmap_batch ubc;
};

#define WADDR 0x10000000UL
#define WTARGET (WADDR + 0x400000UL)

static void wrace_writer(void *arg)
{
	struct wrace *r = arg;
	struct cpu *c = mm_cpu(r->mmw, 0);
	uint64_t v;
	int i;

	for (i = 1; i <= 3; i++) {
		cpu_write(c, r->mm, WADDR + 8, i);
		cpu_read(c, r->mm, WADDR + 8, &v);
	}
}

static void wrace_op(void *arg)
{
	struct wrace *r = arg;
	struct cpu *c = mm_cpu(r->mmw, 1);
	struct scan_control sc = { .nr_to_reclaim = 4,
				   .ignore_references = true,
				   .tlb_ubc = &r->ubc };
	unsigned long at = WADDR;
	uint64_t v;

	switch (r->op) {
	case WOP_DONTNEED:
		do_madvise(r->mm, WADDR, PAGE_SIZE, MADV_DONTNEED);
		break;
	case WOP_FREE_RECLAIM:
		do_madvise(r->mm, WADDR, PAGE_SIZE, MADV_FREE);
		kswapd_shrink(r->mmw, &sc);
		break;
	case WOP_MREMAP:
		at = do_mremap(r->mm, WADDR, PAGE_SIZE, PAGE_SIZE,
			       MREMAP_MAYMOVE | MREMAP_FIXED, WTARGET);
		break;
	case WOP_MUNMAP:
		vm_munmap(r->mm, WADDR, PAGE_SIZE);
		break;
	}
	cpu_read(c, r->mm, at + 8, &v);
}

static int wrace_setup(struct world *w, void *arg)
{
	struct wrace *r = arena_alloc(w, sizeof(*r));

	memset(r, 0, sizeof(*r));
	r->op = *(enum wop *)arg;
	r->mmw = mm_world_get(w, 1024, 2);
	if (!r->mmw)
		return -ENOMEM;
	r->mm = mm_alloc(r->mmw);
	if (vm_mmap(r->mm, NULL, WADDR, PAGE_SIZE, RW, ANON | MAP_FIXED, 0) !=
		    WADDR ||
	    cpu_write(mm_cpu(r->mmw, 0), r->mm, WADDR + 8, 7))
		return -EFAULT;
	w->priv = r;
	if (!agent_create(w, "writer", wrace_writer, r) ||
	    !agent_create(w, "op", wrace_op, r))
		return -EAGAIN;
	return 0;
}

static void wrace_check(struct world *w, void *arg)
{
	struct wrace *r = w->priv;

	mm_check_quiescent(r->mmw);
	cpu_idle(mm_cpu(r->mmw, 0));
	cpu_idle(mm_cpu(r->mmw, 1));
	mmput(r->mm);
	phys_check_leaks(r->mmw->pm, 0);
}

static void test_writes_racing_ops_clean(void **state)
{
	enum wop ops[] = { WOP_DONTNEED, WOP_FREE_RECLAIM, WOP_MREMAP,
			   WOP_MUNMAP };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		struct model m = { .name = "write-race",
				   .setup = wrace_setup,
				   .check = wrace_check,
				   .arg = &ops[i] };

		explore_clean(&m, STRAT_RANDOM, 500, -1);
		/*
		 * With MADV_FREE + reclaim, DFS bound 2 and PCT once found a
		 * fault-livelock: a swap fault that found neither the swap
		 * cache nor the slot retried without waiting on the PTL for
		 * the fault that had freed the slot (do_swap_page_backout).
		 */
		explore_clean(&m, STRAT_DFS, 0, 2);
		explore_clean(&m, STRAT_PCT, 500, -1);
	}
}

static struct model race_model(struct mm_race_opts *o)
{
	return (struct model){ .name = "mm-race",
			       .setup = mm_race_setup,
			       .check = mm_race_check,
			       .arg = o };
}

/* the oracle is the first to see these injected bugs */
static void expect_oracle_finds(const struct model *m, enum strategy s,
				unsigned long iters, int bound,
				const char *kind)
{
	struct explore_opts o = xopts(s, iters, bound);
	struct explore_result r;

	assert_int_equal(explore(m, &o, &r), 0);
	assert_true(r.first_violation > 0);
	assert_string_equal(r.first_kind, kind);
	assert_non_null(strstr(r.first_report, "oracle:"));
	explore_result_free(&r);
}

static void test_injected_bugs_found(void **state)
{
	struct mm_race_opts o = { .op = MM_RACE_FORK,
				  .inject_no_flush = true,
				  .no_quiescent = true,
				  .iters = 3 };
	struct model m = race_model(&o);

	(void)state;
	expect_oracle_finds(&m, STRAT_DFS, 0, 2, "value");
	o = (struct mm_race_opts){ .op = MM_RACE_TRUNCATE,
				   .inject_no_flush = true,
				   .no_quiescent = true,
				   .iters = 3,
				   .cold = true };
	m = race_model(&o);
	expect_oracle_finds(&m, STRAT_DFS, 0, 2, "access-after-truncate");
	expect_oracle_finds(model_by_name("read-vs-dontneed-nonested"),
			    STRAT_DFS, 0, 2, "value");
	expect_oracle_finds(shipped_with("reclaim-vs-munmap", NULL,
					 "rmap.batched_flush_pending=false",
					 NULL),
			    STRAT_DFS, 0, 2, "access-after-munmap");
	expect_oracle_finds(shipped_with("reclaim-vs-mprotect", NULL,
					 "rmap.batched_flush_pending=false",
					 NULL),
			    STRAT_DFS, 0, 2, "permission");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_on_in_det_off_in_real),
		T(test_anon_zero_then_writes),
		T(test_dontneed_zero),
		T(test_madv_free_old_or_zero),
		T(test_mremap_moves_values),
		T(test_fork_snapshot_and_cow),
		T(test_fork_noflush_reported),
		T(test_shared_file_two_mms),
		T(test_truncate_sigbus),
		T(test_transparent_ops_keep_values),
		T(test_mprotect_permission),
		T(test_munmap_noflush_reported),
		T(test_spurious_fault),
		cmocka_unit_test(test_clean_models_stay_clean),
		cmocka_unit_test(test_writes_racing_ops_clean),
		cmocka_unit_test(test_injected_bugs_found),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
