import KernelCore
import KernelLoop
import KernelPlugins

extension Kernel {
    /// `plugin.list|load|unload|reload|call`.
    func registerPluginMethods() {
        dispatcher.register("plugin.list", summary: "Every plugin: name, version, kinds, ABI, path, isolation, state, load error, crashes.",
                            params: ["type": "object", "properties": [:]]) { [unowned self] _, _ in
            ["items": .array(try self.requirePlugins().list().map(\.json))]
        }
        dispatcher.register("plugin.load", summary: "Loads a plugin library (drop-in); a broken one is refused with its reason.",
                            params: ["type": "object", "required": ["path"], "properties": [
                                "path": ["type": "string", "description": "absolute path of the .so"],
                                "isolation": ["type": "string", "enum": ["in-process", "process"]]]]) { [unowned self] params, _ in
            let path = try params.string("path")
            guard path.hasPrefix("/") else {
                throw KernelError.invalidParams("invalid params", errors: [FieldError("path", "must be an absolute path")])
            }
            var isolation: PluginIsolation?
            if let i = try params.optionalString("isolation") {
                guard let v = PluginIsolation(rawValue: i) else {
                    throw KernelError.invalidParams("invalid params", errors: [FieldError("isolation", "must be in-process or process")])
                }
                isolation = v
            }
            return try await self.requirePlugins().load(path: path, isolation: isolation).json
        }
        dispatcher.register("plugin.unload", summary: "Unloads a plugin; refuses while connections are open unless force.",
                            params: ["type": "object", "required": ["name"], "properties": [
                                "name": ["type": "string"], "force": ["type": "boolean"]]]) { [unowned self] params, _ in
            let name = try params.string("name")
            let force = try params.optionalBool("force") ?? false
            if force { await self.connectionRuntime?.closeAll() }
            try await self.requirePlugins().unload(name: name, force: force)
            return ["unloaded": true, "name": .string(name)]
        }
        dispatcher.register("plugin.reload", summary: "Unloads and loads a plugin again from its path.",
                            params: ["type": "object", "required": ["name"], "properties": [
                                "name": ["type": "string"], "force": ["type": "boolean"]]]) { [unowned self] params, _ in
            let force = try params.optionalBool("force") ?? false
            if force { await self.connectionRuntime?.closeAll() }
            return try await self.requirePlugins().reload(name: try params.string("name"), force: force).json
        }
        dispatcher.register("plugin.call", summary: "Calls a plugin's extra operation through libffi.",
                            params: ["type": "object", "required": ["plugin", "op"], "properties": [
                                "plugin": ["type": "string"], "op": ["type": "string"],
                                "args": ["type": "array", "description": "arguments matching the op's signature"]]]) { [unowned self] params, _ in
            let result = try await self.requirePlugins().call(plugin: try params.string("plugin"), op: try params.string("op"),
                                                               args: try params.optionalArray("args") ?? [])
            return ["result": result]
        }
    }
}
