import ArgumentParser

/// The `mcpk` command: `serve` runs the kernel; the other verbs are clients of its socket.
@main
struct MCPK: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcpk",
        abstract: "MCP Kernel: a workflow execution kernel for AI-ops components.",
        version: "0.1.0",
        subcommands: MCPK.commands)

    /// Every subcommand; each area appends its own in `Commands/`.
    static var commands: [ParsableCommand.Type] {
        [ServeCommand.self, StatusCommand.self, CallCommand.self, ShutdownCommand.self, AuditCommand.self, DashboardCommand.self,
         ComponentsCommand.self, WorkflowsCommand.self, RunCommand.self, RunsCommand.self,
         PluginsCommand.self, ConnectionsCommand.self, RuntimeCommand.self, PluginHostCommand.self, GCCommand.self]
    }
}
