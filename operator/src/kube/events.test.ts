import { V1MicroTime } from '@kubernetes/client-node';
import { buildEvent } from './events.ts';

describe('buildEvent', () => {
  const subject = {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'StreamJob',
    namespace: 'ns',
    name: 'wc',
    uid: 'u1',
    resourceVersion: '7',
  };

  it('builds an events.k8s.io/v1 Event with a MicroTime eventTime about the subject', () => {
    const e = buildEvent(
      subject,
      { type: 'Warning', reason: 'PodCreateFailed', action: 'CreatePods', note: 'quota' },
      'sluice.dev/operator',
      'op-1',
      Date.UTC(2026, 0, 1),
    );
    expect(e).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { namespace: 'ns' },
      reportingController: 'sluice.dev/operator',
      reportingInstance: 'op-1',
      reason: 'PodCreateFailed',
      action: 'CreatePods',
      type: 'Warning',
      note: 'quota',
      regarding: subject,
    });
    expect(e.metadata!.name).toMatch(/^wc\.[0-9a-f]{16}$/);
    expect(e.eventTime).toBeInstanceOf(V1MicroTime);
    expect(e.eventTime.toISOString()).toBe('2026-01-01T00:00:00.000000Z');
  });

  it('truncates notes to the 1 KiB (UTF-8 bytes) the API allows', () => {
    const e = buildEvent(
      subject,
      { type: 'Normal', reason: 'R', action: 'A', note: 'x'.repeat(5000) },
      'c',
      'i',
      0,
    );
    expect(Buffer.byteLength(e.note!, 'utf8')).toBe(1024);
    expect(e.note!.endsWith('…')).toBe(true);
    const wide = buildEvent(
      subject,
      { type: 'Normal', reason: 'R', action: 'A', note: 'é'.repeat(1000) },
      'c',
      'i',
      0,
    );
    expect(Buffer.byteLength(wide.note!, 'utf8')).toBeLessThanOrEqual(1024);
  });
});
