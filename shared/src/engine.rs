//! The widget's consent core (PRODUCT.md §5.1, §5.4, §5.5), without a DOM: a pure state machine
//! that takes the stored cookie, the clock, the GPC signal, the customer's identity and the
//! visitor's actions, and returns the effects to carry out as data (write the cookie, queue this
//! event, release these purposes, clear those, tell Consent Mode, fire DOM events). The widget's
//! yew shell renders [`Engine`]'s state and one executor carries out the [`Effect`]s.
//!
//! Every consent event the widget sends is built here, in one private function; the property test
//! below drives random action sequences and checks that each event passes the server's
//! [`RecordConsent::validate`].

use std::collections::BTreeMap;
use uuid::Uuid;

use crate::consent::{Withdrawn, inserted, uniform_choices};
use crate::cookie::ConsentCookie;
use crate::{
    ConsentChoices, ConsentDecision, ConsentKind, ConsentSource, Language, PurposeId,
    RecordConsent, SiteId, SubjectId, policy,
};

/// The randomness an action may need: the browser's CSPRNG in the widget, fixed in tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fresh {
    /// The subject id of a browser that has none yet.
    pub subject: SubjectId,
    /// The idempotency key of an event this action records.
    pub key: Uuid,
    /// The idempotency key of the `expired` event, when the action finds the choice stale.
    pub expiry_key: Uuid,
}

/// What happened, in the page or from the server.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// The page loaded with this stored cookie (if any).
    Start { stored: Option<ConsentCookie> },
    /// The visitor chose these states (accept all, reject all and save choices alike).
    Decide {
        choices: ConsentChoices,
        source: ConsentSource,
    },
    /// Consent to one more purpose on top of the current choice (an iframe placeholder).
    Grant(PurposeId),
    /// The customer's newer choice from another device, as the server recorded it.
    Adopt {
        choices: ConsentChoices,
        policy_version: String,
        recorded_at: i64,
    },
    /// The customer's identity token (or none, after a logout): later events are linked to it.
    Identify(Option<String>),
    /// The notice hash of the current policy in the widget's language, from the site
    /// configuration.
    NoticeHash(String),
    /// Time passed: a choice that stopped being current while the page was open expires.
    Tick,
}

/// A DOM event on `window`, `virtio-privacy:<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageEvent {
    /// Every choice.
    Consent,
    /// A choice that differs from the one before.
    Change,
}

impl PageEvent {
    pub fn name(self) -> &'static str {
        match self {
            Self::Consent => "consent",
            Self::Change => "change",
        }
    }
}

/// The Google Consent Mode v2 state of every signal.
pub type ConsentModeState = BTreeMap<&'static str, bool>;

/// What the shell must do, in this order.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Store this cookie (12 months).
    WriteCookie(ConsentCookie),
    /// Queue this event in the outbox, linked to the customer of this identity token.
    Queue {
        event: RecordConsent,
        identity: Option<String>,
    },
    /// `gtag('consent', 'default', …)`; `wait_for_update` when there is no choice yet.
    ConsentModeDefault {
        state: ConsentModeState,
        wait_for_update: bool,
    },
    /// `gtag('consent', 'update', …)`.
    ConsentModeUpdate(ConsentModeState),
    /// Run the held-back scripts and iframes of these purposes.
    Release(Vec<PurposeId>),
    /// Delete the cookies and Web Storage keys of these purposes on this site.
    Clear(SiteId, Vec<PurposeId>),
    /// Fire this DOM event with the current choices (or `null`).
    Emit(PageEvent, Option<ConsentChoices>),
}

/// The consent state of one page of one site.
#[derive(Debug, Clone, PartialEq)]
pub struct Engine {
    site: SiteId,
    language: Language,
    gpc: bool,
    /// The browser's pseudonymous id, kept across expiry.
    subject: Option<SubjectId>,
    /// The choice that applies now: only ever a current one.
    current: Option<ConsentCookie>,
    identity: Option<String>,
    notice_hash: String,
    /// The optional purposes were switched off for the browser's GPC signal.
    gpc_honoured: bool,
}

impl Engine {
    /// An engine for `site` in `language`; `gpc` is `navigator.globalPrivacyControl`. Nothing
    /// applies until [`Action::Start`].
    pub fn new(site: SiteId, language: Language, gpc: bool) -> Self {
        Self {
            site,
            language,
            gpc,
            subject: None,
            current: None,
            identity: None,
            notice_hash: String::new(),
            gpc_honoured: false,
        }
    }

    pub fn site(&self) -> SiteId {
        self.site
    }

    pub fn language(&self) -> Language {
        self.language
    }

    /// The choice that applies now; a stale stored choice is none.
    pub fn current(&self) -> Option<&ConsentCookie> {
        self.current.as_ref()
    }

    /// Whether `purpose` may run now.
    pub fn allows(&self, purpose: PurposeId) -> bool {
        purpose.is_locked()
            || (self.site.shows(purpose)
                && self.current.as_ref().is_some_and(|c| c.allows(purpose)))
    }

    /// The first layer asks while there is no choice, and stays to say that the GPC signal was
    /// honoured.
    pub fn banner_open(&self) -> bool {
        self.current.is_none() || self.gpc_honoured
    }

    pub fn gpc_honoured(&self) -> bool {
        self.gpc_honoured
    }

    pub fn identity(&self) -> Option<&str> {
        self.identity.as_deref()
    }

    /// The notice hash choices are recorded against (empty until [`Action::NoticeHash`]).
    pub fn notice_hash(&self) -> &str {
        &self.notice_hash
    }

    /// The Consent Mode v2 state of every signal: the locked purposes' signals granted, the
    /// others as the current choice says (denied without one).
    pub fn consent_mode(&self) -> ConsentModeState {
        let mut state = ConsentModeState::new();
        for purpose in PurposeId::ALL {
            for signal in purpose.consent_mode_signals() {
                state.insert(*signal, self.allows(purpose));
            }
        }
        state
    }

    /// Carries out `action` at `now` (Unix seconds) and returns the effects, in order. A choice
    /// that stopped being current since the last step expires first.
    pub fn step(&mut self, action: Action, now: i64, fresh: Fresh) -> Vec<Effect> {
        let site = self.site;
        let mut effects = match self.current.take_if(|c| !c.is_current_for(site, now)) {
            Some(stale) => self.expire(stale, now, fresh),
            None => Vec::new(),
        };
        effects.extend(self.act(action, now, fresh));
        effects
    }

    fn act(&mut self, action: Action, now: i64, fresh: Fresh) -> Vec<Effect> {
        match action {
            Action::Start { stored } => self.start(stored, now, fresh),
            Action::Decide { choices, source } => self.decide(choices, source, now, fresh),
            Action::Grant(purpose) => {
                if !self.site.shows(purpose) || self.allows(purpose) {
                    return Vec::new();
                }
                let mut choices = self.choices_now();
                choices.insert(purpose, true);
                self.decide(choices, ConsentSource::Preferences, now, fresh)
            }
            Action::Adopt {
                choices,
                policy_version,
                recorded_at,
            } => self.adopt(choices, policy_version, recorded_at, now, fresh),
            Action::Identify(token) => {
                self.identity = token.filter(|t| !t.is_empty());
                Vec::new()
            }
            Action::NoticeHash(hash) => {
                self.notice_hash = hash;
                Vec::new()
            }
            // Expiry is checked before every action.
            Action::Tick => Vec::new(),
        }
    }

    /// The state of every purpose of the site as it applies now (optional ones off without a
    /// choice).
    fn choices_now(&self) -> ConsentChoices {
        inserted(
            self.site
                .site()
                .purposes
                .iter()
                .map(|&p| (p, self.allows(p))),
        )
    }

    fn start(&mut self, stored: Option<ConsentCookie>, now: i64, fresh: Fresh) -> Vec<Effect> {
        self.subject = stored.as_ref().map(|c| c.subject);
        let (current, stale) = match stored {
            Some(c) if c.is_current_for(self.site, now) => (Some(c), None),
            Some(c) if !c.choices.is_empty() => (None, Some(c)),
            _ => (None, None),
        };
        self.current = current;
        let mut effects = vec![Effect::ConsentModeDefault {
            state: self.consent_mode(),
            wait_for_update: self.current.is_none(),
        }];
        if self.current.is_some() {
            effects.push(Effect::Release(self.granted()));
        }
        if let Some(stale) = stale {
            effects.extend(self.expire(stale, now, fresh));
        }
        if self.gpc && self.current.is_none() {
            effects.extend(self.decide(
                uniform_choices(self.site, false),
                ConsentSource::Gpc,
                now,
                fresh,
            ));
        }
        effects
    }

    /// A choice that is no longer current becomes none: recorded once as `expired`, the cookie
    /// reduced to the subject id, the optional purposes' cookies and storage cleared.
    fn expire(&mut self, stale: ConsentCookie, now: i64, fresh: Fresh) -> Vec<Effect> {
        self.gpc_honoured = false;
        let subject = stale.subject;
        let expiry = Fresh {
            key: fresh.expiry_key,
            ..fresh
        };
        vec![
            Effect::WriteCookie(ConsentCookie::subject_only(subject, now)),
            self.queue(
                ConsentKind::Expired,
                ConsentSource::Api,
                uniform_choices(self.site, false),
                Withdrawn::new(),
                subject,
                expiry,
            ),
            Effect::ConsentModeUpdate(self.consent_mode()),
            Effect::Clear(self.site, self.refused()),
            Effect::Emit(PageEvent::Consent, None),
            Effect::Emit(PageEvent::Change, None),
        ]
    }

    fn decide(
        &mut self,
        choices: ConsentChoices,
        source: ConsentSource,
        now: i64,
        fresh: Fresh,
    ) -> Vec<Effect> {
        // Only the site's purposes count, necessary always on; the rest is not the visitor's.
        let choices: ConsentChoices = inserted(self.site.site().purposes.iter().map(|&p| {
            (
                p,
                p.is_locked() || choices.get(&p).copied().unwrap_or(false),
            )
        }));
        let previous = self.current.take();
        let withdrawn: Withdrawn = inserted(
            previous
                .iter()
                .flat_map(|p| p.choices.iter())
                .filter(|&(&purpose, &was)| {
                    was && !purpose.is_locked() && choices.get(&purpose) == Some(&false)
                })
                .map(|(&purpose, _)| purpose),
        );
        let optional = || choices.iter().filter(|(p, _)| !p.is_locked());
        let newly_granted =
            optional().any(|(p, &on)| on && !previous.as_ref().is_some_and(|c| c.allows(*p)));
        let kind = if source == ConsentSource::Gpc {
            ConsentKind::Gpc
        } else if optional().all(|(_, &on)| on) {
            ConsentKind::AcceptAll
        } else if !withdrawn.is_empty() && !newly_granted {
            ConsentKind::Withdraw
        } else if optional().any(|(_, &on)| on) || !withdrawn.is_empty() {
            ConsentKind::Custom
        } else {
            ConsentKind::RejectAll
        };
        let subject = self.subject.unwrap_or(fresh.subject);
        self.subject = Some(subject);
        let consent = ConsentCookie {
            subject,
            policy_version: policy::CURRENT_VERSION.to_owned(),
            given_at: now,
            choices: choices.clone(),
        };
        let changed = previous.as_ref().map(|p| &p.choices) != Some(&choices);
        self.current = Some(consent.clone());
        self.gpc_honoured = source == ConsentSource::Gpc;
        let mut effects = vec![
            Effect::WriteCookie(consent),
            self.queue(kind, source, choices, withdrawn, subject, fresh),
        ];
        effects.extend(self.applied(changed));
        effects
    }

    fn adopt(
        &mut self,
        choices: ConsentChoices,
        policy_version: String,
        recorded_at: i64,
        now: i64,
        fresh: Fresh,
    ) -> Vec<Effect> {
        let subject = self.subject.unwrap_or(fresh.subject);
        let candidate = ConsentCookie {
            subject,
            policy_version,
            given_at: recorded_at,
            choices,
        };
        let newer = self
            .current
            .as_ref()
            .is_none_or(|local| recorded_at > local.given_at);
        if !newer || !candidate.is_current_for(self.site, now) {
            return Vec::new();
        }
        let changed = self.current.as_ref().map(|c| &c.choices) != Some(&candidate.choices);
        self.subject = Some(subject);
        self.current = Some(candidate.clone());
        self.gpc_honoured = false;
        let mut effects = vec![Effect::WriteCookie(candidate)];
        effects.extend(self.applied(changed));
        effects
    }

    /// What a new current choice does in the page.
    fn applied(&self, changed: bool) -> Vec<Effect> {
        let choices = self.current.as_ref().map(|c| c.choices.clone());
        let mut effects = vec![
            Effect::ConsentModeUpdate(self.consent_mode()),
            Effect::Release(self.granted()),
            Effect::Clear(self.site, self.refused()),
            Effect::Emit(PageEvent::Consent, choices.clone()),
        ];
        if changed {
            effects.push(Effect::Emit(PageEvent::Change, choices));
        }
        effects
    }

    fn granted(&self) -> Vec<PurposeId> {
        PurposeId::ALL
            .into_iter()
            .filter(|&p| self.allows(p))
            .collect()
    }

    fn refused(&self) -> Vec<PurposeId> {
        PurposeId::ALL
            .into_iter()
            .filter(|&p| !self.allows(p))
            .collect()
    }

    /// The only place a consent event is built, queued with the identity it is made with.
    fn queue(
        &self,
        kind: ConsentKind,
        source: ConsentSource,
        choices: ConsentChoices,
        withdrawn: Withdrawn,
        subject: SubjectId,
        fresh: Fresh,
    ) -> Effect {
        let event = RecordConsent {
            idempotency_key: fresh.key,
            subject,
            decision: ConsentDecision {
                site: self.site,
                kind,
                source,
                choices,
                policy_version: policy::CURRENT_VERSION.to_owned(),
                language: self.language,
                notice_hash: self.notice_hash.clone(),
                gpc: self.gpc,
                withdrawn,
            },
        };
        Effect::Queue {
            event,
            identity: self.identity.clone(),
        }
    }
}

/// What [`Engine`] does on [`Action::Start`] with a stored cookie, as a JavaScript arrow function
/// `(cookieHeader, siteId, nowSeconds) => { choices, granted, consentMode, expiresAt }`, generated
/// from the same rules for the loader: it applies a returning visitor's current choice (Consent
/// Mode, held-back scripts and iframes, `consent()` and `has()`) without the bundle, and shows the
/// first layer when there is none. `choices` is the current choice (`null` without one, as
/// `consent()` says), `granted` the purposes that may run (`has()`), `consentMode` every Consent
/// Mode signal, `expiresAt` when the choice stops being current (Unix seconds). The cookie is
/// read as [`ConsentCookie::from_cookie_header`] reads it and judged by
/// [`ConsentCookie::is_current_for`] for each of `sites`. A browser test runs a table of cookies
/// through both and compares every answer.
pub fn start_js(sites: &[&crate::site::Site]) -> String {
    use crate::cookie;
    let index = |p: &PurposeId| PurposeId::ALL.iter().position(|q| q == p);
    let shown: Vec<String> = sites
        .iter()
        .map(|site| {
            let positions: Vec<String> = site
                .purposes
                .iter()
                .filter_map(index)
                .map(|i| i.to_string())
                .collect();
            format!("{:?}:[{}]", site.id, positions.join(","))
        })
        .collect();
    let versions: Vec<String> = sites
        .iter()
        .map(|site| {
            format!(
                "{:?}:{:?}",
                site.id,
                policy::answering_versions(site.purposes)
            )
        })
        .collect();
    let names: Vec<String> = PurposeId::ALL
        .iter()
        .map(|p| format!("{:?}", p.as_str()))
        .collect();
    let signals: Vec<String> = PurposeId::ALL
        .iter()
        .map(|p| format!("{:?}", p.consent_mode_signals()))
        .collect();
    let locked: Vec<String> = PurposeId::ALL
        .iter()
        .enumerate()
        .filter(|(_, p)| p.is_locked())
        .map(|(i, _)| i.to_string())
        .collect();
    format!(
        r#"((header, site, now) => {{
  const names = [{names}];
  const signals = [{signals}];
  const locked = [{locked}];
  const shown = {{{shown}}}[site] || [];
  const versions = {{{versions}}}[site] || [];
  const decide = (states, given) => {{
    const allows = (i) => locked.includes(i) || (states !== null && shown.includes(i) && states[i] === "1");
    const consentMode = {{}};
    signals.forEach((list, i) => list.forEach((signal) => {{ consentMode[signal] = allows(i); }}));
    return {{
      choices: states === null ? null
        : Object.fromEntries(names.flatMap((name, i) => states[i] === "-" ? [] : [[name, states[i] === "1"]])),
      granted: names.filter((_, i) => allows(i)),
      consentMode,
      expiresAt: states === null ? null : given + {max_age},
    }};
  }};
  const none = decide(null, 0);
  const pair = header.split(";").map((p) => p.trim()).filter((p) => p.includes("="))
    .find((p) => p.slice(0, p.indexOf("=")) === {name:?});
  if (!pair) return none;
  const parts = pair.slice(pair.indexOf("=") + 1).trim().split(".");
  if (parts.length !== 5) return none;
  const [format, subject, version, givenAt, states] = parts;
  if (format !== {format:?} || !versions.includes(version)) return none;
  if (!/^[0-9a-fA-F]{{8}}-[0-9a-fA-F]{{4}}-4[0-9a-fA-F]{{3}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{12}}$/.test(subject)) return none;
  if (!/^[+-]?[0-9]{{1,19}}$/.test(givenAt)) return none;
  if (states.length !== names.length || !/^[01-]*$/.test(states) || locked.some((i) => states[i] === "0")) return none;
  const given = Number(givenAt);
  const current = now - given < {max_age} && given <= now + {future} && shown.every((i) => states[i] !== "-");
  return current ? decide(states, given) : none;
}})"#,
        names = names.join(","),
        signals = signals.join(","),
        locked = locked.join(","),
        shown = shown.join(","),
        name = cookie::NAME,
        format = cookie::FORMAT,
        versions = versions.join(","),
        max_age = cookie::MAX_AGE_SECONDS,
        future = cookie::FUTURE_TOLERANCE_SECONDS,
    )
}

// Natively only: proptest is a native dev-dependency.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::cookie::MAX_AGE_SECONDS;
    use proptest::prelude::*;

    const NOW: i64 = 1_780_000_000;

    fn fresh(n: u8) -> Fresh {
        Fresh {
            subject: SubjectId::from_random_bytes([n; 16]),
            key: Uuid::from_u128(u128::from(n) * 2 + 1),
            expiry_key: Uuid::from_u128(u128::from(n) * 2 + 2),
        }
    }

    fn site(id: &str) -> SiteId {
        id.parse().unwrap()
    }

    fn engine(id: &str, language: Language, gpc: bool) -> Engine {
        let mut engine = Engine::new(site(id), language, gpc);
        let hash = policy::notice_hash(policy::CURRENT_VERSION, language).unwrap();
        engine.step(Action::NoticeHash(hash.into()), NOW, fresh(0));
        engine
    }

    fn events(effects: &[Effect]) -> Vec<RecordConsent> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::Queue { event, .. } => Some(event.clone()),
                _ => None,
            })
            .collect()
    }

    fn choices(id: &str, on: &[PurposeId]) -> ConsentChoices {
        site(id)
            .site()
            .purposes
            .iter()
            .map(|&p| (p, p.is_locked() || on.contains(&p)))
            .collect()
    }

    fn stored(id: &str, on: &[PurposeId], given_at: i64) -> ConsentCookie {
        ConsentCookie {
            subject: SubjectId::from_random_bytes([9; 16]),
            policy_version: policy::CURRENT_VERSION.into(),
            given_at,
            choices: choices(id, on),
        }
    }

    #[test]
    fn withdrawing_one_purpose_keeps_the_others_and_names_the_one_taken_back() {
        let mut engine = engine("virtio-nl", Language::Nl, false);
        engine.step(Action::Start { stored: None }, NOW, fresh(1));
        let all = uniform_choices(site("virtio-nl"), true);
        engine.step(
            Action::Decide {
                choices: all,
                source: ConsentSource::Banner,
            },
            NOW,
            fresh(2),
        );
        let mut some = choices(
            "virtio-nl",
            &[
                PurposeId::Advertising,
                PurposeId::Recaptcha,
                PurposeId::Feedback,
            ],
        );
        some.insert(PurposeId::Analytics, false);
        let effects = engine.step(
            Action::Decide {
                choices: some,
                source: ConsentSource::Preferences,
            },
            NOW + 60,
            fresh(3),
        );
        let [event] = &events(&effects)[..] else {
            panic!("one event: {effects:?}")
        };
        assert_eq!(event.decision.kind, ConsentKind::Withdraw);
        assert_eq!(event.decision.withdrawn, [PurposeId::Analytics].into());
        assert_eq!(event.validate(), Ok(()));
        assert!(!engine.allows(PurposeId::Analytics));
        assert!(engine.allows(PurposeId::Advertising));
        assert!(effects.contains(&Effect::Clear(
            site("virtio-nl"),
            vec![
                PurposeId::Analytics,
                PurposeId::Offers,
                PurposeId::Newsletter,
                PurposeId::CrashReports
            ]
        )));
    }

    #[test]
    fn a_stale_choice_counts_as_none_and_its_expiry_is_recorded_once() {
        let old = stored(
            "virtio-nl",
            &[PurposeId::Analytics],
            NOW - MAX_AGE_SECONDS - 1,
        );
        let mut engine = engine("virtio-nl", Language::En, false);
        let effects = engine.step(
            Action::Start {
                stored: Some(old.clone()),
            },
            NOW,
            fresh(1),
        );
        assert_eq!(engine.current(), None);
        assert!(!engine.allows(PurposeId::Analytics));
        assert!(engine.banner_open());
        assert!(!effects.iter().any(|e| matches!(e, Effect::Release(_))));
        let [expired] = &events(&effects)[..] else {
            panic!("one event: {effects:?}")
        };
        assert_eq!(expired.decision.kind, ConsentKind::Expired);
        assert_eq!(expired.subject, old.subject, "the subject id carries over");
        assert_eq!(expired.validate(), Ok(()));
        let written = effects.iter().find_map(|e| match e {
            Effect::WriteCookie(c) => Some(c.clone()),
            _ => None,
        });
        let written = written.expect("the cookie is rewritten");
        assert_eq!(written.subject, old.subject);
        // The next page load finds the subject-only cookie and records nothing again.
        let mut next = self::engine("virtio-nl", Language::En, false);
        let again = next.step(
            Action::Start {
                stored: Some(written),
            },
            NOW + 5,
            fresh(2),
        );
        assert!(events(&again).is_empty());
        assert!(next.banner_open());
    }

    #[test]
    fn a_choice_from_the_future_or_another_policy_version_is_no_choice() {
        for cookie in [
            stored("virtio-nl", &[PurposeId::Analytics], NOW + 3_600),
            ConsentCookie {
                policy_version: "2023-01-01".into(),
                ..stored("virtio-nl", &[PurposeId::Analytics], NOW)
            },
            stored("virtio-status", &[PurposeId::Analytics], NOW),
        ] {
            let mut engine = engine("virtio-nl", Language::Nl, false);
            engine.step(
                Action::Start {
                    stored: Some(cookie),
                },
                NOW,
                fresh(1),
            );
            assert_eq!(engine.current(), None);
            assert!(!engine.allows(PurposeId::Analytics));
        }
    }

    #[test]
    fn a_choice_that_expires_while_the_page_is_open_stops_counting() {
        let mut engine = engine("virtio-nl", Language::Nl, false);
        let given = NOW - MAX_AGE_SECONDS + 10;
        engine.step(
            Action::Start {
                stored: Some(stored("virtio-nl", &[PurposeId::Analytics], given)),
            },
            NOW,
            fresh(1),
        );
        assert!(engine.allows(PurposeId::Analytics));
        assert!(engine.step(Action::Tick, NOW + 5, fresh(2)).is_empty());
        let effects = engine.step(Action::Tick, NOW + 10, fresh(3));
        assert_eq!(events(&effects)[0].decision.kind, ConsentKind::Expired);
        assert!(!engine.allows(PurposeId::Analytics));
    }

    #[test]
    fn gpc_switches_optional_purposes_off_and_keeps_the_banner_to_say_so() {
        let mut engine = engine("interface", Language::Nl, true);
        let effects = engine.step(Action::Start { stored: None }, NOW, fresh(1));
        let [event] = &events(&effects)[..] else {
            panic!("one event")
        };
        assert_eq!(
            (event.decision.kind, event.decision.gpc),
            (ConsentKind::Gpc, true)
        );
        assert!(engine.banner_open() && engine.gpc_honoured());
        assert!(matches!(
            effects[0],
            Effect::ConsentModeDefault {
                wait_for_update: true,
                ..
            }
        ));
    }

    #[test]
    fn an_event_keeps_the_identity_it_was_made_with() {
        let mut engine = engine("interface", Language::Nl, false);
        engine.step(Action::Start { stored: None }, NOW, fresh(1));
        engine.step(Action::Identify(Some("token-a".into())), NOW, fresh(2));
        let effects = engine.step(Action::Grant(PurposeId::Newsletter), NOW, fresh(3));
        let identity = effects.iter().find_map(|e| match e {
            Effect::Queue { identity, .. } => Some(identity.clone()),
            _ => None,
        });
        assert_eq!(identity, Some(Some("token-a".into())));
    }

    #[test]
    fn an_older_or_stale_server_state_is_not_adopted() {
        let mut engine = engine("virtio-nl", Language::Nl, false);
        engine.step(
            Action::Start {
                stored: Some(stored("virtio-nl", &[], NOW - 10)),
            },
            NOW,
            fresh(1),
        );
        let adopt = |on: &[PurposeId], recorded_at: i64, version: &str| Action::Adopt {
            choices: choices("virtio-nl", on),
            policy_version: version.into(),
            recorded_at,
        };
        let all = [PurposeId::Analytics];
        assert!(
            engine
                .step(
                    adopt(&all, NOW - 20, policy::CURRENT_VERSION),
                    NOW,
                    fresh(2)
                )
                .is_empty()
        );
        assert!(
            engine
                .step(adopt(&all, NOW - 5, "2023-01-01"), NOW, fresh(2))
                .is_empty()
        );
        let effects = engine.step(adopt(&all, NOW - 5, policy::CURRENT_VERSION), NOW, fresh(2));
        assert!(events(&effects).is_empty(), "adopting records nothing");
        assert!(engine.allows(PurposeId::Analytics));
    }

    #[test]
    fn consent_mode_denies_everything_optional_without_a_choice() {
        let mut engine = engine("virtio-nl", Language::Nl, false);
        let effects = engine.step(Action::Start { stored: None }, NOW, fresh(1));
        let Effect::ConsentModeDefault { state, .. } = &effects[0] else {
            panic!("the default comes first: {effects:?}")
        };
        assert!(!state["analytics_storage"] && !state["ad_storage"]);
        assert!(state["security_storage"] && state["functionality_storage"]);
        engine.step(
            Action::Decide {
                choices: choices("virtio-nl", &[PurposeId::Analytics]),
                source: ConsentSource::Preferences,
            },
            NOW,
            fresh(2),
        );
        let state = engine.consent_mode();
        assert!(state["analytics_storage"] && !state["ad_user_data"]);
    }

    fn purpose() -> impl Strategy<Value = PurposeId> {
        prop::sample::select(PurposeId::ALL.to_vec())
    }

    fn source() -> impl Strategy<Value = ConsentSource> {
        prop::sample::select(vec![
            ConsentSource::Banner,
            ConsentSource::Preferences,
            ConsentSource::Api,
            ConsentSource::InterfaceSettings,
            ConsentSource::Gpc,
        ])
    }

    fn action() -> impl Strategy<Value = (Action, i64)> {
        let choices = || prop::collection::btree_map(purpose(), any::<bool>(), 0..9);
        let action = prop_oneof![
            (choices(), source()).prop_map(|(choices, source)| Action::Decide { choices, source }),
            purpose().prop_map(Action::Grant),
            (
                choices(),
                prop::sample::select(vec!["2024-11-26", "2023-01-01"]),
                -400i64..400
            )
                .prop_map(|(choices, version, days)| Action::Adopt {
                    choices,
                    policy_version: version.into(),
                    recorded_at: NOW + days * 86_400,
                }),
            prop::option::of("[a-z]{0,4}").prop_map(Action::Identify),
            Just(Action::Tick),
        ];
        // Each action happens the same day as the one before, mostly, or up to 400 days later.
        (action, prop_oneof![4 => 0i64..2, 1 => 0i64..400])
    }

    fn stored_cookie() -> impl Strategy<Value = Option<ConsentCookie>> {
        prop::option::of(
            (
                prop::collection::btree_map(purpose(), any::<bool>(), 0..9),
                prop::sample::select(vec!["2024-11-26", "2023-01-01"]),
                -800i64..30,
            )
                .prop_map(|(mut choices, version, days)| {
                    choices.insert(PurposeId::Necessary, true);
                    ConsentCookie {
                        subject: SubjectId::from_random_bytes([5; 16]),
                        policy_version: version.into(),
                        given_at: NOW + days * 86_400,
                        choices,
                    }
                }),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// Whatever the visitor, the server and the clock do, every event the engine queues is one
        /// the server accepts, and no purpose runs without a current choice that allows it.
        #[test]
        fn every_event_the_engine_builds_passes_the_servers_validation(
            site_index in 0..crate::site::install_repo_catalogue_for_tests().len(),
            english in any::<bool>(),
            gpc in any::<bool>(),
            stored in stored_cookie(),
            actions in prop::collection::vec(action(), 0..24),
        ) {
            let id = crate::site::install_repo_catalogue_for_tests()[site_index].as_str();
            let language = if english { Language::En } else { Language::Nl };
            let mut engine = engine(id, language, gpc);
            let mut now = NOW;
            let mut n = 1u8;
            let mut queued = events(&engine.step(Action::Start { stored }, now, fresh(n)));
            for (action, days) in actions {
                now += days * 86_400;
                n = n.wrapping_add(1);
                queued.extend(events(&engine.step(action, now, fresh(n))));
                for purpose in PurposeId::ALL {
                    if engine.allows(purpose) && !purpose.is_locked() {
                        let current = engine.current().expect("a grant needs a choice");
                        prop_assert!(current.is_current_for(engine.site(), now));
                        prop_assert!(current.allows(purpose));
                    }
                }
            }
            let mut keys = std::collections::BTreeSet::new();
            for event in queued {
                prop_assert_eq!(event.validate(), Ok(()), "{:?}", event);
                prop_assert!(keys.insert(event.idempotency_key), "one key, one event");
            }
        }
    }
}
