// Virtio Privacy loader: the stable entry of the widget (/widget/v1/loader.js). It shows the first
// layer at once from HTML rendered at build time by the widget's own banner component (carried
// here, so it costs no request of its own), loads the
// content-hashed bundle beside it in parallel, starts it (handing over a click made in the
// meantime) and offers window.VirtioPrivacy. `cargo xtask build` fills in the hashed names.
(() => {
  "use strict";
  const script = document.currentScript;
  if (!script) {
    console.error("Virtio Privacy: loader.js must be included with a <script src> tag");
    return;
  }
  const base = new URL(".", script.src);
  const asset = (name) => new URL("assets/" + name, base).href;
  const site = script.dataset.site || "";
  const lang = script.dataset.lang || "";
  const apiBase = script.dataset.api || new URL(script.src).origin;
  const FIRST_LAYERS = __VP_FIRST_LAYERS__;

  // Google's own snippet: gtag() pushes its arguments object, which is what Consent Mode reads.
  window.dataLayer = window.dataLayer || [];
  window.gtag = window.gtag || function gtag() { window.dataLayer.push(arguments); };

  const domReady = document.readyState === "loading"
    ? new Promise((resolve) => document.addEventListener("DOMContentLoaded", resolve, { once: true }))
    : Promise.resolve();

  // The first layer, while the bundle loads: only on a first visit (no stored choice), in the
  // language the bundle will choose (data-lang, the page's lang, the browser's, else Dutch).
  const language = [lang, document.documentElement.lang, ...(navigator.languages || [])]
    .map((tag) => (tag || "").split(/[-_]/)[0].toLowerCase())
    .find((tag) => tag === "nl" || tag === "en") || "nl";
  const firstLayer = FIRST_LAYERS[site + ":" + language];
  // Whether the stored choice still answers for this site: ConsentCookie::is_current_for,
  // generated from the Rust rules by `cargo xtask build` (privacy_shared::cookie::is_current_js).
  const isCurrent = __VP_IS_CURRENT__;
  const stored = isCurrent(document.cookie, site, Math.floor(Date.now() / 1000));
  let started = false;
  let queued = "";
  if (firstLayer && !stored) {
    domReady.then(() => {
      const host = document.createElement("div");
      host.id = "virtio-privacy";
      host.hidden = true;
      const shadow = host.attachShadow({ mode: "open" });
      const link = document.createElement("link");
      link.rel = "stylesheet";
      // A CORS request, as the bundle's module and WebAssembly are: the privacy host serves its
      // assets to every origin.
      link.crossOrigin = "anonymous";
      link.href = asset("__VP_CSS__");
      const root = document.createElement("div");
      root.className = "vp-root";
      shadow.append(link, root);
      document.body.append(host);
      const styled = new Promise((resolve) => { link.onload = resolve; link.onerror = resolve; });
      return styled.then(() => {
        if (started) return;
        root.innerHTML = firstLayer;
        host.hidden = false;
        performance.mark("vp-banner");
        // A choice made before the bundle runs is kept and applied by it as soon as it starts.
        root.addEventListener("click", (event) => {
          const button = event.target instanceof Element && event.target.closest("button[data-vp]");
          if (!button || started) return;
          queued = button.dataset.vp;
          if (queued !== "open-preferences" && queued !== "open-policy") root.replaceChildren();
        });
      });
    }).catch(() => {});
  }

  // A site declared in the privacy server's configuration rather than built in: the widget learns
  // its name and purposes from the server (no first layer ahead of the bundle for it).
  const definition = (site + ":nl") in FIRST_LAYERS
    ? Promise.resolve("")
    : fetch(apiBase + "/api/v1/sites/" + encodeURIComponent(site) + "/config?lang=" + language)
      .then((response) => (response.ok ? response.json() : Promise.reject(new Error(
        "site `" + site + "` is not configured on the privacy server (HTTP " + response.status + ")"))))
      .then((config) => JSON.stringify({
        name: config.name,
        purposes: config.purposes.map((p) => p.id),
        cookies: Object.fromEntries(config.purposes.map((p) => [p.id, p.cookies])),
        storage: Object.fromEntries(config.purposes.map((p) => [p.id, p.storage_keys])),
        theme: config.theme,
      }));

  const ready = Promise.all([import(asset("__VP_MODULE__")), domReady, definition])
    .then(async ([glue, , declared]) => {
      await glue.default({ module_or_path: asset("__VP_WASM__") });
      started = true;
      glue.start(site, lang, apiBase, asset("__VP_CSS__"), queued, declared);
      return glue;
    });

  const listeners = new Map();
  const prefix = "virtio-privacy:";
  const api = Object.assign(window.VirtioPrivacy || {}, {
    ready: ready.then(() => api),
    consent: () => null,
    has: () => false,
    open: (view) => { ready.then((glue) => glue.open(view || "preferences")); },
    setIdentity: (token) => { ready.then((glue) => glue.set_identity(String(token))); },
    on(event, fn) {
      const wrapped = (e) => fn(e.detail);
      listeners.set(fn, wrapped);
      window.addEventListener(prefix + event, wrapped);
    },
    off(event, fn) {
      const wrapped = listeners.get(fn);
      if (wrapped) window.removeEventListener(prefix + event, wrapped);
      listeners.delete(fn);
    },
  });
  window.VirtioPrivacy = api;

  ready.then((glue) => {
    api.consent = () => glue.consent();
    api.has = (purpose) => glue.has(String(purpose));
    window.dispatchEvent(new CustomEvent(prefix + "ready", { detail: glue.consent() }));
  }).catch((error) => console.error("Virtio Privacy failed to start:", error));

  // Any element with data-virtio-privacy="open" reopens the dialog; the button of an iframe
  // placeholder consents to that frame's purpose.
  document.addEventListener("click", (event) => {
    if (!(event.target instanceof Element)) return;
    const opener = event.target.closest("[data-virtio-privacy=open]");
    if (opener) {
      event.preventDefault();
      api.open();
    }
    const placeholder = event.target.closest("[data-vp-placeholder] button")?.parentElement;
    if (placeholder) {
      ready.then((glue) => glue.grant(placeholder.dataset.vpPlaceholder));
    }
  });
})();
