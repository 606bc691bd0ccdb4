// The shares of a dispatch (src/threads/protocol.ts): each runs exactly once whichever threads take
// part and in whatever order they come, a thread starts at the run it owns, and a worker still in the
// previous dispatch can only take a share of the new one once its calls and PENDING are written.
import { describe, expect, it } from 'vitest';
import {
  CHANNEL_BYTES, MAX_SHARES, PENDING, claimAll, offerShares, openChannel, runShares,
} from '../dist/threads/protocol.js';

function channel() {
  const { control } = openChannel(new SharedArrayBuffer(CHANNEL_BYTES));
  claimAll(control);
  return control;
}

function dispatch(control: Int32Array, count: number) {
  Atomics.store(control, PENDING, count);
  offerShares(control, count);
}

describe('runShares', () => {
  it('a thread alone runs every share once, starting at the run it owns', () => {
    const control = channel();
    dispatch(control, 8);
    const ran: number[] = [];
    runShares(control, 1, 2, (s) => ran.push(s));
    expect(ran).toEqual([4, 5, 6, 7, 0, 1, 2, 3]);
    expect(Atomics.load(control, PENDING)).toBe(0);
  });

  it('threads taking turns share the work without running a share twice', () => {
    const control = channel();
    dispatch(control, 7);
    const ran: number[] = [];
    // thread 2 of 3 runs one share, then thread 0 comes and takes everything left
    let first = true;
    runShares(control, 2, 3, (s) => {
      ran.push(s);
      if (first) {
        first = false;
        runShares(control, 0, 3, (t) => ran.push(t));
      }
    });
    expect([...ran].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(ran[0]).toBe(4); // floor(2·7/3): thread 2's own run starts there
    expect(Atomics.load(control, PENDING)).toBe(0);
  });

  it('after a dispatch every claim is taken: a late thread finds nothing until the next one is offered', () => {
    const control = channel();
    dispatch(control, MAX_SHARES);
    runShares(control, 0, 2, () => {});
    const late: number[] = [];
    runShares(control, 1, 2, (s) => late.push(s));
    expect(late).toEqual([]);
    dispatch(control, 3);
    runShares(control, 1, 2, (s) => late.push(s));
    expect([...late].sort()).toEqual([0, 1, 2]);
  });

  it('a smaller dispatch after a larger one leaves the shares past its count claimed', () => {
    const control = channel();
    dispatch(control, 10);
    runShares(control, 0, 2, () => {});
    dispatch(control, 2);
    const ran: number[] = [];
    runShares(control, 1, 2, (s) => ran.push(s));
    expect([...ran].sort()).toEqual([0, 1]);
    expect(Atomics.load(control, PENDING)).toBe(0);
  });
});
