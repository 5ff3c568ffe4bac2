/** The SSRF guard as the application sees it: null when the forge URL may be used, else why not. */
export interface ForgeUrlPolicy {
  check(url: string): Promise<string | null>;
}
