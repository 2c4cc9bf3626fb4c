import ArgumentParser

/// The client options (`--home`, `--socket`, `--json`) may be given before the subcommand
/// (`mcpk --home X status`, `mcpk --json runs list`). ArgumentParser reads options at the
/// command that declares them, so they are moved to just after the deepest subcommand name,
/// where that command's `ClientOptions` (or `serve`'s own options) parse them as usual.
enum GlobalOptions {
    /// Options taking a value, and flags, that may precede the subcommand.
    static let valued: Set<String> = ["--home", "--socket"]
    static let flags: Set<String> = ["--json"]

    /// The arguments (without the executable) with every global option found before or
    /// between subcommand names moved after the last subcommand name.
    static func hoist(_ args: [String], root: ParsableCommand.Type) -> [String] {
        var rest: [String] = []
        var moved: [String] = []
        var command = root
        var i = 0
        var inPath = true
        var depth = 0
        while i < args.count {
            let a = args[i]
            guard inPath else { rest.append(a); i += 1; continue }
            let name = a.split(separator: "=", maxSplits: 1).first.map(String.init) ?? a
            if valued.contains(name) {
                if a.contains("=") { moved.append(a); i += 1 }
                else { moved.append(a); if i + 1 < args.count { moved.append(args[i + 1]) }; i += 2 }
                continue
            }
            if flags.contains(a) { moved.append(a); i += 1; continue }
            if let sub = command.configuration.subcommands.first(where: { commandName($0) == a }) {
                command = sub
                rest.append(a)
                depth += 1
                i += 1
                continue
            }
            // The first argument that is neither a global option nor a subcommand name ends the path.
            inPath = false
        }
        guard !moved.isEmpty else { return args }
        return Array(rest[..<depth]) + moved + Array(rest[depth...])
    }

    private static func commandName(_ c: ParsableCommand.Type) -> String {
        c.configuration.commandName ?? c._commandName
    }
}
