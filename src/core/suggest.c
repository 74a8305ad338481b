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

const char *clip(char buf[CLIP_MAX], const char *s)
{
	size_t len = strlen(s), tail = CLIP_MAX - 100;

	if (len < CLIP_MAX)
		return s;
	while (tail && ((unsigned char)s[len - tail] & 0xc0) == 0x80)
		tail--;
	snprintf(buf, CLIP_MAX, "%.96s...%s", s, s + len - tail);
	return buf;
}

/* the longest '...' span of @s: its first byte and length, or NULL */
static char *longest_quoted(char *s, size_t *lenp)
{
	char *p = s, *q, *r, *best = NULL;

	*lenp = 0;
	while ((q = strchr(p, '\'')) && (r = strchr(q + 1, '\''))) {
		if ((size_t)(r - q - 1) > *lenp) {
			best = q + 1;
			*lenp = r - q - 1;
		}
		p = r + 1;
	}
	return best;
}

void shorten_quoted(char *s, size_t max)
{
	size_t len = strlen(s), qlen, keep, head, tail;
	char *q;

	while (len > max) {
		q = longest_quoted(s, &qlen);
		/* keep 8 bytes of each side of a span and the dots */
		if (!q || qlen <= 16 + 3)
			break;
		keep = len - max + 3 < qlen - 16 ? qlen - (len - max + 3) : 16;
		/* head and tail halves, on character boundaries */
		head = keep / 2;
		tail = keep - head;
		while (head && ((unsigned char)q[head] & 0xc0) == 0x80)
			head--;
		while (tail && ((unsigned char)q[qlen - tail] & 0xc0) == 0x80)
			tail--;
		memcpy(q + head, "...", 3);
		memmove(q + head + 3, q + qlen - tail,
			len - (q - s) - (qlen - tail) + 1);
		len = strlen(s);
	}
	if (len > max) {
		while (max && ((unsigned char)s[max] & 0xc0) == 0x80)
			max--;
		s[max] = '\0';
	}
}
