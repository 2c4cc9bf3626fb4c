import KernelCore
import KernelLoop
import KernelServices
import KernelTransport

extension Kernel {
    /// Start-up step of the HTTP shim: listens on `configuration.httpEndpoint`
    /// (nothing when disabled). The config already refused a non-loopback
    /// address without a token.
    func startHTTP() async throws {
        Metrics.declareAll()
        // Run/step metrics from the engine's status feed (kept alive by the shutdown hook).
        let feed = RunMetricsFeed()
        if await feed.start(dispatcher) {
            onShutdown("run metrics feed") { feed.stop() }
        }
        guard let endpoint = configuration.httpEndpoint else { return }
        let console = ConsoleFiles(settings: configuration.settings,
                                   executableDirectory: KernelConfiguration.executableDirectory())
        if console.root == nil {
            logger.notice("the web console is not installed (set \(ConsoleFiles.directorySetting))")
        }
        let api = HTTPAPI(dispatcher: dispatcher, configuration: configuration, logger: logger, console: console)
        installTriggerRoutes(api)
        // OpenAPI's ComponentConfig: the component types of the moment (plugin-declared ones included).
        api.componentConfigSchema = { [unowned self] in self.componentTypes.unionSchema }
        api.blobReader = { [weak self] digest, offset, length in
            guard let values = self?.engine?.values else { throw KernelError.unavailable("the blob store is not open") }
            return try await values.chunk(digest, offset: offset, length: length)
        }
        let server = HTTPServer(host: endpoint.host, port: endpoint.port, api: api,
                                limits: HTTPLimits(settings: configuration.settings), logger: logger)
        try server.start()
        http = server
        if console.root != nil { consoleURL = "http://\(endpoint.host):\(server.port)/" }
        addStatus("http") { [weak server] in
            guard let server else { return .null }
            return ["address": .string("\(server.host):\(server.port)"), "port": .int(Int64(server.port)),
                    "connections": .int(Int64(server.connectionCount)),
                    "auth": .bool(self.configuration.token != nil), "console": console.statusJSON]
        }
    }
}
