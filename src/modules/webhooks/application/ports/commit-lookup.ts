/** The forge's commit API, for payloads that name a commit by an abbreviation (Bitbucket Cloud pull requests). */
export interface CommitLookup {
  /**
   * The full commit behind `sha` with its message and author, within a short budget (the webhook must still be answered
   * within a second). A failure is a value with the reason, recorded with the delivery: a preview is never emitted
   * with an abbreviated sha.
   */
  resolve(
    providerId: string,
    repository: string,
    sha: string,
  ): Promise<{ ok: true; sha: string; message: string; author: string } | { ok: false; reason: string }>;
}
