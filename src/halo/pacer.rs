//! Client-side pacing that shares the tenant's API quota with its live integrations.
//!
//! Owns: spacing requests evenly under a rolling-window limit (Halo's hosted limit is 300 requests
//! per rolling 5 minutes), and a shared pause after a 429 so every in-flight task backs off
//! together. Sending evenly (never in bursts) keeps a fetch from starving production integrations
//! that use the same quota, and finishes at the limit's pace.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// A request budget: `requests` per `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub requests: u32,
    pub period: Duration,
}

impl Rate {
    /// Halo's documented hosted limit: 300 requests per rolling 5 minutes.
    pub const HALO_HOSTED: Self = Self {
        requests: 300,
        period: Duration::from_secs(300),
    };

    /// The spacing between two requests. Any `requests + 1` consecutive requests then span more
    /// than the period plus a margin (1 % and 25 ms) for the jitter between when this client sends
    /// and when the server's rolling window counts, so the limit is never tipped over.
    #[must_use]
    pub fn interval(self) -> Duration {
        let span = self.period.as_secs_f64() * 1.01 + 0.025;
        Duration::from_secs_f64(span / f64::from(self.requests.max(1)))
    }

    /// Parses `N/PERIOD` (`300/5m`, `10/1s`, `600/10min`); `off` or `none` mean no pacing.
    ///
    /// # Errors
    /// A message naming what is wrong with the text.
    pub fn parse(text: &str) -> Result<Option<Self>, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("off") || text.eq_ignore_ascii_case("none") {
            return Ok(None);
        }
        let (count, period) = text
            .split_once('/')
            .ok_or_else(|| format!("`{text}` is not N/PERIOD, e.g. `300/5m` or `off`"))?;
        let requests: u32 = count
            .trim()
            .parse()
            .map_err(|_| format!("`{count}` is not a whole number of requests"))?;
        if requests == 0 {
            return Err("the rate must allow at least one request".to_owned());
        }
        let period = parse_duration(period)?;
        if period.is_zero() {
            return Err("the period must be longer than zero".to_owned());
        }
        Ok(Some(Self { requests, period }))
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}s", self.requests, self.period.as_secs_f64())
    }
}

/// Parses a duration such as `250ms`, `2s`, `5m`, `1h 30m` (jiff's friendly format) or a bare
/// number of seconds.
///
/// # Errors
/// A message naming the text.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let signed: jiff::SignedDuration = text
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as `250ms`, `30s` or `5m`"))?;
    Duration::try_from(signed).map_err(|_| format!("`{text}` is negative"))
}

/// Hands out send times: evenly spaced under the rate, never before a shared pause ends.
#[derive(Debug)]
pub struct Pacer {
    interval: Option<Duration>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    next: Option<Instant>,
    paused_until: Option<Instant>,
}

impl Pacer {
    /// A pacer for `rate`; `None` paces nothing (only pauses after a 429 apply).
    #[must_use]
    pub fn new(rate: Option<Rate>) -> Self {
        Self {
            interval: rate.map(Rate::interval),
            state: Mutex::new(State {
                next: None,
                paused_until: None,
            }),
        }
    }

    /// Waits until this caller may send.
    pub async fn acquire(&self) {
        let slot = {
            let mut state = self.state.lock().await;
            let now = Instant::now();
            let mut slot = now;
            if let Some(next) = state.next {
                slot = slot.max(next);
            }
            if let Some(until) = state.paused_until {
                slot = slot.max(until);
            }
            if let Some(interval) = self.interval {
                state.next = Some(slot + interval);
            }
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Holds every sender back for `delay` from now (after a 429).
    pub async fn pause(&self, delay: Duration) {
        let until = Instant::now() + delay;
        let mut state = self.state.lock().await;
        state.paused_until = Some(state.paused_until.map_or(until, |u| u.max(until)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rates_and_durations() {
        assert_eq!(Rate::parse("300/5m").unwrap(), Some(Rate::HALO_HOSTED));
        assert_eq!(
            Rate::parse(" 10/250ms ").unwrap(),
            Some(Rate {
                requests: 10,
                period: Duration::from_millis(250)
            })
        );
        assert_eq!(Rate::parse("off").unwrap(), None);
        assert!(Rate::parse("300").unwrap_err().contains("N/PERIOD"));
        assert!(Rate::parse("0/5m").unwrap_err().contains("at least one"));
        assert!(Rate::parse("x/5m").unwrap_err().contains("whole number"));
        assert!(
            Rate::parse("3/0s")
                .unwrap_err()
                .contains("longer than zero")
        );
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1m 30s").unwrap(), Duration::from_secs(90));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-5s").is_err());
    }

    #[test]
    fn the_interval_spreads_the_limit_over_the_period_with_a_small_margin() {
        let i = Rate::HALO_HOSTED.interval();
        assert!(
            i > Duration::from_secs(1) && i < Duration::from_millis(1020),
            "{i:?}"
        );
        // Short windows keep an absolute margin for jitter.
        let short = Rate {
            requests: 30,
            period: Duration::from_millis(500),
        };
        assert!(short.interval() * 30 > Duration::from_millis(520));
    }

    #[tokio::test(start_paused = true)]
    async fn senders_are_spaced_evenly_and_pauses_hold_everyone() {
        let pacer = Pacer::new(Some(Rate {
            requests: 10,
            period: Duration::from_secs(10),
        }));
        let start = Instant::now();
        for _ in 0..3 {
            pacer.acquire().await;
        }
        let spent = start.elapsed();
        assert!(
            spent >= Duration::from_millis(2000) && spent < Duration::from_millis(2100),
            "{spent:?}"
        );
        pacer.pause(Duration::from_secs(30)).await;
        let before = Instant::now();
        pacer.acquire().await;
        assert!(before.elapsed() >= Duration::from_secs(30));
    }
}
