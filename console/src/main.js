// The forgelink console: sign-in, then Git Providers, Services and Deliveries (hash routes, one page at a time).
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, configureApi } from './api.js';
import { html, Notice, TextField, useAction } from './ui.js';
import { ProvidersPage, AddProviderPage } from './pages/providers.js';
import { ProviderPage } from './pages/provider.js';
import { ServicesPage } from './pages/services.js';
import { DeliveriesPage } from './pages/deliveries.js';

function currentRoute() {
  const parts = (location.hash.replace(/^#\/?/, '') || 'providers').split('/').map(decodeURIComponent);
  return parts;
}

/** `?provider=ID&status=ok|error&reason=` from a forge's redirect back (DASHBOARD_URL). Read once, then removed from the address bar. */
function takeCallback() {
  const params = new URLSearchParams(location.search);
  const status = params.get('status');
  if (!params.get('provider') && !status) return null;
  const callback = { provider: params.get('provider'), status, reason: params.get('reason') };
  const hash = callback.provider && /^[\w-]+$/.test(callback.provider) ? `#/providers/${callback.provider}` : '#/providers';
  history.replaceState(null, '', `${location.pathname}${hash}`);
  return callback;
}

function SignIn({ onSignedIn, reason }) {
  const [apiKey, setApiKey] = useState('');
  const [run, busy, notice] = useAction();
  const submit = async (e) => {
    e.preventDefault();
    const session = await run(() => api('POST', '/session', { apiKey }));
    if (session) onSignedIn(session);
  };
  return html`<main class="signin" id="main">
    <h1>forgelink</h1>
    <form onSubmit=${submit} aria-labelledby="signin-title">
      <h2 id="signin-title">Sign in</h2>
      ${reason ? html`<p class="notice todo">${reason}</p>` : null}
      <${TextField}
        label="API key"
        type="password"
        value=${apiKey}
        onInput=${setApiKey}
        required
        autocomplete="current-password"
        hint="The key printed by “forgelink member add” or POST /v1/members. It is exchanged for a session cookie and not kept in the browser."
      />
      <button type="submit" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
      <${Notice} notice=${notice} />
    </form>
  </main>`;
}

const NAV = [
  { route: 'providers', label: 'Git Providers' },
  { route: 'services', label: 'Services' },
  { route: 'deliveries', label: 'Deliveries' },
];

function Shell({ session, route, callback, onSignOut }) {
  const [page, ...rest] = route;
  let content;
  if (page === 'providers' && rest[0] === 'new') content = html`<${AddProviderPage} session=${session} type=${rest[1]} />`;
  else if (page === 'providers' && rest[0]) content = html`<${ProviderPage} session=${session} id=${rest[0]} callback=${callback} />`;
  else if (page === 'services') content = html`<${ServicesPage} session=${session} />`;
  else if (page === 'deliveries') content = html`<${DeliveriesPage} session=${session} />`;
  else content = html`<${ProvidersPage} session=${session} />`;
  return html`<div class="shell">
    <a
      class="skip"
      href="#main"
      onClick=${(e) => {
        e.preventDefault();
        document.getElementById('main')?.focus();
      }}
      >Skip to content</a
    >
    <header>
      <span class="brand">forgelink</span>
      <nav aria-label="Main">
        <ul>
          ${NAV.map((n) => html`<li><a href=${`#/${n.route}`} aria-current=${page === n.route ? 'page' : undefined}>${n.label}</a></li>`)}
        </ul>
      </nav>
      <div class="who">
        <span>${session.userId} · ${session.role}</span>
        <button type="button" class="secondary" onClick=${onSignOut}>Sign out</button>
      </div>
    </header>
    <main id="main" tabindex="-1">${content}</main>
  </div>`;
}

function App() {
  const [session, setSession] = useState(undefined);
  const [reason, setReason] = useState('');
  const [route, setRoute] = useState(currentRoute);

  const signedOut = (why) => {
    configureApi(null);
    setSession(null);
    setReason(why ?? '');
  };

  useEffect(() => {
    const onHash = () => setRoute(currentRoute());
    window.addEventListener('hashchange', onHash);
    api('GET', '/session').then(
      (s) => {
        configureApi(s.csrfToken, () => signedOut('Your session has ended. Sign in again.'));
        setSession(s);
      },
      () => setSession(null),
    );
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    document.title = session ? `forgelink · ${NAV.find((n) => n.route === route[0])?.label ?? 'Git Providers'}` : 'forgelink · Sign in';
  }, [session, route]);

  if (session === undefined) return html`<p class="loading" role="status">Loading the forgelink console…</p>`;
  if (!session) {
    return html`<${SignIn}
      reason=${reason || (callback ? 'Sign in to see the provider the forge sent you back for.' : '')}
      onSignedIn=${(s) => {
        configureApi(s.csrfToken, () => signedOut('Your session has ended. Sign in again.'));
        setReason('');
        setSession(s);
      }}
    />`;
  }
  const signOut = async () => {
    await api('DELETE', '/session').catch(() => undefined);
    signedOut('You signed out.');
  };
  return html`<${Shell} session=${session} route=${route} callback=${callback} onSignOut=${signOut} />`;
}

// Before the first render: the route then already names the provider the forge sent the browser back for.
const callback = takeCallback();
render(html`<${App} />`, document.getElementById('app'));
