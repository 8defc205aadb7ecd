//! What the generated typed methods (`client.users().get(id)`) and models are built on:
//! the typed call (positional path values plus a params struct, sent as the flat params
//! object every other way of calling uses) and the variant choice of `oneOf` unions.
//!
//! Everything here is generic or tiny, so the library itself compiles none of the 249
//! request/response pairs; only the crates that call a method do.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::client::{CallOptions, Client, Response};
use crate::error::{Error, Result};
use crate::operation::Operation;
use crate::pagination::{Pages, Paginator};

/// The params of an operation that takes none beyond its path: an empty object.
pub(crate) struct NoParams;

impl Serialize for NoParams {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_map(Some(0))?.end()
    }
}

/// A whole request body (the bulk operations' arrays), sent as the `$body` key.
pub(crate) struct WholeBody<'a, B: ?Sized>(pub &'a B);

impl<B: Serialize + ?Sized> Serialize for WholeBody<'_, B> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(crate::json_params::BODY_KEY, self.0)?;
        map.end()
    }
}

/// The flat params object: the params struct's fields plus the path values by name.
fn flat<P: Serialize + ?Sized>(path: &[(&str, &str)], params: &P) -> Result<Value> {
    let mut object = match serde_json::to_value(params) {
        Ok(Value::Object(object)) => object,
        Ok(Value::Null) => Map::new(),
        Ok(_) => {
            return Err(Error::invalid_params(
                "typed params must serialize to an object",
            ));
        }
        Err(e) => {
            return Err(Error::invalid_params(format!(
                "cannot serialise params: {e}"
            )));
        }
    };
    for (name, value) in path {
        object.insert((*name).to_owned(), Value::String((*value).to_owned()));
    }
    Ok(Value::Object(object))
}

impl Client {
    fn typed_send<P: Serialize + ?Sized>(
        &self,
        op: &'static Operation,
        path: &[(&str, &str)],
        params: &P,
    ) -> Result<Response> {
        let response = self.call_operation(op, &flat(path, params)?)?;
        #[cfg(feature = "contract")]
        contract::record(&response);
        Ok(response)
    }

    /// Sends a typed call and decodes the JSON answer into `R`.
    pub(crate) fn typed_json<P: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        op: &'static Operation,
        path: &[(&str, &str)],
        params: &P,
    ) -> Result<R> {
        self.typed_send(op, path, params)?.json()
    }

    /// Sends a typed call whose answer has no content.
    pub(crate) fn typed_empty<P: Serialize + ?Sized>(
        &self,
        op: &'static Operation,
        path: &[(&str, &str)],
        params: &P,
    ) -> Result<()> {
        self.typed_send(op, path, params).map(|_| ())
    }

    /// Sends a typed call whose answer is text, not JSON.
    pub(crate) fn typed_text<P: Serialize + ?Sized>(
        &self,
        op: &'static Operation,
        path: &[(&str, &str)],
        params: &P,
    ) -> Result<String> {
        self.typed_send(op, path, params).map(|r| r.body)
    }

    /// Pages lazily through a typed list call, yielding typed items.
    pub(crate) fn typed_pages<P: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        op: &'static Operation,
        path: &[(&str, &str)],
        params: &P,
    ) -> Paginator<T> {
        match flat(path, params)
            .and_then(|params| Pages::new(self.clone(), op, &params, CallOptions::default()))
        {
            Ok(pages) => Paginator::new(pages),
            Err(error) => Paginator::failed(error),
        }
    }
}

/// One alternative of a `oneOf` union, as the spec describes it: the values of the
/// union's discriminator property that name it, the properties it requires and the
/// values its constant-like properties may take.
pub(crate) struct Alternative {
    pub tags: &'static [&'static str],
    pub required: &'static [&'static str],
    pub checks: &'static [(&'static str, Check)],
}

/// What a property's value must be for an alternative to fit.
pub(crate) enum Check {
    /// One of these strings (a string `enum`).
    OneOf(&'static [&'static str]),
    /// A string starting with this (the literal head of a `pattern`).
    Prefix(&'static str),
    /// This boolean (a one-value boolean `enum`).
    Bool(bool),
}

impl Check {
    fn holds(&self, value: &Value) -> bool {
        match (self, value) {
            (Check::OneOf(allowed), Value::String(text)) => allowed.contains(&text.as_str()),
            (Check::Prefix(head), Value::String(text)) => text.starts_with(head),
            (Check::Bool(expected), Value::Bool(flag)) => flag == expected,
            _ => false,
        }
    }
}

/// The alternative a JSON value is. Where the union has a discriminator property and
/// the value carries it, the alternative that tag names, and no other. Otherwise, among
/// the alternatives whose required properties are all present and whose checked
/// properties (when present) hold, the one with the most checks holding, then the most
/// required properties; ties go to the first. `None` when none fits (a variant this
/// version of the library does not know).
pub(crate) fn pick(
    value: &Value,
    discriminator: Option<&str>,
    alternatives: &[Alternative],
) -> Option<usize> {
    let object = value.as_object()?;
    if let Some(Value::String(tag)) = discriminator.and_then(|name| object.get(name)) {
        return alternatives
            .iter()
            .position(|alternative| alternative.tags.contains(&tag.as_str()));
    }
    let mut best: Option<(usize, (usize, usize))> = None;
    for (index, alternative) in alternatives.iter().enumerate() {
        if !alternative
            .required
            .iter()
            .all(|name| object.contains_key(*name))
        {
            continue;
        }
        let mut held = 0;
        let mut fits = true;
        for (name, check) in alternative.checks {
            match object.get(*name) {
                None | Some(Value::Null) => {}
                Some(value) if check.holds(value) => held += 1,
                Some(_) => {
                    fits = false;
                    break;
                }
            }
        }
        let score = (held, alternative.required.len());
        if fits && best.is_none_or(|(_, top)| score > top) {
            best = Some((index, score));
        }
    }
    best.map(|(index, _)| index)
}

/// Decodes `value` as `T`; `None` when it does not fit (the union then keeps the value
/// as its `Unknown` variant rather than failing the whole response).
pub(crate) fn variant<T: DeserializeOwned>(value: &Value) -> Option<T> {
    T::deserialize(value).ok()
}

/// Notes that a union value fitted none of its known alternatives (kept as `Unknown`):
/// the contract run counts these, as the spec's own examples must all be known.
#[inline]
pub(crate) fn note_unknown(union: &'static str) {
    #[cfg(feature = "contract")]
    contract::UNKNOWN.with(|unknown| unknown.borrow_mut().push(union));
    #[cfg(not(feature = "contract"))]
    let _ = union;
}

/// The last answer a typed call received on this thread, for the contract dispatch
/// (which needs the headers Prism reports violations in, and the body as received).
#[cfg(feature = "contract")]
pub(crate) mod contract {
    use std::cell::RefCell;

    use crate::client::Response;

    thread_local! {
        static LAST: RefCell<Option<Response>> = const { RefCell::new(None) };
        pub(super) static UNKNOWN: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
    }

    pub(crate) fn record(response: &Response) {
        LAST.with(|last| *last.borrow_mut() = Some(response.clone()));
    }

    /// The answer recorded since the last call of this function, if any.
    pub(crate) fn take() -> Option<Response> {
        LAST.with(|last| last.borrow_mut().take())
    }

    /// The unions that fell back to `Unknown` since the last call of this function.
    pub(crate) fn take_unknown() -> Vec<&'static str> {
        UNKNOWN.with(|unknown| std::mem::take(&mut *unknown.borrow_mut()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const VERIFICATION: &[Alternative] = &[
        Alternative {
            tags: &["verification_otp"],
            required: &["status", "strategy"],
            checks: &[("strategy", Check::OneOf(&["email_code", "phone_code"]))],
        },
        Alternative {
            tags: &["verification_admin"],
            required: &["status", "strategy"],
            checks: &[
                ("strategy", Check::OneOf(&["admin"])),
                ("status", Check::OneOf(&["verified"])),
            ],
        },
        Alternative {
            tags: &["verification_from_oauth"],
            required: &["status", "strategy"],
            checks: &[("strategy", Check::Prefix("from_oauth_"))],
        },
        Alternative {
            tags: &[],
            required: &["active"],
            checks: &[("active", Check::Bool(false))],
        },
    ];

    #[test]
    fn picks_the_alternative_the_value_fits() {
        let pick = |v: Value| pick(&v, None, VERIFICATION);
        assert_eq!(
            pick(json!({"status": "verified", "strategy": "email_code"})),
            Some(0)
        );
        assert_eq!(
            pick(json!({"status": "verified", "strategy": "admin"})),
            Some(1)
        );
        assert_eq!(
            pick(json!({"status": "unverified", "strategy": "admin"})),
            None,
            "a checked property that does not hold rules the alternative out"
        );
        assert_eq!(
            pick(json!({"status": "verified", "strategy": "from_oauth_google"})),
            Some(2)
        );
        assert_eq!(pick(json!({"active": false})), Some(3));
        assert_eq!(pick(json!({"active": true})), None);
        assert_eq!(
            pick(json!({"status": "verified", "strategy": "passkey_2030"})),
            None
        );
        assert_eq!(pick(json!({"strategy": "admin"})), None, "status missing");
        assert_eq!(pick(json!("admin")), None);
    }

    #[test]
    fn a_discriminator_decides_alone() {
        let pick = |v: Value| pick(&v, Some("object"), VERIFICATION);
        // The tag wins even where a check would not hold (Prism's examples fill a
        // patterned string with "string").
        assert_eq!(
            pick(
                json!({"object": "verification_from_oauth", "status": "verified", "strategy": "string"})
            ),
            Some(2)
        );
        assert_eq!(
            pick(
                json!({"object": "verification_passkey", "status": "verified", "strategy": "admin"})
            ),
            None,
            "an unknown tag is an unknown variant"
        );
        // Without the tag, the checks decide.
        assert_eq!(
            pick(json!({"status": "verified", "strategy": "admin"})),
            Some(1)
        );
    }

    #[test]
    fn more_required_properties_win_a_tie() {
        const KEYS: &[Alternative] = &[
            Alternative {
                tags: &[],
                required: &["kty", "n", "e"],
                checks: &[("kty", Check::OneOf(&["RSA"]))],
            },
            Alternative {
                tags: &[],
                required: &["kty", "n", "e", "d"],
                checks: &[("kty", Check::OneOf(&["RSA"]))],
            },
        ];
        assert_eq!(
            pick(&json!({"kty": "RSA", "n": "1", "e": "2"}), None, KEYS),
            Some(0)
        );
        assert_eq!(
            pick(
                &json!({"kty": "RSA", "n": "1", "e": "2", "d": "3"}),
                None,
                KEYS
            ),
            Some(1)
        );
    }

    #[test]
    fn typed_params_become_the_flat_object() {
        let value = flat(&[("user_id", "user_1")], &json!({"limit": 2})).unwrap();
        assert_eq!(value, json!({"limit": 2, "user_id": "user_1"}));
        assert_eq!(flat(&[], &NoParams).unwrap(), json!({}));
        assert_eq!(
            flat(&[("organization_id", "org_1")], &WholeBody(&[1, 2])).unwrap(),
            json!({"$body": [1, 2], "organization_id": "org_1"})
        );
        assert!(flat(&[], &json!([1])).is_err());
    }
}
