// SPDX-License-Identifier: MIT
/*
 * Close-match suggestions for error messages (see suggest.h).
 * No state, no locking.
 */
#include <stdio.h>
#include <string.h>

#include "compiler.h"
#include "suggest.h"

#define SUGGEST_MAX_LEN 64

/* optimal string alignment: a swap of two neighbours costs one edit */
unsigned edit_distance(const char *a, const char *b)
{
	unsigned rows[3][SUGGEST_MAX_LEN + 1];
	unsigned *prev2 = rows[0], *prev = rows[1], *cur = rows[2], *t;
	size_t la = strlen(a), lb = strlen(b), i, j;

	if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN)
		return 255;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			unsigned best = prev[j - 1] + (a[i - 1] != b[j - 1]);

			best = min(best, prev[j] + 1);
			best = min(best, cur[j - 1] + 1);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1])
				best = min(best, prev2[j - 2] + 1);
			cur[j] = best;
		}
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return min(prev[lb], 255u);
}

static bool is_close(const char *word, const char *name)
{
	size_t lw = strlen(word), ln = strlen(name);
	unsigned limit = lw <= 4 ? 1 : lw <= 8 ? 2 : 3;

	if (lw >= 3 && (!strncmp(word, name, lw) || (ln >= 3 && !strncmp(word, name, ln))))
		return true;
	/* "flush_before_ptl_unlock" for "mremap.flush_before_ptl_unlock" */
	if (lw >= 4 && strstr(name, word))
		return true;
	return edit_distance(word, name) <= limit;
}

void suggest_close(char *buf, size_t len, const char *word,
		   const char *const *names, int nr)
{
	size_t used = strlen(buf);
	int i, found = 0;

	for (i = 0; nr < 0 ? names[i] != NULL : i < nr; i++) {
		if (!is_close(word, names[i]))
			continue;
		if (used < len)
			used += snprintf(buf + used, len - used, "%s'%s'",
					 found ? " or " : " (did you mean ",
					 names[i]);
		if (++found == 3)
			break;
	}
	if (found && used < len)
		snprintf(buf + used, len - used, "?)");
}
