//! The first-party consent cookie (PRODUCT.md §5.5): compact, versioned, readable by the host's own
//! server. Any Rust server of a group site reads consent with [`ConsentCookie::parse`].
//!
//! Format 1: `1.<subject uuid>.<policy version>.<unix seconds>.<states>`, where `<states>` has one
//! character per purpose in [`PurposeId::ALL`] order: `1` granted, `0` refused, `-` not shown.

use crate::{ConsentChoices, PurposeId, SiteId, SubjectId, policy};

/// The cookie's name.
pub const NAME: &str = "vp_consent";

/// How long a choice stays valid before the person is asked again: 12 months, in seconds.
pub const MAX_AGE_SECONDS: i64 = 365 * 24 * 60 * 60;

pub const FORMAT: &str = "1";

/// How far in the future a choice's time may lie (clock skew between devices) and still count.
pub const FUTURE_TOLERANCE_SECONDS: i64 = 300;

/// The consent stored in the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentCookie {
    pub subject: SubjectId,
    pub policy_version: String,
    /// When the choice was made, in seconds since the Unix epoch.
    pub given_at: i64,
    pub choices: ConsentChoices,
}

/// Why a cookie value could not be read. A damaged or foreign cookie is never a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CookieError {
    #[error("the cookie has {0} parts, expected 5")]
    Parts(usize),
    #[error("unsupported cookie format `{0}`")]
    Format(String),
    #[error("the subject id is not a random UUID")]
    Subject,
    #[error("the policy version is malformed")]
    PolicyVersion,
    #[error("the time is not a whole number of seconds")]
    Time,
    #[error("the purpose states are malformed")]
    States,
    #[error("necessary processing is marked as refused")]
    NecessaryRefused,
}

impl ConsentCookie {
    /// The cookie value.
    pub fn encode(&self) -> String {
        let states: String = PurposeId::ALL
            .iter()
            .map(|p| match self.choices.get(p) {
                Some(true) => '1',
                Some(false) => '0',
                None => '-',
            })
            .collect();
        format!(
            "{FORMAT}.{}.{}.{}.{states}",
            self.subject, self.policy_version, self.given_at
        )
    }

    /// Reads a cookie value written by [`ConsentCookie::encode`].
    pub fn parse(value: &str) -> Result<Self, CookieError> {
        let parts: Vec<&str> = value.trim().split('.').collect();
        let [format, subject, version, given_at, states] = parts[..] else {
            return Err(CookieError::Parts(parts.len()));
        };
        if format != FORMAT {
            return Err(CookieError::Format(format.chars().take(8).collect()));
        }
        // Only the hyphenated form `encode` writes, so the loader's check is a plain pattern.
        if subject.len() != 36 {
            return Err(CookieError::Subject);
        }
        let subject = subject.parse().map_err(|_| CookieError::Subject)?;
        let version_ok = !version.is_empty()
            && version.len() <= 32
            && version
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !version_ok {
            return Err(CookieError::PolicyVersion);
        }
        let given_at = given_at.parse::<i64>().map_err(|_| CookieError::Time)?;
        if states.len() != PurposeId::ALL.len() {
            return Err(CookieError::States);
        }
        let mut choices = ConsentChoices::new();
        for (purpose, state) in PurposeId::ALL.into_iter().zip(states.bytes()) {
            match state {
                b'1' => {
                    choices.insert(purpose, true);
                }
                b'0' if purpose.is_locked() => return Err(CookieError::NecessaryRefused),
                b'0' => {
                    choices.insert(purpose, false);
                }
                b'-' => {}
                _ => return Err(CookieError::States),
            }
        }
        Ok(Self {
            subject,
            policy_version: version.to_owned(),
            given_at,
            choices,
        })
    }

    /// Reads this product's cookie out of a `Cookie` request header (or `document.cookie`).
    pub fn from_cookie_header(header: &str) -> Option<Result<Self, CookieError>> {
        header
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == NAME)
            .map(|(_, value)| Self::parse(value))
    }

    /// Whether this stored choice still answers for `site` at `now` (Unix seconds), so the banner
    /// must not ask again: given on a policy version whose purposes and recipients the version in
    /// force has not added to for this site ([`policy::still_answers`]), younger than 12 months,
    /// not from the future (beyond [`FUTURE_TOLERANCE_SECONDS`]), and a state for every purpose
    /// the site shows. A choice that is not current counts as no choice at all. The loader applies
    /// the same rules through [`crate::engine::start_js`].
    pub fn is_current_for(&self, site: SiteId, now: i64) -> bool {
        self.is_current_in(policy::ASKED, site, now)
    }

    /// [`Self::is_current_for`] against a policy history of `history` (newest first).
    fn is_current_in(&self, history: &[policy::Asked], site: SiteId, now: i64) -> bool {
        let shown = site.site().purposes;
        policy::still_answers_in(history, &self.policy_version, shown)
            && now.saturating_sub(self.given_at) < MAX_AGE_SECONDS
            && self.given_at <= now.saturating_add(FUTURE_TOLERANCE_SECONDS)
            && shown.iter().all(|p| self.choices.contains_key(p))
    }

    /// A cookie that keeps only the subject id: no purpose has a state, so it is never current.
    /// What a stale choice becomes once its expiry is recorded.
    pub fn subject_only(subject: SubjectId, now: i64) -> Self {
        Self {
            subject,
            policy_version: policy::CURRENT_VERSION.to_owned(),
            given_at: now,
            choices: ConsentChoices::new(),
        }
    }

    /// Whether the person consented to `purpose`.
    pub fn allows(&self, purpose: PurposeId) -> bool {
        self.choices.get(&purpose).copied().unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::uniform_choices;

    fn cookie(site: &str, granted: bool, given_at: i64) -> ConsentCookie {
        ConsentCookie {
            subject: SubjectId::from_random_bytes([3; 16]),
            policy_version: policy::CURRENT_VERSION.into(),
            given_at,
            choices: uniform_choices(site.parse().unwrap(), granted),
        }
    }

    #[test]
    fn a_cookie_round_trips_and_reads_from_a_header() {
        let original = cookie("virtio-nl", true, 1_732_600_000);
        let value = original.encode();
        assert_eq!(
            value,
            "1.03030303-0303-4303-8303-030303030303.2024-11-26.1732600000.11111---"
        );
        assert_eq!(ConsentCookie::parse(&value), Ok(original.clone()));
        let header = format!("theme=dark; {NAME}={value}; other=1");
        assert_eq!(
            ConsentCookie::from_cookie_header(&header),
            Some(Ok(original))
        );
        assert_eq!(ConsentCookie::from_cookie_header("theme=dark"), None);
    }

    #[test]
    fn damaged_cookies_are_errors() {
        let good = cookie("virtio-nl", false, 1).encode();
        assert_eq!(ConsentCookie::parse(""), Err(CookieError::Parts(1)));
        assert_eq!(
            ConsentCookie::parse(&good.replacen('1', "2", 1)),
            Err(CookieError::Format("2".into()))
        );
        assert_eq!(
            ConsentCookie::parse(&good.replace("10000---", "0000----")),
            Err(CookieError::NecessaryRefused)
        );
        assert_eq!(
            ConsentCookie::parse(&good.replace("10000---", "1x000---")),
            Err(CookieError::States)
        );
        assert_eq!(
            ConsentCookie::parse(&good.replace(".1.", ".soon.")),
            Err(CookieError::Time)
        );
    }

    #[test]
    fn a_choice_is_current_for_twelve_months_and_only_for_its_policy_version_and_purposes() {
        let site = "virtio-nl".parse().unwrap();
        let given = cookie("virtio-nl", false, 1_000);
        assert!(given.is_current_for(site, 1_000 + MAX_AGE_SECONDS - 1));
        assert!(!given.is_current_for(site, 1_000 + MAX_AGE_SECONDS));
        let other_version = ConsentCookie {
            policy_version: "2023-01-01".into(),
            ..given.clone()
        };
        assert!(!other_version.is_current_for(site, 1_000));
        let status_site_choice = cookie("virtio-status", true, 1_000);
        assert!(
            !status_site_choice.is_current_for(site, 1_000),
            "virtio-nl shows more purposes"
        );
    }

    /// A later version with a new wording, with fewer recipients, or with more only for what
    /// the site does not show keeps a choice; one that adds a recipient or a purpose the site
    /// shows asks again.
    #[test]
    fn a_choice_on_an_earlier_version_stands_until_a_later_one_asks_for_more_on_the_site() {
        use crate::PurposeId::{Analytics, Offers};
        use policy::Asked;
        let site: SiteId = "virtio-nl".parse().unwrap();
        assert!(site.shows(Analytics) && !site.shows(Offers));
        let now = Asked::current().clone();
        // `now` as it would be with `purpose` given `recipients`, or not listed (`None`).
        let changed = |version, purpose: PurposeId, recipients: Option<&'static [&'static str]>| {
            let mut purposes: Vec<_> = now
                .purposes
                .iter()
                .filter(|(p, _)| *p != purpose)
                .copied()
                .collect();
            purposes.extend(recipients.map(|r| (purpose, r)));
            Asked {
                version,
                purposes: Vec::leak(purposes),
            }
        };
        let given = cookie("virtio-nl", true, 1_000);
        let current_under =
            |newest: Asked| given.is_current_in(&[newest, now.clone()], site, 1_000);
        let reworded = Asked {
            version: "2099-01-01",
            ..now.clone()
        };
        assert!(current_under(reworded), "a new wording");
        assert!(
            current_under(changed("2099-01-01", Analytics, Some(&[]))),
            "a recipient fewer"
        );
        assert!(current_under(changed(
            "2099-01-01",
            Offers,
            Some(&["group_companies", "meta"])
        )));
        assert!(!current_under(changed(
            "2099-01-01",
            Analytics,
            Some(&["google_analytics", "meta"])
        )));

        let earlier = ConsentCookie {
            policy_version: "2023-01-01".into(),
            ..given.clone()
        };
        let current_after =
            |older: Asked| earlier.is_current_in(&[now.clone(), older], site, 1_000);
        assert!(current_after(Asked {
            version: "2023-01-01",
            ..now.clone()
        }));
        assert!(
            !current_after(changed("2023-01-01", Analytics, None)),
            "analytics is new"
        );
        assert!(
            !earlier.is_current_in(std::slice::from_ref(&now), site, 1_000),
            "never published"
        );
    }
}
