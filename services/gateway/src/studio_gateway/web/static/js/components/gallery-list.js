// The gallery's list of assets: its pages asked of the API with the filters in `state`, drawn
// as cards (grid) or table rows (list), with skeletons while loading, the failure with Try again,
// and the next page as the person scrolls (or presses Load more).
//
//   const list = galleryList({ state, projectId, projectNames, elements, handlers, summary,
//     signal, onFilters, emptyView });
//   list.body                       // goes in the gallery; the list draws itself inside
//   list.start({ quiet, again })    // the first page anew (filters changed, Try again)
//   list.loadMore(), list.fetchPage(cursor), list.renderItems(), list.showSkeleton(),
//   list.render(asset), list.updateSummary(), list.itemsEl (the grid or the tbody), list.disconnect()
//
// `state` holds the filters and what is loaded (items, cursor, loading, generation, loaded);
// `elements` maps an asset id to its card or row; `handlers` are the items' actions
// (gallery-actions.js); `emptyView()` says what an empty list shows.

import { api, errorMessage } from '../api.js';
import { h, replace } from '../dom.js';
import { errorState, showsFailure } from '../ui/empty.js';
import { atLeast, count } from '../ui/format.js';
import { toast } from '../ui/toast.js';
import { assetCard, assetRow, assetTable, skeletonAssetCard, skeletonAssetRow } from './gallery-items.js';

const PAGE_SIZE = 50;

/** Whether anything narrows the list (search, type, favorites, project). */
export function filtered(state) {
  return Boolean(state.q || state.type || state.favorite || state.project);
}

export function galleryList({ state, projectId, projectNames, elements, handlers, summary, signal, onFilters, emptyView }) {
  const allProjects = !projectId;
  const body = h('div', { class: 'gallery__body' });
  const more = h('button', { type: 'button', class: 'button', hidden: true, onclick: () => loadMore() }, 'Load more');
  const sentinel = h('div', { class: 'sentinel', 'aria-hidden': 'true' });
  let itemsEl = null; // the grid or the tbody
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting) && state.cursor && !state.loading) loadMore();
  }, { rootMargin: '400px 0px' });

  return {
    body,
    get itemsEl() { return itemsEl; },
    start,
    loadMore,
    fetchPage,
    showSkeleton,
    renderItems,
    render,
    updateSummary,
    disconnect: () => observer.disconnect(),
  };

  function listPath() {
    return projectId ? `/projects/${encodeURIComponent(projectId)}/assets` : '/assets';
  }

  function query(cursor) {
    return {
      q: state.q || null,
      media_type: state.type || null,
      favorite: state.favorite ? 'true' : null,
      project_id: allProjects && state.project ? state.project : null,
      limit: PAGE_SIZE,
      cursor,
    };
  }

  function fetchPage(cursor) {
    return api.get(listPath(), query(cursor), { signal });
  }

  async function start({ quiet = false, again = false } = {}) {
    onFilters?.({ q: state.q, type: state.type, favorite: state.favorite, project: state.project });
    const mine = ++state.generation;
    state.cursor = null;
    state.loading = true;
    // Asked again (by itself, or Try again): the failure stays in view, its button busy
    // (ui/empty.js), rather than skeletons for as long as a hung service takes to time out.
    if (!(again && showsFailure(body)) && (!quiet || !state.loaded)) {
      showSkeleton();
      summary.textContent = ''; // the count of other filters is not this list's
    }
    try {
      const page = await fetchPage(null);
      if (mine !== state.generation) return;
      state.items = page.items;
      state.cursor = page.next_cursor;
      state.loaded = true;
      renderItems();
    } catch (error) {
      if (signal.aborted || mine !== state.generation) return;
      body.removeAttribute('aria-busy'); // done: the failure is to be read now
      replace(body, errorState({ error, retry: () => start({ again: true }) }));
      summary.textContent = '';
    } finally {
      if (mine === state.generation) state.loading = false;
    }
  }

  async function loadMore() {
    if (!state.cursor || state.loading) return;
    const mine = state.generation;
    state.loading = true;
    more.setAttribute('aria-busy', 'true');
    try {
      const page = await fetchPage(state.cursor);
      if (mine !== state.generation) return;
      state.cursor = page.next_cursor;
      const fresh = page.items.filter((asset) => !elements.has(asset.id));
      state.items.push(...fresh);
      if (itemsEl) itemsEl.append(...fresh.map(render));
      updateSummary();
    } catch (error) {
      if (!signal.aborted) toast(errorMessage(error), { kind: 'error', signal, action: { label: 'Retry', run: loadMore } });
    } finally {
      more.removeAttribute('aria-busy');
      if (mine === state.generation) state.loading = false;
    }
  }

  function showSkeleton() {
    elements.clear();
    itemsEl = null;
    body.setAttribute('aria-busy', 'true');
    replace(body, state.view === 'grid'
      ? h('div', { class: 'gallery-grid', 'aria-hidden': 'true' }, Array.from({ length: 8 }, skeletonAssetCard))
      : h('div', { class: 'gallery-skeleton-list', 'aria-hidden': 'true' }, Array.from({ length: 6 }, skeletonAssetRow)));
  }

  function renderItems() {
    body.removeAttribute('aria-busy');
    elements.clear();
    observer.disconnect();
    if (!state.items.length) {
      itemsEl = null;
      replace(body, emptyView());
      updateSummary();
      return;
    }
    let list;
    if (state.view === 'grid') {
      list = h('div', { class: 'gallery-grid', dataset: { testid: 'gallery-items' } });
      itemsEl = list;
    } else {
      const { table, body: rows } = assetTable({ showProject: allProjects });
      list = h('div', { class: 'asset-table-wrap', dataset: { testid: 'gallery-items' } }, table);
      itemsEl = rows;
    }
    itemsEl.append(...state.items.map(render));
    replace(body, list, h('div', { class: 'load-more' }, more), sentinel);
    updateSummary();
    observer.observe(sentinel);
  }

  function render(asset) {
    const options = { showProject: allProjects, projectName: projectNames.get(asset.project_id) };
    const el = state.view === 'grid' ? assetCard(asset, handlers, options) : assetRow(asset, handlers, options);
    elements.set(asset.id, el);
    return el;
  }

  function updateSummary() {
    more.hidden = !state.cursor;
    const shown = state.items.length;
    // Under filters the count stays, "no assets" included: it is what the live region announces
    // when a filter leaves nothing. Unfiltered and empty, the empty state says it instead.
    // With more pages to load the count is a floor: "50+ assets".
    summary.textContent = shown || filtered(state) ? (state.cursor ? atLeast(shown, 'assets') : count(shown, 'asset')) : '';
  }
}
