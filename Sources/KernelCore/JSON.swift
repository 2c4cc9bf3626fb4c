/// A JSON value. The kernel's one representation for protocol messages,
/// component configs, run payloads and store columns.
///
/// Objects keep their keys in insertion order (`JSONObject`) so that schemas
/// and configs round-trip in the order a person wrote them; `canonical`
/// serialisation sorts keys for checksums.
public enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object(JSONObject)
}

extension JSON {
    public subscript(key: String) -> JSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public subscript(index: Int) -> JSON? {
        if case .array(let a) = self, index >= 0, index < a.count { return a[index] }
        return nil
    }

    public var isNull: Bool { if case .null = self { return true }; return false }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }

    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }

    /// Integral value of an `int`, or of a `double` with no fractional part.
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9.0e15: return Int64(d)
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    public var arrayValue: [JSON]? { if case .array(let a) = self { return a }; return nil }

    public var objectValue: JSONObject? { if case .object(let o) = self { return o }; return nil }

    /// The JSON type name used in validation messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// Follows a dotted path (`a.b.0.c`); array elements by decimal index.
    public func value(atPath path: [String]) -> JSON? {
        var current: JSON = self
        for component in path {
            switch current {
            case .object(let o):
                guard let next = o[component] else { return nil }
                current = next
            case .array(let a):
                guard let i = Int(component), i >= 0, i < a.count else { return nil }
                current = a[i]
            default:
                return nil
            }
        }
        return current
    }
}

extension JSON: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        var o = JSONObject()
        for (k, v) in elements { o[k] = v }
        self = .object(o)
    }
}

extension JSON {
    public init(_ value: Int) { self = .int(Int64(value)) }
    public init(_ value: String?) { self = value.map { .string($0) } ?? .null }
    public init(_ value: [String]) { self = .array(value.map { .string($0) }) }
}

/// An insertion-ordered JSON object.
///
/// Entries live in one array in insertion order, so serialisation and
/// iteration never hash. Small objects (the common case: requests, replies,
/// status sections) are searched linearly; an object with more than
/// `indexThreshold` keys also keeps a key → position index.
public struct JSONObject: Sendable, Equatable, Sequence {
    /// Key count above which lookups go through a hash index.
    public static let indexThreshold = 24

    public typealias Entry = (key: String, value: JSON)

    /// The entries in insertion order.
    public private(set) var entries: [Entry] = []
    /// key → position in `entries`; nil while `count <= indexThreshold`.
    private var index: [String: Int]?

    public init() {}

    public init(_ pairs: [(String, JSON)]) {
        entries.reserveCapacity(pairs.count)
        for (k, v) in pairs { self[k] = v }
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public var keys: [String] { entries.map(\.key) }

    /// Reserves room for `n` entries (builders that know their size).
    public mutating func reserveCapacity(_ n: Int) { entries.reserveCapacity(n) }

    private func position(of key: String) -> Int? {
        if let index { return index[key] }
        // Lengths are O(1) and reject most keys before a string comparison.
        let n = key.utf8.count
        for i in entries.indices where entries[i].key.utf8.count == n && entries[i].key == key { return i }
        return nil
    }

    private mutating func rebuildIndex() {
        guard entries.count > JSONObject.indexThreshold else { index = nil; return }
        var m = [String: Int](minimumCapacity: entries.count)
        for (i, e) in entries.enumerated() { m[e.key] = i }
        index = m
    }

    public subscript(key: String) -> JSON? {
        get { position(of: key).map { entries[$0].value } }
        set {
            if let newValue {
                if let i = position(of: key) {
                    entries[i].value = newValue
                } else {
                    entries.append((key, newValue))
                    if index != nil {
                        index![key] = entries.count - 1
                    } else if entries.count > JSONObject.indexThreshold {
                        rebuildIndex()
                    }
                }
            } else if let i = position(of: key) {
                entries.remove(at: i)
                if index != nil { rebuildIndex() }
            }
        }
    }

    public func makeIterator() -> IndexingIterator<[Entry]> {
        entries.makeIterator()
    }

    /// Same keys with equal values; key order does not matter.
    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        guard a.count == b.count else { return false }
        for e in a.entries {
            guard let v = b[e.key], v == e.value else { return false }
        }
        return true
    }
}
