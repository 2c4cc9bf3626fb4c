import KernelCore
import KernelEngine
import KernelLoop

/// The LLM executor's events for an assistant chat: `llm` log lines are the
/// streamed tokens; progress and previews mean nothing to a chat.
@KernelActor
package final class AssistantEventSink: StepEventSink {
    private weak var chat: AssistantChat?

    package init(chat: AssistantChat) { self.chat = chat }

    package func log(_ line: String, stream: String) {
        if stream == "llm" { chat?.token(line) }
    }

    package func progress(_ fraction: Double?, message: String?) {}
    package func resultPreview(_ value: JSON) {}
    package func artifact(name: String, path: String, mime: String) {}
}
