// Signed out: the quay desk's copy on this device (its page and the port's lists) goes with the session. Steps
// kept unsent for the person's next sign-in stay, in the browser's storage, where only their next desk reads them.
if ('caches' in window) caches.keys().then((names) => Promise.all(names.filter((n) => n.startsWith('marhaba-desk')).map((n) => caches.delete(n))));
navigator.serviceWorker?.getRegistrations().then((all) => all.forEach((r) => r.unregister()));
