//! [`Nullable`]: a request field that can be left out, set, or set to JSON `null`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A field of a request that the spec marks `nullable`: left out of the request
/// ([`Absent`](Nullable::Absent), the default), sent as JSON `null`
/// ([`Null`](Nullable::Null); for Clerk usually "clear this value"), or sent with a
/// value ([`Value`](Nullable::Value)).
///
/// `Option<T>` cannot say the second: its `None` is left out. The typed params structs
/// use `Nullable<T>` for every optional field the spec lets be `null`, and give each a
/// setter and a `clear_*` method:
///
/// ```no_run
/// use clerk_core::Nullable;
/// use clerk_core::params::UsersUpdateParams;
///
/// # let client = clerk_core::Client::from_env()?;
/// // Sends {"external_id": null, "first_name": "Ada"}: external_id is removed.
/// let params = UsersUpdateParams::new().clear_external_id().first_name("Ada");
/// assert_eq!(params.external_id, Nullable::Null);
/// client.users().update("user_123", &params)?;
/// # Ok::<(), clerk_core::Error>(())
/// ```
///
/// Serialized, `Value(v)` is `v` and `Null` is `null`; `Absent` is meant to be skipped
/// (`#[serde(skip_serializing_if = "Nullable::is_absent")]`, as the generated structs
/// do) and is written as `null` where it is not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Nullable<T> {
    /// Not sent.
    #[default]
    Absent,
    /// Sent as JSON `null`.
    Null,
    /// Sent with this value.
    Value(T),
}

impl<T> Nullable<T> {
    /// Whether the field is left out.
    pub const fn is_absent(&self) -> bool {
        matches!(self, Nullable::Absent)
    }

    /// Whether the field is sent as `null`.
    pub const fn is_null(&self) -> bool {
        matches!(self, Nullable::Null)
    }

    /// The value, if one is set.
    pub const fn value(&self) -> Option<&T> {
        match self {
            Nullable::Value(value) => Some(value),
            _ => None,
        }
    }

    /// A `Nullable` of a reference to the value.
    pub const fn as_ref(&self) -> Nullable<&T> {
        match self {
            Nullable::Absent => Nullable::Absent,
            Nullable::Null => Nullable::Null,
            Nullable::Value(value) => Nullable::Value(value),
        }
    }

    /// `None` when absent, `Some(None)` for null, `Some(Some(value))` for a value.
    pub fn into_option(self) -> Option<Option<T>> {
        match self {
            Nullable::Absent => None,
            Nullable::Null => Some(None),
            Nullable::Value(value) => Some(Some(value)),
        }
    }
}

impl<T> From<T> for Nullable<T> {
    fn from(value: T) -> Self {
        Nullable::Value(value)
    }
}

impl<T: Serialize> Serialize for Nullable<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Nullable::Value(value) => value.serialize(serializer),
            Nullable::Absent | Nullable::Null => serializer.serialize_none(),
        }
    }
}

/// `null` reads as [`Nullable::Null`] and a value as [`Nullable::Value`]; a missing field
/// reads as [`Nullable::Absent`] when the field has `#[serde(default)]`.
impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(deserializer)? {
            Some(value) => Nullable::Value(value),
            None => Nullable::Null,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Serialize, Deserialize, Default, Debug, PartialEq)]
    struct Patch {
        #[serde(default, skip_serializing_if = "Nullable::is_absent")]
        external_id: Nullable<String>,
    }

    #[test]
    fn three_states_on_the_wire() {
        let absent = Patch::default();
        let null = Patch {
            external_id: Nullable::Null,
        };
        let value = Patch {
            external_id: "x".to_string().into(),
        };
        assert_eq!(serde_json::to_value(&absent).unwrap(), json!({}));
        assert_eq!(
            serde_json::to_value(&null).unwrap(),
            json!({"external_id": null})
        );
        assert_eq!(
            serde_json::to_value(&value).unwrap(),
            json!({"external_id": "x"})
        );
        for patch in [absent, null, value] {
            let back: Patch =
                serde_json::from_value(serde_json::to_value(&patch).unwrap()).unwrap();
            assert_eq!(back, patch);
        }
    }

    #[test]
    fn accessors() {
        let value = Nullable::Value(3);
        assert_eq!(value.value(), Some(&3));
        assert_eq!(value.into_option(), Some(Some(3)));
        assert!(Nullable::<u8>::Null.is_null());
        assert_eq!(Nullable::<u8>::Null.into_option(), Some(None));
        assert!(Nullable::<u8>::default().is_absent());
        assert_eq!(Nullable::<u8>::Absent.into_option(), None);
        assert_eq!(Nullable::Value(3).as_ref(), Nullable::Value(&3));
    }
}
