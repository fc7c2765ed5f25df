import { defineConfig } from "vitest/config";
import vue from "@vitejs/plugin-vue";

// The gateway serves dist/: hashed files under /assets (cached forever), index.html for
// every route of the app (history mode). `npm run dev` proxies the API to a running gateway.
export default defineConfig({
  plugins: [vue()],
  build: {
    outDir: "dist",
    assetsDir: "assets",
    // No inline <script> or data: module preload polyfill: the gateway's
    // Content-Security-Policy allows scripts from its own origin only.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  server: {
    proxy: {
      "/api": process.env.TAPEDECK_URL ?? "http://127.0.0.1:8000",
      "/auth": process.env.TAPEDECK_URL ?? "http://127.0.0.1:8000",
    },
  },
  test: {
    environment: "happy-dom",
    include: ["tests/**/*.test.ts"],
  },
});
