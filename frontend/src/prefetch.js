// Requests a page needs first, started by the router while the page's own script chunk is
// still loading (the enterprise page's explanation: its grade, issue #16). A page takes the
// promise once; a reload asks again. An answer not taken within MAX_AGE_MS is dropped (a
// navigation that never reached its page).
const MAX_AGE_MS = 10000
const pending = new Map()

/** Start `fn()` under `key` unless it is already under way. */
export function prefetch(key, fn) {
  const kept = pending.get(key)
  if (kept && Date.now() - kept.at < MAX_AGE_MS) return
  const promise = fn()
  promise.catch(() => {})  // the page that takes it handles the error
  pending.set(key, { promise, at: Date.now() })
}

/** The promise started under `key` (once), else `fn()`. */
export function take(key, fn) {
  const kept = pending.get(key)
  pending.delete(key)
  return kept && Date.now() - kept.at < MAX_AGE_MS ? kept.promise : fn()
}
