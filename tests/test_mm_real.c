// SPDX-License-Identifier: MIT
/*
 * Suites "unit" and "real": the primary MMU on genuine parallel threads
 * (the real engine), so ThreadSanitizer sees every shared access of
 * src/mm.  Three agents on three CPUs share one mm: one maps, writes,
 * protects, drops and unmaps regions of its own in a loop; one hammers a
 * shared region and checks its values, and pokes a shared file mapping
 * that another agent truncates and regrows; one forks the mm and checks
 * COW isolation.  The checker must stay silent and exit must free every
 * frame.  The built-in race models also run here.
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
#include "core/locking.h"
#include "core/rcu.h"
#include "engine/engine.h"
#include "fs/proc_fs.h"
#include "mm/mm.h"
#include "mm/tlb.h"
#include "scenario/builtin.h"

#include "explore_helpers.h"
#include "shipped.h"

#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define SHARED_PAGES 8
#define ROUNDS 150
#define FILE_PAGES 4

struct stress {
	struct mm_world *mmw;
	struct mm_struct *mm;
	unsigned long shared; /* SHARED_PAGES pages, written by "hammer" */
	unsigned long scratch; /* the mapper's current region, or 0 */
	struct file *file; /* FILE_PAGES, truncated and regrown */
	unsigned long fmap; /* its shared mapping */
	int failures; /* agent-side assertion failures */
};

static void stress_fail(struct stress *s, const char *what, long a, long b)
{
	report_add(s->mmw->w, "test-failure", "%s: %s (%ld, %ld)\n",
		   current->name, what, a, b);
	__atomic_add_fetch(&s->failures, 1, __ATOMIC_RELAXED);
}

/* maps, uses and unmaps private regions, racing with the others */
static void mapper(void *arg)
{
	struct stress *s = arg;
	struct cpu *cpu = mm_cpu(s->mmw, 0);
	uint64_t v;
	int i, ret;

	for (i = 0; i < ROUNDS; i++) {
		unsigned long a =
			vm_mmap(s->mm, NULL, 0, 4 * PAGE_SIZE, RW, ANON, 0);

		if (IS_ERR_VALUE(a)) {
			stress_fail(s, "mmap", (long)a, i);
			return;
		}
		__atomic_store_n(&s->scratch, a, __ATOMIC_RELEASE);
		if (cpu_write(cpu, s->mm, a + PAGE_SIZE, i + 1) ||
		    cpu_read(cpu, s->mm, a + PAGE_SIZE, &v) ||
		    v != (uint64_t)i + 1)
			stress_fail(s, "write/read", i, (long)v);
		do_mprotect_pkey(s->mm, a, 2 * PAGE_SIZE, PROT_READ, -1);
		ret = cpu_write(cpu, s->mm, a + PAGE_SIZE, 7);
		if (ret != CPU_SIGSEGV)
			stress_fail(s, "write to a read-only page", ret, i);
		do_mprotect_pkey(s->mm, a, 2 * PAGE_SIZE, RW, -1);
		do_madvise(s->mm, a, 4 * PAGE_SIZE, MADV_DONTNEED);
		if (cpu_read(cpu, s->mm, a + PAGE_SIZE, &v) || v)
			stress_fail(s, "zero after DONTNEED", i, (long)v);
		__atomic_store_n(&s->scratch, 0UL, __ATOMIC_RELEASE);
		if (vm_munmap(s->mm, a, 4 * PAGE_SIZE))
			stress_fail(s, "munmap", i, 0);
		if (cpu_read(cpu, s->mm, a, &v) != CPU_SIGSEGV)
			stress_fail(s, "read after munmap", i, 0);
	}
}

/* writes and reads the shared region, pokes at the mapper's region */
static void hammer(void *arg)
{
	struct stress *s = arg;
	struct cpu *cpu = mm_cpu(s->mmw, 1);
	uint64_t v;
	int i, p;

	for (i = 0; i < ROUNDS * 4; i++) {
		unsigned long a;

		p = i % SHARED_PAGES;
		if (cpu_write(cpu, s->mm, s->shared + p * PAGE_SIZE, i) ||
		    cpu_read(cpu, s->mm, s->shared + p * PAGE_SIZE, &v) ||
		    v != (uint64_t)i)
			stress_fail(s, "shared write/read", i, (long)v);
		/* may fault, or see 0 or the mapper's value: never crash */
		a = __atomic_load_n(&s->scratch, __ATOMIC_ACQUIRE);
		if (a)
			cpu_read(cpu, s->mm, a + 2 * PAGE_SIZE, &v);
		/* the file may be truncated under us: SIGBUS or a value */
		p = i % FILE_PAGES;
		cpu_write(cpu, s->mm, s->fmap + p * PAGE_SIZE, i);
		cpu_read(cpu, s->mm, s->fmap + p * PAGE_SIZE + 8, &v);
	}
}

/* shrinks the file to nothing and grows it back, writing through it */
static void truncater(void *arg)
{
	struct stress *s = arg;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		if (vfs_truncate(s->file, i % 2 ? PAGE_SIZE + 8 : 0) ||
		    filemap_write_word(s->file, 8, i) ||
		    vfs_truncate(s->file, FILE_PAGES * PAGE_SIZE))
			stress_fail(s, "truncate", i, 0);
	}
}

/* forks, and checks each side keeps its own copy */
static void forker(void *arg)
{
	struct stress *s = arg;
	struct cpu *cpu = mm_cpu(s->mmw, 2);
	uint64_t v;
	int i;

	for (i = 0; i < ROUNDS / 5; i++) {
		struct mm_struct *child = dup_mm(s->mm);
		unsigned long a = s->shared + (SHARED_PAGES - 1) * PAGE_SIZE;

		if (!child) {
			stress_fail(s, "fork", i, 0);
			return;
		}
		if (cpu_write(cpu, child, a + 8, 1000 + i) ||
		    cpu_read(cpu, child, a + 8, &v) || v != 1000 + (uint64_t)i)
			stress_fail(s, "child write/read", i, (long)v);
		if (cpu_read(cpu, s->mm, a + 8, &v) || v == 1000 + (uint64_t)i)
			stress_fail(s, "the parent saw the child's write", i,
				    (long)v);
		cpu_idle(cpu);
		mmput(child);
	}
}

/*
 * clears soft-dirty over and over while the others work (the checker's
 * missed-dirty test runs on every write meanwhile); the shared pages stay
 * mapped, so pagemap must report them present
 */
static void tracker(void *arg)
{
	struct stress *s = arg;
	uint64_t e;
	int i;

	for (i = 0; i < ROUNDS / 5; i++) {
		if (clear_refs_write(s->mm, CLEAR_REFS_SOFT_DIRTY))
			stress_fail(s, "clear_refs", i, 0);
		if (pagemap_read_entry(s->mm, s->shared, &e) ||
		    !(e & PM_PRESENT))
			stress_fail(s, "pagemap of a mapped page", i, (long)e);
	}
}

static void run_stress(unsigned delay)
{
	struct world_opts o = { .engine = ENGINE_REAL,
				.real_delay_pct = delay,
				.seed = 3 };
	struct world *w = world_create(&o);
	struct stress *s;
	int i;

	assert_non_null(w);
	s = arena_alloc(w, sizeof(*s));
	s->mmw = mm_world_get(w, 8192, 3);
	assert_non_null(s->mmw);
	s->mm = mm_alloc(s->mmw);
	assert_non_null(s->mm);
	s->shared =
		vm_mmap(s->mm, NULL, 0, SHARED_PAGES * PAGE_SIZE, RW, ANON, 0);
	assert_false(IS_ERR_VALUE(s->shared));
	for (i = 0; i < SHARED_PAGES; i++)
		assert_int_equal(cpu_write(mm_cpu(s->mmw, 1), s->mm,
					   s->shared + i * PAGE_SIZE, 1),
				 0);
	s->file = shmem_file_setup(s->mmw, FILE_PAGES * PAGE_SIZE);
	assert_non_null(s->file);
	s->fmap = vm_mmap(s->mm, s->file, 0, FILE_PAGES * PAGE_SIZE, RW,
			  MAP_SHARED, 0);
	assert_false(IS_ERR_VALUE(s->fmap));
	assert_non_null(agent_create(w, "mapper", mapper, s));
	assert_non_null(agent_create(w, "truncater", truncater, s));
	assert_non_null(agent_create(w, "hammer", hammer, s));
	assert_non_null(agent_create(w, "forker", forker, s));
	assert_non_null(agent_create(w, "tracker", tracker, s));
	assert_int_equal(world_run(w), 0);

	mm_check_quiescent(s->mmw);
	for (i = 0; i < 3; i++)
		cpu_idle(mm_cpu(s->mmw, i));
	mmput(s->mm);
	fput(s->file);
	phys_check_leaks(s->mmw->pm, 0);
	if (w->nr_reports)
		report_print_all(w, stderr);
	assert_int_equal(w->nr_reports, 0);
	assert_int_equal(s->failures, 0);
	assert_int_equal(phys_nr_allocated(s->mmw->pm), 0);
	world_destroy(w);
}

static void test_mm_stress(void **state)
{
	(void)state;
	run_stress(0);
}

static void test_mm_stress_delays(void **state)
{
	(void)state;
	run_stress(30);
}

/*
 * One agent maps, touches and unmaps in a tight loop on a small machine.
 * Every munmap hands its page tables to call_rcu(); liburcu's callback
 * thread frees them some time later, so a lone fast thread can find every
 * frame waiting for a grace period.  The allocator's slow path must wait
 * for those callbacks rather than fail (the kernel would reclaim).
 */
#define CHURN_ROUNDS 3000
#define CHURN_FRAMES 48

struct churn {
	struct mm_world *mmw;
	struct mm_struct *mm;
	int failed_round; /* first failing round, or -1 */
};

static void churner(void *arg)
{
	struct churn *c = arg;
	struct cpu *cpu = mm_cpu(c->mmw, 0);
	int i;

	for (i = 0; i < CHURN_ROUNDS; i++) {
		unsigned long a =
			vm_mmap(c->mm, NULL, 0, 2 * PAGE_SIZE, RW, ANON, 0);

		if (IS_ERR_VALUE(a) || cpu_write(cpu, c->mm, a, i) ||
		    cpu_write(cpu, c->mm, a + PAGE_SIZE, i) ||
		    vm_munmap(c->mm, a, 2 * PAGE_SIZE)) {
			c->failed_round = i;
			return;
		}
	}
	cpu_idle(cpu);
}

static void test_rcu_freed_tables_reused(void **state)
{
	struct world *w = world_create(
		&(struct world_opts){ .engine = ENGINE_REAL, .seed = 5 });
	struct churn *c;

	(void)state;
	assert_non_null(w);
	c = arena_alloc(w, sizeof(*c));
	c->failed_round = -1;
	c->mmw = mm_world_get(w, CHURN_FRAMES, 1);
	assert_non_null(c->mmw);
	c->mm = mm_alloc(c->mmw);
	assert_non_null(c->mm);
	assert_non_null(agent_create(w, "churner", churner, c));
	assert_int_equal(world_run(w), 0);
	if (w->nr_reports)
		report_print_all(w, stderr);
	assert_int_equal(c->failed_round, -1);
	assert_int_equal(w->nr_reports, 0);
	mmput(c->mm);
	rcu_barrier_world(w);
	assert_int_equal(phys_nr_allocated(c->mmw->pm), 0);
	world_destroy(w);
}

/* the explorer's models, on real threads */
static void test_race_models_real(void **state)
{
	static const char *const clean[] = {
		"fault-vs-munmap",  "fault-vs-mprotect", "fault-vs-truncate",
		"read-vs-dontneed", "write-vs-fork",	 "write-vs-clear-refs",
	};
	struct explore_result r;
	unsigned i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(clean); i++)
		real_expect_clean(model_by_name(clean[i]), 50, 30);
	/* the quiescent check catches the missing flush on any schedule */
	assert_int_equal(run_real(model_by_name("fault-vs-munmap-noflush"), 5, 0,
				  1, &r),
			 0);
	assert_int_equal(r.violating, 5);
	assert_string_equal(r.first_kind, "stale-tlb");
	explore_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mm_stress),
		cmocka_unit_test(test_mm_stress_delays),
		cmocka_unit_test(test_race_models_real),
		cmocka_unit_test(test_rcu_freed_tables_reused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
