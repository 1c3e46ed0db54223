import { notFoundState } from '../ui/empty.js';

export async function render(main) {
  main.append(notFoundState());
}
