//! Pages of lists, and raw answers.

use serde_json::Value;

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub limit: u32,
    pub offset: u64,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, total: u64, limit: u32, offset: u64) -> Self {
        Self {
            items,
            total,
            limit,
            offset,
        }
    }

    /// The offset of the next page, if there is one.
    pub fn next_offset(&self) -> Option<u64> {
        let next = self.offset + self.items.len() as u64;
        (!self.items.is_empty() && next < self.total).then_some(next)
    }
}

/// A raw answer from [`crate::Client::request`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RawResponse {
    pub status: u16,
    /// Header names (lowercase) and values.
    pub headers: Vec<(String, String)>,
    /// The decoded JSON body; `Null` when empty, a string when the body is not JSON.
    pub json: Value,
}

impl RawResponse {
    /// The first value of a header (name matched case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}
