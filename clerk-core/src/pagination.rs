//! Pages and the auto-paging iterator for `limit`/`offset` list operations.

use std::collections::VecDeque;
use std::marker::PhantomData;

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::{CallOptions, Client, Response, to_params};
use crate::error::{Error, Result};
use crate::operation::{self, Operation, Pagination};

/// Page size used when the caller sets no `limit`.
pub const DEFAULT_PAGE_SIZE: u64 = 100;
/// The largest page Clerk serves.
pub const MAX_PAGE_SIZE: u64 = 500;

/// Lazily fetches the pages of a list operation, one [`Response`] per `next()`.
///
/// Paging stops after a short page, an empty page, or once `total_count` items have been
/// seen (for `{data, total_count}` responses). An error ends the iteration after it is
/// yielded.
#[derive(Debug)]
pub struct Pages {
    client: Client,
    op: &'static Operation,
    params: serde_json::Map<String, Value>,
    limit: u64,
    offset: u64,
    done: bool,
    options: CallOptions,
}

#[derive(Deserialize)]
struct CountedPage {
    data: Vec<IgnoredAny>,
    total_count: Option<u64>,
}

impl Pages {
    pub(crate) fn new(
        client: Client,
        op: &'static Operation,
        params: &Value,
        options: CallOptions,
    ) -> Result<Pages> {
        if op.pagination == Pagination::None {
            return Err(Error::invalid_params(format!(
                "{} ({}) is not a paginated list operation",
                op.name, op.operation_id
            )));
        }
        let mut params = match params {
            Value::Object(map) => map.clone(),
            Value::Null => serde_json::Map::new(),
            _ => return Err(Error::invalid_params("params must be a JSON object")),
        };
        let number = |key: &str, default: u64| -> Result<u64> {
            match params.get(key) {
                None | Some(Value::Null) => Ok(default),
                Some(value) => value.as_u64().ok_or_else(|| {
                    Error::invalid_params(format!("{key} must be a non-negative integer"))
                }),
            }
        };
        let limit = number("limit", DEFAULT_PAGE_SIZE)?;
        let offset = number("offset", 0)?;
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            return Err(Error::invalid_params(format!(
                "limit must be between 1 and {MAX_PAGE_SIZE}"
            )));
        }
        params.remove("limit");
        params.remove("offset");
        Ok(Pages {
            client,
            op,
            params,
            limit,
            offset,
            done: false,
            options,
        })
    }

    /// The operation being paged.
    pub fn operation(&self) -> &'static Operation {
        self.op
    }

    /// The next page, fetched with these options instead of the pager's own (e.g. a
    /// timeout for this fetch only); otherwise as [`Iterator::next`].
    pub fn next_with(&mut self, options: &CallOptions) -> Option<Result<Response>> {
        if self.done {
            return None;
        }
        match self.fetch(options) {
            // An empty page ends the listing; it is not yielded.
            Ok((_, 0)) => None,
            Ok((response, _)) => Some(Ok(response)),
            Err(error) => {
                self.done = true;
                Some(Err(error))
            }
        }
    }

    /// Fetches the next page; also tells how many items it held.
    fn fetch(&mut self, options: &CallOptions) -> Result<(Response, usize)> {
        let mut params = self.params.clone();
        params.insert("limit".into(), self.limit.into());
        params.insert("offset".into(), self.offset.into());
        let response = self
            .client
            .call_operation_with(self.op, &Value::Object(params), options)?;
        let (count, total) = match self.op.pagination {
            Pagination::DataTotalCount => {
                let page: CountedPage = response.json()?;
                (page.data.len(), page.total_count)
            }
            _ => (response.json::<Vec<IgnoredAny>>()?.len(), None),
        };
        self.offset += count as u64;
        self.done = count == 0
            || (count as u64) < self.limit
            || total.is_some_and(|total| self.offset >= total);
        Ok((response, count))
    }
}

impl Iterator for Pages {
    type Item = Result<Response>;

    fn next(&mut self) -> Option<Self::Item> {
        let options = self.options.clone();
        self.next_with(&options)
    }
}

/// Lazily yields the typed items of a list operation, fetching page after page and
/// holding one page in memory at a time.
pub struct Paginator<T> {
    pages: Option<Pages>,
    buffered: VecDeque<T>,
    pending_error: Option<Error>,
    _item: PhantomData<T>,
}

impl<T> std::fmt::Debug for Paginator<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Paginator")
            .field("pages", &self.pages)
            .field("buffered", &self.buffered.len())
            .finish()
    }
}

#[derive(Deserialize)]
struct DataPage<T> {
    data: Vec<T>,
}

impl<T: DeserializeOwned> Paginator<T> {
    pub(crate) fn new(pages: Pages) -> Paginator<T> {
        Paginator {
            pages: Some(pages),
            buffered: VecDeque::new(),
            pending_error: None,
            _item: PhantomData,
        }
    }

    pub(crate) fn failed(error: Error) -> Paginator<T> {
        Paginator {
            pages: None,
            buffered: VecDeque::new(),
            pending_error: Some(error),
            _item: PhantomData,
        }
    }
}

impl<T: DeserializeOwned> Iterator for Paginator<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(error) = self.pending_error.take() {
            return Some(Err(error));
        }
        loop {
            if let Some(item) = self.buffered.pop_front() {
                return Some(Ok(item));
            }
            let pages = self.pages.as_mut()?;
            let counted = pages.op.pagination == Pagination::DataTotalCount;
            let items = pages.next()?.and_then(|page| {
                if counted {
                    page.json::<DataPage<T>>().map(|page| page.data)
                } else {
                    page.json::<Vec<T>>()
                }
            });
            match items {
                Ok(items) => self.buffered.extend(items),
                Err(error) => {
                    self.pages = None;
                    return Some(Err(error));
                }
            }
        }
    }
}

/// Paging entry points of the client; here rather than in `client.rs` so that paging
/// builds on the client and not the other way round.
impl Client {
    /// Pages lazily through a list operation: one [`Response`] per page, fetched when
    /// the iterator is advanced. `limit` (default 100 here) sets the page size and
    /// `offset` the start.
    pub fn pages(&self, name: &str, params: &Value) -> Result<Pages> {
        self.pages_with(name, params, &CallOptions::default())
    }

    /// [`pages`](Self::pages) with options applied to every page fetch (a timeout bounds
    /// each fetch, not the whole listing).
    pub fn pages_with(&self, name: &str, params: &Value, options: &CallOptions) -> Result<Pages> {
        let op = operation::find(name).ok_or_else(|| Error::UnknownOperation {
            name: name.to_owned(),
        })?;
        options.checked_timeout()?;
        Pages::new(self.clone(), op, params, options.clone())
    }

    /// Pages lazily through a list operation with typed params, yielding typed items and
    /// holding one page in memory at a time.
    pub fn paginate_typed<P: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        op: &'static Operation,
        params: &P,
    ) -> Paginator<T> {
        match to_params(params)
            .and_then(|params| Pages::new(self.clone(), op, &params, CallOptions::default()))
        {
            Ok(pages) => Paginator::new(pages),
            Err(error) => Paginator::failed(error),
        }
    }
}
