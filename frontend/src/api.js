// Every request of the UI goes through api(): it adds `Authorization: Bearer <token>` (the
// token lives in sessionStorage), decodes the one error shape of docs/web-api.md and sends a
// 401 to the login page. An endpoint the server does not have yet (FastAPI's plain 404/405,
// no `error` field) becomes `err.unavailable`, which pages show as a clean "not available".
import { computed, reactive, ref, watch } from 'vue'
import { lang, t, pick } from './i18n'

const TOKEN_KEY = 'indspace.token'
const USER_KEY = 'indspace.user'

function readUser() {
  try {
    return JSON.parse(sessionStorage.getItem(USER_KEY) || 'null')
  } catch {
    return null
  }
}

export const session = reactive({
  token: sessionStorage.getItem(TOKEN_KEY),
  user: readUser(),
})

export function setSession(token, user) {
  session.token = token
  session.user = user || null
  sessionStorage.setItem(TOKEN_KEY, token)
  sessionStorage.setItem(USER_KEY, JSON.stringify(user || null))
}

export function setUser(user) {
  session.user = user
  sessionStorage.setItem(USER_KEY, JSON.stringify(user))
}

export function clearSession() {
  session.token = null
  session.user = null
  sessionStorage.removeItem(TOKEN_KEY)
  sessionStorage.removeItem(USER_KEY)
}

export function authHeaders() {
  return session.token ? { Authorization: `Bearer ${session.token}` } : {}
}

let unauthorized = () => {}
/** Register what to do on a 401 (main.js: clear the session, go to the login page). */
export function onUnauthorized(fn) {
  unauthorized = fn
}

export class ApiError extends Error {
  constructor(status, body, path) {
    super((body && (body.message_en || body.detail)) || `HTTP ${status}`)
    this.status = status
    this.body = body && typeof body === 'object' ? body : {}
    this.path = path
    // FastAPI answers an unknown route with {"detail": "Not Found"} (or 405 for a known path
    // with another method): no `error` field, unlike every error of the contract.
    this.unavailable = ((status === 404 || status === 405) && !this.body.error) || status === 501
  }
}

/** The text to show for an error, in the current language. */
export function errorText(err) {
  if (!err) return ''
  if (!(err instanceof ApiError)) return String(err.message || err)
  if (err.unavailable) return t('state.unavailable_detail', { path: err.path })
  if (err.status === 0) return t('state.network')
  const msg = pick(err.body, 'message')
  const hint = pick(err.body, 'hint')
  if (msg) return hint ? `${msg}（${hint}）` : msg
  if (Array.isArray(err.body.detail)) {
    return err.body.detail.map((d) => `${(d.loc || []).join('.')}: ${d.msg}`).join('; ')
  }
  if (err.status === 403) return t('state.forbidden')
  return `${t('state.error')} (HTTP ${err.status})`
}

function buildUrl(path, query) {
  const url = new URL(path, window.location.origin)
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v))
  }
  return url
}

/**
 * Call the API. Options: query (object), json (body), form (FormData), ifMatch (etag),
 * method, noRedirect (do not go to the login page on 401). Returns the decoded JSON (null for
 * 204) or throws ApiError.
 */
export async function api(path, opts = {}) {
  const { query, json, form, ifMatch, noRedirect } = opts
  const method = opts.method || (json !== undefined || form ? 'POST' : 'GET')
  const headers = { Accept: 'application/json', ...authHeaders() }
  let body
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(json)
  } else if (form) {
    body = form
  }
  if (ifMatch) headers['If-Match'] = ifMatch
  let res
  try {
    res = await fetch(buildUrl(path, query), { method, headers, body })
  } catch {
    throw new ApiError(0, { message_zh: t('state.network'), message_en: t('state.network') }, path)
  }
  return decode(res, path, noRedirect)
}

async function decode(res, path, noRedirect) {
  if (res.status === 204) return null
  const text = await res.text()
  let data = null
  try {
    data = text ? JSON.parse(text) : null
  } catch {
    data = { detail: text }
  }
  if (!res.ok) {
    const err = new ApiError(res.status, data, path)
    if (res.status === 401 && !noRedirect) unauthorized(err)
    throw err
  }
  return data
}

/**
 * Upload with progress (fetch cannot report upload progress): resolves like api().
 * onProgress receives 0–100 while the file is sent.
 */
export function upload(path, { query, form, onProgress }) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', buildUrl(path, query))
    xhr.setRequestHeader('Accept', 'application/json')
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v)
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && onProgress) onProgress(Math.round((100 * e.loaded) / e.total))
    }
    xhr.onerror = () => reject(new ApiError(0, {}, path))
    xhr.onload = () => {
      const res = new Response(xhr.status === 204 ? null : xhr.responseText, { status: xhr.status })
      decode(res, path, false).then(resolve, reject)
    }
    xhr.send(form)
  })
}

/**
 * Follow a background job (a 202 answer of POST /api/imports, /api/evaluation/runs or an
 * objection's resolve) until it ends: polls GET /api/jobs/{id}, reports `onProgress(job)`
 * and resolves with the job's result; a failed job rejects with its bilingual error.
 * Anything that is not a job (an older server answering 200) is returned as it is.
 */
export async function waitJob(answer, { onProgress, interval = 500 } = {}) {
  if (!answer || !answer.job_id) return answer
  let job = answer
  while (job.state !== 'done' && job.state !== 'failed') {
    if (onProgress) onProgress(job)
    await new Promise((r) => setTimeout(r, interval))
    job = await api(`/api/jobs/${encodeURIComponent(answer.job_id)}`)
  }
  if (onProgress) onProgress(job)
  if (job.state === 'failed') throw new ApiError((job.error && job.error.status) || 500, job.error, job.href)
  return job.result
}

/** Load data reactively: { data, error, loading, reload }. */
export function useApi(fn, { immediate = true } = {}) {
  const data = ref(null)
  const error = ref(null)
  const loading = ref(false)
  let seq = 0
  async function reload() {
    const mine = ++seq
    loading.value = true
    error.value = null
    try {
      const value = await fn()
      if (mine === seq) data.value = value
    } catch (e) {
      if (mine === seq) {
        error.value = e
        data.value = null
      }
    } finally {
      if (mine === seq) loading.value = false
    }
  }
  if (immediate) reload()
  return { data, error, loading, reload }
}

/** A page of rows from either a list or a {total, items} answer. */
export function rowsOf(data) {
  if (!data) return []
  if (Array.isArray(data)) return data
  if (Array.isArray(data.items)) return data.items
  if (data.items && Array.isArray(data.items.features)) {
    return data.items.features.map((f) => f.properties)
  }
  return []
}

export function totalOf(data) {
  if (!data) return 0
  if (Array.isArray(data)) return data.length
  return typeof data.total === 'number' ? data.total : rowsOf(data).length
}

// District names (admin_code → {name, name_en}), loaded once.
const districts = reactive({ rows: [], loaded: false })
// "As of today" is today in the deployment's time zone (GET /api/clock), never the
// browser's own date: a browser in another zone, or just after midnight, would ask for
// another day than the one the server books.
let clock = null
export function deploymentToday() {
  if (!clock) {
    clock = api('/api/clock', { noRedirect: true }).then((r) => r.today)
    clock.catch(() => { clock = null })
  }
  return clock
}

// A page's "as of" day: the one a link gave (?as_of=YYYY-MM-DD), else empty — the server
// then answers as of its today, and keepServerDay shows that day once the answer is in.
export function asOfFrom(route) {
  const given = route.query.as_of || ''
  return ref(/^\d{4}-\d{2}-\d{2}$/.test(given) ? given : '')
}

export function keepServerDay(asOf, data) {
  watch(data, (d) => { if (d && d.as_of && !asOf.value) asOf.value = d.as_of }, { immediate: true })
}

// The districts a user may pick in a filter: a district officer its own district only.
export function useMyDistricts(districts) {
  return computed(() => {
    const u = session.user
    return u && u.role === 'district_officer' ? districts.rows.filter((d) => d.admin_code === u.district) : districts.rows
  })
}

export function useDistricts() {
  if (!districts.loaded) {
    districts.loaded = true
    api('/api/districts', { noRedirect: true })
      .then((rows) => { districts.rows = rows || [] })
      .catch(() => { districts.loaded = false })
  }
  return districts
}

// Words, not codes: the server's vocabulary (GET /api/vocabulary) in the current language,
// loaded once per language. word('chain', '361-2025:fashion_consumer') → 时尚消费品.
const vocab = reactive({ zh: null, en: null })
function loadVocab(l) {
  if (vocab[l] !== null) return
  vocab[l] = {}
  api('/api/vocabulary', { query: { lang: l }, noRedirect: true })
    .then((v) => { vocab[l] = v || {} })
    .catch(() => { vocab[l] = null })
}
watch(lang, loadVocab, { immediate: true })

/** The label of a code in the current language (the code itself when unknown, — when empty). */
export function word(group, code) {
  if (code === null || code === undefined || code === '') return '—'
  const words = vocab[lang.value] && vocab[lang.value][group]
  return (words && words[code]) || String(code)
}

/** [{value: code, label}] of one vocabulary group, for filters. */
export function wordOptions(group) {
  const words = (vocab[lang.value] && vocab[lang.value][group]) || {}
  return Object.entries(words).map(([value, label]) => ({ value, label }))
}

/** Download a GET endpoint's file with the session's token (an XLSX export). */
export async function download(path, { query, filename }) {
  let res
  try {
    res = await fetch(buildUrl(path, query), { headers: authHeaders() })
  } catch {
    throw new ApiError(0, {}, path)
  }
  if (!res.ok) {
    await decode(res, path, false)
  }
  const blob = await res.blob()
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}
