// swift-tools-version:6.1
//
// MCP Kernel — the package map. The module split follows docs/ARCHITECTURE.md:
// system-library targets (C), the plugin ABI target, kernel modules by concern,
// the `mcpk` executable, bundled plugins (each a dynamic library) and one test
// target per module.
import PackageDescription

/// Swift language modes (docs/ARCHITECTURE.md, "Swift language modes"): the package default is
/// mode 5 (`swiftLanguageModes` below); targets that compile with Swift 6's complete data-race
/// checking use `swift6Settings`, the others `swiftSettings`.
let swiftSettings: [SwiftSetting] = []
let swift6Settings: [SwiftSetting] = [.swiftLanguageMode(.v6)]

func systemLibrary(_ name: String, pkgConfig: String?, apt: [String]) -> Target {
    .systemLibrary(name: name, path: "Sources/\(name)", pkgConfig: pkgConfig, providers: [.apt(apt)])
}

/// A bundled plugin: a target under Plugins/<dir> built as lib<product>.so.
func pluginProduct(_ product: String, target: String) -> Product {
    .library(name: product, type: .dynamic, targets: [target])
}

let package = Package(
    name: "mcpk",
    products: [
        .executable(name: "mcpk", targets: ["mcpk"]),
        pluginProduct("mcpk-postgres", target: "PluginPostgres"),
        pluginProduct("mcpk-sqlite", target: "PluginSQLite"),
        pluginProduct("mcpk-testops", target: "PluginTestOps"),
        pluginProduct("mcpk-python", target: "PluginPython"),
        pluginProduct("mcpk-typescript", target: "PluginTypeScript"),
        pluginProduct("mcpk-notebook", target: "PluginNotebook"),
        pluginProduct("mcpk-streamlit", target: "PluginStreamlit"),
        pluginProduct("mcpk-mcp", target: "PluginMCP"),
        pluginProduct("mcpk-llm", target: "PluginLLM"),
        pluginProduct("mcpk-utility", target: "PluginUtility"),
        pluginProduct("mcpk-output", target: "PluginOutput"),
        pluginProduct("mcpk-data", target: "PluginData"),
        pluginProduct("mcpk-adbc", target: "PluginADBC"),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // System libraries (Debian -dev packages).
        systemLibrary("CLibUV", pkgConfig: "libuv", apt: ["libuv1-dev"]),
        systemLibrary("CLibPQ", pkgConfig: "libpq", apt: ["libpq-dev"]),
        systemLibrary("CHiredis", pkgConfig: nil, apt: ["libhiredis-dev"]),
        systemLibrary("CLibFFI", pkgConfig: "libffi", apt: ["libffi-dev"]),
        systemLibrary("CSQLite", pkgConfig: "sqlite3", apt: ["libsqlite3-dev"]),
        systemLibrary("CSodium", pkgConfig: "libsodium", apt: ["libsodium-dev"]),
        systemLibrary("CHTTPParser", pkgConfig: nil, apt: ["libhttp-parser-dev"]),
        systemLibrary("CSeccomp", pkgConfig: "libseccomp", apt: ["libseccomp-dev"]),
        systemLibrary("CJansson", pkgConfig: "jansson", apt: ["libjansson-dev"]),
        systemLibrary("CLibCurl", pkgConfig: "libcurl", apt: ["libcurl4-openssl-dev"]),
        systemLibrary("CLibYAML", pkgConfig: "yaml-0.1", apt: ["libyaml-dev"]),

        // The public plugin ABI (include/mcpk/plugin.h) exposed to Swift.
        .target(name: "MCPKPluginABI", path: "Sources/MCPKPluginABI"),
        // Small C helpers for what Swift cannot express portably (peer
        // credentials, prctl, variadic calls).
        .target(name: "CKernelSupport", path: "Sources/CKernelSupport"),

        .target(
            name: "KernelLoop",
            // The loop knows no domain types (KernelCore); a UVError becomes a KernelError in
            // the modules that report it (KernelDispatch/UVError+KernelError.swift).
            dependencies: ["CLibUV", "CKernelSupport"],
            swiftSettings: swiftSettings),
        .target(
            name: "KernelCore",
            // libsodium: the one SHA-256 and base64 (Support/SHA256.swift, Base64.swift);
            // libyaml: YAML input (Support/YAML.swift).
            dependencies: ["CSodium", "CLibYAML"],
            swiftSettings: swift6Settings),
        .target(
            name: "KernelStore",
            dependencies: ["KernelCore", "KernelLoop", "CSQLite", "CLibPQ", "CHiredis", "CLibUV", "CSodium",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        .target(
            name: "KernelPlugins",
            dependencies: ["KernelCore", "KernelLoop", "MCPKPluginABI", "CLibFFI", "CLibUV", "CKernelSupport",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        .target(
            name: "KernelSandbox",
            // No KernelPlugins: the sandbox asks a `StepPlanning` (the engine's ExecutorPlanner) for plans.
            dependencies: ["KernelCore", "KernelLoop", "CSeccomp", "CKernelSupport", "CLibUV", "MCPKPluginABI",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        .target(
            name: "KernelEngine",
            dependencies: ["KernelCore", "KernelLoop", "KernelStore", "KernelPlugins", "KernelSandbox",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        // The server, by where a request goes: it enters through a transport (KernelTransport),
        // is dispatched (KernelDispatch) to a method handler (KernelMethods) over the kernel's
        // services (KernelServices); KernelServer wires them and runs the lifecycle.
        .target(
            name: "KernelDispatch",
            dependencies: ["KernelCore", "KernelLoop"],
            swiftSettings: swiftSettings),
        .target(
            name: "KernelTransport",
            // No Kernel: the transports reach business logic only through the Dispatcher.
            dependencies: ["KernelCore", "KernelLoop", "KernelDispatch", "CHTTPParser", "CKernelSupport",
                           .product(name: "Logging", package: "swift-log")],
            // The console (console/ at the repository root) is found at run time
            // (ConsoleFiles.locate), not a resource: a resource bundle's accessor would
            // link Foundation and ICU into mcpk.
            swiftSettings: swiftSettings),
        .target(
            name: "KernelConnections",
            // Connector connections: the pool and the query runtime beside the plugin host.
            dependencies: ["KernelCore", "KernelLoop", "KernelPlugins", "KernelStore"],
            swiftSettings: swiftSettings),
        .target(
            name: "KernelServices",
            dependencies: ["KernelCore", "KernelLoop", "KernelStore", "KernelPlugins", "KernelSandbox",
                           "KernelEngine", "KernelConnections", "KernelDispatch", "KernelTransport",
                           "CKernelSupport", "CLibUV",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        .target(
            name: "KernelMethods",
            dependencies: ["KernelCore", "KernelLoop", "KernelStore", "KernelPlugins", "KernelSandbox",
                           "KernelEngine", "KernelConnections", "KernelDispatch", "KernelTransport", "KernelServices",
                           "CKernelSupport",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        .target(
            name: "KernelServer",
            dependencies: ["KernelCore", "KernelLoop", "KernelDispatch", "KernelTransport", "KernelServices",
                           "KernelMethods", "CKernelSupport",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        .target(
            name: "KernelClient",
            dependencies: ["KernelCore"],
            swiftSettings: swift6Settings),
        .executableTarget(
            name: "mcpk",
            dependencies: ["KernelServer", "KernelServices", "KernelCore", "KernelStore", "KernelEngine", "KernelLoop",
                           "KernelPlugins", "KernelClient", "CKernelSupport",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),

        // Bundled plugins: dynamic libraries loaded through include/mcpk/plugin.h. The connectors'
        // helpers (and the executors' clock) are in Plugins/plugin-support (no JSON library).
        .target(name: "PluginPostgres", dependencies: ["CLibPQ"], path: "Plugins/postgres", publicHeadersPath: ".",
                cSettings: [.headerSearchPath("../../include"), .headerSearchPath("../plugin-support")]),
        .target(name: "PluginSQLite", dependencies: ["CSQLite"], path: "Plugins/sqlite", publicHeadersPath: ".",
                cSettings: [.headerSearchPath("../../include"), .headerSearchPath("../plugin-support")]),
        .target(name: "PluginTestOps", path: "Plugins/testops", publicHeadersPath: ".",
                cSettings: [.headerSearchPath("../../include")]),
        // Process executors (issue 5): plan → sandbox spec; shared helpers in Plugins/executor-support.
        .target(name: "PluginPython", dependencies: ["CJansson"], path: "Plugins/python", publicHeadersPath: ".",
                cSettings: [.headerSearchPath("../../include"), .headerSearchPath("../executor-support")]),
        .target(name: "PluginTypeScript", dependencies: ["CJansson"], path: "Plugins/typescript", publicHeadersPath: ".",
                cSettings: [.headerSearchPath("../../include"), .headerSearchPath("../executor-support")]),
        .target(name: "PluginNotebook", dependencies: ["CJansson"], path: "Plugins/notebook", publicHeadersPath: ".",
                cSettings: [.headerSearchPath("../../include"), .headerSearchPath("../executor-support")]),
        .target(name: "PluginStreamlit", dependencies: ["CJansson"], path: "Plugins/streamlit", publicHeadersPath: ".",
                cSettings: [.headerSearchPath("../../include"), .headerSearchPath("../executor-support")]),
        .target(name: "PluginMCP", dependencies: ["CJansson"], path: "Plugins/mcp", publicHeadersPath: ".",
                cSettings: [.headerSearchPath("../../include"), .headerSearchPath("../executor-support")]),
        // In-process (invoke) executors: jansson helpers in Plugins/executor-support/mcpk_invoke_support.h.
        .target(name: "PluginLLM", dependencies: ["CJansson", "CLibCurl"], path: "Plugins/llm", publicHeadersPath: ".",
                cSettings: [.headerSearchPath("../../include"), .headerSearchPath("../executor-support")]),
        .target(name: "PluginUtility", dependencies: ["CJansson"], path: "Plugins/utility", publicHeadersPath: ".",
                cSettings: [.headerSearchPath("../../include"), .headerSearchPath("../executor-support")]),
        .target(name: "PluginOutput", dependencies: ["CJansson"], path: "Plugins/output", publicHeadersPath: ".",
                cSettings: [.headerSearchPath("../../include"), .headerSearchPath("../executor-support")]),
        .target(name: "PluginData", dependencies: ["CJansson", "CSodium"], path: "Plugins/data", publicHeadersPath: ".",
                cSettings: [.headerSearchPath("../../include"), .headerSearchPath("../executor-support"),
                            .headerSearchPath("../plugin-support")]),
        // The ADBC bridge (issue 15): any ADBC driver .so as a connector; ADBC and Arrow C
        // data interface structs declared in Plugins/adbc/adbc_abi.h from the published specs.
        .target(name: "PluginADBC", dependencies: ["CJansson", "CSodium"], path: "Plugins/adbc", publicHeadersPath: ".",
                cSettings: [.headerSearchPath("../../include"), .headerSearchPath("../plugin-support")]),

        // Benchmarks (bench/): each prints a ratio against a peer measured in the same run.
        .executableTarget(name: "bench-control-socket", dependencies: ["KernelLoop", "KernelClient", "KernelCore"],
                          path: "bench/control_socket", swiftSettings: swiftSettings),
        .executableTarget(name: "bench-connector", dependencies: ["KernelPlugins", "KernelLoop", "KernelCore", "MCPKPluginABI"],
                          path: "bench/connector", exclude: ["run.sh"], swiftSettings: swiftSettings),
        .executableTarget(name: "bench-engine", dependencies: ["KernelClient", "KernelCore", "KernelLoop", "KernelSandbox", "CLibUV"],
                          path: "bench/engine", swiftSettings: swiftSettings),
        .executableTarget(name: "bench-llm", dependencies: ["KernelClient", "KernelCore"],
                          path: "bench/llm", swiftSettings: swiftSettings),
        .executableTarget(name: "bench-steps", dependencies: ["KernelSandbox", "KernelEngine", "KernelPlugins", "KernelLoop", "KernelCore",
                                                               .product(name: "Logging", package: "swift-log")],
                          path: "bench/steps", swiftSettings: swiftSettings),
        .executableTarget(name: "bench-store", dependencies: ["KernelStore", "KernelLoop", "KernelCore"],
                          path: "bench/store", exclude: ["run.sh"], swiftSettings: swiftSettings),

        // Tests (Swift Testing), and the helpers more than one test target uses.
        .target(name: "PluginTestSupport", dependencies: ["KernelPlugins", "KernelCore", "KernelLoop"], path: "Tests/Support/PluginTestSupport",
                swiftSettings: swiftSettings),
        .target(name: "HTTPTestSupport", dependencies: ["KernelCore"], path: "Tests/Support/HTTPTestSupport",
                swiftSettings: swiftSettings),
        .testTarget(name: "KernelLoopTests", dependencies: ["KernelLoop", "KernelCore"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "KernelCoreTests", dependencies: ["KernelCore", "PluginTestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "KernelStoreTests", dependencies: ["KernelStore", "KernelCore", "KernelLoop"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "KernelPluginsTests", dependencies: ["KernelPlugins", "KernelCore", "KernelLoop", "PluginTestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "PluginABITests", dependencies: ["KernelPlugins", "KernelCore", "KernelLoop", "PluginTestSupport"],
                    exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(name: "KernelSandboxTests", dependencies: ["KernelSandbox", "KernelCore", "KernelLoop", "MCPKPluginABI", "KernelPlugins", "KernelEngine"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "KernelEngineTests", dependencies: ["KernelEngine", "KernelCore", "KernelLoop", "KernelStore", "KernelSandbox", "KernelPlugins"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "KernelServerTests", dependencies: ["KernelServer", "KernelServices", "KernelMethods", "KernelDispatch", "KernelTransport",
                                                         "KernelCore", "KernelLoop", "KernelStore", "KernelPlugins", "KernelSandbox", "HTTPTestSupport",
                                                         "PluginTestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "IntegrationTests", dependencies: ["KernelCore", "KernelClient", "HTTPTestSupport"],
                    exclude: ["Fixtures"], swiftSettings: swiftSettings),
    ],
    swiftLanguageModes: [.v5]
)
