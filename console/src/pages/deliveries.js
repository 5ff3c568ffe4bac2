// Deliveries: recent webhook deliveries, newest first, filterable by provider, paged with the API's cursor.
import { useState } from 'preact/hooks';
import { get, query } from '../api.js';
import { formatTime } from '../text.js';
import { Badge, html, Loading, SelectField, useLoad } from '../ui.js';

const PAGE = 20;
const TONES = { deployed: 'ok', ignored: 'todo', duplicate: 'todo' };

export function DeliveriesPage() {
  const [providers] = useLoad(() => get('/git-providers'), []);
  const [providerId, setProviderId] = useState('');
  const [cursors, setCursors] = useState([null]);
  const after = cursors[cursors.length - 1];
  const [data, error, reload] = useLoad(() => get(`/webhook-deliveries${query({ providerId, limit: PAGE, after })}`), [providerId, after]);
  const names = Object.fromEntries((providers?.items ?? []).map((p) => [p.id, p.name]));
  return html`<section aria-labelledby="deliveries-title">
    <div class="title-row">
      <h1 id="deliveries-title">Deliveries</h1>
      <button type="button" class="secondary" onClick=${reload}>Refresh</button>
    </div>
    <${SelectField}
      label="Provider"
      value=${providerId}
      onChange=${(v) => {
        setProviderId(v);
        setCursors([null]);
      }}
      options=${[{ value: '', label: 'All providers' }, ...(providers?.items ?? []).map((p) => ({ value: p.id, label: p.name }))]}
    />
    ${error ? html`<p role="alert" class="notice bad">${error}</p>` : null}
    ${!data && !error ? html`<${Loading} what="deliveries" />` : null}
    ${data && data.items.length === 0 ? html`<p class="empty">${cursors.length > 1 ? 'No older deliveries.' : 'No deliveries yet. They appear here when a forge sends a webhook.'}</p>` : null}
    ${
      data && data.items.length > 0
        ? html`<div class="table-wrap">
            <table>
              <caption class="sr-only">
                Webhook deliveries, newest first
              </caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Provider</th>
                  <th scope="col">Event</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Deployments</th>
                </tr>
              </thead>
              <tbody>
                ${data.items.map(
                  (d) =>
                    html`<tr>
                      <td>${formatTime(d.receivedAt)}</td>
                      <td>${names[d.providerId] ?? d.providerId}</td>
                      <td>${d.event}</td>
                      <td><${Badge} tone=${TONES[d.outcome] ?? 'todo'}>${d.outcome}<//></td>
                      <td>${d.reason ?? '—'}</td>
                      <td>${d.deployments}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`
        : null
    }
    <div class="row">
      ${cursors.length > 1 ? html`<button type="button" class="secondary" onClick=${() => setCursors([null])}>Newest</button>` : null}
      ${data?.nextCursor && data.items.length === PAGE ? html`<button type="button" class="secondary" onClick=${() => setCursors([...cursors, data.nextCursor])}>Older</button>` : null}
    </div>
  </section>`;
}
