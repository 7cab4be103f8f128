// Virtio Privacy dialogs: the preferences (the second layer), made live by the loader without a
// UI framework, and what they share with the policy viewer (policy.js): a rendered view fetched
// once, a modal dialog in the widget's shadow root, the page's mount points. Their markup is the
// widget's own components (`Preferences`, `PolicyViewer`), which the server renders per language,
// and per site for the preferences (GET /api/v1/sites/{site}/preferences, GET /api/v1/policy/view),
// fetched the first time each is shown, with their stylesheet. What the preferences show of the
// choice and its proof comes from the main bundle's engine (`preferences()`), and a choice goes
// back to it (`decide()`). Opening them thus never costs the views bundle. `cargo xtask build`
// minifies this module and names it by content; the loader imports it when they are first shown.
// Where the focus goes when a dialog closes with no opener to go back to: the first layer
// (privacy_shared::dist::FIRST_LAYER, which the widget's browser.rs reads too; filled in by
// `cargo xtask build`).
const FIRST_LAYER = __VP_FIRST_LAYER__;
const FOCUSABLE = "button:not([disabled]), input:not([disabled]), select:not([disabled]), " +
  "textarea:not([disabled]), a[href], [tabindex]:not([tabindex='-1'])";

// The focused element, looking into shadow roots; none when it is the page's body.
export const deepActiveElement = () => {
  let active = document.activeElement;
  while (active && active.shadowRoot && active.shadowRoot.activeElement) active = active.shadowRoot.activeElement;
  return active === document.body ? null : active;
};

// A rendered view (`{ dialog, inline, css }`) from `url`, fetched once, with its stylesheet made;
// a failed fetch is tried again at the next call.
export const fetcher = (url) => {
  let view = null;
  return () => {
    view = view || fetch(url)
      .then((response) => {
        if (!response.ok) throw new Error(url + " answered " + response.status);
        return response.json();
      })
      .then((rendered) => {
        rendered.sheet = new CSSStyleSheet();
        rendered.sheet.replaceSync(rendered.css);
        return rendered;
      });
    view.catch(() => { view = null; });
    return view;
  };
};

// The loader's stylesheet and the view's on a shadow root, each once.
const adopt = (env, shadow, view) => {
  const sheets = [env.sheet, ...shadow.adoptedStyleSheets, view.sheet];
  shadow.adoptedStyleSheets = sheets.filter((sheet, at) => sheets.indexOf(sheet) === at);
};

const focusable = (root) => [...root.querySelectorAll(FOCUSABLE)];
// Into an opened dialog: its first control after the close button, else the close button.
const focusFirst = (root) => {
  const items = focusable(root);
  (items[1] || items[0])?.focus();
};

// A modal dialog in the widget's shadow root (`env.widgetShadow`), in a mount of `className`:
// `clicked(mount, event)` acts on its buttons; Escape closes it, recording nothing, and Tab and
// Shift+Tab wrap around inside. Closing gives the focus back to the opener; when the opener went
// away, to the widget's element with the same hook (the first layer, shown anew); when there was
// none (a script opened it while nothing had the focus) or neither is there, to the first layer:
// the settings button, or the banner's first button. `closed(mount)`, when given, hears of it.
export const modal = (env, className, clicked, closed) => {
  let current = null;
  const close = () => {
    if (!current) return;
    const { mount, opener } = current;
    current = null;
    closed?.(mount);
    mount.replaceChildren();
    const shadow = env.widgetShadow(false);
    const hook = opener?.dataset?.vp;
    const again = hook && /^[a-z0-9-]+$/.test(hook) && shadow?.querySelector(`[data-vp=${hook}]`);
    (opener?.isConnected ? opener : again || shadow?.querySelector(FIRST_LAYER))?.focus();
  };
  const keyed = (mount, event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
    if (event.key !== "Tab") return;
    const items = focusable(mount);
    const active = mount.getRootNode().activeElement;
    const inside = mount.contains(active);
    if (event.shiftKey && (active === items[0] || !inside)) {
      event.preventDefault();
      items[items.length - 1]?.focus();
    } else if (!event.shiftKey && (active === items[items.length - 1] || !inside)) {
      event.preventDefault();
      items[0]?.focus();
    }
  };
  return {
    close,
    isOpen: (mount) => current !== null && current.mount === mount,
    // Shows the dialog, `fill(mount)` putting its markup in, with the focus moved in (or only the
    // focus, when it is open already).
    open: (opener, view, fill) => {
      if (current) return focusFirst(current.mount);
      const shadow = env.widgetShadow(true);
      adopt(env, shadow, view);
      let mount = shadow.querySelector("." + className);
      if (!mount) {
        mount = document.createElement("div");
        mount.className = className;
        mount.addEventListener("click", (event) => clicked(mount, event));
        mount.addEventListener("keydown", (event) => keyed(mount, event));
        shadow.append(mount);
      }
      current = { mount, opener };
      fill(mount);
      focusFirst(mount);
    },
  };
};

// Shows a view in each of the page's mount points (`hosts`), in a shadow root of its own wearing
// the site's theme: `fill(root)` puts its markup in, `clicked(root, event)` acts on its buttons.
export const inPage = (env, hosts, view, fill, clicked) => {
  for (const host of hosts) {
    if (host.shadowRoot) continue;
    env.theme(host);
    const shadow = host.attachShadow({ mode: "open" });
    adopt(env, shadow, view);
    const root = document.createElement("div");
    root.className = "vp-root";
    root.addEventListener("click", (event) => clicked(root, event));
    shadow.append(root);
    fill(root);
  }
};

// The preferences. `env`: the URL of the site's preferences in the page's language (`markup`), the
// loader's `engine()` (the main bundle's exports, once it runs), the loader's stylesheet (`sheet`),
// the widget's shadow root (`widgetShadow(create)`), the site's theme for a new shadow host
// (`theme(element)`) and the loader's `openView(name)`.
export const preferences = (env) => {
  // The main bundle's exports, once it runs.
  let glue = null;
  const engine = () => env.engine().then((exports) => { glue = exports; });
  // Every shown copy (the dialog's mount, each mount point's root) with the choice its toggles
  // were last set to.
  const shown = new Map();
  const fetchMarkup = fetcher(env.markup);
  // Both start at once: the markup need not wait for the bundle.
  fetchMarkup().catch(() => {});

  // Sets every shown copy to the engine's state: the toggles to the current choice whenever it
  // changed since they were set (switching one is kept until then), and the proof of it.
  const refresh = () => {
    if (!glue) return;
    const state = JSON.parse(glue.preferences());
    for (const [root, setTo] of shown) {
      if (setTo !== state.choice) {
        for (const toggle of root.querySelectorAll("[data-vp-toggle]")) {
          toggle.checked = toggle.disabled || (state.choices || {})[toggle.dataset.vpToggle] === true;
        }
        shown.set(root, state.choice);
      }
      proof(root.querySelector("[data-vp-slot=proof]"), state.proof);
    }
  };
  // The date of the current choice and, once the server recorded it, its receipt with a download
  // of it (the server's JSON, indented for a person to read); nothing without a choice.
  const proof = (slot, words) => {
    if (!slot) return;
    const old = slot.querySelector("[data-vp=receipt-download]");
    if (old) URL.revokeObjectURL(old.href);
    slot.replaceChildren();
    if (!words) return;
    const line = (text, hook) => {
      const paragraph = document.createElement("p");
      paragraph.className = "vp-meta";
      if (hook) paragraph.dataset.vp = hook;
      paragraph.textContent = text;
      return paragraph;
    };
    const block = document.createElement("div");
    block.className = "vp-proof";
    block.dataset.vp = "proof";
    block.append(line(words.given));
    if (words.receipt) {
      const link = document.createElement("a");
      link.className = "vp-link";
      link.dataset.vp = "receipt-download";
      link.download = words.file;
      link.textContent = words.download;
      const json = JSON.stringify(JSON.parse(words.json), null, 2);
      link.href = URL.createObjectURL(new Blob([json], { type: "application/json" }));
      const download = line("");
      download.append(link);
      block.append(line(words.receipt, "receipt"), download);
    } else {
      block.append(line(words.pending, "receipt-pending"));
    }
    slot.append(block);
  };

  // A choice in a copy: applied by the engine at once; the dialog closes on it.
  const clicked = (root, event) => {
    const hook = event.target instanceof Element && event.target.closest("button[data-vp]")?.dataset.vp;
    const toggles = [...root.querySelectorAll("[data-vp-toggle]")];
    const all = (on) => toggles.map((toggle) => [toggle.dataset.vpToggle, toggle.disabled || on]);
    const choices = hook === "save" ? toggles.map((toggle) => [toggle.dataset.vpToggle, toggle.checked])
      : hook === "preferences-accept-all" ? all(true)
        : hook === "preferences-reject-all" ? all(false) : null;
    if (hook === "close") dialog.close();
    if (hook === "open-policy") {
      dialog.close();
      env.openView("policy");
    }
    if (!choices) return;
    glue.decide(JSON.stringify(Object.fromEntries(choices)));
    if (dialog.isOpen(root)) dialog.close();
  };
  const dialog = modal(env, "vp-preferences", clicked, (mount) => shown.delete(mount));
  const show = (root, html) => {
    root.innerHTML = html;
    shown.set(root, undefined);
    refresh();
  };

  return {
    refresh,
    // Opens the dialog (or moves the focus into it when it is open); settles once it shows.
    open: async () => {
      const opener = deepActiveElement();
      const [view] = await Promise.all([fetchMarkup(), engine()]);
      dialog.open(opener, view, (mount) => show(mount, view.dialog));
    },
    // Shows the preferences in each of the page's mount points.
    mount: async (hosts) => {
      const [view] = await Promise.all([fetchMarkup(), engine()]);
      inPage(env, hosts, view, (root) => show(root, view.inline), clicked);
    },
  };
};
