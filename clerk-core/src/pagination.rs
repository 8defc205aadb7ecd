//! Pages and the auto-paging iterator (skeleton).
use std::marker::PhantomData;

/// Lazily fetches page after page of a list operation, yielding items.
pub struct Paginator<T> {
    _item: PhantomData<T>,
}

impl<T> Iterator for Paginator<T> {
    type Item = crate::Result<T>;
    fn next(&mut self) -> Option<Self::Item> {
        None
    }
}
