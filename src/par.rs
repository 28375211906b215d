//! The one way plangate spreads work over cores: [`map_ordered`] (and [`map_ranges`] over it,
//! and [`map_ordered_or_defer`] beside it, for items that may leave their rest for later).
//! Plans (`app`), policies (`policy::eval`), chunks of graph nodes (`graph::build`,
//! `graph::resolve`) and table rows (`report::table`) all go through it, so the output never
//! depends on which thread ran what.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `f(0)`, `f(1)`, … `f(n - 1)` on up to one thread per core the process may use (the calling
/// thread is one of them): each thread takes the next index as it finishes one, so a slow item
/// does not hold up the others. The results come back in index order whatever thread computed
/// them. A panic in `f` is raised again here, after the other threads have stopped.
pub fn map_ordered<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .min(n);
    if threads <= 1 {
        return (0..n).map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= n {
                return done;
            }
            done.push((i, f(i)));
        }
    };
    on_threads(threads, work)
}

/// `work` on `threads` threads, the calling thread one of them, each returning the results it
/// made with their index: all of them, in index order. A panic on another thread is raised
/// again here once the others have stopped.
fn on_threads<T: Send>(threads: usize, work: impl Fn() -> Vec<(usize, T)> + Sync) -> Vec<T> {
    let mut done: Vec<(usize, T)> = if threads <= 1 {
        work()
    } else {
        std::thread::scope(|s| {
            let others: Vec<_> = (1..threads).map(|_| s.spawn(&work)).collect();
            let mut done = work();
            for t in others {
                match t.join() {
                    Ok(d) => done.extend(d),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            done
        })
    };
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, t)| t).collect()
}

/// What [`map_ordered_or_defer`]'s first step did with an item: finished it, or left the
/// rest of it for later.
pub enum Step<T, D> {
    Done(T),
    Later(D),
}

/// [`map_ordered`], where `first(i)` may leave the rest of item `i` for later
/// ([`Step::Later`]) rather than wait for something (another thread's work): the rest,
/// `then(d)`, runs once every item has been taken, on whichever thread is free, so the thread
/// that deferred it goes on with the next item meanwhile. The results come back in index
/// order, each item's from `then` when it was deferred. A panic in either step is raised
/// again here, after the other threads have stopped.
pub fn map_ordered_or_defer<T: Send, D: Send>(
    n: usize,
    first: impl Fn(usize) -> Step<T, D> + Sync,
    then: impl Fn(D) -> T + Sync,
) -> Vec<T> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .min(n);
    let next = AtomicUsize::new(0);
    let later: std::sync::Mutex<std::collections::VecDeque<(usize, D)>> = Default::default();
    // A deferred item is queued by the thread that took it before that thread looks at the
    // queue, so no item is left: the last thread to finish its items empties the queue.
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= n {
                break;
            }
            match first(i) {
                Step::Done(t) => done.push((i, t)),
                Step::Later(d) => later
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push_back((i, d)),
            }
        }
        loop {
            let item = later
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .pop_front();
            match item {
                Some((i, d)) => done.push((i, then(d))),
                None => return done,
            }
        }
    };
    on_threads(threads, work)
}

/// [`map_ordered`] over `0..n` cut into ranges of `chunk` items (the last one shorter): `f`
/// gets one range at a time, and the results come back in range order.
pub fn map_ranges<T: Send>(
    n: usize,
    chunk: usize,
    f: impl Fn(std::ops::Range<usize>) -> T + Sync,
) -> Vec<T> {
    let chunk = chunk.max(1);
    map_ordered(
        n.div_ceil(chunk),
        |c| f(c * chunk..((c + 1) * chunk).min(n)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_every_index_once_in_order() {
        for (n, chunk) in [(0, 4), (1, 4), (4, 4), (10, 3), (1000, 7), (5, 0)] {
            let ranges = map_ranges(n, chunk, |r| r);
            let flat: Vec<usize> = ranges.iter().flat_map(|r| r.clone()).collect();
            assert_eq!(flat, (0..n).collect::<Vec<_>>(), "n {n}, chunk {chunk}");
            assert!(ranges
                .iter()
                .all(|r| r.len() <= chunk.max(1) && !r.is_empty()));
        }
    }

    #[test]
    fn results_come_back_in_index_order() {
        // Uneven work, so that threads finish out of order.
        let out = map_ordered(200, |i| {
            if i % 7 == 0 {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            i * 3
        });
        assert_eq!(out, (0..200).map(|i| i * 3).collect::<Vec<_>>());
    }

    #[test]
    fn no_items_and_one_item() {
        assert!(map_ordered(0, |i| i).is_empty());
        assert_eq!(map_ordered(1, |i| i + 1), vec![1]);
    }

    /// Deferred items come back in index order with the others, each finished once, and
    /// only once every item has been taken: the thread that deferred one went on.
    #[test]
    fn deferred_items_are_finished_after_every_item_was_taken_in_order() {
        let taken = AtomicUsize::new(0);
        let finished_early = AtomicUsize::new(0);
        let n = 300;
        let out = map_ordered_or_defer(
            n,
            |i| {
                taken.fetch_add(1, Ordering::SeqCst);
                if i % 3 == 0 {
                    Step::Later(i)
                } else {
                    Step::Done(i * 2)
                }
            },
            |i| {
                if taken.load(Ordering::SeqCst) < n {
                    finished_early.fetch_add(1, Ordering::SeqCst);
                }
                i * 2 + 1
            },
        );
        let want: Vec<usize> = (0..n)
            .map(|i| if i % 3 == 0 { i * 2 + 1 } else { i * 2 })
            .collect();
        assert_eq!(out, want);
        assert_eq!(finished_early.into_inner(), 0);
        assert!(map_ordered_or_defer(0, |_| Step::<(), ()>::Done(()), |_| ()).is_empty());
        assert_eq!(
            map_ordered_or_defer(1, |_| Step::<u8, u8>::Later(4), |d| d + 1),
            vec![5]
        );
    }

    fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    }

    #[test]
    fn a_panic_in_a_deferred_item_is_raised_to_the_caller() {
        let caught = std::panic::catch_unwind(|| {
            map_ordered_or_defer(
                20,
                |i| {
                    if i == 7 {
                        Step::Later(i)
                    } else {
                        Step::Done(i)
                    }
                },
                |i| {
                    assert!(i != 7, "deferred item 7 failed");
                    i
                },
            )
        });
        let message = panic_message(caught.expect_err("the panic reaches the caller"));
        assert!(message.contains("deferred item 7 failed"), "{message}");
    }

    #[test]
    fn a_panic_in_an_item_is_raised_to_the_caller() {
        let caught = std::panic::catch_unwind(|| {
            map_ordered(50, |i| {
                assert!(i != 37, "item 37 failed");
                i
            })
        });
        let message = panic_message(caught.expect_err("the panic reaches the caller"));
        assert!(message.contains("item 37 failed"), "{message}");
    }
}
