// model-selector-dialog: search, the models of one generation type grouped by provider, badges,
// price, a checkmark on the chosen one. Keyboard: type to filter, Down/Up move the active option
// (aria-activedescendant on the search box), Enter chooses, Escape closes (focus goes back to
// the model card). Hosted models without a fal.ai key stay visible, marked, and cannot be chosen.
//
//   const model = await openModelDialog({ models, type, selectedId, typeName });   // null: closed

import { h, replace, uniqueId } from '../dom.js';
import { openDialog } from '../ui/dialog.js';
import { icon } from '../ui/icons.js';
import { modelsFor } from './catalog.js';

// Plain words for the person using the studio, with what the one running it needs to know.
export const KEY_HELP = 'Hosted models run on fal.ai and need a key on this server: whoever runs the studio sets FAL_KEY where it starts (make run, or the catalog and worker services) and restarts it. Offline models (Local …) work without one.';

const OUTPUT_LABEL = { image: 'Image', video: 'Video', audio: 'Audio', model3d: '3D' };

export function modelBadges(model, { compact = false } = {}) {
  return [
    h('span', { class: ['badge', model.quality === 'pro' && 'badge--accent'] }, cap(model.quality)),
    !compact && h('span', { class: 'badge' }, OUTPUT_LABEL[model.output] || cap(model.output)),
    !compact && model.recommended && h('span', { class: 'badge badge--info' }, icon('star', { size: 'sm' }), 'Recommended'),
    model.runtime === 'local' && h('span', { class: 'badge badge--success' }, icon('offline', { size: 'sm' }), 'Offline'),
    !model.available && h('span', { class: 'badge badge--warning' }, icon('key', { size: 'sm' }), 'Needs key'),
  ];
}

export function openModelDialog({ models, type, selectedId, typeName }) {
  const candidates = order(modelsFor(models, type));
  const listId = uniqueId('models');
  const countId = uniqueId('models-count');
  const search = h('input', {
    class: 'input',
    type: 'search',
    placeholder: 'Search models',
    'aria-label': 'Search models',
    role: 'combobox',
    'aria-expanded': 'true',
    'aria-controls': listId,
    'aria-autocomplete': 'list',
    'aria-describedby': countId,
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const count = h('p', { class: 'model-dialog__count', id: countId, 'aria-live': 'polite' });
  const list = h('div', { class: 'model-list', role: 'listbox', id: listId, 'aria-label': `Models for ${typeName || type}` });
  const note = h('p', { class: 'model-dialog__note', hidden: true });
  const hasLocked = candidates.some((m) => !m.available);
  let visible = [];
  let active = -1;

  const handle = openDialog({
    title: 'Choose a model',
    wide: true,
    className: 'model-dialog',
    content: h('div', { class: 'model-dialog__content' },
      h('div', { class: 'search' }, icon('search'), search),
      hasLocked && h('div', { class: 'alert alert--info model-dialog__key' }, icon('key'), h('span', KEY_HELP)),
      count, list, note),
    initialFocus: () => search,
  });

  search.addEventListener('input', () => render(search.value));
  search.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      if (!visible.length) return;
      const step = event.key === 'ArrowDown' ? 1 : -1;
      setActive(active < 0 ? (step > 0 ? 0 : visible.length - 1) : (active + step + visible.length) % visible.length);
    } else if (event.key === 'Enter') {
      event.preventDefault();
      if (active >= 0) choose(visible[active]);
    } else if (event.key === 'Escape') {
      // A search box's own Escape only empties it, so with words typed it took two presses to
      // leave; Escape here always closes, choosing nothing, as it does in every other dialog.
      event.preventDefault();
      handle.close();
    }
  });

  render('');
  return handle.closed.then((value) => value || null);

  function render(text) {
    const words = text.toLowerCase().split(/\s+/).filter(Boolean);
    visible = candidates.filter((model) => {
      const hay = `${model.name} ${model.id} ${model.provider.name} ${model.description}`.toLowerCase();
      return words.every((word) => hay.includes(word));
    });
    const groups = new Map();
    for (const model of visible) {
      if (!groups.has(model.provider.id)) groups.set(model.provider.id, { provider: model.provider, models: [] });
      groups.get(model.provider.id).models.push(model);
    }
    visible = [...groups.values()].flatMap((group) => group.models);
    replace(list, [...groups.values()].map((group) => {
      const headingId = uniqueId('provider');
      return h('div', { class: 'model-group', role: 'group', 'aria-labelledby': headingId },
        h('div', { class: 'model-group__name', id: headingId, role: 'presentation' }, group.provider.name),
        group.models.map((model) => option(model)));
    }));
    count.textContent = visible.length ? `${visible.length} model${visible.length === 1 ? '' : 's'}` : '';
    if (!visible.length) {
      list.append(h('p', { class: 'model-list__empty' }, `No model for ${typeName || type} matches “${text.trim()}”.`));
    }
    const selected = visible.findIndex((m) => m.id === selectedId);
    setActive(words.length ? (visible.length ? 0 : -1) : selected >= 0 ? selected : (visible.length ? 0 : -1), { scroll: true });
  }

  function option(model) {
    const chosen = model.id === selectedId;
    return h('div', {
      class: ['model-option', !model.available && 'model-option--locked'],
      role: 'option',
      id: `${listId}-${cssId(model.id)}`,
      'aria-selected': chosen ? 'true' : 'false',
      'aria-disabled': model.available ? null : 'true',
      dataset: { modelId: model.id },
      onclick: () => choose(model),
      onpointermove: () => {
        const i = visible.indexOf(model);
        if (i !== active) setActive(i, { scroll: false });
      },
    },
    h('span', { class: 'model-option__check', 'aria-hidden': 'true' }, chosen && icon('check', { size: 'sm' })),
    h('span', { class: 'model-option__main' },
      h('span', { class: 'model-option__top' },
        h('span', { class: 'model-option__name' }, model.name),
        h('span', { class: 'model-option__badges' }, modelBadges(model))),
      h('span', { class: 'model-option__desc' }, model.description)),
    h('span', { class: 'model-option__price' }, model.price));
  }

  function setActive(index, { scroll = true } = {}) {
    list.querySelector('.model-option.is-active')?.classList.remove('is-active');
    active = index;
    note.hidden = true;
    if (index < 0) {
      search.removeAttribute('aria-activedescendant');
      return;
    }
    const el = list.querySelector(`[data-model-id="${CSS.escape(visible[index].id)}"]`);
    el.classList.add('is-active');
    search.setAttribute('aria-activedescendant', el.id);
    if (scroll) el.scrollIntoView({ block: 'nearest' });
  }

  function choose(model) {
    if (!model.available) {
      note.hidden = false;
      note.className = 'model-dialog__note alert alert--info';
      // How to add a key is already said once above the list (any locked model puts it there).
      replace(note, icon('key'), h('span', `${model.name} needs a fal.ai key on this server before it can be chosen; how to add one is explained above.`));
      return;
    }
    handle.close(model);
  }
}

/** Groups with a model this server can run come first; inside a group, recommended first. */
function order(models) {
  const groups = new Map();
  for (const model of models) {
    if (!groups.has(model.provider.id)) groups.set(model.provider.id, []);
    groups.get(model.provider.id).push(model);
  }
  const list = [...groups.values()];
  list.sort((a, b) => b.some((m) => m.available) - a.some((m) => m.available));
  return list.flatMap((group) => [...group].sort((a, b) => (b.available - a.available) || (b.recommended - a.recommended)));
}

function cap(text) {
  const value = String(text || '');
  return value ? value[0].toUpperCase() + value.slice(1) : '';
}

function cssId(id) {
  return id.replace(/[^a-zA-Z0-9_-]/g, '-');
}
