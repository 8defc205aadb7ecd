//! The small part of WHATWG URL handling request authentication needs: absolute `http`
//! and `https` URLs, their origin, and `URLSearchParams`-style query edits (any edit
//! re-serializes the whole query as `application/x-www-form-urlencoded`, as browsers and
//! Node do).
//!
//! Deliberately not a full URL parser: no IDNA, no dot-segment or percent-encoding
//! normalisation of the path; other schemes are refused. Hosts are lowercased and default
//! ports dropped, as the WHATWG parser does.

use std::fmt;

/// An absolute `http(s)` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Url {
    scheme: String,
    /// `host[:port]`, lowercased, default port removed.
    host: String,
    path: String,
    query: Option<String>,
    fragment: Option<String>,
}

impl Url {
    /// Parses an absolute `http://` or `https://` URL; `None` for anything else.
    pub(crate) fn parse(text: &str) -> Option<Url> {
        let text = text.trim();
        let (scheme, rest) = text.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return None;
        }
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, rest) = rest.split_at(end);
        // Userinfo is not part of the origin.
        let authority = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host);
        let mut host = authority.to_ascii_lowercase();
        if host.is_empty() || host.contains(char::is_whitespace) {
            return None;
        }
        let default_port = if scheme == "https" { ":443" } else { ":80" };
        if host.ends_with(default_port) {
            host.truncate(host.len() - default_port.len());
        } else if host.ends_with(':') {
            host.pop();
        }
        let (rest, fragment) = match rest.split_once('#') {
            Some((before, fragment)) => (before, Some(fragment.to_owned())),
            None => (rest, None),
        };
        let (path, query) = match rest.split_once('?') {
            Some((path, query)) => (path, Some(query.to_owned())),
            None => (rest, None),
        };
        let path = if path.is_empty() { "/" } else { path };
        Some(Url {
            scheme,
            host,
            path: path.to_owned(),
            query,
            fragment,
        })
    }

    /// `scheme://host[:port]`.
    pub(crate) fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.host)
    }

    /// The host name without the port.
    pub(crate) fn hostname(&self) -> &str {
        match self.host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => &self.host,
        }
    }

    /// The path (always starting with `/`).
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// `path?query` (as JavaScript's `pathname + search`; an empty query shows no `?`).
    pub(crate) fn path_and_search(&self) -> String {
        match self.query.as_deref() {
            Some(query) if !query.is_empty() => format!("{}?{query}", self.path),
            _ => self.path.clone(),
        }
    }

    /// Resolves a path (starting with `/`) against this URL's origin.
    pub(crate) fn with_path(&self, path: &str) -> Url {
        let mut url = self.clone();
        url.path = "/".to_owned();
        url.query = None;
        url.fragment = None;
        let (path, query) = match path.split_once('?') {
            Some((path, query)) => (path, Some(query.to_owned())),
            None => (path, None),
        };
        if !path.is_empty() {
            url.path = if path.starts_with('/') {
                path.to_owned()
            } else {
                format!("/{path}")
            };
        }
        url.query = query;
        url
    }

    fn pairs(&self) -> Vec<(String, String)> {
        self.query.as_deref().map(parse_query).unwrap_or_default()
    }

    fn set_pairs(&mut self, pairs: &[(String, String)]) {
        let serialized = serialize_query(pairs);
        self.query = (!serialized.is_empty()).then_some(serialized);
    }

    /// The first value of a query parameter.
    pub(crate) fn query_get(&self, name: &str) -> Option<String> {
        self.pairs()
            .into_iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }

    /// Whether a query parameter is present (even empty).
    pub(crate) fn query_has(&self, name: &str) -> bool {
        self.pairs().iter().any(|(key, _)| key == name)
    }

    /// `searchParams.delete(name)` for each name.
    pub(crate) fn query_delete(&mut self, names: &[&str]) {
        if self.query.is_none() {
            return;
        }
        let pairs: Vec<_> = self
            .pairs()
            .into_iter()
            .filter(|(key, _)| !names.contains(&key.as_str()))
            .collect();
        self.set_pairs(&pairs);
    }

    /// `searchParams.append(name, value)`.
    pub(crate) fn query_append(&mut self, name: &str, value: &str) {
        let mut pairs = self.pairs();
        pairs.push((name.to_owned(), value.to_owned()));
        self.set_pairs(&pairs);
    }

    /// `searchParams.set(name, value)`: replaces the first, drops the others.
    pub(crate) fn query_set(&mut self, name: &str, value: &str) {
        let mut pairs = Vec::new();
        let mut done = false;
        for (key, old) in self.pairs() {
            if key == name {
                if !done {
                    pairs.push((key, value.to_owned()));
                    done = true;
                }
            } else {
                pairs.push((key, old));
            }
        }
        if !done {
            pairs.push((name.to_owned(), value.to_owned()));
        }
        self.set_pairs(&pairs);
    }
}

impl fmt::Display for Url {
    /// The `href`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.host, self.path)?;
        if let Some(query) = &self.query {
            write!(f, "?{query}")?;
        }
        if let Some(fragment) = &self.fragment {
            write!(f, "#{fragment}")?;
        }
        Ok(())
    }
}

/// `application/x-www-form-urlencoded` parsing (`+` is a space, `%XX` a byte).
pub(crate) fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            (form_decode(key), form_decode(value))
        })
        .collect()
}

fn form_decode(text: &str) -> String {
    percent_decode(&text.replace('+', " "))
}

/// `%XX` decoding (invalid escapes kept as they are), then UTF-8 with replacement.
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(high * 16 + low);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// The `URLSearchParams` serializer.
pub(crate) fn serialize_query(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (index, (key, value)) in pairs.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        form_encode(key, &mut out);
        out.push('=');
        form_encode(value, &mut out);
    }
    out
}

fn form_encode(text: &str, out: &mut String) {
    for byte in text.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_like_whatwg() {
        let url = Url::parse("HTTPS://App.Example.com:443/a/b?x=1&y=two%20words#frag").unwrap();
        assert_eq!(url.origin(), "https://app.example.com");
        assert_eq!(url.hostname(), "app.example.com");
        assert_eq!(
            url.to_string(),
            "https://app.example.com/a/b?x=1&y=two%20words#frag"
        );
        assert_eq!(url.query_get("y").as_deref(), Some("two words"));
        assert_eq!(
            Url::parse("http://localhost:3000").unwrap().to_string(),
            "http://localhost:3000/"
        );
        assert!(Url::parse("ftp://x/").is_none());
        assert!(Url::parse("/relative").is_none());
    }

    #[test]
    fn query_edits_reserialize() {
        let mut url = Url::parse("https://a.test/p?y=two%20words&__clerk_db_jwt=x").unwrap();
        url.query_delete(&["__clerk_db_jwt"]);
        assert_eq!(url.to_string(), "https://a.test/p?y=two+words");
        url.query_delete(&["y"]);
        assert_eq!(url.to_string(), "https://a.test/p");
        url.query_append("redirect_url", "https://a.test/p?q=1");
        assert_eq!(
            url.to_string(),
            "https://a.test/p?redirect_url=https%3A%2F%2Fa.test%2Fp%3Fq%3D1"
        );
        url.query_set("redirect_url", "z");
        assert_eq!(url.to_string(), "https://a.test/p?redirect_url=z");
    }
}
