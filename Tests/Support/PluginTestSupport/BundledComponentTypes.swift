import KernelCore
import KernelPlugins

/// The component types the bundled executor plugins declare, read from the plugin libraries
/// SwiftPM built (`libmcpk-*.so` next to the test bundle, the fixtures excluded as the kernel's
/// discovery excludes them), each loaded with the kernel's own loader (`PluginLibrary.load`).
/// Tests that validate configs without a running kernel use these: the plugin declarations
/// are the only source of types, so no test keeps a copy of a schema.
public enum BundledComponentTypes {
    /// The libraries stay loaded for the test process (their declarations point into them).
    private static let loaded: (libraries: [PluginLibrary], errors: [String]) = {
        var libraries: [PluginLibrary] = []
        var errors: [String] = []
        for path in TestSupport.files(in: TestSupport.buildDir, suffix: ".so") {
            let stem = PluginHost.libraryStem(path)
            guard stem.hasPrefix("mcpk-"), !PluginHostConfiguration.bundledFixtures.contains(stem) else { continue }
            do { libraries.append(try PluginLibrary.load(path: path, context: HostContext(name: stem))) } catch {
                errors.append("\(path): \(error)")
            }
        }
        return (libraries, errors)
    }()

    /// Every bundled library that failed to load (a test of the types expects none).
    public static var loadErrors: [String] { loaded.errors }

    /// The declarations, in the order the libraries load (file name order).
    public static var definitions: [ComponentTypeDefinition] { loaded.libraries.flatMap(\.metadata.componentTypeDefinitions) }

    /// `ComponentTypes` of the bundled plugins, as a kernel that loaded them builds it.
    public static var types: ComponentTypes { ComponentTypes(declared: definitions) }
}
