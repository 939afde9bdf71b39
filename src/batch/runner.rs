//! The parallel runner: work items on `jobs` threads, results delivered in
//! item order.
//!
//! Why not a parallel iterator (rayon): results must be *written* in canonical
//! order as they finish, with bounded memory, and a write error must stop the
//! workers. Plain scoped threads with a shared counter and a reorder buffer do
//! exactly that without a new dependency. Workers take items in order; a result
//! that finishes early waits in the buffer until every earlier one has been
//! delivered. A worker does not start an item more than `window` ahead of the
//! oldest undelivered one, so the buffer holds at most `window` results however
//! long one slow run takes. Thread timing decides only *when* a result is
//! delivered, never its position, so outputs do not depend on `jobs`.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::{Condvar, Mutex};

/// How far ahead of the oldest undelivered item a worker may start, per worker.
pub const WINDOW_PER_JOB: usize = 16;

struct Shared {
    /// Next item to hand out.
    next: usize,
    /// Items delivered so far (all items below this index).
    delivered: usize,
    /// Set when delivery failed: workers stop taking items.
    stop: bool,
}

/// Run `work(i)` for `i in 0..count` on `jobs` threads and call
/// `deliver(i, result)` on the calling thread in increasing `i`. A panic in
/// `work` becomes `Err(message)` for that item. Stops at the first error
/// returned by `deliver` and returns it.
pub fn run_ordered<T: Send, E>(
    count: usize,
    jobs: usize,
    work: &(dyn Fn(usize) -> T + Sync),
    deliver: &mut dyn FnMut(usize, Result<T, String>) -> Result<(), E>,
) -> Result<(), E> {
    let jobs = jobs.clamp(1, count.max(1));
    let window = WINDOW_PER_JOB * jobs;
    let shared = Mutex::new(Shared {
        next: 0,
        delivered: 0,
        stop: false,
    });
    let wake = Condvar::new();
    let (tx, rx) = mpsc::channel::<(usize, Result<T, String>)>();
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let tx = tx.clone();
            let (shared, wake) = (&shared, &wake);
            scope.spawn(move || loop {
                let item = {
                    let mut s = shared.lock().unwrap_or_else(|p| p.into_inner());
                    while !s.stop && s.next < count && s.next >= s.delivered + window {
                        s = wake.wait(s).unwrap_or_else(|p| p.into_inner());
                    }
                    if s.stop || s.next >= count {
                        return;
                    }
                    s.next += 1;
                    s.next - 1
                };
                let result = catch_unwind(AssertUnwindSafe(|| work(item)))
                    .map_err(|p| panic_message(p.as_ref()));
                if tx.send((item, result)).is_err() {
                    return;
                }
            });
        }
        drop(tx);
        let stop = |shared: &Mutex<Shared>| {
            shared.lock().unwrap_or_else(|p| p.into_inner()).stop = true;
            wake.notify_all();
        };
        let mut buffer: BTreeMap<usize, Result<T, String>> = BTreeMap::new();
        let mut next_out = 0;
        for (i, r) in rx.iter() {
            buffer.insert(i, r);
            while let Some(r) = buffer.remove(&next_out) {
                if let Err(e) = deliver(next_out, r) {
                    stop(&shared);
                    return Err(e);
                }
                next_out += 1;
                shared.lock().unwrap_or_else(|p| p.into_inner()).delivered = next_out;
                wake.notify_all();
            }
        }
        Ok(())
    })
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        format!("panicked: {s}")
    } else if let Some(s) = p.downcast_ref::<String>() {
        format!("panicked: {s}")
    } else {
        "panicked".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rule: delivery order is item order whatever the thread count or timing.
    #[test]
    fn results_arrive_in_item_order_for_any_job_count() {
        for jobs in [1, 2, 4, 7] {
            let mut got = Vec::new();
            let work = |i: usize| {
                // Uneven work so later items often finish first.
                let spin = (37 * i) % 11 * 2000;
                (0..spin).fold(i as u64, |a, x| a.wrapping_mul(31).wrapping_add(x as u64));
                i * i
            };
            run_ordered::<usize, ()>(200, jobs, &work, &mut |i, r| {
                got.push((i, r.unwrap()));
                Ok(())
            })
            .unwrap();
            let want: Vec<(usize, usize)> = (0..200).map(|i| (i, i * i)).collect();
            assert_eq!(got, want, "jobs {jobs}");
        }
    }

    #[test]
    fn a_delivery_error_stops_the_batch_and_a_panic_is_an_item_error() {
        let mut seen = 0;
        let r = run_ordered::<usize, String>(1000, 3, &|i| i, &mut |i, _| {
            seen += 1;
            if i == 10 {
                Err("disk full".into())
            } else {
                Ok(())
            }
        });
        assert_eq!(r, Err("disk full".into()));
        assert_eq!(seen, 11);
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let mut errors = Vec::new();
        run_ordered::<usize, ()>(
            5,
            2,
            &|i| if i == 3 { panic!("boom") } else { i },
            &mut |i, r| {
                if let Err(e) = r {
                    errors.push((i, e));
                }
                Ok(())
            },
        )
        .unwrap();
        std::panic::set_hook(hook);
        assert_eq!(errors, vec![(3, "panicked: boom".to_string())]);
    }

    #[test]
    fn zero_items_is_fine() {
        run_ordered::<(), ()>(0, 4, &|_| (), &mut |_, _| Ok(())).unwrap();
    }
}
