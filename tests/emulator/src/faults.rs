//! The allowed range of every fault value, checked both for `POST /__emulator/faults`
//! and for [`crate::Emulator::inject_fault`]. tests/emulator/README.md lists the same
//! ranges.

use std::fmt;

use serde_json::Value;

use crate::Fault;

/// `times`: how many matching requests a fault affects.
pub const TIMES: (u64, u64) = (1, 1_000_000);
/// `status`: error statuses only (1xx, 204 or 304 with a body would break HTTP framing).
pub const STATUS: (u64, u64) = (400, 599);
/// `delay_ms`: up to two minutes.
pub const DELAY_MS: (u64, u64) = (0, 120_000);
/// `body_bytes` of an `oversized` answer: at least the smallest JSON padding object, at
/// most 1 GiB (the body is streamed, never held in memory).
pub const BODY_BYTES: (u64, u64) = (16, 1 << 30);
/// `retry_after` given as delta-seconds: up to one day.
pub const RETRY_AFTER_SECONDS: (u64, u64) = (0, 86_400);
/// `retry_after_date_in`: seconds from the answer to the date sent, up to one day.
pub const RETRY_AFTER_DATE_IN: (u64, u64) = (0, 86_400);
/// `retry_after`: at most this many printable ASCII characters.
pub const RETRY_AFTER_MAX_LEN: usize = 64;
/// `method`: at most this many ASCII letters.
pub const METHOD_MAX_LEN: usize = 16;
/// `path`: at most this many bytes.
pub const PATH_MAX_LEN: usize = 2048;
/// Faults pending at once.
pub const MAX_PENDING: usize = 1000;

/// A fault value outside its allowed range; the message names the field and the range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidFault(String);

impl InvalidFault {
    fn new(message: impl Into<String>) -> InvalidFault {
        InvalidFault(message.into())
    }

    /// The same error with a prefix (`fault 3: ...`).
    pub(crate) fn context(self, prefix: &str) -> InvalidFault {
        InvalidFault(format!("{prefix}: {}", self.0))
    }
}

impl fmt::Display for InvalidFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidFault {}

/// At most 80 characters of a refused value, escaped, for an error message.
fn shown(value: &str) -> String {
    let mut text: String = value.chars().take(80).collect();
    if text.len() < value.len() {
        text.push_str("...");
    }
    format!("{text:?}")
}

fn integer_range(name: &str, (low, high): (u64, u64)) -> String {
    format!("{name} must be an integer from {low} to {high}")
}

fn check_integer(name: &str, value: u64, range: (u64, u64)) -> Result<(), InvalidFault> {
    if (range.0..=range.1).contains(&value) {
        Ok(())
    } else {
        Err(InvalidFault::new(format!(
            "{}, got {value}",
            integer_range(name, range)
        )))
    }
}

fn retry_after_rule() -> String {
    format!(
        "retry_after must be a string of 1 to {RETRY_AFTER_MAX_LEN} printable ASCII characters \
         (delta-seconds from {} to {}, or an HTTP date)",
        RETRY_AFTER_SECONDS.0, RETRY_AFTER_SECONDS.1
    )
}

/// Checks the numeric fields of one fault's JSON before it is converted to a [`Fault`],
/// so that values beyond the Rust types (negative, fractional, 1e30) get the same
/// message as values beyond the range.
pub fn check_json(fault: &Value) -> Result<(), InvalidFault> {
    let Some(object) = fault.as_object() else {
        return Err(InvalidFault::new(format!(
            "a fault must be a JSON object, got {fault}"
        )));
    };
    for (name, range) in [
        ("times", TIMES),
        ("status", STATUS),
        ("delay_ms", DELAY_MS),
        ("body_bytes", BODY_BYTES),
        ("retry_after_date_in", RETRY_AFTER_DATE_IN),
    ] {
        match object.get(name) {
            None | Some(Value::Null) => {}
            Some(value) => match value.as_u64() {
                Some(number) => check_integer(name, number, range)?,
                None => {
                    return Err(InvalidFault::new(format!(
                        "{}, got {value}",
                        integer_range(name, range)
                    )));
                }
            },
        }
    }
    match object.get("retry_after") {
        None | Some(Value::Null) | Some(Value::String(_)) => Ok(()),
        Some(other) => Err(InvalidFault::new(format!(
            "{}, got {other}",
            retry_after_rule()
        ))),
    }
}

/// Checks every value of a fault against its range.
pub fn check(fault: &Fault) -> Result<(), InvalidFault> {
    if let Some(method) = &fault.method
        && (method.is_empty()
            || method.len() > METHOD_MAX_LEN
            || !method.bytes().all(|b| b.is_ascii_alphabetic()))
    {
        return Err(InvalidFault::new(format!(
            "method must be 1 to {METHOD_MAX_LEN} ASCII letters (GET, POST, ...), got {}",
            shown(method)
        )));
    }
    if !fault.path.starts_with('/')
        || fault.path.len() > PATH_MAX_LEN
        || fault.path.chars().any(char::is_control)
    {
        return Err(InvalidFault::new(format!(
            "path must be a path starting with / of at most {PATH_MAX_LEN} bytes \
             without control characters, got {}",
            shown(&fault.path)
        )));
    }
    if let Some(times) = fault.times {
        check_integer("times", u64::from(times), TIMES)?;
    }
    if let Some(status) = fault.status {
        check_integer("status", u64::from(status), STATUS)?;
    }
    if let Some(delay) = fault.delay_ms {
        check_integer("delay_ms", delay, DELAY_MS)?;
    }
    if let Some(bytes) = fault.body_bytes {
        check_integer(
            "body_bytes",
            u64::try_from(bytes).unwrap_or(u64::MAX),
            BODY_BYTES,
        )?;
    }
    if let Some(seconds) = fault.retry_after_date_in {
        check_integer("retry_after_date_in", seconds, RETRY_AFTER_DATE_IN)?;
    }
    if let Some(retry_after) = &fault.retry_after {
        let printable = !retry_after.is_empty()
            && retry_after.len() <= RETRY_AFTER_MAX_LEN
            && retry_after.bytes().all(|b| (0x20..=0x7e).contains(&b));
        if !printable {
            return Err(InvalidFault::new(format!(
                "{}, got {}",
                retry_after_rule(),
                shown(retry_after)
            )));
        }
        if retry_after.bytes().all(|b| b.is_ascii_digit()) {
            let in_range = retry_after
                .parse::<u64>()
                .is_ok_and(|s| (RETRY_AFTER_SECONDS.0..=RETRY_AFTER_SECONDS.1).contains(&s));
            if !in_range {
                return Err(InvalidFault::new(format!(
                    "{}, got {}",
                    retry_after_rule(),
                    shown(retry_after)
                )));
            }
        }
    }
    Ok(())
}

/// Checks that `adding` more faults fit next to `pending` ones.
pub fn check_room(pending: usize, adding: usize) -> Result<(), InvalidFault> {
    if pending.saturating_add(adding) > MAX_PENDING {
        return Err(InvalidFault::new(format!(
            "at most {MAX_PENDING} pending faults: {pending} pending, {adding} more sent \
             (DELETE /__emulator/faults clears them)"
        )));
    }
    Ok(())
}

/// Parses and checks the body of `POST /__emulator/faults`: one fault or an array.
pub fn parse_request(body: &[u8]) -> Result<Vec<Fault>, InvalidFault> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| InvalidFault::new(format!("invalid fault JSON: {e}")))?;
    let (items, numbered) = match value {
        Value::Array(items) => (items, true),
        one => (vec![one], false),
    };
    if items.len() > MAX_PENDING {
        return Err(check_room(0, items.len()).unwrap_err());
    }
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            check_json(&item)
                .and_then(|()| {
                    serde_json::from_value::<Fault>(item)
                        .map_err(|e| InvalidFault::new(format!("invalid fault JSON: {e}")))
                })
                .and_then(|fault| check(&fault).map(|()| fault))
                .map_err(|e| {
                    if numbered {
                        e.context(&format!("fault {index}"))
                    } else {
                        e
                    }
                })
        })
        .collect()
}

/// `at` as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 section 5.6.7), the
/// form a `Retry-After` date takes; whole seconds, rounded down.
pub fn imf_fixdate(at: std::time::SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let seconds = at
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = seconds / 86_400;
    let of_day = seconds % 86_400;
    // H. Hinnant's civil_from_days, for days since 1970-01-01 (never negative here).
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        of_day / 3_600,
        of_day % 3_600 / 60,
        of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::imf_fixdate;

    #[test]
    fn imf_fixdate_formats_known_instants() {
        let at = |s: u64| UNIX_EPOCH + Duration::from_secs(s);
        assert_eq!(imf_fixdate(at(0)), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            imf_fixdate(at(784_111_777)),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        assert_eq!(
            imf_fixdate(at(951_782_400)),
            "Tue, 29 Feb 2000 00:00:00 GMT"
        );
        assert_eq!(
            imf_fixdate(at(1_445_412_480)),
            "Wed, 21 Oct 2015 07:28:00 GMT"
        );
    }
}
