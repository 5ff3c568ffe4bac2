// Words the console shows: pure functions, unit-tested in console/test/.

export const FORGE_NAMES = {
  github: 'GitHub',
  gitlab: 'GitLab',
  bitbucket: 'Bitbucket',
  'bitbucket-datacenter': 'Bitbucket Data Center',
  gitea: 'Gitea',
};

/** API field names → the console's labels, for validation messages. */
const FIELD_LABELS = {
  name: 'Name',
  githubUrl: 'GitHub URL',
  appId: 'App ID',
  installationId: 'Installation ID',
  privateKey: 'Private Key',
  webhookSecret: 'Webhook Secret',
  gitlabUrl: 'GitLab URL',
  applicationId: 'Application ID',
  secret: 'Secret',
  groupName: 'Group Name',
  username: 'Username',
  email: 'Email',
  workspace: 'Workspace',
  apiToken: 'API Token',
  giteaUrl: 'Gitea URL',
  clientId: 'Client ID',
  clientSecret: 'Client Secret',
  serviceId: 'Service ID',
  serviceType: 'Service type',
  providerId: 'Provider',
  repository: 'Repository',
  branch: 'Branch',
  watchPaths: 'Watch paths',
  triggerType: 'Trigger',
  apiKey: 'API key',
  organization: 'Organization',
};

/** A problem+json answer in plain words: the `detail`, or each invalid field by its label. Never raw JSON. */
export function problemMessage(problem, status) {
  if (problem && Array.isArray(problem.errors) && problem.errors.length > 0) {
    return problem.errors
      .map((e) => {
        const field = String(e.path ?? '')
          .split('.')
          .filter((p) => p !== 'body' && p !== 'query' && p !== 'path')[0];
        const label = FIELD_LABELS[field] ?? field;
        return label ? `${label}: ${e.message}` : String(e.message);
      })
      .join('. ');
  }
  if (problem && typeof problem.detail === 'string' && problem.detail) return problem.detail;
  if (status === 0) return 'forgelink did not answer.';
  return `The request failed (HTTP ${status}).`;
}

/** A provider's status as a badge and the next thing to do. */
export function statusBadge(provider) {
  const forge = FORGE_NAMES[provider.type] ?? provider.type;
  switch (provider.status) {
    case 'ready':
      return { label: 'Ready', tone: 'ok', next: '' };
    case 'pending_installation':
      return provider.github?.appId
        ? {
            label: 'Pending installation',
            tone: 'todo',
            next: 'Install the GitHub App on the account or organisation whose repositories it should see.',
          }
        : { label: 'App not created', tone: 'todo', next: 'Create the GitHub App on GitHub, or enter an existing one with Update.' };
    case 'pending_authorization':
      // GitHub has no OAuth step: its App is missing or its private key was dropped (a changed GitHub URL drops it).
      return provider.type === 'github'
        ? { label: 'App key missing', tone: 'todo', next: 'Create the GitHub App on GitHub, or enter the App’s private key with Update.' }
        : { label: 'Authorise', tone: 'todo', next: `Authorise forgelink on ${forge} to finish the connection.` };
    case 'needs_reauthorization':
      return {
        label: 'Authorise again',
        tone: 'bad',
        next: `${forge} no longer accepts the stored authorisation (revoked, expired or suspended). Authorise again.`,
      };
    default:
      return { label: String(provider.status), tone: 'todo', next: '' };
  }
}

const CALLBACK_REASONS = {
  access_denied: 'access was declined on the forge',
  no_code: 'the forge sent no authorisation code',
  forge_error: 'the forge refused or failed to complete the exchange',
  provider_not_ready: 'the provider is not ready for this step',
  unauthorized: 'you are not allowed to change this provider',
  not_found: 'the provider no longer exists',
  conflict: 'the provider changed meanwhile',
};

/** What to say when a forge sends the browser back to `/?provider=ID&status=ok|error&reason=`. */
export function callbackMessage(params, provider) {
  const name = provider ? `“${provider.name}”` : 'The provider';
  if (params.status === 'ok') {
    if (provider && provider.status === 'ready') return { tone: 'ok', text: `${name} is connected and ready.` };
    if (provider && provider.status === 'pending_installation')
      return { tone: 'ok', text: `GitHub App ${name} was created. Next: install it (Install GitHub App).` };
    return { tone: 'ok', text: `${name}: the forge sent you back successfully.` };
  }
  const reason = CALLBACK_REASONS[params.reason] ?? (params.reason ? params.reason.replace(/_/g, ' ') : 'the forge reported an error');
  return { tone: 'bad', text: `${name} was not connected: ${reason}.` };
}

/**
 * A source's `statusReporting` (the commit statuses forgelink posts to the forge for the deployer's reports) in plain
 * words, or '' when the service never reported a commit. `reason` is the forge's own words.
 */
export function statusReportingText(reporting) {
  if (!reporting || !reporting.state) return '';
  const last = reporting.lastPostedAt ? `; last posted ${formatTime(reporting.lastPostedAt)}` : '';
  switch (reporting.state) {
    case 'ok':
      return `Reported ok${last}`;
    case 'forbidden':
      return `Forbidden: ${reporting.reason ?? 'the forge refused the permission'}. Grant it on the forge; the next report posts${last}`;
    case 'failing':
      return `Failing${reporting.reason ? `: ${reporting.reason}` : ''}${last}`;
    default:
      return String(reporting.state);
  }
}

export function formatTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** Watch paths as typed (one glob per line or comma-separated) → the API's list. */
export function parseWatchPaths(text) {
  return String(text ?? '')
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}
