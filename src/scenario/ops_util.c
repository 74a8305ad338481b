// SPDX-License-Identifier: MIT
/*
 * Helpers the scenario subsystems' ops share: the scenario-error report
 * for a bad op argument, and the check of a device or CPU access against
 * its `expect` argument.  No kernel counterpart (the scenario language is
 * the model's own).
 *
 * Locking: none; both only add reports to the world, which serialises
 * them (report_add).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/world.h"
#include "scenario.h"

void sc_op_error(struct sc_ctx *x, const struct sc_op *op, const char *what,
		 const char *val)
{
	report_add(x->w, "scenario-error", "line %d: %s '%s'\n", op->line, what,
		   val ? val : "");
}

void sc_check_expect(struct sc_ctx *x, const struct sc_op *op, const char *e,
		     const char *got, int ret, uint64_t v,
		     const char *const *outcomes, const char *fmt, ...)
{
	const char *const *o;
	unsigned long long want = 0;
	char what[128], *end;
	va_list ap;

	if (!strcmp(e, "any") || !strcmp(e, got))
		return;
	for (o = outcomes; *o && strcmp(e, *o); o++)
		;
	if (!*o) {
		want = strtoull(e, &end, 0);
		if (!*e || *end) {
			sc_op_error(x, op, "unknown expectation", e);
			return;
		}
		if (!ret && v == want)
			return;
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (*o)
		report_add(x->w, "value", "%s: %s (line %d): %s, expected %s\n",
			   current->name, what, op->line, got, e);
	else
		report_add(x->w, "value",
			   "%s: %s (line %d): %s %llu, expected %llu\n",
			   current->name, what, op->line, got,
			   (unsigned long long)v, want);
}
