/*
 * hint.h - "did you mean" suggestions for misspelt words.
 *
 * Configuration readers (the pipeline validator, the CSV options, provider
 * option tables) use this to turn an unknown key or enum word into a hint
 * that names the word the user most likely meant.
 *
 * Pure functions, any thread.
 */
#ifndef DXT_HINT_H
#define DXT_HINT_H

/*
 * The word of `words` (a NULL-terminated array) closest to `word` by edit
 * distance (insertions, deletions and substitutions of one byte each), or
 * NULL when none is within `max_distance`. Ties go to the earlier word.
 * Words longer than 64 bytes are never suggested, nor matched against.
 * The result points into `words`; nothing is allocated.
 */
const char *dxt_closest(const char *word, const char *const *words,
			int max_distance);

#endif /* DXT_HINT_H */
