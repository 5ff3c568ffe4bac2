import { ContainerModule } from 'inversify';
import { TOKENS } from '../platform/tokens.js';
import { type Config } from '../config.js';
import { type Metrics } from '../shared/metrics.js';
import { type PublicUrls } from '../shared/public-urls.js';
import { type UnitOfWork } from '../shared/unit-of-work.js';
import { type Logger } from '../platform/logging/logger.js';
import { type Actor } from '../modules/identity/domain/actor.js';
import { OAUTH_REDIRECT_URIS, type OAuthRedirectUris } from '../modules/identity/http/session-routes.js';
import { PROVIDER_KINDS, type ProviderSecrets, type ProviderSettings } from '../modules/git-providers/domain/git-provider.js';
import { GIT_PROVIDER_REPOSITORY, type GitProviderRepository } from '../modules/git-providers/domain/git-provider-repository.js';
import { FORGE_CONNECTOR } from '../modules/git-providers/application/ports/forge-connector.js';
import { FORGE_CATALOG, type ForgeCatalog, type ProviderView } from '../modules/git-providers/application/ports/forge-catalog.js';
import { FORGE_URL_POLICY, type ForgeUrlPolicy } from '../modules/git-providers/application/ports/forge-url-policy.js';
import { MEMBER_DIRECTORY, type MemberDirectory } from '../modules/git-providers/application/ports/members.js';
import { PROVIDER_AUTHORIZATION } from '../modules/git-providers/application/ports/provider-authorization.js';
import { STATE_TOKENS, type StateTokens } from '../modules/git-providers/application/ports/state-tokens.js';
import { CredentialRefusals } from '../modules/git-providers/application/services/credential-refusals.js';
import { FORGE_CALLBACKS, type ForgeCallbacks } from '../modules/git-providers/http/callback-routes.js';
import { PROVIDER_FORMS, type ProviderForm } from '../modules/git-providers/http/provider-forms.js';
import { APP_INSTALLATIONS, type AppInstallations } from '../modules/webhooks/application/ports/app-installations.js';
import { WEBHOOK_FORGES, type WebhookForges } from '../modules/webhooks/application/ports/webhook-forge.js';
import { type ConnectorOptions, PluginForgeConnector } from './forge-connector.js';
import { type ForgeExtras } from './forge-extras.js';
import { forgePlugin, forgePlugins, providerKinds } from './registry.js';
import { OAuthCallbacks } from './shared/oauth/oauth-callbacks.js';
import { OAuthFlows } from './shared/oauth/oauth-flows.js';
import { OAuthTokens } from './shared/oauth/oauth-tokens.js';
import { providerSignedTypes, webhookForges } from './webhook-forges.js';

const FORGE_EXTRAS = Symbol.for('ForgeExtras');
const OAUTH_FLOWS = Symbol.for('OAuthFlows');

/**
 * The composition of the forge plug-ins: binds the registry into the ports the modules declare (ProviderKinds,
 * ForgeConnector, ForgeCatalog, ProviderForms, ProviderAuthorization, WebhookForges, AppInstallations, the forges'
 * callbacks and routes). Loaded by the composition root (src/app.ts); no module imports src/forges/.
 */
export const forgesModule = new ContainerModule(({ bind }) => {
  bind(PROVIDER_KINDS).toConstantValue(providerKinds);
  bind(FORGE_CONNECTOR)
    .toDynamicValue((ctx) => {
      const config = ctx.get<Config>(TOKENS.Config);
      const metrics = ctx.get<Metrics>(TOKENS.Metrics);
      const uow = ctx.get<UnitOfWork>(TOKENS.UnitOfWork);
      const providers = ctx.get<GitProviderRepository>(GIT_PROVIDER_REPOSITORY);
      const connector = new PluginForgeConnector(forgePlugin, {
        guard: ctx.get(TOKENS.UrlGuard),
        bitbucketApiUrl: config.bitbucketApiUrl,
        metrics,
        ...ctx.get<Partial<ConnectorOptions>>(TOKENS.ForgeOptions),
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
    })
    .inSingletonScope();
  bind(FORGE_EXTRAS)
    .toDynamicValue((ctx): ForgeExtras[] => {
      const connector = ctx.get<PluginForgeConnector>(FORGE_CONNECTOR);
      const { oauthApi: _perProvider, ...tools } = connector.tools;
      const deps = {
        uow: ctx.get<UnitOfWork>(TOKENS.UnitOfWork),
        providers: ctx.get<GitProviderRepository>(GIT_PROVIDER_REPOSITORY),
        kinds: providerKinds,
        states: ctx.get<StateTokens>(STATE_TOKENS),
        urls: ctx.get<PublicUrls>(TOKENS.PublicUrls),
        policy: ctx.get<ForgeUrlPolicy>(FORGE_URL_POLICY),
        members: ctx.get<MemberDirectory>(MEMBER_DIRECTORY),
        tools,
      };
      return forgePlugins.flatMap((plugin) => (plugin.extras ? [plugin.extras(deps)] : []));
    })
    .inSingletonScope();
  bind(FORGE_CATALOG)
    .toDynamicValue((ctx): ForgeCatalog => {
      const connector = ctx.get<PluginForgeConnector>(FORGE_CONNECTOR);
      const urls = ctx.get<PublicUrls>(TOKENS.PublicUrls);
      const states = ctx.get<StateTokens>(STATE_TOKENS);
      const logger = ctx.get<Logger>(TOKENS.Logger);
      const learnTools = {
        guard: connector.tools.guard,
        timeoutMs: ctx.get<Partial<ConnectorOptions>>(TOKENS.ForgeOptions).timeoutMs ?? 3_000,
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
        learn: async (settings: ProviderSettings, secrets: ProviderSecrets) =>
          forgePlugin(settings.type).learn?.(settings, secrets, learnTools),
        learnsFrom: (type: string) => forgePlugin(type).learnsFrom ?? [],
      };
    })
    .inSingletonScope();
  bind(PROVIDER_FORMS).toConstantValue(
    forgePlugins.map((plugin): ProviderForm => ({
      type: plugin.name.type,
      summaryKey: plugin.summaryKey,
      create: plugin.forms.create,
      update: plugin.forms.update,
      summary: plugin.forms.summary,
      authorizes: plugin.oauth !== undefined,
    })),
  );
  bind(OAUTH_FLOWS)
    .toDynamicValue((ctx) => {
      const connector = ctx.get<PluginForgeConnector>(FORGE_CONNECTOR);
      return new OAuthFlows(
        ctx.get(TOKENS.UnitOfWork),
        ctx.get(GIT_PROVIDER_REPOSITORY),
        (provider) => {
          const capability = forgePlugin(provider.type).oauth;
          return capability ? { capability, client: connector.oauth(provider) } : undefined;
        },
        ctx.get(STATE_TOKENS),
        ctx.get(MEMBER_DIRECTORY),
      );
    })
    .inSingletonScope();
  bind(PROVIDER_AUTHORIZATION)
    .toDynamicValue((ctx) => ctx.get(OAUTH_FLOWS))
    .inSingletonScope();
  bind(FORGE_CALLBACKS)
    .toDynamicValue((ctx): ForgeCallbacks[] => {
      const flows = ctx.get<OAuthFlows>(OAUTH_FLOWS);
      const urls = ctx.get<PublicUrls>(TOKENS.PublicUrls);
      const oauth = forgePlugins.filter((plugin) => plugin.oauth).map((plugin) => new OAuthCallbacks(plugin.name, flows, urls));
      const extras = ctx.get<ForgeExtras[]>(FORGE_EXTRAS).flatMap((extra) => (extra.callbacks ? [extra.callbacks] : []));
      return [...oauth, ...extras];
    })
    .inSingletonScope();
  bind(OAUTH_REDIRECT_URIS)
    .toDynamicValue((ctx): OAuthRedirectUris => {
      const urls = ctx.get<PublicUrls>(TOKENS.PublicUrls);
      // What the console shows to copy before a provider exists (OAuth applications need their callback URL first).
      return {
        types: forgePlugins.filter((plugin) => plugin.oauth).map((plugin) => plugin.name.type),
        uriOf: (type) => urls.callbackUrl(type),
      };
    })
    .inSingletonScope();
  bind(APP_INSTALLATIONS)
    .toDynamicValue((ctx): AppInstallations => {
      const handlers = ctx.get<ForgeExtras[]>(FORGE_EXTRAS).flatMap((extra) => (extra.appInstallations ? [extra.appInstallations] : []));
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
    })
    .inSingletonScope();
  bind(WEBHOOK_FORGES).toConstantValue({
    forges: webhookForges,
    signedByProvider: (type: string) => providerSignedTypes.has(type),
  } satisfies WebhookForges);
  for (const plugin of forgePlugins) {
    if (!plugin.extras) continue;
    const index = forgePlugins.filter((p) => p.extras).indexOf(plugin);
    bind(TOKENS.Routes)
      .toDynamicValue((ctx) => {
        const routes = ctx.get<ForgeExtras[]>(FORGE_EXTRAS)[index]?.routes;
        // A forge without routes of its own contributes none (an empty contributor keeps the binding list static).
        return routes ?? { kind: 'api' as const, register: () => undefined };
      })
      .inSingletonScope();
  }
});
