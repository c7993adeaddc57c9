import { defineConfig } from 'vite';

// The script-tag tracker: src/tracker/t.ts -> dist/t.js, one minified IIFE, next to the app's build
// (`npm run build` runs this after the app build; the front serves it at /t.js).
export default defineConfig({
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    copyPublicDir: false,
    sourcemap: false,
    minify: true,
    target: 'es2020',
    lib: {
      entry: 'src/tracker/t.ts',
      formats: ['iife'],
      name: 'pulseTracker',
      fileName: () => 't.js',
    },
  },
});
