// SPDX-License-Identifier: MIT
/*
 * The table of built-in models: the races written in C, in
 * mm_models.c, mirror_models.c, iommu_models.c,
 * dma_models.c and sva_mremap_models.c.  A race the scenario format can
 * express is a shipped scenario instead (scenarios/models/, demos/,
 * bugs/); each C model says in its file's header why it is not one.
 *
 * The classic concurrency examples that used to live here (steps-2x2,
 * steps-3x1, lost-update, locked-update, abba, rcu-*, sleep-in-atomic)
 * are scenarios/models/ and scenarios/demos/ files.
 *
 * Locking: none; a table.
 */
#include <string.h>

#include "builtin.h"
#include "scenario/dma_models.h"
#include "scenario/iommu_models.h"
#include "scenario/mirror_models.h"
#include "scenario/mm_models.h"

const struct model *const builtin_models[] = {
	&model_write_vs_clear_refs,
	&model_write_vs_clear_refs_noflush,
	&model_mirror_vs_munmap,
	&model_mirror_vs_mprotect,
	&model_mirror_vs_munmap_noretry,
	&model_mirror_vs_mprotect_noretry,
	&model_mirror_vs_mremap,
	&model_mirror_vs_dontneed,
	&model_mirror_vs_fork,
	&model_mirror_vs_truncate,
	&model_mirror_vs_migrate,
	&model_mirror_vs_ksm,
	&model_mirror_vs_reclaim,
	&model_mirror_vs_exit,
	&model_mirror_vs_mremap_noretry,
	&model_mirror_vs_dontneed_noretry,
	&model_mirror_vs_fork_noretry,
	&model_mirror_vs_truncate_noretry,
	&model_mirror_vs_migrate_noretry,
	&model_mirror_vs_ksm_noretry,
	&model_mirror_vs_reclaim_noretry,
	&model_mirror_vs_oom_reaper,
	&model_dma_unmap_vs_dma,
	&model_dma_unmap_vs_dma_deferred,
	&model_sva_mremap_vs_truncate,
	&model_sva_dontneed_nested,
	&model_sva_ksm_vs_write,
	&model_sva_vs_munmap,
	&model_sva_vs_mprotect,
	&model_sva_refault,
	&model_sva_upgrade,
	&model_sva_vs_reclaim,
	&model_mremap_pmd_vs_truncate,
	&model_mremap_pmd_vs_munmap,
	&model_sva_mremap_vs_reclaim_file,
	&model_sva_mremap2_vs_reclaim_file,
	&model_sva_mremap_vs_reclaim_anon,
	&model_sva_mremap_vs_migrate,
	&model_sva_mremap_vs_dontneed,
	&model_sva_mremap_merge_vs_reclaim,
	NULL,
};

const struct model *builtin_find(const char *name)
{
	int i;

	for (i = 0; builtin_models[i]; i++)
		if (!strcmp(builtin_models[i]->name, name))
			return builtin_models[i];
	return NULL;
}
