// The API's limits on what people type (studio_contracts.projects): inputs stop where the
// server would refuse.

export const PROJECT_NAME_MAX = 120;
export const PROJECT_DESCRIPTION_MAX = 2000;
