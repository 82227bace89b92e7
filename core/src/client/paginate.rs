//! Walking a paged listing as one stream.

use std::future::Future;

use futures_util::Stream;

use crate::error::{Error, Result};
use crate::models::Page;

/// Walks pages from `start`, yielding items, until the last page or the first error. A server
/// that does not page (answers another offset than asked, or the same page twice) ends the walk
/// with an error instead of an endless loop.
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
                    let stuck = page.offset != offset
                        || (!page.items.is_empty() && previous.as_ref() == Some(&page.items));
                    if stuck {
                        let e = Error::Connection(format!(
                            "the server does not page: asked for offset {offset}, it answered \
                                 offset {} with {} item(s){}; stopped instead of looping",
                            page.offset,
                            page.items.len(),
                            if page.offset == offset {
                                ", the same as the page before"
                            } else {
                                ""
                            }
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
