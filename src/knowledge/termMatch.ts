/** A query word this long or longer may stand for the known words it begins ("notif" → "notification"). */
const MIN_PREFIX_CHARS = 4;
/** A query word this long or longer may be a misspelling of a known word one edit away. */
const MIN_TYPO_CHARS = 5;
/** Known words one query word may stand for, at most. */
const MAX_EXPANSIONS = 8;

/** Whether `a` becomes `b` by one insertion, deletion, substitution or swap of neighbours. */
export function oneEditApart(a: string, b: string): boolean {
  if (a === b) return false;
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true;
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
  }
  return a.length > b.length ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}

/** The first index in sorted `words` whose word is not before `word`. */
function lowerBound(words: readonly string[], word: string): number {
  let low = 0;
  let high = words.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (words[mid]! < word) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * Known words an unknown query word may stand for: those it begins, then those one edit away (a typo). A typo in
 * the first letter is rare, and letting it through matched many short unrelated words.
 */
export function closeTerms(word: string, sortedVocabulary: readonly string[]): string[] {
  const out: string[] = [];
  if (word.length >= MIN_PREFIX_CHARS) {
    for (let i = lowerBound(sortedVocabulary, word); i < sortedVocabulary.length; i++) {
      const known = sortedVocabulary[i]!;
      if (!known.startsWith(word) || out.length >= MAX_EXPANSIONS) break;
      out.push(known);
    }
  }
  if (word.length >= MIN_TYPO_CHARS && out.length < MAX_EXPANSIONS) {
    const first = word[0]!;
    const from = lowerBound(sortedVocabulary, first);
    for (let i = from; i < sortedVocabulary.length && out.length < MAX_EXPANSIONS; i++) {
      const known = sortedVocabulary[i]!;
      if (known[0] !== first) break;
      if (!out.includes(known) && oneEditApart(word, known)) out.push(known);
    }
  }
  return out;
}
