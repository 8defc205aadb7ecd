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

impl Client {
    /// Lazily pages through a list operation with typed params, yielding typed items.
    pub fn paginate_typed<P: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        op: &'static Operation,
        params: &P,
    ) -> crate::pagination::Paginator<T> {
        let _ = (op, params);
        todo!()
    }
}
