//! Printing that survives a closed stdout or stderr (`flapsim check | head -1`):
//! Rust's `println!` panics on EPIPE. A closed stream is not the run's failure,
//! so the text is dropped quietly, the run goes on (and still writes its
//! outputs), and the exit code stays the real one.

/// `println!` that ignores a closed stdout.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = std::io::Write::write_fmt(
            &mut std::io::stdout().lock(),
            format_args!("{}\n", format_args!($($arg)*)),
        );
    }};
}

/// `eprintln!` that ignores a closed stderr.
macro_rules! warn {
    ($($arg:tt)*) => {{
        let _ = std::io::Write::write_fmt(
            &mut std::io::stderr().lock(),
            format_args!("{}\n", format_args!($($arg)*)),
        );
    }};
}
