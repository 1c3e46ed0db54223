// generation-history: a project's (or all of a person's) generations, newest first, paged with
// the API's cursor as the list scrolls, kept current by live events (and by polling every 5 s
// while the live stream is down and something is running). A generation whose record could not
// be fetched (a service hung, the tab offline) is asked for again, 2 s later, then 4 s, … at
// most 30 s apart, until it comes (or is gone: 404), and at once when the stream is back. One
// record is asked for at a time per generation (events meanwhile wait for it). A new stream
// that could not resume (`reset`) keeps the loaded cards and the scroll: the newest pages are
// merged in (ui/first-pages.js).
//
//   const history = createHistory({ projectId, live, signal, typeLabel, empty });
//   container.append(history.el); history.add(generationFromA202); history.destroy();

import { api, causedHere, errorMessage } from '../api.js';
import { h, replace } from '../dom.js';
import { errorState, showsFailure } from '../ui/empty.js';
import { newestPages } from '../ui/first-pages.js';
import { skeleton } from '../ui/skeleton.js';
import { announce, toast } from '../ui/toast.js';
import { ACTIVE, generationCard, outputsAsAssets, refreshTime, shortPrompt as short, updateCard, updateMeta, waitsToRetry } from './generation-card.js';
import { cardActions } from './history-actions.js';
import { refetcher } from './history-refetch.js';

const PAGE_SIZE = 50;
const POLL_MS = 5000;
const RANK = { pending: 0, processing: 1 };
const rank = (status) => RANK[status] ?? 2;
// The status an event puts a generation in (a progress event says whether it is back in line).
const EVENT_STATUS = {
  'generation.requested': 'pending',
  'generation.started': 'processing',
  'generation.completed': 'completed',
  'generation.failed': 'failed',
  'generation.cancelled': 'cancelled',
};
const eventStatus = (data, name) => (name === 'generation.progress'
  ? (data.status === 'pending' ? 'pending' : 'processing')
  : EVENT_STATUS[name]);

export function createHistory({ projectId = null, filters = {}, live, signal, typeLabel, projectName, showProject = false, empty, label = 'History' }) {
  const cards = new Map();
  const grid = h('div', { class: 'gen-grid', dataset: { label } });
  const sentinel = h('div', { class: 'sentinel', 'aria-hidden': 'true' });
  const more = h('button', { type: 'button', class: 'button', hidden: true, onclick: () => loadMore() }, 'Load more');
  const body = h('div', { class: 'gen-history__body' });
  const el = h('div', { class: 'gen-history' }, body);
  let cursor = null;
  let loading = false;
  let seq = 0;
  let online = true;
  let pollTimer = null;
  let ready = false;
  let sent = 0; // cards of generations on their way
  const fetching = new Set();
  const dropped = new Set(); // removed while its record was on its way: the answer is not shown
  const later = new Map(); // id → events that came while its record was on its way
  const missed = refetcher((id) => fetchAndShow(id)); // records whose fetch failed, asked again later
  const hidden = new Set(); // ids of generations of another type than the filter's: never shown
  let query = { ...filters };
  const onAction = cardActions({
    cards, merge, add, matches, removeCard, resultsFrom, focusableNear, statusShown: () => query.status,
  });

  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) loadMore();
  }, { rootMargin: '800px 0px' });
  const offs = [
    live?.on('generation.*', onEvent),
    live?.on('asset.deleted', onOutputDeleted),
    // A new stream that could not resume: what is loaded stays, and the first page says
    // what changed meanwhile (ui/first-pages.js).
    live?.on('reset', () => catchUp()),
    live?.onStatus((value) => {
      online = value !== false;
      // Events from before the stream (re)opened are not sent: what is running is asked again,
      // and so is what could not be fetched while it was down.
      if (online && ready) {
        refreshActive();
        missed.now();
      }
      schedulePoll();
    }),
  ].filter(Boolean);
  const ticker = setInterval(tick, 1000);
  let ticks = 0;

  const listPath = projectId ? `/projects/${encodeURIComponent(projectId)}/generations` : '/generations';
  const firstLoad = reload();

  return {
    el,
    loaded: firstLoad,
    add,
    sending,
    reload,
    setFilters(next) {
      query = { ...next };
      hidden.clear();
      return reload();
    },
    refreshAll() {
      for (const card of cards.values()) updateCard(card, card.generation);
    },
    /** Take off every card whose generation `test` picks (a deleted project's). */
    removeWhere(test) {
      for (const card of [...cards.values()]) if (test(card.generation)) removeCard(card.generation.id);
    },
    destroy() {
      seq += 1;
      observer.disconnect();
      clearInterval(ticker);
      clearTimeout(pollTimer);
      missed.forget();
      offs.forEach((off) => off());
    },
  };

  function params(extra) {
    return { limit: PAGE_SIZE, status: query.status || null, type: query.type || null, project_id: query.project_id || null, ...extra };
  }

  async function reload({ quiet = false } = {}) {
    const mine = ++seq;
    if (!showsFailure(body) && (!quiet || !ready)) replace(body, skeletons());
    loading = true;
    try {
      const page = await api.get(listPath, params(), { signal });
      if (mine !== seq) return;
      cards.clear();
      missed.forget(); // the list as it is now holds them, or they are not this list's
      replace(grid, page.items.map(makeCard));
      cursor = page.next_cursor;
      show();
      observer.disconnect();
      observer.observe(sentinel);
      if (!ready) {
        ready = true;
        el.dataset.ready = 'true';
        performance.mark('studio:history-ready');
        // An event that came while the page was on its way was not applied (no card yet): the
        // running ones are asked once, so none stays "Processing" after it has finished.
        refreshActive();
      }
      schedulePoll();
    } catch (error) {
      if (signal?.aborted || mine !== seq) return;
      replace(body, errorState({ error, retry: () => reload() }));
    } finally {
      if (mine === seq) loading = false;
    }
  }

  /** After a `reset`: the loaded cards and the scroll stay; the newest pages update the cards
   * they hold, add the new ones at the top and take off those deleted meanwhile. */
  async function catchUp() {
    if (!ready || showsFailure(body)) {
      reload({ quiet: true });
      return;
    }
    const mine = seq;
    const listed = [...cards.values()].filter((card) => !card.generation.sending).map((card) => card.generation.id);
    let news;
    try {
      news = await newestPages((from) => api.get(listPath, params({ cursor: from }), { signal }), listed);
    } catch {
      return; // what is running is asked again as the stream comes back, and polled while down
    }
    if (mine !== seq) return; // reloaded meanwhile (a filter changed): that list holds
    if (!news) {
      reload({ quiet: true });
      return;
    }
    news.gone.forEach(removeCard);
    const next = news.cursor === undefined ? cursor : news.cursor;
    if (news.cursor !== undefined) cursor = null; // every item of the pages has its place
    for (const generation of news.items) {
      const card = cards.get(generation.id);
      if (card) merge(card, generation, false);
      else if (matches(generation) && !fetching.has(generation.id)) insert(generation);
    }
    cursor = next;
    show();
    schedulePoll();
  }

  async function loadMore() {
    if (!cursor || loading) return;
    const mine = seq;
    loading = true;
    more.setAttribute('aria-busy', 'true');
    try {
      const page = await api.get(listPath, params({ cursor }), { signal });
      if (mine !== seq) return;
      for (const generation of page.items) {
        if (!cards.has(generation.id)) grid.append(makeCard(generation));
      }
      cursor = page.next_cursor;
      more.hidden = !cursor;
    } catch (error) {
      if (!signal?.aborted) toast(errorMessage(error), { kind: 'error', action: { label: 'Retry', run: loadMore }, signal });
    } finally {
      more.removeAttribute('aria-busy');
      if (mine === seq) loading = false;
    }
  }

  function show() {
    more.hidden = !cursor;
    if (!cards.size) replace(body, empty ? empty(query) : h('p', { class: 'muted' }, 'Nothing here yet.'));
    else if (!grid.isConnected) replace(body, grid, h('div', { class: 'load-more' }, more), sentinel);
  }

  /** The one project this list shows, if any: its own page's, or the filter's. */
  function scope() {
    return projectId || query.project_id || null;
  }

  function matches(generation) {
    if (scope() && generation.project_id !== scope()) return false;
    if (query.status && generation.status !== query.status) return false;
    if (query.type && generation.type !== query.type) return false;
    return true;
  }

  function makeCard(generation) {
    const card = generationCard(generation, { typeLabel, projectName, showProject, onAction });
    cards.set(generation.id, card);
    return card;
  }

  /** A generation this page just made (the 202 answer): shown at once, as it is. */
  function add(generation) {
    if (!matches(generation)) return;
    const card = cards.get(generation.id);
    if (card) merge(card, generation, false);
    else insert(generation);
    schedulePoll();
  }

  /** The card of a generation on its way (UI.md: it appears at once, as pending), until the
   * answer: `drop()` takes it off, the record then comes through `add`. No actions: it has no
   * id to act on yet. */
  function sending(fields) {
    const id = `~sending-${++sent}`; // after every real (hex) id: the newest card
    const generation = {
      ...fields, id, sending: true, status: 'pending', attempts: 0, outputs: [],
      project_id: projectId, created_at: new Date().toISOString(),
    };
    if (matches(generation)) insert(generation);
    return { drop: () => removeCard(id) };
  }

  function dropSending(data) {
    const same = [...cards.values()].find(({ generation: g }) => g.sending
      && g.prompt === data.prompt && g.model_id === data.model_id && g.type === data.type);
    if (same) removeCard(same.generation.id);
  }

  function insert(generation) {
    const card = makeCard(generation);
    // Ids are time-ordered: keep newest first.
    const after = [...grid.children].find((other) => other.dataset.id < generation.id);
    if (after) grid.insertBefore(card, after);
    else if (!cursor) grid.append(card);
    else {
      cards.delete(generation.id); // older than what is loaded: paging will bring it
      return;
    }
    show();
  }

  /** `said`: what to announce of the change (an event's), unless the card leaves the list, which
   * is then said instead: one message, not two in a moment where the first was lost. */
  function merge(card, incoming, fromEvent, said = '') {
    if (cards.get(incoming.id) !== card) return; // left the list meanwhile
    const current = card.generation;
    if (rank(current.status) === 2 && rank(incoming.status) < 2) return;
    if (!fromEvent && rank(incoming.status) < rank(current.status) && !retriedSince(incoming, current)) return;
    if (current.cancel_requested && incoming.status === 'completed' && current.status !== 'completed') {
      // Asked to cancel, and finished all the same (the provider was done first): said, or the
      // card would seem to have ignored the Cancel.
      toast(`“${short(incoming.prompt)}” had already finished, so it could not be cancelled.`, { kind: 'info', signal });
    }
    // A request to cancel holds while the job runs; once it has ended it is no longer news.
    updateCard(card, ACTIVE.has(incoming.status) ? incoming : { ...incoming, cancel_requested: false });
    // A list filtered by status holds only that status: a card that moved on (a job listed
    // under Processing that completed) leaves it, as an item unfavorited leaves Favorites.
    if (query.status && incoming.status !== query.status) {
      removeCard(incoming.id);
      announce(`${short(incoming.prompt)}: ${incoming.status} now, so it left this list.`);
    } else if (said) {
      announce(said);
    }
  }

  /** A fetched record may be older than the card, so it moves a card back only when it is a
   * job waiting to be tried again after the attempt the card shows (not a stale "pending"). */
  function retriedSince(incoming, current) {
    return waitsToRetry(incoming) && incoming.attempts >= (current.attempts || 0);
  }

  /** One record asked for at a time per generation: asked again while on its way, the one
   * answer serves; events that came meanwhile are applied to it after (it may predate them),
   * so a generation made elsewhere costs one request, not one per event. */
  async function fetchAndShow(id) {
    if (fetching.has(id)) return;
    fetching.add(id);
    dropped.delete(id);
    try {
      const generation = await api.get(`/generations/${encodeURIComponent(id)}`, undefined, { signal });
      fetching.delete(id);
      missed.forget(id);
      const card = cards.get(id);
      if (dropped.delete(id)) later.delete(id);
      else if (card) merge(card, generation, false);
      else if (matches(generation) && ready) insert(generation);
      else if (query.type && generation.type !== query.type) hidden.add(id);
      applyLater(id);
      schedulePoll();
    } catch (error) {
      fetching.delete(id);
      // Gone already (deleted, or not this person's): nothing to show. Anything else (a service
      // hung, offline) would leave a generation made elsewhere out of the list for good, as no
      // event may come again for it: asked again later (the events held wait for it).
      if (signal?.aborted || dropped.delete(id)) later.delete(id);
      else if (gone(error)) {
        missed.forget(id);
        later.delete(id);
      } else missed.later(id, error);
    }
  }

  /** The events held while `id`'s record was on its way, applied to its card now. */
  function applyLater(id) {
    const held = later.get(id);
    later.delete(id);
    if (cards.has(id)) for (const [data, name] of held || []) onEvent(data, name);
  }

  function gone(error) {
    const status = error?.status;
    return status >= 400 && status < 500 && status !== 408 && status !== 429;
  }

  function onEvent(data, name) {
    const id = data?.generation_id;
    if (!id || (scope() && data.project_id !== scope())) return;
    // This tab's own request arriving through the stream before its answer (the answer was
    // lost and is being asked for again): its card on the way gives way to the real one.
    if (name === 'generation.requested' && causedHere(data.request_id)) dropSending(data);
    if (name === 'generation.deleted') {
      removeCard(id);
      return;
    }
    const card = cards.get(id);
    if (!card) {
      // Its record on its way: the event is applied to it when it comes.
      if (fetching.has(id)) later.set(id, [...(later.get(id) || []), [data, name]]);
      else if (ready && mayMatch(data, name)) fetchAndShow(id);
      return;
    }
    const generation = { ...card.generation };
    const at = data.occurred_at;
    let said = '';
    switch (name) {
      case 'generation.requested':
        return;
      case 'generation.started':
        if (generation.status === 'pending') said = `Generation processing: ${short(generation.prompt)}`;
        generation.status = 'processing';
        generation.started_at = at;
        generation.attempts = data.attempt ?? generation.attempts;
        break;
      case 'generation.progress':
        if (rank(generation.status) === 2) return;
        // A job put back in line after a transient failure is pending again (events 1.4.0
        // say so; older ones had no status and came only from running jobs).
        generation.status = data.status === 'pending' ? 'pending' : 'processing';
        // Only a job that has been tried goes back to pending (the card may have missed its start).
        if (generation.status === 'pending') generation.attempts = Math.max(generation.attempts || 0, 1);
        generation.progress = { queue_position: data.queue_position ?? null, percent: data.percent ?? null, logs: data.logs || [] };
        break;
      case 'generation.completed':
        generation.status = 'completed';
        generation.completed_at = at;
        generation.outputs = (data.outputs || []).map((o) => ({
          index: o.index, asset_id: o.asset_id, media_type: o.media_type, content_type: o.content_type,
          size: o.size, width: o.width ?? null, height: o.height ?? null, duration: o.duration ?? null,
          waveform: o.waveform ?? null, thumbnail: o.thumbnail ?? null, safety_flagged: Boolean(o.safety_flagged),
        }));
        if (!generation.outputs.every((o) => o.asset_id)) { fetchAndShow(id); return; }
        said = `Generation completed: ${short(generation.prompt)}`;
        break;
      case 'generation.failed':
        generation.status = 'failed';
        generation.completed_at = at;
        generation.error = data.error || null;
        said = `Generation failed: ${generation.error?.message || short(generation.prompt)}`;
        break;
      case 'generation.cancelled':
        // Here, or from another tab or a program: said either way.
        if (ACTIVE.has(generation.status)) said = `Generation cancelled: ${short(generation.prompt)}`;
        generation.status = 'cancelled';
        generation.completed_at = at;
        break;
      default:
        return;
    }
    merge(card, generation, true, said);
    schedulePoll();
  }

  /** Whether an event may bring a generation this list hides into its filters: one of another
   * type never does, nor an event leaving it in a status the filter leaves out (so a job running
   * elsewhere is not asked for at each of its progress events). */
  function mayMatch(data, name) {
    const id = data.generation_id;
    if (query.type && data.type && data.type !== query.type) hidden.add(id);
    if (hidden.has(id)) return false;
    return !query.status || eventStatus(data, name) === query.status;
  }

  // A file deleted from the gallery or the viewer leaves its card (the API's record drops it too).
  function onOutputDeleted(data) {
    const card = data?.generation_id && cards.get(data.generation_id);
    if (!card || !(card.generation.outputs || []).some((o) => o.asset_id === data.asset_id)) return;
    const outputs = card.generation.outputs.filter((o) => o.asset_id !== data.asset_id);
    merge(card, { ...card.generation, outputs }, true);
  }

  function activeCards() {
    return [...cards.values()].filter((card) => ACTIVE.has(card.generation.status) && !card.generation.sending);
  }

  function refreshActive() {
    activeCards().slice(0, 20).forEach((card) => fetchAndShow(card.generation.id));
  }

  /** While the live stream is down and something runs: ask every 5 s. */
  function schedulePoll() {
    clearTimeout(pollTimer);
    pollTimer = null;
    if (online || !activeCards().length) return;
    pollTimer = setTimeout(async () => {
      await Promise.all(activeCards().slice(0, 20).map((card) => fetchAndShow(card.generation.id)));
      schedulePoll();
    }, POLL_MS);
  }

  function tick() {
    ticks += 1;
    for (const card of cards.values()) {
      if (ACTIVE.has(card.generation.status)) updateMeta(card);
      if (ticks % 30 === 0) refreshTime(card);
    }
  }

  /** The viewer over every completed result listed, in the list's order, open at `index` of
   * `generation`'s: the arrows go on to the next generation's results (UI.md). */
  function resultsFrom(generation, index) {
    const items = [];
    let at = -1;
    for (const el of grid.children) {
      const listed = el.dataset.id === generation.id ? generation : cards.get(el.dataset.id)?.generation;
      if (!listed || listed.status !== 'completed') continue;
      if (listed.id === generation.id) at = items.length + index;
      items.push(...outputsAsAssets(listed));
    }
    return at < 0 ? { items: outputsAsAssets(generation), index } : { items, index: at };
  }

  /** The first control of `id`'s card, else of the list where it was, else the page heading. */
  function focusableNear(id) {
    return cards.get(id)?.querySelector('button:not([aria-disabled="true"]), a[href]')
      || body.querySelector('button, a[href]') || document.getElementById('page-title');
  }

  function removeCard(id) {
    // A record on its way may predate what removed the card (deleted, or left a filtered
    // list): it must not bring the card back.
    if (fetching.has(id)) dropped.add(id);
    const card = cards.get(id);
    if (!card) return;
    const next = card.nextElementSibling || card.previousElementSibling;
    // Focus follows only if it was in the card (a deletion from another tab leaves it alone).
    const hadFocus = card.contains(document.activeElement);
    cards.delete(id);
    card.remove();
    show();
    // The last card gone: the empty state's button, else the page heading (never the body).
    if (hadFocus) (next?.querySelector('button, a') || body.querySelector('button, a') || document.getElementById('page-title'))?.focus();
  }
}

function skeletons() {
  const grid = h('div', { class: 'gen-grid', 'aria-hidden': 'true' });
  for (let i = 0; i < 4; i += 1) {
    grid.append(h('div', { class: 'gen-card gen-card--skeleton' },
      h('div', { class: 'gen-card__media' }, skeleton('media', 'gen-card__skeleton-media')),
      h('div', { class: 'gen-card__body' }, skeleton('text', 'skeleton--short'), skeleton('text'), skeleton('text', 'skeleton--short'))));
  }
  return grid;
}
