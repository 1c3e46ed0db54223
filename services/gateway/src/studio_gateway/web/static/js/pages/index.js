// The studio's routes: path → page module (loaded on first visit), title, breadcrumbs, the
// sidebar item it belongs to (nav), and who may see it:
//   access: 'user' (default; signed in when accounts are on), 'guest' (sign-in pages; accounts
//   mode only), 'accounts' (accounts mode only). chrome: false hides sidebar and header.
// Order matters: the first match wins, so fixed paths come before /studio/:id.

const projects = { label: 'Projects', href: '/studio' };

export const routes = [
  { path: '/studio', page: () => import('./projects.js'), title: 'Projects', nav: 'projects' },
  { path: '/studio/new', page: () => import('./new-project.js'), title: 'New project', nav: 'projects', breadcrumbs: [projects, { label: 'New project' }], newProject: false },
  { path: '/studio/sign-in', page: () => import('./sign-in.js'), title: 'Sign in', access: 'guest', chrome: false },
  { path: '/studio/sign-up', page: () => import('./sign-up.js'), title: 'Create account', access: 'guest', chrome: false },
  { path: '/studio/tokens', page: () => import('./tokens.js'), title: 'API tokens', access: 'accounts', nav: 'tokens' },
  { path: '/studio/generations', page: () => import('./generations.js'), title: 'Generations', nav: 'generations' },
  { path: '/studio/assets', page: () => import('./assets.js'), title: 'Assets', nav: 'assets' },
  { path: '/studio/templates', page: () => import('./templates.js'), title: 'Templates', nav: 'templates' },
  { path: '/studio/:id', page: () => import('./project.js'), title: 'Project', nav: 'projects', breadcrumbs: [projects] },
];

export const notFound = { path: '*', page: () => import('./not-found.js'), title: 'Not found' };
