// The advanced settings of the generation panel, built from the chosen model's parameter
// schema: only what the model declares. negative_prompt → textarea, enums → select (led by
// "Model’s choice", sending nothing, when the model has no default), an `image_size` that takes
// exact pixels → its presets plus "Custom size" (width and height),
// bounded numbers → range with the value shown, seed → number + "Random" switch (random sends
// no seed), booleans → switch, other numbers → number input, strings → text. File inputs and
// the prompt are not here (references and the prompt box hold them).
//
//   const params = paramsForm(model, savedValues, onChange);
//   params.el; params.values(); params.set(values); params.reset();

import { h, uniqueId } from '../dom.js';
import { field } from '../ui/forms.js';
import { enumLabel, paramLabel } from '../ui/params-labels.js';
import { isMediaParam } from './catalog.js';

const FIRST = ['negative_prompt', 'image_size', 'aspect_ratio', 'duration', 'num_inference_steps', 'guidance_scale', 'strength', 'num_images'];
const RANGE_MAX_STEPS = 200;
const MODEL_CHOICE = 'Model’s choice';
const CUSTOM_SIZE = 'custom';
const CUSTOM_SIZE_START = 1024;

export function paramsForm(model, saved = {}, onChange = () => {}) {
  const entries = Object.entries(model?.params || {})
    // The prompt box fills `prompt`, or the parameter a model takes instead (`prompt_param`).
    .filter(([name, spec]) => name !== 'prompt' && name !== model?.prompt_param && !isMediaParam(spec));
  entries.sort(([a], [b]) => rank(a) - rank(b));
  const controls = new Map(); // name → {get(), set(value), reset()}
  const el = h('div', { class: 'params' });

  for (const [name, spec] of entries) {
    const control = name === 'seed' ? seedControl(spec) : build(name, spec);
    controls.set(name, control);
    el.append(control.el);
  }
  if (!entries.length) el.append(h('p', { class: 'muted params__none' }, 'This model has no settings to adjust.'));
  set(saved || {});
  el.addEventListener('input', () => onChange());
  el.addEventListener('change', () => onChange());

  return {
    el,
    names: [...controls.keys()],
    /** What to send: every shown parameter, the seed only when it is fixed. */
    values() {
      const out = {};
      for (const [name, control] of controls) {
        const value = control.get();
        if (value !== undefined) out[name] = value;
      }
      return out;
    },
    /** For remembering: includes the seed mode. */
    state() {
      const out = this.values();
      const seed = controls.get('seed');
      if (seed) out.__seedRandom = seed.random();
      return out;
    },
    set,
    reset() {
      for (const control of controls.values()) control.reset();
      onChange();
    },
    /** A setting that cannot be sent as it is gets its message at its field and the focus,
     * after `reveal()` (the panel opens its advanced settings); false then. (A fixed seed left
     * empty was sent as no seed: a random one, unsaid.) */
    check(reveal = () => {}) {
      for (const control of controls.values()) {
        const problem = control.problem?.();
        if (!problem) continue;
        // A message, or {message, input}: the box it is about (an empty Height) takes the focus.
        const { message, input } = typeof problem === 'string' ? { message: problem, input: null } : problem;
        reveal();
        control.el.fieldApi.setError(message);
        (input || control.el.fieldApi.input).focus();
        return false;
      }
      return true;
    },
  };

  function set(values) {
    for (const [name, control] of controls) {
      if (name === 'seed') control.setSeed(values.seed, values.__seedRandom);
      else if (values[name] !== undefined && values[name] !== null) control.set(values[name]);
    }
  }
}

function rank(name) {
  const i = FIRST.indexOf(name);
  if (name === 'seed') return 1000;
  return i < 0 ? 100 : i;
}

function build(name, spec) {
  const label = paramLabel(name);
  const hint = spec.description || null;
  const initial = spec.default;
  if (spec.type === 'image_size') return sizeControl(name, spec, label, hint);
  if (spec.enum) {
    // No default and not required: the model decides (FLUX Kontext keeps the input's aspect
    // ratio), so the first choice is to send nothing rather than the list's first value.
    const open = (initial === null || initial === undefined) && !spec.required;
    const select = h('select', { class: 'select' },
      open && h('option', { value: '' }, MODEL_CHOICE),
      spec.enum.map((value) => h('option', { value: String(value) }, enumLabel(name, value))));
    const f = field({ label, name, input: select, hint, optional: open });
    const get = () => (open && select.value === '' ? undefined : spec.enum.find((value) => String(value) === select.value) ?? select.value);
    const setValue = (value) => { if (spec.enum.some((v) => String(v) === String(value))) select.value = String(value); };
    const toDefault = () => { if (open) select.value = ''; else setValue(initial ?? spec.enum[0]); };
    toDefault();
    return { el: f.el, get, set: setValue, reset: toDefault };
  }
  if (spec.type === 'boolean') {
    const input = h('input', { type: 'checkbox', role: 'switch', class: 'switch__input', id: uniqueId(`param-${name}`), checked: Boolean(initial) });
    const el = h('div', { class: 'field', dataset: { field: name } },
      h('label', { class: 'switch' }, input, h('span', { class: 'switch__track', 'aria-hidden': 'true' }), h('span', { class: 'switch__label' }, label)),
      hint && h('p', { class: 'field__hint' }, hint));
    return { el, get: () => input.checked, set: (value) => { input.checked = Boolean(value); }, reset: () => { input.checked = Boolean(initial); } };
  }
  if (spec.type === 'integer' || spec.type === 'number') {
    const integer = spec.type === 'integer';
    const bounded = spec.minimum !== null && spec.minimum !== undefined && spec.maximum !== null && spec.maximum !== undefined;
    const step = integer ? 1 : stepFor(spec.maximum - spec.minimum);
    if (bounded && (spec.maximum - spec.minimum) / step <= RANGE_MAX_STEPS) {
      const fallback = initial ?? spec.minimum;
      const input = h('input', { type: 'range', class: 'range', min: spec.minimum, max: spec.maximum, step, value: String(fallback) });
      const output = h('output', { class: 'range__value', 'aria-hidden': 'true' });
      const show = () => { output.textContent = format(Number(input.value), step); input.setAttribute('aria-valuetext', output.textContent); };
      input.addEventListener('input', show);
      const f = field({ label, name, input, hint });
      f.el.classList.add('field--range');
      const labelEl = f.el.querySelector('.field__label');
      const head = h('div', { class: 'field__head' });
      labelEl.replaceWith(head);
      head.append(labelEl, output);
      const setValue = (value) => { input.value = String(value); show(); };
      setValue(fallback);
      return { el: f.el, get: () => (integer ? parseInt(input.value, 10) : Number(input.value)), set: setValue, reset: () => setValue(fallback) };
    }
    const input = h('input', { type: 'number', class: 'input', inputmode: integer ? 'numeric' : 'decimal', min: spec.minimum ?? null, max: spec.maximum ?? null, step: integer ? 1 : 'any' });
    const f = field({ label, name, input, hint, optional: initial === null || initial === undefined });
    const setValue = (value) => { input.value = value === null || value === undefined ? '' : String(value); };
    setValue(initial);
    return {
      el: f.el,
      get: () => (input.value === '' ? undefined : Number(input.value)),
      set: setValue,
      reset: () => setValue(initial),
    };
  }
  const multiline = /prompt|text|lyrics/.test(name);
  const input = multiline
    ? h('textarea', { class: 'textarea textarea--short', rows: 2 })
    : h('input', { type: 'text', class: 'input', autocomplete: 'off' });
  const f = field({ label, name, input, hint, optional: !spec.required });
  const setValue = (value) => { input.value = value === null || value === undefined ? '' : String(value); };
  setValue(initial);
  return {
    el: f.el,
    get: () => (input.value === '' && (initial === null || initial === undefined) ? undefined : input.value),
    set: setValue,
    reset: () => setValue(initial),
  };
}

/** fal's image_size: a preset name, or {width, height} in pixels within the model's bounds
 * (as fal's playground offers it), each side typed in its own labelled box. */
function sizeControl(name, spec, label, hint) {
  const select = h('select', { class: 'select' },
    (spec.enum || []).map((value) => h('option', { value: String(value) }, enumLabel(name, value))),
    h('option', { value: CUSTOM_SIZE }, 'Custom size'));
  const f = field({ label, name, input: select, hint });
  const side = (sideLabel) => {
    const input = h('input', { type: 'number', class: 'input', inputmode: 'numeric', min: spec.minimum ?? 1, max: spec.maximum ?? null, step: 1, value: String(CUSTOM_SIZE_START) });
    const id = uniqueId(`param-${name}-${sideLabel.toLowerCase()}`);
    input.id = id;
    return { input, el: h('div', { class: 'size-row__side' }, h('label', { class: 'field__label', for: id }, sideLabel), input) };
  };
  const width = side('Width');
  const height = side('Height');
  const row = h('div', { class: 'size-row', hidden: true }, width.el, height.el);
  select.after(row);
  const sync = () => { row.hidden = select.value !== CUSTOM_SIZE; };
  select.addEventListener('change', sync);
  const setValue = (value) => {
    if (value && typeof value === 'object') {
      select.value = CUSTOM_SIZE;
      width.input.value = String(value.width ?? CUSTOM_SIZE_START);
      height.input.value = String(value.height ?? CUSTOM_SIZE_START);
    } else if ((spec.enum || []).includes(value)) {
      select.value = value;
    }
    sync();
  };
  const toDefault = () => setValue(spec.default ?? spec.enum?.[0]);
  toDefault();
  // The field's message is read with each box too; a side typed again clears it.
  for (const box of [width, height]) box.input.setAttribute('aria-describedby', select.getAttribute('aria-describedby'));
  row.addEventListener('input', () => f.setError(null));
  return {
    el: f.el,
    // An empty box went as 0 (a size the API refuses, named by neither box): said at the field.
    problem() {
      if (select.value !== CUSTOM_SIZE) return null;
      const empty = [width, height].filter((box) => box.input.value.trim() === '');
      if (!empty.length) return null;
      const message = empty.length === 2 ? 'Enter a width and a height.' : `Enter a ${empty[0] === width ? 'width' : 'height'}.`;
      return { message, input: empty[0].input };
    },
    // Sent as typed: a side out of bounds or with a fraction is refused by the API at this field.
    get: () => (select.value === CUSTOM_SIZE
      ? { width: typedNumber(width.input), height: typedNumber(height.input) }
      : select.value),
    set: setValue,
    reset: toDefault,
  };
}

function seedControl(spec) {
  const input = h('input', { type: 'number', class: 'input', inputmode: 'numeric', min: spec.minimum ?? 0, max: spec.maximum ?? null, step: 1, placeholder: 'Random each time' });
  const f = field({ label: 'Seed', name: 'seed', input, hint: 'The same seed, prompt and settings give the same result.' });
  const random = h('input', { type: 'checkbox', role: 'switch', class: 'switch__input', checked: true });
  const toggle = h('label', { class: 'switch switch--inline' }, random, h('span', { class: 'switch__track', 'aria-hidden': 'true' }), h('span', { class: 'switch__label' }, 'Random'));
  const row = h('div', { class: 'seed-row' });
  input.replaceWith(row);
  row.append(input, toggle);
  // While Random is on the box is empty, so it shows "Random each time" (not a stale or refused
  // seed); the seed typed is kept aside and comes back when Random is turned off.
  let kept = '';
  const sync = () => {
    if (random.checked && input.value !== '') kept = input.value;
    input.disabled = random.checked;
    if (random.checked) input.value = '';
    else if (input.value === '') input.value = kept || String(Math.floor(Math.random() * 1_000_000));
  };
  random.addEventListener('change', () => {
    // A message about the typed seed ("At least 0.") is about a seed that is no longer sent.
    if (random.checked) f.setError(null);
    sync();
    if (!random.checked) input.focus();
  });
  sync();
  return {
    el: f.el,
    random: () => random.checked,
    problem: () => (!random.checked && input.value.trim() === '' ? 'Enter a seed, or turn Random on.' : null),
    // Sent as typed: 1.5 is refused by the API at this field, not quietly made 1.
    get: () => (random.checked || input.value === '' ? undefined : typedNumber(input)),
    set: (value) => { input.value = String(value); random.checked = false; sync(); },
    setSeed(value, isRandom) {
      if (value !== undefined && value !== null) input.value = String(value);
      random.checked = isRandom === undefined ? value === undefined || value === null : Boolean(isRandom);
      sync();
    },
    reset: () => { random.checked = true; input.value = ''; kept = ''; sync(); },
  };
}

/** A number box's value for the API, as typed, except where JSON cannot carry it: a whole
 * number past 2^53 (99…9 would go as 1e+23, which the API takes for a fraction) goes as the
 * largest exact one, past every bound alike, so the API's answer names the bound. */
function typedNumber(input) {
  const value = Number(input.value);
  return Number.isInteger(value) && !Number.isSafeInteger(value) ? Math.sign(value) * Number.MAX_SAFE_INTEGER : value;
}

function stepFor(span) {
  if (span <= 2) return 0.01;
  if (span <= 30) return 0.1;
  return 1;
}

function format(value, step) {
  if (step >= 1) return String(Math.round(value));
  const digits = step < 0.1 ? 2 : 1;
  return value.toFixed(digits);
}
