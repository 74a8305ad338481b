#!/usr/bin/env bash
# `make check-long`: long explorations of every built-in model. Clean
# models must stay clean under large random/PCT budgets and deeper DFS
# bounds; bug models must be found. Minutes, not seconds: not in make test.
# usage: long_test.sh path/to/secmmu
set -u
SECMMU=${1:?usage: long_test.sh SECMMU}
pass=0
fail=0

run() {
	local want=$1
	shift
	"$SECMMU" "$@" --json >/tmp/secmmu-long.$$ 2>/dev/null
	local got=$?
	if [ "$got" = "$want" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: secmmu $* exited $got, want $want"
		cat /tmp/secmmu-long.$$
	fi
}

for m in $("$SECMMU" list | awk '/^  [a-z]/ && !/\.yaml/ {print $1}'); do
	case "$m" in
	*noflush | *nonested | *noretry | *-deferred | mirror-vs-oom-reaper)
		run 1 explore "$m" --strategy random --iterations 200000
		run 1 explore "$m" --strategy pct --iterations 200000 ;;
	*)
		run 0 explore "$m" --strategy random --iterations 100000
		run 0 explore "$m" --strategy pct --depth 3 --iterations 100000
		run 0 explore "$m" --strategy random --iterations 100000 --jobs 2 --seed 1000000 ;;
	esac
done
# the races written as scenarios (scenarios/models/): each must meet its
# `expect` under large budgets (exit 0: clean stays clean, a bug is found)
SC=$("$SECMMU" list | sed -n 's/^scenarios in \(.*\) (secmmu .*/\1/p')
for f in "$SC"/models/*.yaml; do
	run 0 explore "$f" --strategy random --iterations 100000
	run 0 explore "$f" --strategy pct --iterations 100000
done
# DFS bound 2 of the converted fault-vs-X races and CVE-2018-18281's
# fixed policy (the default suite runs bound 1)
for m in fault-vs-munmap fault-vs-mprotect fault-vs-truncate write-vs-fork \
	reclaim-vs-mprotect reclaim-vs-munmap migrate-vs-write ksm-vs-write; do
	run 0 explore "$m" --strategy dfs --bound 1
	run 0 explore "$m" --strategy dfs --bound 2
done
# reclaim's deferred flush before 4.13: a narrow window that PCT finds and
# uniform random walks do not (exit 1: not the files' expected clean)
for m in reclaim-vs-mprotect reclaim-vs-munmap; do
	run 1 explore "$m" --set rmap.batched_flush_pending=false --strategy pct --iterations 200000
done
run 0 explore mremap-truncate-cve-2018-18281 --policy linux-6.6 --strategy dfs --bound 2
for m in mirror-vs-munmap mirror-vs-mprotect; do
	run 0 explore "$m" --strategy dfs --bound 3
done
# issue 4: every primary MM operation racing with the mirror device, under
# the linux-6.6 preset: 10,000 random executions and DFS bound 2 each; the
# -noretry twins (mirror.read_retry=false) must be found under both.
for op in munmap mprotect mremap dontneed fork truncate migrate ksm reclaim exit; do
	run 0 explore "mirror-vs-$op" --policy linux-6.6 --strategy random --iterations 10000
	run 0 explore "mirror-vs-$op" --policy linux-6.6 --strategy dfs --bound 2
	# the device uses an interval notifier: the CPU-TLB knobs of older
	# kernels and notifier.secondary_tlb_flush do not reach it
	run 0 explore "mirror-vs-$op" --policy linux-4.12 --strategy random --iterations 10000
	run 0 explore "mirror-vs-$op" --set notifier.secondary_tlb_flush=none --strategy random --iterations 10000
	[ "$op" = exit ] && continue
	run 1 explore "mirror-vs-$op-noretry" --policy linux-6.6 --strategy random --iterations 10000
	run 1 explore "mirror-vs-$op-noretry" --policy linux-6.6 --strategy dfs --bound 2
done
# the SVA models: DFS bound 2 exhausts in 30k-100k executions each
for m in sva-vs-munmap sva-vs-mprotect sva-refault sva-upgrade sva-vs-reclaim; do
	run 0 explore "$m" --strategy dfs --bound 2
done
run 0 explore sva-vs-reclaim --policy linux-4.10 --strategy dfs --bound 2
# DMA-API and SVA secondary-flush models (issue 5, dma): the pre-6.6
# range-end deferral is clean for mremap and KSM, exhaustively
run 0 explore sva-mremap-vs-truncate --strategy dfs --bound 2 --set notifier.secondary_tlb_flush=in_range_end
run 0 explore sva-ksm-vs-write --strategy dfs --bound 3 --set notifier.secondary_tlb_flush=in_range_end
run 0 explore dma-unmap-vs-dma --strategy dfs --bound 3
run 1 explore sva-dontneed-nested --strategy dfs --bound 2 --set iommu.sva_full_range_flush=false
# whole-table mremap (move_normal_pmd): 10,000 random executions each and
# DFS bound 2 of the munmap race (114k executions, seconds); without the
# rmap locks (before 97113eb39fa7) the truncate race must be found
for m in mremap-pmd-vs-munmap mremap-pmd-vs-truncate; do
	run 0 explore "$m" --strategy random --iterations 10000
done
run 0 explore mremap-pmd-vs-munmap --strategy dfs --bound 2
run 1 explore mremap-pmd-vs-truncate --set mremap.pmd_move_rmap_locks=false --strategy pct --iterations 10000
# mremap vs reclaim / migration / MADV_DONTNEED with an SVA device (sva2):
# DFS bound 2 under the pre-6.6 range-end flush (the file models: 50,672
# and 88,493 executions, a few seconds each)
for m in sva-mremap-vs-reclaim-file sva-mremap2-vs-reclaim-file sva-mremap-vs-reclaim-anon sva-mremap-vs-migrate sva-mremap-vs-dontneed; do
	run 0 explore "$m" --strategy dfs --bound 2 --set notifier.secondary_tlb_flush=in_range_end
done
# DFS bound 3, exhaustive, for the other clean models whose tree takes
# under ~20 s at bound 3 (five at the top of this file and
# dma-unmap-vs-dma have theirs; the others: bound 2 above; by hand also
# ksm-vs-write 11.0M, mremap-pmd-vs-munmap 3.8M, sva-mremap-vs-truncate 6.1M)
for m in fault-vs-truncate read-vs-dontneed \
	reclaim-vs-mprotect reclaim-vs-munmap migrate-vs-write \
	write-vs-clear-refs mirror-vs-mremap \
	mirror-vs-dontneed mirror-vs-fork mirror-vs-truncate mirror-vs-migrate \
	mirror-vs-ksm mirror-vs-reclaim mirror-vs-exit \
	sva-dontneed-nested sva-ksm-vs-write sva-vs-mprotect sva-refault \
	sva-mremap-vs-reclaim-anon sva-mremap-vs-migrate; do
	run 0 explore "$m" --strategy dfs --bound 3
done
# VFIO type1 clean models (scenarios/models/vfio-*.yaml): DFS bound 2
# exhausted (vfio-attach-replay-order: 43480 executions, ~7 s;
# vfio-p2p-map-vs-disable: 1.7M, ~1 min), and the bookkeeping variant that
# loses the unpin flush (docs/vfio.md); vfio-p2p-bar-disable expects its
# mmio-while-disabled (Linux's behaviour), so it exits 0 too
SCDIR=$(dirname "$0")/../scenarios/models
for f in "$SCDIR"/vfio-*.yaml; do
	run 0 run "$f" --strategy dfs --bound 2
done
run 1 run "$SCDIR/vfio-attach-replay-order.yaml" --strategy dfs --bound 2 \
	--set vfio.cache_flush_bookkeeping=plain
# the zoo's PCT budget, exhaustively: unpin-before-sync fixed, DFS bound 2
# (the file expects stale-iotlb, so a clean run exits 1)
run 1 run "$SCDIR/../bugs/vfio-unpin-before-sync.yaml" --strategy dfs \
	--bound 2 --set vfio.sync_before_unpin=true
# vfio-pci (issue 11): the clean models at DFS bound 2 under each design
# but the two with a zoo entry against them (0.9M-1.2M executions, about a
# minute each); the zoo's CVE-2022-39188 scenario exhaustively clean with
# the forced flush, and without it under vma_list (close() keeps the VMA
# listed until after munmap's flush)
SC=$(dirname "$0")/../scenarios
for d in unmap_mapping_range vma_list vma_list_trylock; do
	run 0 run "$SC/models/vfio-pci-fault-vs-disable.yaml" --set vfio_pci.design=$d --strategy dfs --bound 2
	run 0 run "$SC/models/vfio-pci-mirror-bar.yaml" --set vfio_pci.design=$d --strategy dfs --bound 2
	run 0 run "$SC/models/vfio-pci-fork-vs-disable.yaml" --set vfio_pci.design=$d --strategy dfs --bound 2
done
# (a zoo file expects its bug: clean shows as exit 1 with 0 violating)
run_clean_zoo() {
	if "$SECMMU" run "$@" --json 2>/dev/null | grep -q '"violating":0,'; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: secmmu run $* was not clean"
	fi
}
run_clean_zoo "$SC/bugs/vfio-pci-cve-2022-39188.yaml" --set mmu_gather.pfnmap_forced_flush=true --strategy dfs --bound 2
run_clean_zoo "$SC/bugs/vfio-pci-cve-2022-39188.yaml" --set vfio_pci.design=vma_list --strategy dfs --bound 2
rm -f /tmp/secmmu-long.$$
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
