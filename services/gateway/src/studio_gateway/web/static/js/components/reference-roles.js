// What each reference file is for, as the server will bind it (catalog.js `referenceInputs`,
// `bindReferences`), said in words for the panel's reference area: the role each file takes
// ("Start frame", "Image 2", "Not used"), the inputs a model takes in order (ticked once
// given), and the inputs a file reaches only by naming them (GPT Image's mask, after its list
// of images): the choices a file of that kind offers, and how to give one.
//
//   const roles = rolesOf(inputs, heldFiles);   // heldFiles: [{kind, param?}]; Map(file → 'Start frame' | 'Not used' | null)
//   replace(list, planItems(inputs, roles.bound)); choicesFor(inputs, 'image'); howToName(inputs)

import { h } from '../dom.js';
import { INPUT_FILES_MAX } from '../limits.js';
import { icon } from '../ui/icons.js';
import { MEDIA_ICONS, bindReferences } from './catalog.js';

export const NOUN = { image: 'image', video: 'video', audio: 'sound', model3d: '3D model' };
export const NOT_USED = 'Not used';

/** "an image", "a sound": what a file of `media` is called in a sentence. */
export function aFile(media) {
  const noun = NOUN[media] || 'file';
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

/** How many files of `kind` the server binds: one per input, any number for a list that can
 * be reached; never more than the API's `INPUT_FILES_MAX`; one for a kind only the type names. */
export function kindLimit(inputs, kind) {
  const own = inputs.filter((input) => input.media === kind && input.reachable);
  const count = own.some((input) => input.list) ? INPUT_FILES_MAX : own.length;
  return Math.min(count, INPUT_FILES_MAX) || 1;
}

/** Whether each file says which input it goes to: the model sends files to distinct inputs. */
export function labelsFiles(inputs) {
  return inputs.length > 1;
}

/**
 * The role of each of `files` ({kind}, in the order they are sent): a Map to its words, or
 * `NOT_USED` for a file no input is left for, or null where nothing needs saying (one input
 * only; a kind only the type names, whose fate the server's answer says). `bound` is the set of
 * inputs some file goes to.
 */
export function rolesOf(inputs, files) {
  const bindings = bindReferences(inputs, files.map((file) => file.kind), files.map((file) => file.param));
  const labelled = labelsFiles(inputs);
  const roles = new Map();
  files.forEach((file, i) => {
    const binding = bindings[i];
    if (!binding) {
      roles.set(file, inputs.some((input) => input.media === file.kind) ? NOT_USED : null);
      return;
    }
    const { input, nth } = binding;
    const count = bindings.filter((other) => other?.input === input).length;
    roles.set(file, !labelled ? null : input.list && count > 1 ? `${input.label} ${nth}` : input.label);
  });
  roles.bound = new Set(bindings.filter(Boolean).map(({ input }) => input));
  return roles;
}

/** The inputs files go to, in order, for a model that labels its files: each ticked once given. */
export function planItems(inputs, bound) {
  if (!labelsFiles(inputs)) return [];
  return inputs.map((input) => {
    const given = bound.has(input);
    return h('li', { class: ['refs__input', given && 'refs__input--given'] },
      icon(given ? 'check' : MEDIA_ICONS[input.media] || 'file', { size: 'sm' }),
      h('span', input.list ? `${input.label}s` : input.label),
      !input.required && h('span', { class: 'refs__input-optional' }, ' (optional)'),
      given && h('span', { class: 'visually-hidden' }, ', added'));
  });
}

/** The inputs a file of `kind` may be sent to, when some of them it reaches only by naming
 * them: [{name, label}], the first ('') the one kind and order give it to; null otherwise. */
export function choicesFor(inputs, kind) {
  const named = inputs.filter((input) => input.media === kind && !input.reachable);
  const list = inputs.find((input) => input.media === kind && input.list);
  if (!named.length || !list) return null;
  return [{ name: '', label: list.label }, ...named.map((input) => ({ name: input.name, label: input.label }))];
}

/** In words, how to give the inputs a file reaches only by naming them; null when there are none. */
export function howToName(inputs) {
  const said = inputs.filter((input) => !input.reachable).map((input) => {
    const noun = NOUN[input.media] || 'file';
    return `To give the ${input.label.toLowerCase()}, add its ${noun} and choose “${input.label}” under “Use as”.`;
  });
  return said.length ? said.join(' ') : null;
}
