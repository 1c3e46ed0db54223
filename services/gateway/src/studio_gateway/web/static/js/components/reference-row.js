// One file in the generation panel's references slot: its thumbnail, what it goes to (the
// start frame; "Not used: one too many"), its name and size or upload progress or failure, and
// Move earlier / later (only where order decides what a file is) and Remove. Where a file of
// its kind may go to an input it reaches only by naming it (GPT Image's mask), "Use as" chooses.
//
//   list.append(referenceRow(item, { role, same, movable, choices, onMove(step), onRemove(), onChoose(name) }));

import { h } from '../dom.js';
import { bytes, duration } from '../ui/format.js';
import { icon } from '../ui/icons.js';
import { metaParts } from '../ui/meta-parts.js';
import { MEDIA_ICONS } from './catalog.js';
import { NOT_USED } from './reference-roles.js';

/** A held file's name, as the slot and its announcements say it. */
export function referenceName(item) {
  return item.asset?.name || item.file?.name || 'Reference';
}

/** `role`: what the file goes to (or NOT_USED, or null); `same`: the held files of its kind, in
 * order; `movable`: whether Move earlier / later show; `choices`: the inputs it may be sent to
 * ([{name, label}], reference-roles.js `choicesFor`), or null. Sets `item.bar` to its progress bar. */
export function referenceRow(item, { role, same, movable, choices = null, onMove, onRemove, onChoose = () => {} }) {
  const name = referenceName(item);
  const src = item.preview || item.asset?.thumbnail_url;
  item.bar = null;
  const status = item.error
    ? h('span', { class: 'refs__error' }, icon('alert', { size: 'sm' }), item.error)
    : item.asset
      ? metaParts([item.asset.width && `${item.asset.width}×${item.asset.height}`, item.asset.duration && duration(item.asset.duration), bytes(item.asset.size)], 'refs__meta')
      : (item.bar = h('progress', { class: 'refs__progress', max: 100, value: Math.round((item.progress || 0) * 100), 'aria-label': `Uploading ${name}` }));
  const at = same.indexOf(item);
  return h('li', { class: ['refs__item', item.error && 'refs__item--error', role === NOT_USED && 'refs__item--unused'], dataset: { assetId: item.asset?.id, key: item.key } },
    h('span', { class: 'refs__thumb' }, src
      ? h('img', { src, alt: '', width: 56, height: 56, decoding: 'async' })
      : icon(MEDIA_ICONS[item.kind] || 'file')),
    h('span', { class: 'refs__info' },
      choices && !item.error && useAs(item, name, choices, role, onChoose),
      role && !(choices && !item.error) && h('span', { class: ['refs__role', role === NOT_USED && 'refs__role--unused'] }, role === NOT_USED ? 'Not used: one too many' : role, h('span', { class: 'visually-hidden' }, ': ')),
      h('span', { class: 'refs__name' }, name),
      status),
    h('span', { class: 'refs__actions' },
      movable && h('button', { type: 'button', class: 'button button--ghost button--icon button--sm refs__move refs__move--up', disabled: at === 0, onclick: () => onMove(-1), title: 'Move earlier' },
        icon('chevron-down', { label: `Move ${name} earlier`, size: 'sm', class: 'refs__up' })),
      movable && h('button', { type: 'button', class: 'button button--ghost button--icon button--sm refs__move refs__move--down', disabled: at === same.length - 1, onclick: () => onMove(1), title: 'Move later' },
        icon('chevron-down', { label: `Move ${name} later`, size: 'sm' })),
      h('button', { type: 'button', class: 'button button--ghost button--icon button--sm refs__remove', onclick: () => onRemove(), title: 'Remove' },
        icon('close', { label: `Remove ${name}`, size: 'sm' }))));
}

/** "Use as [Image 1 | Mask]": the input the file goes to, chosen; `role` says the first choice's
 * place ("Image 2") while the file goes by kind and order. */
function useAs(item, name, choices, role, onChoose) {
  const select = h('select', { class: 'select refs__use-select', 'aria-label': `Use ${name} as`, onchange: () => onChoose(select.value || null) },
    choices.map((choice) => h('option', { value: choice.name, selected: (item.param || '') === choice.name },
      choice.name || !role || role === NOT_USED ? choice.label : role)));
  return h('span', { class: ['refs__use', role === NOT_USED && 'refs__role--unused'] },
    h('span', { class: 'refs__use-label', 'aria-hidden': 'true' }, 'Use as'), select);
}
