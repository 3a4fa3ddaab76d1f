#!/usr/bin/env node
// Agreement with the kernel's verdicts over ../shared/modern-samples (run `npm run build` first):
//   node bench/modern-samples.js [--dir DIR] [--filter SUBSTRING] [--btf FILE] [--verbose] [--json]
// --dir: another directory in the same format (e.g. bench/extra-selftests/program-verdicts.mjs's).
import { formatModern, haveModernSamples, measureModern } from '../dist/bench/modern.js';

const argv = process.argv.slice(2);
const value = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const dir = value('--dir');
if (!haveModernSamples(dir)) {
  console.error(`no ${dir ?? '../shared/modern-samples'}/kernel-verdicts.json`);
  process.exit(2);
}
const filter = value('--filter');
const btf = value('--btf');
const report = await measureModern({
  ...(dir !== undefined && { dir }),
  ...(filter !== undefined && { filter }),
  ...(btf !== undefined && { load: { btf } }),
  ...(argv.includes('--verbose') && { verbose: (l) => console.error(l) }),
});
if (argv.includes('--json')) console.log(JSON.stringify(report, null, 1));
else console.log(formatModern(report));
