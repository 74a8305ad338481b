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

/*
 * shorten_quoted - fit message @s into @max bytes (without the NUL)
 *
 * Cuts the middle of its longest quoted spans ('...'), the input the
 * message quotes, to "..." until it fits, so the reason around them is
 * never what is lost; the tail is cut only when that is not enough.
 * Cuts fall on UTF-8 character boundaries.
 */
void shorten_quoted(char *s, size_t max);

/*
 * clip - @s for quoting in a fixed-size message: @s itself, or its head
 * and tail around "..." in @buf, so that the message's reason fits
 */
#define CLIP_MAX 200
const char *clip(char buf[CLIP_MAX], const char *s);

#endif
