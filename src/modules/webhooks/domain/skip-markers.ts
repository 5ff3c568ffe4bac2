/**
 * Commit-message markers that stop a deploy. `[skip ci]`/`[ci skip]` are honoured too because users expect a
 * skipped pipeline to mean no deploy. The GitHub `skip-checks: true` trailer is deliberately not a marker: it
 * only suppresses check runs, and people use it on commits they still want deployed.
 */
const SKIP_MARKER = /\[\s*(skip\s+ci|ci\s+skip|skip\s+deploy|no\s+ci)\s*\]/i;

export const SKIP_MARKERS = ['[skip ci]', '[ci skip]', '[skip deploy]', '[no ci]'] as const;
export type SkipMarker = (typeof SKIP_MARKERS)[number];

/** The marker found in the message, in its canonical lower-case spelling, or undefined. */
export function skipReason(message: string): SkipMarker | undefined {
  const found = SKIP_MARKER.exec(message);
  if (!found?.[1]) return undefined;
  const canonical = `[${found[1].toLowerCase().split(/\s+/).join(' ')}]`;
  return SKIP_MARKERS.find((marker) => marker === canonical);
}
