// Virtio Privacy loader: the stable entry of the widget (/widget/v1/loader.js). It reads the
// embedding script tag, loads the content-hashed bundle beside it, starts it and offers
// window.VirtioPrivacy. `cargo xtask build` fills in the hashed file names.
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

  // Google's own snippet: gtag() pushes its arguments object, which is what Consent Mode reads.
  window.dataLayer = window.dataLayer || [];
  window.gtag = window.gtag || function gtag() { window.dataLayer.push(arguments); };

  const domReady = document.readyState === "loading"
    ? new Promise((resolve) => document.addEventListener("DOMContentLoaded", resolve, { once: true }))
    : Promise.resolve();
  const ready = Promise.all([import(asset("__VP_MODULE__")), domReady]).then(async ([glue]) => {
    await glue.default({ module_or_path: asset("__VP_WASM__") });
    glue.start(site, lang, apiBase, asset("__VP_CSS__"), window.gtag);
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
