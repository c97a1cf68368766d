// The quay desk's service worker: it makes the desk open with no network. It controls the desk's pages only
// (scope /desk) and keeps, in one cache, the desk's page, its script and what the desk last read of the port's
// ships and their crossings (references, plates, counts: never a traveller's profile). With a network every
// request goes to the server first, so a new version of the desk takes over at the first load that reaches it;
// without one, the last copy answers. Steps recorded offline are not the worker's: desk.js keeps and sends them.

const version = 1; // raised when the worker itself changes: the old cache goes when the new worker takes over
const cacheName = `marhaba-desk-v${version}`;

// The script that installed the worker was loaded before it (its page asks again once the worker controls it).
self.addEventListener('install', (event) => event.waitUntil((async () => {
  await (await caches.open(cacheName)).add('/desk.js');
  await self.skipWaiting();
})()));
self.addEventListener('activate', (event) => event.waitUntil((async () => {
  for (const name of await caches.keys()) if (name.startsWith('marhaba-desk') && name !== cacheName) await caches.delete(name);
  await self.clients.claim();
})()));

const kept = (url) => url.origin === self.location.origin && (
  url.pathname === '/desk' || url.pathname === '/desk.js' || url.pathname === '/desk.webmanifest' || url.pathname.startsWith('/desk-icon') ||
  /^\/api\/ports\/[A-Za-z]{5}\/desk\/sailings(\/[0-9a-fA-F-]{36})?$/.test(url.pathname));

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || !kept(url)) return;
  event.respondWith((async () => {
    const cache = await caches.open(cacheName);
    try {
      const response = await fetch(event.request);
      if (response.ok && !response.redirected) await cache.put(event.request, response.clone());
      return response;
    } catch (offline) {
      const copy = await cache.match(event.request) ?? (event.request.mode === 'navigate' ? await cache.match(event.request, { ignoreSearch: true }) : undefined);
      if (!copy) throw offline;
      if (event.request.mode !== 'navigate') return copy;
      // The page tells desk.js it comes from this cache: its token and its server time are old.
      const page = (await copy.text()).replace('<div id="desk" ', '<div id="desk" data-from-cache="true" ');
      return new Response(page, { status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
    }
  })());
});
