/**
 * A repository's identity on its forge: the forge's stable id (GitHub/Gitea repository id, GitLab project id,
 * Bitbucket repository uuid), which survives renames and transfers, plus its current full name, which does not.
 * Ids are compared in one canonical spelling (decimal for numeric ids; Bitbucket uuids lower-case with braces);
 * names compare case-insensitively on every forge.
 */
export interface RepositoryRef {
  /** The forge's stable id in canonical spelling; undefined for rows stored before ids were recorded. */
  readonly id?: string;
  /** owner/name as the forge currently spells it (GitLab subgroups: group/sub/name). */
  readonly fullName: string;
}

/** 7001 → "7001"; "{673A6070-…}" → "{673a6070-…}"; a bare uuid gets Bitbucket's braces. */
export function canonicalRepositoryId(value: string | number): string {
  const text = String(value).trim().toLowerCase();
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(text)) return `{${text}}`;
  return text;
}

/** Case-insensitive full-name equality (GitHub, GitLab, Gitea and Bitbucket all resolve names that way). */
export const sameRepositoryName = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/**
 * Whether a stored repository (id known, or a legacy row with only a name) is the one a forge payload names.
 * With both ids known only the ids count: a rename or transfer changes the name, never the id.
 */
export function sameRepository(stored: RepositoryRef, seen: RepositoryRef): boolean {
  if (stored.id !== undefined && seen.id !== undefined) return stored.id === seen.id;
  return sameRepositoryName(stored.fullName, seen.fullName);
}
