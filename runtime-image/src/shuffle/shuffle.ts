/**
 * The record exchange between the workers of one attempt over TCP (frames.ts on the wire,
 * output-gate.ts / input-gate.ts for batching and credit-based flow control).
 *
 * Every worker listens on its data port and dials every other worker once; a connection
 * i → j carries i's data, barriers and watermarks for all boundaries towards j, and j's credits
 * back to i. The dialer introduces itself with `hello` (protocol version, subtask, attempt,
 * parallelism, job uid, the attempt's shuffle token); the acceptor refuses connections of
 * another job, attempt or parallelism (a zombie of a previous attempt must not inject records)
 * and any without the token (anything else that can reach the port; docs/security.md). Records a worker
 * sends to itself go through an in-memory link with the same flow control.
 *
 * A connection lost after it was established fails the worker (its attempt cannot continue
 * consistently), unless the worker is stopping. Dialing retries until `connectTimeoutMs`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { FrameDecoder, SHUFFLE_PROTOCOL_VERSION, encodeFrame, type WireMessage } from './frames.ts';
import { InputGate } from './input-gate.ts';
import { OutputGate, type Link, type OutputGateOptions } from './output-gate.ts';

/** Configuration of the shuffle of one worker. */
export interface ShuffleOptions {
  subtask: number;
  parallelism: number;
  attempt: number;
  /** Identifies the job (its uid); peers of another job are refused. */
  jobUid: string;
  /**
   * The attempt's shuffle token (a secret the operator generates per attempt); peers that do
   * not present it are refused. '' (local runs) is a token like any other.
   */
  token: string;
  /** `host:port` of every worker, in subtask order (this worker's entry is its own address). */
  peers: string[];
  /** Port to listen on (0: any free port, for tests). */
  listenPort: number;
  /** Address to listen on (default `0.0.0.0`; tests use 127.0.0.1). */
  listenHost?: string;
  /** Number of keyBy boundaries (stages − 1). */
  boundaries: number;
  /** Give up dialing a peer after this many ms (default 120 000). */
  connectTimeoutMs?: number;
  /** Initial credits per channel, in batches (default 8). */
  credits?: number;
  output?: Partial<OutputGateOptions>;
  log: Logger;
  /** Called once when the shuffle can no longer work (connection lost, protocol error). */
  onFatal: (err: Error) => void;
}

/** Whether `a` and `b` are equal, in time independent of where they differ. */
function sameToken(a: string, b: string): boolean {
  const h = (t: string) => createHash('sha256').update(t, 'utf8').digest();
  return timingSafeEqual(h(a), h(b));
}

/** The shuffle failed (names the peer). */
export class ShuffleError extends Error {
  override name = 'ShuffleError';
}

/** The TCP record exchange of one worker. */
export class ShuffleService {
  private readonly o: ShuffleOptions;
  private readonly outputs: OutputGate[] = [];
  private readonly inputs: InputGate[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly accepted = new Set<number>();
  private readonly connected = new Set<number>();
  private closed = false;
  private failed = false;
  /** When true, lost connections are expected (stop-with-savepoint, shutdown). */
  stopping = false;

  constructor(opts: ShuffleOptions) {
    this.o = opts;
    if (opts.peers.length !== opts.parallelism) {
      throw new ShuffleError(`${opts.peers.length} peer addresses given for parallelism ${opts.parallelism}`);
    }
    for (let b = 1; b <= opts.boundaries; b++) {
      this.outputs[b] = new OutputGate(b, opts.parallelism, opts.output);
      this.inputs[b] = new InputGate(b, opts.parallelism, opts.credits ?? 8);
    }
  }

  /** The output gate of boundary `b` (1-based). */
  output(b: number): OutputGate {
    return this.outputs[b]!;
  }

  /** The input gate of boundary `b` (1-based). */
  input(b: number): InputGate {
    return this.inputs[b]!;
  }

  /**
   * Whether every peer connection (both directions) is established. A job without keyBy
   * exchanges nothing and opens no connection, so it is ready at once.
   */
  get ready(): boolean {
    if (this.o.boundaries === 0) return true;
    const others = this.o.parallelism - 1;
    return this.accepted.size === others && this.connected.size === others;
  }

  /** The port actually listened on. */
  get port(): number {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : 0;
  }

  /**
   * Starts listening, wires the local channel, and starts dialing peers in the background.
   * @throws Error when the port cannot be bound
   */
  async start(): Promise<void> {
    const self = this.o.subtask;
    for (let b = 1; b <= this.o.boundaries; b++) {
      const out = this.outputs[b]!;
      const inp = this.inputs[b]!;
      out.writers[self]!.attach({ send: (m) => inp.deliver(self, m) });
      inp.attachSender(self, (n) => out.writers[self]!.grant(n));
    }
    if (this.o.parallelism === 1 || this.o.boundaries === 0) return;
    this.server = createServer((s) => this.onAccept(s));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.o.listenPort, this.o.listenHost ?? '0.0.0.0', () => {
        this.server!.off('error', reject);
        resolve();
      });
    });
    this.o.log.info({ port: this.port }, 'shuffle listening');
    for (let j = 0; j < this.o.parallelism; j++) if (j !== self) void this.dial(j);
  }

  /** Resolves once all peer connections are up. @throws ShuffleError after `timeoutMs` */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ready) {
      if (this.closed) throw new ShuffleError('shuffle closed before all peers connected');
      if (Date.now() > deadline) {
        throw new ShuffleError(
          `not all peers connected after ${timeoutMs} ms (dialed: ${[...this.connected].join(',') || 'none'}; accepted: ${[...this.accepted].join(',') || 'none'})`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private fatal(err: Error): void {
    if (this.failed || this.closed || this.stopping) return;
    this.failed = true;
    this.o.onFatal(err);
  }

  private async dial(j: number): Promise<void> {
    const addr = this.o.peers[j]!;
    const idx = addr.lastIndexOf(':');
    const host = addr.slice(0, idx);
    const port = Number(addr.slice(idx + 1));
    const deadline = Date.now() + (this.o.connectTimeoutMs ?? 120_000);
    let attempt = 0;
    while (!this.closed) {
      const socket = await new Promise<Socket | Error>((resolve) => {
        const s = connect({ host, port, noDelay: true });
        s.once('connect', () => resolve(s));
        s.once('error', (e) => resolve(e));
      });
      if (socket instanceof Error) {
        if (Date.now() > deadline) {
          this.fatal(new ShuffleError(`cannot connect to worker ${j} at ${addr}: ${socket.message}`));
          return;
        }
        if (attempt++ % 25 === 0)
          this.o.log.debug({ peer: j, addr, err: socket.message }, 'peer not reachable yet');
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      if (this.closed) {
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      this.outbound(j, addr, socket);
      return;
    }
  }

  /** A connection this worker dialed to worker j: send hello, then data; receive credits. */
  private outbound(j: number, addr: string, socket: Socket): void {
    const { subtask, attempt, parallelism, jobUid, token } = this.o;
    socket.write(
      encodeFrame({
        t: 'hello',
        version: SHUFFLE_PROTOCOL_VERSION,
        from: subtask,
        attempt,
        parallelism,
        job: jobUid,
        token,
      }),
    );
    const link: Link = { send: (m) => socket.write(encodeFrame(m)) };
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      let msgs: WireMessage[];
      try {
        msgs = decoder.push(chunk);
      } catch (err) {
        socket.destroy();
        this.fatal(new ShuffleError(`bad frame from worker ${j} at ${addr}: ${(err as Error).message}`));
        return;
      }
      for (const m of msgs) {
        if (m.t === 'credit' && this.outputs[m.boundary])
          this.outputs[m.boundary]!.writers[j]!.grant(m.batches);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.fatal(new ShuffleError(`shuffle connection to worker ${j} at ${addr} was lost`));
    });
    this.connected.add(j);
    for (let b = 1; b <= this.o.boundaries; b++) this.outputs[b]!.writers[j]!.attach(link);
    this.o.log.debug({ peer: j, addr }, 'connected to peer');
  }

  /** A connection a peer dialed: expect hello, then route its messages to the input gates. */
  private onAccept(socket: Socket): void {
    socket.setNoDelay(true);
    this.sockets.add(socket);
    const decoder = new FrameDecoder();
    let from = -1;
    socket.on('data', (chunk: Buffer) => {
      let msgs: WireMessage[];
      try {
        msgs = decoder.push(chunk);
      } catch (err) {
        socket.destroy();
        if (from >= 0)
          this.fatal(new ShuffleError(`bad frame from worker ${from}: ${(err as Error).message}`));
        return;
      }
      for (const m of msgs) {
        if (from < 0) {
          from = this.handshake(socket, m);
          if (from < 0) return;
          continue;
        }
        if (m.t === 'hello' || m.t === 'credit') continue;
        const gate = this.inputs[m.boundary];
        if (!gate) {
          socket.destroy();
          this.fatal(new ShuffleError(`worker ${from} sent to unknown boundary ${m.boundary}`));
          return;
        }
        gate.deliver(from, m);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (from >= 0) this.fatal(new ShuffleError(`shuffle connection from worker ${from} was lost`));
    });
  }

  /** Validates hello; returns the sender index, or −1 after refusing the connection. */
  private handshake(socket: Socket, m: WireMessage): number {
    const o = this.o;
    const refuse = (why: string): number => {
      this.o.log.warn({ remote: socket.remoteAddress, why }, 'refused shuffle connection');
      socket.destroy();
      return -1;
    };
    if (m.t !== 'hello') return refuse(`first message is ${m.t}, not hello`);
    if (m.version !== SHUFFLE_PROTOCOL_VERSION) return refuse(`protocol version ${m.version}`);
    if (m.job !== o.jobUid) return refuse(`job ${m.job}`);
    // Checked before anything else about the attempt is revealed; the token itself is never logged.
    if (!sameToken(m.token, o.token)) return refuse('wrong shuffle token');
    if (m.attempt !== o.attempt) return refuse(`attempt ${m.attempt}, this worker runs attempt ${o.attempt}`);
    if (m.parallelism !== o.parallelism) return refuse(`parallelism ${m.parallelism}`);
    if (!Number.isInteger(m.from) || m.from < 0 || m.from >= o.parallelism || m.from === o.subtask) {
      return refuse(`subtask ${m.from}`);
    }
    if (this.accepted.has(m.from)) return refuse(`subtask ${m.from} is already connected`);
    this.accepted.add(m.from);
    for (let b = 1; b <= o.boundaries; b++) {
      this.inputs[b]!.attachSender(m.from, (n) =>
        socket.write(encodeFrame({ t: 'credit', boundary: b, batches: n })),
      );
    }
    this.o.log.debug({ peer: m.from }, 'accepted peer');
    return m.from;
  }

  /** Closes all connections and the listener. */
  async close(): Promise<void> {
    this.closed = true;
    for (const g of this.outputs) g?.close();
    for (const s of this.sockets) s.destroy();
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
  }
}
