//! Walking a paged listing as one stream.

use std::future::Future;

use futures_util::Stream;

use crate::error::{Error, Result};
use crate::models::Page;

/// Walks pages from `start`, yielding items, until the last page or the first error. A server
/// that does not page (the same page twice; another offset is refused by `list` itself) ends the
/// walk with an error instead of an endless loop.
pub(crate) fn paginate<'a, T, F, Fut>(start: u64, fetch: F) -> impl Stream<Item = Result<T>> + 'a
where
    T: Clone + PartialEq + 'a,
    F: Fn(u64) -> Fut + 'a,
    Fut: Future<Output = Result<Page<T>>> + 'a,
{
    use futures_util::stream::{self, StreamExt};
    stream::unfold((Some(start), None::<Vec<T>>), move |(next, previous)| {
        let fut = next.map(|offset| (offset, fetch(offset)));
        async move {
            let (offset, fut) = fut?;
            match fut.await {
                Ok(page) => {
                    // `list` already refuses an answer for another offset than asked.
                    if !page.items.is_empty() && previous.as_ref() == Some(&page.items) {
                        let e = Error::Connection(format!(
                            "the server does not page: offset {offset} answered the same {} \
                             item(s) as the page before; stopped instead of looping",
                            page.items.len()
                        ));
                        return Some((Err(e), (None, None)));
                    }
                    let next = page.next_offset();
                    let items = page.items;
                    let keep = next.map(|_| items.clone());
                    Some((Ok(items), (next, keep)))
                }
                Err(e) => Some((Err(e), (None, None))),
            }
        }
    })
    .flat_map(|r| match r {
        Ok(items) => stream::iter(items.into_iter().map(Ok)).left_stream(),
        Err(e) => stream::iter(std::iter::once(Err(e))).right_stream(),
    })
}
