import { token } from '../platform/container.js';
import { type PluginForgeConnector } from './forge-connector.js';
import { type ForgeExtras } from './forge-extras.js';
import { type OAuthFlows } from './shared/oauth/oauth-flows.js';
import { type UrlGuard } from './shared/url-guard.js';

/** The forge plug-ins' own container identifiers (ADR 0010, 0016); the modules see them only through their ports. */
export const FORGES = {
  /** The SSRF guard (bound by the composition root; the modules get it as their URL policy port). */
  UrlGuard: token<UrlGuard>('UrlGuard'),
  Connector: token<PluginForgeConnector>('PluginForgeConnector'),
  /** Each plug-in's forge-only use cases, in the registry's order. */
  Extras: token<readonly ForgeExtras[]>('ForgeExtras'),
  OAuthFlows: token<OAuthFlows>('OAuthFlows'),
} as const;
