import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, helpText, loadConfig, parseDuration } from './config.ts';
import { SETTINGS } from './settings.ts';

const base = { hostname: 'host-1' };

describe('loadConfig', () => {
  it('has working defaults', () => {
    const c = loadConfig([], { ...base, env: {} });
    expect(c).toMatchObject({
      namespaces: [],
      leaderElection: {
        enabled: true,
        namespace: 'sluice-system',
        leaseName: 'sluice-operator',
        timing: { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
      },
      http: { host: '0.0.0.0', port: 8080 },
      logLevel: 'info',
      maxConcurrentReconciles: 4,
      resyncPeriodMs: 600_000,
      retry: { baseDelayMs: 100, maxDelayMs: 300_000, ratePerSecond: 10, burst: 100 },
      reconcileTimeoutMs: 60_000,
      storageTimeoutMs: 10_000,
      storage: { prefix: '', credentialsNamespace: 'sluice-system' },
      worker: { runAsUser: 65532, runAsGroup: 65532, dataPort: 7070 },
    });
    expect(c.identity).toMatch(/^host-1_[0-9a-f]{8}$/);
    expect(c.storage.endpoint).toBeUndefined();
  });

  it('bounds reconciles and S3 calls, the S3 deadline inside the reconcile deadline', () => {
    const c = loadConfig(['--reconcile-timeout=30s', '--storage-timeout=2s'], { ...base, env: {} });
    expect(c).toMatchObject({ reconcileTimeoutMs: 30_000, storageTimeoutMs: 2_000 });
    expect(() =>
      loadConfig(['--reconcile-timeout=5s', '--storage-timeout=5s'], { ...base, env: {} }),
    ).toThrow(/--storage-timeout must be shorter than --reconcile-timeout/);
  });

  it('reads the environment the Helm chart sets, and flags win over it', () => {
    const env = {
      SLUICE_WATCH_NAMESPACES: 'a, b,a',
      SLUICE_LEADER_ELECTION: 'false',
      SLUICE_LEADER_ELECTION_NAMESPACE: 'ops',
      SLUICE_LEASE_NAME: 'sluice',
      SLUICE_STORAGE_ENDPOINT: 'http://minio:9000/',
      SLUICE_STORAGE_BUCKET: 'sluice',
      SLUICE_STORAGE_PREFIX: 'p',
      SLUICE_STORAGE_CREDENTIALS_SECRET: 'creds',
      SLUICE_HTTP_PORT: '9090',
      SLUICE_LOG_LEVEL: 'debug',
      POD_NAME: 'sluice-operator-abc',
    };
    const c = loadConfig(['--http-port', '9191', '--log-level=warn', '--leader-elect'], { ...base, env });
    expect(c.namespaces).toEqual(['a', 'b']);
    expect(c.leaderElection).toMatchObject({ enabled: true, namespace: 'ops', leaseName: 'sluice' });
    expect(c.http.port).toBe(9191);
    expect(c.logLevel).toBe('warn');
    expect(c.storage).toEqual({
      endpoint: 'http://minio:9000',
      bucket: 'sluice',
      prefix: 'p',
      credentialsSecret: 'creds',
      credentialsNamespace: 'ops',
    });
    expect(c.identity).toMatch(/^sluice-operator-abc_/);
  });

  it('takes the lease namespace from the pod when not set', () => {
    expect(loadConfig([], { ...base, env: { POD_NAMESPACE: 'from-env' } }).leaderElection.namespace).toBe(
      'from-env',
    );
    expect(
      loadConfig([], { ...base, env: {}, inClusterNamespace: 'in-cluster' }).leaderElection.namespace,
    ).toBe('in-cluster');
  });

  it('lists every problem at once', () => {
    let err: unknown;
    try {
      loadConfig(
        [
          '--nope',
          '--http-port=x',
          '--lease-duration=5s',
          '--resync-period=10',
          '--log-level=loud',
          '--watch-namespaces=Bad_NS',
          '--node-loss=evict',
        ],
        {
          ...base,
          env: { SLUICE_LEADER_ELECTION: 'yes' },
        },
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toHaveLength(8);
    const problems = (err as ConfigError).problems.join('\n');
    expect(problems).toMatch(/unknown flag --nope/);
    expect(problems).toMatch(/--http-port \/ SLUICE_HTTP_PORT must be an integer in 0..65535 \(got "x"\)/);
    expect(problems).toMatch(/lease duration \(5000 ms\) must be greater than renew deadline \(10000 ms\)/);
    expect(problems).toMatch(
      /--resync-period \/ SLUICE_RESYNC_PERIOD must be a positive duration like 500ms, 15s, 2m \(got "10"\)/,
    );
    expect(problems).toMatch(/--log-level \/ SLUICE_LOG_LEVEL must be one of/);
    expect(problems).toMatch(/"Bad_NS" is not a namespace name/);
    expect(problems).toMatch(
      /--node-loss \/ SLUICE_NODE_LOSS must be one of force-delete, detect, off \(got "evict"\)/,
    );
    expect(problems).toMatch(/--leader-elect \/ SLUICE_LEADER_ELECTION must be true or false \(got "yes"\)/);
  });

  it('parses durations', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('15')).toBeUndefined();
    expect(parseDuration('soon')).toBeUndefined();
  });

  it('documents every setting in --help and in docs/operator.md', () => {
    const help = helpText();
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'operator.md'), 'utf8');
    for (const s of SETTINGS) {
      expect(help).toContain(s.flag);
      expect(help).toContain(s.env);
      expect(doc).toContain(`\`${s.flag}\``);
      expect(doc).toContain(`\`${s.env}\``);
    }
  });
});
