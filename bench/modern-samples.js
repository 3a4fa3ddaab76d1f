#!/usr/bin/env node
// Agreement with the kernel's verdicts over ../shared/modern-samples (run `npm run build` first):
//   node bench/modern-samples.js [--filter SUBSTRING] [--btf FILE] [--verbose] [--json]
import { formatModern, haveModernSamples, measureModern } from '../dist/bench/modern.js';

const argv = process.argv.slice(2);
const value = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
if (!haveModernSamples()) {
  console.error('no ../shared/modern-samples/kernel-verdicts.json');
  process.exit(2);
}
const filter = value('--filter');
const btf = value('--btf');
const report = await measureModern({
  ...(filter !== undefined && { filter }),
  ...(btf !== undefined && { load: { btf } }),
  ...(argv.includes('--verbose') && { verbose: (l) => console.error(l) }),
});
if (argv.includes('--json')) console.log(JSON.stringify(report, null, 1));
else console.log(formatModern(report));
