import { describe, expect, it } from 'vitest';
import { callbackMessage, parseWatchPaths, problemMessage, statusBadge, statusReportingText } from '../../src/text.js';

describe('console words', () => {
  it('shows a problem as its detail, or each invalid field by its console label — never raw JSON', () => {
    expect(problemMessage({ code: 'UNAUTHORIZED', detail: 'Only the creator can change sharing' }, 403)).toBe(
      'Only the creator can change sharing',
    );
    expect(
      problemMessage(
        {
          code: 'VALIDATION_FAILED',
          detail: 'The request body is invalid: …',
          errors: [
            { path: 'body.appId', message: 'expected a number' },
            { path: 'body.githubUrl', message: 'enter the web address' },
          ],
        },
        400,
      ),
    ).toBe('App ID: expected a number. GitHub URL: enter the web address');
    expect(problemMessage(null, 502)).toBe('The request failed (HTTP 502).');
    expect(problemMessage(undefined, 0)).toBe('forgelink did not answer.');
  });

  it('says what to do next for every provider status', () => {
    expect(statusBadge({ type: 'gitlab', status: 'ready' })).toEqual({ label: 'Ready', tone: 'ok', next: '' });
    expect(statusBadge({ type: 'github', status: 'pending_installation', github: { appId: 1 } }).label).toBe('Pending installation');
    expect(statusBadge({ type: 'github', status: 'pending_installation', github: {} }).next).toMatch(/Create the GitHub App/);
    expect(statusBadge({ type: 'gitea', status: 'pending_authorization' }).next).toBe(
      'Authorise forgelink on Gitea to finish the connection.',
    );
    // GitHub has nothing to authorise: after a changed GitHub URL dropped the key, it asks for the key.
    expect(statusBadge({ type: 'github', status: 'pending_authorization', github: { appId: 1, hasPrivateKey: false } })).toMatchObject({
      label: 'App key missing',
      next: expect.stringMatching(/private key with Update/),
    });
    expect(statusBadge({ type: 'gitlab', status: 'needs_reauthorization' })).toMatchObject({ label: 'Authorise again', tone: 'bad' });
  });

  it('turns a forge’s redirect back into a sentence', () => {
    expect(callbackMessage({ status: 'ok' }, { name: 'Team GitLab', status: 'ready' }).text).toBe('“Team GitLab” is connected and ready.');
    expect(callbackMessage({ status: 'ok' }, { name: 'Acme App', status: 'pending_installation' }).text).toMatch(
      /was created\. Next: install it/,
    );
    expect(callbackMessage({ status: 'error', reason: 'access_denied' }, { name: 'G', status: 'pending_authorization' })).toEqual({
      tone: 'bad',
      text: '“G” was not connected: access was declined on the forge.',
    });
    expect(callbackMessage({ status: 'error', reason: 'something_new' }, undefined).text).toBe(
      'The provider was not connected: something new.',
    );
  });

  it('reads watch paths one per line or comma-separated', () => {
    expect(parseWatchPaths('apps/api/**\n, docs/*.md ,\n\n')).toEqual(['apps/api/**', 'docs/*.md']);
    expect(parseWatchPaths('')).toEqual([]);
  });

  it('says how commit statuses are reported: ok, forbidden with the forge’s words, failing with the reason; nothing before a report', () => {
    expect(statusReportingText(undefined)).toBe('');
    expect(statusReportingText({ state: 'ok' })).toBe('Reported ok');
    expect(statusReportingText({ state: 'ok', lastPostedAt: '2026-12-01T10:00:00.000Z' })).toMatch(/^Reported ok; last posted .*2026/);
    expect(
      statusReportingText({
        state: 'forbidden',
        reason: 'GitHub refused access to commit statuses of acme/web (403: "Resource not accessible by integration")',
      }),
    ).toBe(
      'Forbidden: GitHub refused access to commit statuses of acme/web (403: "Resource not accessible by integration"). Grant it on the forge; the next report posts',
    );
    expect(statusReportingText({ state: 'failing', reason: 'GitHub answered 502 (gave up after 8 attempts)' })).toBe(
      'Failing: GitHub answered 502 (gave up after 8 attempts)',
    );
    expect(statusReportingText({ state: 'failing' })).toBe('Failing');
  });
});
