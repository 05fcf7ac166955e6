/**
 * Kubernetes Events (events.k8s.io/v1) about the objects a controller manages, so that
 * `kubectl describe` and `kubectl events` show what the operator did and why. Recording is
 * fire-and-forget: a failed Event write is logged and never fails a reconcile.
 */
import { randomBytes } from 'node:crypto';
import { EventsV1Api, V1MicroTime, type KubeConfig, type EventsV1Event } from '@kubernetes/client-node';
import type { Clock } from './clock.ts';
import { apiStatus } from './errors.ts';
import type { Logger } from './logger.ts';
import { boundText } from './bounded-text.ts';

/** The object an Event is about. */
export interface EventSubject {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
}

/** Normal (informational) or Warning (needs attention). */
export type EventType = 'Normal' | 'Warning';

/** One Event to record. */
export interface EventSpec {
  type: EventType;
  /** CamelCase, why it happened, e.g. `WorkersCreated`. ≤ 128 characters. */
  reason: string;
  /** CamelCase, what the operator did or failed to do, e.g. `CreatePods`. ≤ 128 characters. */
  action: string;
  /**
   * Human-readable details; cut to 1 KiB as the API requires. Lists of workers are summarized
   * with counts before they get here (bounded-text.ts), so the cut rarely matters.
   */
  note: string;
}

/** Records Events. */
export interface EventRecorder {
  record(subject: EventSubject, event: EventSpec): void;
}

/** Options of {@link KubeEventRecorder}. */
export interface KubeEventRecorderOptions {
  kubeConfig: KubeConfig;
  /** `reportingController`, e.g. `sluice.dev/operator`. */
  controller: string;
  /** `reportingInstance`: this process's identity. */
  instance: string;
  clock: Clock;
  log: Logger;
}

/** The API's limit on `note`, UTF-8 bytes. */
const MAX_NOTE = 1024;

/** Writes events.k8s.io/v1 Events through the API server. */
export class KubeEventRecorder implements EventRecorder {
  readonly #api: EventsV1Api;
  readonly #o: KubeEventRecorderOptions;
  readonly #pending = new Set<Promise<void>>();

  constructor(options: KubeEventRecorderOptions) {
    this.#o = options;
    this.#api = options.kubeConfig.makeApiClient(EventsV1Api);
  }

  record(subject: EventSubject, event: EventSpec): void {
    const body = buildEvent(subject, event, this.#o.controller, this.#o.instance, this.#o.clock.now());
    const p = this.#api
      .createNamespacedEvent({ namespace: subject.namespace, body })
      .then(
        () => undefined,
        (err: unknown) => {
          this.#o.log.warn(
            {
              event: event.reason,
              object: `${subject.namespace}/${subject.name}`,
              error: apiStatus(err).message,
            },
            'could not record event',
          );
        },
      )
      .finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }

  /** Resolves when every Event recorded so far has been written (or failed). */
  async flush(): Promise<void> {
    await Promise.all([...this.#pending]);
  }
}

/**
 * The events.k8s.io/v1 Event for `event` about `subject` at `nowMs`. Its name is
 * `<subject>.<16 hex>` (unique; the API server does not generate Event names for us here).
 */
export function buildEvent(
  subject: EventSubject,
  event: EventSpec,
  controller: string,
  instance: string,
  nowMs: number,
): EventsV1Event {
  const note = boundText(event.note, MAX_NOTE);
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: `${subject.name}.${randomBytes(8).toString('hex')}`, namespace: subject.namespace },
    eventTime: new V1MicroTime(nowMs),
    reportingController: controller,
    reportingInstance: instance.slice(0, 128),
    action: event.action.slice(0, 128),
    reason: event.reason.slice(0, 128),
    note,
    type: event.type,
    regarding: {
      apiVersion: subject.apiVersion,
      kind: subject.kind,
      namespace: subject.namespace,
      name: subject.name,
      uid: subject.uid,
      resourceVersion: subject.resourceVersion,
    },
  };
}

/** Keeps Events in memory (for unit tests and dry runs). */
export class MemoryEventRecorder implements EventRecorder {
  readonly events: Array<EventSpec & { subject: EventSubject }> = [];

  record(subject: EventSubject, event: EventSpec): void {
    this.events.push({ ...event, subject });
  }
}
