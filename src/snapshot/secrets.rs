//! Removal of secrets from Halo objects before they are stored or shown.
//!
//! Owns: the rule for what counts as a secret field name. Values are never inspected, logged or
//! returned; only the names of removed fields are.

use std::collections::BTreeSet;

use serde_json::Value;

/// True when a member with this name may hold a secret.
#[must_use]
pub fn is_secret_name(name: &str) -> bool {
    const PARTS: [&str; 8] = [
        "secret",
        "password",
        "passwd",
        "token",
        "apikey",
        "api_key",
        "privatekey",
        "private_key",
    ];
    // Called for every member of a snapshot (millions in a large tenant): compare in place,
    // ASCII case-insensitively, without building a lower-case copy.
    let bytes = name.as_bytes();
    // Every part but "secret" holds a `k` or a `w`: most names are decided in one scan.
    if !bytes
        .iter()
        .any(|b| matches!(b.to_ascii_lowercase(), b'k' | b'w'))
    {
        return contains_ignore_case(bytes, b"secret");
    }
    PARTS
        .iter()
        .any(|part| contains_ignore_case(bytes, part.as_bytes()))
        || bytes
            .len()
            .checked_sub(4)
            .and_then(|start| bytes.get(start..))
            .is_some_and(|end| end.eq_ignore_ascii_case(b"_key"))
}

/// `haystack` contains `needle` (lower-case ASCII), ignoring ASCII case.
fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.len() >= needle.len()
        && haystack
            .windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle))
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
