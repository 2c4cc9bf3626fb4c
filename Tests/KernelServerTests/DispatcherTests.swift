import KernelLoop
import Testing
@testable import KernelCore
@testable import KernelDispatch
@testable import KernelTransport

/// `Dispatcher.call` enforces each method's params schema before the handler runs.
@Suite struct DispatcherSchemaTests {
    final class Calls: @unchecked Sendable { var count = 0 }

    @KernelActor
    static func dispatcher(_ calls: Calls) -> Dispatcher {
        let d = Dispatcher()
        d.register("thing.query", summary: "q", params: [
            "type": "object", "required": ["id", "sql"], "additionalProperties": false,
            "properties": ["id": ["type": "string"], "sql": ["type": "string", "minLength": 1],
                           "max_rows": ["type": "integer", "minimum": 0, "maximum": 100],
                           "mode": ["type": "string", "enum": ["a", "b"]], "tags": ["type": "array", "items": ["type": "string"]]],
        ], checks: { p in p.json["sql"]?.stringValue == "DROP" ? [FieldError("sql", "must not drop")] : [] }) { p, _ in
            calls.count += 1
            return ["ok": true, "max_rows": p.value("max_rows") ?? .null]
        }
        d.registerSync("thing.sync", summary: "s", params: ["type": "object", "properties": [:], "additionalProperties": false]) { _, _ in
            calls.count += 1
            return ["ok": true]
        }
        return d
    }

    @KernelActor static var context: CallContext { CallContext(actor: "test", transport: .socket, requestID: "r") }

    @KernelActor
    static func errors(_ r: Result<JSON, DispatchError>?) -> [String] {
        guard case .failure(let e)? = r else { return [] }
        #expect(e.kernelError.kind == .invalidParams)
        return e.kernelError.errors.map(\.description)
    }

    @Test @KernelActor func everyViolationAtOnceWithPathsAndTheHandlerNeverRuns() async {
        let calls = Calls()
        let d = Self.dispatcher(calls)
        let r = await d.call("thing.query", params: ["sql": "", "max_rows": 500, "mode": "c", "tags": ["x", 1], "extra": true],
                             context: Self.context)
        #expect(Self.errors(r) == ["id: is required", "sql: must not be empty", "max_rows: must be between 0 and 100",
                                   "mode: must be one of: a, b", "tags[1]: must be a string", "extra: unknown field"])
        #expect(calls.count == 0)
    }

    @Test @KernelActor func checksJoinTheSchemaErrorsAndNullCountsAsAbsent() async {
        let calls = Calls()
        let d = Self.dispatcher(calls)
        #expect(Self.errors(await d.call("thing.query", params: ["sql": "DROP", "max_rows": -1], context: Self.context))
                == ["id: is required", "max_rows: must be between 0 and 100", "sql: must not drop"])
        let ok = await d.call("thing.query", params: ["id": "x", "sql": "select 1", "max_rows": .null], context: Self.context)
        guard case .success(let v) = ok else { Issue.record("\(ok)"); return }
        #expect(v["ok"] == true && v["max_rows"] == .null)
        #expect(calls.count == 1)
    }

    @Test @KernelActor func inlineCallsAreCheckedToo() {
        let calls = Calls()
        let d = Self.dispatcher(calls)
        #expect(Self.errors(d.callInline("thing.sync", params: ["x": 1], context: Self.context)) == ["x: unknown field"])
        #expect(calls.count == 0)
        guard case .success? = d.callInline("thing.sync", params: .null, context: Self.context) else { Issue.record("refused"); return }
        #expect(calls.count == 1)
    }

    @Test @KernelActor func aSchemaThatDoesNotCompileIsReportedAndRefusesCalls() async {
        let d = Dispatcher()
        d.register("bad.method", summary: "b", params: ["type": "object", "properties": ["x": ["type": "strin"]]]) { _, _ in ["ok": true] }
        #expect(d.schemaProblems.map(\.path) == ["bad.method.params.properties.x.type"])
        guard case .failure(let e) = await d.call("bad.method", params: [:], context: Self.context) else { Issue.record("called"); return }
        #expect(e.kernelError.kind == .internal)
    }

    @Test @KernelActor func replySchemasAreRegisteredAndPublishedAsTheOpenAPIResponse() {
        let d = Dispatcher()
        d.register("run.list", summary: "list", params: ["type": "object"]) { _, _ in ["items": [], "next_cursor": .null] }
        let reply = d.spec("run.list")?.reply
        #expect(reply?["required"] == ["items", "next_cursor"])
        #expect(d.methodsWithoutReply.isEmpty)
        let doc = OpenAPIGenerator(routes: HTTPRouteTable.routes, methods: d.methods, secured: false).document()
        #expect(doc["paths"]?["/api/v1/workflow-runs"]?["get"]?["responses"]?["200"]?["content"]?["application/json"]?["schema"] == reply)
        d.register("new.method", summary: "n") { _, _ in [:] }
        #expect(d.methodsWithoutReply == ["new.method"])
    }

    @Test @KernelActor func aSchemaThatDeclaresItsPropertiesIsClosed() async {
        let d = Dispatcher()
        d.register("x.get", summary: "g", params: ["type": "object", "properties": ["id": ["type": "string"]]]) { _, _ in ["ok": true] }
        #expect(d.spec("x.get")?.params["additionalProperties"] == false)
        #expect(Self.errors(await d.call("x.get", params: ["id": "a", "idd": "b"], context: Self.context)) == ["idd: unknown field"])
    }
}
