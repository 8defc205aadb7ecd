//! The operation descriptor: one static entry per Backend API operation.
//!
//! The table itself is generated from Clerk's OpenAPI spec into
//! [`crate::generated::operations`]; this module only defines its shape, so the
//! generic JSON call, the typed methods, the C library and the bindings all read
//! the same data.

use serde::Serialize;

/// HTTP method of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
#[non_exhaustive]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
}

impl Method {
    /// The method as it appears on the wire (`"GET"`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Whether repeating the request cannot change the outcome (RFC 9110 section 9.2.2).
    pub const fn is_idempotent(self) -> bool {
        matches!(self, Method::Get | Method::Put | Method::Delete)
    }

    /// Parses a method name, case-insensitively.
    pub fn parse(name: &str) -> Option<Method> {
        Some(match name.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a parameter of the flat params object goes in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// Substituted into the path template (`/users/{user_id}`), percent-encoded.
    Path,
    /// Appended to the query string; arrays repeat the key (`a=1&a=2`).
    Query,
    /// A field of the JSON object body.
    Body,
    /// A part of a `multipart/form-data` body.
    Multipart,
}

/// The JSON type a parameter accepts; the generic call checks values against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ParamType {
    /// A JSON string.
    String,
    /// A JSON integer.
    Integer,
    /// Any JSON number.
    Number,
    /// A JSON boolean.
    Boolean,
    /// A JSON array (of anything).
    Array,
    /// A JSON object.
    Object,
    /// A file for a multipart part: `{"filename", "content_base64", "content_type"?}`.
    File,
    /// Any JSON value (the spec leaves the type open).
    Any,
}

/// One parameter of an operation, as it appears in the flat params object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Param {
    /// The spec's name of the parameter or body field; also its key in the params object.
    pub name: &'static str,
    /// Where it goes in the request.
    #[serde(rename = "in")]
    pub location: Location,
    /// Whether the spec requires it.
    pub required: bool,
    /// The JSON type it accepts.
    #[serde(rename = "type")]
    pub ty: ParamType,
    /// Whether the spec allows `null` for it.
    pub nullable: bool,
}

/// The kind of request body an operation takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Body {
    /// No body.
    None,
    /// A JSON object whose properties are the [`Location::Body`] params.
    Object {
        /// Whether the spec requires a body.
        required: bool,
    },
    /// A JSON body that is not an object with known fields (an array, or a free-form
    /// object): given whole through the `"$body"` key.
    Whole {
        /// Whether the spec requires a body.
        required: bool,
    },
    /// A `multipart/form-data` body whose parts are the [`Location::Multipart`] params.
    Multipart {
        /// Whether the spec requires a body.
        required: bool,
    },
}

/// How a list operation pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Pagination {
    /// Not a paginated list.
    None,
    /// `limit`/`offset` query parameters; the response is `{"data": [...], "total_count": n}`.
    DataTotalCount,
    /// `limit`/`offset` query parameters; the response is a bare JSON array.
    BareArray,
}

/// One Backend API operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Operation {
    /// The spec's `operationId`, e.g. `GetUserList`.
    pub operation_id: &'static str,
    /// The stable snake_case `resource.method` name, e.g. `users.list`.
    pub name: &'static str,
    /// The HTTP method.
    pub method: Method,
    /// The path template below the API root, e.g. `/users/{user_id}`.
    pub path: &'static str,
    /// Path, query, body and multipart parameters, by their spec names.
    pub params: &'static [Param],
    /// The request body kind.
    pub body: Body,
    /// How the operation pages, if it is a list.
    pub pagination: Pagination,
    /// Whether the operation is marked deprecated in the spec.
    pub deprecated: bool,
    /// The spec's one-line summary.
    pub summary: &'static str,
}

impl Operation {
    /// The parameter with this name, if the operation has one.
    pub fn param(&self, name: &str) -> Option<&'static Param> {
        self.params.iter().find(|p| p.name == name)
    }
}

/// Looks an operation up by `operationId` (`GetUserList`) or by `resource.method`
/// name (`users.list`).
pub fn find(name: &str) -> Option<&'static Operation> {
    crate::generated::operations::OPERATIONS
        .iter()
        .find(|op| op.operation_id == name || op.name == name)
}

/// The operation names closest to a name that matched none (a typo such as `users.lst`):
/// up to three `resource.method` names or operationIds, nearest first, by
/// case-insensitive edit distance, within a third of the name's length (at least 2).
/// Empty when nothing is close. The `clerk` tool and the error message of
/// [`Error::UnknownOperation`](crate::Error::UnknownOperation) use it.
pub fn suggest(name: &str) -> Vec<&'static str> {
    // Edit distance costs the product of the lengths: a name far longer than any
    // operation's (a caller passing a whole document, 1 MB say) is no typo, and must not
    // cost seconds per candidate.
    if name.len() > MAX_SUGGESTED_NAME {
        return Vec::new();
    }
    let wanted = name.to_ascii_lowercase();
    let wanted_chars = wanted.chars().count();
    let limit = (wanted_chars / 3).max(2);
    let mut scored: Vec<(usize, &'static str)> = all()
        .iter()
        .flat_map(|op| [op.name, op.operation_id])
        // The distance is at least the difference in length.
        .filter(|candidate| candidate.len().abs_diff(wanted_chars) <= limit)
        .filter_map(|candidate| {
            let distance = edit_distance(&wanted, &candidate.to_ascii_lowercase());
            (distance <= limit).then_some((distance, candidate))
        })
        .collect();
    scored.sort();
    let mut names: Vec<&'static str> = Vec::new();
    for (_, candidate) in scored {
        // An operationId and its resource.method name are one operation: name it once.
        let op = find(candidate);
        if !names.iter().any(|known| find(known) == op) {
            names.push(candidate);
        }
        if names.len() == 3 {
            break;
        }
    }
    names
}

/// The longest name [`suggest`] looks at (operation names and ids are under 80 bytes).
const MAX_SUGGESTED_NAME: usize = 128;

/// Levenshtein distance (insertions, deletions, substitutions), by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == *cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Every operation of the spec the library was generated from, in a stable order.
pub fn all() -> &'static [Operation] {
    crate::generated::operations::OPERATIONS
}

/// A file for a multipart part (profile image, logo).
///
/// In the flat params JSON it is `{"filename": "...", "content_base64": "...",
/// "content_type": "image/png"}` (`content_type` optional, guessed from nothing:
/// `application/octet-stream` when absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// The file name sent in the part's `Content-Disposition`.
    pub filename: String,
    /// The part's `Content-Type`; `application/octet-stream` when `None`.
    pub content_type: Option<String>,
    /// The file's bytes.
    pub content: Vec<u8>,
}

/// A file for a multipart file parameter, given as bytes: what
/// [`Client::call_with_files`](crate::Client::call_with_files) takes, so callers holding
/// raw bytes (the C library, the `clerk` tool) never base64-encode them for the library to
/// decode again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilePart<'a> {
    /// The operation's file parameter, e.g. `file`.
    pub field: &'a str,
    /// The file name sent in the part's `Content-Disposition`.
    pub filename: &'a str,
    /// The part's `Content-Type`; `application/octet-stream` when `None`.
    pub content_type: Option<&'a str>,
    /// The file's bytes.
    pub content: &'a [u8],
}

impl<'a> FilePart<'a> {
    /// The file `filename` with these bytes for the parameter `field`.
    pub fn new(field: &'a str, filename: &'a str, content: &'a [u8]) -> FilePart<'a> {
        FilePart {
            field,
            filename,
            content_type: None,
            content,
        }
    }

    /// Sets the part's content type.
    pub fn with_content_type(mut self, content_type: &'a str) -> FilePart<'a> {
        self.content_type = Some(content_type);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_suggest_the_nearest_operations() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(suggest("users.lst").first(), Some(&"users.list"));
        assert_eq!(suggest("GetUserLst").first(), Some(&"GetUserList"));
        assert_eq!(suggest("USERS.LIST").first(), Some(&"users.list"));
        assert!(suggest("completely.unrelated.thing").is_empty());
        assert!(suggest("users.lst").len() <= 3);
    }

    #[test]
    fn names_longer_than_any_operation_get_no_suggestion() {
        // Every real name is within the limit, so the cut never hides a typo of one.
        assert!(
            all()
                .iter()
                .all(|op| op.name.len().max(op.operation_id.len()) + 8 <= MAX_SUGGESTED_NAME)
        );
        assert!(suggest(&"x".repeat(1 << 20)).is_empty());
        assert!(suggest(&format!("users.{}", "x".repeat(MAX_SUGGESTED_NAME))).is_empty());
        // A typo of the longest operationId is still found.
        let longest = all()
            .iter()
            .map(|op| op.operation_id)
            .max_by_key(|id| id.len())
            .unwrap();
        let typo = &longest[..longest.len() - 1];
        assert_eq!(suggest(typo).first(), Some(&longest));
    }
}
