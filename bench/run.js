#!/usr/bin/env node
// `npm run bench`: the same table as `bpflab bench` (arguments pass through, e.g. -- --json).
import { main } from '../dist/cli/main.js';
process.exitCode = await main(['bench', ...process.argv.slice(2)]);
