import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A plaintext secret in memory. It never prints itself: string conversion, JSON and util.inspect all redact,
 * so a secret that reaches a log line or a response body by accident shows up as "[redacted]".
 */
export class Secret {
  readonly #value: string;

  private constructor(value: string) {
    this.#value = value;
  }

  static of(value: string): Secret {
    if (value.length === 0) throw new Error('A secret cannot be empty');
    return new Secret(value);
  }

  reveal(): string {
    return this.#value;
  }

  equals(other: Secret): boolean {
    return this.#value === other.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}
