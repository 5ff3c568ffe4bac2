import { describe, expect, it } from 'vitest';
import { containerModule, createContainer, token, type Resolver } from '../../../src/platform/container.js';
import { TOKENS } from '../../../src/platform/tokens.js';
import { createLogger } from '../../../src/platform/logging/logger.js';
import { MikroOrmGitProviderRepository } from '../../../src/modules/git-providers/infrastructure/persistence/mikro-orm-git-provider.repository.js';
import { type GitProviderRepository } from '../../../src/modules/git-providers/domain/git-provider-repository.js';
import { GIT_PROVIDERS } from '../../../src/modules/git-providers/tokens.js';

interface Clock {
  now(): Date;
}
interface Greeter {
  greet(name: string): string;
}

const CLOCK = token<Clock>('Clock');
const GREETER = token<Greeter>('Greeter');

describe('typed container tokens (ADR 0010)', () => {
  it('resolves what a module bound, by the token that carries its type', () => {
    const fixed = new Date('2026-11-30T00:00:00Z');
    const container = createContainer((bind) => bind.constant(CLOCK, { now: () => fixed }));
    container.load(
      containerModule((bind) => {
        bind.singleton(GREETER, (r) => ({ greet: (name) => `${name} at ${r.get(CLOCK).now().toISOString()}` }));
      }),
    );
    expect(container.get(GREETER).greet('ada')).toBe('ada at 2026-11-30T00:00:00.000Z');
    expect(container.get(GREETER)).toBe(container.get(GREETER));
  });

  it('gives every binding of a multi-bound token to getAll', () => {
    const container = createContainer((bind) => {
      bind.constant(CLOCK, { now: () => new Date(1) });
      bind.constant(CLOCK, { now: () => new Date(2) });
    });
    expect(container.getAll(CLOCK).map((c) => c.now().getTime())).toEqual([1, 2]);
  });

  it('tells tokens with the same description apart', () => {
    const a = token<Clock>('Clock');
    const container = createContainer((bind) => bind.constant(a, { now: () => new Date(3) }));
    expect(() => container.get(CLOCK)).toThrow(/Clock/);
  });
});

/**
 * Never run: `npm run typecheck` compiles it, and each `@ts-expect-error` fails the check if its line compiles,
 * i.e. if the wrong wiring below became possible.
 */
export function wiringThatMustNotCompile(r: Resolver): void {
  // @ts-expect-error a Logger where the repository needs a UnitOfWork
  new MikroOrmGitProviderRepository(r.get(TOKENS.Logger));
  // @ts-expect-error reading a token as another type
  r.get<MikroOrmGitProviderRepository>(TOKENS.UnitOfWork);
  const repository: GitProviderRepository = r.get(GIT_PROVIDERS.Repository);
  void repository;

  createContainer((bind) => {
    // @ts-expect-error binding a Logger under the UnitOfWork token
    bind.constant(TOKENS.UnitOfWork, createLogger('silent'));
    // @ts-expect-error a factory that builds the wrong port
    bind.singleton(GIT_PROVIDERS.Repository, (r2) => r2.get(TOKENS.Logger));
    // @ts-expect-error widening the token's type lets an incomplete value in
    bind.constant<Partial<Clock>>(CLOCK, {});
  });
}
