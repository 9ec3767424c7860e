/**
 * Tap ids order by Unicode code point (docs/fares.md, "From taps to charges"),
 * not by UTF-16 code unit as JavaScript's `<` does: the two differ when a
 * character beyond U+FFFF (a surrogate pair) meets one from U+E000 to U+FFFF.
 */

/** A UTF-16 code unit's rank in code point order: surrogates (characters beyond U+FFFF) after the rest of the BMP. */
function rank(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit
}

/** Negative, zero or positive as a sorts before, with or after b by code point (tap ids, and the texts of one tap's time). */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i),
      y = b.charCodeAt(i)
    if (x !== y) return rank(x) - rank(y)
  }
  return a.length - b.length
}
