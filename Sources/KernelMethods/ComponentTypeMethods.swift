import KernelCore
import KernelPlugins
import KernelServices

/// The component types of this kernel (`ComponentTypes`): what the loaded executor plugins
/// declare (the only source of types), read from the plugin host on each call, so `plugin.load`
/// makes a declared type creatable and runnable at once. `component.types` lists them, by name.
extension Kernel {
    package var componentTypes: ComponentTypes {
        ComponentTypes(declared: plugins?.componentTypeDefinitions() ?? [])
    }

    func registerComponentTypeMethods() {
        dispatcher.register("component.types",
                            summary: "Every component type: name, description, the plugin serving it (null: none loaded), execution, secret fields, declared (true: its schema comes from the plugin).",
                            params: ["type": "object", "additionalProperties": false]) { [unowned self] _, _ in
            let types = self.componentTypes
            let routes = self.plugins?.executorRoutes() ?? [:]
            return ["items": .array(types.names.map { t in
                var o = JSONObject()
                o["name"] = .string(t.rawValue)
                let d = types.declared[t]
                let schema = types.schema(of: t)
                o["description"] = JSON(d?.description ?? schema?["description"]?.stringValue)
                o["plugin"] = JSON(routes[t.rawValue])
                o["runnable"] = .bool(routes[t.rawValue] != nil)
                o["declared"] = .bool(d != nil)
                o["execution"] = JSON(d?.execution.rawValue)
                o["secret_fields"] = JSON(types.secretInputs(of: t))
                return .object(o)
            }), "next_cursor": .null]
        }
    }
}
