/* global process, console, Buffer, URL */
// ad hoc: load N new keys read-then-write into RocksDB with the runtime's options; print rate per step
import { createRequire } from 'node:module';
const require = createRequire(new URL('../../../../package.json', import.meta.url));
const { RocksLevel } = require('@nxtedition/rocksdb');
import { rmSync } from 'node:fs';
const [dir, cacheMiB, memtableMiB, totalM, extra] = process.argv.slice(2);
rmSync(dir, { recursive: true, force: true });
const db = new RocksLevel(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
const opts = { createIfMissing: true, cacheSize: Number(cacheMiB) * 1048576, cacheIndexAndFilterBlocks: true, compaction: 'universal', memtableMemoryBudget: Math.floor(Number(memtableMiB) * 1048576), ...(extra ? JSON.parse(extra) : {}) };
await db.open(opts);
if (process.env.PART) { const a = require('../../../../runtime-image/native/rocksdb-checkpoint/build/Release/rocksdb_checkpoint.node'); console.log('partitioned', a.partitionIndexAndFilters(db.handle), a.partitionIndexAndFilters(db.handle)); }
const total = Number(totalM) * 1e6, B = 1000, step = 1e6;
function key(i) { const s = 'k' + i; const b = Buffer.allocUnsafe(8 + s.length); const h = (Math.imul(i, 2654435761) >>> 0) & 0x7fff; b.writeUInt16BE(h, 0); b.writeUInt16BE(1, 2); b.writeUInt32BE(s.length, 4); b.write(s, 8); return b; }
const val = Buffer.from([0x92, 0xce, 1, 2, 3, 4, 1]);
let t0 = Date.now(), tStep = t0;
for (let i = 0; i < total; i += B) {
  const keys = []; for (let j = i; j < i + B; j++) keys.push(key(j));
  db._getManySync(keys);
  const b = db._chainedBatch(); for (const k of keys) b._put(k, val); b._writeSync(); b._closeSync();
  if ((i + B) % step === 0) {
    const now = Date.now();
    const p = (n) => db.getProperty(n);
    console.log(`${(i + B) / 1e6}M ${(now - tStep)} ms step, total ${((now - t0) / 1000).toFixed(0)} s; cache ${(+p('rocksdb.block-cache-usage') / 1048576).toFixed(0)} MiB, readers ${(+p('rocksdb.estimate-table-readers-mem') / 1048576).toFixed(1)} MiB, live ${(+p('rocksdb.live-sst-files-size') / 1048576).toFixed(0)} MiB, runs L0 ${p('rocksdb.num-files-at-level0')} L6 ${p('rocksdb.num-files-at-level6')} L5 ${p('rocksdb.num-files-at-level5')} L4 ${p('rocksdb.num-files-at-level4')}, rss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`);
    tStep = now;
  }
}
await db.close();
