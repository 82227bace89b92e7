//! `ApiKey::parse` per call (goal: ≤ 50 ns), and the redacted form.
#![allow(clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use noorle::ApiKey;
use std::hint::black_box;

const ISSUED: &str = "ak-0f9e8d7c6b5a49382716f5e4d3c2b1a0Zx9Qw2Er7Ty4Ui1Op8As5Df3Gh6Jk0Lm";

fn parse(c: &mut Criterion) {
    // Parsing alone (the key is dropped outside the timing), then with the drop, which zeroes
    // the secret and frees it.
    c.bench_function("ApiKey::parse (valid, 32-char secret)", |b| {
        b.iter_with_large_drop(|| ApiKey::parse(black_box(ISSUED)).unwrap())
    });
    c.bench_function("ApiKey::parse + drop (zeroize, free)", |b| {
        b.iter(|| ApiKey::parse(black_box(ISSUED)).unwrap())
    });
    c.bench_function("ApiKey::parse (invalid: quoted)", |b| {
        b.iter(|| ApiKey::parse(black_box("\"ak-0f9e8d7c6b5a49382716f5e4d3c2b1a0\"")).unwrap_err())
    });
    let k = ApiKey::parse(ISSUED).unwrap();
    c.bench_function("ApiKey::redacted", |b| b.iter(|| black_box(&k).redacted()));
}

criterion_group!(benches, parse);
criterion_main!(benches);
