//! Turning spec names into Rust names.

/// Words the spec spells in a mixed case that a plain camelCase split would cut in two
/// (`OAuth` would become `o_auth`).
const WHOLE_WORDS: &[(&str, &str)] = &[("OAuth", "Oauth")];

/// `snake_case` of a camelCase, PascalCase, dotted or dashed name; acronyms stay one
/// word (`emailSMSTemplates` -> `email_sms_templates`, `getJWKS` -> `get_jwks`).
pub fn snake(name: &str) -> String {
    let mut name = name.to_string();
    for (from, to) in WHOLE_WORDS {
        name = name.replace(from, to);
    }
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            continue;
        }
        if c.is_ascii_uppercase() {
            let previous = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            let starts_word = match previous {
                Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                // The last capital of an acronym followed by a word: `SMSTemplates`.
                Some(p) if p.is_ascii_uppercase() => next.is_some_and(|n| n.is_ascii_lowercase()),
                _ => false,
            };
            if starts_word && !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out.trim_end_matches('_').to_string()
}

/// `SCREAMING_SNAKE_CASE`, for constants.
pub fn screaming(name: &str) -> String {
    snake(name).to_ascii_uppercase()
}

/// A PascalCase type or variant name: pieces split at non-alphanumerics, each with its
/// first letter capitalised and the rest kept (`verification_otp` -> `VerificationOtp`,
/// `JWKS.rsa.PublicKey` -> `JWKSRsaPublicKey`, `CommercePlan-2` -> `CommercePlan2`).
pub fn pascal(name: &str) -> String {
    let mut out = String::new();
    for piece in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = piece.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    out
}

/// Rust keywords, strict and reserved (edition 2024).
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// A snake_case name usable as a field or method identifier: keywords become raw
/// identifiers (`r#type`), except the few that cannot be raw, which get a `_` suffix.
pub fn ident(snake_name: &str) -> String {
    let mut name = snake_name.to_string();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    if KEYWORDS.contains(&name.as_str()) {
        if matches!(name.as_str(), "self" | "Self" | "super" | "crate") {
            name.push('_');
        } else {
            name.insert_str(0, "r#");
        }
    }
    name
}

/// The name serde sees for an identifier (raw prefix stripped).
pub fn serde_name(ident: &str) -> &str {
    ident.strip_prefix("r#").unwrap_or(ident)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_cases() {
        assert_eq!(snake("GetUserList"), "get_user_list");
        assert_eq!(snake("emailSMSTemplates"), "email_sms_templates");
        assert_eq!(snake("getJWKS"), "get_jwks");
        assert_eq!(snake("getOAuthAccessToken"), "get_oauth_access_token");
        assert_eq!(snake("deleteTOTP"), "delete_totp");
        assert_eq!(snake("x5t#S256"), "x5t_s256");
        assert_eq!(snake("Web3Wallet"), "web3_wallet");
        assert_eq!(snake("API Keys"), "api_keys");
        assert_eq!(screaming("createSession"), "CREATE_SESSION");
    }

    #[test]
    fn pascal_cases() {
        assert_eq!(pascal("verification_otp"), "VerificationOtp");
        assert_eq!(pascal("JWKS.rsa.PublicKey"), "JWKSRsaPublicKey");
        assert_eq!(pascal("CommercePlan-2"), "CommercePlan2");
        assert_eq!(pascal("2fa"), "V2fa");
        assert_eq!(pascal(""), "V");
    }

    #[test]
    fn identifiers() {
        assert_eq!(ident("type"), "r#type");
        assert_eq!(ident("self"), "self_");
        assert_eq!(ident("user_id"), "user_id");
        assert_eq!(serde_name("r#type"), "type");
    }
}
