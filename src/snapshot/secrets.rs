//! Removal of secrets from Halo objects before they are stored or shown.
//!
//! Owns: the rule for what counts as a secret field name. Values are never inspected, logged or
//! returned; only the names of removed fields are.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

/// The words that make a member name secret-looking, compared with the name folded to lower
/// case without `-`, `_`, `.` and spaces (so `x-api-key`, `API_KEY` and `apiKey` all hold
/// `apikey`).
pub const SECRET_WORDS: [&str; 14] = [
    "secret",
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "token",
    "apikey",
    "privatekey",
    "signingkey",
    "credential",
    "authorization",
    "bearer",
    "jwt",
    "connectionstring",
];

/// True when a member with this name may hold a secret: it holds one of [`SECRET_WORDS`]
/// (ignoring case, `-`, `_`, `.` and spaces), or ends in `_key`, `-key` or a camel-case `Key`.
#[must_use]
pub fn is_secret_name(name: &str) -> bool {
    // Called for every member of a snapshot (millions in a large tenant, with a few hundred
    // distinct names): each thread remembers the answers for the first names it meets.
    thread_local! {
        static KNOWN: RefCell<HashMap<Box<str>, bool, foldhash::fast::RandomState>> =
            RefCell::default();
    }
    KNOWN.with(|known| {
        if let Some(&secret) = known.borrow().get(name) {
            return secret;
        }
        let secret = is_secret_uncached(name);
        let mut known = known.borrow_mut();
        if known.len() < KNOWN_NAMES && name.len() <= KNOWN_NAME_BYTES {
            known.insert(name.into(), secret);
        }
        secret
    })
}

/// At most this many names are remembered per thread, each of at most this many bytes: a hostile
/// file of a million distinct names costs no memory beyond that.
const KNOWN_NAMES: usize = 4096;
const KNOWN_NAME_BYTES: usize = 64;

fn is_secret_uncached(name: &str) -> bool {
    // Fold into a buffer on the stack, and try a word only where its first letter is.
    let mut buffer = [0u8; 64];
    let mut len = 0;
    for b in name.bytes() {
        if matches!(b, b'-' | b'_' | b'.' | b' ') {
            continue;
        }
        match buffer.get_mut(len) {
            Some(slot) => *slot = b.to_ascii_lowercase(),
            None => return is_secret_folded(&fold(name)) || has_key_suffix(name),
        }
        len += 1;
    }
    is_secret_folded(buffer.get(..len).unwrap_or_default()) || has_key_suffix(name)
}

fn fold(name: &str) -> Vec<u8> {
    name.bytes()
        .filter(|b| !matches!(b, b'-' | b'_' | b'.' | b' '))
        .map(|b| b.to_ascii_lowercase())
        .collect()
}

fn is_secret_folded(folded: &[u8]) -> bool {
    (0..folded.len()).any(|i| {
        let rest = folded.get(i..).unwrap_or_default();
        words_from(rest.first().copied())
            .iter()
            .any(|word| rest.starts_with(word.as_bytes()))
    })
}

/// The [`SECRET_WORDS`] that start with this letter.
fn words_from(first: Option<u8>) -> &'static [&'static str] {
    match first {
        Some(b's') => &["secret", "signingkey"],
        Some(b'p') => &["password", "passwd", "passphrase", "pwd", "privatekey"],
        Some(b't') => &["token"],
        Some(b'a') => &["apikey", "authorization"],
        Some(b'c') => &["credential", "connectionstring"],
        Some(b'b') => &["bearer"],
        Some(b'j') => &["jwt"],
        _ => &[],
    }
}

/// `ncentral_key`, `signing-key`, `licenseKey`: a key of something.
fn has_key_suffix(name: &str) -> bool {
    let bytes = name.as_bytes();
    let Some(start) = bytes.len().checked_sub(4) else {
        return false;
    };
    let Some(end) = bytes.get(start..) else {
        return false;
    };
    end.eq_ignore_ascii_case(b"_key")
        || end.eq_ignore_ascii_case(b"-key")
        || (end.get(1..) == Some(b"Key".as_slice())
            && end
                .first()
                .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

/// Removes every secret member at any depth; returns the names removed.
pub fn strip(value: &mut Value) -> BTreeSet<String> {
    let mut removed = BTreeSet::new();
    strip_into(value, &mut removed);
    removed
}

fn strip_into(value: &mut Value, removed: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            map.retain(|name, _| {
                let secret = is_secret_name(name);
                if secret {
                    removed.insert(name.clone());
                }
                !secret
            });
            for child in map.values_mut() {
                strip_into(child, removed);
            }
        }
        Value::Array(items) => {
            for child in items {
                strip_into(child, removed);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_words_by_first_letter_are_exactly_the_secret_words() {
        let mut by_letter: Vec<&str> = (0..=u8::MAX)
            .flat_map(|b| words_from(Some(b)).iter().copied())
            .collect();
        by_letter.sort_unstable();
        let mut words = SECRET_WORDS.to_vec();
        words.sort_unstable();
        assert_eq!(by_letter, words);
        for word in SECRET_WORDS {
            assert!(words_from(word.bytes().next()).contains(&word), "{word}");
        }
        // Remembered answers are the answers.
        for name in [
            "apiKey",
            "agent_name",
            "x-api-key",
            "team_id",
            "passphrase",
            "id",
        ] {
            for _ in 0..2 {
                assert_eq!(is_secret_name(name), is_secret_uncached(name), "{name}");
            }
        }
    }

    /// Every name the snapshot must not keep, in the spellings servers use.
    #[test]
    fn every_secret_name_is_recognised_in_every_spelling() {
        for name in [
            "api-key",
            "x-api-key",
            "private-key",
            "signingKey",
            "pwd",
            "passphrase",
            "credentials",
            "authorization",
            "bearer",
            "jwt",
            "connectionString",
            "secret",
            "password",
            "passwd",
            "token",
            "apikey",
            "privatekey",
            "client_secret",
            "refresh_token",
        ] {
            let snake = name.replace('-', "_");
            let kebab = name.replace('_', "-");
            let upper = name.to_ascii_uppercase();
            let prefixed = format!("halo_{name}");
            let dotted = format!("{name}.value");
            for spelling in [name, &snake, &kebab, &upper, &prefixed, &dotted] {
                assert!(is_secret_name(spelling), "{spelling} is not recognised");
            }
            let mut inner = serde_json::Map::new();
            inner.insert(name.to_owned(), "hidden-value".into());
            let mut v = serde_json::json!({"keep": 1, "inner": [Value::Object(inner)]});
            let removed = strip(&mut v);
            assert!(!v.to_string().contains("hidden-value"), "{name}");
            assert_eq!(removed.into_iter().collect::<Vec<_>>(), [name.to_owned()]);
        }
        for name in ["licenseKey", "ncentral_key", "signing-key", "host2Key"] {
            assert!(is_secret_name(name), "{name}");
        }
        // A long name is folded on the heap, with the same answer.
        assert!(is_secret_name(&format!("{}_api-key", "x".repeat(100))));
        assert!(!is_secret_name(&"x".repeat(100)));
    }

    #[test]
    fn strips_nested_secrets_and_reports_names_only() {
        let mut v = json!({
            "id": 1,
            "clientSecret": "s3cr3t-value",
            "password": "hunter2",
            "new_access_token": "tok",
            "new_ncentral_key": "k",
            "nested": [{"orion_password": "p", "keep": "visible", "keyboard": 1}],
            "tokens": [{"x": 1}],
        });
        let removed = strip(&mut v);
        let text = v.to_string();
        for secret in ["s3cr3t-value", "hunter2", "tok\"", "\"k\"", "\"p\""] {
            assert!(!text.contains(secret), "{secret} survived in {text}");
        }
        assert!(text.contains("visible") && text.contains("keyboard"));
        for (name, secret) in [
            ("ClientSecret", true),
            ("API_KEY", true),
            ("Private_Key", true),
            ("ncentral_KEY", true),
            ("_key", true),
            ("key", false),
            ("keys", false),
            ("tok", false),
            ("passwd_hint", true),
            ("résumé_token", true),
            ("é", false),
            ("monkey", false),
            ("keyboard_layout", false),
            ("turnkey", false),
            ("authorized", false),
            ("exchange_authorized", false),
            ("description", false),
            ("passes", false),
        ] {
            assert_eq!(is_secret_name(name), secret, "{name}");
        }
        assert_eq!(
            removed.into_iter().collect::<Vec<_>>(),
            [
                "clientSecret",
                "new_access_token",
                "new_ncentral_key",
                "orion_password",
                "password",
                "tokens"
            ]
        );
    }
}
