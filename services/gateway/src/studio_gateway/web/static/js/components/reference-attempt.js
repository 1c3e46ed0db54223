// One attempt to add files to the references slot (one pick, drop or paste of one or more
// files): which fit, and, in words, which did not and why. A kind takes up to its limit, and
// `INPUT_FILES_MAX` files in all; a kind of one takes the attempt's first file of it in place
// of the one it holds (not of several kept from a model that took more: which would go is for
// the person to say). The oldest file is never dropped to make room.
//
//   const attempt = newAttempt();
//   if (room(attempt, { kind, name, limits, held: held() })) …;
//   const said = refusal(attempt, { limits, held: held(), owner });   // a sentence, or null

import { INPUT_FILES_MAX } from '../limits.js';
import { NOUN } from './reference-roles.js';

/** How many refused files a message names before it only counts the rest. */
const NAMED_AT_MOST = 3;
const listing = new Intl.ListFormat('en', { type: 'conjunction' });

export function newAttempt() {
  return { took: new Set(), refused: new Map() };
}

/** Whether one more file (`name`, of `kind`) fits beside the `held` files; what does not is
 * noted in `attempt.refused`, for `refusal` to say. */
export function room(attempt, { kind, name, limits, held }) {
  const limit = limits[kind];
  const ofKind = held.filter((item) => item.kind === kind).length;
  const replacing = limit === 1 && ofKind === 1 && !attempt.took.has(kind);
  const fits = (ofKind < limit && held.length < INPUT_FILES_MAX) || replacing;
  if (fits) attempt.took.add(kind);
  else attempt.refused.set(kind, [...(attempt.refused.get(kind) || []), name]);
  return fits;
}

/** Which files of an attempt were not added, and why (a sentence per kind); null if none. */
export function refusal({ refused }, { limits, held, owner }) {
  if (!refused.size) return null;
  return [...refused].map(([kind, names]) => {
    const limit = limits[kind];
    const noun = NOUN[kind] || 'file';
    const takes = limit === 1 ? `one ${noun}` : `up to ${limit} ${noun}s`;
    const named = names.slice(0, NAMED_AT_MOST).map((name) => `“${name}”`);
    const rest = names.length - named.length;
    const which = listing.format(rest ? [...named, `${rest} more`] : named);
    const verb = names.length === 1 ? 'was' : 'were';
    const ofKind = held.filter((item) => item.kind === kind).length;
    const then = limit === 1 && ofKind <= 1 ? '' : ' Remove one to add another.';
    return `${owner || 'This model'} takes ${takes}, so ${which} ${verb} not added.${then}`;
  }).join(' ');
}
