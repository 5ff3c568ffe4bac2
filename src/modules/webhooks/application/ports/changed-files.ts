/** The forge's compare API, for watch paths when a payload's file list is truncated or absent (Bitbucket). */
export interface ChangedFilesLookup {
  /** 'unknown' when the forge cannot tell (error, capped compare): the caller then deploys. */
  changedFiles(providerId: string, repository: string, baseSha: string, headSha: string): Promise<readonly string[] | 'unknown'>;
}
