import { parseCheckpointRequest } from './control.ts';

describe('parseCheckpointRequest', () => {
  const base = { id: 7, kind: 'checkpoint', path: 'p/chk-7', triggeredAt: '2026-01-01T00:00:00Z' };

  it('reads the timeout the ack is retried for, when the coordinator sends one', () => {
    expect(parseCheckpointRequest(JSON.stringify({ ...base, timeoutSeconds: 120 }), 'a')).toEqual({
      ...base,
      stop: false,
      timeoutSeconds: 120,
    });
  });

  it('leaves it out when absent or not a positive integer (the worker then uses 600 s)', () => {
    expect(parseCheckpointRequest(JSON.stringify(base), 'a')).not.toHaveProperty('timeoutSeconds');
    expect(parseCheckpointRequest(JSON.stringify({ ...base, timeoutSeconds: -1 }), 'a')).not.toHaveProperty(
      'timeoutSeconds',
    );
    expect(parseCheckpointRequest(JSON.stringify({ ...base, timeoutSeconds: '9' }), 'a')).not.toHaveProperty(
      'timeoutSeconds',
    );
  });
});
