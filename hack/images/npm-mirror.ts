// A read-only pass-through to the npm registry on loopback, for `docker build` containers that
// cannot reach the registry themselves (here: their TLS trust store lacks the host's CA).
//
//   node hack/images/npm-mirror.ts [PORT]        listens on 127.0.0.1:PORT (0 or none: any)
//
// Prints `listening http://127.0.0.1:<port>/` once ready. hack/images/app-images.sh then builds
// with `--network host --build-arg NPM_CONFIG_REGISTRY=http://127.0.0.1:<port>/`: npm in the
// build container asks this process, which fetches the same path from the host's registry
// (UPSTREAM, default https://registry.npmjs.org/) with the host's trust settings. Nothing is
// rewritten or cached here: npm ci checks every tarball against the lockfile's integrity hash,
// and packuments keep the registry's tarball URLs, which npm maps to the configured registry
// (its replace-registry-host default). GET and HEAD only; logs a summary on SIGTERM/SIGINT.
import http from 'node:http';
import { Readable } from 'node:stream';

const upstream = (process.env.UPSTREAM ?? 'https://registry.npmjs.org/').replace(/\/+$/, '');
const port = Number(process.argv[2] ?? 0);
const forwardRequest = [
  'accept',
  'user-agent',
  'npm-command',
  'npm-session',
  'if-none-match',
  'if-modified-since',
];
const forwardResponse = ['content-type', 'etag', 'last-modified', 'cache-control'];
let requests = 0;
let failures = 0;
let bytes = 0;

const server = http.createServer((req, res) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405).end();
    return;
  }
  requests++;
  const headers: Record<string, string> = {};
  for (const h of forwardRequest) {
    const v = req.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  fetch(upstream + (req.url ?? '/'), { method: req.method, headers, signal: AbortSignal.timeout(120_000) })
    .then((r) => {
      const out: Record<string, string> = {};
      for (const h of forwardResponse) {
        const v = r.headers.get(h);
        if (v) out[h] = v;
      }
      if (r.status >= 500) failures++;
      res.writeHead(r.status, out);
      if (!r.body || req.method === 'HEAD') {
        res.end();
        return;
      }
      const body = Readable.fromWeb(r.body);
      body.on('data', (c: Buffer) => (bytes += c.length));
      body.on('error', () => res.destroy());
      body.pipe(res);
    })
    .catch((e: unknown) => {
      failures++;
      process.stderr.write(`npm-mirror: ${req.url}: ${e instanceof Error ? e.message : String(e)}\n`);
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
});

const stop = () => {
  process.stderr.write(
    `npm-mirror: ${requests} requests, ${failures} failed, ${(bytes / 1e6).toFixed(1)} MB from ${upstream}\n`,
  );
  server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

server.listen(port, '127.0.0.1', () => {
  const addr = server.address();
  if (addr && typeof addr === 'object') process.stdout.write(`listening http://127.0.0.1:${addr.port}/\n`);
});
