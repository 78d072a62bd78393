import { Wakeup } from '../../lib/worker/wakeup.js';

describe('Wakeup.notifyAt', () => {
  it('wakes each queue at its time', async () => {
    const wakeup = new Wakeup();
    const woken: string[] = [];
    const wait = (queue: string) => wakeup.wait(new Set([queue]), 10_000).then(() => woken.push(queue));
    const late = wait('late');
    const early = wait('early');
    wakeup.notifyAt('late', Date.now() + 60);
    wakeup.notifyAt('early', Date.now() + 20);

    await early;
    expect(woken).toEqual(['early']);
    await late;
    expect(woken).toEqual(['early', 'late']);
  });

  it('keeps later times of one queue', async () => {
    const wakeup = new Wakeup();
    const start = wakeup.version;
    wakeup.notifyAt('default', Date.now() + 40);
    wakeup.notifyAt('default', Date.now() + 10);
    await wakeup.wait(new Set(['default']), 10_000, undefined, start);
    const afterFirst = wakeup.version;
    expect(afterFirst).toBeGreaterThan(start);
    await wakeup.wait(new Set(['default']), 10_000, undefined, afterFirst);
    expect(wakeup.version).toBeGreaterThan(afterFirst);
  });

  it('wakes at once for a past time', async () => {
    const wakeup = new Wakeup();
    const woken = wakeup.wait(new Set(['default']), 10_000);
    wakeup.notifyAt('default', Date.now() - 1_000);
    await woken;
    expect(wakeup.version).toBe(1);
  });
});
