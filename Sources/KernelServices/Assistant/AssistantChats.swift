import KernelCore
import KernelLoop

/// The kernel's assistant chats by id, bounded (AssistantLimits.maxChats kept,
/// AssistantLimits.maxRunningChats streaming at once).
@KernelActor
package final class AssistantChats {
    private var chats: [String: AssistantChat] = [:]
    private var order: [String] = []

    package func get(_ id: String) throws -> AssistantChat {
        guard let c = chats[id] else { throw KernelError.notFound("assistant chat \(id) not found (finished chats are kept while fewer than \(AssistantLimits.maxChats) are newer)") }
        return c
    }

    /// A new chat, or `conflict` when AssistantLimits.maxRunningChats already stream.
    package func start() throws -> AssistantChat {
        let running = chats.values.filter { !$0.isFinished }.count
        guard running < AssistantLimits.maxRunningChats else {
            throw KernelError.conflict("\(running) assistant chats are streaming; the limit is \(AssistantLimits.maxRunningChats): wait for one to end")
        }
        let chat = AssistantChat(id: Identifier.uuid())
        chats[chat.id] = chat
        order.append(chat.id)
        while order.count > AssistantLimits.maxChats, let i = order.firstIndex(where: { chats[$0]?.isFinished ?? true }) {
            chats[order.remove(at: i)] = nil
        }
        return chat
    }

    /// Stops every streaming chat (shutdown).
    package func cancelAll() {
        for c in chats.values where !c.isFinished { c.cancellation.stop(.shutdown) }
    }
}
