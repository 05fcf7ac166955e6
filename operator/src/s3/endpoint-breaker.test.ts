import { EndpointBreaker, EndpointUnavailableError } from './endpoint-breaker.ts';

describe('EndpointBreaker', () => {
  let now = 0;
  const breaker = () => new EndpointBreaker({ baseCooldownMs: 5000, maxCooldownMs: 20_000, now: () => now });
  const E = 'http://blackhole:9000';

  beforeEach(() => {
    now = 1_000_000;
  });

  it('refuses calls to an endpoint for a cool-down after a timeout, doubling while it stays silent', () => {
    const b = breaker();
    b.admit(E, 'LIST')('timeout');
    expect(() => b.admit(E, 'GET s3://b/k on E')).toThrow(EndpointUnavailableError);
    expect(() => b.admit(E, 'GET s3://b/k on E')).toThrow(
      /^GET s3:\/\/b\/k on E not attempted: .* \(1 time\(s\) in a row\)/,
    );
    expect(b.openEndpoints()).toEqual([E]);
    now += 5000;
    const probe = b.admit(E, 'probe');
    // One probe at a time while half-open.
    expect(() => b.admit(E, 'second')).toThrow(EndpointUnavailableError);
    probe('timeout');
    now += 9999;
    expect(() => b.admit(E, 'x')).toThrow(/2 time\(s\) in a row/);
    now += 1;
    b.admit(E, 'y')('timeout');
    now += 20_000;
    b.admit(E, 'z')('timeout');
    // Capped at maxCooldownMs.
    now += 20_000;
    expect(() => b.admit(E, 'w')).not.toThrow();
  });

  it('closes on any answer and ignores calls abandoned for other reasons', () => {
    const b = breaker();
    b.admit(E, 'a')('timeout');
    now += 5000;
    b.admit(E, 'probe')('abandoned');
    // Still cooling down? No: abandoned only frees the probe slot.
    b.admit(E, 'probe 2')('answered');
    expect(b.openEndpoints()).toEqual([]);
    for (let i = 0; i < 3; i++) b.admit(E, 'ok')('answered');
    expect(() => b.admit('http://other:9000', 'other')).not.toThrow();
  });

  it('keeps endpoints apart', () => {
    const b = breaker();
    b.admit(E, 'a')('timeout');
    expect(() => b.admit('http://minio:9000', 'healthy')).not.toThrow();
  });
});
