fn main() -> std::process::ExitCode {
    experiments::cli::main()
}
