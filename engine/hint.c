/*
 * hint.c - "did you mean" suggestions.
 */
#include "hint.h"

#include <stddef.h>
#include <string.h>

/*
 * The longest word compared. Keys and enum words are short; the bound keeps
 * the one row of the distance table on the stack.
 */
#define HINT_MAX_WORD 64

/*
 * Levenshtein distance between `a` and `b` with one rolling row, or -1 when
 * either is longer than HINT_MAX_WORD.
 */
static int edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[HINT_MAX_WORD + 1];

	if (la > HINT_MAX_WORD || lb > HINT_MAX_WORD)
		return -1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return (int)row[lb];
}

const char *dxt_closest(const char *word, const char *const *words,
			int max_distance)
{
	const char *best = NULL;
	int bd = 0;

	for (size_t i = 0; words[i] != NULL; i++) {
		int d = edit_distance(word, words[i]);

		if (d >= 0 && d <= max_distance && (best == NULL || d < bd)) {
			bd = d;
			best = words[i];
		}
	}
	return best;
}
