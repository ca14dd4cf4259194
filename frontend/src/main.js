import { createApp } from 'vue'
import { createRouter, createWebHashHistory } from 'vue-router'
// Styles of the Element Plus services called from script (templates get theirs on demand).
import 'element-plus/es/components/message/style/css'
import 'element-plus/es/components/message-box/style/css'
import 'element-plus/es/components/loading/style/css'
import { ElLoading } from 'element-plus/es/components/loading/index.mjs'
import App from './App.vue'
import { routes } from './routes'
import { api, clearSession, onUnauthorized, session, setUser } from './api'
import { t } from './i18n'
import './style.css'

const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    // the landing page: the overview after login, the public map for a visitor
    { path: '/', redirect: () => (session.token ? '/overview' : '/map') },
    ...routes.map((r) => ({ path: r.path, name: r.name, component: r.component, meta: r })),
    { path: '/:rest(.*)*', redirect: '/map' },
  ],
})

// A page's first request starts with the navigation, beside the page's script chunk.
router.beforeEach((to) => {
  if (to.meta.prefetch && session.token) to.meta.prefetch(to)
})

router.afterEach((to) => {
  document.title = `${t(to.meta.title || 'app.title')} · ${t('app.title')}`
})

onUnauthorized(() => {
  const had = Boolean(session.token)
  clearSession()
  const current = router.currentRoute.value
  if (current.name !== 'login') {
    router.push({ name: 'login', query: { next: current.fullPath, expired: had ? '1' : undefined } })
  }
})

// Refresh the user of a stored token (a 401 here sends the user to the login page).
if (session.token) {
  api('/api/auth/me').then(setUser).catch(() => {})
}

createApp(App).use(router).use(ElLoading).mount('#app')
