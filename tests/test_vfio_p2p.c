// SPDX-License-Identifier: MIT
/*
 * Suite "unit": VFIO type1 mapping another device's BAR for peer-to-peer
 * DMA (vaddr_get_pfns -> follow_fault_pfn on a vfio-pci BAR mmap) and
 * what happens to that IOMMU mapping when the BAR stops decoding.
 *
 *  - in every vfio-pci design, VFIO_IOMMU_MAP_DMA of a BAR mapping
 *    succeeds with RLIMIT_MEMLOCK 0 (the frames are not pinned or
 *    charged) while the same map of anonymous memory gets ENOMEM; the
 *    peer's DMA write is read back by the CPU through the BAR mapping,
 *    and a map while decode is off gets EFAULT (the fault's SIGBUS);
 *  - after each way of turning decode off (COMMAND.MEMORY cleared,
 *    D3hot) the CPU gets SIGBUS but the peer's DMA still reaches the
 *    device: mmio-while-disabled, Linux's behaviour;
 *  - a peer DMA racing pci_reset lands in the reset window in some
 *    interleaving (DFS finds it), and one ordered after it does not;
 *  - a BAR mapping is replayed into a new domain and unmapped from it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/policy.h"
#include "engine/engine.h"
#include "scenario/scenario.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* explore @text (vfio_pci.design=@design if given); first violation */
static void run(const char *text, const char *design, enum strategy s,
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

	sc = scenario_load_buffer("t.yaml", text, strlen(text), err,
				  sizeof(err));
	if (!sc)
		print_error("%s\n", err);
	assert_non_null(sc);
	if (design)
		assert_int_equal(policy_set(&sc->policy, "vfio_pci.design",
					    design, err, sizeof(err)),
				 0);
	o.stop_kind = sc->expect;
	assert_int_equal(explore(scenario_model(sc), &o, r), 0);
	scenario_free(sc);
}

static const char world[] =
	"world:\n"
	"  cpus: 2\n"
	"  memory: {frames: 256}\n"
	"  processes: [qemu]\n"
	"  pci_devices: {gpu: {bars: [2]}}\n"
	"  vfio_groups: {nic: {}}\n"
	"  vfio_containers: {c: {proc: qemu, memlock: 0}}\n";

static const char map_ops[] =
	"      - vfio_pci_mmap: {device: gpu, proc: qemu, bar: 0, as: bar0}\n"
	"      - vfio_attach: {container: c, group: nic}\n"
	"      - mmap: {proc: qemu, addr: 0x10000000, len: 4096, prot: read|write,\n"
	"               flags: private|anonymous|fixed|populate, as: ram}\n"
	"      - vfio_map_dma: {container: c, region: ram, iova: 0x900000,\n"
	"                       expect: ENOMEM}\n"
	"      - vfio_map_dma: {container: c, region: bar0, iova: 0x100000}\n";

static void test_map_bar_each_design(void **state)
{
	static const char *const designs[] = {
		"unmap_mapping_range", "vma_list",     "vma_list_trylock",
		"pause_faults",	       "vma_list_5_8",
	};
	char text[4096];
	struct explore_result r;
	unsigned i;

	(void)state;
	snprintf(
		text, sizeof(text),
		"name: p2p-map\n%s"
		"agents:\n"
		"  - name: vmm\n"
		"    ops:\n%s"
		"      - vfio_dma_write: {group: nic, iova: 0x101008, value: 9}\n"
		"      - read: {proc: qemu, cpu: 1, region: bar0, offset: 4104,\n"
		"               expect: 9}\n"
		"      - vfio_unmap_dma: {container: c, iova: 0x100000, size: 8192,\n"
		"                         unmapped: 8192}\n"
		"      - vfio_dma_read: {group: nic, iova: 0x101008, expect: fault}\n"
		"      - pci_config_write: {device: gpu, command: master}\n"
		"      - vfio_map_dma: {container: c, region: bar0, iova: 0x200000,\n"
		"                       expect: EFAULT}\n"
		"      - pci_config_write: {device: gpu, command: memory|master}\n"
		"      - vfio_map_dma: {container: c, region: bar0, iova: 0x200000}\n"
		"      - vfio_dma_read: {group: nic, iova: 0x201008, expect: 9}\n"
		"expect: clean\n",
		world, map_ops);
	for (i = 0; i < ARRAY_SIZE(designs); i++) {
		run(text, designs[i], STRAT_RANDOM, 1, -1, &r);
		if (r.violating)
			print_error("design %s: %s\n", designs[i],
				    r.first_report);
		assert_int_equal(r.executions, 1);
		assert_int_equal(r.violating, 0);
		explore_result_free(&r);
	}
}

/* decode goes off by @disable; the peer's DMA afterwards is reported */
static void test_dma_after_disable(void **state)
{
	static const char *const disables[] = {
		"pci_config_write: {device: gpu, command: master}",
		"pci_set_power: {device: gpu, state: D3hot}",
	};
	char text[4096];
	struct explore_result r;
	unsigned i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(disables); i++) {
		snprintf(
			text, sizeof(text),
			"name: p2p-disable\n%s"
			"agents:\n"
			"  - name: vmm\n"
			"    ops:\n%s"
			"      - %s\n"
			"      - read: {proc: qemu, cpu: 0, region: bar0, expect: sigbus}\n"
			"      - vfio_dma_write: {group: nic, iova: 0x100000, value: 1}\n"
			"expect: mmio-while-disabled\n",
			world, map_ops, disables[i]);
		run(text, NULL, STRAT_RANDOM, 1, -1, &r);
		assert_int_equal(r.violating, 1);
		assert_non_null(r.first_report);
		assert_non_null(strstr(r.first_report, "mmio-while-disabled"));
		assert_non_null(
			strstr(r.first_report, "nic's peer-to-peer DMA"));
		explore_result_free(&r);
	}
}

static void test_dma_vs_reset(void **state)
{
	char text[4096];
	struct explore_result r;

	(void)state;
	snprintf(text, sizeof(text),
		 "name: p2p-reset\n%s"
		 "agents:\n"
		 "  - name: vmm\n"
		 "    ops:\n%s"
		 "  - name: reset\n"
		 "    ops:\n"
		 "      - wait: vmm\n"
		 "      - pci_reset: gpu\n"
		 "  - name: peer\n"
		 "    ops:\n"
		 "      - wait: vmm\n"
		 "      - vfio_dma_read: {group: nic, iova: 0x100000}\n"
		 "expect: mmio-while-disabled\n",
		 world, map_ops);
	run(text, NULL, STRAT_DFS, 2000, 2, &r);
	assert_true(r.violating >= 1);
	assert_non_null(strstr(r.first_report, "peer-to-peer"));
	explore_result_free(&r);

	/* the peer waits for the reset: decode is back, nothing to report */
	snprintf(text, sizeof(text),
		 "name: p2p-after-reset\n%s"
		 "agents:\n"
		 "  - name: vmm\n"
		 "    ops:\n%s"
		 "      - pci_reset: gpu\n"
		 "      - vfio_dma_read: {group: nic, iova: 0x100000}\n"
		 "expect: clean\n",
		 world, map_ops);
	run(text, NULL, STRAT_RANDOM, 1, -1, &r);
	assert_int_equal(r.violating, 0);
	explore_result_free(&r);
}

/*
 * A BAR mapping replayed into a second (non-coherent) domain: the new
 * domain reads the frame from the first, the peer in it reaches the BAR,
 * and the unmap after the first domain is gone takes it away.
 */
static void test_replay_into_new_domain(void **state)
{
	static const char text[] =
		"name: p2p-replay\n"
		"world:\n"
		"  processes: [qemu]\n"
		"  pci_devices: {gpu: {bars: [2]}}\n"
		"  vfio_groups: {nic: {}, nic2: {coherent: false}}\n"
		"  vfio_containers: {c: {proc: qemu, memlock: 0}}\n"
		"agents:\n"
		"  - name: vmm\n"
		"    ops:\n"
		"      - vfio_pci_mmap: {device: gpu, proc: qemu, bar: 0, as: bar0}\n"
		"      - vfio_attach: {container: c, group: nic}\n"
		"      - vfio_map_dma: {container: c, region: bar0, iova: 0x100000}\n"
		"      - vfio_dma_write: {group: nic, iova: 0x101008, value: 9}\n"
		"      - vfio_attach: {container: c, group: nic2}\n"
		"      - vfio_dma_read: {group: nic2, iova: 0x101008, expect: 9}\n"
		"      - vfio_detach: {container: c, group: nic}\n"
		"      - vfio_unmap_dma: {container: c, iova: 0x100000, size: 8192,\n"
		"                         unmapped: 8192}\n"
		"      - vfio_dma_read: {group: nic2, iova: 0x101008, expect: fault}\n"
		"expect: clean\n";
	struct explore_result r;

	(void)state;
	run(text, NULL, STRAT_RANDOM, 1, -1, &r);
	if (r.violating)
		print_error("%s\n", r.first_report);
	assert_int_equal(r.executions, 1);
	assert_int_equal(r.violating, 0);
	explore_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_bar_each_design),
		cmocka_unit_test(test_dma_after_disable),
		cmocka_unit_test(test_dma_vs_reset),
		cmocka_unit_test(test_replay_into_new_domain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
