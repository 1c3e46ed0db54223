// The API's limits on what people type (studio_contracts.projects, .generations, .accounts,
// .templates): a form says so before sending more (`tooLong` in ui/forms.js).

export const PROJECT_NAME_MAX = 120;
export const PROJECT_DESCRIPTION_MAX = 2000;
export const PROMPT_MAX = 10_000;
/** A search's words (`q` on every list). */
export const SEARCH_MAX = 200;
/** From here the prompt box shows how many characters it holds. */
export const PROMPT_COUNTER_FROM = 9_000;
/** The most reference files one generation takes (`input_asset_ids`, MAX_INPUT_ASSETS). */
export const INPUT_FILES_MAX = 8;
export const TOKEN_NAME_MAX = 100;
export const TEMPLATE_NAME_MAX = 100;
export const TEMPLATE_DESCRIPTION_MAX = 1000;
/** How long a new API token may be given to live (`expires_in_days`, 1 to 3650 days). */
export const TOKEN_EXPIRY_DAYS = [30, 90, 365];
