/**
 * The produce requests of one Kafka sink producer that are not yet acknowledged, bounded
 * (docs/connectors.md "Sink", docs/runtime.md "Profile of the Kafka path").
 *
 * Sends are issued at once instead of one after the other: the next request is encoded while
 * the broker answers the previous one, and goes out as soon as that answer arrives. Order per
 * partition is the client's (@platformatic/kafka 2.x): it gives the idempotent producer's
 * sequence numbers in the order of the `send` calls and, for an idempotent producer, forces one
 * request in flight per broker connection, so requests reach the broker in sequence order.
 * A send that still fails after the client's retries is kept as the window's failure; the sink
 * fails on it (in an exactly-once transaction the restore aborts what was written).
 */

/** Sends in flight at most before {@link SendWindow.room} asks the writer to wait. */
export const MAX_SENDS_IN_FLIGHT = 4;

export class SendWindow {
  /** Unsettled sends, as promises that never reject. */
  readonly #pending = new Set<Promise<void>>();
  #failure: Error | undefined;

  /** The first error of any send; undefined while none failed. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Number of sends not yet acknowledged. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** Tracks `send` (already issued) until it settles. */
  add(send: Promise<unknown>): void {
    const tracked: Promise<void> = send.then(
      () => {
        this.#pending.delete(tracked);
      },
      (err: unknown) => {
        this.#failure ??= err instanceof Error ? err : new Error(String(err));
        this.#pending.delete(tracked);
      },
    );
    this.#pending.add(tracked);
  }

  /**
   * Undefined while fewer than `max` sends are in flight and none failed; else a promise that
   * resolves when one of them settles.
   * @throws (the promise rejects with) the window's failure
   */
  room(max = MAX_SENDS_IN_FLIGHT): Promise<void> | undefined {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#pending.size < max) return undefined;
    return Promise.race(this.#pending).then(() => this.#check());
  }

  /**
   * Resolves when every send added so far is acknowledged (the pre-commit at a barrier waits for
   * this before the checkpoint's ack: exactly-once depends on it).
   * @throws (the promise rejects with) the first send's error
   */
  drained(): Promise<void> {
    return Promise.all([...this.#pending]).then(() => this.#check());
  }

  #check(): void {
    if (this.#failure) throw this.#failure;
  }
}
