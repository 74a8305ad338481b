/* SPDX-License-Identifier: MIT */
/*
 * Built-in models of the mirror device (src/devices/mirror.c) racing with
 * the primary MMU: a device reads or writes a page through its own page
 * table while the process (or kswapd, ksmd, a migrator) changes it with
 * one primary MMU operation.
 */
#ifndef SECMMU_SCENARIO_MIRROR_MODELS_H
#define SECMMU_SCENARIO_MIRROR_MODELS_H

#include "engine/engine.h"

enum mirror_race_op {
	MIRROR_RACE_MUNMAP,
	MIRROR_RACE_MPROTECT, /* PROT_READ; the device writes */
	MIRROR_RACE_MREMAP, /* MREMAP_MAYMOVE|MREMAP_FIXED two pages up */
	MIRROR_RACE_DONTNEED, /* MADV_DONTNEED */
	MIRROR_RACE_FORK, /* dup_mm, then the parent's CPU breaks COW */
	MIRROR_RACE_TRUNCATE, /* shared shmem mapping truncated under it */
	MIRROR_RACE_MIGRATE, /* migrate_folio_one, twice */
	MIRROR_RACE_KSM, /* ksm_merge_pair with an identical page, twice */
	MIRROR_RACE_RECLAIM, /* kswapd_shrink: try_to_unmap_one, swap out */
	MIRROR_RACE_EXIT, /* the last mmput: exit_mmap */
	MIRROR_RACE_NR,
};

/**
 * struct mirror_race_opts - one variant
 * @op: what the CPU agent does to the mirrored page
 * @no_read_retry: setup sets the knob mirror.read_retry=false (the driver
 *	bug); otherwise the world's policy is left as it is
 * @iters: device accesses
 */
struct mirror_race_opts {
	enum mirror_race_op op;
	bool no_read_retry;
	int iters;
};

int mirror_race_setup(struct world *w, void *arg);
void mirror_race_check(struct world *w, void *arg);

extern const struct model model_mirror_vs_munmap;
extern const struct model model_mirror_vs_mprotect;
extern const struct model model_mirror_vs_munmap_noretry;
extern const struct model model_mirror_vs_mprotect_noretry;
extern const struct model model_mirror_vs_mremap;
extern const struct model model_mirror_vs_dontneed;
extern const struct model model_mirror_vs_fork;
extern const struct model model_mirror_vs_truncate;
extern const struct model model_mirror_vs_migrate;
extern const struct model model_mirror_vs_ksm;
extern const struct model model_mirror_vs_reclaim;
extern const struct model model_mirror_vs_exit;
extern const struct model model_mirror_vs_mremap_noretry;
extern const struct model model_mirror_vs_dontneed_noretry;
extern const struct model model_mirror_vs_fork_noretry;
extern const struct model model_mirror_vs_truncate_noretry;
extern const struct model model_mirror_vs_migrate_noretry;
extern const struct model model_mirror_vs_ksm_noretry;
extern const struct model model_mirror_vs_reclaim_noretry;

/*
 * The OOM reaper's failed non-blockable start against the device, under
 * the world's notifier.nonblock_fail_ends_itree (not a built-in: it is a
 * bug under the default policy, which is Linux's).
 */
extern const struct model model_mirror_vs_oom_reaper;

/* every mirror race model, clean ones first, NULL-terminated */
extern const struct model *const mirror_race_models[];

#endif
