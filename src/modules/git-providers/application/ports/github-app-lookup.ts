/** Learns a GitHub App's slug and page from its id and key, so hand-made apps get an installUrl too. */
export interface GitHubAppLookup {
  /** undefined when GitHub cannot be asked or says no: the provider is saved without them. Never throws. */
  describe(input: { githubUrl: string; appId: number; privateKey: string }): Promise<{ appSlug: string; appHtmlUrl: string } | undefined>;
}
