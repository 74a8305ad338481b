/* SPDX-License-Identifier: MIT */
/*
 * The shipped scenarios (scenarios/ in the source tree) as models, for
 * tests that explore a race written as a scenario: shipped("lost-update")
 * loads scenarios/{models,demos,bugs}/lost-update.yaml once and returns
 * its model.  shipped_with() returns a fresh copy under another policy
 * (a zoo entry's buggy or fixed one, or a knob set).  Everything loaded
 * is freed at exit.
 */
#ifndef SECMMU_TESTS_SHIPPED_H
#define SECMMU_TESTS_SHIPPED_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>

#include "core/policy.h"
#include "scenario/builtin.h"
#include "scenario/mm_models.h"
#include "scenario/scenario.h"

#ifndef SECMMU_SOURCE_SCENARIOS
#error "SECMMU_SOURCE_SCENARIOS: the source tree's scenarios directory"
#endif

#define SHIPPED_MAX 128

struct shipped_cache {
	struct scenario *sc[SHIPPED_MAX];
	int nr;
};

static struct shipped_cache *shipped_cache(void)
{
	static struct shipped_cache c;

	return &c;
}

static void shipped_free_all(void)
{
	struct shipped_cache *c = shipped_cache();

	while (c->nr)
		scenario_free(c->sc[--c->nr]);
}

/* load @name afresh; abort the test binary when it does not load */
static struct scenario *shipped_load(const char *name)
{
	static const char *const dirs[] = { "models", "demos", "bugs" };
	struct shipped_cache *c = shipped_cache();
	char path[4096], err[1024] = "";
	struct scenario *sc = NULL;
	unsigned i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !sc; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s/%s.yaml",
			 SECMMU_SOURCE_SCENARIOS, dirs[i], name);
		f = fopen(path, "r");
		if (!f)
			continue;
		fclose(f);
		sc = scenario_load_file(path, err, sizeof(err));
	}
	if (!sc || c->nr == SHIPPED_MAX) {
		fprintf(stderr, "shipped scenario %s: %s\n", name,
			*err ? err : "not found (or too many loaded)");
		abort();
	}
	if (!c->nr)
		atexit(shipped_free_all);
	c->sc[c->nr++] = sc;
	return sc;
}

/* a shipped scenario's model, under the file's own policy */
static inline const struct model *shipped(const char *name)
{
	return scenario_model(shipped_load(name));
}

/*
 * The same under another policy: a preset (NULL: the default), then
 * "knob=value" strings, NULL-terminated.
 */
static inline const struct model *shipped_with(const char *name,
					       const char *preset, ...)
{
	struct scenario *sc = shipped_load(name);
	char err[512], knob[128];
	const char *kv, *eq;
	va_list ap;

	if (preset &&
	    policy_apply_preset(&sc->policy, preset, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", name, err);
		abort();
	}
	if (!preset)
		policy_init_default(&sc->policy);
	va_start(ap, preset);
	while ((kv = va_arg(ap, const char *))) {
		eq = strchr(kv, '=');
		snprintf(knob, sizeof(knob), "%.*s", (int)(eq - kv), kv);
		if (policy_set(&sc->policy, knob, eq + 1, err, sizeof(err))) {
			fprintf(stderr, "%s: %s\n", name, err);
			abort();
		}
	}
	va_end(ap);
	return scenario_model(sc);
}

/* a built-in C model by name, else a shipped scenario */
static inline const struct model *model_by_name(const char *name)
{
	const struct model *m = builtin_find(name);

	return m ? m : shipped(name);
}

/* the same, a zoo entry under its fixed policy: the clean program */
static inline const struct model *model_by_name_fixed(const char *name)
{
	const struct model *m = builtin_find(name);
	struct scenario *sc;

	if (m)
		return m;
	sc = shipped_load(name);
	if (sc->zoo)
		sc->policy = sc->zoo->fixed;
	return scenario_model(sc);
}

/*
 * Every shipped scenario (models/, demos/, bugs/) under its own policy,
 * into @out (at most @max); returns how many.
 */
static inline int shipped_all(const struct model **out, int max)
{
	static const char *const dirs[] = { "models", "demos", "bugs" };
	char name[256];
	int nr = 0;
	unsigned i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char dir[4096];
		struct dirent **de;
		int n, j;

		snprintf(dir, sizeof(dir), "%s/%s", SECMMU_SOURCE_SCENARIOS,
			 dirs[i]);
		n = scandir(dir, &de, NULL, alphasort);
		for (j = 0; j < n; j++) {
			size_t len = strlen(de[j]->d_name);

			if (len > 5 &&
			    !strcmp(de[j]->d_name + len - 5, ".yaml") &&
			    nr < max) {
				snprintf(name, sizeof(name), "%.*s",
					 (int)len - 5, de[j]->d_name);
				out[nr++] = shipped(name);
			}
			free(de[j]);
		}
		if (n >= 0)
			free(de);
	}
	return nr;
}

/*
 * @pm runs @name under @p: policy_model_init() for a built-in model, a
 * fresh copy of the shipped scenario with its policy replaced otherwise;
 * pass &pm->m to explore() or run_real().
 */
static inline void policy_model_by_name(struct policy_model *pm,
					const char *name,
					const struct policy *p)
{
	const struct model *m = builtin_find(name);
	struct scenario *sc;

	if (m) {
		policy_model_init(pm, m, p);
		return;
	}
	sc = shipped_load(name);
	sc->policy = *p;
	pm->inner = NULL;
	pm->policy = *p;
	pm->m = *scenario_model(sc);
}

/* a zoo entry under its buggy (@buggy) or fixed policy */
static inline const struct model *shipped_zoo(const char *name, bool buggy)
{
	struct scenario *sc = shipped_load(name);

	sc->policy = buggy ? sc->zoo->buggy : sc->zoo->fixed;
	return scenario_model(sc);
}

#endif
