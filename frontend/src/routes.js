// THE ROUTE TABLE. The side menu is generated from it: to add a page, write
// src/pages/MyPage.vue, add one entry here (and its menu text to i18n.js). See README.md.
//
//   path     hash route (/#/path)
//   name     route name
//   title    i18n key of the menu entry and the page title
//   menu     show in the side menu
//   roles    roles that see the menu entry (omit: everyone); the server enforces access
//   layout   'blank' for pages without the top bar and menu (login)
//   login    the page needs a login (hidden from the menu of an anonymous visitor)
//   prefetch (to) => void: start the page's first request while its chunk loads (prefetch.js)
import { api } from './api'
import { prefetch } from './prefetch'

/** The enterprise page's explanation (no year: the newest evaluated one), keyed by firm. */
export function explainRequest(code) {
  return api(`/api/evaluation/explain/${encodeURIComponent(code)}`)
}
export const explainKey = (code) => `explain:${code}`

export const routes = [
  { path: '/overview', name: 'overview', title: 'nav.overview', menu: true, login: true,
    component: () => import('./pages/OverviewPage.vue') },
  { path: '/map', name: 'map', title: 'nav.map', menu: true,
    component: () => import('./pages/MapPage.vue') },
  { path: '/enterprise', name: 'enterprises', title: 'nav.enterprise', menu: true,
    component: () => import('./pages/EnterpriseList.vue') },
  { path: '/enterprise/:code', name: 'enterprise', title: 'nav.enterprise',
    component: () => import('./pages/EnterprisePage.vue'), activeMenu: '/enterprise',
    prefetch: (to) => { const code = String(to.params.code || ''); if (code) prefetch(explainKey(code), () => explainRequest(code)) } },
  { path: '/evaluation', name: 'evaluation', title: 'nav.evaluation', menu: true,
    roles: ['city_admin', 'district_officer', 'auditor'],
    component: () => import('./pages/EvaluationPage.vue') },
  { path: '/compare', name: 'compare', title: 'nav.compare', menu: true,
    roles: ['city_admin', 'district_officer', 'auditor'],
    component: () => import('./pages/ComparePage.vue') },
  { path: '/imports', name: 'imports', title: 'nav.imports', menu: true,
    roles: ['city_admin', 'district_officer', 'auditor'],
    component: () => import('./pages/ImportPage.vue') },
  { path: '/lowuse', name: 'lowuse', title: 'nav.lowuse', menu: true,
    roles: ['city_admin', 'district_officer', 'auditor'],
    component: () => import('./pages/LowusePage.vue') },
  { path: '/controlline', name: 'controlline', title: 'nav.controlline', menu: true,
    roles: ['city_admin', 'district_officer', 'auditor'],
    component: () => import('./pages/ControlLinePage.vue') },
  { path: '/plan-check', name: 'plancheck', title: 'nav.plancheck', menu: true,
    component: () => import('./pages/PlanCheckPage.vue') },
  { path: '/reports', name: 'reports', title: 'nav.reports', menu: true,
    roles: ['city_admin', 'district_officer', 'auditor'],
    component: () => import('./pages/ReportsPage.vue') },
  { path: '/supply-alerts', name: 'supplyalerts', title: 'nav.supply', menu: true,
    component: () => import('./pages/SupplyAlertsPage.vue') },
  { path: '/matching', name: 'matching', title: 'nav.matching', menu: true,
    roles: ['city_admin', 'district_officer', 'auditor', 'enterprise'],
    component: () => import('./pages/MatchingPage.vue') },
  { path: '/market', name: 'market', title: 'nav.market', menu: true,
    component: () => import('./pages/MarketPage.vue') },
  { path: '/clusters', name: 'clusters', title: 'nav.clusters', menu: true,
    component: () => import('./pages/ClustersPage.vue') },
  { path: '/audit', name: 'audit', title: 'nav.audit', menu: true,
    roles: ['city_admin', 'auditor'],
    component: () => import('./pages/AuditPage.vue') },
  { path: '/login', name: 'login', title: 'nav.login', layout: 'blank',
    component: () => import('./pages/LoginPage.vue') },
]

/** Menu entries for a user (null when anonymous: every entry, the server says no). */
export function menuFor(user) {
  return routes.filter((r) => r.menu && (!r.login || user)
    && (!r.roles || !user || r.roles.includes(user.role)))
}
