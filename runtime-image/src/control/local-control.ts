/**
 * Local control mode (SLUICE_CONTROL_MODE=local): the protocol's messages (pod-control.ts),
 * served over a loopback HTTP endpoint so that a worker runs as a plain process with the same code
 * path. A test-side coordinator (test/harness/local-workers.ts) plays the operator.
 *
 *   PUT /checkpoint-request     body: CheckpointRequest JSON   (= sluice.dev/checkpoint-request)
 *   PUT /checkpoint-committed   body: decimal id               (= the commit notice in status)
 *   PUT /checkpoint-final       body: decimal id               (= sluice.dev/checkpoint-final)
 *   GET /checkpoint-ack         200 CheckpointAck JSON, 404 before the first ack (= sluice.dev/checkpoint-ack)
 *   GET /status                 200 WorkerStatus JSON
 *
 * PUTs answer 204, or 400 with a message for a malformed body. Listens on 127.0.0.1 only.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { CheckpointAck } from '@sluice/api/protocol.ts';
import {
  parseCheckpointRequest,
  parseCommitted,
  type ControlChannel,
  type ControlHandlers,
  type WorkerStatus,
} from './control.ts';

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export class LocalControl implements ControlChannel {
  private readonly port: number;
  private readonly log: Logger;
  private server: Server | undefined;
  private lastAck: CheckpointAck | undefined;
  private status: WorkerStatus | undefined;

  /** @param port loopback port to listen on (0 = any free port; the chosen one is logged as `controlUrl`) */
  constructor(port: number, log: Logger) {
    this.port = port;
    this.log = log;
  }

  /** The URL of the endpoint once started. */
  url = '';

  async start(h: ControlHandlers): Promise<void> {
    this.server = createServer((req, res) => {
      void (async () => {
        try {
          if (req.method === 'PUT' && req.url === '/checkpoint-request') {
            h.onCheckpointRequest(parseCheckpointRequest(await body(req), 'PUT /checkpoint-request'));
            res.writeHead(204).end();
          } else if (req.method === 'PUT' && req.url === '/checkpoint-committed') {
            h.onCommitted(parseCommitted(await body(req), 'PUT /checkpoint-committed'));
            res.writeHead(204).end();
          } else if (req.method === 'PUT' && req.url === '/checkpoint-final') {
            h.onFinal(parseCommitted(await body(req), 'PUT /checkpoint-final'));
            res.writeHead(204).end();
          } else if (req.method === 'GET' && req.url === '/checkpoint-ack') {
            if (!this.lastAck) res.writeHead(404).end();
            else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.lastAck));
          } else if (req.method === 'GET' && req.url === '/status') {
            res
              .writeHead(200, { 'content-type': 'application/json' })
              .end(JSON.stringify(this.status ?? null));
          } else {
            res.writeHead(404, { 'content-type': 'text/plain' }).end(`no route ${req.method} ${req.url}\n`);
          }
        } catch (err) {
          res.writeHead(400, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`);
        }
      })();
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port, '127.0.0.1', () => resolve());
    });
    const addr = this.server.address();
    this.url = `http://127.0.0.1:${addr && typeof addr === 'object' ? addr.port : this.port}`;
    this.log.info({ controlUrl: this.url }, 'local control endpoint listening');
  }

  ack(ack: CheckpointAck): Promise<void> {
    this.lastAck = ack;
    return Promise.resolve();
  }

  setStatus(status: WorkerStatus): void {
    this.status = status;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server!.close(() => r()));
  }
}
