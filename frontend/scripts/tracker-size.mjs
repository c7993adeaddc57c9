// Prints the gzip -9 size of dist/t.js (the script-tag tracker) and fails above its budget.
//   node scripts/tracker-size.mjs [file] [budget-bytes]
import { readFileSync } from 'node:fs';
import { gzipSync, constants } from 'node:zlib';

const file = process.argv[2] ?? new URL('../dist/t.js', import.meta.url);
const budget = Number(process.argv[3] ?? 2048);

let source;
try {
  source = readFileSync(file);
} catch (error) {
  console.error(`tracker size: cannot read ${file}: ${error.message} (run the build first)`);
  process.exit(2);
}
const gzipped = gzipSync(source, { level: constants.Z_BEST_COMPRESSION }).length;
const line = `tracker size: dist/t.js ${source.length} B minified, ${gzipped} B gzipped (gzip -9), budget ${budget} B`;
if (gzipped > budget) {
  console.error(`${line}: OVER BUDGET by ${gzipped - budget} B`);
  process.exit(1);
}
console.log(`${line}: ok`);
