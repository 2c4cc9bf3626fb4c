import Glibc
import KernelCore
import KernelEngine
import KernelLoop
import KernelSandbox
import KernelServices
import KernelStore

extension Kernel {
    /// The console's AI assistant (issue 19): `assistant.chat` starts one turn
    /// against an LLM the user configured (an `LLM Prompt Agent` component:
    /// endpoint, model, apiKeySecret), through the LLM executor plugin as a step
    /// would; `assistant.subscribe` streams its tokens (SSE at
    /// /api/v1/assistant/chats/{id}/stream), then the whole answer with the
    /// proposal (config or workflow JSON) found in it, then `end`.
    func registerAssistantMethods() {
        let messageSchema: JSON = ["type": "object", "required": ["role", "content"], "additionalProperties": false, "properties": [
            "role": ["type": "string", "enum": ["user", "assistant"]],
            "content": ["type": "string", "minLength": 1, "maxLength": JSON(AssistantLimits.maxMessageChars)]]]
        dispatcher.register("assistant.chat",
                            summary: "Starts an assistant turn: the LLM (an LLM Prompt Agent component) gets the type's JSON Schema, the draft and the declared connections' schemas; answers {chat_id}; stream it with assistant.subscribe.",
                            params: ["type": "object", "required": ["messages"], "additionalProperties": false, "properties": [
                                "llm": ["type": "string", "minLength": 1, "description": "id or name of an LLM Prompt Agent component; default: the first one with an endpoint or apiKeySecret"],
                                "messages": ["type": "array", "minItems": 1, "maxItems": JSON(AssistantLimits.maxMessages), "items": messageSchema],
                                "target": ["type": "string", "enum": ["component", "workflow"]],
                                "component_type": ["type": "string", "description": "A component type name (component.types)."],
                                "draft": ["description": "the current config or workflow definition"],
                                "connections": ["type": "array", "maxItems": JSON(AssistantLimits.maxConnections),
                                                "items": ["type": "string", "minLength": 1]]]]) { [unowned self] p, _ in
            try await self.startAssistantChat(p)
        }
        dispatcher.register("assistant.subscribe",
                            summary: "The chat's stored events after `after`, then live `assistant.event` notifications (token…, result or error, end).",
                            params: ["type": "object", "required": ["id"], "properties": [
                                "id": ["type": "string"], "after": ["type": "integer", "minimum": 0]]]) { [unowned self] p, ctx in
            let session = try ctx.requireSession()
            let chat = try self.assistantChats.get(try p.string("id"))
            let key = Identifier.uuid()
            let replay = chat.subscribe(after: Int64(try p.optionalInt("after") ?? 0), key: key) { [weak session] event in
                guard let session else { return false }
                return session.notify("assistant.event", ["subscription": .string(key), "event": event])
            }
            session.addSubscription(key) { [weak chat] in chat?.unsubscribe(key) }
            return ["subscription": .string(key), "chat_id": .string(chat.id), "state": .string(chat.state.rawValue), "events": .array(replay)]
        }
        dispatcher.register("assistant.unsubscribe", summary: "Ends an assistant.subscribe stream.",
                            params: ["type": "object", "required": ["subscription"], "properties": ["subscription": ["type": "string"]]]) { p, ctx in
            let session = try ctx.requireSession()
            session.removeSubscription(try p.string("subscription"))
            return ["unsubscribed": true]
        }
        onShutdown("assistant") { [unowned self] in self.assistantChats.cancelAll() }
    }

    /// Is this LLM Prompt Agent config pointed somewhere (an endpoint or an API key secret)?
    static func configuresLLM(_ config: JSON) -> Bool {
        !(config["endpoint"]?.stringValue ?? "").isEmpty || !(config["apiKeySecret"]?.stringValue ?? "").isEmpty
    }

    static let assistantHowTo = "create an LLM Prompt Agent component with an endpoint (an OpenAI-compatible …/v1 URL), a model, "
        + "and apiKeySecret naming a connection whose secret is the API key (docs/DEFINITIONS.md), then choose it as the assistant's LLM"

    func startAssistantChat(_ p: Params) async throws -> JSON {
        let store = try requireStore()
        guard let executor = try requireEngine().executors.executor(for: .llmPromptAgent) else {
            throw KernelError.unavailable("no executor serves LLM Prompt Agent steps (the llm plugin is not loaded)")
        }
        // The LLM: the named component, else the first configured one.
        var llm: Component
        var llmVersion: ComponentVersion
        if let ref = try p.optionalString("llm") {
            llm = try await store.component(ref)
            guard llm.type == .llmPromptAgent else {
                throw KernelError.invalidParams("invalid params", errors: [FieldError("llm", "\(llm.name) is a \(llm.type.rawValue) component, not an LLM Prompt Agent")])
            }
            llmVersion = try await store.componentVersion(llm.id, version: nil)
        } else {
            var chosen: (Component, ComponentVersion)?
            for c in try await store.listComponents(ComponentQuery(type: .llmPromptAgent, limit: AssistantLimits.maxListedComponents)).items {
                let v = try await store.componentVersion(c.id, version: nil)
                if Kernel.configuresLLM(v.config) { chosen = (c, v); break }
            }
            guard let chosen else { throw KernelError.notFound("no LLM connection is configured: \(Kernel.assistantHowTo)") }
            (llm, llmVersion) = chosen
        }
        // The conversation.
        var messages: [(role: String, content: String)] = []
        for (i, m) in (p.value("messages")?.arrayValue ?? []).enumerated() {
            guard let role = m["role"]?.stringValue, let content = m["content"]?.stringValue else {
                throw KernelError.invalidParams("invalid params", errors: [FieldError("messages.\(i)", "needs role and content strings")])
            }
            messages.append((role, content))
        }
        guard messages.last?.role == "user" else {
            throw KernelError.invalidParams("invalid params", errors: [FieldError("messages", "the last message must be the user's")])
        }
        // The context: target, type schema, draft, connections (scanned), components.
        let target = AssistantPrompt.Target(rawValue: try p.optionalString("target") ?? "component") ?? .component
        var typeName: String?
        var schema: JSON?
        if let t = try p.optionalString("component_type") {
            let types = componentTypes
            guard let s = types.schema(of: ComponentType(t)) else {
                throw KernelError.invalidParams("invalid params", errors: [FieldError("component_type", types.unknownTypeMessage(t))])
            }
            typeName = t
            schema = s
        }
        let draft = p.value("draft")
        if let draft {
            let size = draft.serialized().utf8.count
            guard size <= AssistantLimits.maxDraftChars else {
                throw KernelError.invalidParams("invalid params", errors: [FieldError("draft", "is \(size) bytes of JSON; the limit is \(AssistantLimits.maxDraftChars)")])
            }
        }
        var connections: [(name: String, digest: String)] = []
        for name in p.value("connections")?.arrayValue?.compactMap(\.stringValue) ?? [] {
            do {
                let scan = try await requireConnectionRuntime().scan(name, depth: 3, schema: nil, table: nil)
                connections.append((name, SchemaDigest.describe(connection: name, scan: scan)))
            } catch {
                connections.append((name, "(its schema could not be scanned: \((error as? KernelError)?.message ?? "\(error)"))"))
            }
        }
        let components = target == .workflow
            ? try await store.listComponents(ComponentQuery(limit: AssistantLimits.maxListedComponents)).items : []
        let system = AssistantPrompt.system(target: target, typeName: typeName, schema: schema, draft: draft,
                                            connections: connections, components: components)
        // The LLM component's own config, with the assistant's prompts.
        var config = llmVersion.config.objectValue ?? JSONObject()
        let prompts = AssistantPrompt.templateInputs(system: system, message: AssistantPrompt.transcript(messages))
        for (k, v) in prompts.config { config[k] = v }
        config["connection"] = nil
        config["schemaTables"] = nil
        let chat = try assistantChats.start()
        let work = configuration.home + "/work/assistant/" + chat.id
        let inv = StepInvocation(runID: "assistant-" + chat.id, stepID: "assistant", attempt: 1, componentID: llm.id,
                                 componentVersion: llmVersion.version, type: .llmPromptAgent, config: .object(config),
                                 inputs: prompts.inputs,
                                 workDirectory: work, artifactDirectory: work)
        let sink = AssistantEventSink(chat: chat)
        let logger = self.logger
        Task { @KernelActor in
            let outcome = await executor.run(inv, events: sink, cancellation: chat.cancellation)
            switch outcome {
            case .succeeded(let result):
                let text = result["text"]?.stringValue ?? ""
                chat.succeed(text: text, proposal: AssistantPrompt.proposal(in: text), model: result["model"], usage: result["usage"])
            case .succeededWithFile(let path):
                chat.fail("the LLM answer was written to a file (\(path)); the assistant reads only inline answers")
            case .failed(let message), .timedOut(let message):
                chat.fail(message, cancelled: chat.cancellation.isStopped)
            }
            removeTree(work)
            logger.debug("assistant chat ended", metadata: ["chat": "\(chat.id)", "state": "\(chat.state.rawValue)"])
        }
        return ["chat_id": .string(chat.id), "state": .string(chat.state.rawValue),
                "llm": ["id": .string(llm.id), "name": .string(llm.name), "model": config["model"] ?? .null],
                "stream": .string("/api/v1/assistant/chats/\(chat.id)/stream")]
    }
}
