import { DELIVERY_SPREAD_STEP_MS, deliverySpreadMs } from './execution-dispatcher';

describe('deliverySpreadMs (fires prepared ahead, delivered one after another)', () => {
  it('a single fire, or no lead, is delivered the full lead ahead', () => {
    expect(deliverySpreadMs(0, 1, 500)).toBe(0);
    expect(deliverySpreadMs(3, 10, 0)).toBe(0);
  });

  it('50 fires with the default 500 ms lead: 1 ms apart, in order, the last 49 ms after the first', () => {
    const spread = Array.from({ length: 50 }, (_, i) => deliverySpreadMs(i, 50, 500));
    expect(spread[0]).toBe(0);
    expect(spread.every((v, i) => i === 0 || v - spread[i - 1]! === DELIVERY_SPREAD_STEP_MS)).toBe(true);
    expect(spread[49]).toBe(49);
  });

  it('more fires than the lead allows at 1 ms apart: packed into the first half of the lead, never later', () => {
    for (const [count, lead] of [[1000, 500], [5000, 500], [1000, 15_000], [3, 1]] as const) {
      const spread = Array.from({ length: count }, (_, i) => deliverySpreadMs(i, count, lead));
      expect(Math.max(...spread)).toBeLessThanOrEqual(lead / 2);
      expect(spread.every((v, i) => i === 0 || v >= spread[i - 1]!)).toBe(true);
    }
    expect(deliverySpreadMs(999, 1000, 500)).toBe(249);
    expect(deliverySpreadMs(999, 1000, 15_000)).toBe(999);
  });
});
