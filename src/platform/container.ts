import { Container, ContainerModule, type ResolutionContext } from 'inversify';

declare const resolvesTo: unique symbol;

/**
 * A container identifier that carries the type it resolves to (ADR 0010). Invariant in `T`: a `Token<Logger>` can
 * neither be bound to a UnitOfWork nor read where a UnitOfWork is needed, and a `Token<Partial<X>>` is no `Token<X>`,
 * so wiring the wrong port fails to compile. At run time it is a plain symbol.
 */
export type Token<T> = symbol & { readonly [resolvesTo]: (value: T) => T };

/** A new token; the description names it in inversify's errors ("No bindings found for service: ..."). */
export function token<T>(description: string): Token<T> {
  return Symbol(description) as Token<T>;
}

/** Reads bindings inside a binding's factory, by typed token only. */
export interface Resolver {
  get<T>(token: Token<T>): T;
  /** Every binding of a multi-bound token (the routes). */
  getAll<T>(token: Token<T>): T[];
}

/** A module's registrations, by typed token only. */
export interface Binder {
  /** Built by `build` on first use, once per container. Bind a token several times to contribute to `getAll`. */
  singleton<T>(token: Token<T>, build: (resolve: Resolver) => NoInfer<T>): void;
  /** A value the composition root already built (config, the ORM, the logger). */
  constant<T>(token: Token<T>, value: NoInfer<T>): void;
}

/** One module's bindings as an inversify ContainerModule. */
export function containerModule(register: (bind: Binder) => void): ContainerModule {
  return new ContainerModule(({ bind }) => {
    register({
      singleton: (id, build) =>
        void bind(id)
          .toDynamicValue((ctx: ResolutionContext) => build(resolverOf(ctx)))
          .inSingletonScope(),
      constant: (id, value) => void bind(id).toConstantValue(value),
    });
  });
}

/** The application's container: modules load into it; the composition root reads it through typed tokens. */
export interface TypedContainer extends Resolver {
  load(...modules: ContainerModule[]): void;
}

export function createContainer(register: (bind: Binder) => void): TypedContainer {
  const container = new Container({ defaultScope: 'Singleton' });
  container.load(containerModule(register));
  return {
    ...resolverOf(container),
    load: (...modules) => container.load(...modules),
  };
}

function resolverOf(source: Pick<ResolutionContext, 'get' | 'getAll'>): Resolver {
  return { get: (id) => source.get(id), getAll: (id) => source.getAll(id) };
}
