/// Named limits of the console's AI assistant (issue 19, `assistant.chat`).
public enum AssistantLimits {
    /// Messages of one chat request (the conversation so far).
    public static let maxMessages = 40
    /// Characters of one message.
    public static let maxMessageChars = 20_000
    /// Characters of the draft (config or workflow JSON) sent along.
    public static let maxDraftChars = 100_000
    /// Declared connections whose scanned schemas are described to the model.
    public static let maxConnections = 8
    /// Components listed to the model when it drafts a workflow.
    public static let maxListedComponents = 100
    /// Chats kept in memory (finished ones are dropped oldest first beyond this).
    public static let maxChats = 32
    /// Chats streaming at once.
    public static let maxRunningChats = 4
    /// Token events one chat keeps for replay (a longer answer still completes; its `result` has the whole text).
    public static let maxTokenEvents = 8192
}
