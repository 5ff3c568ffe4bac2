import picomatch from 'picomatch';

/**
 * Watch paths are globs matched against repository-relative paths ("src/**", "!docs/**"); dot files count.
 * A file matches when it matches some positive glob (or there are none) and no negated glob.
 */
const OPTIONS: picomatch.PicomatchOptions = { dot: true };
const MAX_GLOB_LENGTH = 256;

const normalise = (glob: string): string => glob.trim().replace(/^\.\//, '');

/** True when any file is selected by the globs; no globs selects everything. */
export function matchesWatchPaths(globs: readonly string[], files: readonly string[]): boolean {
  if (globs.length === 0) return true;
  const positive: string[] = [];
  const negative: string[] = [];
  for (const raw of globs) {
    const glob = normalise(raw);
    if (glob.startsWith('!')) negative.push(normalise(glob.slice(1)));
    else positive.push(glob);
  }
  const included = positive.length > 0 ? picomatch(positive, OPTIONS) : () => true;
  const excluded = negative.length > 0 ? picomatch(negative, OPTIONS) : () => false;
  return files.some((file) => included(file) && !excluded(file));
}

function balanced(glob: string, open: string, close: string): boolean {
  let depth = 0;
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '\\') i++;
    else if (ch === open) depth++;
    else if (ch === close && --depth < 0) return false;
  }
  return depth === 0;
}

/** Why a glob cannot be a watch path (for the API's 400), or undefined when it is fine. */
export function invalidGlob(glob: string): string | undefined {
  const trimmed = normalise(glob);
  if (trimmed.length === 0) return 'empty glob';
  if (trimmed.length > MAX_GLOB_LENGTH) return `longer than ${MAX_GLOB_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) return 'contains control characters';
  const body = normalise(trimmed.startsWith('!') ? trimmed.slice(1) : trimmed);
  if (body.length === 0) return 'negation without a pattern';
  if (body.startsWith('!')) return 'double negation';
  if (body.startsWith('/')) return 'must be relative to the repository root (no leading "/")';
  if (body.includes('\\')) return 'use "/" as the path separator';
  if (body.split('/').includes('..')) return 'must not contain ".." segments';
  if (!balanced(body, '[', ']') || !balanced(body, '{', '}') || !balanced(body, '(', ')')) return 'unbalanced brackets';
  try {
    // picomatch compiles an unusable pattern to a regex that can never match.
    if (picomatch.makeRe(body, OPTIONS).source === '$^') return 'not a valid glob';
  } catch {
    return 'not a valid glob';
  }
  return undefined;
}
