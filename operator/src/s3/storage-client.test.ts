import { createServer, type Server, type Socket } from 'node:net';
import { EndpointBreaker } from './endpoint-breaker.ts';
import { StorageClient, abortable } from './storage-client.ts';

describe('abortable', () => {
  it('passes results and errors through until the signal aborts', async () => {
    await expect(abortable(Promise.resolve(1), new AbortController().signal, 'x')).resolves.toBe(1);
    await expect(
      abortable(Promise.reject(new Error('boom')), new AbortController().signal, 'x'),
    ).rejects.toThrow('boom');
  });

  it('rejects naming the call when the signal aborts first, and swallows the late outcome', async () => {
    const ac = new AbortController();
    let fail!: (e: Error) => void;
    const op = new Promise<number>((_, reject) => (fail = reject));
    const p = abortable(op, ac.signal, 'PUT s3://b/k');
    ac.abort(new Error('reconcile exceeded its deadline of 10 ms'));
    await expect(p).rejects.toThrow('PUT s3://b/k abandoned: reconcile exceeded its deadline of 10 ms');
    fail(new Error('late')); // no unhandled rejection
  });
});

describe('StorageClient against an endpoint that accepts and never answers', () => {
  let server: Server;
  const sockets = new Set<Socket>();
  let endpoint: string;

  beforeAll(async () => {
    server = createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });

  const client = (signal = new AbortController().signal) =>
    new StorageClient({
      endpoint,
      credentials: { accessKey: 'a', secretKey: 'b' },
      timeoutMs: 300,
      signal,
      // Each call its own breaker: this test is about every call's deadline.
      breaker: new EndpointBreaker(),
    });

  it('gives up on every kind of call after the timeout, naming the call and the endpoint', async () => {
    const t0 = Date.now();
    await expect(client().listNames('bucket', 'p/')).rejects.toThrow(
      new RegExp(`^LIST s3://bucket/p/ on ${endpoint} abandoned: no answer within 300 ms$`),
    );
    await expect(client().putObject('bucket', 'k', Buffer.from('x'), 1, {})).rejects.toThrow(
      /^PUT s3:\/\/bucket\/k on /,
    );
    await expect(client().getObject('bucket', 'k')).rejects.toThrow(/^GET s3:\/\/bucket\/k on /);
    await expect(client().removeObjects('bucket', ['k'])).rejects.toThrow(
      /^DELETE 1 object\(s\) in s3:\/\/bucket on /,
    );
    expect(Date.now() - t0).toBeLessThan(4 * 300 + 1500);
  });

  it('refuses further calls to an endpoint that let one run past its deadline, at once', async () => {
    const breaker = new EndpointBreaker();
    const c = (signal = new AbortController().signal) =>
      new StorageClient({
        endpoint,
        credentials: { accessKey: 'a', secretKey: 'b' },
        timeoutMs: 300,
        signal,
        breaker,
      });
    await expect(c().listNames('bucket', 'p/')).rejects.toThrow(/abandoned: no answer within 300 ms$/);
    const t0 = Date.now();
    await expect(c().getObject('bucket', 'k')).rejects.toThrow(
      new RegExp(
        `^GET s3://bucket/k on ${endpoint} not attempted: ${endpoint} let a call run past its deadline`,
      ),
    );
    expect(Date.now() - t0).toBeLessThan(100);
  });

  it("gives up as soon as the reconcile's signal aborts", async () => {
    const ac = new AbortController();
    const p = client(ac.signal).listNames('bucket', 'p/');
    ac.abort(new Error('operator shutting down'));
    await expect(p).rejects.toThrow(/abandoned: operator shutting down$/);
  });
});
