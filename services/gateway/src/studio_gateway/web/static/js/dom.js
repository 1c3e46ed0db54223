// Building DOM without innerHTML: everything a person typed is shown as text.
//
//   h('button', { class: 'button', type: 'button', onclick: save, disabled: busy }, 'Save')
//
// props: `class` (string or array, falsy entries dropped), `dataset` ({key: value}), `style`
// is refused (CSP: use classes), `on<event>` functions become listeners, `true`/`false`
// toggle boolean attributes, null/undefined are skipped, `value`/`checked` are set as
// properties, anything else is an attribute. Children: nodes, strings (text nodes), numbers,
// arrays (flattened), null/false (skipped).

const SVG_NS = 'http://www.w3.org/2000/svg';
const PROPERTIES = new Set(['value', 'checked', 'selected', 'indeterminate', 'muted', 'volume']);

export function h(tag, props, ...children) {
  if (props instanceof Node || typeof props !== 'object' || props === null || Array.isArray(props)) {
    if (props !== undefined && props !== null) children.unshift(props);
    props = {};
  }
  const el = document.createElement(tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

/** The same for SVG elements (icons). */
export function s(tag, props = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false || child === true) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}

function applyProps(el, props) {
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined) continue;
    if (key === 'class' || key === 'className') {
      const names = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
      if (names) el.setAttribute('class', names);
    } else if (key === 'dataset') {
      for (const [name, data] of Object.entries(value)) {
        if (data !== null && data !== undefined) el.dataset[name] = String(data);
      }
    } else if (key === 'style') {
      throw new Error('h(): inline styles are refused by the CSP; use a class');
    } else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (PROPERTIES.has(key)) {
      el[key] = value;
    } else if (value === true) {
      el.setAttribute(key, '');
    } else if (value === false) {
      el.removeAttribute(key);
    } else {
      el.setAttribute(key, String(value));
    }
  }
}

/** Runs `fn` after `ms` of quiet; `.cancel()` drops a pending call. */
export function debounce(fn, ms) {
  let timer;
  const debounced = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  debounced.cancel = () => clearTimeout(timer);
  return debounced;
}

let uid = 0;
/** An id unique in this page, for label/aria wiring. */
export function uniqueId(prefix = 'id') {
  uid += 1;
  return `${prefix}-${uid}`;
}

const REDUCED_MOTION = window.matchMedia('(prefers-reduced-motion: reduce)');

/** Scroll `el` into view, smoothly unless the person asked for less motion: an explicit
 * `behavior: 'smooth'` outranks the stylesheet's reduced-motion rule, so it is chosen here. */
export function scrollIntoViewGently(el, { block = 'nearest' } = {}) {
  el.scrollIntoView({ block, behavior: REDUCED_MOTION.matches ? 'auto' : 'smooth' });
}
