import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { type GitProvider, type SecretName } from '../../../src/modules/git-providers/domain/git-provider.js';
import { generateMasterKey, SecretCipher } from '../../../src/platform/crypto/secret-cipher.js';
import { FailureError } from '../../../src/shared/failure.js';
import { anActor } from '../../builders/actors.js';
import { aBitbucketProvider, aGiteaProvider, aGitHubProvider, aGitLabProvider, aSecret } from '../../builders/git-providers.js';
import { createOrganization, openPersistence, sql, type Persistence } from './database.js';

interface Row {
  id: string;
  secrets: string;
  settings: Record<string, unknown>;
  version: number;
  updated_at: Date;
  status: string;
}

const rowOf = async (p: Persistence, id: string): Promise<Row> => {
  const [row] = await sql<Row>(p, 'select id, secrets, settings, version, updated_at, status from git_provider where id = ?', [id]);
  if (!row) throw new Error(`no git_provider row ${id}`);
  return row;
};

const revealAll = (provider: GitProvider): Record<string, string> =>
  Object.fromEntries(Object.entries(provider.secrets).map(([name, secret]) => [name, secret?.reveal() ?? '']));

const save = (p: Persistence, provider: GitProvider): Promise<void> => p.uow.run(() => p.providers.save(provider));
const load = async (p: Persistence, id: string): Promise<GitProvider> => {
  const found = await p.uow.run(() => p.providers.findById(id));
  if (!found) throw new Error(`provider ${id} not found`);
  return found;
};

describe('MikroOrmGitProviderRepository', () => {
  const masterKey = inject('masterKey');
  let db: Persistence;
  let organizationId: string;

  beforeAll(async () => {
    db = await openPersistence(inject('databaseUrl'), new SecretCipher(masterKey));
    organizationId = await createOrganization(db);
  });

  afterAll(async () => {
    await db?.close();
  });

  const variants = (): [string, () => GitProvider][] => {
    const owner = anActor('owner', organizationId);
    const member = anActor('member', organizationId);
    return [
      ['github pending authorisation', () => aGitHubProvider().createdBy(owner).build()],
      [
        'github installed (GHES, org)',
        () =>
          aGitHubProvider()
            .createdBy(owner)
            .withSettings({ githubUrl: 'https://ghes.example.com', organization: 'acme' })
            .installed(99)
            .build(),
      ],
      [
        'gitlab authorised, shared, member creator',
        () =>
          aGitLabProvider()
            .createdBy(member)
            .sharedWithOrganization()
            .authorized()
            .withSettings({ groupName: 'platform/team', tokenExpiresAt: '2026-05-01T12:00:00.000Z' })
            .build(),
      ],
      ['gitea pending authorisation', () => aGiteaProvider().createdBy(owner).build()],
      ['gitea authorised', () => aGiteaProvider().createdBy(owner).authorized().build()],
      ['bitbucket api token', () => aBitbucketProvider().createdBy(owner).build()],
      [
        'bitbucket app password',
        () =>
          aBitbucketProvider()
            .createdBy(owner)
            .withSettings({ authMethod: 'app_password', email: undefined })
            .withSecrets({ apiToken: undefined, appPassword: aSecret('app') })
            .build(),
      ],
    ];
  };

  it.each(variants().map(([label]) => label))('round-trips %s: settings, secrets and state come back equal', async (label) => {
    const build = variants().find(([l]) => l === label)?.[1];
    if (!build) throw new Error(label);
    const provider = build();
    await save(db, provider);
    const loaded = await load(db, provider.id);
    expect(loaded).not.toBe(provider);
    expect(loaded).toMatchObject({
      id: provider.id,
      organizationId,
      createdBy: provider.createdBy,
      name: provider.name,
      type: provider.type,
      sharedWithOrganization: provider.sharedWithOrganization,
      status: provider.status,
      reauthorizationRequired: false,
      createdAt: provider.createdAt,
      updatedAt: provider.updatedAt,
      version: 1,
    });
    expect(loaded.settings).toEqual(JSON.parse(JSON.stringify(provider.settings)));
    expect(Object.keys(loaded.secrets).sort()).toEqual(
      Object.entries(provider.secrets)
        .filter(([, s]) => s)
        .map(([n]) => n)
        .sort(),
    );
    expect(revealAll(loaded)).toEqual(Object.fromEntries(Object.entries(revealAll(provider)).filter(([, v]) => v !== '')));
    expect(loaded.peekDomainEvents()).toEqual([]);
  });

  it('stores only ciphertext: no plaintext in the row, each secret decrypts only with the key and its own name', async () => {
    const provider = aGitLabProvider().createdBy(anActor('owner', organizationId)).authorized().build();
    await save(db, provider);
    const row = await rowOf(db, provider.id);
    const plaintexts = Object.values(revealAll(provider));
    expect(plaintexts.length).toBe(3);
    for (const plain of plaintexts) expect(row.secrets).not.toContain(plain);
    expect(JSON.stringify(row.settings)).not.toMatch(/access-|refresh-|gloas-/);

    const stored = JSON.parse(row.secrets) as Record<string, string>;
    expect(Object.keys(stored).sort()).toEqual(['accessToken', 'clientSecret', 'refreshToken']);
    const cipher = new SecretCipher(masterKey);
    for (const [name, ciphertext] of Object.entries(stored)) {
      expect(ciphertext).toMatch(new RegExp(`^v1\\.${cipher.currentKeyId}\\.`));
      expect(cipher.decrypt(ciphertext, name)).toBe(provider.secret(name as SecretName)?.reveal());
      expect(() => new SecretCipher(generateMasterKey()).decrypt(ciphertext, name)).toThrow();
    }
    // The secret name is the associated data: swapping two ciphertexts between names is detected.
    expect(() => cipher.decrypt(stored.accessToken ?? '', 'refreshToken')).toThrow();
  });

  it('loading and flushing an unchanged provider does not bump its version nor rewrite its secrets', async () => {
    const provider = aGiteaProvider().createdBy(anActor('owner', organizationId)).authorized().build();
    await save(db, provider);
    const before = await rowOf(db, provider.id);

    await db.uow.run(async () => {
      const loaded = await db.providers.findById(provider.id);
      if (!loaded) throw new Error('not found');
      await db.providers.save(loaded);
    });
    await db.uow.run(async () => {
      const loaded = await db.providers.findByIdForUpdate(provider.id);
      if (!loaded) throw new Error('not found');
      await db.providers.save(loaded);
    });
    const after = await rowOf(db, provider.id);
    expect(after.version).toBe(1);
    expect(after.secrets).toBe(before.secrets);
    expect(after.updated_at).toEqual(before.updated_at);
  });

  it('a real change bumps the version once, re-encrypts only the changed secret, and keeps the others', async () => {
    const provider = aGitLabProvider().createdBy(anActor('owner', organizationId)).authorized().build();
    await save(db, provider);
    const before = JSON.parse((await rowOf(db, provider.id)).secrets) as Record<string, string>;
    const accessToken = aSecret('access-new');
    await db.uow.run(async () => {
      const loaded = await db.providers.findById(provider.id);
      if (!loaded) throw new Error('not found');
      loaded.refreshGrant({ accessToken, refreshToken: loaded.secret('refreshToken') });
      await db.providers.save(loaded);
    });
    const row = await rowOf(db, provider.id);
    expect(row.version).toBe(2);
    const after = JSON.parse(row.secrets) as Record<string, string>;
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).toBe(before.refreshToken);
    expect(after.clientSecret).toBe(before.clientSecret);
    expect((await load(db, provider.id)).secret('accessToken')?.reveal()).toBe(accessToken.reveal());
  });

  it('removing a secret removes it from the column', async () => {
    const provider = aGitLabProvider().createdBy(anActor('owner', organizationId)).authorized().build();
    await save(db, provider);
    const owner = anActor('owner', organizationId);
    await db.uow.run(async () => {
      const loaded = await db.providers.findById(provider.id);
      if (!loaded) throw new Error('not found');
      const changed = loaded.update(owner, { secrets: { refreshToken: null } }, 1);
      expect(changed.ok).toBe(true);
      await db.providers.save(loaded);
    });
    const stored = JSON.parse((await rowOf(db, provider.id)).secrets) as Record<string, string>;
    expect(Object.keys(stored).sort()).toEqual(['accessToken', 'clientSecret']);
    expect((await load(db, provider.id)).hasSecret('refreshToken')).toBe(false);
  });

  it('existsWithName and a duplicate name answered as CONFLICT', async () => {
    const owner = anActor('owner', organizationId);
    const provider = aBitbucketProvider().createdBy(owner).build();
    await save(db, provider);
    expect(await db.uow.run(() => db.providers.existsWithName(organizationId, provider.name))).toBe(true);
    expect(await db.uow.run(() => db.providers.existsWithName(organizationId, provider.name, provider.id))).toBe(false);
    const twin = aBitbucketProvider().createdBy(owner).named(provider.name).build();
    const error = await save(db, twin).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FailureError);
    expect((error as FailureError).failure.code).toBe('CONFLICT');
  });

  it('remove deletes the row', async () => {
    const provider = aBitbucketProvider().createdBy(anActor('owner', organizationId)).build();
    await save(db, provider);
    await db.uow.run(async () => {
      const loaded = await db.providers.findById(provider.id);
      if (!loaded) throw new Error('not found');
      await db.providers.remove(loaded);
    });
    expect(await db.uow.run(() => db.providers.findById(provider.id))).toBeNull();
  });

  it('repositories refuse to work outside a unit of work', async () => {
    expect(() => db.providers.findById('x')).toThrow(/UnitOfWork\.run/);
  });

  it('read() loads without a transaction and refuses to save', async () => {
    const provider = aBitbucketProvider().createdBy(anActor('owner', organizationId)).build();
    await save(db, provider);
    const loaded = await db.uow.read(() => db.providers.findById(provider.id));
    expect(loaded?.name).toBe(provider.name);
    if (!loaded) throw new Error('not found');
    expect(loaded.update(anActor('owner', organizationId), { name: `${provider.name}-x` }).ok).toBe(true);
    await expect(db.uow.read(() => db.providers.save(loaded))).rejects.toThrow(/only be saved inside UnitOfWork\.run/);
    const [row] = await sql<{ name: string }>(db, 'select name from git_provider where id = ?', [provider.id]);
    expect(row?.name).toBe(provider.name);
  });
});

describe('optimistic locking', () => {
  let db: Persistence;
  let organizationId: string;

  beforeAll(async () => {
    db = await openPersistence(inject('databaseUrl'), new SecretCipher(inject('masterKey')));
    organizationId = await createOrganization(db);
  });

  afterAll(async () => {
    await db?.close();
  });

  it('two units of work change the same provider: the second commit fails with CONFLICT and changes nothing', async () => {
    const owner = anActor('owner', organizationId);
    const provider = aGitHubProvider().createdBy(owner).named('original').build();
    await db.uow.run(() => db.providers.save(provider));

    let bothLoaded!: () => void;
    const loadedCount = { n: 0 };
    const barrier = new Promise<void>((resolve) => (bothLoaded = resolve));
    const loadAndWait = async (): Promise<GitProvider> => {
      const found = await db.providers.findById(provider.id);
      if (!found) throw new Error('not found');
      if (++loadedCount.n === 2) bothLoaded();
      await barrier;
      return found;
    };

    let firstCommitted!: () => void;
    const firstDone = new Promise<void>((resolve) => (firstCommitted = resolve));
    const first = db.uow
      .run(async () => {
        const p = await loadAndWait();
        expect(p.update(owner, { name: 'first' }).ok).toBe(true);
        await db.providers.save(p);
      })
      .finally(() => firstCommitted());
    const second = db.uow.run(async () => {
      const p = await loadAndWait();
      await firstDone;
      expect(p.update(owner, { name: 'second' }).ok).toBe(true);
      await db.providers.save(p);
    });

    await expect(first).resolves.toBeUndefined();
    const error = await second.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FailureError);
    expect((error as FailureError).failure.code).toBe('CONFLICT');

    const [row] = await sql<{ name: string; version: number }>(db, 'select name, version from git_provider where id = ?', [provider.id]);
    expect(row).toEqual({ name: 'first', version: 2 });
    const outbox = await sql<{ type: string }>(db, 'select type from outbox where aggregate_id = ? order by position', [provider.id]);
    expect(outbox.map((r) => r.type)).toEqual(['git-provider.updated']);
  });
});

describe('master key rotation', () => {
  const keyA = generateMasterKey();
  const keyB = generateMasterKey();
  let withA: Persistence;
  let withB: Persistence;
  let onlyB: Persistence;
  let organizationId: string;

  beforeAll(async () => {
    const url = inject('databaseUrl');
    withA = await openPersistence(url, new SecretCipher(keyA));
    withB = await openPersistence(url, new SecretCipher(keyB, [keyA]));
    onlyB = await openPersistence(url, new SecretCipher(keyB));
    organizationId = await createOrganization(withA);
  });

  afterAll(async () => {
    await Promise.all([withA?.close(), withB?.close(), onlyB?.close()]);
  });

  it('rows written with key A load with (B, old [A]); the next write re-encrypts every secret with B', async () => {
    const provider = aGitHubProvider().createdBy(anActor('owner', organizationId)).installed().build();
    const plain = revealAll(provider);
    await save(withA, provider);
    const idA = new SecretCipher(keyA).currentKeyId;
    const idB = new SecretCipher(keyB).currentKeyId;
    const writtenWithA = JSON.parse((await rowOf(withA, provider.id)).secrets) as Record<string, string>;
    for (const c of Object.values(writtenWithA)) expect(c.split('.')[1]).toBe(idA);

    await expect(onlyB.uow.run(() => onlyB.providers.findById(provider.id))).rejects.toThrow(/No master key with id/);

    const loaded = await load(withB, provider.id);
    expect(revealAll(loaded)).toEqual(plain);

    const owner = anActor('owner', organizationId);
    await withB.uow.run(async () => {
      const p = await withB.providers.findById(provider.id);
      if (!p) throw new Error('not found');
      expect(p.update(owner, { name: `${p.name}-rotated` }).ok).toBe(true);
      await withB.providers.save(p);
    });
    const rewritten = JSON.parse((await rowOf(withB, provider.id)).secrets) as Record<string, string>;
    expect(Object.keys(rewritten).sort()).toEqual(Object.keys(writtenWithA).sort());
    for (const c of Object.values(rewritten)) expect(c.split('.')[1]).toBe(idB);

    expect(revealAll(await load(onlyB, provider.id))).toEqual(plain);
  });
});
