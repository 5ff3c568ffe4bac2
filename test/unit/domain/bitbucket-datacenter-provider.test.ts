import { describe, it, expect } from 'vitest';
import { anOrganization } from '../../builders/actors.js';
import { aBitbucketDatacenterProvider, aSecret } from '../../builders/git-providers.js';
import { bitbucketDatacenterPlugin } from '../../../src/forges/bitbucket-datacenter/index.js';

/** The domain's rules for every forge, as the Bitbucket Data Center kind makes them hold (contract "Git providers"). */
describe('Bitbucket Data Center provider (kind: serverUrl/internalUrl are addresses, the token goes out)', () => {
  it('is ready with a token and pending_authorization without one', () => {
    expect(aBitbucketDatacenterProvider().build().status).toBe('ready');
    const org = anOrganization();
    const provider = aBitbucketDatacenterProvider().createdBy(org.admin).build();
    expect(provider.update(org.admin, { secrets: { token: null } }).ok).toBe(true);
    expect(provider.status).toBe('pending_authorization');
  });

  it.each([
    ['serverUrl', { serverUrl: 'https://elsewhere.example.com' }],
    ['internalUrl (set)', { internalUrl: 'http://bitbucket:7990' }],
  ])('a new %s without the token drops the token', (_, settings) => {
    const org = anOrganization();
    const provider = aBitbucketDatacenterProvider().createdBy(org.admin).build();
    expect(provider.update(org.admin, { settings }).ok).toBe(true);
    expect(provider.hasSecret('token')).toBe(false);
    expect(provider.status).toBe('pending_authorization');
  });

  it('removing internalUrl moves the address too; the same value again, a name or a username does not', () => {
    const org = anOrganization();
    const provider = aBitbucketDatacenterProvider().createdBy(org.admin).withSettings({ internalUrl: 'http://bitbucket:7990' }).build();
    expect(provider.update(org.admin, { settings: { internalUrl: 'http://bitbucket:7990', username: 'other' }, name: 'renamed' }).ok).toBe(
      true,
    );
    expect(provider.hasSecret('token')).toBe(true);
    expect(provider.update(org.admin, { settings: { internalUrl: null } }).ok).toBe(true);
    expect(provider.hasSecret('token')).toBe(false);
  });

  it('keeps a token given in the same change as the new address', () => {
    const org = anOrganization();
    const provider = aBitbucketDatacenterProvider().createdBy(org.admin).build();
    const token = aSecret('BBDC-new');
    expect(provider.update(org.admin, { settings: { serverUrl: 'https://elsewhere.example.com' }, secrets: { token } }).ok).toBe(true);
    expect(provider.secret('token')).toBe(token);
    expect(provider.status).toBe('ready');
  });
});

describe('Bitbucket Data Center request bodies', () => {
  const { create, update } = bitbucketDatacenterPlugin.forms;

  it('create needs name, serverUrl and token; trailing slashes go, the context path stays', () => {
    const body = create.body.parse({ name: 'BB', serverUrl: 'https://git.example.com/bitbucket/', token: 't' });
    expect(body).toMatchObject({ serverUrl: 'https://git.example.com/bitbucket' });
    for (const missing of ['name', 'serverUrl', 'token']) {
      const input: Record<string, unknown> = { name: 'BB', serverUrl: 'https://git.example.com', token: 't' };
      delete input[missing];
      expect(create.body.safeParse(input).success).toBe(false);
    }
    expect(create.body.safeParse({ name: 'BB', serverUrl: 'ftp://git.example.com', token: 't' }).success).toBe(false);
    expect(create.body.safeParse({ name: 'BB', serverUrl: 'https://user:pw@git.example.com', token: 't' }).success).toBe(false);
  });

  it('PATCH maps internalUrl/username null to a removal and leaves absent fields alone', () => {
    const parsed = update.body.parse({ internalUrl: null, username: null, expectedVersion: 3 });
    const { change, expectedVersion } = update.toChange(parsed);
    expect(expectedVersion).toBe(3);
    expect(change.settings).toEqual({ internalUrl: null, username: null });
    expect(change.secrets).toEqual({});
  });
});
