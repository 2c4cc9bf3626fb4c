import KernelCore
import KernelEngine
import KernelLoop

/// The LLM executor's events for an assistant chat: `llm` log lines are the
/// streamed tokens; progress and previews mean nothing to a chat.
@KernelActor
final class AssistantEventSink: StepEventSink {
    private weak var chat: AssistantChat?

    init(chat: AssistantChat) { self.chat = chat }

    func log(_ line: String, stream: String) {
        if stream == "llm" { chat?.token(line) }
    }

    func progress(_ fraction: Double?, message: String?) {}
    func resultPreview(_ value: JSON) {}
    func artifact(name: String, path: String, mime: String) {}
}
