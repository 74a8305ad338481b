// SPDX-License-Identifier: MIT
/*
 * Suite "unit": the PCI device model (src/pci) and vfio-pci's BAR
 * mappings (src/vfio) through the pci scenario ops and the C API.
 *
 *  - every op against a device, once, in each design that can run it:
 *    faults per page (unmap_mapping_range) or per VMA (the vma_list
 *    designs), SIGBUS and -EIO while decode is off, the value written
 *    through the mapping read back through the file, EINVAL for an mmap
 *    past the BAR or of a region that is not a BAR;
 *  - before CVE-2020-12888's fix the same sequence reaches the BAR while
 *    decode is off (mmio-while-disabled);
 *  - the rejected memory_lock_outer order is a lockdep-circular report
 *    from one thread, and the vma_list order is not;
 *  - bad input gives FILE:LINE:COL;
 *  - C API: a fault without FAULT_FLAG_ALLOW_RETRY under the trylock
 *    design gets SIGBUS while memory_lock is held for write, and one
 *    with ALLOW_RETRY waits and retries; BAR frames are device frames,
 *    never on the free lists;
 *  - `real`: a racing scenario on real threads, per design, clean.
 *
 * usage: test_vfio_pci [real]
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/policy.h"
#include "engine/engine.h"
#include "mm/mm.h"
#include "mm/tlb.h"
#include "scenario/mm_models.h"
#include "scenario/scenario.h"
#include "vfio/vfio_pci_core.h"

static struct scenario *load(const char *text, char *err, size_t len)
{
	return scenario_load_buffer("t.yaml", text, strlen(text), err, len);
}

/* explore @text with its own policy plus vfio_pci.design=@design */
static void run_design(const char *text, const char *design, enum strategy s,
		       unsigned long iters, int bound, struct explore_result *r)
{
	struct explore_opts o = { .strategy = s,
				  .seed = 1,
				  .iterations = iters,
				  .bound = bound,
				  .stop_on_violation = true,
				  .progress_fd = -1 };
	struct scenario *sc;
	char err[512];

	sc = load(text, err, sizeof(err));
	if (!sc)
		print_error("%s\n", err);
	assert_non_null(sc);
	if (design)
		assert_int_equal(policy_set(&sc->policy, "vfio_pci.design",
					    design, err, sizeof(err)),
				 0);
	o.stop_kind = sc->expect;
	assert_int_equal(explore(scenario_model(sc), &o, r), 0);
	if (r->first_report && !sc->expect)
		print_error("%s\n", r->first_report);
	scenario_free(sc);
}

/*
 * One thread does everything.  %s: the number of faults of the BAR0
 * mapping (4 pages, each read once before the memory bit goes off).
 */
static const char ops_fmt[] =
	"name: ops\n"
	"world:\n"
	"  cpus: 2\n"
	"  memory: {frames: 256}\n"
	"  processes: [p]\n"
	"  pci_devices: {gpu: {bars: [4, 2]}}\n"
	"agents:\n"
	"  - name: user\n"
	"    ops:\n"
	"      - vfio_pci_mmap: {device: gpu, proc: p, bar: 0, as: bar0}\n"
	"      - write: {proc: p, cpu: 0, region: bar0, value: 5}\n"
	"      - read: {proc: p, cpu: 1, region: bar0, expect: 5}\n"
	"      - read: {proc: p, cpu: 0, region: bar0, offset: 4096, expect: 0}\n"
	"      - read: {proc: p, cpu: 0, region: bar0, offset: 8192, expect: 0}\n"
	"      - read: {proc: p, cpu: 0, region: bar0, offset: 12288, expect: 0}\n"
	"      - vfio_pci_bar_read: {device: gpu, bar: 0, offset: 0, expect: 5}\n"
	"      - vfio_pci_bar_write: {device: gpu, bar: 0, offset: 8, value: 9, expect: ok}\n"
	"      - read: {proc: p, cpu: 0, region: bar0, offset: 8, expect: 9}\n"
	"      - pci_config_write: {device: gpu, command: master}\n"
	"      - read: {proc: p, cpu: 0, region: bar0, expect: sigbus}\n"
	"      - write: {proc: p, cpu: 1, region: bar0, value: 1, expect: sigbus}\n"
	"      - vfio_pci_bar_read: {device: gpu, bar: 0, expect: EIO}\n"
	"      - vfio_pci_bar_write: {device: gpu, bar: 1, value: 1, expect: EIO}\n"
	"      - pci_config_write: {device: gpu, command: memory|master}\n"
	"      - read: {proc: p, cpu: 0, region: bar0, expect: 5}\n"
	"      - pci_reset: gpu\n"
	"      - pci_set_power: {device: gpu, state: D3hot}\n"
	"      - read: {proc: p, cpu: 0, region: bar0, expect: sigbus}\n"
	"      - vfio_pci_bar_read: {device: gpu, expect: EIO}\n"
	"      - pci_set_power: {device: gpu, state: D0}\n"
	"      - read: {proc: p, cpu: 1, region: bar0, expect: 5}\n"
	"      - vfio_pci_mmap: {device: gpu, proc: p, bar: 1, len: 12288, expect: EINVAL}\n"
	"      - vfio_pci_mmap: {device: gpu, proc: p, bar: 1, offset: 8192, expect: EINVAL}\n"
	"      - vfio_pci_mmap: {device: gpu, proc: p, bar: 6, expect: EINVAL}\n"
	"      - vfio_pci_mmap: {device: gpu, proc: p, bar: 3, expect: EINVAL}\n"
	"      - vfio_pci_mmap: {device: gpu, proc: p, bar: 1, offset: 4096, as: bar1}\n"
	"      - read: {proc: p, cpu: 0, region: bar1, expect: 0}\n"
	"      - munmap: {proc: p, region: bar0}\n"
	"      - read: {proc: p, cpu: 0, region: bar0, expect: sigsegv}\n"
	"final:\n"
	"  - vfio_pci_faults gpu == %s\n"
	"  - vfio_pci_sigbus gpu == 3\n"
	"  - vfio_pci_zaps gpu == 3\n"
	"  - pci_decode gpu == 1\n"
	"%s"
	"expect: %s\n";

static void run_ops(const char *design, const char *faults, const char *policy,
		    const char *expect, struct explore_result *r)
{
	char text[sizeof(ops_fmt) + 256];

	snprintf(text, sizeof(text), ops_fmt, faults, policy, expect);
	run_design(text, design, STRAT_RANDOM, 1, -1, r);
}

static void test_ops_each_design(void **state)
{
	/*
	 * faults: unmap_mapping_range maps the faulting page only: 4 pages
	 * + 2 refaults (after the memory bit and D0 come back) + the bar1
	 * page; a vma_list design maps the whole VMA: 1 + 2 + 1; plus the
	 * 3 faults that get SIGBUS in both
	 */
	static const struct {
		const char *design, *faults;
	} cases[] = {
		{ "unmap_mapping_range", "10" },
		{ "vma_list", "7" },
		{ "vma_list_trylock", "7" },
		{ "pause_faults", "7" },
		{ "vma_list_5_8", "7" },
	};
	struct explore_result r;
	unsigned i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		run_ops(cases[i].design, cases[i].faults, "", "clean", &r);
		if (r.violating)
			print_error("design %s: %s\n", cases[i].design,
				    r.first_report);
		assert_int_equal(r.violating, 0);
		explore_result_free(&r);
	}
}

/* the same sequence before the fix: the CPU reaches the disabled BAR */
static void test_ops_before_fix(void **state)
{
	struct explore_result r;

	(void)state;
	run_ops(NULL, "0",
		"policy: {set: {vfio_pci.zap_on_memory_disable: false}}\n",
		"mmio-while-disabled", &r);
	assert_int_equal(r.violating, 1);
	assert_string_equal(r.first_kind, "mmio-while-disabled");
	assert_non_null(strstr(r.first_report, "BAR0 of gpu"));
	explore_result_free(&r);
}

static const char abba[] =
	"name: abba\n"
	"world:\n"
	"  cpus: 1\n"
	"  memory: {frames: 256}\n"
	"  processes: [p]\n"
	"  pci_devices: {gpu: {bars: 1}}\n"
	"agents:\n"
	"  - name: user\n"
	"    ops:\n"
	"      - vfio_pci_mmap: {device: gpu, proc: p, as: bar0}\n"
	"      - read: {proc: p, region: bar0}\n"
	"      - pci_config_write: {device: gpu, command: none}\n"
	"      - read: {proc: p, region: bar0, expect: sigbus}\n"
	"expect: lockdep-circular\n";

/* lockdep: the rejected order reports both chains, the merged one none */
static void test_lock_orders(void **state)
{
	static const char *const clean[] = { "unmap_mapping_range", "vma_list",
					     "vma_list_trylock", "pause_faults",
					     "vma_list_5_8" };
	struct explore_result r;
	unsigned i;

	(void)state;
	run_design(abba, "memory_lock_outer", STRAT_RANDOM, 1, -1, &r);
	assert_int_equal(r.violating, 1);
	assert_string_equal(r.first_kind, "lockdep-circular");
	assert_non_null(strstr(r.first_report, "memory_lock"));
	assert_non_null(strstr(r.first_report, "vma_lock"));
	explore_result_free(&r);
	for (i = 0; i < ARRAY_SIZE(clean); i++) {
		run_design(abba, clean[i], STRAT_RANDOM, 1, -1, &r);
		if (r.violating)
			print_error("%s: %s\n", clean[i], r.first_report);
		assert_int_equal(r.violating, 0);
		explore_result_free(&r);
	}
}

/* the shipped deadlock entry: found under the rejected order */
static const char deadlock[] =
	"name: dl\n"
	"world:\n"
	"  cpus: 2\n"
	"  memory: {frames: 256}\n"
	"  processes: [p]\n"
	"  pci_devices: {gpu: {bars: [1]}}\n"
	"agents:\n"
	"  - name: setup\n"
	"    ops: [{vfio_pci_mmap: {device: gpu, proc: p, as: bar0}}]\n"
	"  - name: toucher\n"
	"    ops: [{wait: setup}, {read: {proc: p, region: bar0}}]\n"
	"  - name: config\n"
	"    ops: [{wait: setup}, {pci_config_write: {device: gpu, command: master}}]\n"
	"expect: deadlock\n";

static void test_deadlock(void **state)
{
	struct explore_result r;

	(void)state;
	run_design(deadlock, "memory_lock_outer", STRAT_DFS, 0, 2, &r);
	assert_true(r.violating >= 1);
	assert_true(r.first_hit);
	explore_result_free(&r);
	run_design(deadlock, "vma_list", STRAT_DFS, 0, 2, &r);
	assert_int_equal(r.violating, 0);
	assert_true(r.exhausted);
	explore_result_free(&r);
}

static void test_load_errors(void **state)
{
	static const struct {
		const char *ops, *msg;
	} cases[] = {
		{ "[{vfio_pci_mmap: {device: nic, proc: p}}]",
		  "t.yaml:7:36: 'nic' is not defined in 'world'" },
		{ "[{vfio_pci_mmap: {device: gpu, proc: p, bar: 2}}]",
		  "t.yaml:7:55: BAR index 2 out of range: PCI device 'gpu' has 2 BARs (0..1)" },
		{ "[{vfio_pci_mmap: {device: gpu, proc: p, bar: 9}}]",
		  "t.yaml:7:55: 'vfio_pci_mmap' parameter 'bar': 9 is out of range [0, 8]" },
		{ "[{vfio_pci_mmap: {device: gpu, proc: p, offset: 12}}]",
		  "t.yaml:7:58: 'offset': 0xc is not page-aligned (4096)" },
		{ "[{pci_config_write: {device: gpu, command: memory|dma}}]",
		  "t.yaml:7:53: 'command': 'memory|dma' is not none, a number or bits memory|io|master" },
		{ "[{pci_set_power: {device: gpu, state: D3cold}}]",
		  "t.yaml:7:48: 'state': 'D3cold' is not D0 or D3hot" },
		{ "[{vfio_pci_bar_read: {device: gpu, bar: 1, offset: 8192}}]",
		  "t.yaml:7:61: 'offset': 0x2000 is past the end of BAR1 (0x2000 bytes)" },
		{ "[{vfio_pci_bar_read: {device: gpu, offset: 4}}]",
		  "t.yaml:7:53: 'offset': 0x4 is not 8-byte aligned" },
		{ "[{vfio_pci_bar_read: {device: gpu, expect: EPERM}}]",
		  "t.yaml:7:53: 'vfio_pci_bar_read' parameter 'expect': 'EPERM' is not ok, any, a value, or one of" },
	};
	static const char *const worlds[] = {
		"pci_devices: {gpu: {bars: []}}",
		"pci_devices: {gpu: {bars: [1, 2, 3, 4, 5, 6, 7]}}",
		"pci_devices: {gpu: {bars: [0]}}",
		"pci_devices: {gpu: {size: 4}}",
		"pci_devices: {gpu: 4}",
	};
	static const char *const world_msgs[] = {
		"t.yaml:6:29: 'bars' must be a page count or a list of 1 to 6 page counts",
		"t.yaml:6:29: 'bars' must be a page count or a list of 1 to 6 page counts",
		"t.yaml:6:30: a BAR's size in pages: 0 is out of range [1, 1048576]",
		"t.yaml:6:23: unknown key 'size' in a PCI device (bars)",
		"t.yaml:6:22: a PCI device's settings must be a map {bars: [PAGES, ...]}",
	};
	char text[1024], err[512];
	unsigned i, bad = 0;
	struct scenario *sc;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(text, sizeof(text),
			 "name: e\nworld:\n  processes: [p]\n"
			 "  pci_devices: {gpu: {bars: [1, 2]}}\n"
			 "agents:\n  - name: a\n    ops: %s\n",
			 cases[i].ops);
		sc = load(text, err, sizeof(err));
		if (sc || strncmp(err, cases[i].msg, strlen(cases[i].msg))) {
			print_error("case %u: got '%s'\n", i, sc ? "" : err);
			bad++;
		}
		scenario_free(sc);
	}
	for (i = 0; i < ARRAY_SIZE(worlds); i++) {
		snprintf(text, sizeof(text),
			 "name: e\nworld:\n  processes: [p]\n  cpus: 1\n"
			 "  memory: {frames: 64}\n  %s\n"
			 "agents:\n  - name: a\n    ops: [sched]\n",
			 worlds[i]);
		sc = load(text, err, sizeof(err));
		if (sc || strncmp(err, world_msgs[i], strlen(world_msgs[i]))) {
			print_error("world %u: got '%s'\n", i, sc ? "" : err);
			bad++;
		}
		scenario_free(sc);
	}
	assert_int_equal(bad, 0);
}

/* ---- C API: the trylock design's fault without ALLOW_RETRY ---- */

#define T_ADDR 0x40000000UL

struct tl {
	struct mm_world *mmw;
	struct mm_struct *mm;
	struct pci_dev pdev;
	struct vfio_pci_core_device vdev;
	struct completion locked, faulted;
	vm_fault_t nowait, retry;
};

/* holds memory_lock for write until the faulter has tried */
static void tl_writer(void *arg)
{
	struct tl *t = arg;

	down_write(&t->vdev.memory_lock);
	complete(&t->locked);
	wait_for_completion(&t->faulted);
	up_write(&t->vdev.memory_lock);
}

static void tl_faulter(void *arg)
{
	struct tl *t = arg;
	struct vm_area_struct *vma;
	uint64_t v = 0;

	wait_for_completion(&t->locked);
	mmap_read_lock(t->mm);
	vma = find_vma(t->mm, T_ADDR);
	/* GUP / hmm_range_fault: no FAULT_FLAG_ALLOW_RETRY */
	t->nowait = handle_mm_fault(vma, T_ADDR, 0);
	mmap_read_unlock(t->mm);
	complete(&t->faulted);
	/* a CPU access retries (the writer lets go) and succeeds */
	if (cpu_read(mm_cpu(t->mmw, 0), t->mm, T_ADDR, &v) || v != 3)
		report_add(t->mmw->w, "value", "read %d/%llu\n", -1,
			   (unsigned long long)v);
}

static int tl_setup(struct world *w, void *arg)
{
	struct tl *t = arena_alloc(w, sizeof(*t));
	unsigned long pages = 2;
	uint64_t v = 3;

	(void)arg;
	t->mmw = mm_world_get(w, 256, 1);
	if (!t->mmw)
		return -ENOMEM;
	t->mm = mm_alloc(t->mmw);
	if (pci_dev_init(&t->pdev, t->mmw, "gpu", &pages, 1) ||
	    vfio_pci_core_init_dev(&t->vdev, &t->pdev))
		return -ENOMEM;
	if (vfio_pci_mmap_bar(&t->vdev, t->mm, 0, T_ADDR, 2 * PAGE_SIZE, 0,
			      true) != T_ADDR)
		return -EINVAL;
	if (pci_bar_access(&t->pdev, 0, 0, true, &v))
		return -EIO;
	init_completion(w, &t->locked);
	init_completion(w, &t->faulted);
	w->priv = t;
	if (!agent_create(w, "writer", tl_writer, t) ||
	    !agent_create(w, "faulter", tl_faulter, t))
		return -EAGAIN;
	return 0;
}

static void tl_check(struct world *w, void *arg)
{
	struct tl *t = w->priv;
	struct page *page = pfn_to_page(t->mmw->pm, t->pdev.bar[0].start_pfn);

	(void)arg;
	if (t->nowait != VM_FAULT_SIGBUS)
		report_add(w, "value", "fault without ALLOW_RETRY: %#x\n",
			   t->nowait);
	/* a BAR frame is a device frame, not the allocator's */
	if (page_state(page) != PAGE_STATE_DEVICE || PageBuddy(page))
		report_add(w, "value", "BAR frame state %s\n",
			   page_state_name(page_state(page)));
	cpu_idle(mm_cpu(t->mmw, 0));
	mmput(t->mm);
	phys_check_leaks(t->mmw->pm, PAGE_STATE_BIT(PAGE_STATE_DEVICE));
}

static const struct model model_trylock = { "vfio-pci-trylock",
					    "fault without ALLOW_RETRY",
					    tl_setup, tl_check, NULL };

static void test_trylock_no_retry(void **state)
{
	struct explore_opts o = { .strategy = STRAT_DFS,
				  .seed = 1,
				  .bound = 2,
				  .stop_on_violation = true,
				  .progress_fd = -1 };
	struct explore_result r;
	struct policy_model pm;
	struct policy p;

	(void)state;
	policy_init_default(&p);
	assert_int_equal(policy_set(&p, "vfio_pci.design", "vma_list_trylock",
				    NULL, 0),
			 0);
	policy_model_init(&pm, &model_trylock, &p);
	assert_int_equal(explore(&pm.m, &o, &r), 0);
	if (r.first_report)
		print_error("%s\n", r.first_report);
	assert_int_equal(r.violating, 0);
	assert_true(r.exhausted);
	explore_result_free(&r);
}

/* ---- the real engine (suite real, run under TSan) ---- */

static const char race[] =
	"name: race\n"
	"world:\n"
	"  cpus: 2\n"
	"  memory: {frames: 256}\n"
	"  processes: [p]\n"
	"  pci_devices: {gpu: {bars: [2]}}\n"
	"agents:\n"
	"  - name: setup\n"
	"    ops: [{vfio_pci_mmap: {device: gpu, proc: p, as: bar0}}]\n"
	"  - name: user\n"
	"    repeat: 20\n"
	"    ops:\n"
	"      - wait: setup\n"
	"      - {write: {proc: p, cpu: 0, region: bar0, value: 7}}\n"
	"      - {read: {proc: p, cpu: 1, region: bar0, offset: 4096}}\n"
	"  - name: config\n"
	"    repeat: 10\n"
	"    ops:\n"
	"      - wait: setup\n"
	"      - {pci_config_write: {device: gpu, command: master}}\n"
	"      - {pci_config_write: {device: gpu, command: memory|master}}\n"
	"      - {pci_reset: gpu}\n"
	"      - {vfio_pci_bar_read: {device: gpu, offset: 8}}\n";

/* real threads and real locks: no access ever reaches a disabled BAR */
static void test_real_designs(void **state)
{
	static const char *const designs[] = { "unmap_mapping_range",
					       "vma_list", "vma_list_trylock" };
	struct explore_result r;
	struct scenario *sc;
	char err[512];
	unsigned i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(designs); i++) {
		sc = load(race, err, sizeof(err));
		assert_non_null(sc);
		assert_int_equal(policy_set(&sc->policy, "vfio_pci.design",
					    designs[i], err, sizeof(err)),
				 0);
		assert_int_equal(run_real(scenario_model(sc), 10, 30, 1, &r),
				 0);
		if (r.violating)
			print_error("%s: %s\n", designs[i], r.first_report);
		assert_int_equal(r.executions, 10);
		assert_int_equal(r.violating, 0);
		explore_result_free(&r);
		scenario_free(sc);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest real_tests[] = {
		cmocka_unit_test(test_real_designs),
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ops_each_design),
		cmocka_unit_test(test_ops_before_fix),
		cmocka_unit_test(test_lock_orders),
		cmocka_unit_test(test_deadlock),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_trylock_no_retry),
	};

	if (argc > 1 && !strcmp(argv[1], "real"))
		return cmocka_run_group_tests(real_tests, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
