#!/usr/bin/env node
// The `ffwd` command, thin over dist/cli.js (written by `npm run build`): `ffwd pack --help`.
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
