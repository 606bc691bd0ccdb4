#!/usr/bin/env node
// A batching inference service for the seed block, on 127.0.0.1:
//   node examples/service/main.js [--port 8080] [--max-rows 64] [--wait-ms 1] [--no-batching] [--echo] [--threads auto|N]
// (--echo answers each row with itself, without the block: what the HTTP path alone costs.)
// Prints one line, `listening on http://127.0.0.1:PORT (…)`, once it serves. Ctrl-C (or SIGTERM) stops it.
import { parseArgs } from 'node:util';
import { init } from 'ffwd';
import { createBatcher } from './batcher.js';
import { seedBlockOptions } from './block.js';
import { createService } from './service.js';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    'max-rows': { type: 'string', default: '64' },
    'wait-ms': { type: 'string', default: '1' },
    'no-batching': { type: 'boolean', default: false },
    echo: { type: 'boolean', default: false },
    threads: { type: 'string', default: 'auto' },
  },
});

const ffwd = await init({ threads: args.threads === 'auto' ? 'auto' : Number(args.threads) });
const block = ffwd.feedForward(seedBlockOptions());
const batching = !args['no-batching'] && !args.echo;
const batcher = batching ? createBatcher(ffwd, block, { maxRows: Number(args['max-rows']), maxWaitMs: Number(args['wait-ms']) }) : null;
// Without batching every request is its own forward call of one row.
const alone = args.echo ? (row) => row : (row) => block.forward(row, 1);
const forward = batcher ? (row) => batcher.submit(row) : alone;
const stats = () => ({ batching, threads: ffwd.threads, memoryBytes: ffwd.memoryBytes, ...(batcher?.stats ?? {}) });
const server = createService(block, forward, stats);
server.keepAliveTimeout = 10_000;

server.listen(Number(args.port), '127.0.0.1', () => {
  const why = ffwd.threadsUnavailable ? `: ${ffwd.threadsUnavailable}` : '';
  const mode = args.echo ? 'echo: no block' : batching ? `batching up to ${args['max-rows']} rows, waiting at most ${args['wait-ms']} ms` : 'no batching';
  console.log(`listening on http://127.0.0.1:${server.address().port} (${mode}, ${ffwd.threads} thread(s)${why})`);
});

async function stop() {
  server.close();
  server.closeAllConnections();
  batcher?.close();
  await ffwd.close();
}
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
