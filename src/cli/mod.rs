//! The `flapsim` command line (in progress).
pub fn main() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
