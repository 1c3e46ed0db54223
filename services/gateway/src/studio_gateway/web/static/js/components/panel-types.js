// The generation panel's type picker: a radio group of the generation types (skeletons until
// the catalog is in) with one tab stop, the checked type; arrows, Home and End move the choice
// and the focus with it.
//
//   const picker = typePicker({ labelledBy, current: () => typeId, onPick(typeId, { focus }) {} });
//   field.append(picker.el); picker.render(types); picker.check(typeId, { focus })

import { h, replace } from '../dom.js';
import { icon } from '../ui/icons.js';
import { skeleton } from '../ui/skeleton.js';
import { TYPE_ICONS } from './catalog.js';

const STEPS = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };

export function typePicker({ labelledBy, current, onPick }) {
  const el = h('div', { class: 'type-picker', role: 'radiogroup', 'aria-labelledby': labelledBy },
    Array.from({ length: 7 }, () => skeleton('text', 'type-picker__skeleton')));
  return { el, render, check };

  /** Once the catalog is in; once only, as it adds the keyboard's listener. */
  function render(types) {
    replace(el, types.map((type) => h('button', {
      type: 'button',
      class: 'type-picker__option',
      role: 'radio',
      'aria-checked': 'false',
      tabindex: '-1',
      dataset: { type: type.id },
      onclick: () => onPick(type.id),
    }, icon(TYPE_ICONS[type.id] || 'sparkles'), h('span', type.label))));
    el.addEventListener('keydown', (event) => {
      let index = types.findIndex((t) => t.id === current());
      if (event.key in STEPS) index = (index + STEPS[event.key] + types.length) % types.length;
      else if (event.key === 'Home') index = 0;
      else if (event.key === 'End') index = types.length - 1;
      else return;
      event.preventDefault();
      onPick(types[index].id, { focus: true });
    });
  }

  function check(typeId, { focus = false } = {}) {
    for (const button of el.querySelectorAll('[role=radio]')) {
      const on = button.dataset.type === typeId;
      button.setAttribute('aria-checked', String(on));
      button.tabIndex = on ? 0 : -1;
      if (on && focus) button.focus();
    }
  }
}
