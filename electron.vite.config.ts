import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';

// One build for both ways the core runs: inside Electron (shell.js) and headless (cli.js, `na64rc serve`).
// Chunks stay flat in out/main so a worker file can be found next to whichever chunk spawns it.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          shell: resolve(import.meta.dirname, 'src-main/shell/main.ts'),
          cli: resolve(import.meta.dirname, 'src-main/cli/main.ts'),
          'device-sim': resolve(import.meta.dirname, 'src-main/cli/simulators/device-sim-main.ts'),
          'monitor.worker': resolve(import.meta.dirname, 'src-main/monitor/monitor.worker.ts'),
          'calibration.worker': resolve(import.meta.dirname, 'src-main/calibration/calibration.worker.ts'),
        },
        output: {
          format: 'es',
          entryFileNames: '[name].js',
          chunkFileNames: '[name]-[hash].js',
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload cannot require() npm packages or load ESM: one standalone CommonJS file.
      externalizeDeps: false,
      rollupOptions: {
        input: { preload: resolve(import.meta.dirname, 'src-main/shell/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'src-renderer'),
    base: './',
    plugins: [vue()],
    resolve: {
      alias: { '@shared': resolve(import.meta.dirname, 'src-main/shared') },
    },
    build: {
      outDir: resolve(import.meta.dirname, 'out/renderer'),
      emptyOutDir: true,
      minify: true,
      chunkSizeWarningLimit: 1500,
      rollupOptions: {
        input: resolve(import.meta.dirname, 'src-renderer/index.html'),
      },
    },
  },
});
