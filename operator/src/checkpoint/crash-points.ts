/**
 * Crash points: the named steps of the checkpoint protocol (docs/checkpointing.md "Protocol")
 * right after which a fault test can make the operator process die at once, so an operator crash
 * is tested at a chosen step and not at a random moment (docs/checkpointing.md "Crash points").
 *
 * Armed only by the fault-injection variable `SLUICE_CRASH_AFTER` (never set by the chart):
 * `<step>[/<kind>][#<n>]` dies the n-th time (default the first) the operator passes `step` for a
 * snapshot of `kind` (`checkpoint` or `savepoint`; default either). The process sends itself
 * SIGKILL: no shutdown hook, lease release or buffered write runs, as when a node dies.
 */
import { writeSync } from 'node:fs';
import type { SnapshotKind } from '@sluice/api/protocol.ts';

/** The protocol steps, in protocol order. */
export const PROTOCOL_STEPS = [
  /** status.checkpoints.inProgress written (step 1: the id is in status before any worker hears of it). */
  'id-in-status',
  /** The checkpoint request annotation written on the StreamJob (every worker watches it). */
  'request-annotated',
  /** `<dir>/_metadata` written (the snapshot is complete in storage). */
  'metadata-written',
  /** status.checkpoints.lastCompleted (or savepoints.last) written: the commit notice. */
  'completed-in-status',
  /** Retention deleted the `_metadata` of a checkpoint, not yet its other files. */
  'retention-metadata-deleted',
] as const;

/** One protocol step's name. */
export type ProtocolStep = (typeof PROTOCOL_STEPS)[number];

/** Where to crash, parsed from `SLUICE_CRASH_AFTER`. */
export interface CrashPlan {
  step: ProtocolStep;
  /** Only snapshots of this kind count; undefined: either. */
  kind: SnapshotKind | undefined;
  /** Die when the step is passed the n-th time (≥ 1). */
  nth: number;
}

/**
 * Parses `<step>[/<kind>][#<n>]`.
 * @throws Error naming the valid steps when `spec` is not of that form
 */
export function parseCrashPlan(spec: string): CrashPlan {
  const m = /^([a-z-]+)(?:\/(checkpoint|savepoint))?(?:#(\d+))?$/.exec(spec.trim());
  const step = m?.[1] as ProtocolStep | undefined;
  if (!m || !step || !PROTOCOL_STEPS.includes(step) || (m[3] !== undefined && Number(m[3]) < 1)) {
    throw new Error(
      `SLUICE_CRASH_AFTER=${JSON.stringify(spec)} is not <step>[/checkpoint|/savepoint][#n>0] with step one of ${PROTOCOL_STEPS.join(', ')}`,
    );
  }
  return { step, kind: m[2] as SnapshotKind | undefined, nth: m[3] === undefined ? 1 : Number(m[3]) };
}

/** Counts protocol steps and kills the process at the planned one; does nothing without a plan. */
export class CrashPoints {
  readonly #plan: CrashPlan | undefined;
  #seen = 0;

  constructor(plan: CrashPlan | undefined) {
    this.#plan = plan;
  }

  /** From `env.SLUICE_CRASH_AFTER` (unset or empty: never crashes). @throws as parseCrashPlan */
  static fromEnv(env: NodeJS.ProcessEnv): CrashPoints {
    const spec = env.SLUICE_CRASH_AFTER;
    return new CrashPoints(spec ? parseCrashPlan(spec) : undefined);
  }

  /** Whether this pass of `step` for a snapshot of `kind` is the planned crash (counts it). */
  due(step: ProtocolStep, kind: SnapshotKind): boolean {
    const p = this.#plan;
    if (!p || p.step !== step || (p.kind !== undefined && p.kind !== kind)) return false;
    this.#seen++;
    return this.#seen === p.nth;
  }

  /** Marks that `step` was passed for snapshot `id` of `kind`; dies here when it is the planned one. */
  passed(step: ProtocolStep, kind: SnapshotKind, id: number): void {
    if (!this.due(step, kind)) return;
    writeSync(2, `sluice crash point: killing the operator after ${step} of ${kind} ${id}\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}
