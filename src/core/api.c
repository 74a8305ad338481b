// SPDX-License-Identifier: MIT
/*
 * The exported secmmu_ API: thin wrappers over the explorer.  Models no
 * kernel part; no locking of its own.
 */
#include <errno.h>
#include <string.h>

#include "scenario/builtin.h"
#include "secmmu/secmmu.h"

SECMMU_API const char *secmmu_version(void)
{
	return SECMMU_VERSION;
}

SECMMU_API const char *secmmu_model_name(unsigned i)
{
	unsigned n;

	for (n = 0; builtin_models[n]; n++)
		if (n == i)
			return builtin_models[n]->name;
	return NULL;
}

SECMMU_API const char *secmmu_model_desc(unsigned i)
{
	return secmmu_model_name(i) ? builtin_models[i]->desc : NULL;
}

SECMMU_API int secmmu_explore(const char *model,
			      const struct secmmu_explore_opts *o,
			      struct secmmu_result *r)
{
	const struct model *m = builtin_find(model);
	struct explore_opts eo = {
		.strategy = (enum strategy)o->strategy,
		.seed = o->seed,
		.iterations = o->iterations,
		.bound = o->bound,
		.depth = o->depth,
		.max_steps = o->max_steps,
		.schedule = o->schedule,
		.trace = o->trace,
		.stop_on_violation = true,
		.progress_fd = -1,
		.model_name = model,
	};
	struct explore_result er;
	int ret;

	memset(r, 0, sizeof(*r));
	if (!m)
		return -ENOENT;
	if (o->strategy > SECMMU_STRATEGY_REPLAY)
		return -EINVAL;
	ret = explore(m, &eo, &er);
	if (ret)
		return ret;
	r->executions = er.executions;
	r->violating = er.violating;
	r->first_violation = er.first_violation;
	r->first_seed = er.first_seed;
	memcpy(r->first_kind, er.first_kind, sizeof(r->first_kind));
	r->first_schedule = er.first_schedule;
	r->first_report = er.first_report;
	r->trace_json = er.trace_json;
	r->trace_text = er.trace_text;
	r->exhausted = er.exhausted;
	r->seconds = er.seconds;
	return 0;
}

SECMMU_API void secmmu_result_free(struct secmmu_result *r)
{
	struct explore_result er = {
		.first_schedule = r->first_schedule,
		.first_report = r->first_report,
		.trace_json = r->trace_json,
		.trace_text = r->trace_text,
	};

	explore_result_free(&er);
	memset(r, 0, sizeof(*r));
}
