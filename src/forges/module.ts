import { containerModule } from '../platform/container.js';
import { TOKENS } from '../platform/tokens.js';
import { IDENTITY } from '../modules/identity/tokens.js';
import { GIT_PROVIDERS } from '../modules/git-providers/tokens.js';
import { WEBHOOKS } from '../modules/webhooks/tokens.js';
import { type ProviderView } from '../modules/git-providers/application/ports/forge-catalog.js';
import { CredentialRefusals } from '../modules/git-providers/application/services/credential-refusals.js';
import { type ProviderForm } from '../modules/git-providers/http/provider-forms.js';
import { type Actor } from '../modules/identity/domain/actor.js';
import { PluginForgeConnector } from './forge-connector.js';
import { forgePlugin, forgePlugins, providerKinds } from './registry.js';
import { OAuthCallbacks } from './shared/oauth/oauth-callbacks.js';
import { OAuthFlows } from './shared/oauth/oauth-flows.js';
import { OAuthTokens } from './shared/oauth/oauth-tokens.js';
import { providerSignedTypes, webhookForges } from './webhook-forges.js';
import { FORGES } from './tokens.js';

const oauthPlugins = forgePlugins.filter((plugin) => plugin.oauth);

/**
 * The composition of the forge plug-ins: binds the registry into the ports the modules declare (ProviderKinds,
 * ForgeConnector, ForgeCatalog, ProviderForms, ProviderAuthorization, the forges' callbacks and routes, WebhookForges,
 * AppInstallations, OAuthRedirectUris). Loaded by the composition root (src/app.ts); no module imports src/forges/.
 */
export const forgesModule = containerModule((bind) => {
  bind.constant(GIT_PROVIDERS.Kinds, providerKinds);
  bind.singleton(GIT_PROVIDERS.UrlPolicy, (r) => r.get(FORGES.UrlGuard));
  bind.singleton(FORGES.Connector, (r) => {
    const metrics = r.get(TOKENS.Metrics);
    const uow = r.get(TOKENS.UnitOfWork);
    const providers = r.get(GIT_PROVIDERS.Repository);
    const connector = new PluginForgeConnector(forgePlugin, {
      guard: r.get(FORGES.UrlGuard),
      bitbucketApiUrl: r.get(TOKENS.Config).bitbucketApiUrl,
      metrics,
      ...r.get(TOKENS.ForgeOptions),
    });
    connector.useTokens(
      new OAuthTokens(
        uow,
        providers,
        (provider) => connector.oauth(provider),
        undefined,
        metrics,
        (type) => forgePlugin(type).name,
      ),
    );
    connector.useRefusals(new CredentialRefusals(uow, providers));
    return connector;
  });
  bind.singleton(GIT_PROVIDERS.ForgeConnector, (r) => r.get(FORGES.Connector));
  bind.singleton(FORGES.Extras, (r) => {
    const { oauthApi: _perProvider, ...tools } = r.get(FORGES.Connector).tools;
    const deps = {
      uow: r.get(TOKENS.UnitOfWork),
      providers: r.get(GIT_PROVIDERS.Repository),
      kinds: providerKinds,
      states: r.get(GIT_PROVIDERS.StateTokens),
      urls: r.get(TOKENS.PublicUrls),
      policy: r.get(GIT_PROVIDERS.UrlPolicy),
      members: r.get(GIT_PROVIDERS.Members),
      tools,
    };
    return forgePlugins.map((plugin) => plugin.extras?.(deps) ?? {});
  });
  bind.singleton(GIT_PROVIDERS.ForgeCatalog, (r) => {
    const urls = r.get(TOKENS.PublicUrls);
    const states = r.get(GIT_PROVIDERS.StateTokens);
    const logger = r.get(TOKENS.Logger);
    const learnTools = {
      guard: r.get(FORGES.UrlGuard),
      timeoutMs: r.get(TOKENS.ForgeOptions).timeoutMs ?? 3_000,
      onFailure: (detail: string) => logger.info({ detail }, 'could not ask the forge about the provider (saved without it)'),
    };
    return {
      types: providerKinds.types,
      summaryBlock: (type: string, view: ProviderView, actor: Actor) => {
        const plugin = forgePlugin(type);
        return {
          key: plugin.summaryKey,
          block: plugin.forms.summaryBlock(view, { actor, states, webhookUrl: (id) => urls.webhookUrl(id) }),
        };
      },
      missingTarget: (provider) => forgePlugin(provider.type).guidance.missingTarget(provider.settings),
      notReady: (provider) => forgePlugin(provider.type).guidance.notReady(provider),
      learn: async (settings, secrets) => forgePlugin(settings.type).learn?.(settings, secrets, learnTools),
      learnsFrom: (type) => forgePlugin(type).learnsFrom ?? [],
    };
  });
  bind.constant(
    GIT_PROVIDERS.ProviderForms,
    forgePlugins.map((plugin): ProviderForm => ({
      type: plugin.name.type,
      summaryKey: plugin.summaryKey,
      create: plugin.forms.create,
      update: plugin.forms.update,
      summary: plugin.forms.summary,
      authorizes: plugin.oauth !== undefined,
    })),
  );
  bind.singleton(FORGES.OAuthFlows, (r) => {
    const connector = r.get(FORGES.Connector);
    return new OAuthFlows(
      r.get(TOKENS.UnitOfWork),
      r.get(GIT_PROVIDERS.Repository),
      (provider) => {
        const capability = forgePlugin(provider.type).oauth;
        return capability ? { capability, client: connector.oauth(provider) } : undefined;
      },
      r.get(GIT_PROVIDERS.StateTokens),
      r.get(GIT_PROVIDERS.Members),
    );
  });
  bind.singleton(GIT_PROVIDERS.Authorization, (r) => r.get(FORGES.OAuthFlows));
  bind.singleton(GIT_PROVIDERS.ForgeCallbacks, (r) => {
    const urls = r.get(TOKENS.PublicUrls);
    const oauth = oauthPlugins.map((plugin) => new OAuthCallbacks(plugin.name, r.get(FORGES.OAuthFlows), urls));
    return [...oauth, ...r.get(FORGES.Extras).flatMap((extra) => (extra.callbacks ? [extra.callbacks] : []))];
  });
  bind.singleton(IDENTITY.OAuthRedirectUris, (r) => {
    const urls = r.get(TOKENS.PublicUrls);
    // What the console shows to copy before a provider exists (OAuth applications need their callback URL first).
    return { types: oauthPlugins.map((plugin) => plugin.name.type), uriOf: (type) => urls.callbackUrl(type) };
  });
  bind.singleton(WEBHOOKS.AppInstallations, (r) => {
    const handlers = r.get(FORGES.Extras).flatMap((extra) => (extra.appInstallations ? [extra.appInstallations] : []));
    return {
      async apply(providerId, change) {
        let first: string | undefined;
        for (const handler of handlers) {
          const outcome = await handler.apply(providerId, change);
          if (!outcome.startsWith('installation_ignored')) return outcome;
          first ??= outcome;
        }
        return first ?? 'installation_ignored: not an app provider';
      },
    };
  });
  bind.constant(WEBHOOKS.WebhookForges, { forges: webhookForges, signedByProvider: (type: string) => providerSignedTypes.has(type) });
  // Forge-only routes (GitHub: POST /git-providers/github/manifest); a forge without any contributes an empty set.
  forgePlugins.forEach((_plugin, index) => {
    bind.singleton(TOKENS.Routes, (r) => r.get(FORGES.Extras)[index]?.routes ?? { kind: 'api' as const, register: () => undefined });
  });
});
