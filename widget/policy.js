// Virtio Privacy policy viewer, made live by the loader without a UI framework and without any
// bundle: the widget's own `PolicyViewer`, which the server renders per language
// (GET /api/v1/policy/view), in a dialog or in the page's mount points, with the contents' links
// and the language switch working. It shares the dialog and the mount points with the preferences
// (dialogs.js). `cargo xtask build` minifies it, names it by content and fills in the name of
// dialogs.js; the loader imports it the first time the policy is shown.
import { deepActiveElement, fetcher, inPage, modal } from "./__VP_DIALOGS_MODULE__";

// `env`: the URL of the policy in a language (`markup(language)`), the page's language
// (`language`), the loader's stylesheet, `widgetShadow` and `theme` as for the preferences, and
// its `failed()` and `recovered()`, which say that a part could not be loaded and take that back.
export const policy = (env) => {
  const fetchers = {};
  const fetchView = (language) => (fetchers[language] = fetchers[language] || fetcher(env.markup(language)))();
  fetchView(env.language).catch(() => {});

  // The text in the other language in place of this one, at the section the reader was at, with
  // the focus on the same button.
  const translate = async (root, to) => {
    const article = root.querySelector("[data-vp=policy]");
    if (!article || article.lang === to) return;
    // The top of what the reader sees: the dialog's, or the window's.
    const top = Math.max(0, article.closest(".vp-dialog")?.getBoundingClientRect().top ?? 0);
    const sections = [...article.querySelectorAll("section[data-anchor]")];
    const at = article.getBoundingClientRect().top < top
      ? sections.find((section) => section.getBoundingClientRect().bottom > top)?.dataset.anchor
      : null;
    let view;
    try {
      view = await fetchView(to);
    } catch (error) {
      console.error("Virtio Privacy could not load the policy in " + to + ":", error);
      env.failed();
      return;
    }
    env.recovered();
    const parsed = document.createElement("template");
    parsed.innerHTML = view.inline;
    const fresh = parsed.content.querySelector("[data-vp=policy]");
    if (!fresh || !article.isConnected) return;
    article.replaceWith(fresh);
    if (at) fresh.querySelector(`section[data-anchor="${CSS.escape(at)}"]`)?.scrollIntoView();
    fresh.querySelector(`[data-vp=policy-${to}]`)?.focus({ preventScroll: true });
  };
  // A link of the contents moves to its section, and the focus with it (inside a shadow root the
  // browser would look for the anchor in the page); the language buttons translate.
  const clicked = (root, event) => {
    const target = event.target instanceof Element ? event.target : null;
    const link = target?.closest(".vp-toc a[href^='#']");
    if (link) {
      event.preventDefault();
      const heading = root.querySelector("#vp-policy-" + CSS.escape(link.getAttribute("href").slice(1)));
      heading?.scrollIntoView();
      heading?.focus({ preventScroll: true });
    }
    const hook = target?.closest("button[data-vp]")?.dataset.vp;
    if (hook === "close") dialog.close();
    if (hook === "policy-nl" || hook === "policy-en") translate(root, hook.slice("policy-".length));
  };
  const dialog = modal(env, "vp-policy-view", clicked);

  return {
    // Opens the dialog (or moves the focus into it when it is open); settles once it shows.
    open: async () => {
      const opener = deepActiveElement();
      const view = await fetchView(env.language);
      dialog.open(opener, view, (mount) => { mount.innerHTML = view.dialog; });
    },
    // Shows the policy in each of the page's mount points.
    mount: async (hosts) => {
      const view = await fetchView(env.language);
      inPage(env, hosts, view, (root) => { root.innerHTML = view.inline; }, clicked);
    },
  };
};
