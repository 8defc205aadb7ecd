//! Clerk-looking identifiers (`user_` + 27 base62 characters), random tokens, and time.

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `length` base62 characters drawn from `bytes` (cycled through a digest if short).
pub fn base62_from_bytes(bytes: &[u8], length: usize) -> String {
    let mut out = String::with_capacity(length);
    let mut pool = bytes.to_vec();
    let mut round = 0u8;
    while out.len() < length {
        if pool.is_empty() {
            let mut seed = bytes.to_vec();
            seed.push(round);
            round = round.wrapping_add(1);
            pool = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &seed)
                .as_ref()
                .to_vec();
        }
        let byte = pool.remove(0);
        // 248 = 62 * 4: rejecting the rest keeps the characters uniform.
        if byte < 248 {
            out.push(BASE62[(byte % 62) as usize] as char);
        }
    }
    out
}

/// `length` random base62 characters.
pub fn random_base62(length: usize) -> String {
    let mut bytes = vec![0u8; length * 2];
    aws_lc_rs::rand::fill(&mut bytes).expect("system random source works");
    base62_from_bytes(&bytes, length)
}

/// A new id with Clerk's shape: `prefix_` + 27 base62 characters.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", random_base62(27))
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Parses an RFC 3339 timestamp (`2012-10-20T07:15:20.902Z`, `...+02:00`) into epoch
/// milliseconds, as Clerk accepts for `created_at` and `legal_accepted_at`.
pub fn parse_rfc3339_ms(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if bytes.len() < 20
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || !matches!(bytes[10], b'T' | b't' | b' ')
        || bytes[13] != b':'
        || bytes[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &text[19..];
    let mut millis = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let padded = format!("{:0<3}", &fraction[..digits.min(3)]);
        millis = padded.parse::<i64>().ok()?;
        rest = &fraction[digits..];
    }
    let offset_minutes = match rest.as_bytes() {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [h1, h2, m1, m2];
            if !digits.iter().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let value = |a: &u8, b: &u8| i64::from(a - b'0') * 10 + i64::from(b - b'0');
            let minutes = value(h1, h2) * 60 + value(m1, m2);
            if *sign == b'+' { minutes } else { -minutes }
        }
        _ => return None,
    };
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
        - offset_minutes * 60;
    Some(seconds * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc3339() {
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339_ms("2012-10-20T07:15:20.902Z"),
            Some(1_350_717_320_902)
        );
        assert_eq!(
            parse_rfc3339_ms("2012-10-20T09:15:20.9+02:00"),
            Some(1_350_717_320_900)
        );
        assert_eq!(
            parse_rfc3339_ms("2000-02-29T00:00:00-00:30"),
            Some(951_784_200_000)
        );
        assert_eq!(parse_rfc3339_ms("2012-10-20"), None);
        assert_eq!(parse_rfc3339_ms("2012-13-20T07:15:20Z"), None);
        assert_eq!(parse_rfc3339_ms("2012-10-20T07:15:20"), None);
    }

    #[test]
    fn ids_have_clerk_shape() {
        let id = new_id("user");
        assert_eq!(id.len(), "user_".len() + 27);
        assert!(
            id["user_".len()..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric())
        );
        assert_ne!(id, new_id("user"));
    }
}
