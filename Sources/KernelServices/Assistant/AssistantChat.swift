import KernelCore
import KernelEngine
import KernelLoop

/// One assistant conversation turn streaming from the LLM: its events
/// (`token`, then `result` or `error`, then `end`) numbered by `seq` and kept
/// for replay, so a subscriber that arrives late (or reconnects with `after`)
/// sees every token once.
@KernelActor
package final class AssistantChat {
    /// Explicit state of the turn.
    package enum State: String {
        case running, succeeded, failed, cancelled
    }

    package let id: String
    let createdAt = Timestamp.now()
    package let cancellation = StepCancellation()
    package private(set) var state: State = .running
    private(set) var events: [JSON] = []
    private var tokenEvents = 0
    private var nextSeq: Int64 = 1
    private var listeners: [String: (JSON) -> Bool] = [:]

    init(id: String) { self.id = id }

    var isFinished: Bool { state != .running }

    private func append(_ type: String, _ fields: [(String, JSON)]) {
        var o = JSONObject(fields)
        o["type"] = .string(type)
        o["seq"] = .int(nextSeq)
        o["chat_id"] = .string(id)
        o["at"] = Timestamp.now().json
        nextSeq += 1
        let event = JSON.object(o)
        events.append(event)
        for (key, listener) in listeners where !listener(event) { listeners[key] = nil }
    }

    /// A piece of the answer as the model streamed it.
    func token(_ text: String) {
        guard state == .running, !text.isEmpty else { return }
        tokenEvents += 1
        if tokenEvents > AssistantLimits.maxTokenEvents { return }
        append("token", [("text", .string(text))])
    }

    /// The whole answer: its text, the proposal found in it (or null), then `end`.
    package func succeed(text: String, proposal: JSON?, model: JSON?, usage: JSON?) {
        guard state == .running else { return }
        state = .succeeded
        append("result", [("text", .string(text)), ("proposal", proposal ?? .null), ("model", model ?? .null), ("usage", usage ?? .null),
                          ("truncated_stream", .bool(tokenEvents > AssistantLimits.maxTokenEvents))])
        append("end", [("status", .string(state.rawValue))])
        listeners = [:]
    }

    package func fail(_ message: String, cancelled: Bool = false) {
        guard state == .running else { return }
        state = cancelled ? .cancelled : .failed
        append("error", [("message", .string(message))])
        append("end", [("status", .string(state.rawValue))])
        listeners = [:]
    }

    /// The stored events after `after`, and (while running) `listener` for the next ones.
    /// The listener returns false when its subscriber is gone.
    package func subscribe(after: Int64, key: String, listener: @escaping (JSON) -> Bool) -> [JSON] {
        let replay = events.filter { ($0["seq"]?.intValue ?? 0) > after }
        if state == .running { listeners[key] = listener }
        return replay
    }

    package func unsubscribe(_ key: String) { listeners[key] = nil }
}
