/**
 * The logging interface the controller runtime and reconcilers depend on: the structural
 * subset of pino's logger, so production passes pino and tests pass {@link silentLogger}.
 * Log calls take a context object first and a message second (pino's order).
 */

/** A structured logger. */
export interface Logger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  /** A logger that adds `bindings` to every record. */
  child(bindings: Record<string, unknown>): Logger;
}

/** Discards everything. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

/** `err` as a loggable object (pino serializes `err` keys with stack and cause). */
export function errField(err: unknown): { err: Error } {
  return { err: err instanceof Error ? err : new Error(String(err)) };
}
