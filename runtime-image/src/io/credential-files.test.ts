import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileCredentialProvider } from './credential-files.ts';

/** Writes `data` the way the kubelet updates a Secret volume: a new directory, swapped in by one rename. */
function writeSecretDir(dir: string, version: number, data: Record<string, string>): void {
  const target = join(dir, `..v${version}`);
  mkdirSync(target);
  for (const [k, v] of Object.entries(data)) writeFileSync(join(target, k), v);
  symlinkSync(`..v${version}`, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const k of Object.keys(data)) {
    try {
      symlinkSync(join('..data', k), join(dir, k));
    } catch {
      // already linked through ..data
    }
  }
}

describe('FileCredentialProvider', () => {
  let dir: string;
  let now: number;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-creds-'));
    now = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const provider = () =>
    new FileCredentialProvider(
      dir,
      { accessKey: 'env-ak', secretKey: 'env-sk' },
      { checkIntervalMs: 1000, now: () => now },
    );

  it('uses the files, and picks up a swapped Secret volume after the check interval', async () => {
    writeSecretDir(dir, 1, { accessKey: 'ak1', secretKey: 'sk1', sessionToken: 'st1' });
    const p = provider();
    const first = await p.getCredentials();
    expect([first.getAccessKey(), first.getSecretKey(), first.getSessionToken()]).toEqual([
      'ak1',
      'sk1',
      'st1',
    ]);
    writeSecretDir(dir, 2, { accessKey: 'ak2', secretKey: 'sk2', sessionToken: 'st2' });
    now = 500;
    expect((await p.getCredentials()).getAccessKey()).toBe('ak1');
    now = 1000;
    const renewed = await p.getCredentials();
    expect([renewed.getAccessKey(), renewed.getSecretKey(), renewed.getSessionToken()]).toEqual([
      'ak2',
      'sk2',
      'st2',
    ]);
  });

  it('keeps the environment credentials while there are no usable files', async () => {
    const p = provider();
    expect((await p.getCredentials()).getAccessKey()).toBe('env-ak');
    writeSecretDir(dir, 1, { accessKey: 'ak1' });
    now = 2000;
    expect((await p.getCredentials()).getAccessKey()).toBe('env-ak');
    writeSecretDir(dir, 2, { accessKey: 'ak2', secretKey: 'sk2' });
    now = 4000;
    const c = await p.getCredentials();
    expect([c.getAccessKey(), c.getSessionToken()]).toEqual(['ak2', undefined]);
  });
});
