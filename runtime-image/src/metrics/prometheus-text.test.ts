import { MeterWindow } from './meter-window.ts';
import { renderPrometheus } from './prometheus-text.ts';
import type { TaskSample } from './task-metrics.ts';
import { workerMetricFamilies } from './worker-metrics.ts';

describe('renderPrometheus', () => {
  it('writes HELP, TYPE and one line per series with escaped labels; skips empty families', () => {
    const text = renderPrometheus([
      {
        name: 'x_total',
        type: 'counter',
        help: 'a\\b\nc',
        series: [
          { labels: { a: 'q"\\\n', b: '1' }, value: 3 },
          { labels: {}, value: Infinity },
        ],
      },
      { name: 'empty', type: 'gauge', help: 'h', series: [] },
    ]);
    expect(text).toBe(
      '# HELP x_total a\\\\b\\nc\n# TYPE x_total counter\nx_total{a="q\\"\\\\\\n",b="1"} 3\nx_total +Inf\n',
    );
    expect(renderPrometheus([])).toBe('');
  });
});

describe('workerMetricFamilies', () => {
  const task = (stage: number, o: Partial<TaskSample>): TaskSample => ({
    stage,
    recordsIn: 0,
    recordsOut: 0,
    busyMs: 0,
    backPressuredMs: 0,
    lastAlignmentMs: -1,
    lastAlignedCheckpoint: -1,
    checkpointedStateBytes: 0,
    stateKeys: 0,
    ...o,
  });

  it('labels every task series with job, subtask and stage; state and alignment only for keyed stages', () => {
    const w = new MeterWindow();
    w.add({ atMs: 0, tasks: [task(0, {}), task(1, {})] });
    const now = {
      atMs: 2000,
      tasks: [
        task(0, { recordsIn: 4000, recordsOut: 4000, busyMs: 600.4 }),
        task(1, {
          recordsIn: 2000,
          recordsOut: 10,
          lastAlignmentMs: 12.34,
          lastAlignedCheckpoint: 3,
          checkpointedStateBytes: 999,
          stateKeys: 42,
        }),
      ],
    };
    const text = renderPrometheus(workerMetricFamilies({ job: 'wc', subtask: 1 }, now, w));
    const line = (name: string, stage: number) =>
      text
        .split('\n')
        .find((l) => l.startsWith(`${name}{job="wc",subtask="1",stage="${stage}"} `))
        ?.split(' ')[1];
    expect(line('sluice_task_records_in_total', 0)).toBe('4000');
    expect(line('sluice_task_records_in_per_second', 0)).toBe('2000');
    expect(line('sluice_task_records_in_per_second', 1)).toBe('1000');
    expect(line('sluice_task_records_out_per_second', 1)).toBe('5');
    expect(line('sluice_task_busy_time_ms_per_second', 0)).toBe('300.2');
    expect(line('sluice_task_busy_time_ms_total', 0)).toBe('600');
    expect(line('sluice_task_checkpoint_alignment_time_ms', 1)).toBe('12.3');
    expect(line('sluice_task_checkpoint_alignment_last_id', 1)).toBe('3');
    expect(line('sluice_task_state_checkpointed_size_bytes', 1)).toBe('999');
    expect(line('sluice_task_state_keys', 1)).toBe('42');
    expect(line('sluice_task_state_keys', 0)).toBeUndefined();
  });
});
