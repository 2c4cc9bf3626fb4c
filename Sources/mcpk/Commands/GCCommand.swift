import ArgumentParser
import KernelCore

/// `mcpk gc [--dry-run]`: applies the retention policy now (`kernel.gc`) and prints a summary.
struct GCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Apply the retention policy (MCPK_RETENTION) now: old finished, unpinned runs, events, artifact dirs, unreferenced blobs.")
    @OptionGroup var options: ClientOptions
    @Flag(help: "Only count what would be deleted.") var dryRun = false

    func run() throws {
        let client = try options.connect()
        let r = options.call(client, "kernel.gc", ["dry_run": .bool(dryRun)])
        if options.json { CLI.print(r.serialized()); return }
        let verb = dryRun ? "would delete" : "deleted"
        CLI.print("\(verb): \(CLI.cell(r["runs"]?["count"])) run(s), \(CLI.cell(r["step_rows"])) step row(s), "
                  + "\(CLI.cell(r["events"]?["count"])) event(s), \(CLI.cell(r["directories"])) director(y/ies), "
                  + "\(CLI.cell(r["blobs"]?["count"])) blob(s) (\(BlobReference.describe(bytes: r["blobs"]?["bytes"]?.intValue ?? 0))) "
                  + "in \(CLI.cell(r["duration_ms"])) ms")
    }
}
