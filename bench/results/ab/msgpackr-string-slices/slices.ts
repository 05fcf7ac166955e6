// Heap kept by decoded shuffle-frame values, and decode time, with msgpackr's native string
// extractor on (default) and off (MSGPACKR_NATIVE_ACCELERATION_DISABLED=true). docs/runtime.md
// "Limits and open points". Run from the repository root:
//   node --expose-gc bench/results/ab/msgpackr-string-slices/slices.ts
//   MSGPACKR_NATIVE_ACCELERATION_DISABLED=true node --expose-gc bench/results/ab/msgpackr-string-slices/slices.ts
import { Packr, Unpackr, isNativeAccelerationEnabled } from 'msgpackr';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const packr = new Packr({ useRecords: true });
const unpackr = new Unpackr({ useRecords: true });
const bid = (n: number) => ({
  auction: 1000000 + n,
  bidder: 3,
  price: 100,
  channel: 'Google',
  url: 'https://www.nexmark.com/item.htm?query=' + n,
  dateTime: 1700000000000 + n,
});
// A data frame as shuffle/frames.ts flattens it: head, key, value, timestamp per record.
const flat: unknown[] = [];
for (let n = 0; n < 2048; n++) flat.push(5, String(1000000 + n), bid(n), 1700000000000 + n);
const frame = packr.pack([1, 1, flat]);

const kept: unknown[] = [];
gc();
const before = process.memoryUsage().heapUsed;
for (let f = 0; f < 1000; f++) kept.push((unpackr.unpack(frame) as unknown[][])[2]![2 + 4 * (f % 2048)]);
gc();
const after = process.memoryUsage().heapUsed;
let best = Infinity;
for (let r = 0; r < 30; r++) {
  const t = process.hrtime.bigint();
  unpackr.unpack(frame);
  best = Math.min(best, Number(process.hrtime.bigint() - t));
}
console.log(
  `native extractor ${isNativeAccelerationEnabled}: one decoded bid kept from each of 1000 frames: ` +
    `heap +${((after - before) / 1048576).toFixed(2)} MiB; decode of a 2048-bid frame ` +
    `${(best / 2048).toFixed(0)} ns/record (best of 30); kept ${kept.length}`,
);
