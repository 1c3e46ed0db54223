// Projects (/studio): the project grid with search and endless scrolling.

import { api, errorMessage } from '../api.js';
import { debounce, h, replace } from '../dom.js';
import { SEARCH_MAX } from '../limits.js';
import { setAddress } from '../router.js';
import { emptyState, errorState, showsFailure } from '../ui/empty.js';
import { atLeast, count, dateTime, relativeTime } from '../ui/format.js';
import { icon } from '../ui/icons.js';
import { skeletonCard, skeletonGrid } from '../ui/skeleton.js';
import { toast } from '../ui/toast.js';

const PAGE_SIZE = 24;
const THUMB = { width: 512, height: 320 };

export async function render(main, _params, ctx) {
  let query = (ctx.query.get('q') || '').slice(0, SEARCH_MAX);
  let cursor = null;
  let loading = false;
  let generation = 0; // a newer search makes older answers stale
  let shown = 0;

  const search = h('input', {
    class: 'input',
    type: 'search',
    placeholder: 'Search projects',
    maxlength: SEARCH_MAX,
    'aria-label': 'Search projects',
    autocomplete: 'off',
    value: query,
  });
  const summary = h('p', { class: 'projects-summary', 'aria-live': 'polite' });
  const grid = h('div', { class: 'card-grid', dataset: { testid: 'project-grid' } });
  const more = h('button', { type: 'button', class: 'button', hidden: true, onclick: () => loadMore() }, 'Load more');
  const sentinel = h('div', { class: 'sentinel', 'aria-hidden': 'true' });
  const body = h('div', { class: 'page__body' });
  const toolbar = h('div', { class: 'page__toolbar projects-toolbar' },
    h('div', { class: 'search' }, icon('search'), search), summary);

  main.append(h('section', { class: 'page', 'aria-labelledby': 'page-title' }, toolbar, body));

  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting) && cursor && !loading) loadMore();
  }, { rootMargin: '600px 0px' });

  const onSearch = debounce(() => {
    query = search.value.trim();
    const url = query ? `/studio?q=${encodeURIComponent(query)}` : '/studio';
    setAddress(url, { replace: true });
    start();
  }, 250);
  search.addEventListener('input', onSearch);

  const reloadSoon = debounce(() => start({ quiet: true }), 400);
  const offs = [
    ctx.live.on('project.*', reloadSoon),
    ctx.live.on('reset', reloadSoon),
  ];

  await start();

  return () => {
    observer.disconnect();
    onSearch.cancel();
    reloadSoon.cancel();
    offs.forEach((off) => off());
  };

  async function start({ quiet = false } = {}) {
    const mine = ++generation;
    cursor = null;
    if (!quiet && !showsFailure(body)) replace(body, skeletonGrid(8, skeletonCard));
    loading = true;
    try {
      const page = await api.get('/projects', { q: query || null, limit: PAGE_SIZE }, { signal: ctx.signal });
      if (mine !== generation) return;
      shown = page.items.length;
      cursor = page.next_cursor;
      toolbar.hidden = !page.items.length && !query;
      if (!page.items.length) {
        replace(body, query ? noMatches() : firstProject());
        summary.textContent = query ? 'No matches' : '';
        return;
      }
      replace(grid, page.items.map(projectCard));
      replace(body, grid, h('div', { class: 'load-more' }, more), sentinel);
      updateMore();
      observer.disconnect();
      observer.observe(sentinel);
    } catch (error) {
      if (ctx.signal.aborted || mine !== generation) return;
      replace(body, errorState({ error, retry: () => start() }));
    } finally {
      if (mine === generation) loading = false;
    }
  }

  async function loadMore() {
    if (!cursor || loading) return;
    const mine = generation;
    loading = true;
    more.setAttribute('aria-busy', 'true');
    try {
      const page = await api.get('/projects', { q: query || null, limit: PAGE_SIZE, cursor }, { signal: ctx.signal });
      if (mine !== generation) return;
      grid.append(...page.items.map(projectCard));
      shown += page.items.length;
      cursor = page.next_cursor;
      updateMore();
    } catch (error) {
      if (!ctx.signal.aborted) toast(errorMessage(error), { kind: 'error', action: { label: 'Retry', run: loadMore }, signal: ctx.signal });
    } finally {
      more.removeAttribute('aria-busy');
      if (mine === generation) loading = false;
    }
  }

  function updateMore() {
    more.hidden = !cursor;
    const noun = cursor ? atLeast(shown, 'projects') : count(shown, 'project');
    summary.textContent = query ? `${noun} matching “${query}”` : noun;
  }

  function noMatches() {
    return emptyState({
      icon: 'search',
      title: 'No projects match your search',
      body: `Nothing is called or described as “${query}”. Try another word.`,
      action: {
        label: 'Clear search',
        icon: 'close',
        primary: false,
        run: () => {
          search.value = '';
          onSearch();
          search.focus();
        },
      },
    });
  }
}

function firstProject() {
  return emptyState({
    icon: 'folder',
    title: 'Create your first project',
    body: 'A project keeps your prompts, generations and files together. Start one, then generate images, video and sound in it.',
    action: { label: 'New project', href: '/studio/new', icon: 'plus' },
  });
}

export function projectCard(project) {
  const media = h('div', { class: 'project-card__media' });
  if (project.cover_asset_id) {
    const img = h('img', {
      src: api.url(`/assets/${encodeURIComponent(project.cover_asset_id)}/thumbnail`),
      alt: '',
      width: THUMB.width,
      height: THUMB.height,
      loading: 'lazy',
      decoding: 'async',
    });
    img.addEventListener('error', () => img.replaceWith(placeholder()), { once: true });
    media.append(img);
  } else {
    media.append(placeholder());
  }
  const activity = project.last_activity_at || project.updated_at || project.created_at;
  return h(
    'a',
    { class: 'card card--interactive project-card', href: `/studio/${encodeURIComponent(project.id)}`, dataset: { projectId: project.id } },
    media,
    h('div', { class: 'card__body' },
      // The name has the card's whole width; the time has a line of its own on every card,
      // so no card is taller than another for a longer time or longer counts.
      h('h2', { class: 'project-card__title', title: project.name }, project.name),
      h('p', { class: 'project-card__activity' },
        'Active ', h('time', { datetime: activity, title: dateTime(activity) }, relativeTime(activity))),
      h('p', { class: 'project-card__description' }, project.description || 'No description'),
      h('div', { class: 'project-card__stats' },
        h('span', { class: 'badge' }, icon('sparkles', { size: 'sm' }), count(project.generation_count, 'generation')),
        h('span', { class: 'badge' }, icon('assets', { size: 'sm' }), count(project.asset_count, 'asset')))),
  );
}

function placeholder() {
  return h('div', { class: 'project-card__placeholder' }, icon('image'));
}
