// The quay desk. Every step goes into a queue kept in this browser's storage first, then to the API
// with its own Idempotency-Key; what the network could not take stays queued and is sent again, with
// the same key, when the connection returns. The server's rules decide; the desk shows their words.

const desk = document.getElementById('desk');
const port = desk.dataset.port;
// A short token for this desk's port and this sign-in, renewed through the sign-in cookie while the account stands.
let token = desk.dataset.token;
// Opened from the tablet's copy (no network): its token and its server time are old.
const fromCache = desk.dataset.fromCache === 'true';
// Business time is the server's: the step happened at the server's "now" as seen from this device; offline, as last measured.
const clockKey = 'marhaba-desk-clock-offset';
const clockOffset = fromCache ? Number(localStorage.getItem(clockKey) ?? 0) : Number(desk.dataset.serverTime) - Date.now();
if (!fromCache) localStorage.setItem(clockKey, String(clockOffset));

// Installed, the desk opens without a network: its service worker keeps this page, this script and the port's lists.
if ('serviceWorker' in navigator && !fromCache) {
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    // Read once more through the worker, which keeps them: this page and the ships' lists.
    fetch(location.href, { credentials: 'same-origin' }).catch(() => {});
    lastPrefetch = 0;
    refresh();
  }, { once: true });
  navigator.serviceWorker.register('/desk-sw.js', { scope: '/desk' }).catch(() => { /* not installable here: the desk still works online */ });
}
// The queue belongs to the person signed in, not to the tablet: the next person never sees or sends it.
const storageKey = `marhaba-desk-queue:${desk.dataset.login}:${port}`; // see prune()

// A new token from the server, or null when the sign-in has ended (signed out, disabled, changed).
async function renewToken() {
  try {
    const response = await fetch(`${desk.dataset.renew}?port=${encodeURIComponent(port)}`,
      { method: 'POST', credentials: 'same-origin', redirect: 'manual' });
    if (!response.ok) return null;
    token = (await response.json()).token;
    return token;
  } catch {
    return undefined; // no network: keep the token there is
  }
}
setInterval(renewToken, 10 * 60 * 1000);

const steps = {
  CheckIn: { path: 'check-ins', label: 'Check in' },
  Boarding: { path: 'boardings', label: 'Board' },
  Arrival: { path: 'arrivals', label: 'Record arrival' },
  Clearance: { path: 'clearances', label: 'Clear' },
  Exit: { path: 'exits', label: 'Record exit' },
};
const statusWords = {
  Booked: 'booked', CheckedIn: 'checked in', Embarked: 'aboard', Arrived: 'arrived', Cleared: 'cleared',
  Completed: 'left the port', Cancelled: 'cancelled', NoShow: 'no-show',
};

const $ = (id) => document.getElementById(id);
const el = (tag, { dataset = {}, ...props } = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  Object.assign(node.dataset, dataset);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
};
// Times at the quay are the port's, on a 24-hour clock, whatever the tablet's zone: the server writes each with the
// offset of the port where it happens (its zone rules, not the browser's); the day only when it is not today.
const portOffset = Number(desk.dataset.offsetMinutes) * 60000;
const wallClock = (ms, offset) => new Date(ms + offset).toISOString(); // the port's date and time, read off an ISO string
const time = (iso) => {
  const written = iso.match(/([+-])(\d{2}):(\d{2})$/);
  // An instant this device stamped (UTC) is shown in the port's present offset.
  const offset = written ? (written[1] === '-' ? -1 : 1) * (Number(written[2]) * 60 + Number(written[3])) * 60000 : portOffset;
  const at = wallClock(Date.parse(iso), offset);
  if (at.slice(0, 10) === wallClock(Date.now() + clockOffset, offset).slice(0, 10)) return at.slice(11, 16);
  const day = new Date(`${at.slice(0, 10)}T12:00:00Z`).toLocaleDateString(document.documentElement.lang, { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short' });
  return `${day} ${at.slice(11, 16)}`;
};

// ---- the queue, kept on the device -------------------------------------------------------------

const load = () => JSON.parse(localStorage.getItem(storageKey) ?? '[]');
const save = (queue) => localStorage.setItem(storageKey, JSON.stringify(queue));
const update = (key, change) => save(load().map((a) => (a.key === key ? { ...a, ...change } : a)));

function enqueue(action) {
  const queue = load();
  queue.push({ key: crypto.randomUUID(), state: 'waiting', queuedAt: new Date().toISOString(), ...action });
  save(queue);
  renderQueue();
  drain();
}

let draining = null;
// While the person is signing out, nothing more is sent unless they ask for it.
let leaving = false;
const drain = () => (leaving ? Promise.resolve() : (draining ??= send().finally(() => { draining = null; })));

async function send() {
  let action;
  // One at a time, in the order they were recorded; steps queued meanwhile are taken in the same run.
  while ((action = load().find((a) => a.state === 'waiting'))) {
    let response;
    try {
      response = await fetch(action.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, 'Idempotency-Key': action.key },
        body: JSON.stringify(action.body),
      });
    } catch {
      showNetwork(false);
      return; // No network: everything stays queued, in order.
    }
    showNetwork(true);
    const answer = await response.json().catch(() => ({}));
    if (response.ok) {
      update(action.key, { state: 'done', sentAt: new Date().toISOString(), outcome: outcome(action, answer) });
    } else if (response.status === 401) {
      if (await renewToken()) continue; // the token had expired: the same step again, with the same key
      update(action.key, { outcome: 'Your sign-in has expired: sign in again; this step waits here.' });
      renderQueue();
      return;
    } else if (response.status === 429 || response.status >= 500) {
      update(action.key, { outcome: `The server could not take it now (${response.status}); it will be sent again.` });
      renderQueue();
      return;
    } else {
      update(action.key, { state: 'refused', outcome: answer.detail ?? answer.title ?? `Refused (${response.status}).` });
    }
    renderQueue();
  }
  // Nothing (left) to send: the network is as the browser sees it.
  showNetwork(navigator.onLine);
  prune();
  refresh();
}

function outcome(action, answer) {
  if (answer.items) {
    const refused = answer.items.filter((i) => !i.recorded);
    return `${answer.recorded} recorded, ${answer.refused} refused` +
      (refused.length ? `: ${refused.map((i) => `${i.bookingReference ?? '#' + i.index} ${i.reason}`).join('; ')}` : '.');
  }
  return `Done: ${answer.bookingReference} is now ${statusWords[answer.status] ?? answer.status}.`;
}

// A step holds a booking reference or a plate: the tablet keeps what was sent for a day (today's record on
// screen), and a step never sent for three days (a tablet offline over a weekend), not for ever — for every
// person who used this tablet, whether or not they come back to it.
const queuePrefix = 'marhaba-desk-queue:';
function prune() {
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  const threeDaysAgo = Date.now() - 3 * 24 * 3600 * 1000;
  const keep = (a) => Date.parse(a.queuedAt) > (a.state === 'waiting' ? threeDaysAgo : dayAgo);
  for (const key of Object.keys(localStorage).filter((k) => k.startsWith(queuePrefix))) {
    let queue;
    try { queue = JSON.parse(localStorage.getItem(key)) ?? []; } catch { queue = []; }
    const kept = queue.filter(keep).slice(-100);
    if (kept.length === 0) localStorage.removeItem(key);
    else if (kept.length !== queue.length) localStorage.setItem(key, JSON.stringify(kept));
  }
}

function renderQueue() {
  const queue = load();
  const waiting = queue.filter((a) => a.state === 'waiting').length;
  const refused = queue.filter((a) => a.state === 'refused').length;
  $('queue-title').textContent = `Sent, waiting (${waiting}) and refused (${refused})`;
  $('queue').replaceChildren(...queue.slice().reverse().map((a) =>
    el('li', { className: `card ${a.state}`, dataset: { state: a.state, testid: 'queued' } },
      el('strong', { textContent: `${a.state === 'waiting' ? 'Waiting to send' : a.state === 'done' ? 'Sent' : 'Refused'}: ` }),
      `${a.label} · ${time(a.queuedAt)}`,
      a.outcome ? el('div', { textContent: a.outcome }) : null,
      a.state === 'refused' ? el('button', { type: 'button', textContent: 'Dismiss', onclick: () => { save(load().filter((x) => x.key !== a.key)); renderQueue(); } }) : null)));
  showNetwork();
}

// The network line follows the queue: a step kept while a failed send is still settling is counted too.
let lastOnline = navigator.onLine;
function showNetwork(online = lastOnline) {
  lastOnline = online;
  const waiting = load().filter((a) => a.state === 'waiting').length;
  $('network').className = online ? 'card' : 'card problem';
  $('network').textContent = online
    ? (waiting ? `Online · sending ${waiting} waiting step(s)…` : 'Online · every step has been sent.')
    : `No network · ${waiting} step(s) kept on this device; they will be sent when the network returns.`;
}

// ---- recording a step ----------------------------------------------------------------------------

// Where and when a step happened, as the server will read it: the lane typed, the server's "now".
const atTheDesk = () => ({ lane: $('lane').value.trim() || null, occurredAt: new Date(Date.now() + clockOffset).toISOString() });

function record(step, crossing) {
  const who = crossing.bookingReference ? { bookingReference: crossing.bookingReference } : { plate: crossing.plate };
  enqueue({
    url: `/api/ports/${port}/${steps[step].path}`,
    body: { ...who, ...atTheDesk() },
    label: `${steps[step].label} · ${crossing.bookingReference ?? crossing.plate}`,
  });
}

function recordTyped() {
  const typed = $('q').value.trim().toUpperCase();
  if (!typed) { $('q').focus(); return; }
  const isReference = /^MRH-?[A-Z0-9]{10}$/.test(typed);
  record($('step').value, isReference ? { bookingReference: typed } : { plate: typed });
  $('q').value = '';
}

// ---- reading -------------------------------------------------------------------------------------

async function get(url) {
  let response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
  if (response.status === 401 && await renewToken()) response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail ?? body.title ?? `${response.status}`);
  return body;
}

const party = (c) => `${c.passengers} ${c.passengers === 1 ? 'person' : 'people'}${c.vehicle ? ` · ${c.vehicle}` : ''}${c.plate ? ` · ${c.plate}` : ''}`;

let searchTimer;
function search() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    const typed = $('q').value.trim();
    if (typed.replace(/[^A-Za-z0-9]/g, '').length < 2) { $('matches').replaceChildren(); return; }
    try {
      const found = await get(`/api/ports/${port}/desk/crossings?q=${encodeURIComponent(typed)}`);
      showNetwork(true);
      $('matches').replaceChildren(...(found.length ? found.map(match)
        : [el('li', { className: 'card', textContent: `No live crossing through this port for “${typed}”.` })]));
    } catch (error) {
      const known = offlineMatches(typed);
      $('matches').replaceChildren(...(known.length ? known.map(match) : [el('li', { className: 'card problem', textContent: navigator.onLine
        ? `Search failed: ${error.message}` : 'No network, and nothing like this in the ships this tablet last read: use “Record without a match” below.' })]));
    }
  }, 250);
}

function match(c) {
  return el('li', { className: 'card', dataset: { testid: 'match' } },
    el('strong', { textContent: c.bookingReference, dir: 'ltr' }), ` · ${party(c)}`,
    el('div', { textContent: `${c.vessel}, ${c.origin} → ${c.destination}, departs ${time(c.departureAt)} · ${statusWords[c.status]}` }),
    c.nextStep
      ? el('button', { type: 'button', className: 'primary big', textContent: `${steps[c.nextStep].label}: ${c.bookingReference}`,
          onclick: () => { record(c.nextStep, c); $('matches').replaceChildren(); $('q').value = ''; $('q').focus(); } })
      : el('div', { textContent: 'Nothing to record here for this crossing now.' }));
}

// The ship's time here as it now stands; a delay as "was 14:00, now 16:10".
function shipTime(s) {
  const [now, was] = s.departsHere ? [s.departureAt, s.scheduledDepartureAt] : [s.arrivalAt, s.scheduledArrivalAt];
  return was && was.slice(0, 16) !== now.slice(0, 16) ? `was ${time(was)}, now ${time(now)}` : time(now);
}

let openSailing = null;

// The crossings of the port's ships as last read (each ship's list, read every five minutes and kept by the service
// worker): with no network, what is typed is looked for there.
const known = new Map();
let lastPrefetch = 0;
async function prefetch(sailings) {
  if (Date.now() - lastPrefetch < 5 * 60 * 1000) return;
  lastPrefetch = Date.now();
  for (const s of sailings) {
    try {
      for (const c of (await get(`/api/ports/${port}/desk/sailings/${s.sailingId}`)).crossings) known.set(c.crossingId, c);
    } catch { return; }
  }
}

function offlineMatches(typed) {
  const wanted = typed.toUpperCase().replace(/[^A-Z0-9]/g, '');
  const reference = (c) => c.bookingReference.replace(/[^A-Z0-9]/g, '');
  return [...known.values()].filter((c) => c.nextStep && (reference(c).startsWith(wanted) || reference(c).startsWith(`MRH${wanted}`) ||
    (c.plate ?? '').replace(/[^A-Z0-9]/g, '') === wanted)).slice(0, 8);
}

async function refresh() {
  try {
    const sailings = await get(`/api/ports/${port}/desk/sailings`);
    $('sailings').replaceChildren(...(sailings.length ? sailings.map((s) => el('li', {},
      el('button', { type: 'button', className: 'sailing', onclick: () => openShip(s.sailingId) },
        `${s.departsHere ? 'Departs' : 'Arrives'} ${shipTime(s)} · ${s.vessel} (${s.operator}) ${s.origin} → ${s.destination} · ${s.status} · ${s.expected} expected`)))
      : [el('li', { textContent: 'No ship through this port from 12 hours ago to 24 hours ahead, and none at sea towards it.' })]));
    if (openSailing) await openShip(openSailing);
    prefetch(sailings);
  } catch {
    // Offline: the last lists stay on screen.
  }
}

async function openShip(sailingId) {
  const s = await get(`/api/ports/${port}/desk/sailings/${sailingId}`);
  openSailing = sailingId;
  $('sailing').hidden = false;
  $('sailing-title').textContent = `${s.vessel}, ${s.origin} → ${s.destination}, ${s.departsHere ? 'departs' : 'arrives'} ${shipTime(s)}`;
  $('sailing-counts').textContent = `${s.expected} expected · ${s.checkedIn} checked in · ${s.aboard} aboard · ${s.arrived} arrived · ${s.cleared} cleared`;
  const remaining = s.crossings.filter((c) => c.nextStep === 'Arrival');
  $('arrive-all').hidden = s.departsHere || remaining.length === 0;
  $('arrive-all').textContent = `Record all remaining as arrived (${remaining.length})`;
  $('arrive-all').onclick = () => {
    const at = atTheDesk();
    enqueue({
      url: `/api/ports/${port}/arrivals/batch`,
      body: { items: remaining.map((c) => ({ bookingReference: c.bookingReference, ...at })) },
      label: `${remaining.length} arrivals · ${s.vessel}`,
    });
  };
  $('sailing-crossings').replaceChildren(...s.crossings.map((c) => el('tr', { dataset: { testid: 'sailing-crossing' } },
    el('td', { dir: 'ltr', textContent: c.bookingReference }),
    el('td', { textContent: party(c) }),
    el('td', { textContent: statusWords[c.status] }),
    el('td', {}, c.nextStep
      ? el('button', { type: 'button', textContent: `${steps[c.nextStep].label}: ${c.bookingReference}`, onclick: () => record(c.nextStep, c) })
      : '–'))));
}

// ---- scanning -------------------------------------------------------------------------------------
// The traveller's page shows the booking reference as a QR code. The browser reads it where it can
// (BarcodeDetector, on tablets); elsewhere the picture's brightness goes to the server, which reads it.

async function readCode(source, width, height, largest) {
  if ('BarcodeDetector' in window) {
    try {
      const [code] = await new BarcodeDetector({ formats: ['qr_code'] }).detect(source);
      if (code) return code.rawValue.trim().toUpperCase();
    } catch { /* not for this format here: the server reads it */ }
  }
  const scale = Math.min(1, largest / Math.max(width, height));
  const [w, h] = [Math.round(width * scale), Math.round(height * scale)];
  const canvas = document.createElement('canvas');
  Object.assign(canvas, { width: w, height: h });
  const context = canvas.getContext('2d', { willReadFrequently: true });
  context.drawImage(source, 0, 0, w, h);
  const rgba = context.getImageData(0, 0, w, h).data;
  const gray = new Uint8Array(w * h);
  for (let i = 0; i < gray.length; i++) gray[i] = (rgba[4 * i] * 77 + rgba[4 * i + 1] * 150 + rgba[4 * i + 2] * 29) >> 8;
  const send = () => fetch(`/api/ports/${port}/desk/scan?width=${w}&height=${h}`,
    { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/octet-stream' }, body: gray });
  let response = await send();
  if (response.status === 401 && await renewToken()) response = await send();
  return response.ok ? (await response.json()).bookingReference : null;
}

function scanned(reference) {
  $('scan-status').textContent = `Scanned ${reference}.`;
  $('q').value = reference;
  search();
}

$('scan-photo').addEventListener('change', async () => {
  const file = $('scan-photo').files[0];
  if (!file) return;
  $('scan-status').textContent = 'Reading the code…';
  try {
    const picture = await createImageBitmap(file);
    const reference = await readCode(picture, picture.width, picture.height, 1200);
    if (reference) scanned(reference);
    else $('scan-status').textContent = 'No booking code could be read in that picture: try again closer, or type the reference.';
  } catch {
    $('scan-status').textContent = navigator.onLine ? 'That picture could not be read: type the reference.' : 'No network to read the picture: type the reference.';
  } finally {
    $('scan-photo').value = '';
  }
});

$('scan-camera').addEventListener('click', async () => {
  const video = $('scan-video');
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
  } catch {
    $('scan-status').textContent = 'No camera is available here: use a photo, or type the reference.';
    return;
  }
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  $('scan-status').textContent = 'Hold the traveller\'s code in front of the camera…';
  const until = Date.now() + 30_000;
  try {
    while (Date.now() < until) {
      const reference = video.videoWidth ? await readCode(video, video.videoWidth, video.videoHeight, 640).catch(() => null) : null;
      if (reference) { scanned(reference); return; }
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    $('scan-status').textContent = 'No code seen for 30 seconds: try again, or type the reference.';
  } finally {
    stream.getTracks().forEach((t) => t.stop());
    video.hidden = true;
  }
});

$('q').addEventListener('input', search);
$('record-typed').addEventListener('click', recordTyped);

// Signing out with steps still waiting: the page says how many, and the person sends them or keeps them for themselves.
const signOut = document.querySelector("form[action='/signout']");
const waitingCount = () => load().filter((a) => a.state === 'waiting').length;
signOut?.addEventListener('submit', (event) => {
  const waiting = waitingCount();
  if (!waiting) return;
  event.preventDefault();
  leaving = true;
  $('unsent-count').textContent = `${waiting} step(s) recorded here have not reached the server yet.`;
  $('unsent').hidden = false;
  $('unsent-send').focus();
});
$('unsent-send').addEventListener('click', async () => {
  leaving = false;
  await drain();
  const still = waitingCount();
  if (still) $('unsent-count').textContent = `${still} step(s) could not be sent (no network or the server is busy): keep them, or try again.`;
  else signOut.submit();
});
$('unsent-keep').addEventListener('click', () => signOut.submit());
window.addEventListener('online', drain);
window.addEventListener('offline', () => showNetwork(false));
// A connection can come back without an "online" event (a dead Wi-Fi hotspot): try again every 15 s.
setInterval(() => { if (load().some((a) => a.state === 'waiting')) drain(); }, 15000);

prune();
renderQueue();
showNetwork(navigator.onLine);
refresh();
drain();
