// Virtio Privacy loader: the stable entry of the widget (/widget/v1/loader.js). It applies a
// stored choice at once, from rules generated from the widget's Rust engine: Consent Mode, the
// held-back scripts and iframes, window.VirtioPrivacy. On a returning visit with a current choice
// that is all a page needs, so the content-hashed bundle (the engine in WebAssembly) loads only
// when it is needed: a choice is made, the preferences are opened or have a mount point on the
// page, events wait in the outbox, the customer's identity is set or the choice expires. The
// preferences and the policy viewer are small modules of the loader's (dialogs.js, policy.js) that
// show markup the server renders; the preferences ask the bundle's engine what to show, the policy
// needs no bundle. The rights center is a second bundle (views, yew), fetched only when it is
// opened or has a mount point. The loader shows the first layer (the banner, or the settings
// button of a returning visit) from HTML rendered by the widget's own components; once the
// bundle runs, its engine says which one to show. On a first visit the bundle loads when
// the page is idle or the visitor first turns to the banner, carrying out a click made in the
// meantime. `cargo xtask build` fills in the hashed names; the privacy server fills in its
// configured sites, the words and the rules at start (server/src/loader.rs).
(() => {
  "use strict";
  const script = document.currentScript;
  if (!script) {
    console.error("Virtio Privacy: loader.js must be included with a <script src> tag");
    return;
  }
  const base = new URL(".", script.src);
  const asset = (name) => new URL("assets/" + name, base).href;
  // From the tag's data attributes, or from the query of its URL where a tag manager injects it
  // without attributes (`loader.js?site=virtio-nl&lang=nl`).
  const query = new URL(script.src).searchParams;
  const site = script.dataset.site || query.get("site") || "";
  const lang = script.dataset.lang || query.get("lang") || "";
  const apiBase = script.dataset.api || new URL(script.src).origin;
  // `data-consent="off"`: a page that shows the widget's views (the policy, the rights center)
  // and asks no consent and records none, such as the privacy server's own request status page.
  const viewsOnly = script.dataset.consent === "off";
  // Per configured site: its definition (name, purposes, cookies, storage keys, theme) as JSON
  // for the bundle, and its first layers per language (`banner`, and `gpc`: the banner saying a
  // Global Privacy Control signal was honoured).
  const SITES = __VP_SITES__;
  // Per language: the settings button (HTML), the placeholder's words, every purpose's label.
  const TEXTS = __VP_TEXTS__;
  // The bundle's outbox in localStorage: while it holds events, the bundle must send them.
  const OUTBOX = __VP_OUTBOX__;
  // Per language: the notice hash of the current policy, which a choice made here is recorded
  // against (the server's at the moment it rendered this loader, as the first layer is).
  const NOTICES = __VP_NOTICES__;
  // The paths of the markup of the preferences (`{site}` in it) and of the policy, from the
  // server's endpoint table.
  const PREFERENCES_PATH = __VP_PREFERENCES_PATH__;
  const POLICY_PATH = __VP_POLICY_PATH__;
  // What the engine does on start with a stored cookie, `(cookie, site, now) => { choices,
  // granted, consentMode, expiresAt }`: generated from the Rust rules
  // (privacy_shared::engine::start_js), never written twice.
  const startState = __VP_START__;
  const configured = Object.prototype.hasOwnProperty.call(SITES, site) ? SITES[site] : null;
  // The page's mount points of the preferences, the policy and the rights center.
  const PREFERENCES = "[data-virtio-privacy=preferences]";
  const POLICY = "[data-virtio-privacy=policy]";
  const RIGHTS = "[data-virtio-privacy=rights]";

  // Google's own snippet: gtag() pushes its arguments object, which is what Consent Mode reads.
  window.dataLayer = window.dataLayer || [];
  window.gtag = window.gtag || function gtag() { window.dataLayer.push(arguments); };

  const domReady = document.readyState === "loading"
    ? new Promise((resolve) => document.addEventListener("DOMContentLoaded", resolve, { once: true }))
    : Promise.resolve();

  // The language the bundle will choose: data-lang, the page's lang, the browser's, else Dutch.
  const language = [lang, document.documentElement.lang, ...(navigator.languages || [])]
    .map((tag) => (tag || "").split(/[-_]/)[0].toLowerCase())
    .find((tag) => tag === "nl" || tag === "en") || "nl";
  const texts = TEXTS[language];
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const noChoice = startState("", site, 0);
  // A site the server does not know has no choice to apply.
  const stored = configured ? startState(document.cookie, site, nowSeconds()) : noChoice;
  // The choice that applies now: the stored one until it expires.
  const applying = () => (stored.choices !== null && nowSeconds() < stored.expiresAt ? stored : noChoice);

  // What acts in the host page, for the loader and the bundle alike (the bundle receives it in
  // start()). Consent Mode gets one `default` per page; a later one that says something else is
  // sent as an `update`, one that says the same is dropped.
  let sentMode = null;
  const consentMode = (command, state, waitForUpdate) => {
    const signals = {};
    for (const signal of Object.keys(state).sort()) signals[signal] = state[signal] ? "granted" : "denied";
    const said = JSON.stringify(signals);
    if (command === "default" && sentMode !== null) {
      if (said === sentMode) return;
      command = "update";
    } else if (command === "default" && waitForUpdate) {
      signals.wait_for_update = 500;
    }
    sentMode = said;
    window.gtag("consent", command, signals);
  };
  // Re-creates every held-back <script type="text/plain" data-vp-purpose> of these purposes as a
  // real script (keeping its attributes and nonce; each runs once) and loads every held-back
  // <iframe data-vp-purpose data-src> of them, removing its placeholder.
  const release = (purposes) => {
    for (const held of document.querySelectorAll("script[type='text/plain'][data-vp-purpose]:not([data-vp-activated])")) {
      if (!purposes.includes(held.dataset.vpPurpose)) continue;
      const real = document.createElement("script");
      for (const { name, value } of held.attributes) {
        if (name !== "type" && name !== "nonce") real.setAttribute(name, value);
      }
      if (held.dataset.vpType) real.setAttribute("type", held.dataset.vpType);
      // The nonce attribute is hidden once the page has loaded; the property keeps it.
      if (held.nonce) real.nonce = held.nonce;
      if (!held.src) real.textContent = held.textContent;
      held.setAttribute("data-vp-activated", "");
      held.after(real);
    }
    for (const frame of document.querySelectorAll("iframe[data-vp-purpose][data-src]:not([src])")) {
      if (!purposes.includes(frame.dataset.vpPurpose)) continue;
      frame.setAttribute("src", frame.dataset.src);
      frame.removeAttribute("hidden");
      const placeholder = frame.previousElementSibling;
      if (placeholder && placeholder.hasAttribute("data-vp-placeholder")) placeholder.remove();
    }
  };
  // Puts a placeholder before every held-back iframe that has none: what the frame needs consent
  // for, and a button that gives it. The frame stays hidden until then; the placeholder takes the
  // frame's box (at most the width there is), so nothing around it moves (no layout shift).
  const placeholders = () => {
    for (const frame of document.querySelectorAll("iframe[data-vp-purpose][data-src]:not([src])")) {
      const purpose = frame.dataset.vpPurpose;
      if (!Object.prototype.hasOwnProperty.call(texts.purposes, purpose)) continue;
      const box = frame.getBoundingClientRect();
      // Read before the frame is hidden: a computed style is live.
      const { display, verticalAlign } = getComputedStyle(frame);
      frame.setAttribute("hidden", "");
      const before = frame.previousElementSibling;
      if (before && before.hasAttribute("data-vp-placeholder")) continue;
      const placeholder = document.createElement("div");
      // Through the CSSOM, which a strict CSP allows.
      const size = (measured, attribute) => measured > 0 ? measured + "px"
        : /^[0-9]+$/.test(frame.getAttribute(attribute) || "") ? frame.getAttribute(attribute) + "px" : "";
      placeholder.style.display = display === "inline" ? "inline-block" : display === "none" ? "" : display;
      placeholder.style.verticalAlign = verticalAlign;
      placeholder.style.boxSizing = "border-box";
      placeholder.style.maxWidth = "100%";
      placeholder.style.overflow = "auto";
      placeholder.style.width = size(box.width, "width");
      placeholder.style.height = size(box.height, "height");
      placeholder.setAttribute("data-vp-placeholder", purpose);
      placeholder.className = "vp-placeholder";
      const text = document.createElement("p");
      text.textContent = texts.placeholder + " " + texts.purposes[purpose];
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = texts.placeholderButton;
      placeholder.append(text, button);
      frame.before(placeholder);
    }
  };
  // The widget's stylesheet, carried here and constructed once (no request of its own, and a
  // strict CSP allows it): every shadow root of the loader and the bundle adopts it.
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(__VP_CSS_TEXT__);
  // The customer's identity token from VirtioPrivacy.setIdentity, kept here for both bundles.
  let identity = null;
  // The main bundle's exports once it started.
  let main = null;
  const host = {
    release,
    consentMode,
    sheet,
    identity: () => identity,
    layer: (name) => showLayer(name),
    status: (text) => { if (status) status.textContent = text; },
    changed: () => shownPreferences?.refresh(),
  };

  // A site the privacy server does not know cannot be honoured: say so, and start nothing.
  const definition = configured
    ? Promise.resolve(JSON.stringify(configured.definition))
    : Promise.reject(new Error("site `" + site + "` is not configured on the privacy server " +
      "(data-site on the script tag; [sites." + site + "] in its settings)"));
  definition.catch(() => {});

  // The site's theme variables on a widget host, through the CSSOM (which the strict CSP allows),
  // as the bundles set them.
  const theme = (element) => {
    for (const [variable, value] of Object.entries((configured && configured.definition.theme) || {})) {
      element.style.setProperty(variable, value);
    }
  };
  // The widget's shadow root on its host element at the end of <body>, made when `create` and
  // missing (the bundles render into the same one).
  const widgetShadow = (create) => {
    const existing = document.getElementById("virtio-privacy");
    if (existing || !create) return existing ? existing.shadowRoot : null;
    const element = document.createElement("div");
    element.id = "virtio-privacy";
    theme(element);
    const shadow = element.attachShadow({ mode: "open" });
    shadow.adoptedStyleSheets = [sheet];
    document.body.append(element);
    return shadow;
  };

  // Says, in the visitor's language, that a part of the widget could not be loaded (the network,
  // most likely), until it is dismissed or a later use of the widget has all it needs.
  const failed = () => {
    const toast = notice("load-error", "alert", texts.loadFailed);
    if (toast.querySelector("button")) return;
    const dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "vp-button";
    dismiss.textContent = texts.dismiss;
    dismiss.addEventListener("click", () => toast.remove());
    toast.append(dismiss);
  };
  const recovered = () => removeNotice("load-error");
  // A notice at the top of the viewport (`data-vp=<hook>`, with `role`), shown once however often
  // it is asked for; returns it.
  const notice = (hook, role, text, className = "vp-toast") => {
    const shadow = widgetShadow(true);
    const shown = shadow.querySelector(`[data-vp="${hook}"]`);
    if (shown) return shown;
    const toast = document.createElement("div");
    toast.className = className;
    toast.lang = language;
    toast.dataset.vp = hook;
    toast.setAttribute("role", role);
    const paragraph = document.createElement("p");
    paragraph.textContent = text;
    toast.append(paragraph);
    shadow.append(toast);
    return toast;
  };
  const removeNotice = (hook) => widgetShadow(false)?.querySelector(`[data-vp="${hook}"]`)?.remove();

  // A promise made at the first call and kept, unless it fails: the next call makes it anew.
  const kept = (make) => {
    let made = null;
    return () => {
      if (!made) {
        made = make();
        made.catch(() => { made = null; });
      }
      return made;
    };
  };
  // Imports a module of the widget's assets; after a failure with a fresh URL (a page keeps a
  // failed import).
  const importer = (file) => {
    let attempts = 0;
    return () => import(asset(file) + (attempts++ > 0 ? "?attempt=" + attempts : ""));
  };
  // A bundle's loader: the first call imports its glue, compiles its WebAssembly and calls
  // `begin(glue, definition)`; later calls get the same. A failed attempt is reported and
  // forgotten, so the next use tries again.
  const bundleLoader = (name, moduleFile, wasmFile, begin) => {
    const glueModule = importer(moduleFile);
    return kept(() => {
      // Nothing is fetched for a site the server does not know.
      const loading = definition.then((declared) => Promise.all([glueModule(), declared, domReady]))
        .then(async ([glue, declared]) => {
          await glue.default({ module_or_path: asset(wasmFile) });
          begin(glue, declared);
          return glue;
        });
      loading.catch((error) => {
        console.error("Virtio Privacy could not load its " + name + ":", error);
        // A site the server does not know is the page's mistake, said in the console only.
        if (configured) failed();
      });
      return loading;
    });
  };
  // Uses a bundle (or bundles); a failure was reported by its loader, and a use that has all it
  // needs takes the report away.
  const using = (loader, use) => {
    loader().then((glue) => {
      recovered();
      use(glue);
    }, () => {});
  };

  // The consent widget's bundle. `bundle` settles with its first attempt (what `ready` waits for
  // on a first visit); a later use may still succeed.
  let queued = "";
  let whenStarted;
  let whenFailed;
  const bundle = new Promise((resolve, reject) => { whenStarted = resolve; whenFailed = reject; });
  bundle.catch(() => {});
  const loadBundle = bundleLoader("bundle", "__VP_MODULE__", "__VP_WASM__", (glue, declared) => {
    main = glue;
    try {
      glue.start(site, lang, apiBase, queued, declared, NOTICES, host);
    } catch (error) {
      main = null;
      throw error;
    }
    queued = "";
    api.consent = () => glue.consent();
    api.has = (purpose) => glue.has(String(purpose));
    whenStarted(glue);
  });
  const load = () => {
    const loading = loadBundle();
    loading.catch(whenFailed);
    return loading;
  };

  // The views bundle (the rights center), fetched the first time a page opens it or has a mount
  // point for it.
  const loadViews = bundleLoader("views", "__VP_VIEWS_MODULE__", "__VP_VIEWS_WASM__",
    (glue, declared) => glue.start(site, lang, apiBase, declared, host));
  // The preferences, while the main bundle, which they need too, loads; the module fetches their
  // markup meanwhile.
  let shownPreferences = null;
  const dialogsModule = importer("__VP_DIALOGS_MODULE__");
  // (Nothing is fetched for a site the server does not know.)
  const preferencesView = kept(() => definition.then(dialogsModule).then((module) => {
    const markup = apiBase + PREFERENCES_PATH.replace("{site}", encodeURIComponent(site)) + "?lang=" + language;
    shownPreferences = module.preferences({ markup, engine: load, sheet, widgetShadow, theme, openView });
    return shownPreferences;
  }));
  const loadPreferences = () => {
    // (A bundle that fails is reported by its loader; only an opened view takes a report away.)
    load().catch(() => {});
    return preferencesView();
  };
  // The policy, which needs no bundle.
  const policyModule = importer("__VP_POLICY_MODULE__");
  const loadPolicy = kept(() => definition.then(policyModule).then((module) => module.policy({
    markup: (to) => apiBase + POLICY_PATH + "?lang=" + to,
    language, sheet, widgetShadow, theme, failed, recovered,
  })));
  // Says that a view could not be opened (a bundle that failed was reported by its loader).
  const openFailed = (view) => (error) => {
    if (!configured) return;
    console.error("Virtio Privacy could not open its " + view + ":", error);
    failed();
  };
  // Opens a view: the preferences, the policy or the views bundle's rights center. Should it still
  // be on its way after a moment (a slow network, a first use), a notice says it is coming, until
  // the view opens or fails to. The notice is a live region from the click on, empty and out of
  // sight until it has something to say, so that screen readers announce its words (many miss
  // those of a region inserted with them). (A site the server does not know loads nothing, and
  // shows nothing.) Settles with whether the view opened.
  const VIEWS = {
    preferences: () => loadPreferences().then((shown) => shown.open()),
    policy: () => loadPolicy().then((shown) => shown.open()),
    rights: () => loadViews().then((glue) => glue.open("rights")),
  };
  const openView = (view) => {
    const ready = VIEWS[view]();
    const region = configured ? notice("loading", "status", "", "vp-status") : null;
    const waiting = region && setTimeout(() => {
      region.className = "vp-toast vp-toast-busy";
      region.firstElementChild.textContent = texts.loading;
    }, 300);
    const settled = () => {
      clearTimeout(waiting);
      removeNotice("loading");
    };
    ready.then(settled, settled);
    return ready.then(() => {
      recovered();
      return true;
    }, (error) => {
      openFailed(view)(error);
      return false;
    });
  };

  // The first layer on screen: its name (`banner`, `gpc`, `settings`), the element holding it and
  // the status line beside it, in the widget's shadow root.
  let shown = null;
  let layerBox = null;
  let status = null;
  // The focus was on a layer that went: the next one shown takes it.
  let handOver = false;
  const showLayer = (name) => {
    if (name === shown) return;
    const shadow = widgetShadow(true);
    if (!layerBox) {
      const root = document.createElement("div");
      root.className = "vp-root";
      root.lang = language;
      layerBox = document.createElement("div");
      status = document.createElement("p");
      status.className = "vp-status";
      status.setAttribute("role", "status");
      status.dataset.vp = "status";
      root.append(layerBox, status);
      shadow.prepend(root);
      layerBox.addEventListener("click", clicked);
    }
    const focused = handOver || layerBox.contains(shadow.activeElement);
    shown = name;
    layerBox.innerHTML = name === "settings" ? texts.settings : firstLayers[name];
    // (Without scrolling: the layers are fixed in the viewport, and a zoomed page keeps its place.)
    if (focused) layerBox.querySelector("button")?.focus({ preventScroll: true });
    handOver = false;
  };
  // A click on the first layer. Accept-all and reject-all take the banner away at once; before the
  // bundle runs it carries the click out as it starts, and should it fail to load, the banner comes
  // back with the focus on the same button, to be clicked again.
  const clicked = (event) => {
    const button = event.target instanceof Element && event.target.closest("button[data-vp]");
    const hook = button && button.dataset.vp;
    if (hook === "open-policy") openView("policy");
    if (hook === "open-preferences" || hook === "settings") openView("preferences");
    if (hook !== "accept-all" && hook !== "reject-all") return;
    if (main) {
      main.decide_banner(hook);
      return;
    }
    const was = shown;
    queued = hook;
    shown = null;
    handOver = true;
    layerBox.replaceChildren();
    load().then(recovered, () => {
      if (main) return;
      queued = "";
      showLayer(was);
      layerBox.querySelector(`[data-vp="${hook}"]`)?.focus();
    });
  };

  // Whether this page needs the bundle even with a current choice.
  const needsBundle = () => {
    if (document.querySelector(PREFERENCES)) return true;
    try {
      return window.localStorage.getItem(OUTBOX) !== null;
    } catch {
      return false;
    }
  };

  // Consent Mode's default before any tag can run: the stored choice, or all optional signals
  // denied while the page waits for one.
  consentMode("default", stored.consentMode, stored.choices === null);
  const firstLayers = configured ? configured.layers[language] : {};
  const visit = domReady.then(() => {
    // The views' mount points, and a page of views only (which never starts the consent widget:
    // it reads no cookie, shows no banner and records nothing, not even a GPC signal; it has the
    // rights center's bundle ready unless it shows only the policy).
    const policyShown = configured && document.querySelector(POLICY)
      ? loadPolicy().then((shown) => shown.mount(document.querySelectorAll(POLICY)))
      : null;
    policyShown?.catch(openFailed("policy"));
    if (configured && viewsOnly) {
      return document.querySelector(RIGHTS) || !policyShown ? loadViews() : policyShown;
    }
    if (!configured) return definition;
    if (document.querySelector(RIGHTS)) loadViews().catch(() => {});
    if (document.querySelector(PREFERENCES)) {
      loadPreferences().then((shown) => shown.mount(document.querySelectorAll(PREFERENCES)))
        .catch(openFailed("preferences"));
    }
    if (stored.choices !== null) release(stored.granted);
    placeholders();
    // The Global Privacy Control signal is honoured by the engine at once, and its banner says so
    // from the start.
    if (navigator.globalPrivacyControl === true && stored.choices === null) {
      if (firstLayers.gpc) showLayer("gpc");
      return load();
    }
    const begin = () => using(load, () => {});
    if (stored.choices !== null) {
      // A returning visit: the settings button reopens the choice, at once. Unless the page needs
      // the bundle now, it waits for a use, or for the moment the choice expires (timers wait at
      // most about 24.8 days).
      showLayer("settings");
      if (needsBundle()) return load();
      const wait = (stored.expiresAt - nowSeconds()) * 1000 + 1000;
      if (wait < 2147483647) setTimeout(begin, Math.max(0, wait));
      return null;
    }
    if (firstLayers.banner) {
      // A first visit: the first layer now, the bundle once the page is idle or the visitor turns
      // to the banner.
      showLayer("banner");
      performance.mark("vp-banner");
      for (const type of ["pointerdown", "keydown", "focusin"]) {
        layerBox.addEventListener(type, begin, { once: true, passive: true });
      }
      (window.requestIdleCallback || ((then) => setTimeout(then, 1)))(begin, { timeout: 1000 });
      return bundle;
    }
    return load();
  });

  const listeners = new Map();
  const prefix = "virtio-privacy:";
  const api = Object.assign(window.VirtioPrivacy || {}, {
    ready: null,
    consent: () => applying().choices,
    has: (purpose) => applying().granted.includes(String(purpose)),
    // `open()` is `open("preferences")`; a name not in VIEWS is a mistake of the page's, said in
    // the console, and opens nothing.
    open: (view = "preferences") => {
      if (!Object.prototype.hasOwnProperty.call(VIEWS, view)) {
        console.error("Virtio Privacy: open() takes \"preferences\", \"policy\" or \"rights\", not", view);
        return Promise.resolve(false);
      }
      return view === "preferences" && viewsOnly ? Promise.resolve(false) : openView(view);
    },
    setIdentity: (token) => {
      identity = String(token);
      if (viewsOnly) window.dispatchEvent(new CustomEvent(prefix + "identity", { detail: null }));
      else using(load, (glue) => glue.set_identity(identity));
    },
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
  api.ready = visit.then(() => api);
  window.VirtioPrivacy = api;

  api.ready.then(() => {
    window.dispatchEvent(new CustomEvent(prefix + "ready", { detail: api.consent() }));
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
      using(load, (glue) => glue.grant(placeholder.dataset.vpPlaceholder));
    }
  });
})();
