//! The bundled font, registered with plotters' pure-Rust `ab_glyph` text path.
//!
//! Why bundled: plotters' default text path asks the system's font library, which a
//! CI container or a minimal server does not have, and different machines would
//! pick different fonts (so different text widths and different bytes). DejaVu Sans
//! (Bitstream Vera licence, `fonts/LICENSE-DejaVu.txt`) is compiled into the binary
//! and registered as the `sans-serif` family, the one every chart uses. SVG files
//! name `sans-serif` too: a viewer draws them with its own sans font, laid out with
//! DejaVu's metrics.

use std::sync::Once;

use plotters::style::{register_font, FontStyle};

/// DejaVu Sans 2.37 (Debian `fonts-dejavu-core`).
pub static DEJAVU_SANS: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");

/// The family name charts use.
pub const FAMILY: &str = "sans-serif";

static REGISTER: Once = Once::new();

/// Register the bundled font (idempotent, thread-safe). Called by every render
/// entry point before any text is measured.
pub fn register() {
    REGISTER.call_once(|| {
        // The bytes are a valid TrueType file compiled in; failure would be a
        // build defect, caught by the chart tests (text would be missing).
        let _ = register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS);
    });
}
