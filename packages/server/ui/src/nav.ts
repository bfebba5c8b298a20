/** Shows the page at `path` without reloading: main.ts draws it on the popstate event. */
export function go(path: string): void {
  history.pushState(null, "", path);
  dispatchEvent(new PopStateEvent("popstate"));
}
