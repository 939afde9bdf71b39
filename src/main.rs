#[global_allocator]
static ALLOCATOR: flapsim::cli::hugepages::HugePageHeap = flapsim::cli::hugepages::HugePageHeap;

fn main() -> std::process::ExitCode {
    flapsim::cli::main()
}
