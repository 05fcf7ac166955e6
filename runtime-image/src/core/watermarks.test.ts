import { WatermarkTracker } from './watermarks.ts';

describe('WatermarkTracker', () => {
  it('advances to the minimum over channels', () => {
    const t = new WatermarkTracker(3);
    expect(t.update(0, 100)).toBeUndefined();
    expect(t.update(1, 50)).toBeUndefined();
    expect(t.update(2, 70)).toBe(50);
    expect(t.update(1, 200)).toBe(70);
    expect(t.watermark).toBe(70);
  });

  it('never goes back', () => {
    const t = new WatermarkTracker(1);
    expect(t.update(0, 10)).toBe(10);
    expect(t.update(0, 5)).toBeUndefined();
    expect(t.watermark).toBe(10);
  });

  it('ignores ended channels, reaching +Infinity when all end', () => {
    const t = new WatermarkTracker(2);
    t.update(0, 10);
    expect(t.end(1)).toBe(10);
    expect(t.update(0, Infinity)).toBe(Infinity);
  });
});
