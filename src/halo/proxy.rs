//! Which proxy a request to Halo goes through, if any, so that a failure to reach the proxy is
//! reported as the proxy's and not blamed on `--url`.
//!
//! Owns: reading the proxy environment the way the HTTP client does (reqwest reads it through
//! hyper-util, with curl's conventions): `HTTPS_PROXY` for https URLs and `HTTP_PROXY` for http
//! ones, else `ALL_PROXY`, each in upper case first, then lower case; hosts in `NO_PROXY` connect
//! directly; nothing is proxied when `REQUEST_METHOD` is set (a CGI environment). The proxy is
//! only ever shown as `scheme://host:port`: a `user:password@` in the variable never reaches a
//! message.

/// The proxy a request goes through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyInUse {
    /// The environment variable it came from, spelt as set (`HTTPS_PROXY`, `all_proxy`, …).
    pub variable: &'static str,
    /// `scheme://host:port`, without credentials.
    pub shown: String,
    /// The `user:password` part of the variable, if any: removed from whatever is shown.
    userinfo: Option<String>,
}

impl ProxyInUse {
    /// `text` with the proxy's credentials (if the variable holds any) replaced by `***`.
    #[must_use]
    pub fn scrub(&self, text: &str) -> String {
        match &self.userinfo {
            Some(userinfo) if !userinfo.is_empty() => text.replace(userinfo.as_str(), "***"),
            _ => text.to_owned(),
        }
    }
}

/// The proxy the HTTP client uses for `url` (`https://acme.halopsa.com/auth/token`), read from
/// this process's environment; `None` when it connects directly.
#[must_use]
pub fn proxy_for(url: &str) -> Option<ProxyInUse> {
    proxy_in(url, |name| std::env::var(name).ok())
}

/// [`proxy_for`] with the environment given.
fn proxy_in(url: &str, env: impl Fn(&str) -> Option<String>) -> Option<ProxyInUse> {
    if env("REQUEST_METHOD").is_some() {
        return None;
    }
    let parsed = reqwest::Url::parse(url).ok()?;
    let host = parsed.host_str()?;
    let first = |names: [&'static str; 2]| {
        names
            .into_iter()
            .find_map(|name| env(name).map(|value| (name, value)))
    };
    if let Some((_, no_proxy)) = first(["NO_PROXY", "no_proxy"])
        && bypasses(&no_proxy, host)
    {
        return None;
    }
    let specific = match parsed.scheme() {
        "https" => ["HTTPS_PROXY", "https_proxy"],
        "http" => ["HTTP_PROXY", "http_proxy"],
        _ => return None,
    };
    // An unusable value is ignored by the client, which then falls back to ALL_PROXY.
    first(specific)
        .and_then(|(name, value)| parse(name, &value))
        .or_else(|| first(["ALL_PROXY", "all_proxy"]).and_then(|(name, value)| parse(name, &value)))
}

/// A proxy variable's value as the client reads it: `[scheme://][user[:password]@]host[:port]`,
/// the scheme http when none is given; `None` where the client would ignore the value.
fn parse(variable: &'static str, value: &str) -> Option<ProxyInUse> {
    let value = value.trim();
    let (scheme, rest) = match value.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => ("http".to_owned(), value),
    };
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        "socks4" | "socks4a" | "socks5" | "socks5h" => 1080,
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (userinfo, host_port) = match authority.rsplit_once('@') {
        Some((userinfo, host_port)) => (Some(userinfo.to_owned()), host_port),
        None => (None, authority),
    };
    if host_port.is_empty() || host_port.chars().any(char::is_whitespace) {
        return None;
    }
    // A port is the digits after the last colon outside an IPv6 address's brackets.
    let has_port = host_port.rsplit_once(':').is_some_and(|(host, port)| {
        !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && !host.ends_with('[')
    }) && !host_port.ends_with(']');
    let shown = if has_port {
        format!("{scheme}://{host_port}")
    } else {
        format!("{scheme}://{host_port}:{default_port}")
    };
    Some(ProxyInUse {
        variable,
        shown,
        userinfo,
    })
}

/// Whether `NO_PROXY` sends `host` directly: an IP address matches an address or network
/// (`10.0.0.0/8`) in the list; a name matches itself and its subdomains (`example.com` and
/// `.example.com` both match `halo.example.com`), or `*`.
fn bypasses(no_proxy: &str, host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let entries = no_proxy.split(',').map(str::trim).filter(|e| !e.is_empty());
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return entries
            .filter_map(network)
            .any(|(net, bits)| in_network(ip, net, bits));
    }
    entries.filter(|e| network(e).is_none()).any(|entry| {
        let bare = entry.strip_prefix('.').unwrap_or(entry);
        entry == "*"
            || host.eq_ignore_ascii_case(bare)
            || (host.len() > bare.len()
                && host.is_char_boundary(host.len() - bare.len())
                && host[host.len() - bare.len()..].eq_ignore_ascii_case(bare)
                && host.as_bytes()[host.len() - bare.len() - 1] == b'.')
    })
}

/// An entry of `NO_PROXY` that is an address or a network: the address and its prefix length.
fn network(entry: &str) -> Option<(std::net::IpAddr, u8)> {
    let (addr, bits) = match entry.split_once('/') {
        Some((addr, bits)) => (addr, Some(bits.parse::<u8>().ok()?)),
        None => (entry, None),
    };
    let addr: std::net::IpAddr = addr.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let bits = bits.unwrap_or(max);
    (bits <= max).then_some((addr, bits))
}

fn in_network(ip: std::net::IpAddr, net: std::net::IpAddr, bits: u8) -> bool {
    let (ip, net, width) = match (ip, net) {
        (std::net::IpAddr::V4(a), std::net::IpAddr::V4(b)) => {
            (u128::from(u32::from(a)), u128::from(u32::from(b)), 32)
        }
        (std::net::IpAddr::V6(a), std::net::IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        _ => return false,
    };
    if bits == 0 {
        return true;
    }
    let shift = width - u32::from(bits);
    (ip >> shift) == (net >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn the_scheme_picks_the_variable_and_all_proxy_is_the_fallback() {
        let vars = [
            ("HTTPS_PROXY", "http://secure.proxy:3128"),
            ("HTTP_PROXY", "plain.proxy:8080"),
            ("ALL_PROXY", "socks5://any.proxy"),
        ];
        let https = proxy_in("https://acme.halopsa.com/api", with(&vars)).unwrap();
        assert_eq!(
            (https.variable, https.shown.as_str()),
            ("HTTPS_PROXY", "http://secure.proxy:3128")
        );
        let http = proxy_in("http://127.0.0.1:8080/auth/token", with(&vars)).unwrap();
        assert_eq!(
            (http.variable, http.shown.as_str()),
            ("HTTP_PROXY", "http://plain.proxy:8080")
        );
        let all = proxy_in("https://acme.halopsa.com", with(&vars[2..])).unwrap();
        assert_eq!(
            (all.variable, all.shown.as_str()),
            ("ALL_PROXY", "socks5://any.proxy:1080")
        );
        // Upper case first, then lower case; an unusable value falls back to ALL_PROXY.
        let lower = [("https_proxy", "http://lower:1"), ("HTTPS_PROXY", "")];
        assert_eq!(proxy_in("https://h", with(&lower)), None);
        let lower = [("https_proxy", "http://lower:1")];
        assert_eq!(
            proxy_in("https://h", with(&lower)).unwrap().variable,
            "https_proxy"
        );
        let odd = [("HTTPS_PROXY", "ftp://x:1"), ("all_proxy", "http://y:2")];
        assert_eq!(
            proxy_in("https://h", with(&odd)).unwrap().shown,
            "http://y:2"
        );
        assert_eq!(proxy_in("https://h", with(&[])), None);
        let cgi = [("HTTPS_PROXY", "http://p:1"), ("REQUEST_METHOD", "GET")];
        assert_eq!(proxy_in("https://h", with(&cgi)), None);
    }

    #[test]
    fn credentials_are_never_shown() {
        let vars = [("HTTPS_PROXY", "http://alice:s3cr%40t@proxy.corp:3128/")];
        let proxy = proxy_in("https://acme.halopsa.com", with(&vars)).unwrap();
        assert_eq!(proxy.shown, "http://proxy.corp:3128");
        assert_eq!(
            proxy.scrub("via alice:s3cr%40t@proxy.corp:3128"),
            "via ***@proxy.corp:3128"
        );
        let v6 = [("HTTPS_PROXY", "http://u@[::1]")];
        assert_eq!(
            proxy_in("https://h", with(&v6)).unwrap().shown,
            "http://[::1]:80"
        );
        let v6 = [("HTTPS_PROXY", "[::1]:3128")];
        assert_eq!(
            proxy_in("https://h", with(&v6)).unwrap().shown,
            "http://[::1]:3128"
        );
    }

    #[test]
    fn no_proxy_sends_matching_hosts_directly() {
        let vars = |no: &'static str| [("HTTPS_PROXY", "http://p:1"), ("NO_PROXY", no)];
        let direct = |url: &str, no: &'static str| proxy_in(url, with(&vars(no))).is_none();
        assert!(direct("https://acme.halopsa.com", "halopsa.com"));
        assert!(direct("https://acme.halopsa.com", ".halopsa.com"));
        assert!(direct("https://ACME.halopsa.com", "x, acme.halopsa.com "));
        assert!(!direct("https://nothalopsa.com", "halopsa.com"));
        assert!(direct("https://acme.halopsa.com", "*"));
        assert!(direct("https://10.1.2.3", "10.0.0.0/8"));
        assert!(direct("https://127.0.0.1:9", "127.0.0.1"));
        assert!(direct("https://[::1]:9", "::1"));
        assert!(!direct("https://11.1.2.3", "10.0.0.0/8"));
        // As in the client, `*` matches names only, not addresses.
        assert!(!direct("https://127.0.0.1", "*"));
        let lower = [("HTTPS_PROXY", "http://p:1"), ("no_proxy", "h")];
        assert!(proxy_in("https://h", with(&lower)).is_none());
    }
}
