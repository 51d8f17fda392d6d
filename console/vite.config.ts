import { defineConfig } from 'vite';

// The gateway serves index.html at / and everything else under /console/ (SPEC §8): content-
// hashed files under /console/assets/ are cached for a year, index.html never. `npx vite` in
// this folder serves the sources with the API proxied to ISOLA_URL (default localhost:8080).
const gateway = process.env.ISOLA_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    assetsDir: 'console/assets',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 900,
    reportCompressedSize: false,
  },
  server: { proxy: { '/api': gateway, '/fn': gateway } },
});
