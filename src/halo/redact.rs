//! Removal of the client secret and of every token from text a server sent back.
//!
//! Owns: the list of secrets of one fetch (the client secret, `client_id:secret` as Basic auth
//! would carry it, every access and refresh token issued) and every encoding a server could echo
//! them in: as sent in a form body (percent/form-encoded), JSON-escaped, HTML-escaped, base64.
//! Text is scrubbed whole, before it is cut to an excerpt, so no secret survives across a cut.
//! It must not log, print or return a secret.

use std::sync::Mutex;

use secrecy::{ExposeSecret, SecretString};

/// What replaces a secret in text shown or stored.
pub const REDACTED: &str = "<redacted>";

/// The secrets of one fetch, in every encoding a server could echo them in. `Debug` shows how
/// many there are, never one.
pub struct Redactor {
    needles: Mutex<Vec<SecretString>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.needles.lock().map_or(0, |n| n.len());
        f.debug_struct("Redactor").field("needles", &count).finish()
    }
}

impl Redactor {
    /// A redactor for a client's credentials.
    #[must_use]
    pub fn new(client_id: &str, secret: &SecretString) -> Self {
        let redactor = Self {
            needles: Mutex::new(Vec::new()),
        };
        redactor.add(secret.expose_secret());
        let basic = format!("{client_id}:{}", secret.expose_secret());
        redactor.add_encoded(&base64(basic.as_bytes()));
        redactor
    }

    /// Adds a secret (a token as it is issued) with every encoding of it.
    pub fn add(&self, secret: &str) {
        // Very short values (a server answering `"x"` as a token) would redact ordinary words.
        if secret.chars().count() < 4 {
            return;
        }
        let mut forms = vec![
            secret.to_owned(),
            form_encode(secret),
            percent_encode(secret),
            json_escape(secret),
            json_escape(secret).replace('/', "\\/"),
            json_unicode_escape(secret),
            html_escape(secret),
            base64(secret.as_bytes()),
        ];
        let lower: Vec<String> = forms[1..3].iter().map(|f| lower_hex(f)).collect();
        forms.extend(lower);
        // Matching ignores ASCII case; these catch a server echoing non-ASCII letters in the
        // other case (`ü` as `Ü`).
        if !secret.is_ascii() {
            forms.push(secret.to_uppercase());
            forms.push(secret.to_lowercase());
        }
        for form in forms {
            self.add_encoded(&form);
        }
    }

    fn add_encoded(&self, form: &str) {
        if form.is_empty() {
            return;
        }
        if let Ok(mut needles) = self.needles.lock() {
            if needles.iter().any(|n| n.expose_secret() == form) {
                return;
            }
            needles.push(SecretString::from(form.to_owned()));
            // Longest first: a secret's encoding may contain the secret itself.
            needles.sort_by_key(|n| std::cmp::Reverse(n.expose_secret().len()));
        }
    }

    /// `text` with every secret, in every encoding and in any case (a server may echo it in
    /// upper case), replaced by [`REDACTED`].
    #[must_use]
    pub fn scrub(&self, text: &str) -> String {
        let Ok(needles) = self.needles.lock() else {
            return REDACTED.to_owned();
        };
        let mut out = text.to_owned();
        for needle in needles.iter() {
            if let Some(replaced) = replace_ignoring_ascii_case(&out, needle.expose_secret()) {
                out = replaced;
            }
        }
        out
    }

    /// [`Redactor::scrub`] of bytes read as UTF-8 (lossily), then cut to `max` characters with
    /// control characters made spaces: the excerpt of a body shown in a message.
    #[must_use]
    pub fn excerpt(&self, body: &[u8], max: usize) -> String {
        let text = self.scrub(&String::from_utf8_lossy(body));
        text.chars()
            .take(max)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect()
    }
}

/// `text` with every occurrence of `needle`, ASCII letters matched in either case, replaced by
/// [`REDACTED`]; `None` when there is none. Linear: both are lower-cased once (ASCII lower-casing
/// keeps every byte offset, so a match in the copies is a match at the same place in `text`).
fn replace_ignoring_ascii_case(text: &str, needle: &str) -> Option<String> {
    let lower_text = text.to_ascii_lowercase();
    let lower_needle = needle.to_ascii_lowercase();
    let mut found = lower_text.match_indices(&lower_needle).peekable();
    found.peek()?;
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, _) in found {
        out.push_str(text.get(at..start)?);
        out.push_str(REDACTED);
        at = start + needle.len();
    }
    out.push_str(text.get(at..)?);
    Some(out)
}

/// As a form body carries it (`application/x-www-form-urlencoded`: space as `+`).
fn form_encode(text: &str) -> String {
    encode_with(
        text,
        |b| b.is_ascii_alphanumeric() || b"*-._".contains(&b),
        true,
    )
}

/// As a URL path or query carries it (RFC 3986: unreserved characters kept, space as `%20`).
fn percent_encode(text: &str) -> String {
    encode_with(
        text,
        |b| b.is_ascii_alphanumeric() || b"-._~".contains(&b),
        false,
    )
}

fn encode_with(text: &str, keep: impl Fn(u8) -> bool, plus: bool) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if keep(b) {
            out.push(char::from(b));
        } else if plus && b == b' ' {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `%2B` as `%2b`: some servers echo lower-case escapes.
fn lower_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut after_percent = 0;
    for c in encoded.chars() {
        if c == '%' {
            after_percent = 2;
            out.push(c);
        } else if after_percent > 0 {
            after_percent -= 1;
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn json_escape(text: &str) -> String {
    let quoted = serde_json::Value::String(text.to_owned()).to_string();
    quoted
        .get(1..quoted.len().saturating_sub(1))
        .unwrap_or_default()
        .to_owned()
}

/// Every character outside printable ASCII, and JSON's specials, as `\u00XX`.
fn json_unicode_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || (c.is_ascii_graphic() && !"\"\\/<>&'".contains(c)) {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Standard base64 with padding (as HTTP Basic auth carries `id:secret`).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let index = ((n >> (18 - 6 * i)) & 63) as usize;
                out.push(char::from(ALPHABET[index]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "s3cr3t+with/slash \"quote\" & ümlaut";

    fn redactor() -> Redactor {
        Redactor::new("client-id", &SecretString::from(SECRET.to_owned()))
    }

    #[test]
    fn base64_is_standard_with_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(
            base64(b"Aladdin:open sesame"),
            "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }

    #[test]
    fn the_secret_is_scrubbed_in_every_encoding_a_server_could_echo() {
        let r = redactor();
        let basic = base64(format!("client-id:{SECRET}").as_bytes());
        for echoed in [
            SECRET.to_owned(),
            form_encode(SECRET),
            lower_hex(&form_encode(SECRET)),
            percent_encode(SECRET),
            lower_hex(&percent_encode(SECRET)),
            json_escape(SECRET),
            json_escape(SECRET).replace('/', "\\/"),
            json_unicode_escape(SECRET),
            html_escape(SECRET),
            base64(SECRET.as_bytes()),
            basic.clone(),
        ] {
            let text = format!("error: got client_secret={echoed}&scope=admin");
            let scrubbed = r.scrub(&text);
            assert_eq!(
                scrubbed, "error: got client_secret=<redacted>&scope=admin",
                "{echoed}"
            );
        }
        assert!(form_encode(SECRET).starts_with("s3cr3t%2Bwith%2Fslash+%22quote"));
    }

    #[test]
    fn tokens_are_scrubbed_once_added_and_short_values_are_not_needles() {
        let r = redactor();
        r.add("eyJ.token-value/with+chars");
        r.add("ab");
        assert_eq!(
            r.scrub("Bearer eyJ.token-value/with+chars; x=eyJ.token-value%2Fwith%2Bchars ab"),
            "Bearer <redacted>; x=<redacted> ab"
        );
    }

    #[test]
    fn an_excerpt_is_scrubbed_before_it_is_cut() {
        let r = redactor();
        // The secret starts before the cut and ends after it.
        let body = format!(
            "{}{}{}",
            "x".repeat(50),
            form_encode(SECRET),
            "y".repeat(50)
        );
        let excerpt = r.excerpt(body.as_bytes(), 60);
        assert!(!excerpt.contains("s3cr"), "{excerpt}");
        assert!(excerpt.starts_with(&"x".repeat(50)));
        assert!(excerpt.ends_with("<redacted>"), "{excerpt}");
    }

    #[test]
    fn the_secret_is_scrubbed_in_any_case() {
        let r = redactor();
        for echoed in [
            SECRET.to_uppercase(),
            SECRET.to_lowercase(),
            form_encode(SECRET).to_uppercase(),
            "S3cR3T+WiTh/SlAsH \"QuOtE\" & üMLAUT".to_owned(),
        ] {
            let scrubbed = r.scrub(&format!("got {echoed}!"));
            assert_eq!(scrubbed, "got <redacted>!", "{echoed}");
        }
        // Offsets stay right around multi-byte text.
        let r = Redactor::new("id", &SecretString::from("abcdef".to_owned()));
        assert_eq!(r.scrub("ü ABCDEF ü AbCdEf"), "ü <redacted> ü <redacted>");
    }

    #[test]
    fn debug_shows_no_needle() {
        let text = format!("{:?}", redactor());
        assert!(!text.contains("s3cr"), "{text}");
    }
}
