import { Registry } from 'prom-client';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import { JobMetrics } from './job-metrics.ts';

function job(name: string, phase: string | undefined): StreamJob {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'StreamJob',
    metadata: { namespace: 'team-a', name },
    spec: {},
    status: { phase, attempt: 2, restarts: 1, workers: { ready: 1, total: 2 } },
  } as unknown as StreamJob;
}

/** The `sluice_streamjob_phase` series as `name phase=value` lines, sorted. */
async function phaseSeries(registry: Registry): Promise<string[]> {
  const metric = await registry.getSingleMetric('sluice_streamjob_phase')!.get();
  return metric.values.map((v) => `${v.labels.name} ${v.labels.phase}=${v.value}`).sort();
}

describe('JobMetrics', () => {
  it('keeps one phase series per job, replaced when the phase changes', async () => {
    const registry = new Registry();
    const m = new JobMetrics(registry);
    m.observe(job('wc', 'Starting'));
    m.observe(job('other', 'Running'));
    expect(await phaseSeries(registry)).toEqual(['other Running=1', 'wc Starting=1']);
    m.observe(job('wc', 'Running'));
    m.observe(job('wc', 'Running'));
    expect(await phaseSeries(registry)).toEqual(['other Running=1', 'wc Running=1']);
    m.observe(job('wc', undefined));
    expect(await phaseSeries(registry)).toEqual(['other Running=1']);
  });

  it('removes every series of a deleted job and none of another', async () => {
    const registry = new Registry();
    const m = new JobMetrics(registry);
    m.observe(job('wc', 'Running'));
    m.observe(job('other', 'Failed'));
    m.forget('team-a', 'wc');
    const text = await registry.metrics();
    expect(text).not.toMatch(/name="wc"/);
    expect(text).toMatch(/sluice_streamjob_phase\{namespace="team-a",name="other",phase="Failed"\} 1/);
    expect(text).toMatch(/sluice_streamjob_workers\{namespace="team-a",name="other",state="desired"\} 2/);
    // A job observed again after forget gets its phase series back.
    m.observe(job('wc', 'Running'));
    expect(await phaseSeries(registry)).toEqual(['other Failed=1', 'wc Running=1']);
  });
});
