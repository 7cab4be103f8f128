// Virtio Privacy loader: the stable entry of the widget (/widget/v1/loader.js). It reads the
// embedding script tag, loads the content-hashed bundle beside it and starts it.
// `cargo xtask build` fills in the hashed file names.
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
  const domReady = document.readyState === "loading"
    ? new Promise((resolve) => document.addEventListener("DOMContentLoaded", resolve, { once: true }))
    : Promise.resolve();
  const ready = Promise.all([import(asset("__VP_MODULE__")), domReady]).then(async ([glue]) => {
    await glue.default({ module_or_path: asset("__VP_WASM__") });
    glue.start(site, lang, apiBase, asset("__VP_CSS__"));
  });
  ready.catch((error) => console.error("Virtio Privacy failed to start:", error));
  window.VirtioPrivacy = Object.assign(window.VirtioPrivacy || {}, { ready });
})();
