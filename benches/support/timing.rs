//! Timing shared by the criterion benches (`benches/pool.rs`, `app/benches/verify.rs`):
//! the figures their ratios are computed from, beside criterion's own report.

use std::time::{Duration, Instant};

/// Per call, the fastest of several timed batches of each function: the least
/// disturbed figure. The functions take turns batch by batch, so a change in the
/// machine's load during the run falls on all of them alike and not on one.
pub fn per_call<const N: usize>(batch: u32, mut calls: [&mut dyn FnMut(); N]) -> [Duration; N] {
    const ROUNDS: usize = 9;
    let mut fastest = [Duration::MAX; N];
    for _ in 0..ROUNDS {
        for (call, fastest) in calls.iter_mut().zip(&mut fastest) {
            let start = Instant::now();
            for _ in 0..batch {
                call();
            }
            *fastest = (*fastest).min(start.elapsed() / batch);
        }
    }
    fastest
}
