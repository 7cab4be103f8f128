// The demo of Virtio's interface app: a customer signs in (a demo login that gets an identity token
// from the privacy server's development-only endpoint), switches what they consent to in the
// widget's inline preferences, and sees the history of their choices with receipts and their
// rights requests. A real interface app signs the token itself and passes it the same way:
// `VirtioPrivacy.setIdentity(token)`.
"use strict";

const LANGUAGE_KEY = "vp_demo_language";
const IDENTITY_KEY = "vp_demo_identity";

const TEXTS = {
  nl: {
    "app-name": "interface",
    title: "Mijn privacy-instellingen",
    "login-title": "Inloggen (demo)",
    "login-intro": "Een demo-login: de privacyserver van deze ontwikkelomgeving geeft een identiteitstoken voor elk klantnummer. De echte interface-app ondertekent het token zelf.",
    customer: "Klantnummer",
    email: "E-mailadres",
    login: "Inloggen",
    logout: "Uitloggen",
    "other-language": "English",
    "signed-in": "Ingelogd als klant",
    "consent-title": "Waar je toestemming voor geeft",
    "consent-intro": "Je keuze geldt op al je apparaten waarop je bent ingelogd.",
    "history-title": "Geschiedenis van je keuzes",
    when: "Moment",
    choice: "Keuze",
    granted: "Toestemming voor",
    receipt: "Ontvangstbewijs",
    "history-empty": "Je hebt hier nog geen keuze gemaakt.",
    "requests-title": "Je privacyverzoeken",
    "requests-empty": "Je hebt nog geen privacyverzoeken gedaan.",
    "new-request": "Een nieuw verzoek doen",
    nothing: "niets",
    number: "Verzoek",
    due: "uiterlijk",
    "login-failed": "Inloggen lukt niet:",
    offline: "De privacyserver is niet bereikbaar.",
    kinds: { accept_all: "alles geaccepteerd", reject_all: "alles geweigerd", custom: "eigen keuze", withdraw: "ingetrokken", expired: "verlopen", gpc: "GPC-signaal" },
    statuses: { awaiting_verification: "wacht op bevestiging", open: "ontvangen", in_progress: "in behandeling", extended: "termijn verlengd", completed: "afgehandeld", refused: "afgewezen", withdrawn: "ingetrokken" },
  },
  en: {
    "app-name": "interface",
    title: "My privacy settings",
    "login-title": "Sign in (demo)",
    "login-intro": "A demo login: the privacy server of this development setup issues an identity token for any customer number. The real interface app signs the token itself.",
    customer: "Customer number",
    email: "E-mail address",
    login: "Sign in",
    logout: "Sign out",
    "other-language": "Nederlands",
    "signed-in": "Signed in as customer",
    "consent-title": "What you consent to",
    "consent-intro": "Your choice applies on every device where you are signed in.",
    "history-title": "History of your choices",
    when: "When",
    choice: "Choice",
    granted: "Consent to",
    receipt: "Receipt",
    "history-empty": "You have not made a choice here yet.",
    "requests-title": "Your privacy requests",
    "requests-empty": "You have not made a privacy request yet.",
    "new-request": "Make a new request",
    nothing: "nothing",
    number: "Request",
    due: "due",
    "login-failed": "Cannot sign in:",
    offline: "The privacy server cannot be reached.",
    kinds: { accept_all: "accepted all", reject_all: "rejected all", custom: "custom choice", withdraw: "withdrawn", expired: "expired", gpc: "GPC signal" },
    statuses: { awaiting_verification: "awaiting confirmation", open: "received", in_progress: "in progress", extended: "deadline extended", completed: "completed", refused: "refused", withdrawn: "withdrawn" },
  },
};

const language = localStorage.getItem(LANGUAGE_KEY) === "en" ? "en" : "nl";
const t = TEXTS[language];
// Set before the widget's loader runs (it is deferred): the widget speaks the page's language.
document.documentElement.lang = language;

/** The privacy server: where the widget's loader comes from (another origin on group sites). */
function privacyServer() {
  const loader = document.querySelector('script[src$="/widget/v1/loader.js"]');
  return new URL(loader.src).origin;
}

async function api(path, options = {}) {
  const response = await fetch(privacyServer() + path, options);
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const reason = body && (body.detail || body.title);
    throw new Error(reason || String(response.status));
  }
  return body;
}

function saved() {
  try {
    const identity = JSON.parse(sessionStorage.getItem(IDENTITY_KEY));
    return identity && identity.token ? identity : null;
  } catch {
    return null;
  }
}

/** A token for the customer, from the development endpoint (the real app signs its own). */
async function signIn(customer, email) {
  const issued = await api("/api/v1/dev/identity-token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    // A token for this site only: another site of the group refuses it.
    body: JSON.stringify({ customer, email, site: "interface" }),
  });
  const identity = { customer, email, token: issued.token, expires_at: issued.expires_at };
  sessionStorage.setItem(IDENTITY_KEY, JSON.stringify(identity));
  return identity;
}

function bearer(identity) {
  return { headers: { authorization: "Bearer " + identity.token } };
}

function cell(text, code) {
  const td = document.createElement("td");
  if (code) {
    const c = document.createElement("code");
    c.textContent = text;
    td.append(c);
  } else {
    td.textContent = text;
  }
  return td;
}

function localTime(iso) {
  return new Date(iso).toLocaleString(language === "nl" ? "nl-NL" : "en-GB", { dateStyle: "medium", timeStyle: "short" });
}

let purposeLabels = {};

async function showHistory(identity) {
  const mine = await api("/api/v1/me/consent?site=interface", bearer(identity));
  const body = document.getElementById("history");
  body.replaceChildren(...mine.history.map((receipt) => {
    const row = document.createElement("tr");
    row.dataset.demo = "history-row";
    const granted = Object.entries(receipt.choices)
      .filter(([purpose, on]) => on && purpose !== "necessary")
      .map(([purpose]) => purposeLabels[purpose] || purpose);
    row.append(
      cell(localTime(receipt.recorded_at)),
      cell(t.kinds[receipt.kind] || receipt.kind),
      cell(granted.length ? granted.join(", ") : t.nothing),
      cell(receipt.event_id.slice(0, 8) + " · " + receipt.hash.slice(0, 12), true),
    );
    return row;
  }));
  document.getElementById("history-empty").hidden = mine.history.length > 0;
  return mine.history.length;
}

async function showRequests(identity) {
  const requests = await api("/api/v1/me/requests", bearer(identity));
  const list = document.getElementById("requests");
  list.replaceChildren(...requests.map((request) => {
    const item = document.createElement("li");
    item.dataset.demoRequest = request.id;
    const status = document.createElement("strong");
    status.textContent = t.statuses[request.status] || request.status;
    item.append(`${t.number} ${request.id.slice(0, 8)} · `, status, ` · ${t.due} ${request.due_date}`);
    return item;
  }));
  document.getElementById("requests-empty").hidden = requests.length > 0;
}

/** After a change, the history shows the new event once the widget has delivered it. */
async function refreshUntilGrown(identity, before) {
  for (let attempt = 0; attempt < 20; attempt++) {
    if ((await showHistory(identity)) > before) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function enter(identity) {
  // A token about to expire is renewed first, as the app does for its signed-in customer.
  if (Date.parse(identity.expires_at) - Date.now() < 60_000) {
    identity = await signIn(identity.customer, identity.email);
  }
  document.getElementById("login").hidden = true;
  document.getElementById("account").hidden = false;
  document.getElementById("logout").hidden = false;
  document.getElementById("signed-in-as").textContent = identity.customer;
  const widget = await window.VirtioPrivacy.ready;
  widget.setIdentity(identity.token);
  const config = await api(`/api/v1/sites/interface/config?lang=${language}`);
  purposeLabels = Object.fromEntries(config.purposes.map((p) => [p.id, p.label]));
  await Promise.all([showHistory(identity), showRequests(identity)]);
}

function applyTexts() {
  for (const element of document.querySelectorAll("[data-text]")) {
    element.textContent = t[element.dataset.text];
  }
  for (const element of document.querySelectorAll("[data-label]")) {
    element.setAttribute("aria-label", t[element.dataset.label]);
  }
  document.title = t.title + " — Virtio (demo)";
  const switcher = document.getElementById("language");
  switcher.textContent = t["other-language"];
  switcher.lang = language === "nl" ? "en" : "nl";
  document.getElementById("logout").textContent = t.logout;
}

document.addEventListener("DOMContentLoaded", () => {
  applyTexts();
  document.getElementById("language").addEventListener("click", () => {
    localStorage.setItem(LANGUAGE_KEY, language === "nl" ? "en" : "nl");
    location.reload();
  });
  document.getElementById("logout").addEventListener("click", () => {
    sessionStorage.removeItem(IDENTITY_KEY);
    location.reload();
  });
  document.getElementById("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = document.getElementById("login-error");
    error.textContent = "";
    try {
      const form = event.target;
      await enter(await signIn(form.customer.value.trim(), form.email.value.trim()));
    } catch (e) {
      error.textContent = `${t["login-failed"]} ${e.message || t.offline}`;
    }
  });
  // The widget asks for a fresh token when the server refused an expired one; the app signs a new
  // one for the signed-in customer.
  window.addEventListener("virtio-privacy:identity-expired", async () => {
    const identity = saved();
    if (identity) {
      const fresh = await signIn(identity.customer, identity.email);
      (await window.VirtioPrivacy.ready).setIdentity(fresh.token);
    }
  });
  // A request filed in the rights center below joins the list.
  window.addEventListener("virtio-privacy:request", () => {
    const identity = saved();
    if (identity) showRequests(identity);
  });
  window.addEventListener("virtio-privacy:change", () => {
    const identity = saved();
    if (identity) {
      const before = document.querySelectorAll("#history tr").length;
      refreshUntilGrown(identity, before);
    }
  });
  const identity = saved();
  if (identity) {
    enter(identity).catch(() => {
      sessionStorage.removeItem(IDENTITY_KEY);
      location.reload();
    });
  }
});
