import Glibc
import KernelCore
import KernelLoop

/// `LLM Prompt Agent` steps, in-process: one streaming `POST {endpoint}/chat/completions`
/// (OpenAI-compatible, `stream: true`) on a dedicated thread. Tokens become `log` events
/// (stream `llm`) and `progress` events as they arrive; the result is `{text, usage, model}`.
/// `userPromptTemplate` is rendered with the step inputs (`${inputs.x}` and `{{x}}`); the API
/// key comes from the sealed secret named by `apiKeySecret` (through `secrets`).
@KernelActor
public final class LLMPromptExecutor: StepExecutor {
    /// Resolves a secret name to its plaintext (never logged).
    public typealias SecretResolver = @KernelActor (String) async throws -> String?

    public let types: [ComponentType] = [.llmPromptAgent]
    public static let defaultEndpoint = "http://127.0.0.1:11434/v1"
    /// A progress event every this many tokens.
    public static let progressEveryTokens = 16
    let secrets: SecretResolver?

    public init(secrets: SecretResolver? = nil) { self.secrets = secrets }

    /// `{{x}}` / `{{a.b}}` placeholders after `${…}` references.
    static func render(_ template: String, inputs: JSON) throws -> String {
        let v = try Template.parse(template).resolve(in: ReferenceContext(inputs: inputs))
        var text: String
        if case .string(let s) = v { text = s } else { text = v.serialized() }
        var out = ""
        while let open = text.firstRange(of: "{{") {
            out += text[..<open.lowerBound]
            let after = text[open.upperBound...]
            guard let close = after.firstRange(of: "}}") else { out += text[open.lowerBound...]; text = ""; break }
            let key = String(after[..<close.lowerBound]).trimmed
            guard let value = inputs.value(atPath: key.split(separator: ".").map(String.init)) else {
                throw KernelError.invalidParams("prompt placeholder '{{\(key)}}' has no value in the inputs")
            }
            if case .string(let s) = value { out += s } else { out += value.serialized() }
            text = String(after[close.upperBound...])
        }
        return out + text
    }

    static func url(_ endpoint: String) -> String {
        var e = endpoint
        while e.hasSuffix("/") { e.removeLast() }
        return e.hasSuffix("/chat/completions") ? e : e + "/chat/completions"
    }

    public func run(_ inv: StepInvocation, events: StepEventSink, cancellation: StepCancellation) async -> AttemptOutcome {
        let c = inv.config
        guard let model = c["model"]?.stringValue else { return .failed("the LLM component has no model") }
        var messages: [JSON] = []
        do {
            if let sys = c["systemPrompt"]?.stringValue, !sys.isEmpty {
                messages.append(["role": "system", "content": .string(try LLMPromptExecutor.render(sys, inputs: inv.inputs))])
            }
            let user = try LLMPromptExecutor.render(c["userPromptTemplate"]?.stringValue ?? inv.inputs["prompt"]?.stringValue ?? "", inputs: inv.inputs)
            messages.append(["role": "user", "content": .string(user)])
        } catch let e as ExpressionError { return .failed(e.message) } catch let e as KernelError { return .failed(e.message) } catch { return .failed("\(error)") }
        var body = JSONObject([("model", .string(model)), ("messages", .array(messages)), ("stream", true),
                               ("stream_options", ["include_usage": true])])
        let maxTokens = c["maxTokens"]?.intValue
        if let maxTokens { body["max_tokens"] = .int(maxTokens) }
        if let t = c["temperature"], !t.isNull { body["temperature"] = t }
        if let p = c["topP"], !p.isNull { body["top_p"] = p }
        if let k = c["topK"], !k.isNull { body["top_k"] = k }
        var headers: [(String, String)] = [("Content-Type", "application/json"), ("Accept", "text/event-stream")]
        if let name = c["apiKeySecret"]?.stringValue {
            guard let secrets else { return .failed("no secret store to read '\(name)' from") }
            do {
                guard let key = try await secrets(name) else { return .failed("secret '\(name)' is not set") }
                headers.append(("Authorization", "Bearer " + key))
            } catch let e as KernelError { return .failed("secret '\(name)': \(e.message)") } catch { return .failed("secret '\(name)': \(error)") }
        }
        let url = LLMPromptExecutor.url(c["endpoint"]?.stringValue ?? LLMPromptExecutor.defaultEndpoint)
        let client = StreamingHTTPClient()
        cancellation.onStop { _ in client.cancel() }
        let relay = TokenRelay(events: events, maxTokens: maxTokens.map(Int.init))
        let worker = WorkerThread(name: "mcpk-llm")
        defer { worker.stop() }
        let requestBody = JSON.object(body).serializedBytes()
        do {
            let outcome = try await worker.run { () throws -> LLMStreamResult in
                var parser = SSEChatParser()
                var status = 0
                var errorBody: [UInt8] = []
                try client.post(url: url, headers: headers, body: requestBody, onResponse: { status = $0.status }, onBody: { bytes in
                    if status != 200 { errorBody += bytes.prefix(4096 - errorBody.count); return }
                    let tokens = try parser.feed(bytes)
                    if !tokens.isEmpty { relay.push(tokens) }
                })
                if status != 200 {
                    throw KernelError.unavailable("\(url) answered HTTP \(status): \(String(decoding: errorBody, as: UTF8.self).prefix(500))")
                }
                return parser.result
            }
            await relay.drained()
            if cancellation.isStopped { return .failed("cancelled") }
            guard outcome.done || !outcome.text.isEmpty else { return .failed("the stream ended without any completion") }
            return .succeeded(["text": .string(outcome.text), "usage": outcome.usage ?? .null, "model": .string(outcome.model ?? model)])
        } catch let e as KernelError {
            return .failed(cancellation.isStopped ? "cancelled" : e.message)
        } catch {
            return .failed("\(error)")
        }
    }
}

/// What the stream produced.
struct LLMStreamResult: Sendable {
    var text = ""
    var usage: JSON?
    var model: String?
    var done = false
}

/// Parses `text/event-stream` bytes: `data: {chunk}` lines with `choices[0].delta.content`,
/// `usage` and `model`, ending at `data: [DONE]`.
struct SSEChatParser {
    private var line: [UInt8] = []
    private(set) var result = LLMStreamResult()

    mutating func feed(_ bytes: [UInt8]) throws -> [String] {
        var tokens: [String] = []
        for b in bytes {
            if b != 10 { line.append(b); continue }
            if line.last == 13 { line.removeLast() }
            let text = String(decoding: line, as: UTF8.self)
            line.removeAll(keepingCapacity: true)
            guard text.hasPrefix("data:") else { continue }
            let data = String(text.dropFirst(5)).trimmed
            if data == "[DONE]" { result.done = true; continue }
            guard let chunk = try? JSONParser.parse(data) else { continue }
            if let err = chunk["error"], !err.isNull {
                throw KernelError.unavailable("model error: \(err["message"]?.stringValue ?? err.serialized())")
            }
            if let m = chunk["model"]?.stringValue { result.model = m }
            if let u = chunk["usage"], !u.isNull { result.usage = u }
            if let t = chunk["choices"]?[0]?["delta"]?["content"]?.stringValue, !t.isEmpty {
                result.text += t
                tokens.append(t)
            }
        }
        return tokens
    }
}

/// Moves tokens from the HTTP thread to the loop in order, as events.
final class TokenRelay: @unchecked Sendable {
    private let lock = ConditionLock()
    private var queue: [String] = []
    private var scheduled = false
    private var count = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    nonisolated(unsafe) private let events: StepEventSink
    private let maxTokens: Int?

    init(events: StepEventSink, maxTokens: Int?) {
        self.events = events
        self.maxTokens = maxTokens
    }

    /// From the worker thread.
    func push(_ tokens: [String]) {
        let schedule: Bool = lock.withLock {
            queue += tokens
            if scheduled { return false }
            scheduled = true
            return true
        }
        if schedule { Task { @KernelActor in self.drain() } }
    }

    @KernelActor
    private func drain() {
        let batch: [String] = lock.withLock {
            let b = queue
            queue = []
            scheduled = false
            return b
        }
        for t in batch {
            events.log(t, stream: "llm")
            count += 1
            if count % LLMPromptExecutor.progressEveryTokens == 0 {
                events.progress(maxTokens.map { min(1, Double(count) / Double(max(1, $0))) }, message: "\(count) tokens")
            }
        }
        if lock.withLock({ queue.isEmpty && !scheduled }) {
            let ws = waiters
            waiters = []
            for w in ws { w.resume() }
        }
    }

    /// Returns once every pushed token has become an event.
    @KernelActor
    func drained() async {
        if lock.withLock({ queue.isEmpty && !scheduled }) { return }
        await withCheckedContinuation { waiters.append($0) }
    }
}
