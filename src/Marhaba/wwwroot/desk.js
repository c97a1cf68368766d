// The quay desk. Every step goes into a queue kept in this browser's storage first, then to the API
// with its own Idempotency-Key; what the network could not take stays queued and is sent again, with
// the same key, when the connection returns. The server's rules decide; the desk shows their words.

const desk = document.getElementById('desk');
const port = desk.dataset.port;
// The page's words in the reader's language, from the server's resources; {0}, {1}… are filled in order.
const texts = JSON.parse(desk.dataset.texts ?? '{}');
const t = (key, ...args) => (texts[key] ?? key).replace(/\{(\d+)\}/g, (_, i) => String(args[Number(i)]));
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
    if (!response.ok) { sessionEnded(); return null; }
    token = (await response.json()).token;
    return token;
  } catch {
    return undefined; // no network: keep the token there is
  }
}
setInterval(renewToken, 10 * 60 * 1000);
// The sign-in has ended: the page says so, with the way back to this desk; what is queued stays on the tablet.
function sessionEnded() { document.getElementById('session-ended').hidden = false; }

const paths = { CheckIn: 'check-ins', Boarding: 'boardings', Arrival: 'arrivals', Clearance: 'clearances', Exit: 'exits' };
const steps = Object.fromEntries(Object.entries(paths).map(([step, path]) => [step, { path, label: t(`Desk_Step_${step}`) }]));
const statusWord = (status) => (texts[`Desk_Status_${status}`] ?? status);
const sailingWord = (status) => (texts[`Sailing_${status}`] ?? status);

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
  const day = new Date(`${at.slice(0, 10)}T12:00:00Z`).toLocaleDateString(desk.dataset.culture, { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short' });
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
      update(action.key, { outcome: t('Desk_Expired') });
      renderQueue();
      return;
    } else if (response.status === 429 || response.status >= 500) {
      update(action.key, { outcome: t('Desk_ServerBusy', response.status) });
      renderQueue();
      return;
    } else {
      update(action.key, { state: 'refused', outcome: answer.detail ?? answer.title ?? t('Desk_Refused', response.status) });
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
    return t('Desk_BatchOutcome', answer.recorded, answer.refused) +
      (refused.length ? `: ${refused.map((i) => `${i.bookingReference ?? '#' + i.index} ${i.reason}`).join('; ')}` : '.');
  }
  return t('Desk_Done', answer.bookingReference, statusWord(answer.status));
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
  $('queue-title').textContent = t('Desk_QueueCounts', waiting, refused);
  $('queue').replaceChildren(...queue.slice().reverse().map((a) =>
    el('li', { className: `card ${a.state}`, dataset: { state: a.state, testid: 'queued' } },
      el('strong', { textContent: `${t(a.state === 'waiting' ? 'Desk_StateWaiting' : a.state === 'done' ? 'Desk_StateSent' : 'Desk_StateRefused')}: ` }),
      `${a.label} · ${time(a.queuedAt)}`,
      a.outcome ? el('div', { textContent: a.outcome }) : null,
      a.state === 'refused' ? el('button', { type: 'button', textContent: t('Desk_Dismiss'), onclick: () => { save(load().filter((x) => x.key !== a.key)); renderQueue(); } }) : null)));
  showNetwork();
}

// The network line follows the queue: a step kept while a failed send is still settling is counted too.
let lastOnline = navigator.onLine;
function showNetwork(online = lastOnline) {
  lastOnline = online;
  const waiting = load().filter((a) => a.state === 'waiting').length;
  $('network').className = online ? 'card' : 'card problem';
  $('network').textContent = online
    ? (waiting ? t('Desk_OnlineSending', waiting) : t('Desk_OnlineAllSent'))
    : t('Desk_Offline', waiting);
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

const party = (c) => `${t(c.passengers === 1 ? 'Desk_Person' : 'Desk_People', c.passengers)}${c.vehicle ? ` · ${c.vehicle}` : ''}${c.plate ? ` · ${c.plate}` : ''}`;

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
        : [el('li', { className: 'card', textContent: t('Desk_NoMatch', typed) })]));
    } catch (error) {
      const known = offlineMatches(typed);
      $('matches').replaceChildren(...(known.length ? known.map(match) : [el('li', { className: 'card problem', textContent: navigator.onLine
        ? t('Desk_SearchFailed', error.message) : t('Desk_OfflineNoMatch') })]));
    }
  }, 250);
}

function match(c) {
  return el('li', { className: 'card', dataset: { testid: 'match' } },
    el('strong', { textContent: c.bookingReference, dir: 'ltr' }), ` · ${party(c)}`,
    el('div', { textContent: t('Desk_MatchLine', c.vessel, c.origin, c.destination, time(c.departureAt), statusWord(c.status)) }),
    c.nextStep
      ? el('button', { type: 'button', className: 'primary big', textContent: `${steps[c.nextStep].label}: ${c.bookingReference}`,
          onclick: () => { record(c.nextStep, c); $('matches').replaceChildren(); $('q').value = ''; $('q').focus(); } })
      : el('div', { textContent: t('Desk_NothingToRecord') }));
}

// The ship's time here as it now stands; a delay as "was 14:00, now 16:10".
function shipTime(s) {
  const [now, was] = s.departsHere ? [s.departureAt, s.scheduledDepartureAt] : [s.arrivalAt, s.scheduledArrivalAt];
  return was && was.slice(0, 16) !== now.slice(0, 16) ? t('Desk_WasNow', time(was), time(now)) : time(now);
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
        t(s.departsHere ? 'Desk_ShipDeparts' : 'Desk_ShipArrives', shipTime(s), s.vessel, s.operator, s.origin, s.destination, sailingWord(s.status), s.expected))))
      : [el('li', { textContent: t('Desk_NoShips') })]));
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
  $('sailing-title').textContent = t(s.departsHere ? 'Desk_ShipTitleDeparts' : 'Desk_ShipTitleArrives', s.vessel, s.origin, s.destination, shipTime(s));
  $('sailing-counts').textContent = t('Desk_ShipCounts', s.expected, s.checkedIn, s.aboard, s.arrived, s.cleared);
  const remaining = s.crossings.filter((c) => c.nextStep === 'Arrival');
  $('arrive-all').hidden = s.departsHere || remaining.length === 0;
  $('arrive-all').textContent = t('Desk_ArriveAll', remaining.length);
  $('arrive-all').onclick = () => {
    const at = atTheDesk();
    enqueue({
      url: `/api/ports/${port}/arrivals/batch`,
      body: { items: remaining.map((c) => ({ bookingReference: c.bookingReference, ...at })) },
      label: t('Desk_BatchLabel', remaining.length, s.vessel),
    });
  };
  $('sailing-crossings').replaceChildren(...s.crossings.map((c) => el('tr', { dataset: { testid: 'sailing-crossing' } },
    el('td', { dir: 'ltr', textContent: c.bookingReference }),
    el('td', { textContent: party(c) }),
    el('td', { textContent: statusWord(c.status) }),
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
  $('scan-status').textContent = t('Desk_Scanned', reference);
  $('q').value = reference;
  search();
}

$('scan-photo').addEventListener('change', async () => {
  const file = $('scan-photo').files[0];
  if (!file) return;
  $('scan-status').textContent = t('Desk_Reading');
  try {
    const picture = await createImageBitmap(file);
    const reference = await readCode(picture, picture.width, picture.height, 1200);
    if (reference) scanned(reference);
    else $('scan-status').textContent = t('Desk_NoCodeInPicture');
  } catch {
    $('scan-status').textContent = t(navigator.onLine ? 'Desk_PictureUnreadable' : 'Desk_NoNetworkPicture');
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
    $('scan-status').textContent = t('Desk_NoCamera');
    return;
  }
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  $('scan-status').textContent = t('Desk_HoldCode');
  const until = Date.now() + 30_000;
  try {
    while (Date.now() < until) {
      const reference = video.videoWidth ? await readCode(video, video.videoWidth, video.videoHeight, 640).catch(() => null) : null;
      if (reference) { scanned(reference); return; }
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    $('scan-status').textContent = t('Desk_NoCodeSeen');
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
  $('unsent-count').textContent = t('Desk_UnsentCount', waiting);
  $('unsent').hidden = false;
  $('unsent-send').focus();
});
$('unsent-send').addEventListener('click', async () => {
  leaving = false;
  await drain();
  const still = waitingCount();
  if (still) $('unsent-count').textContent = t('Desk_UnsentStill', still);
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
