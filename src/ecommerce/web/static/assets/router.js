// One page at a time, chosen by the URL's hash. Each page draws into a view of its own, shown
// only if no newer page started meanwhile: a slow answer for a page the user already left
// never overwrites the one they are on.
import { errorBox, focusMain, h, replace } from "./dom.js";

export function startRouter(root, routes, { before = () => {}, notFound, failed = () => false }) {
  let generation = 0;
  let current = document.createElement("div");

  async function show() {
    before();
    const mine = ++generation;
    current = document.createElement("div");
    const hash = location.hash || "#/";
    const found = routes.find(([pattern]) => pattern.test(hash));
    try {
      await (found ? found[1](hash.match(found[0])) : notFound());
    } catch (error) {
      if (failed(error)) return show(); // the caller changed what applies (signed out, say)
      replace(current, h("h1", { tabindex: "-1" }, "Something went wrong"), errorBox(error));
    }
    // Nothing drawn: the page sent the browser elsewhere (to sign in, say).
    if (mine !== generation || !current.childNodes.length) return;
    root.replaceChildren(current);
    focusMain(root);
  }

  window.addEventListener("hashchange", show);
  // The skip link moves the focus to the content; as a hash it would be a route.
  for (const skip of document.querySelectorAll("a.skip")) {
    skip.addEventListener("click", (event) => {
      event.preventDefault();
      root.focus();
    });
  }
  return { show, view: () => current };
}
