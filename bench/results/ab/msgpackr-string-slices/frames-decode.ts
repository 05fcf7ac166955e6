// Heap kept by values decoded by the shuffle's own decoder (runtime-image/src/shuffle/frames.ts),
// and its decode time per record: a data frame of 2048 Nexmark bids keyed by a 36-character id
// (as a UUID key would be), decoded 1000 times keeping the key and value of one record from each
// decode. docs/runtime.md "Strings and bytes from the shuffle". Run from the repository root (or a
// worktree of another commit):
//   node --expose-gc bench/results/ab/msgpackr-string-slices/frames-decode.ts
import { FrameDecoder, encodeFrame, type RecordBatch } from '../../../../runtime-image/src/shuffle/frames.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const bid = (n: number) => ({
  auction: 1000000 + n,
  bidder: 3,
  price: 100,
  channel: 'Google',
  url: 'https://www.nexmark.com/item.htm?query=' + n,
  dateTime: 1700000000000 + n,
});
const id = (n: number) => `5f0c${String(n).padStart(4, '0')}-3a1b-4c2d-9e8f-00000000${String(n).padStart(4, '0')}`;
const records: RecordBatch = [];
for (let n = 0; n < 2048; n++) records.push(n % 128, id(n), bid(n), 1700000000000 + n);
const frame = encodeFrame({ t: 'data', boundary: 1, records });
const decode = (): RecordBatch => {
  const [m] = new FrameDecoder().push(frame);
  if (m?.t !== 'data') throw new Error('not a data frame');
  return m.records;
};

const kept: unknown[] = [];
gc();
const before = process.memoryUsage().heapUsed;
for (let f = 0; f < 1000; f++) {
  const r = decode();
  const i = 4 * (f % 2048);
  kept.push(r[i + 1], r[i + 2]);
}
gc();
const after = process.memoryUsage().heapUsed;
let best = Infinity;
for (let r = 0; r < 50; r++) {
  const t = process.hrtime.bigint();
  decode();
  best = Math.min(best, Number(process.hrtime.bigint() - t));
}
console.log(
  `one record (key and bid) kept from each of 1000 decoded frames: heap +${((after - before) / 1048576).toFixed(2)} MiB; ` +
    `decode of a 2048-record frame ${(best / 2048).toFixed(0)} ns/record (best of 50); kept ${kept.length / 2}`,
);
