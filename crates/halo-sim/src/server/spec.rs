//! The text grammar of `--fault`, `--rate` and durations, shared by the `halo-sim` binary and tests.
//!
//! This module only parses; what a fault or rate limit *does* is the server's business. Every error
//! names the offending piece and shows the expected form.
//!
//! ```text
//! DURATION := INTEGER UNIT            UNIT := ms | s | m | h          e.g. 200ms, 30s, 5m
//! RATE     := REQUESTS "/" DURATION [ "," ( retry-after | no-retry-after ) ]
//!                                                                      e.g. 300/5m, 5/200ms,no-retry-after
//! FAULT    := KIND { "," OPTION } [ "@" PATH ]
//! KIND     := status=CODE | forbidden | rate-limited[=SECS] | drop | drop-mid-body | malformed
//!           | garbage | delay=DURATION | hang | endless | redirect=URL | expire-tokens
//! OPTION   := skip=N | times=N
//! PATH     := "*" | /exact/path | /prefix/*                            (no query; case-insensitive)
//! ```

use std::time::Duration;

use super::{Fault, FaultKind, RateLimit};

const DURATION_FORM: &str = "a whole number with a unit: ms, s, m or h (e.g. 200ms, 30s, 5m)";
const RATE_FORM: &str = "REQUESTS/DURATION[,no-retry-after], e.g. 300/5m or 5/200ms,no-retry-after";
const FAULT_FORM: &str = "KIND[,skip=N][,times=N][@PATH], e.g. status=500,times=2@/api/Agent/*";
const FAULT_KINDS: &str = "status=CODE, forbidden, rate-limited[=SECS], drop, drop-mid-body, \
                           malformed, garbage, delay=DURATION, hang, endless, redirect=URL, expire-tokens, \
                           echo=CODE, reply=CODE:TEXT, runaway=COUNT, flood=COUNT:PER_PAGE, \
                           repeat-record[=changed], stuck-paging";

/// Parses a duration such as `200ms`, `30s`, `5m` or `1h` (a whole number and a unit).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    if number.is_empty() {
        return Err(format!(
            "`{text}` is not a duration: expected {DURATION_FORM}"
        ));
    }
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: the number is too large"))?;
    let duration = match unit.to_ascii_lowercase().as_str() {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        "" => {
            return Err(format!(
                "`{text}` is not a duration: it needs a unit, e.g. {n}s or {n}ms"
            ));
        }
        other => {
            return Err(format!(
                "`{text}` is not a duration: unknown unit `{other}`; expected {DURATION_FORM}"
            ));
        }
    };
    Ok(duration)
}

/// Parses a rate limit: `REQUESTS/DURATION[,retry-after|,no-retry-after]`.
///
/// `300/5m` is Halo's hosted limit (300 requests per rolling 5 minutes) with a `Retry-After` header
/// on each 429; `,no-retry-after` leaves the header out, as Halo may well do.
pub fn parse_rate(spec: &str) -> Result<RateLimit, String> {
    let mut parts = spec.trim().split(',');
    let head = parts.next().unwrap_or_default().trim();
    let (requests, window) = head
        .split_once('/')
        .ok_or_else(|| format!("`{spec}` is not a rate: expected {RATE_FORM}"))?;
    let requests: u32 = requests.trim().parse().map_err(|_| {
        format!(
            "`{spec}` is not a rate: `{}` is not a number of requests; expected {RATE_FORM}",
            requests.trim()
        )
    })?;
    if requests == 0 {
        return Err(format!(
            "`{spec}` is not a rate: the number of requests must be at least 1"
        ));
    }
    let window = parse_duration(window).map_err(|e| format!("in the rate `{spec}`: {e}"))?;
    if window.is_zero() {
        return Err(format!(
            "`{spec}` is not a rate: the window must be longer than 0"
        ));
    }
    let mut retry_after = true;
    for option in parts {
        match option.trim().to_ascii_lowercase().as_str() {
            "retry-after" => retry_after = true,
            "no-retry-after" => retry_after = false,
            other => {
                return Err(format!(
                    "`{spec}`: unknown rate option `{other}`; expected `retry-after` or `no-retry-after`"
                ));
            }
        }
    }
    Ok(RateLimit {
        requests,
        window,
        retry_after,
    })
}

/// Parses a fault: `KIND[,skip=N][,times=N][@PATH]` (see the module documentation).
///
/// Without `@PATH` the fault applies to every path (`*`). A redirect target that contains `@`
/// needs an explicit `@PATH`, since the last `@` starts the path.
pub fn parse_fault(spec: &str) -> Result<Fault, String> {
    let spec = spec.trim();
    let (head, path) = match spec.rsplit_once('@') {
        Some((head, path)) => (head, path.trim()),
        None => (spec, "*"),
    };
    check_path(spec, path)?;

    let mut tokens = head.split(',');
    let kind_token = tokens.next().unwrap_or_default().trim();
    let (name, mut arg) = match kind_token.split_once('=') {
        Some((name, arg)) => (
            name.trim().to_ascii_lowercase(),
            Some(arg.trim().to_owned()),
        ),
        None => (kind_token.to_ascii_lowercase(), None),
    };
    let mut skip = 0;
    let mut times = None;
    for token in tokens {
        let token = token.trim();
        let option = token
            .split_once('=')
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim()));
        match option {
            Some((key, value)) if key == "skip" => skip = count(spec, "skip", value)?,
            Some((key, value)) if key == "times" => {
                let n = count(spec, "times", value)?;
                if n == 0 {
                    return Err(format!(
                        "`{spec}`: times=0 would never inject the fault; leave times out to inject it forever"
                    ));
                }
                times = Some(n);
            }
            // A redirect target may itself contain commas.
            _ if name == "redirect" || name == "reply" => {
                if let Some(url) = arg.as_mut() {
                    url.push(',');
                    url.push_str(token);
                }
            }
            _ => {
                return Err(format!(
                    "`{spec}`: unknown fault option `{token}`; expected skip=N or times=N ({FAULT_FORM})"
                ));
            }
        }
    }

    let kind = fault_kind(spec, &name, arg)?;
    Ok(Fault {
        path: path.to_owned(),
        kind,
        skip,
        times,
    })
}

fn check_path(spec: &str, path: &str) -> Result<(), String> {
    if path == "*" {
        return Ok(());
    }
    if !path.starts_with('/') {
        return Err(format!(
            "`{spec}`: the path `{path}` must be `*` or start with `/` (e.g. @/api/Agent/*)"
        ));
    }
    if path.contains('?') {
        return Err(format!(
            "`{spec}`: the path `{path}` must not contain a query; faults match the path only"
        ));
    }
    if path.trim_end_matches('*').contains('*') || path.ends_with("**") {
        return Err(format!(
            "`{spec}`: `*` may only end the path (a prefix such as /api/Agent/*)"
        ));
    }
    Ok(())
}

fn count(spec: &str, key: &str, value: &str) -> Result<u32, String> {
    value
        .parse()
        .map_err(|_| format!("`{spec}`: {key}={value} is not a whole number"))
}

fn fault_kind(spec: &str, name: &str, arg: Option<String>) -> Result<FaultKind, String> {
    let no_arg = |kind: FaultKind| match &arg {
        None => Ok(kind),
        Some(value) => Err(format!(
            "`{spec}`: the fault `{name}` takes no value (got `={value}`)"
        )),
    };
    let need_arg = |what: &str| {
        arg.clone()
            .filter(|a| !a.is_empty())
            .ok_or_else(|| format!("`{spec}`: the fault `{name}` needs a value: {name}={what}"))
    };
    match name {
        "status" => {
            let value = need_arg("CODE")?;
            let code: u16 = value
                .parse()
                .map_err(|_| format!("`{spec}`: status={value} is not an HTTP status code"))?;
            if !(400..=599).contains(&code) {
                return Err(format!(
                    "`{spec}`: status={code} must be an error status between 400 and 599 \
                     (use redirect=URL for a 302)"
                ));
            }
            Ok(FaultKind::Status(code))
        }
        "forbidden" => no_arg(FaultKind::Forbidden),
        "rate-limited" => {
            let retry_after = match arg.as_deref() {
                None => None,
                Some(value) => {
                    let secs = value.strip_suffix('s').unwrap_or(value);
                    Some(secs.parse().map_err(|_| {
                        format!("`{spec}`: rate-limited={value} is not a number of seconds")
                    })?)
                }
            };
            Ok(FaultKind::RateLimited { retry_after })
        }
        "drop" => no_arg(FaultKind::Drop),
        "drop-mid-body" => no_arg(FaultKind::DropMidBody),
        "malformed" => no_arg(FaultKind::Malformed),
        "garbage" => no_arg(FaultKind::Garbage),
        "delay" => {
            let value = need_arg("DURATION")?;
            let duration = parse_duration(&value).map_err(|e| format!("`{spec}`: {e}"))?;
            Ok(FaultKind::Delay(duration))
        }
        "hang" => no_arg(FaultKind::Hang),
        "endless" => no_arg(FaultKind::Endless),
        "redirect" => Ok(FaultKind::Redirect(need_arg("URL")?)),
        "expire-tokens" => no_arg(FaultKind::ExpireTokens),
        "echo" => {
            let value = need_arg("CODE")?;
            let code: u16 = value
                .parse()
                .ok()
                .filter(|c| (200..=599).contains(c))
                .ok_or_else(|| format!("`{spec}`: echo={value} is not an HTTP status code"))?;
            Ok(FaultKind::Echo(code))
        }
        "runaway" => {
            let value = need_arg("COUNT")?;
            let count = value
                .parse()
                .map_err(|_| format!("`{spec}`: runaway={value} is not a whole number"))?;
            Ok(FaultKind::Runaway(count))
        }
        "flood" => {
            let value = need_arg("COUNT:PER_PAGE")?;
            let parsed = value
                .split_once(':')
                .and_then(|(c, p)| Some((c.parse().ok()?, p.parse().ok()?)));
            match parsed {
                Some((count, per_page)) => Ok(FaultKind::Flood { count, per_page }),
                None => Err(format!(
                    "`{spec}`: flood={value} is not COUNT:PER_PAGE (two whole numbers)"
                )),
            }
        }
        "repeat-record" => match arg.as_deref() {
            None => Ok(FaultKind::RepeatRecord { changed: false }),
            Some("changed") => Ok(FaultKind::RepeatRecord { changed: true }),
            Some(other) => Err(format!(
                "`{spec}`: repeat-record takes no value or `=changed` (got `={other}`)"
            )),
        },
        "stuck-paging" => no_arg(FaultKind::StuckPaging),
        "reply" => {
            let value = need_arg("CODE:TEXT")?;
            let (code, body) = value.split_once(':').unwrap_or((value.as_str(), ""));
            let code: u16 = code
                .parse()
                .ok()
                .filter(|c| (200..=599).contains(c))
                .ok_or_else(|| {
                    format!("`{spec}`: reply={value} does not start with an HTTP status code")
                })?;
            Ok(FaultKind::Reply(code, body.to_owned()))
        }
        "" => Err(format!(
            "`{spec}` names no fault; expected one of: {FAULT_KINDS}"
        )),
        other => Err(format!(
            "`{spec}`: unknown fault `{other}`; expected one of: {FAULT_KINDS}"
        )),
    }
}
