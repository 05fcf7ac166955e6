/* global process, console, URL, setInterval, clearInterval */
// ad hoc: RSS while minio-js putObject streams a file, at a given partSize
import { createRequire } from 'node:module';
import { createReadStream } from 'node:fs';
const require = createRequire(new URL('../../../../package.json', import.meta.url));
const { Client } = await import(require.resolve('minio').replace(/dist\/main\/minio\.js$/, 'dist/esm/minio.mjs'));
const [port, file, bytes, partMiB] = process.argv.slice(2);
const c = new Client({ endPoint: '127.0.0.1', port: Number(port), useSSL: false, accessKey: 'minioadmin', secretKey: 'minioadmin', partSize: Number(partMiB) * 1048576 });
if (!(await c.bucketExists('bench'))) await c.makeBucket('bench');
let peak = 0; const base = process.memoryUsage().rss;
const t = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
const t0 = Date.now();
await c.putObject('bench', 'obj', createReadStream(file), Number(bytes));
clearInterval(t);
console.log(`partSize ${partMiB} MiB: ${bytes} bytes in ${Date.now() - t0} ms; RSS before ${(base / 1048576).toFixed(0)} MiB, peak ${(peak / 1048576).toFixed(0)} MiB (+${((peak - base) / 1048576).toFixed(0)})`);
