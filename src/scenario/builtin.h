/* SPDX-License-Identifier: MIT */
/*
 * Built-in models: small programs over the kernel primitives that show
 * the engines, the explorer and lockdep working before (and beside) the
 * memory model.  Each is a struct model (engine.h).
 */
#ifndef SECMMU_SCENARIO_BUILTIN_H
#define SECMMU_SCENARIO_BUILTIN_H

#include "engine/engine.h"

extern const struct model *const builtin_models[];
const struct model *builtin_find(const char *name);

#endif
