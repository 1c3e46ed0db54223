import { emptyState } from '../ui/empty.js';

export async function render(main) {
  main.append(emptyState({
    icon: 'search',
    title: 'This page does not exist',
    body: 'The address may be mistyped, or what it showed has been deleted.',
    action: { label: 'Back to projects', href: '/studio', icon: 'arrow-left' },
  }));
}
