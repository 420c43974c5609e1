/**
 * A secret value (API token, shared secret, client secret, SAS token). It cannot be printed,
 * logged or serialised by accident: toString, toJSON and util.inspect all give a placeholder.
 * Every Secret created registers its value so that error formatting can scrub it as a last line.
 */
const registry = new Set<string>();
const PLACEHOLDER = "[secret]";

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
    if (value.length >= 4) registry.add(value);
  }

  /** The only way to read the value: call it where the credential is put on the wire. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return PLACEHOLDER;
  }

  toJSON(): string {
    return PLACEHOLDER;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return PLACEHOLDER;
  }
}

/** Replaces every known secret value (and any bearer credential) in a text. */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const value of registry) {
    if (out.includes(value)) out = out.split(value).join("[REDACTED]");
  }
  return out.replace(/\b(Bearer\s+)[A-Za-z0-9\-._~+/]+=*/g, "$1[REDACTED]");
}
