// Vite build of the indspace UI. Output goes into the Python package so that `make demo`
// needs no Node: src/indspace/web/static/app/ (index.html + hashed assets/).
// The build must be deterministic: no timestamps, no absolute paths in the output.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

const outDir = fileURLToPath(new URL('../src/indspace/web/static/app', import.meta.url))

// Element Plus on demand. The stock resolver imports each component from 'element-plus/es',
// whose index keeps top-level reads of the full installer: the whole library (~930 kB) ends up
// in the bundle. So each name is imported from its own components/<dir>/index.mjs instead.
const EP_DIR = fileURLToPath(new URL('./node_modules/element-plus/es/components', import.meta.url))
const EP_PATHS = new Map()
if (existsSync(EP_DIR)) {
  for (const dir of readdirSync(EP_DIR).sort()) {
    const file = join(EP_DIR, dir, 'index.mjs')
    if (!existsSync(file)) continue
    for (const m of readFileSync(file, 'utf8').matchAll(/export \{([^}]*)\}/g)) {
      for (const part of m[1].split(',')) {
        const name = part.trim().split(/\s+as\s+/).pop()
        if (/^(El|v)[A-Z]/.test(name) && !EP_PATHS.has(name)) {
          EP_PATHS.set(name, `element-plus/es/components/${dir}/index.mjs`)
        }
      }
    }
  }
}

function elementPlusDirect() {
  return ElementPlusResolver({ importStyle: 'css' }).map((r) => ({
    ...r,
    async resolve(name) {
      const hit = await r.resolve(name)
      if (hit && typeof hit === 'object' && hit.from === 'element-plus/es') {
        const direct = EP_PATHS.get(hit.name)
        if (direct) return { ...hit, from: direct }
      }
      return hit
    },
  }))
}

const EP_LATER = new RegExp('element-plus/(es/components|theme-chalk)/(el-)?(date-picker|date-picker-panel'
  + '|time-picker|time-select|upload|tabs|tab-pane|progress|pagination|slider|switch|radio|radio-button'
  + '|radio-group)[/.]')

// Long-lived vendor chunks: they change only when package-lock.json changes.
function manualChunks(id) {
  // the small components most pages share, with the modules they import (api, i18n, format),
  // in one chunk loaded with the entry: a page's chunk then needs no request per component
  if (/\/src\/components\/(ApiState|GradeTag|EChart)\.vue/.test(id)) return 'shared'
  if (!id.includes('node_modules')) return undefined
  // maplibre (and the drawing adapters that import it) only with the map pages: left to
  // Rollup's own splitting so that no page without a map loads it
  if (id.includes('maplibre-gl') || id.includes('terra-draw')) return undefined
  if (id.includes('echarts') || id.includes('zrender')) return 'echarts'
  // Element Plus components that no first screen needs (date pickers, uploads, tabs, paging,
  // sliders…) in their own chunk, loaded with the pages that use them: the entry then
  // evaluates ~1/3 less script before any page shows (issue #16, the enterprise page's grade)
  if (EP_LATER.test(id)) return 'element-plus-more'
  if (id.includes('element-plus') || id.includes('@element-plus') || id.includes('@floating-ui')
      || id.includes('lodash') || id.includes('@vueuse') || id.includes('async-validator')
      || id.includes('dayjs') || id.includes('@ctrl') || id.includes('memoize-one')
      || id.includes('normalize-wheel')) return 'element-plus'
  return 'vendor'
}

export default defineConfig({
  base: '/',
  plugins: [
    vue(),
    // Element Plus on demand: only the components the templates use (and their CSS).
    Components({ resolvers: elementPlusDirect(), dts: false }),
  ],
  build: {
    outDir,
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
    reportCompressedSize: false,
    rollupOptions: { output: { manualChunks } },
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8000',
      '/tiles': 'http://127.0.0.1:8000',
      '/about': 'http://127.0.0.1:8000',
    },
  },
})
