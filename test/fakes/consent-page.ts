/**
 * The forges' browser pages a person clicks through (OAuth consent, GitHub's app-creation and install pages),
 * reduced to what the console's browser tests need: a heading, a sentence, and buttons that POST a form back to
 * the fake. Every value is HTML-escaped (fakes echo forgelink's input, which a test may make hostile).
 */
export interface ConsentPage {
  readonly title: string;
  readonly text: string;
  /** Where the buttons POST (a path on the fake). */
  readonly action: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly approve: string;
  /** A second button that posts `decision=deny`. */
  readonly deny?: string;
}

export function consentPageHtml(page: ConsentPage): string {
  const hidden = Object.entries(page.fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(page.title)}</title></head>
<body><main><h1>${escapeHtml(page.title)}</h1><p>${escapeHtml(page.text)}</p>
<form method="post" action="${escapeHtml(page.action)}">${hidden}
<button type="submit" name="decision" value="approve">${escapeHtml(page.approve)}</button>
${page.deny ? `<button type="submit" name="decision" value="deny">${escapeHtml(page.deny)}</button>` : ''}
</form></main></body></html>`;
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}
