// What the generation panel says about its references beyond what the slot says itself
// (panel-references.js), on the slot: more files of a kind than the chosen model takes (said
// at once, and gone once it takes them), an upload Generate waits for (said until it ends), and
// a file the model needs that is missing.
//
//   const checks = referenceChecks({ refs, model: () => model });
//   refs onChange → checks.settled(); a model chosen → checks.sayTooMany(); Generate → if (!checks.pass()) return;

import { referenceInputs } from './catalog.js';
import { NOUN, aFile, labelsFiles } from './reference-roles.js';

export function referenceChecks({ refs, model }) {
  let waitingForUpload = false;
  let tooManyShown = false;
  return {
    /** After the slot changed: what no longer holds goes. */
    settled() {
      uploadSettled();
      if (model() && !refs.el.hidden) showTooMany(tooMany());
    },
    /** References chosen for a model that takes more stay (switching back keeps them), but the slot says at once that this one takes fewer. */
    sayTooMany() {
      showTooMany(tooMany());
    },
    /** Whether Generate may send the references; if not, the slot says why and takes the focus. */
    pass() {
      if (refs.el.hidden) return true;
      if (refs.uploading()) {
        refs.el.fieldApi.setError('Wait for the upload to finish.');
        waitingForUpload = true;
        return false;
      }
      const said = tooMany();
      if (said) {
        showTooMany(said);
        refs.el.querySelector('.refs__remove')?.focus();
        return false;
      }
      const [missing] = refs.missing();
      if (missing) {
        // Named by what it is for when the model takes files for distinct inputs (the start frame).
        const role = missing.label.toLowerCase();
        const what = labelsFiles(referenceInputs(model())) && role !== NOUN[missing.media] ? `the ${role} (${aFile(missing.media)})` : aFile(missing.media);
        refs.el.fieldApi.setError(`Add ${what} to start from.`);
        refs.el.querySelector('button')?.focus();
        return false;
      }
      return true;
    },
  };

  /** "Wait for the upload to finish" holds only while one is running. */
  function uploadSettled() {
    if (!waitingForUpload || refs.uploading()) return;
    waitingForUpload = false;
    refs.el.fieldApi.setError(null);
  }

  /** "Remove 2" holds only while there are too many. */
  function showTooMany(message) {
    if (!message && !tooManyShown) return;
    tooManyShown = Boolean(message);
    refs.el.fieldApi.setError(message);
  }

  /** What to say when the slot holds more files of a kind than the chosen model takes, else null. */
  function tooMany() {
    const said = refs.excess().map(({ kind, limit, extra }) => {
      const noun = kind === 'audio' ? 'sound' : kind;
      return `${model().name} takes ${limit === 1 ? `one ${noun}` : `up to ${limit} ${noun}s`}: remove ${extra}.`;
    });
    return said.length ? said.join(' ') : null;
  }
}
