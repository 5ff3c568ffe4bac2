// Services: connect a service to provider + repository + branch, see its webhook, deploy it by hand, disconnect it.
import { useEffect, useRef, useState } from 'preact/hooks';
import { del, get, post, put, query } from '../api.js';
import { FORGE_NAMES, formatTime, parseWatchPaths, statusReportingText } from '../text.js';
import { CheckField, html, Notice, SelectField, TextField, useAction, useId, useLoad } from '../ui.js';

const path = (type, id) => `/services/${encodeURIComponent(type)}/${encodeURIComponent(id)}/source`;

export function ServicesPage() {
  const [providers] = useLoad(() => get('/git-providers'), []);
  const [serviceType, setServiceType] = useState('application');
  const [serviceId, setServiceId] = useState('');
  const [source, setSource] = useState(null);
  const [providerId, setProviderId] = useState('');
  const [repository, setRepository] = useState(null);
  const [branch, setBranch] = useState('');
  const [watchPaths, setWatchPaths] = useState('');
  const [triggerType, setTriggerType] = useState('push');
  const [autoDeploy, setAutoDeploy] = useState(true);
  const [run, busy, notice, setNotice] = useAction();

  const usable = (providers?.items ?? []).filter((p) => p.status === 'ready');
  useEffect(() => {
    if (!providerId && usable[0]) setProviderId(usable[0].id);
  }, [providers]);

  const open = async () => {
    setSource(null);
    const found = await run(() => get(path(serviceType, serviceId)));
    if (found) setSource(found);
  };
  const connect = async (e) => {
    e.preventDefault();
    if (!repository) return setNotice({ tone: 'bad', text: 'Repository: pick one from the list.' });
    const body = { providerId, repository: repository.fullName, triggerType, autoDeploy, watchPaths: parseWatchPaths(watchPaths) };
    if (branch) body.branch = branch;
    const connected = await run(
      () => put(path(serviceType, serviceId), body),
      (s) => `Connected ${s.serviceType} ${s.serviceId} to ${s.repository}@${s.branch ?? '*'}.`,
    );
    if (connected) setSource(connected);
  };
  // Manual deploy (POST …/deployments): the branch's current head on the forge, answered with the commit it resolved.
  const deploy = () =>
    run(
      () => post(`/services/${encodeURIComponent(serviceType)}/${encodeURIComponent(serviceId)}/deployments`, {}),
      (a) => `Deploy requested: ${a.commit.sha.slice(0, 12)}${a.commit.message ? ` — ${a.commit.message.split('\n')[0]}` : ''}.`,
    );
  const disconnect = async () => {
    const answer = await run(() => del(path(serviceType, serviceId)), 'Disconnected.');
    if (answer) setSource(answer);
  };

  return html`<section aria-labelledby="services-title">
    <h1 id="services-title">Services</h1>
    <form onSubmit=${connect} class="panel" aria-labelledby="connect-title">
      <h2 id="connect-title">Connect a service</h2>
      <div class="grid">
        <${SelectField}
          label="Service type"
          value=${serviceType}
          onChange=${setServiceType}
          options=${[
            { value: 'application', label: 'Application' },
            { value: 'compose', label: 'Compose' },
          ]}
        />
        <div>
          <${TextField}
            label="Service ID"
            value=${serviceId}
            onInput=${setServiceId}
            required
            hint="The deploy platform's id of the application or compose."
          />
          <button type="button" class="secondary" onClick=${open} disabled=${!serviceId || busy}>Open</button>
        </div>
      </div>
      ${providers && usable.length === 0 ? html`<p class="notice todo">No ready provider yet: add one under Git Providers and finish its setup first.</p>` : null}
      <${SelectField}
        label="Provider"
        value=${providerId}
        onChange=${(v) => {
          setProviderId(v);
          setRepository(null);
          setBranch('');
        }}
        options=${usable.map((p) => ({ value: p.id, label: `${p.name} (${FORGE_NAMES[p.type] ?? p.type})` }))}
        disabled=${usable.length === 0}
      />
      ${
        providerId
          ? html`<${RepositoryPicker}
              providerId=${providerId}
              value=${repository}
              onChange=${(r) => {
                setRepository(r);
                setBranch('');
              }}
            />`
          : null
      }
      ${repository ? html`<${BranchPicker} providerId=${providerId} repository=${repository} value=${branch} onChange=${setBranch} required=${triggerType === 'push'} />` : null}
      <${TextField}
        label="Watch paths"
        value=${watchPaths}
        onInput=${setWatchPaths}
        multiline
        hint="Optional globs, one per line (e.g. apps/api/**): only pushes changing a matching file deploy."
      />
      <${SelectField}
        label="Trigger"
        value=${triggerType}
        onChange=${setTriggerType}
        options=${[
          { value: 'push', label: 'Push to the branch' },
          { value: 'tag', label: 'Tag pushed' },
        ]}
      />
      <${CheckField} label="Auto deploy" checked=${autoDeploy} onChange=${setAutoDeploy} hint="Deploy on every matching push." />
      <button type="submit" disabled=${busy || !providerId}>${busy ? 'Working…' : 'Connect'}</button>
      <${Notice} notice=${notice} />
    </form>
    ${
      source
        ? html`<${SourceCard}
            source=${source}
            providers=${providers?.items ?? []}
            onDeploy=${deploy}
            onDisconnect=${disconnect}
            busy=${busy}
          />`
        : null
    }
  </section>`;
}

function SourceCard({ source, providers, onDeploy, onDisconnect, busy }) {
  const provider = providers.find((p) => p.id === source.providerId);
  const hook = source.webhook ?? {};
  return html`<div class="panel" aria-labelledby="source-title">
    <h2 id="source-title">${source.serviceType} ${source.serviceId}</h2>
    ${
      source.sourceType === 'none'
        ? html`<p>Not connected to a Git provider.</p>`
        : html`<dl class="details">
              <div>
                <dt>Provider</dt>
                <dd>${provider ? provider.name : source.providerId} (${FORGE_NAMES[source.providerType] ?? source.providerType})</dd>
              </div>
              <div>
                <dt>Repository</dt>
                <dd>${source.repository}</dd>
              </div>
              <div>
                <dt>Branch</dt>
                <dd>${source.branch ?? '—'}</dd>
              </div>
              <div>
                <dt>Trigger</dt>
                <dd>${source.triggerType}${source.autoDeploy ? ', auto deploy' : ', no auto deploy'}</dd>
              </div>
              <div>
                <dt>Watch paths</dt>
                <dd>${source.watchPaths?.length ? source.watchPaths.join(', ') : 'every file'}</dd>
              </div>
              <div>
                <dt>Webhook</dt>
                <dd>${hook.registered ? `Registered${hook.managedBy === 'github-app' ? ' (the GitHub App’s)' : ''}` : 'Not registered'}</dd>
              </div>
              ${
                hook.status === 'disabled' || hook.status === 'awaiting_first_delivery'
                  ? html`<div>
                      <dt>Hook health</dt>
                      <dd>
                        ${hook.status === 'disabled' ? `Disabled by the forge: ${hook.disabledReason ?? ''}` : 'Awaiting its first delivery'}
                      </dd>
                    </div>`
                  : null
              }
              ${
                source.statusReporting
                  ? html`<div>
                      <dt>Commit statuses</dt>
                      <dd>${statusReportingText(source.statusReporting)}</dd>
                    </div>`
                  : null
              }
              <div>
                <dt>Previews</dt>
                <dd>${source.previews?.enabled ? `On${source.previews.fromForks ? ', forks included' : ''}` : 'Off'}</dd>
              </div>
              <div>
                <dt>Last delivery</dt>
                <dd>${hook.lastDeliveryAt ? `${formatTime(hook.lastDeliveryAt)} (${hook.lastOutcome ?? '—'})` : 'None yet'}</dd>
              </div>
            </dl>
            ${source.branch ? html`<button type="button" onClick=${onDeploy} disabled=${busy}>Deploy</button> ` : null}
            <button type="button" class="danger" onClick=${onDisconnect} disabled=${busy}>Disconnect Git Provider</button>`
    }
  </div>`;
}

/**
 * A searchable repository picker (ARIA combobox): the forge's whole list is searched server-side, so a
 * provider with thousands of repositories is as quick as one with ten.
 */
function RepositoryPicker({ providerId, value, onChange }) {
  const id = useId('repo');
  const [text, setText] = useState(value?.fullName ?? '');
  const [open, setOpen] = useState(false);
  const [result, setResult] = useState({ items: [], total: 0, loading: false, error: null });
  const [active, setActive] = useState(-1);
  const timer = useRef(null);
  const seq = useRef(0);

  const search = (term) => {
    clearTimeout(timer.current);
    const mine = ++seq.current;
    setResult((r) => ({ ...r, loading: true, error: null }));
    timer.current = setTimeout(async () => {
      try {
        const answer = await get(`/git-providers/${providerId}/repositories${query({ search: term, page: 1, perPage: 20 })}`);
        if (mine === seq.current) setResult({ items: answer.items, total: answer.total, loading: false, error: null });
      } catch (error) {
        if (mine === seq.current) setResult({ items: [], total: 0, loading: false, error: error.message });
      }
    }, 200);
  };
  useEffect(() => {
    setText(value?.fullName ?? '');
  }, [value]);
  useEffect(() => () => clearTimeout(timer.current), []);

  const choose = (repo) => {
    onChange(repo);
    setText(repo.fullName);
    setOpen(false);
    setActive(-1);
  };
  const onKeyDown = (e) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      if (!open) {
        setOpen(true);
        search(text);
      }
      setActive((a) => Math.min(a + 1, result.items.length - 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (e.key === 'Enter' && open && result.items[active]) {
      e.preventDefault();
      choose(result.items[active]);
    } else if (e.key === 'Escape') {
      setOpen(false);
    }
  };
  const listId = `${id}-list`;
  return html`<div class="field combo">
    <label for=${id}>Repository</label>
    <input
      id=${id}
      type="text"
      role="combobox"
      aria-autocomplete="list"
      aria-expanded=${String(open)}
      aria-controls=${listId}
      aria-activedescendant=${open && active >= 0 ? `${listId}-${active}` : undefined}
      autocomplete="off"
      spellcheck="false"
      value=${text}
      placeholder="Type to search every repository"
      onInput=${(e) => {
        const v = e.currentTarget.value;
        setText(v);
        setOpen(true);
        setActive(-1);
        if (value) onChange(null);
        search(v);
      }}
      onFocus=${() => {
        if (!open) {
          setOpen(true);
          search(text);
        }
      }}
      onKeyDown=${onKeyDown}
      onBlur=${() => setTimeout(() => setOpen(false), 150)}
    />
    <p class="hint" aria-live="polite">
      ${result.loading ? 'Searching…' : result.error ? '' : open ? `${result.total} matching repositories${result.total > result.items.length ? `; showing ${result.items.length}, type more to narrow` : ''}` : value ? `Selected ${value.fullName}` : ''}
    </p>
    ${result.error ? html`<p role="alert" class="notice bad">${result.error}</p>` : null}
    <ul id=${listId} role="listbox" aria-label="Repositories" hidden=${!open || result.items.length === 0}>
      ${result.items.map(
        (r, i) =>
          html`<li
            id=${`${listId}-${i}`}
            role="option"
            aria-selected=${String(i === active)}
            class=${i === active ? 'active' : ''}
            onMouseDown=${(e) => {
              e.preventDefault();
              choose(r);
            }}
          >
            ${r.fullName}${r.private ? html`<span class="tag"> (private)</span>` : null}
          </li>`,
      )}
    </ul>
  </div>`;
}

function BranchPicker({ providerId, repository, value, onChange, required }) {
  const [data, error] = useLoad(
    () => get(`/git-providers/${providerId}/branches${query({ repository: repository.fullName })}`),
    [providerId, repository.fullName],
  );
  useEffect(() => {
    if (data && !value)
      onChange(data.items.some((b) => b.name === repository.defaultBranch) ? repository.defaultBranch : (data.items[0]?.name ?? ''));
  }, [data]);
  if (error) return html`<p role="alert" class="notice bad">Branch: ${error}</p>`;
  if (!data) return html`<p class="loading" role="status">Loading branches…</p>`;
  const options = data.items.map((b) => ({ value: b.name, label: b.name + (b.name === repository.defaultBranch ? ' (default)' : '') }));
  return html`<${SelectField}
    label="Branch"
    value=${value}
    onChange=${onChange}
    options=${required ? options : [{ value: '', label: 'Any branch' }, ...options]}
  />`;
}
