// Number, date and district formatting shared by the pages.
import { lang } from './i18n'
import { word } from './api'

// "中文 / English" (a reason, a source note): the half in the current language
export function inLang(text) {
  const s = text || ''
  const i = s.indexOf(' / ')
  if (i < 0) return s
  return lang.value === 'en' ? s.slice(i + 3) : s.slice(0, i)
}

export function num(v, digits = 2) {
  if (v === null || v === undefined || v === '' || Number.isNaN(Number(v))) return '—'
  const locale = lang.value === 'en' ? 'en-US' : 'zh-CN'
  return Number(v).toLocaleString(locale, { maximumFractionDigits: digits })
}

export function pct(v, digits = 1) {
  if (v === null || v === undefined || Number.isNaN(Number(v))) return '—'
  return `${(100 * Number(v)).toFixed(digits)}%`
}

export function when(v) {
  // 'NaT' / 'None': how the API currently writes a missing timestamp of some rows.
  if (!v || v === 'NaT' || v === 'None') return '—'
  const d = new Date(v)
  if (Number.isNaN(d.getTime())) return String(v)
  const p = (n) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`
}

export function districtName(districts, code) {
  const row = (districts.rows || []).find((r) => r.admin_code === code)
  if (!row) return code || '—'
  return lang.value === 'en' ? row.name_en || row.name : row.name
}

/** A grading group `population/district` (`above_scale/330203`) in words: 规上工业企业 · 海曙区. */
export function groupLabel(districts, code) {
  if (!code) return '—'
  const [pop, d] = String(code).split('/')
  const p = word('population', pop)
  return d ? `${p} · ${districtName(districts, d)}` : p
}

export const GRADE_COLOURS = { A: '#2e9e44', B: '#2f6fd6', C: '#f08c00', D: '#d9342b' }
