/// A parse or evaluation error of a `${…}` reference, a template string or a
/// `when` expression. `description` is the message shown to users.
public struct ExpressionError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    /// Set when resolution stopped at a `BlobReference` whose value is not loaded: the
    /// engine loads that blob (off the loop) into `ReferenceContext.blobs` and resolves again.
    public let blob: String?
    public init(_ message: String, blob: String? = nil) { self.message = message; self.blob = blob }
    public var description: String { message }
}
