// One provider: what to copy to the forge, what to do next, Test Connection, sharing, Update and Delete.
import { useEffect, useState } from 'preact/hooks';
import { del, get, patch, post, put } from '../api.js';
import { callbackMessage, FORGE_NAMES, formatTime, statusBadge } from '../text.js';
import { Badge, ConfirmDialog, CopyField, html, Loading, Notice, TextField, useAction, useLoad } from '../ui.js';
import { canManage } from './providers.js';

export function ProviderPage({ session, id, callback }) {
  const [provider, error, reload] = useLoad(() => get(`/git-providers/${encodeURIComponent(id)}`), [id]);
  const [flash, setFlash] = useState(null);
  useEffect(() => {
    if (provider && callback && callback.provider === id && !flash) setFlash(callbackMessage(callback, provider));
  }, [provider]);

  if (error)
    return html`<section>
      <p><a href="#/providers">← Git Providers</a></p>
      <p role="alert" class="notice bad">${error}</p>
    </section>`;
  if (!provider) return html`<${Loading} what="the provider" />`;
  const badge = statusBadge(provider);
  const canChange = canManage(session) || provider.isCreator;
  return html`<section aria-labelledby="provider-title">
    <p><a href="#/providers">← Git Providers</a></p>
    <h1 id="provider-title">${provider.name}</h1>
    ${flash ? html`<p role=${flash.tone === 'bad' ? 'alert' : 'status'} class="notice ${flash.tone}">${flash.text}</p>` : null}
    <p class="status-line">
      ${FORGE_NAMES[provider.type] ?? provider.type} ·
      <${Badge} tone=${badge.tone}>${badge.label}<//> ${badge.next ? html`<span class="next">${badge.next}</span>` : null}
    </p>
    <${Details} provider=${provider} />
    <${ForgeSteps} provider=${provider} canChange=${canChange} />
    <div class="panel">
      <h2>Connection</h2>
      <${TestConnection} id=${id} />
      <${Sharing} session=${session} provider=${provider} onChanged=${reload} />
    </div>
    ${provider.type === 'github' && canChange ? html`<${GitHubUpdate} provider=${provider} onSaved=${reload} />` : null}
    <${DeleteProvider} provider=${provider} canChange=${canChange} />
  </section>`;
}

function Details({ provider }) {
  const rows = [
    ['Created by', provider.createdBy + (provider.isCreator ? ' (you)' : '')],
    ['Created', formatTime(provider.createdAt)],
  ];
  const g = provider.github,
    l = provider.gitlab,
    b = provider.bitbucket,
    t = provider.gitea,
    d = provider.bitbucketDatacenter;
  if (g)
    rows.push(
      ['GitHub URL', g.githubUrl],
      ['App ID', g.appId ?? '—'],
      ['App', g.appSlug ?? '—'],
      ['Installation ID', g.installationId ?? '—'],
      ['Private key', g.hasPrivateKey ? 'Stored' : 'Missing'],
      ['Webhook secret', g.hasWebhookSecret ? 'Stored' : 'Missing'],
    );
  if (l)
    rows.push(
      ['GitLab URL', l.gitlabUrl],
      ['Application ID', l.applicationId],
      ['Group', l.groupName ?? '—'],
      ['Authorised', l.hasTokens ? 'Yes' : 'Not yet'],
    );
  if (b)
    rows.push(
      ['Username', b.username],
      ['Workspace', b.workspace],
      ['Credentials', b.hasCredentials ? `Stored (${b.authMethod === 'api_token' ? 'API token' : 'app password'})` : 'Missing'],
    );
  if (t) rows.push(['Gitea URL', t.giteaUrl], ['Client ID', t.clientId], ['Authorised', t.hasTokens ? 'Yes' : 'Not yet']);
  if (d)
    rows.push(
      ['Server URL', d.serverUrl],
      ['Internal URL', d.internalUrl ?? '—'],
      ['Username', d.username ?? '—'],
      ['Access token', d.hasToken ? 'Stored' : 'Missing'],
    );
  return html`<dl class="details">
    ${rows.map(
      ([k, v]) =>
        html`<div>
          <dt>${k}</dt>
          <dd>${String(v)}</dd>
        </div>`,
    )}
  </dl>`;
}

/** What the user must do on the forge, and the link or button that does it. */
function ForgeSteps({ provider, canChange }) {
  const [run, busy, notice] = useAction();
  const authorise = async () => {
    const answer = await run(() => get(`/git-providers/${provider.id}/authorize-url`));
    if (answer) location.assign(answer.authorizeUrl);
  };
  if (provider.type === 'github') {
    const g = provider.github;
    return html`<div class="panel">
      <h2>On GitHub</h2>
      <${CopyField}
        label="Webhook URL"
        value=${g.webhookUrl}
        hint="The GitHub App's webhook URL (forgelink sets it itself when it creates the App)."
      />
      ${
        g.installUrl && canChange
          ? html`<p>
              <a class="button ${provider.status === 'pending_installation' ? '' : 'secondary'}" href=${g.installUrl}>Install GitHub App</a>
              <span class="hint">Choose the account and repositories; GitHub sends you back here.</span>
            </p>`
          : null
      }
    </div>`;
  }
  if (provider.type === 'gitlab' || provider.type === 'gitea') {
    const settings = provider.gitlab ?? provider.gitea;
    const forge = FORGE_NAMES[provider.type];
    return html`<div class="panel">
      <h2>On ${forge}</h2>
      <${CopyField} label="Redirect URI" value=${settings.redirectUri} hint=${`The OAuth application's redirect URI on ${forge}.`} />
      ${
        canChange
          ? html`<p>
              <button type="button" onClick=${authorise} disabled=${busy}>Authorise</button>
              <span class="hint"
                >${settings.hasTokens ? 'Authorised. Authorise again to renew the grant.' : `Opens ${forge}; approve forgelink and you come back here.`}</span
              >
            </p>`
          : html`<p class="hint">Owners, admins and the provider’s creator can authorise it.</p>`
      }
      <${Notice} notice=${notice} />
    </div>`;
  }
  return null;
}

function TestConnection({ id }) {
  const [run, busy, notice] = useAction();
  return html`<div class="row">
    <button
      type="button"
      class="secondary"
      disabled=${busy}
      onClick=${() =>
        run(
          () => post(`/git-providers/${id}/test-connection`),
          (r) => r.message,
        )}
    >
      ${busy ? 'Testing…' : 'Test Connection'}
    </button>
    <${Notice} notice=${notice} />
  </div>`;
}

function Sharing({ session, provider, onChanged }) {
  const [run, busy, notice] = useAction();
  const allowed = provider.isCreator;
  const toggle = async (e) => {
    const wanted = e.currentTarget.checked;
    const done = await run(
      () => put(`/git-providers/${provider.id}/sharing`, { sharedWithOrganization: wanted }),
      wanted ? 'Shared with the organisation.' : 'No longer shared.',
    );
    if (done) onChanged();
  };
  const why = allowed
    ? 'Members of the organisation can use this provider when it is shared; owners and admins always can.'
    : `Only the creator (${provider.createdBy}) can share or unshare this provider${session.userId === provider.createdBy ? '' : '; you are not its creator'}.`;
  return html`<div class="field switch">
    <input
      id="share-switch"
      type="checkbox"
      role="switch"
      checked=${provider.sharedWithOrganization}
      aria-checked=${String(provider.sharedWithOrganization)}
      disabled=${!allowed || busy}
      onChange=${toggle}
      aria-describedby="share-why"
    />
    <label for="share-switch">Share with organisation</label>
    <p class="hint" id="share-why">${why}</p>
    <${Notice} notice=${notice} />
  </div>`;
}

function GitHubUpdate({ provider, onSaved }) {
  const g = provider.github;
  const [f, setF] = useState({
    githubUrl: g.githubUrl,
    appId: g.appId ? String(g.appId) : '',
    installationId: g.installationId ? String(g.installationId) : '',
    privateKey: '',
    webhookSecret: '',
  });
  const set = (key) => (value) => setF({ ...f, [key]: value });
  const [run, busy, notice] = useAction();
  const submit = async (e) => {
    e.preventDefault();
    const body = { expectedVersion: provider.version };
    if (f.githubUrl !== g.githubUrl) body.githubUrl = f.githubUrl;
    if (f.appId && Number(f.appId) !== g.appId) body.appId = Number(f.appId);
    if (f.installationId && Number(f.installationId) !== g.installationId) body.installationId = Number(f.installationId);
    if (f.privateKey) body.privateKey = f.privateKey;
    if (f.webhookSecret) body.webhookSecret = f.webhookSecret;
    const saved = await run(() => patch(`/git-providers/${provider.id}/github`, body), 'Saved.');
    if (saved) onSaved();
  };
  return html`<form class="panel" onSubmit=${submit} aria-labelledby="gh-update-title">
    <h2 id="gh-update-title">App details</h2>
    <p class="hint">
      Leave Private Key and Webhook Secret empty to keep the stored ones. Changing the GitHub URL drops the stored key unless you enter it
      again.
    </p>
    <${TextField} label="GitHub URL" value=${f.githubUrl} onInput=${set('githubUrl')} required />
    <${TextField} label="App ID" value=${f.appId} onInput=${set('appId')} />
    <${TextField} label="Installation ID" value=${f.installationId} onInput=${set('installationId')} />
    <${TextField} label="Private Key" value=${f.privateKey} onInput=${set('privateKey')} multiline />
    <${TextField} label="Webhook Secret" value=${f.webhookSecret} onInput=${set('webhookSecret')} type="password" />
    <button type="submit" disabled=${busy}>${busy ? 'Saving…' : 'Update'}</button>
    <${Notice} notice=${notice} />
  </form>`;
}

function DeleteProvider({ provider, canChange }) {
  const [asking, setAsking] = useState(false);
  const [run, busy, notice] = useAction();
  const remove = async () => {
    setAsking(false);
    const done = await run(() => del(`/git-providers/${provider.id}`).then(() => true));
    if (done) location.hash = '#/providers';
  };
  return html`<div class="panel danger-zone">
    <h2>Delete</h2>
    <p class="hint" id="delete-why">
      ${
        canChange
          ? 'Deleting disconnects every service that uses this provider and removes the webhooks forgelink registered.'
          : 'Only owners, admins and the provider’s creator can delete it.'
      }
    </p>
    <button type="button" class="danger" disabled=${!canChange || busy} aria-describedby="delete-why" onClick=${() => setAsking(true)}>
      Delete
    </button>
    <${Notice} notice=${notice} />
    <${ConfirmDialog}
      open=${asking}
      title=${`Delete “${provider.name}”?`}
      text="Every service connected through it is disconnected. This cannot be undone."
      confirm="Delete"
      onConfirm=${remove}
      onCancel=${() => setAsking(false)}
    />
  </div>`;
}
