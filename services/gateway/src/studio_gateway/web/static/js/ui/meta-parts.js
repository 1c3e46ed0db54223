// A row of facts ("Created 2 days ago · Never used · Never expires") that wraps between its
// parts, never inside one, and never starts a line with a dot: each part is an item and the dot
// before it is drawn by CSS (components.css, `.meta-parts`).
//
//   metaParts(['Created 2 days ago', 'Never used', expiry], 'list__meta')

import { h } from '../dom.js';

/** `parts`: strings or nodes (falsy ones are left out); `className`: the row's own class. */
export function metaParts(parts, className = null) {
  return h('span', { class: ['meta-parts', className] },
    h('span', { class: 'meta-parts__row' },
      parts.filter(Boolean).map((part) => h('span', { class: 'meta-parts__item' }, part))));
}
