#!/usr/bin/env node
// Serves the demo: `npm run build && node examples/browser/serve.js`, then open the printed address.
// The repository root is served (the page loads ../../dist and ../../build) with COOP/COEP headers.
import { startServer } from '../../scripts/runtimes/server.js';

const port = Number(process.argv[2] ?? process.env.PORT ?? 8080);
const server = await startServer({ port });
console.log(`ffwd demo: ${server.origin}/examples/browser/  (Ctrl-C to stop)`);
