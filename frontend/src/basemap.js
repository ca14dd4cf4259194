// The deployment's basemap (GET /api/basemap): none in the offline demo, 天地图 (Web-Mercator
// matrix set on the CGCS2000 datum, no offset) or any XYZ source. An XYZ source drawn in
// GCJ-02 (国测局) coordinates is served through the `gcj02://` protocol below: each
// WGS 84 / CGCS2000 tile is cut out of the source's tiles at the GCJ-02 position of the same
// place, so the data (CGCS2000) and the basemap line up.
import maplibregl from 'maplibre-gl'

const A = 6378245.0
const EE = 0.00669342162296594323

function outOfChina(lon, lat) {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271
}

function tLat(x, y) {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x))
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3
  r += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3
  r += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3
  return r
}

function tLon(x, y) {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x))
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3
  r += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3
  r += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3
  return r
}

/** WGS 84 (≈ CGCS2000) lon/lat → GCJ-02 lon/lat (the published GCJ-02 approximation). */
export function wgs84ToGcj02(lon, lat) {
  if (outOfChina(lon, lat)) return [lon, lat]
  let dLat = tLat(lon - 105, lat - 35)
  let dLon = tLon(lon - 105, lat - 35)
  const radLat = (lat / 180) * Math.PI
  let magic = Math.sin(radLat)
  magic = 1 - EE * magic * magic
  const sqrtMagic = Math.sqrt(magic)
  dLat = (dLat * 180) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI)
  dLon = (dLon * 180) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI)
  return [lon + dLon, lat + dLat]
}

// Web-Mercator tile pixel of lon/lat at zoom z (256 px tiles).
function pixel(lon, lat, z) {
  const n = 256 * 2 ** z
  const s = Math.sin((lat * Math.PI) / 180)
  return [((lon + 180) / 360) * n, (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * n]
}

function tileLonLat(x, y, z) {
  const n = 2 ** z
  const lon = (x / n) * 360 - 180
  const lat = (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / n))) * 180) / Math.PI
  return [lon, lat]
}

let registered = false
function registerGcj02(template) {
  if (registered) return
  registered = true
  maplibregl.addProtocol('gcj02', async (params) => {
    const [z, x, y] = params.url.replace('gcj02://', '').split('/').map(Number)
    // the tile's centre moved to GCJ-02 gives the pixel shift (constant over one tile)
    const [lon, lat] = tileLonLat(x + 0.5, y + 0.5, z)
    const [glon, glat] = wgs84ToGcj02(lon, lat)
    const [px, py] = pixel(lon, lat, z)
    const [gx, gy] = pixel(glon, glat, z)
    const left = x * 256 + (gx - px)
    const top = y * 256 + (gy - py)
    const canvas = new OffscreenCanvas(256, 256)
    const ctx = canvas.getContext('2d')
    const jobs = []
    for (let tx = Math.floor(left / 256); tx <= Math.floor((left + 255) / 256); tx++) {
      for (let ty = Math.floor(top / 256); ty <= Math.floor((top + 255) / 256); ty++) {
        const url = template.replace('{z}', z).replace('{x}', tx).replace('{y}', ty)
        jobs.push(fetch(url).then((r) => (r.ok ? r.blob() : null)).then((b) => (b ? createImageBitmap(b) : null))
          .then((img) => { if (img) ctx.drawImage(img, tx * 256 - left, ty * 256 - top) }).catch(() => {}))
      }
    }
    await Promise.all(jobs)
    const blob = await canvas.convertToBlob({ type: 'image/png' })
    return { data: await blob.arrayBuffer() }
  })
}

/** Add the basemap's raster layers under everything else (no-op for `none`). */
export function addBasemap(m, conf) {
  if (!conf || !conf.layers || !conf.layers.length) return false
  // under the data: before the first layer that is neither the background nor a basemap
  const first = m.getStyle().layers.find((x) => x.type !== 'background' && !x.id.startsWith('basemap-'))
  for (const l of conf.layers) {
    let tiles = l.tiles
    if (conf.gcj02) {
      registerGcj02(tiles[0])
      tiles = ['gcj02://{z}/{x}/{y}']
    }
    m.addSource(`basemap-${l.id}`, { type: 'raster', tiles, tileSize: l.tile_size || 256,
      attribution: conf.attribution || '' })
    m.addLayer({ id: `basemap-${l.id}`, type: 'raster', source: `basemap-${l.id}` }, first && first.id)
  }
  if (conf.attribution) m.addControl(new maplibregl.AttributionControl({ compact: true, customAttribution: conf.attribution }))
  return true
}
