/// Typed access to a method's `params` object. Every accessor throws
/// `invalid_params` with a field-level error naming the path.
public struct Params: Sendable {
    public let json: JSON

    public init(_ json: JSON) { self.json = json }

    public func value(_ key: String) -> JSON? {
        guard let v = json[key], !v.isNull else { return nil }
        return v
    }

    private func fail(_ key: String, _ message: String) -> KernelError {
        .invalidParams("invalid params", errors: [FieldError(key, message)])
    }

    public func string(_ key: String) throws -> String {
        guard let v = value(key) else { throw fail(key, "is required") }
        guard let s = v.stringValue else { throw fail(key, "must be a string") }
        return s
    }

    public func optionalString(_ key: String) throws -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v.stringValue else { throw fail(key, "must be a string") }
        return s
    }

    public func int(_ key: String) throws -> Int {
        guard let v = value(key) else { throw fail(key, "is required") }
        guard let i = v.intValue, let n = Int(exactly: i) else { throw fail(key, "must be an integer") }
        return n
    }

    public func optionalInt(_ key: String) throws -> Int? {
        guard let v = value(key) else { return nil }
        guard let i = v.intValue, let n = Int(exactly: i) else { throw fail(key, "must be an integer") }
        return n
    }

    /// An optional integer within `range`.
    public func optionalInt(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let n = try optionalInt(key) else { return nil }
        guard range.contains(n) else {
            throw fail(key, "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return n
    }

    public func bool(_ key: String) throws -> Bool {
        guard let v = value(key) else { throw fail(key, "is required") }
        guard let b = v.boolValue else { throw fail(key, "must be a boolean") }
        return b
    }

    public func optionalBool(_ key: String) throws -> Bool? {
        guard let v = value(key) else { return nil }
        guard let b = v.boolValue else { throw fail(key, "must be a boolean") }
        return b
    }

    public func object(_ key: String) throws -> JSONObject {
        guard let v = value(key) else { throw fail(key, "is required") }
        guard let o = v.objectValue else { throw fail(key, "must be an object") }
        return o
    }

    public func optionalObject(_ key: String) throws -> JSONObject? {
        guard let v = value(key) else { return nil }
        guard let o = v.objectValue else { throw fail(key, "must be an object") }
        return o
    }

    public func array(_ key: String) throws -> [JSON] {
        guard let v = value(key) else { throw fail(key, "is required") }
        guard let a = v.arrayValue else { throw fail(key, "must be an array") }
        return a
    }

    public func optionalArray(_ key: String) throws -> [JSON]? {
        guard let v = value(key) else { return nil }
        guard let a = v.arrayValue else { throw fail(key, "must be an array") }
        return a
    }

    public func stringArray(_ key: String) throws -> [String] {
        guard let a = try optionalStringArray(key) else { throw fail(key, "is required") }
        return a
    }

    public func optionalStringArray(_ key: String) throws -> [String]? {
        guard let a = try optionalArray(key) else { return nil }
        var out: [String] = []
        for (i, item) in a.enumerated() {
            guard let s = item.stringValue else { throw fail("\(key)[\(i)]", "must be a string") }
            out.append(s)
        }
        return out
    }
}
