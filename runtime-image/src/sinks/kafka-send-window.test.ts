import { SendWindow } from './kafka-send-window.ts';

function deferred() {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('SendWindow', () => {
  it('has room below the bound and waits for one send to settle at it', async () => {
    const w = new SendWindow();
    const sends = [deferred(), deferred(), deferred()];
    for (const s of sends.slice(0, 2)) w.add(s.promise);
    expect(w.room(3)).toBeUndefined();
    w.add(sends[2]!.promise);
    const room = w.room(3);
    expect(room).toBeInstanceOf(Promise);
    let opened = false;
    void room!.then(() => (opened = true));
    await tick();
    expect(opened).toBe(false);
    sends[1]!.resolve();
    await tick();
    expect(opened).toBe(true);
    expect(w.inFlight).toBe(2);
  });

  it('drains only when every send added so far is acknowledged, whatever their order', async () => {
    const w = new SendWindow();
    const sends = [deferred(), deferred(), deferred()];
    for (const s of sends) w.add(s.promise);
    let drained = false;
    void w.drained().then(() => (drained = true));
    sends[2]!.resolve();
    sends[1]!.resolve();
    await tick();
    expect(drained).toBe(false);
    sends[0]!.resolve();
    await tick();
    expect(drained).toBe(true);
    expect(w.inFlight).toBe(0);
  });

  it('fails drained and room with the first error, even after the failed send settled', async () => {
    const w = new SendWindow();
    const a = deferred();
    const b = deferred();
    w.add(a.promise);
    w.add(b.promise);
    const drained = w.drained();
    b.reject(new Error('NOT_ENOUGH_REPLICAS'));
    a.reject(new Error('later'));
    await expect(drained).rejects.toThrow('NOT_ENOUGH_REPLICAS');
    expect(w.failure?.message).toBe('NOT_ENOUGH_REPLICAS');
    await expect(w.room()).rejects.toThrow('NOT_ENOUGH_REPLICAS');
    await expect(w.drained()).rejects.toThrow('NOT_ENOUGH_REPLICAS');
  });
});
