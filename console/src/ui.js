// Small accessible building blocks shared by the pages.
import { h } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';

export const html = htm.bind(h);

let nextId = 0;
export const useId = (prefix) => useRef(`${prefix}-${++nextId}`).current;

export function Field({ label, hint, children, id }) {
  const hintId = hint ? `${id}-hint` : undefined;
  return html`<div class="field">
    <label for=${id}>${label}</label>
    ${children(hintId)} ${hint ? html`<p class="hint" id=${hintId}>${hint}</p>` : null}
  </div>`;
}

export function TextField({ label, value, onInput, hint, type = 'text', required, placeholder, autocomplete = 'off', multiline }) {
  const id = useId('f');
  return html`<${Field} label=${label} hint=${hint} id=${id}
    >${(hintId) =>
      multiline
        ? html`<textarea
            id=${id}
            value=${value}
            onInput=${(e) => onInput(e.currentTarget.value)}
            aria-describedby=${hintId}
            required=${required}
            placeholder=${placeholder}
            rows="4"
            spellcheck="false"
          ></textarea>`
        : html`<input
            id=${id}
            type=${type}
            value=${value}
            onInput=${(e) => onInput(e.currentTarget.value)}
            aria-describedby=${hintId}
            required=${required}
            placeholder=${placeholder}
            autocomplete=${autocomplete}
            spellcheck="false"
          />`}<//
  >`;
}

export function SelectField({ label, value, onChange, options, hint, disabled }) {
  const id = useId('s');
  return html`<${Field} label=${label} hint=${hint} id=${id}
    >${(hintId) =>
      html`<select
        id=${id}
        value=${value}
        disabled=${disabled}
        aria-describedby=${hintId}
        onChange=${(e) => onChange(e.currentTarget.value)}
      >
        ${options.map((o) => html`<option value=${o.value}>${o.label}</option>`)}
      </select>`}<//
  >`;
}

export function CheckField({ label, checked, onChange, hint }) {
  const id = useId('c');
  return html`<div class="field check">
    <input
      id=${id}
      type="checkbox"
      checked=${checked}
      onChange=${(e) => onChange(e.currentTarget.checked)}
      aria-describedby=${hint ? `${id}-hint` : undefined}
    />
    <label for=${id}>${label}</label>
    ${hint ? html`<p class="hint" id=${`${id}-hint`}>${hint}</p>` : null}
  </div>`;
}

/** A value the user copies to the forge (webhook URL, redirect URI), with a Copy button. */
export function CopyField({ label, value, hint }) {
  const id = useId('copy');
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      const input = document.getElementById(id);
      input?.select();
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  };
  return html`<div class="field copy">
    <label for=${id}>${label}</label>
    <div class="copy-row">
      <input id=${id} type="text" readonly value=${value} onFocus=${(e) => e.currentTarget.select()} />
      <button type="button" class="secondary" onClick=${copy} aria-label=${`Copy ${label}`}>${copied ? 'Copied' : 'Copy'}</button>
    </div>
    ${hint ? html`<p class="hint">${hint}</p>` : null}
  </div>`;
}

/** Outcome of an action: errors are alerts, successes polite status messages. */
export function Notice({ notice }) {
  if (!notice) return html`<div role="status" class="sr-only"></div>`;
  if (notice.tone === 'bad') return html`<p role="alert" class="notice bad">${notice.text}</p>`;
  return html`<p role="status" class="notice ${notice.tone ?? 'ok'}">${notice.text}</p>`;
}

export function Badge({ tone, children }) {
  return html`<span class="badge ${tone}">${children}</span>`;
}

/** Runs an async action with a busy flag and a notice; returns [run, busy, notice, setNotice]. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState(null);
  const run = async (action, success) => {
    setBusy(true);
    setNotice(null);
    try {
      const result = await action();
      if (success) setNotice({ tone: 'ok', text: typeof success === 'function' ? success(result) : success });
      return result;
    } catch (error) {
      setNotice({ tone: 'bad', text: error.message });
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return [run, busy, notice, setNotice];
}

/** Loads data for a page; [data, error, reload]. */
export function useLoad(load, deps) {
  const [state, setState] = useState({ data: undefined, error: null });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ data: s.data, error: null }));
    load().then(
      (data) => live && setState({ data, error: null }),
      (error) => live && setState({ data: undefined, error: error.message }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return [state.data, state.error, () => setTick((t) => t + 1)];
}

/** A confirmation dialog (native <dialog>, modal: keyboard and focus handled by the browser). */
export function ConfirmDialog({ open, title, text, confirm, onConfirm, onCancel }) {
  const ref = useRef(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return html`<dialog
    ref=${ref}
    aria-labelledby="confirm-title"
    onCancel=${(e) => {
      e.preventDefault();
      onCancel();
    }}
  >
    <h2 id="confirm-title">${title}</h2>
    <p>${text}</p>
    <div class="actions">
      <button type="button" class="danger" onClick=${onConfirm}>${confirm}</button>
      <button type="button" class="secondary" onClick=${onCancel} autofocus>Cancel</button>
    </div>
  </dialog>`;
}

export function Loading({ what }) {
  return html`<p class="loading" role="status">Loading ${what}…</p>`;
}
