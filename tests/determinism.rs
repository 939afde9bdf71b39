//! Same scenario + seed ⇒ the same event log digest; another seed ⇒ another digest.

mod common;

use common::run;

#[test]
fn same_seed_gives_the_same_digest_and_outputs() {
    let a = run("lossy-nic.yaml", None, Some(7), &[("duration", "30m")]);
    let b = run("lossy-nic.yaml", None, Some(7), &[("duration", "30m")]);
    assert_eq!(a.stats.digest, b.stats.digest);
    assert_eq!(a.stats.events, b.stats.events);
    for f in flapsim::report::Format::ALL {
        assert_eq!(
            f.render(&a.scenario, &a.metrics),
            f.render(&b.scenario, &b.metrics),
            "{}",
            f.file_name()
        );
    }
}

#[test]
fn a_different_seed_gives_a_different_digest() {
    let a = run("lossy-nic.yaml", None, Some(7), &[("duration", "30m")]);
    let b = run("lossy-nic.yaml", None, Some(8), &[("duration", "30m")]);
    assert_ne!(a.stats.digest, b.stats.digest);
}

/// Runs on other threads give the same digest (no thread timing reaches results).
#[test]
fn digest_does_not_depend_on_the_thread() {
    let here = run("lossy-nic.yaml", None, None, &[("duration", "20m")])
        .stats
        .digest;
    let there = std::thread::spawn(|| {
        run("lossy-nic.yaml", None, None, &[("duration", "20m")])
            .stats
            .digest
    })
    .join()
    .expect("thread");
    assert_eq!(here, there);
}
