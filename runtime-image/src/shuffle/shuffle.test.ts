import { connect, createServer, type Server, type Socket } from 'node:net';
import pino from 'pino';
import { FrameDecoder, SHUFFLE_PROTOCOL_VERSION, encodeFrame, type WireMessage } from './frames.ts';
import { ShuffleService } from './shuffle.ts';

/** What a raw connection to the service saw: the frames it got and whether it was closed. */
async function dialWith(port: number, token: string): Promise<{ frames: WireMessage[]; closed: boolean }> {
  const socket: Socket = connect({ host: '127.0.0.1', port });
  await new Promise((r) => socket.once('connect', r));
  const frames: WireMessage[] = [];
  const decoder = new FrameDecoder();
  let closed = false;
  socket.on('data', (c: Buffer) => frames.push(...decoder.push(c)));
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  socket.write(
    encodeFrame({
      t: 'hello',
      version: SHUFFLE_PROTOCOL_VERSION,
      from: 1,
      attempt: 3,
      parallelism: 2,
      job: 'uid-1',
      token,
    }),
  );
  await new Promise((r) => setTimeout(r, 300));
  socket.destroy();
  return { frames, closed };
}

describe('shuffle handshake', () => {
  let service: ShuffleService;
  const fatal: Error[] = [];
  // Stands in for worker 1's listener: takes the service's own dial and ignores it.
  let peer: Server;
  const peerSockets = new Set<Socket>();

  beforeAll(async () => {
    peer = createServer((s) => {
      peerSockets.add(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
  });

  afterAll(async () => {
    for (const s of peerSockets) s.destroy();
    await new Promise((r) => peer.close(r));
  });

  beforeEach(async () => {
    service = new ShuffleService({
      subtask: 0,
      parallelism: 2,
      attempt: 3,
      jobUid: 'uid-1',
      token: 'attempt-3-token',
      // Worker 1 dials in through this test's raw socket; its listener is `peer`.
      peers: ['127.0.0.1:0', `127.0.0.1:${(peer.address() as { port: number }).port}`],
      listenPort: 0,
      listenHost: '127.0.0.1',
      boundaries: 1,
      connectTimeoutMs: 60_000,
      log: pino({ level: 'silent' }),
      onFatal: (e) => fatal.push(e),
    });
    await service.start();
  });

  afterEach(() => service.close());

  it('refuses a peer without the attempt token', async () => {
    const seen = await dialWith(service.port, 'guessed');
    expect(seen).toEqual({ frames: [], closed: true });
    const empty = await dialWith(service.port, '');
    expect(empty.closed).toBe(true);
  });

  it('accepts a peer with the token and grants it credits', async () => {
    const seen = await dialWith(service.port, 'attempt-3-token');
    expect(seen.closed).toBe(false);
    expect(seen.frames).toEqual([{ t: 'credit', boundary: 1, batches: 8 }]);
  });
});

const readinessService = (boundaries: number) =>
  new ShuffleService({
    subtask: 0,
    parallelism: 2,
    attempt: 0,
    jobUid: 'u',
    token: 't',
    peers: ['127.0.0.1:1', '127.0.0.1:2'],
    listenPort: 0,
    listenHost: '127.0.0.1',
    boundaries,
    connectTimeoutMs: 200,
    log: pino({ level: 'silent' }),
    onFatal: () => undefined,
  });

describe('ShuffleService readiness', () => {
  it('is ready at once for a job without keyBy (no connections to make) at parallelism > 1', async () => {
    const s = readinessService(0);
    await s.start();
    expect(s.ready).toBe(true);
    await s.close();
  });
});
