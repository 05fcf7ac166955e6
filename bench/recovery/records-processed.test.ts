import { processedPastRestore, recordsInByStage } from './records-processed.ts';

const body = (stage0: number, stage1?: number) =>
  [
    '# HELP sluice_task_records_in_total Records into the task.',
    '# TYPE sluice_task_records_in_total counter',
    `sluice_task_records_in_total{job="recovery",subtask="1",stage="0"} ${stage0}`,
    ...(stage1 === undefined
      ? []
      : [`sluice_task_records_in_total{job="recovery",subtask="1",stage="1"} ${stage1}`]),
    '# TYPE sluice_task_records_out_total counter',
    'sluice_task_records_out_total{job="recovery",subtask="1",stage="0"} 99',
    '',
  ].join('\n');

describe('recordsInByStage', () => {
  it('reads the records-in counter of each stage and nothing else', () => {
    expect([...recordsInByStage(body(120, 7))]).toEqual([
      ['0', 120],
      ['1', 7],
    ]);
    expect(recordsInByStage('').size).toBe(0);
  });
});

describe('processedPastRestore', () => {
  it('holds once every stage of the worker took a record', () => {
    expect(processedPastRestore(body(120, 7), 2)).toBe(true);
  });

  it('does not hold while a stage is idle (e.g. no record through the shuffle yet)', () => {
    expect(processedPastRestore(body(120, 0), 2)).toBe(false);
    expect(processedPastRestore(body(0, 0), 2)).toBe(false);
  });

  it('does not hold before the tasks exist (fewer stages than the job has)', () => {
    expect(processedPastRestore(body(120), 2)).toBe(false);
    expect(processedPastRestore('', 2)).toBe(false);
  });
});
