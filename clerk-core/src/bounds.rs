//! The ranges the builders check their settings against, and the wording of the error
//! when a value is out of its range. Below both the client and the transport, so that each
//! checks what it owns without importing the other.

use std::time::Duration;

use crate::error::{Error, Result};

/// The shortest connect or request timeout the builder accepts.
pub(crate) const MIN_TIMEOUT: Duration = Duration::from_millis(1);
/// The longest connect or request timeout, and the longest total budget (10 min).
pub(crate) const MAX_TIMEOUT: Duration = Duration::from_secs(600);
/// The most attempts a retry policy may make.
pub(crate) const MAX_ATTEMPTS_LIMIT: u32 = 10;
/// The longest first backoff of a retry policy.
pub(crate) const MAX_INITIAL_BACKOFF: Duration = Duration::from_secs(60);
/// The longest wait between two attempts a retry policy may allow.
pub(crate) const MAX_BACKOFF_LIMIT: Duration = Duration::from_secs(300);

/// A duration as the range messages show it: `1 ms`, `30 s`, `10 min`.
pub(crate) fn show(duration: Duration) -> String {
    let millis = duration.as_millis();
    if duration.subsec_nanos() % 1_000_000 != 0 {
        format!("{duration:?}")
    } else if millis >= 60_000 && millis % 60_000 == 0 {
        format!("{} min", millis / 60_000)
    } else if millis >= 1000 && millis % 1000 == 0 {
        format!("{} s", millis / 1000)
    } else {
        format!("{millis} ms")
    }
}

/// Refuses a duration setting outside `min..=max`, naming the setting and the range.
pub(crate) fn check_range(
    setting: &str,
    value: Duration,
    min: Duration,
    max: Duration,
) -> Result<()> {
    if (min..=max).contains(&value) {
        return Ok(());
    }
    Err(Error::config(format!(
        "{setting} must be between {} and {}, got {}",
        show(min),
        show(max),
        show(value)
    )))
}
