/* SPDX-License-Identifier: MIT */
/*
 * "Did you mean ...?" for error messages: picks the names in a list that
 * are close to a misspelt one (edit distance, or one is a prefix of the
 * other).  Pure functions; no state, no locking.
 */
#ifndef SECMMU_CORE_SUGGEST_H
#define SECMMU_CORE_SUGGEST_H

#include <stddef.h>

/* Levenshtein distance, capped at 255 (longer inputs count as far). */
unsigned edit_distance(const char *a, const char *b);

/*
 * suggest_close - append " (did you mean 'x' or 'y'?)" to @buf
 * @buf, @len: the message being built (NUL-terminated; appended to)
 * @word: the misspelt name
 * @names: candidate names, NULL-terminated, or @nr entries if @nr >= 0
 *
 * Appends nothing when no candidate is close.
 */
void suggest_close(char *buf, size_t len, const char *word,
		   const char *const *names, int nr);

#endif
