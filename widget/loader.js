// Virtio Privacy loader: the stable entry of the widget (/widget/v1/loader.js). It shows the first
// layer at once from HTML rendered by the widget's own banner component (carried here, so it costs
// no request of its own), loads the content-hashed bundle beside it in parallel, starts it
// (handing over a click made in the meantime) and offers window.VirtioPrivacy. `cargo xtask build`
// fills in the hashed names; the privacy server fills in its configured sites at start
// (server/src/loader.rs).
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
  // Per configured site: its definition (name, purposes, cookies, storage keys, theme) as JSON
  // for the bundle, and its first layer per language.
  const SITES = __VP_SITES__;
  const configured = Object.prototype.hasOwnProperty.call(SITES, site) ? SITES[site] : null;

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
  const firstLayer = configured && configured.layers[language];
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
      // The site's theme variables, through the CSSOM (which the strict CSP allows), as the
      // bundle sets them.
      for (const [variable, value] of Object.entries(configured.definition.theme || {})) {
        host.style.setProperty(variable, value);
      }
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

  // A site the privacy server does not know cannot be honoured: say so, and start nothing.
  const definition = configured
    ? Promise.resolve(JSON.stringify(configured.definition))
    : Promise.reject(new Error("site `" + site + "` is not configured on the privacy server " +
      "(data-site on the script tag; [sites." + site + "] in its settings)"));

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
