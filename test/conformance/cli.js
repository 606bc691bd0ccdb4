// Runs the conformance suite on a command-line runtime (Node, Deno, Bun), importing the package by its
// name so that the runtime's own `exports` conditions pick the entry. Prints one JSON line:
//   FFWD-CONFORMANCE {"results":[...]}
// Usage: <runtime> test/conformance/cli.js <label> <expected auto build: simd|relaxed> [threads: yes|no|any]
import { init } from 'ffwd';
import { conformanceAll } from './suite.js';

const args = typeof Deno !== 'undefined' ? Deno.args : process.argv.slice(2);
const [runtime = 'unknown', expect, threads] = args;
let results;
try {
  results = await conformanceAll({ runtime, init, expect, threads });
} catch (error) {
  results = [{ runtime, build: 'none', passed: 0, failed: 1, skipped: [], checksums: {}, errors: [`suite threw: ${error?.stack ?? error}`] }];
}
console.log(`FFWD-CONFORMANCE ${JSON.stringify({ results })}`);
