import ArgumentParser
import KernelCore

/// The `mcpk` command: `serve` runs the kernel; the other verbs are clients of its socket.
@main
struct MCPK: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcpk",
        abstract: "MCP Kernel: a workflow execution kernel for AI-ops components.",
        version: KernelVersion.current,
        subcommands: MCPK.commands)

    /// Global options may precede the subcommand (see `GlobalOptions`).
    static func main() {
        main(GlobalOptions.hoist(Array(CommandLine.arguments.dropFirst()), root: MCPK.self))
    }

    /// Every subcommand; each area appends its own in `Commands/`.
    static var commands: [ParsableCommand.Type] {
        [ServeCommand.self, ConfigCommand.self, StatusCommand.self, CallCommand.self, ShutdownCommand.self, AuditCommand.self, DashboardCommand.self,
         ComponentsCommand.self, WorkflowsCommand.self, RunCommand.self, RunsCommand.self,
         PluginsCommand.self, ConnectionsCommand.self, RuntimeCommand.self, PluginHostCommand.self, WebhooksCommand.self, SchedulesCommand.self, SecretsCommand.self, VarsCommand.self, MCPCommand.self, GCCommand.self, ClusterCommand.self]
    }
}
