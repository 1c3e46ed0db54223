// Skeletons: grey shapes of the final layout while it loads (never a spinner in empty space).
// Containers get aria-busy from the router; skeleton shapes are hidden from screen readers.
//
//   main.append(skeletonGrid(8, skeletonCard))

import { h } from '../dom.js';

export function skeleton(kind = 'text', extra) {
  return h('span', { class: ['skeleton', `skeleton--${kind}`, extra], 'aria-hidden': 'true' });
}

/** A card: media on top, a title and a line of metadata. */
export function skeletonCard() {
  return h('div', { class: 'card', 'aria-hidden': 'true' },
    skeleton('media'),
    h('div', { class: 'card__body' }, skeleton('title'), skeleton('text', 'skeleton--short')));
}

/** A list row: a title and a line of metadata. */
export function skeletonRow() {
  return h('div', { class: 'list__item', 'aria-hidden': 'true' },
    h('div', { class: 'list__main' }, skeleton('title'), skeleton('text', 'skeleton--short')));
}

/** `count` items made by `make`, inside a container with `className`. */
export function skeletonGrid(count, make = skeletonCard, className = 'card-grid') {
  const grid = h('div', { class: className, 'aria-hidden': 'true' });
  for (let i = 0; i < count; i += 1) grid.append(make());
  return grid;
}
