import KernelCore
import KernelEngine

/// The plugin libraries the operator unloaded, so a restart does not load them again from
/// the plugin dirs: `$MCPK_HOME/unloaded-plugins.json`, a JSON array of library paths.
/// `plugin.unload` adds the path, `plugin.load` (and a reload) removes it.
package struct UnloadedPlugins {
    static let fileName = "unloaded-plugins.json"
    let path: String

    package init(home: String) { path = home + "/" + UnloadedPlugins.fileName }

    /// The recorded paths; none when the file is missing or unreadable (logged by the caller).
    func paths() throws -> Set<String> {
        guard let text = KernelConfiguration.readFile(path) else { return [] }
        do {
            guard let list = try JSONParser.parse(text).arrayValue else {
                throw KernelError.invalidParams("\(path): expected a JSON array of plugin paths")
            }
            return Set(list.compactMap(\.stringValue))
        } catch let e as JSONParser.Error {
            throw KernelError.invalidParams("\(path) is not valid JSON: \(e)")
        }
    }

    package func add(_ library: String) throws {
        var set = (try? paths()) ?? []
        guard set.insert(library).inserted else { return }
        try save(set)
    }

    package func remove(_ library: String) throws {
        var set = (try? paths()) ?? []
        guard set.remove(library) != nil else { return }
        try save(set)
    }

    private func save(_ set: Set<String>) throws {
        let text = JSON.array(set.sorted().map { .string($0) }).serialized() + "\n"
        guard ArtifactNames.writeFile(path, Array(text.utf8)) else {
            throw KernelError.unavailable("cannot write \(path)")
        }
    }
}
