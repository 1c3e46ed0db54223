// model-selector-dialog: search, the models of one generation type grouped by provider, badges,
// price, a checkmark on the chosen one. The search forgives (model-search.js): words in any
// order, small typos; best matches first. When nothing of this type matches but models of other
// types do, it says so and offers to show them ("3 models match in Image to image — Show
// them"); one chosen there brings its type. Keyboard: type to filter, Down/Up move the active
// option (aria-activedescendant on the search box), Enter chooses (the first match, once
// something is typed), Escape closes (focus goes back to the model card). Hosted models without
// a fal.ai key stay visible, marked, and cannot be chosen. A search that names a family the
// studio cannot offer (Sora 2, Runway) says why, and offers the models that stand in for it.
//
//   const chosen = await openModelDialog({ models, types, type, selectedId, unavailable });   // {model, type} | null: closed
//   (unavailable: the families it cannot offer, or a promise of them: a search names them once in)

import { h, replace, uniqueId } from '../dom.js';
import { openDialog } from '../ui/dialog.js';
import { icon } from '../ui/icons.js';
import { modelsFor } from './catalog.js';
import { searchModels, words } from './model-search.js';

// Plain words for the person using the studio, with what the one running it needs to know.
export const KEY_HELP = 'Hosted models run on fal.ai and need a key on this server: whoever runs the studio sets FAL_KEY where it starts (make run, or the catalog and worker services) and restarts it. Offline models (Local …) work without one.';

/** Prices up to this long fit the price column on one line. */
const PRICE_COLUMN_CHARS = 24;
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

export function openModelDialog({ models, types = [], type, selectedId, typeName, unavailable = [] }) {
  // Opened before they arrived, the dialog still names them: a search already typed is redone.
  let families = Array.isArray(unavailable) ? unavailable : [];
  const labelOf = (id) => types.find((t) => t.id === id)?.label || (id === type && typeName) || id;
  let current = type; // the type whose models are listed: another one's once "Show them" is pressed
  let candidates = order(modelsFor(models, current));
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
  const list = h('div', { class: 'model-list', role: 'listbox', id: listId, 'aria-label': `Models for ${labelOf(type)}` });
  // In the list's place, not in it: a listbox holds options only.
  const empty = h('p', { class: 'model-list__empty', hidden: true });
  // A live region kept in the page (empty, it takes no room): one shown only when there is
  // something to say is not announced reliably, and a refusal must be heard (focus stays in the search).
  const note = h('p', { class: 'model-dialog__note', role: 'status' });
  const keyHelp = h('div', { class: 'alert alert--info model-dialog__key' }, icon('key'), h('span', KEY_HELP));
  // What other types hold when this one has no match, and which type is shown after a switch.
  const elsewhere = h('div', { class: 'model-dialog__elsewhere', hidden: true });
  const switched = h('div', { class: 'model-dialog__switched', hidden: true });
  // A family searched for that is not offered here, why, and what stands in for it.
  const absent = h('div', { class: 'model-dialog__absent', hidden: true });
  let visible = [];
  let active = -1;

  const handle = openDialog({
    title: 'Choose a model',
    wide: true,
    className: 'model-dialog',
    content: h('div', { class: 'model-dialog__content' },
      h('div', { class: 'search' }, icon('search'), search),
      keyHelp, switched, absent, count, elsewhere, list, empty, note),
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

  showType(type);
  if (!Array.isArray(unavailable)) {
    Promise.resolve(unavailable).then((arrived) => {
      families = arrived || [];
      if (search.isConnected && families.length) render(search.value);
    }, () => {});
  }
  return handle.closed.then((value) => value || null);

  /** List the models of `typeId`, keeping what is typed; the search box keeps the focus. */
  function showType(typeId) {
    current = typeId;
    candidates = order(modelsFor(models, current));
    // Any locked model puts the help about keys above the list, once.
    keyHelp.hidden = !candidates.some((m) => !m.available);
    list.setAttribute('aria-label', `Models for ${labelOf(current)}`);
    switched.hidden = current === type;
    if (!switched.hidden) {
      replace(switched, icon('info', { size: 'sm' }),
        h('span', `Showing models for ${labelOf(current)}: choosing one switches the panel to that type.`),
        h('button', { type: 'button', class: 'button button--ghost button--sm', onclick: () => { showType(type); search.focus(); } }, `Back to ${labelOf(type)}`));
    }
    render(search.value);
  }

  function render(text) {
    const typed = words(text);
    visible = searchModels(candidates, text);
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
    const family = typed.length ? absentFamily(families, typed, models) : null;
    showAbsent(family);
    const offers = visible.length || !typed.length ? [] : otherTypes(text);
    const here = current === type ? '' : ` in ${labelOf(current)}`;
    const none = `No model for ${labelOf(current)} matches “${text.trim()}”.`;
    // The live region says it all: the count, or that none match here and where some do.
    count.textContent = [family && absentSaid(family), visible.length
      ? `${plural(visible.length)}${here}`
      : typed.length ? [none, ...offers.map((offer) => `${matching(offer.count)} in ${offer.label}.`)].join(' ') : `There is no model for ${labelOf(current)}.`].filter(Boolean).join(' ');
    // With nothing listed, the list says so and the offers say where: the live region is read, not shown twice.
    count.classList.toggle('visually-hidden', !visible.length);
    elsewhere.hidden = !offers.length;
    replace(elsewhere, offers.map((offer) => h('p', { class: 'model-dialog__offer' },
      icon('search', { size: 'sm' }),
      h('span', `${matching(offer.count)} in ${offer.label}`),
      h('button', { type: 'button', class: 'button button--sm', onclick: () => { showType(offer.id); search.focus(); } },
        'Show them', h('span', { class: 'visually-hidden' }, ` in ${offer.label}`)))));
    empty.hidden = Boolean(visible.length);
    list.hidden = !visible.length;
    search.setAttribute('aria-expanded', String(Boolean(visible.length)));
    empty.textContent = visible.length ? '' : typed.length ? none : `There is no model for ${labelOf(current)}.`;
    const selected = visible.findIndex((m) => m.id === selectedId);
    setActive(typed.length ? (visible.length ? 0 : -1) : selected >= 0 ? selected : (visible.length ? 0 : -1), { scroll: true });
  }

  /** Say that `family` (or nothing, when null) is not offered here, with a way to each model
   * standing in for it: its name searched for, in a type that has it. */
  function showAbsent(family) {
    absent.hidden = !family;
    if (!family) {
      replace(absent);
      return;
    }
    replace(absent, icon('info', { size: 'sm' }),
      h('span', absentSaid(family)),
      h('span', { class: 'model-dialog__stand-ins' }, standIns(family).map((model) => h('button', {
        type: 'button',
        class: 'button button--sm',
        onclick: () => {
          search.value = model.name;
          showType(model.types.includes(current) ? current : model.types[0]);
          search.focus();
        },
      }, `Show ${model.name}`))));
  }

  /** The models standing in for `family`, those of the type shown first, one per name's start
   * ("Veo 3.1", not also "Veo 3.1 Image to Video"). */
  function standIns(family) {
    const found = family.stand_ins.map((id) => models.find((m) => m.id === id)).filter(Boolean);
    const ordered = [...found.filter((m) => m.types.includes(current)), ...found.filter((m) => !m.types.includes(current))];
    return ordered.filter((model, i) => !ordered.slice(0, i).some((other) => model.name.startsWith(other.name) || other.name.startsWith(model.name)));
  }

  /** The other types with models matching `text`: [{id, label, count}], in the types' order. */
  function otherTypes(text) {
    const ids = types.length ? types.map((t) => t.id) : [...new Set(models.flatMap((m) => m.types))];
    return ids.filter((id) => id !== current)
      .map((id) => ({ id, label: labelOf(id), count: searchModels(modelsFor(models, id), text).length }))
      .filter((offer) => offer.count > 0);
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
    // A short price is a column to scan; a long one ("$0.009–0.013 (low), …") is a line of its
    // own under the description, not a column wrapped to four lines.
    h('span', { class: ['model-option__price', String(model.price || '').length > PRICE_COLUMN_CHARS && 'model-option__price--long'] }, model.price));
  }

  function setActive(index, { scroll = true } = {}) {
    list.querySelector('.model-option.is-active')?.classList.remove('is-active');
    active = index;
    clearNote();
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
      note.className = 'model-dialog__note alert alert--info';
      // How to add a key is already said once above the list (any locked model puts it there).
      replace(note, icon('key'), h('span', `${model.name} needs a fal.ai key on this server before it can be chosen; how to add one is explained above.`));
      return;
    }
    handle.close({ model, type: current });
  }

  function clearNote() {
    if (!note.firstChild) return;
    note.className = 'model-dialog__note';
    replace(note);
  }
}

/** The unavailable family the words typed name, or null: each word is the start of a word of
 * its name or its provider's, and one of them of its own name ("sora", "runway gen"); the name
 * of a provider with models here ("openai") names those, not what it lacks. */
function absentFamily(families, typed, models) {
  const starts = (token, list) => list.some((word) => word === token || (token.length >= 3 && word.startsWith(token)));
  return families.find((family) => {
    const own = words(family.family);
    const provider = words(family.provider);
    if (!typed.every((token) => starts(token, [...own, ...provider])) || !typed.some((token) => starts(token, own))) return false;
    // "runway" names the family of a provider with no model here; "openai" names GPT Image.
    return !typed.every((token) => starts(token, provider)) || !models.some((model) => model.provider.name === family.provider);
  }) || null;
}

function absentSaid(family) {
  return `${family.family} is not offered here: ${family.reason}`;
}

/** "1 model matches", "3 models match". */
function matching(count) {
  return `${plural(count)} ${count === 1 ? 'matches' : 'match'}`;
}

function plural(count) {
  return `${count} model${count === 1 ? '' : 's'}`;
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
