import { type ProviderKind, type ProviderKinds } from '../modules/git-providers/domain/git-provider.js';
import { type ForgePlugin } from './forge-plugin.js';
import { bitbucketDatacenterPlugin } from './bitbucket-datacenter/bitbucket-datacenter-plugin.js';
import { bitbucketPlugin } from './bitbucket/bitbucket-plugin.js';
import { giteaPlugin } from './gitea/gitea-plugin.js';
import { githubPlugin } from './github/github-plugin.js';
import { gitlabPlugin } from './gitlab/gitlab-plugin.js';

/**
 * Every forge forgelink knows, one line each: adding a forge is its folder under src/forges/, one line here, a
 * migration when the database constrains the type, and its docs (docs/architecture.md "Adding a forge").
 * The order is the order of the routes and of the summary union in /openapi.json.
 */
export const forgePlugins: readonly ForgePlugin[] = [githubPlugin, gitlabPlugin, bitbucketPlugin, bitbucketDatacenterPlugin, giteaPlugin];

const byType = new Map(forgePlugins.map((plugin) => [plugin.name.type, plugin]));

/** The plug-in of a provider type; throws for a type no plug-in provides (a row of a removed forge: a deployment error). */
export function forgePlugin(type: string): ForgePlugin {
  const plugin = byType.get(type);
  if (!plugin) throw new Error(`No forge plug-in for provider type "${type}"`);
  return plugin;
}

export const hasForgePlugin = (type: string): boolean => byType.has(type);

/** The domain's view of the registry. */
export const providerKinds: ProviderKinds = {
  types: forgePlugins.map((plugin) => plugin.name.type),
  of: (type: string): ProviderKind => forgePlugin(type).kind,
};
