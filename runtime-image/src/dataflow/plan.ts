/**
 * The execution plan of a job: a linear pipeline cut into stages at every keyBy. Stage 0
 * holds the source and the stateless operators before the first keyBy; stage k ≥ 1 receives
 * records shuffled by key group from every worker's stage k−1. The last stage ends in a sink.
 * Every worker runs one instance of every stage.
 */
import type { Sink, Source } from '../api/types.ts';
import type { ChainOperator, KeyedRuntime } from './operator.ts';

/** An operator of a stage. Keyed operators exist only in stages ≥ 1 and own state under `uid`. */
export type StepSpec =
  | { kind: 'stateless'; name: string; create: () => ChainOperator }
  | { kind: 'keyed'; name: string; uid: string; create: (rt: KeyedRuntime) => ChainOperator };

/** How records leave a stage. */
export type StageExit =
  | { kind: 'shuffle'; keySelector: (value: unknown) => string | number }
  | { kind: 'sink'; uid: string; sink: Sink<unknown> };

export interface StagePlan {
  index: number;
  steps: StepSpec[];
  exit: StageExit;
}

export interface JobPlan {
  source: { uid: string; source: Source<unknown> };
  /** stages[0] is the source stage; stages.length − 1 keyBy shuffles. */
  stages: StagePlan[];
}

/** The uids of every stateful operator, source and sink (for allowNonRestoredState checks). */
export function planUids(plan: JobPlan): string[] {
  const out = [plan.source.uid];
  for (const s of plan.stages) {
    for (const step of s.steps) if (step.kind === 'keyed') out.push(step.uid);
    if (s.exit.kind === 'sink') out.push(s.exit.uid);
  }
  return out;
}
