// Tabs with the tablist keyboard pattern: Left/Right (Home/End) move and select, the selected
// tab alone is in the tab order, panels are labelled by their tabs. Each panel starts with a
// heading of its tab's name, seen only by screen readers: heading navigation reaches the panel.
//
//   const tabs = createTabs({ label: 'Project views', tabs: [{ id: 'history', label: 'History', panel }], onSelect });

import { h, uniqueId } from '../dom.js';

export function createTabs({ label, tabs, selected = tabs[0].id, onSelect = () => {} }) {
  const base = uniqueId('tabs');
  const buttons = new Map();
  const panels = new Map();
  const list = h('div', { class: 'tabs', role: 'tablist', 'aria-label': label });
  for (const tab of tabs) {
    const tabId = `${base}-${tab.id}-tab`;
    const panelId = `${base}-${tab.id}-panel`;
    const button = h('button', {
      type: 'button', class: 'tab', role: 'tab', id: tabId, 'aria-controls': panelId, dataset: { tab: tab.id },
      onclick: () => select(tab.id),
    }, tab.label);
    const panel = h('div', { class: 'tab-panel', role: 'tabpanel', id: panelId, 'aria-labelledby': tabId, tabindex: '0' },
      h('h2', { class: 'visually-hidden' }, tab.label), tab.panel);
    buttons.set(tab.id, button);
    panels.set(tab.id, panel);
    list.append(button);
  }
  list.addEventListener('keydown', (event) => {
    const ids = [...buttons.keys()];
    let i = ids.indexOf(current);
    if (event.key === 'ArrowRight') i = (i + 1) % ids.length;
    else if (event.key === 'ArrowLeft') i = (i - 1 + ids.length) % ids.length;
    else if (event.key === 'Home') i = 0;
    else if (event.key === 'End') i = ids.length - 1;
    else return;
    event.preventDefault();
    select(ids[i]);
    buttons.get(ids[i]).focus();
  });
  let current = null;
  select(selected);
  return { list, panels: [...panels.values()], select, get current() { return current; } };

  function select(id) {
    if (id === current) return;
    current = id;
    for (const [key, button] of buttons) {
      const on = key === id;
      button.setAttribute('aria-selected', String(on));
      button.tabIndex = on ? 0 : -1;
      panels.get(key).hidden = !on;
    }
    onSelect(id);
  }
}
