//! SIGINT/SIGTERM stop a run cleanly: the first signal raises a flag that the
//! engine loop and the output publisher poll, so the run stops, nothing is
//! half-published, and the process exits with the conventional code (130 for
//! SIGINT, 143 for SIGTERM). A second signal terminates at once (the default
//! action), for a user who does not want to wait.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// The flag to poll, and which signal raised it.
#[derive(Clone)]
pub struct Stop {
    pub flag: Arc<AtomicBool>,
    signal: Arc<AtomicUsize>,
}

impl Stop {
    /// Install the handlers (best effort: where they cannot be installed the
    /// default action stays, which also writes nothing partial).
    pub fn install() -> Stop {
        let stop = Stop {
            flag: Arc::new(AtomicBool::new(false)),
            signal: Arc::new(AtomicUsize::new(0)),
        };
        #[cfg(unix)]
        for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            // Order matters: the conditional default must see the flag before
            // this signal sets it, so only a second signal kills.
            let _ = signal_hook::flag::register_conditional_default(sig, Arc::clone(&stop.flag));
            let _ = signal_hook::flag::register_usize(sig, Arc::clone(&stop.signal), sig as usize);
            let _ = signal_hook::flag::register(sig, Arc::clone(&stop.flag));
        }
        // The memory watchdog stops the command through the same flag.
        super::memory::stop_through(Arc::clone(&stop.flag));
        stop
    }

    pub fn raised(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// The exit code for the signal received: 128 + its number; 2 (a limit)
    /// when the memory watchdog raised the flag.
    pub fn exit_code(&self) -> u8 {
        if super::memory::tripped().is_some() {
            return super::EXIT_BAD_INPUT;
        }
        match self.signal.load(Ordering::SeqCst) {
            0 => 130,
            s => (128 + s).min(255) as u8,
        }
    }

    /// `message` of a stopped command, or the watchdog's reason when it was
    /// the one that stopped it.
    pub fn message(&self, message: String) -> String {
        match super::memory::tripped() {
            Some(_) => super::memory::stopped_message(""),
            None => message,
        }
    }
}
