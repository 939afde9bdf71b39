fn main() -> std::process::ExitCode {
    flapsim::cli::main()
}
