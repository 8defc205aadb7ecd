//! The client (skeleton; being implemented).
use serde::{Serialize, de::DeserializeOwned};

use crate::error::Result;
use crate::operation::Operation;

/// A Backend API client.
#[derive(Clone)]
pub struct Client {}

/// Builder of [`Client`].
pub struct ClientBuilder {}

impl Client {
    /// Calls one operation with typed params and decodes the response.
    pub fn call_typed<P: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        op: &'static Operation,
        params: &P,
    ) -> Result<R> {
        let _ = (op, params);
        todo!()
    }
}
