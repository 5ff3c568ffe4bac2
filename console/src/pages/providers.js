// Git Providers: the list, and Add Git Provider with one form per forge.
import { useState } from 'preact/hooks';
import { get, post } from '../api.js';
import { FORGE_NAMES, statusBadge } from '../text.js';
import { Badge, CopyField, html, Loading, Notice, TextField, useAction, useLoad } from '../ui.js';

export const canManage = (session) => session.role === 'owner' || session.role === 'admin';

export function ProvidersPage({ session }) {
  const [data, error] = useLoad(() => get('/git-providers'), []);
  const [adding, setAdding] = useState(false);
  const items = data?.items;
  return html`<section aria-labelledby="providers-title">
    <div class="title-row">
      <h1 id="providers-title">Git Providers</h1>
      <button
        type="button"
        onClick=${() => setAdding(!adding)}
        aria-expanded=${adding}
        aria-controls="forge-choice"
        disabled=${!canManage(session)}
        aria-describedby=${canManage(session) ? undefined : 'add-why'}
      >
        Add Git Provider
      </button>
    </div>
    ${canManage(session) ? null : html`<p class="hint" id="add-why">Only owners and admins can add providers; you are a ${session.role}.</p>`}
    ${adding ? html`<${ForgeChoice} />` : null} ${error ? html`<p role="alert" class="notice bad">${error}</p>` : null}
    ${!items && !error ? html`<${Loading} what="providers" />` : null}
    ${items && items.length === 0 ? html`<p class="empty">No providers yet. Add one to connect a forge.</p>` : null}
    ${
      items && items.length > 0
        ? html`<div class="table-wrap">
            <table>
              <caption class="sr-only">
                Git providers you can see
              </caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Type</th>
                  <th scope="col">Status</th>
                  <th scope="col">Shared</th>
                </tr>
              </thead>
              <tbody>
                ${items.map((p) => {
                  const badge = statusBadge(p);
                  return html`<tr>
                    <th scope="row"><a href=${`#/providers/${p.id}`}>${p.name}</a></th>
                    <td>${FORGE_NAMES[p.type] ?? p.type}</td>
                    <td>
                      <${Badge} tone=${badge.tone}>${badge.label}<//>${badge.next ? html`<span class="next">${badge.next}</span>` : null}
                    </td>
                    <td>${p.sharedWithOrganization ? 'Shared with organisation' : 'Private'}</td>
                  </tr>`;
                })}
              </tbody>
            </table>
          </div>`
        : null
    }
  </section>`;
}

/** The forges a provider can be added for. */
const FORGES = [
  { type: 'github', label: 'GitHub', about: 'A GitHub App (github.com, GHE.com or Enterprise Server)' },
  { type: 'gitlab', label: 'GitLab', about: 'An OAuth application (gitlab.com or self-managed)' },
  { type: 'bitbucket', label: 'Bitbucket', about: 'Bitbucket Cloud with an API token' },
  { type: 'bitbucket-datacenter', label: 'Bitbucket Data Center', about: 'Self-hosted Bitbucket with an HTTP access token' },
  { type: 'gitea', label: 'Gitea', about: 'Gitea or Forgejo with an OAuth2 application' },
];

function ForgeChoice() {
  return html`<nav id="forge-choice" class="forge-choice" aria-label="Forge">
    <ul>
      ${FORGES.map(
        (f) =>
          html`<li>
            <a class="button secondary" href=${`#/providers/new/${f.type}`}>${f.label}</a><span class="about">${f.about}</span>
          </li>`,
      )}
    </ul>
  </nav>`;
}

export function AddProviderPage({ session, type }) {
  const forge = FORGES.find((f) => f.type === type);
  if (!forge) return html`<p role="alert" class="notice bad">Unknown forge “${type}”. <a href="#/providers">Back to Git Providers</a></p>`;
  const Form = {
    github: GitHubForm,
    gitlab: GitLabForm,
    bitbucket: BitbucketForm,
    'bitbucket-datacenter': BitbucketDatacenterForm,
    gitea: GiteaForm,
  }[type];
  return html`<section aria-labelledby="add-title">
    <p><a href="#/providers">← Git Providers</a></p>
    <h1 id="add-title">Add ${forge.label} provider</h1>
    <${Form} session=${session} />
  </section>`;
}

const openProvider = (id) => {
  location.hash = `#/providers/${id}`;
};

function GitHubForm() {
  const [mode, setMode] = useState('manifest');
  const [f, setF] = useState({
    name: '',
    githubUrl: 'https://github.com',
    organization: '',
    appId: '',
    installationId: '',
    privateKey: '',
    webhookSecret: '',
  });
  const set = (key) => (value) => setF({ ...f, [key]: value });
  const [run, busy, notice] = useAction();
  const submit = async (e) => {
    e.preventDefault();
    if (mode === 'manifest') {
      const started = await run(() =>
        post('/git-providers/github/manifest', {
          name: f.name,
          githubUrl: f.githubUrl,
          ...(f.organization ? { organization: f.organization } : {}),
        }),
      );
      if (started) postManifest(started);
      return;
    }
    const created = await run(() =>
      post('/git-providers/github', {
        name: f.name,
        githubUrl: f.githubUrl,
        appId: Number(f.appId),
        ...(f.installationId ? { installationId: Number(f.installationId) } : {}),
        privateKey: f.privateKey,
        webhookSecret: f.webhookSecret,
      }),
    );
    if (created) openProvider(created.id);
  };
  return html`<form onSubmit=${submit}>
    <${TextField}
      label="Name"
      value=${f.name}
      onInput=${set('name')}
      required
      hint="Also the GitHub App's name when forgelink creates it."
    />
    <${TextField}
      label="GitHub URL"
      value=${f.githubUrl}
      onInput=${set('githubUrl')}
      required
      hint="The web address: https://github.com, https://<name>.ghe.com or your GitHub Enterprise Server."
    />
    <fieldset>
      <legend>Setup</legend>
      <label class="radio"
        ><input type="radio" name="gh-mode" checked=${mode === 'manifest'} onChange=${() => setMode('manifest')} /> Create a new GitHub App
        (recommended)</label
      >
      <label class="radio"
        ><input type="radio" name="gh-mode" checked=${mode === 'manual'} onChange=${() => setMode('manual')} /> Enter an existing App's
        details</label
      >
    </fieldset>
    ${
      mode === 'manifest'
        ? html`<${TextField}
              label="Organization"
              value=${f.organization}
              onInput=${set('organization')}
              hint="Optional: create the App under this GitHub organisation instead of your account."
            />
            <p class="hint">You will confirm the App on GitHub, come back here, then install it on the repositories it should see.</p>
            <button type="submit" disabled=${busy}>${busy ? 'Opening GitHub…' : 'Create GitHub App'}</button>`
        : html`<${TextField}
              label="App ID"
              value=${f.appId}
              onInput=${set('appId')}
              required
              type="text"
              hint="On GitHub: the App's settings, General, App ID."
            />
            <${TextField}
              label="Installation ID"
              value=${f.installationId}
              onInput=${set('installationId')}
              hint="Optional now: the number at the end of the installation's settings URL."
            />
            <${TextField}
              label="Private Key"
              value=${f.privateKey}
              onInput=${set('privateKey')}
              required
              multiline
              hint="The .pem file GitHub generated, pasted whole."
            />
            <${TextField}
              label="Webhook Secret"
              value=${f.webhookSecret}
              onInput=${set('webhookSecret')}
              required
              type="password"
              hint="The secret entered on GitHub for the App's webhook."
            />
            <p class="hint">After saving, enter the Webhook URL shown on the provider's page as the App's webhook URL on GitHub.</p>
            <button type="submit" disabled=${busy}>${busy ? 'Saving…' : 'Save'}</button>`
    }
    <${Notice} notice=${notice} />
  </form>`;
}

/** GitHub's manifest flow: the browser POSTs the manifest (JSON in the form field `manifest`) to the forge. */
function postManifest({ postUrl, manifest }) {
  const form = document.createElement('form');
  form.method = 'post';
  form.action = postUrl;
  const field = document.createElement('input');
  field.type = 'hidden';
  field.name = 'manifest';
  field.value = JSON.stringify(manifest);
  form.append(field);
  document.body.append(form);
  form.submit();
}

function GitLabForm({ session }) {
  const [f, setF] = useState({ name: '', gitlabUrl: 'https://gitlab.com', applicationId: '', secret: '', groupName: '' });
  const set = (key) => (value) => setF({ ...f, [key]: value });
  const [run, busy, notice] = useAction();
  const submit = async (e) => {
    e.preventDefault();
    const created = await run(() =>
      post('/git-providers/gitlab', {
        name: f.name,
        gitlabUrl: f.gitlabUrl,
        applicationId: f.applicationId,
        secret: f.secret,
        ...(f.groupName ? { groupName: f.groupName } : {}),
      }),
    );
    if (created) openProvider(created.id);
  };
  return html`<form onSubmit=${submit}>
    <${TextField} label="Name" value=${f.name} onInput=${set('name')} required />
    <${TextField}
      label="GitLab URL"
      value=${f.gitlabUrl}
      onInput=${set('gitlabUrl')}
      required
      hint="https://gitlab.com or your self-managed GitLab."
    />
    <${CopyField}
      label="Redirect URI"
      value=${session.redirectUris.gitlab}
      hint="Enter this as the application's Redirect URI on GitLab (scopes: api, read_user, read_repository)."
    />
    <${TextField} label="Application ID" value=${f.applicationId} onInput=${set('applicationId')} required />
    <${TextField} label="Secret" value=${f.secret} onInput=${set('secret')} required type="password" />
    <${TextField}
      label="Group Name"
      value=${f.groupName}
      onInput=${set('groupName')}
      hint="Optional: only list projects under this group path."
    />
    <button type="submit" disabled=${busy}>${busy ? 'Saving…' : 'Save'}</button>
    <p class="hint">After saving, choose Authorise to let forgelink use GitLab on your behalf.</p>
    <${Notice} notice=${notice} />
  </form>`;
}

function BitbucketForm() {
  const [f, setF] = useState({ name: '', username: '', email: '', workspace: '', apiToken: '' });
  const set = (key) => (value) => setF({ ...f, [key]: value });
  const [run, busy, notice] = useAction();
  const submit = async (e) => {
    e.preventDefault();
    const created = await run(() => post('/git-providers/bitbucket', f));
    if (created) openProvider(created.id);
  };
  return html`<form onSubmit=${submit}>
    <${TextField} label="Name" value=${f.name} onInput=${set('name')} required />
    <${TextField} label="Username" value=${f.username} onInput=${set('username')} required />
    <${TextField}
      label="Email"
      value=${f.email}
      onInput=${set('email')}
      required
      type="email"
      hint="Your Atlassian account email (API tokens authenticate with it)."
    />
    <${TextField} label="Workspace" value=${f.workspace} onInput=${set('workspace')} required />
    <${TextField}
      label="API Token"
      value=${f.apiToken}
      onInput=${set('apiToken')}
      required
      type="password"
      hint="An Atlassian API token with repository read and webhook scopes."
    />
    <button type="submit" disabled=${busy}>${busy ? 'Saving…' : 'Save'}</button>
    <${Notice} notice=${notice} />
  </form>`;
}

function BitbucketDatacenterForm() {
  const [f, setF] = useState({ name: '', serverUrl: '', internalUrl: '', username: '', token: '' });
  const set = (key) => (value) => setF({ ...f, [key]: value });
  const [run, busy, notice] = useAction();
  const submit = async (e) => {
    e.preventDefault();
    const body = { name: f.name, serverUrl: f.serverUrl, token: f.token };
    if (f.internalUrl) body.internalUrl = f.internalUrl;
    if (f.username) body.username = f.username;
    const created = await run(() => post('/git-providers/bitbucket-datacenter', body));
    if (created) openProvider(created.id);
  };
  return html`<form onSubmit=${submit}>
    <${TextField} label="Name" value=${f.name} onInput=${set('name')} required />
    <${TextField}
      label="Server URL"
      value=${f.serverUrl}
      onInput=${set('serverUrl')}
      required
      placeholder="https://bitbucket.example.com"
      hint="The address people open, with its context path if any (https://host/bitbucket)."
    />
    <${TextField}
      label="Internal URL"
      value=${f.internalUrl}
      onInput=${set('internalUrl')}
      placeholder="http://bitbucket.internal:7990"
      hint="Optional: where forgelink reaches the server when that differs from the Server URL."
    />
    <${TextField}
      label="Username"
      value=${f.username}
      onInput=${set('username')}
      hint="Optional: the token's user, shown on the provider page."
    />
    <${TextField}
      label="HTTP Access Token"
      value=${f.token}
      onInput=${set('token')}
      required
      type="password"
      hint="A project, repository or personal HTTP access token with repository read (repository admin to register webhooks)."
    />
    <button type="submit" disabled=${busy}>${busy ? 'Saving…' : 'Save'}</button>
    <${Notice} notice=${notice} />
  </form>`;
}

function GiteaForm({ session }) {
  const [f, setF] = useState({ name: '', giteaUrl: '', clientId: '', clientSecret: '' });
  const set = (key) => (value) => setF({ ...f, [key]: value });
  const [run, busy, notice] = useAction();
  const submit = async (e) => {
    e.preventDefault();
    const created = await run(() => post('/git-providers/gitea', f));
    if (created) openProvider(created.id);
  };
  return html`<form onSubmit=${submit}>
    <${TextField} label="Name" value=${f.name} onInput=${set('name')} required />
    <${TextField}
      label="Gitea URL"
      value=${f.giteaUrl}
      onInput=${set('giteaUrl')}
      required
      placeholder="https://gitea.example.com"
      hint="Gitea or Forgejo (e.g. https://codeberg.org)."
    />
    <${CopyField}
      label="Redirect URI"
      value=${session.redirectUris.gitea}
      hint="Enter this as the OAuth2 application's Redirect URI on Gitea."
    />
    <${TextField} label="Client ID" value=${f.clientId} onInput=${set('clientId')} required />
    <${TextField} label="Client Secret" value=${f.clientSecret} onInput=${set('clientSecret')} required type="password" />
    <button type="submit" disabled=${busy}>${busy ? 'Saving…' : 'Save'}</button>
    <p class="hint">After saving, choose Authorise to let forgelink use Gitea on your behalf.</p>
    <${Notice} notice=${notice} />
  </form>`;
}
