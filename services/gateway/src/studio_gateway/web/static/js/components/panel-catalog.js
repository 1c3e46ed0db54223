// The generation panel's catalog: the types and models, loaded when the panel is made. If they
// cannot be loaded the panel's alert says so, with Try again (which then moves the focus on),
// and they are asked again by themselves while the failure is one that passes (ui/retry.js).
//
//   const catalog = panelCatalog({ alert, signal, async onLoaded(types, models) {}, onRetried() {} });
//   const ready = catalog.load(); catalog.status() → 'loading' | 'failed' | 'ready'; catalog.sayFailure({ focus: true })

import { errorDetail, errorMessage } from '../api.js';
import { retryBySelf } from '../ui/retry.js';
import { announce } from '../ui/toast.js';
import { loadModels, loadTypes, loadUnavailable } from './catalog.js';

/** `onLoaded` is awaited: `load()` (and Try again's "Models loaded") settles once the panel has used them. */
export function panelCatalog({ alert, signal, onLoaded, onRetried }) {
  let status = 'loading';
  let failure = null;
  return { load, status: () => status, sayFailure };

  async function load() {
    status = 'loading';
    let types;
    let models;
    try {
      [types, models] = await Promise.all([loadTypes(), loadModels()]);
    } catch (error) {
      if (signal?.aborted) return;
      status = 'failed';
      failure = error;
      sayFailure({ focus: alert.el.contains(document.activeElement) });
      // Quietly, unlike Try again: nobody pressed anything, so focus stays where it is.
      retryBySelf({ key: alert.el, error, retry: load, wanted: () => !signal?.aborted && failure === error && status === 'failed' });
      return;
    }
    if (signal?.aborted) return;
    // Asked for in the background: a search in the model dialog names them once they are in.
    loadUnavailable();
    status = 'ready';
    alert.hide();
    await onLoaded(types, models);
  }

  function sayFailure({ focus = false } = {}) {
    alert.show(`The models could not be loaded. ${errorMessage(failure)}`, 'error', {
      detail: errorDetail(failure),
      action: { label: 'Try again', icon: 'refresh', run: () => retry() },
    });
    if (focus) alert.el.querySelector('.alert__action')?.focus();
  }

  /** Ask the catalog again (nothing failed is kept: catalog.js forgets a failed load). */
  async function retry() {
    const button = alert.el.querySelector('.alert__action');
    button?.setAttribute('aria-busy', 'true');
    if (button) button.disabled = true;
    await load();
    if (status === 'ready') {
      announce('Models loaded');
      onRetried();
    } else {
      alert.el.querySelector('.alert__action')?.focus();
    }
  }
}
