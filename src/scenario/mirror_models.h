/* SPDX-License-Identifier: MIT */
/*
 * Built-in models of the mirror device (src/devices/mirror.c) racing with
 * the primary MMU: a device reads or writes a page through its own page
 * table while a CPU munmaps or mprotects it.
 */
#ifndef SECMMU_SCENARIO_MIRROR_MODELS_H
#define SECMMU_SCENARIO_MIRROR_MODELS_H

#include "engine/engine.h"

enum mirror_race_op {
	MIRROR_RACE_MUNMAP,
	MIRROR_RACE_MPROTECT, /* PROT_READ; the device writes */
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

#endif
