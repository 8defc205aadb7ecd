//! Clerk-looking identifiers (`user_` + 27 base62 characters) and random tokens.

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

#[cfg(test)]
mod tests {
    use super::*;

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
