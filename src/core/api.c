// SPDX-License-Identifier: MIT
/*
 * The exported secmmu_ API: thin wrappers over the explorer.  Models no
 * kernel part; no locking of its own.
 */
#include <errno.h>
#include <string.h>

#include "scenario/builtin.h"
#include "scenario/scenario.h"
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

static int explore_model(const struct model *m, const char *name,
			 const struct secmmu_explore_opts *o,
			 struct secmmu_result *r)
{
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
		.model_name = name,
	};
	struct explore_result er;
	int ret;

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

SECMMU_API int secmmu_explore(const char *model,
			      const struct secmmu_explore_opts *o,
			      struct secmmu_result *r)
{
	const struct model *m = builtin_find(model);

	memset(r, 0, sizeof(*r));
	if (!m)
		return -ENOENT;
	return explore_model(m, model, o, r);
}

SECMMU_API int secmmu_explore_file(const char *path,
				   const struct secmmu_explore_opts *o,
				   struct secmmu_result *r, char *err,
				   size_t errlen)
{
	struct scenario *sc;
	int ret;

	memset(r, 0, sizeof(*r));
	sc = scenario_load_file(path, err, errlen);
	if (!sc)
		return -EINVAL;
	ret = explore_model(scenario_model(sc), path, o, r);
	scenario_free(sc);
	return ret;
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
