/**
 * The URLs forges and browsers reach forgelink at. PUBLIC_URL, or http://HOST:PORT once the server
 * listens (PORT=0 learns its port only then).
 */
export class PublicUrls {
  private base?: string;
  private dashboard?: string;

  constructor(publicUrl?: string, dashboardUrl?: string) {
    this.base = publicUrl?.replace(/\/+$/, '');
    this.dashboard = dashboardUrl?.replace(/\/+$/, '');
  }

  /** Called once the port is known, when PUBLIC_URL was not configured. */
  setDefault(url: string): void {
    this.base ??= url.replace(/\/+$/, '');
  }

  get publicUrl(): string {
    if (!this.base) throw new Error('PUBLIC_URL is not known yet');
    return this.base;
  }

  get dashboardUrl(): string {
    return this.dashboard ?? this.publicUrl;
  }

  webhookUrl(providerId: string): string {
    return `${this.publicUrl}/v1/webhooks/${providerId}`;
  }

  /** `/v1/callbacks/<path>`: an OAuth forge's type, or a forge's own callback (`github/install`). */
  callbackUrl(kind: string): string {
    return `${this.publicUrl}/v1/callbacks/${kind}`;
  }

  /** Where callbacks send the browser when done. */
  dashboardRedirect(providerId: string | undefined, status: 'ok' | 'error', reason?: string): string {
    const url = new URL(this.dashboardUrl);
    if (providerId) url.searchParams.set('provider', providerId);
    url.searchParams.set('status', status);
    if (reason) url.searchParams.set('reason', reason);
    return url.toString();
  }
}
