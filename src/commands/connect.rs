//! The connection to a HaloPSA instance, from the flags, the configuration and the environment:
//! shared by `fetch`, a live `check` and a live `self-check`.

use crate::cli::ConnectArgs;
use crate::report::Style;

use super::AppError;
use super::inputs::display;

/// Builds fetch settings from the connection flags and the environment.
///
/// # Errors
/// Missing URL, client id or secret, or an unusable value (exit 2).
pub fn connection(
    args: &ConnectArgs,
    command: &'static str,
    style: &Style,
) -> Result<crate::halo::Settings, AppError> {
    use crate::halo::{FetchError, Rate, RetryPolicy, Settings, parse_duration};
    use secrecy::{ExposeSecret, SecretString};
    let url = args.url.as_deref().ok_or(FetchError::NoUrl)?;
    // The secret goes only where the command line or the environment said: a repository's
    // configuration file must not be able to send it elsewhere.
    if args.url_from_config && !args.trust_config_url {
        return Err(FetchError::ConfigUrl {
            url: crate::halo::shown_url(url),
        }
        .into());
    }
    let client_id = args
        .client_id
        .clone()
        .filter(|c| !c.trim().is_empty())
        .ok_or(FetchError::NoClientId)?;
    let secret = match &args.client_secret_file {
        Some(path) => {
            // A secret is a line of text: 64 KiB is plenty, and `/dev/zero` ends at once.
            let bytes =
                crate::fsio::read_input(path, 64 * 1024).map_err(|e| FetchError::SecretFile {
                    path: display(path),
                    detail: e.to_string(),
                })?;
            let text = String::from_utf8(bytes).map_err(|_| FetchError::SecretFile {
                path: display(path),
                detail: "it is not UTF-8 text".to_owned(),
            })?;
            SecretString::from(text.trim().to_owned())
        }
        None => SecretString::from(
            std::env::var("HALO_CLIENT_SECRET")
                .unwrap_or_default()
                .trim()
                .to_owned(),
        ),
    };
    if secret.expose_secret().is_empty() {
        return Err(FetchError::NoSecret.into());
    }
    let usage = |flag: &'static str, value: &str, reason: String| AppError::Usage {
        command,
        flag,
        value: value.to_owned(),
        reason,
    };
    let duration = |flag: &'static str, value: &str| {
        parse_duration(value).map_err(|reason| usage(flag, value, reason))
    };
    let mut settings =
        Settings::new(url, client_id, secret)?.with_auth_url(args.auth_url.as_deref())?;
    if args.auth_url_from_config {
        settings.check_config_auth_origin(&args.allow_auth_origin)?;
    }
    settings.tenant = args.tenant.clone().filter(|t| !t.trim().is_empty());
    settings.scope = args.fetch_scope;
    settings.token_scope = args
        .token_scope
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    settings.rate =
        Rate::parse(&args.rate).map_err(|reason| usage("--rate", &args.rate, reason))?;
    settings.concurrency = usize::from(args.concurrency);
    settings.timeout = duration("--timeout", &args.timeout)?;
    if settings.timeout.is_zero() {
        return Err(usage(
            "--timeout",
            &args.timeout,
            "must be longer than zero".to_owned(),
        ));
    }
    settings.retry = RetryPolicy {
        max_attempts: args.max_attempts,
        base: duration("--backoff", &args.backoff)?,
        max_wait: duration("--max-retry-time", &args.max_retry_time)?,
        ..RetryPolicy::default()
    };
    settings.progress = !style.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
    if let Some(max) = args.max_records {
        settings.max_records = usize::try_from(max).unwrap_or(usize::MAX);
    }
    Ok(settings)
}
