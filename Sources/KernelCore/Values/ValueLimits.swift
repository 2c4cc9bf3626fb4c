/// Every limit of large values, named (issue 16: nothing is dropped silently).
/// A value whose JSON text is above `inlineBytes` is stored once as a blob and
/// travels by `BlobReference`; above `maxResultBytes` a step fails naming the limit.
public enum ValueLimits {
    /// JSON text up to this size stays inline in rows and events; larger values become blobs.
    public static let inlineBytes = 256 * 1024
    /// Bytes of JSON text kept as a reference's `preview`.
    public static let previewBytes = 512
    /// Default hard limit on one step result (`MCPK_MAX_RESULT_BYTES`, a component's `maxResultBytes`).
    public static let defaultMaxResultBytes: Int64 = 1024 * 1024 * 1024
    /// Largest blob the kernel parses into memory: a path expression into a referenced value,
    /// the inputs of an in-process (`invoke`) step, `run.result {full: true}` on the socket.
    public static let maxLoadedBytes: Int64 = 256 * 1024 * 1024
    /// Largest blob a `full` `run.result` returns inline in one control-protocol reply
    /// (bigger ones are downloaded in chunks or over HTTP).
    public static let maxInlineReplyBytes: Int64 = 8 * 1024 * 1024
    /// Largest stored value a template field (`x-mcpk-template`) loads to render a reference to it
    /// (`${inputs.doc}` where `doc` is a `BlobReference`); a larger one fails the step naming this limit.
    public static let maxTemplateValueBytes: Int64 = 8 * 1024 * 1024
    /// Largest chunk one `run.result {offset, length}` call returns.
    public static let maxChunkBytes = 4 * 1024 * 1024
    /// Bytes a blob is read, written and streamed in.
    public static let ioChunkBytes = 1024 * 1024
}
