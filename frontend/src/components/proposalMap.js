// A small offline MapLibre map for control-line proposals (issue #16 item 5): a plain
// background, the parcels and the control line in force as the server's vector tiles (with
// the session's token), and one GeoJSON layer of proposal areas coloured by direction
// (调出 out: red, 补划 in: green). Used by ProposalDrawMap.vue and ProposalAreasMap.vue.
import maplibregl from 'maplibre-gl'
import 'maplibre-gl/dist/maplibre-gl.css'
import { api, authHeaders, session } from '../api'

export const OUT_COLOUR = '#d9342b'
export const IN_COLOUR = '#2e9d4f'
export const LINE_COLOUR = '#1d4e89'
export const EMPTY = { type: 'FeatureCollection', features: [] }

function absolute(url) {
  if (/^https?:\/\//.test(url)) return url
  return window.location.origin + (url.startsWith('/') ? url : `/${url}`)
}

async function addTiles(m, id, paint) {
  let tj
  try {
    tj = await api(`/tiles/${id}.json`, { noRedirect: true })
  } catch {
    return false
  }
  const sourceLayer = (tj.vector_layers && tj.vector_layers[0] && tj.vector_layers[0].id) || id
  const tiles = (tj.tiles && tj.tiles.length ? tj.tiles : [`/tiles/${id}/{z}/{x}/{y}.mvt`]).map(absolute)
  m.addSource(id, { type: 'vector', tiles, minzoom: tj.minzoom ?? 0, maxzoom: tj.maxzoom ?? 14 })
  for (const [i, layer] of paint.entries()) {
    m.addLayer({ id: `${id}-${i}`, source: id, 'source-layer': sourceLayer, ...layer })
  }
  return true
}

/** A map in `el`, resolved once it has loaded with its tiles and the `areas` layer. */
export function proposalMap(el, { center = [121.55, 29.87], zoom = 12 } = {}) {
  const m = new maplibregl.Map({
    container: el,
    style: { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#eef2f6' } }] },
    center, zoom, attributionControl: false, doubleClickZoom: false,
    transformRequest: (url) => (url.startsWith(window.location.origin) && session.token
      ? { url, headers: authHeaders() } : { url }),
  })
  m.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'bottom-right')
  m.addControl(new maplibregl.ScaleControl(), 'bottom-left')
  return new Promise((resolve) => {
    m.on('load', async () => {
      await addTiles(m, 'parcels', [
        { type: 'fill', paint: { 'fill-color': '#d9dee6', 'fill-opacity': 0.8 } },
        { type: 'line', paint: { 'line-color': '#7d8fa6', 'line-width': 0.6 } }])
      await addTiles(m, 'control_lines', [
        { type: 'line', paint: { 'line-color': LINE_COLOUR, 'line-width': 2 } }])
      m.addSource('areas', { type: 'geojson', data: EMPTY })
      const colour = ['match', ['get', 'direction'], 'out', OUT_COLOUR, IN_COLOUR]
      m.addLayer({ id: 'areas-fill', type: 'fill', source: 'areas', paint: { 'fill-color': colour, 'fill-opacity': 0.45 } })
      m.addLayer({ id: 'areas-line', type: 'line', source: 'areas', paint: { 'line-color': colour, 'line-width': 2 } })
      resolve(m)
    })
  })
}

/** Zoom to a GeoJSON bbox [minx, miny, maxx, maxy] with some margin. */
export function fitTo(m, bbox) {
  if (!bbox || bbox.length !== 4) return
  m.fitBounds([[bbox[0], bbox[1]], [bbox[2], bbox[3]]], { padding: 60, maxZoom: 17, duration: 0 })
}
