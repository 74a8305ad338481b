/* SPDX-License-Identifier: MIT */
/*
 * The controller the deterministic scheduler asks at every step: given
 * the runnable set (bit i = agent i) and the agent that ran last, return
 * the agent to run.  Strategies (explore.c) implement it.
 */
#ifndef SECMMU_ENGINE_DET_CTL_H
#define SECMMU_ENGINE_DET_CTL_H

#include "core/world.h"

struct det_ctl {
	int (*pick)(struct det_ctl *c, struct world *w, uint64_t runnable,
		    int nr, int last);
};

#endif
