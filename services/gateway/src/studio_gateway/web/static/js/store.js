// Preferences in localStorage, as JSON, under "studio." keys. Never throws: a full, disabled or
// corrupted storage just means defaults.

const PREFIX = 'studio.';
const NEW_PROJECT_DRAFT = 'new-project-draft';

/** Dispatched on window when the last project changes (links that lead to it follow). */
export const LAST_PROJECT_CHANGED = 'studio:last-project';

/** The localStorage key a preference is kept under (a `storage` event names it). */
export function storageKey(key) {
  return PREFIX + key;
}

// Named by functions: merely reading `localStorage` throws where storage is blocked.
const local = () => localStorage;
const session = () => sessionStorage;

export function getPref(key, fallback = null, storage = local) {
  try {
    const raw = storage().getItem(PREFIX + key);
    return raw === null ? fallback : JSON.parse(raw);
  } catch {
    return fallback;
  }
}

export function setPref(key, value, storage = local) {
  try {
    if (value === null || value === undefined) storage().removeItem(PREFIX + key);
    else storage().setItem(PREFIX + key, JSON.stringify(value));
  } catch {
    // Storage full or blocked: the preference lasts for this page only.
  }
}

export const prefs = {
  /** 'dark' | 'light' | null (follow the system). */
  get theme() { return getPref('theme'); },
  set theme(value) { setPref('theme', value); },
  /** 'grid' | 'list' */
  get galleryView() { return getPref('gallery-view', 'grid'); },
  set galleryView(value) { setPref('gallery-view', value); },
  get lastProjectId() { return getPref('last-project'); },
  set lastProjectId(value) {
    setPref('last-project', value);
    window.dispatchEvent(new Event(LAST_PROJECT_CHANGED));
  },
  /** The generation panel's last settings in a project ({type, model_id, params, ...}). */
  panelSettings(projectId) { return getPref(`panel.${projectId}`, null); },
  setPanelSettings(projectId, settings) { setPref(`panel.${projectId}`, settings); },
  /** Forget what the person worked on (prompts typed per project, the last project), keeping
   * how the studio looks: on a shared computer the next person must not find them. */
  forgetWork() {
    try {
      const keys = Array.from({ length: localStorage.length }, (_, i) => localStorage.key(i));
      for (const key of keys) {
        if (key?.startsWith(`${PREFIX}panel.`) || key === `${PREFIX}last-project`) localStorage.removeItem(key);
      }
      sessionStorage.removeItem(PREFIX + NEW_PROJECT_DRAFT);
    } catch {
      // Storage blocked: there is nothing in it to forget.
    }
    window.dispatchEvent(new Event(LAST_PROJECT_CHANGED));
  },
  /** The New project form as typed and not yet sent ({name, description}), for this tab only:
   * kept through a sign-in the session's end asked for, not across tabs or browser restarts. */
  get newProjectDraft() { return getPref(NEW_PROJECT_DRAFT, null, session); },
  set newProjectDraft(draft) { setPref(NEW_PROJECT_DRAFT, draft || null, session); },
};
