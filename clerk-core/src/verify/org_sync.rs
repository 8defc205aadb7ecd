//! Organization sync: which organization a URL path asks to activate, from the
//! `organization_sync_options` patterns, as the reference's `OrganizationMatcher`.
//!
//! Patterns use the path-to-regexp 6 syntax the reference uses, of which this supports
//! the forms its documentation shows: literal text (matched case-insensitively), named
//! parameters `:name` (one path segment), custom patterns `(.*)` / `:name(.*)` (anything),
//! the `?` modifier on a parameter, and an optional trailing slash. Other syntax (groups
//! `{...}`, `*`/`+` modifiers, other custom patterns) is refused when the options are
//! read, as the reference refuses patterns it cannot compile.

use super::options::OrganizationSyncOptions;

/// What a path asks to activate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SyncTarget {
    /// An organization by id.
    OrganizationId(String),
    /// An organization by slug.
    OrganizationSlug(String),
    /// The personal account.
    PersonalAccount,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Element {
    Literal(String),
    Param {
        name: String,
        prefix: String,
        any: bool,
        optional: bool,
    },
}

/// A compiled pattern.
#[derive(Debug, Clone)]
struct Pattern {
    elements: Vec<Element>,
}

/// The compiled organization-sync options.
#[derive(Debug, Clone, Default)]
pub(crate) struct OrganizationMatcher {
    organization: Vec<Pattern>,
    personal: Vec<Pattern>,
}

impl OrganizationMatcher {
    /// Compiles the options; the error names the pattern, as the reference's does.
    pub(crate) fn new(options: Option<&OrganizationSyncOptions>) -> Result<Self, String> {
        let Some(options) = options else {
            return Ok(OrganizationMatcher::default());
        };
        let compile = |patterns: &[String]| {
            patterns
                .iter()
                .map(|p| Pattern::compile(p).map_err(|e| format!("Invalid pattern \"{p}\": {e}")))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(OrganizationMatcher {
            organization: compile(&options.organization_patterns)?,
            personal: compile(&options.personal_account_patterns)?,
        })
    }

    /// The target of a path: organization patterns first, then the personal account.
    pub(crate) fn find_target(&self, path: &str) -> Option<SyncTarget> {
        for pattern in &self.organization {
            if let Some(params) = pattern.matches(path) {
                let get = |name: &str| {
                    params
                        .iter()
                        .find(|(key, value)| key == name && !value.is_empty())
                        .map(|(_, value)| value.clone())
                };
                // The first matching pattern decides, even when it names neither.
                return get("id")
                    .map(SyncTarget::OrganizationId)
                    .or_else(|| get("slug").map(SyncTarget::OrganizationSlug));
            }
        }
        self.personal
            .iter()
            .any(|pattern| pattern.matches(path).is_some())
            .then_some(SyncTarget::PersonalAccount)
    }
}

impl Pattern {
    fn compile(pattern: &str) -> Result<Pattern, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut elements = Vec::new();
        let mut literal = String::new();
        let mut i = 0;
        let mut unnamed = 0;
        while i < chars.len() {
            let c = chars[i];
            match c {
                ':' | '(' => {
                    let mut name = String::new();
                    if c == ':' {
                        i += 1;
                        while i < chars.len()
                            && (chars[i].is_ascii_alphanumeric() || chars[i] == '_')
                        {
                            name.push(chars[i]);
                            i += 1;
                        }
                        if name.is_empty() {
                            return Err(format!("Missing parameter name at {i}"));
                        }
                    } else {
                        name = unnamed.to_string();
                        unnamed += 1;
                    }
                    let mut any = false;
                    if chars.get(i) == Some(&'(') {
                        let close = chars[i..]
                            .iter()
                            .position(|&ch| ch == ')')
                            .ok_or_else(|| format!("Unbalanced pattern at {i}"))?;
                        let inner: String = chars[i + 1..i + close].iter().collect();
                        if inner != ".*" {
                            return Err(format!("unsupported custom pattern ({inner})"));
                        }
                        any = true;
                        i += close + 1;
                    } else if c == '(' {
                        return Err(format!("Unbalanced pattern at {i}"));
                    }
                    let optional = chars.get(i) == Some(&'?');
                    if optional {
                        i += 1;
                    }
                    if matches!(chars.get(i), Some('*') | Some('+')) {
                        return Err(format!("unsupported modifier {} at {i}", chars[i]));
                    }
                    // A `/` or `.` right before a parameter belongs to it (path-to-regexp's
                    // prefixes), so an optional parameter drops it too.
                    let prefix = match literal.chars().last() {
                        Some(p @ ('/' | '.')) => {
                            literal.pop();
                            p.to_string()
                        }
                        _ => String::new(),
                    };
                    if !literal.is_empty() {
                        elements.push(Element::Literal(std::mem::take(&mut literal)));
                    }
                    elements.push(Element::Param {
                        name,
                        prefix,
                        any,
                        optional,
                    });
                }
                '{' | '}' | '*' | '+' | '?' => {
                    return Err(format!("unsupported syntax {c} at {i}"));
                }
                '\\' => {
                    if let Some(&next) = chars.get(i + 1) {
                        literal.push(next);
                    }
                    i += 2;
                }
                _ => {
                    literal.push(c);
                    i += 1;
                }
            }
        }
        if !literal.is_empty() {
            elements.push(Element::Literal(literal));
        }
        Ok(Pattern { elements })
    }

    /// The parameters when the whole path matches (an optional trailing `/` allowed).
    fn matches(&self, path: &str) -> Option<Vec<(String, String)>> {
        let mut params = Vec::new();
        let candidates = [Some(path), path.strip_suffix('/')];
        for candidate in candidates.into_iter().flatten() {
            params.clear();
            if match_from(&self.elements, candidate, &mut params) {
                return Some(params);
            }
        }
        None
    }
}

fn match_from(elements: &[Element], path: &str, params: &mut Vec<(String, String)>) -> bool {
    let Some((first, rest)) = elements.split_first() else {
        return path.is_empty();
    };
    match first {
        Element::Literal(text) => {
            path.len() >= text.len()
                && path.is_char_boundary(text.len())
                && path[..text.len()].eq_ignore_ascii_case(text)
                && match_from(rest, &path[text.len()..], params)
        }
        Element::Param {
            name,
            prefix,
            any,
            optional,
        } => {
            if *optional {
                let saved = params.len();
                if match_from(rest, path, params) {
                    return true;
                }
                params.truncate(saved);
            }
            let Some(after_prefix) = path.strip_prefix(prefix.as_str()) else {
                return false;
            };
            // Lazy, as the reference's `[^/#?]+?` and `(.*)`: shortest value first.
            let ends = (0..=after_prefix.len())
                .filter(|&end| after_prefix.is_char_boundary(end))
                .filter(|&end| *any || end > 0);
            for end in ends {
                let value = &after_prefix[..end];
                if !*any && value.contains(['/', '#', '?']) {
                    break;
                }
                params.push((name.clone(), value.to_owned()));
                if match_from(rest, &after_prefix[end..], params) {
                    return true;
                }
                params.pop();
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(org: &[&str], personal: &[&str]) -> OrganizationMatcher {
        OrganizationMatcher::new(Some(&OrganizationSyncOptions {
            organization_patterns: org.iter().map(|s| s.to_string()).collect(),
            personal_account_patterns: personal.iter().map(|s| s.to_string()).collect(),
        }))
        .unwrap()
    }

    #[test]
    fn documented_patterns() {
        let m = matcher(
            &["/orgs/:slug", "/orgs/:slug/(.*)", "/o/:id"],
            &["/me", "/me/(.*)"],
        );
        assert_eq!(
            m.find_target("/orgs/acme"),
            Some(SyncTarget::OrganizationSlug("acme".into()))
        );
        assert_eq!(
            m.find_target("/orgs/acme/settings/x"),
            Some(SyncTarget::OrganizationSlug("acme".into()))
        );
        assert_eq!(
            m.find_target("/ORGS/acme/"),
            Some(SyncTarget::OrganizationSlug("acme".into()))
        );
        assert_eq!(
            m.find_target("/o/org_1"),
            Some(SyncTarget::OrganizationId("org_1".into()))
        );
        assert_eq!(
            m.find_target("/me/profile"),
            Some(SyncTarget::PersonalAccount)
        );
        assert_eq!(m.find_target("/other"), None);
        assert_eq!(m.find_target("/orgs"), None);
    }

    #[test]
    fn unsupported_patterns_are_refused() {
        for bad in ["/orgs/:", "/a/{b}", "/a/:b+", "/a/(\\d+)"] {
            let options = OrganizationSyncOptions {
                organization_patterns: vec![bad.to_owned()],
                personal_account_patterns: vec![],
            };
            assert!(OrganizationMatcher::new(Some(&options)).is_err(), "{bad}");
        }
    }
}
