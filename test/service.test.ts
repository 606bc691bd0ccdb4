// examples/service: concurrent single-row requests, bad ones mixed in, answered from batched forward
// calls on threads; every good answer has the bits of that row run alone on 1 thread, every bad one a 4xx.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../dist/index.node.js';
// @ts-expect-error plain JS example
import { createBatcher } from '../examples/service/batcher.js';
// @ts-expect-error plain JS example
import { WIDTH, seedBlockOptions } from '../examples/service/block.js';
// @ts-expect-error plain JS example
import { createService } from '../examples/service/service.js';

const f = await init({ threads: 'auto' });
const reference = await init();
const block = f.feedForward(seedBlockOptions());
const alone = reference.feedForward(seedBlockOptions());
const batcher = createBatcher(f, block, { maxRows: 16, maxWaitMs: 2 });
const server = createService(block, (row: Float32Array) => batcher.submit(row), () => batcher.stats);
let url = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/forward`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  batcher.close();
  await f.close();
});

const rowOf = (i: number) => Float32Array.from({ length: WIDTH }, (_, k) => Math.sin(i * 7.1 + k * 0.37) * 3);
const post = (body: BodyInit, type: string) => fetch(url, { method: 'POST', headers: { 'Content-Type': type }, body });

describe('examples/service', () => {
  it('answers 64 concurrent rows from batches, with the bits of each row alone, and 4xx to bad requests', async () => {
    const bad: [BodyInit, string, number][] = [
      [new Uint8Array(WIDTH * 4 - 4), 'application/octet-stream', 400],
      [new Uint8Array(WIDTH * 4 + 4), 'application/octet-stream', 413],
      ['hello', 'text/plain', 415],
      [JSON.stringify({ x: [1, 2, 3] }), 'application/json', 400],
      [JSON.stringify({ x: Array(WIDTH).fill('1') }), 'application/json', 400],
      ['{', 'application/json', 400],
    ];
    const good = Array.from({ length: 64 }, (_, i) => rowOf(i));
    const answers = good.map((row, i) => (i % 5 === 0
      ? post(JSON.stringify({ x: Array.from(row) }), 'application/json').then(async (r) => ({ status: r.status, y: Float32Array.from((await r.json()).y) }))
      : post(row.slice().buffer, 'application/octet-stream').then(async (r) => ({ status: r.status, y: new Float32Array(await r.arrayBuffer()) }))));
    const refusals = bad.map(([body, type]) => post(body, type).then(async (r) => ({ status: r.status, body: await r.json() })));
    const [results, refused] = await Promise.all([Promise.all(answers), Promise.all(refusals)]);
    results.forEach(({ status, y }, i) => {
      expect(status).toBe(200);
      const want = alone.forward(good[i], 1);
      expect(Array.from(new Uint32Array(y.buffer)), `row ${i}`).toEqual(Array.from(new Uint32Array(want.buffer)));
    });
    refused.forEach(({ status, body }, i) => {
      expect(status, JSON.stringify(body)).toBe(bad[i][2]);
      expect(typeof body.error).toBe('string');
    });
    expect(batcher.stats.rows).toBe(64);
    expect(batcher.stats.batches, 'rows were gathered into batches').toBeLessThan(64);
  });

  it('refuses other paths and methods', async () => {
    expect((await fetch(url.replace('/forward', '/nope'))).status).toBe(404);
    expect((await fetch(url)).status).toBe(405);
  });
});
