// SPDX-License-Identifier: MIT
/*
 * Helpers the scenario subsystems' ops and the race models share: the
 * scenario-error report for a bad op argument, the check of a device or
 * CPU access against its `expect` argument, and a follow_page-like lookup
 * of the folio mapped at an address.  No kernel counterpart for the first
 * two (the scenario language is the model's own); the lookup simplifies
 * follow_page() to present PTEs of small pages.
 *
 * Locking: the checks only add reports to the world (report_add
 * serialises them); the lookup takes mmap_lock (read), then the PTL.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/world.h"
#include "mm/mm.h"
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

struct folio *sc_follow_folio(struct mm_struct *mm, unsigned long va)
{
	struct folio *folio = NULL;
	spinlock_t *ptl;
	pte_t *pte, ptent;
	pmd_t *pmd;

	mmap_read_lock(mm);
	pmd = mm_find_pmd(mm, va);
	pte = pmd ? pte_offset_map_lock(mm, pmd, va, &ptl) : NULL;
	if (pte) {
		ptent = ptep_get(pte);
		if (pte_present(ptent)) {
			folio = page_folio(
				pfn_to_page(mm->mmw->pm, pte_pfn(ptent)));
			if (!folio_try_get(folio))
				folio = NULL;
		}
		pte_unmap_unlock(pte, ptl);
	}
	mmap_read_unlock(mm);
	return folio;
}
