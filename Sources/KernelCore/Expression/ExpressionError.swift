/// A parse or evaluation error of a `${…}` reference, a template string or a
/// `when` expression. `description` is the message shown to users.
public struct ExpressionError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
