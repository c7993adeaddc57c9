// @vitest-environment node
// The script-tag tracker's budget: dist/t.js ≤ 2 KB gzipped (gzip -9). `npm run build` checks the real
// file with scripts/tracker-size.mjs; this builds it in memory so that `npm test` fails above budget too.
import { gzipSync, constants } from 'node:zlib';
import { build, type Rollup } from 'vite';
import { describe, expect, it } from 'vitest';

describe('t.js size', () => {
  it('stays within 2048 bytes gzipped', async () => {
    const result = await build({
      configFile: new URL('../../vite.tracker.config.ts', import.meta.url).pathname,
      logLevel: 'silent',
      build: { write: false },
    });
    const outputs = (Array.isArray(result) ? result : [result]) as Rollup.RollupOutput[];
    const chunk = outputs.flatMap((o) => o.output).find((o) => o.fileName === 't.js');
    expect(chunk?.type).toBe('chunk');
    const code = chunk?.type === 'chunk' ? chunk.code : '';
    const gzipped = gzipSync(code, { level: constants.Z_BEST_COMPRESSION }).length;
    console.log(`t.js: ${code.length} B minified, ${gzipped} B gzipped`);
    expect(code).toContain('pulse');
    expect(gzipped).toBeLessThanOrEqual(2048);
  }, 30_000);
});
