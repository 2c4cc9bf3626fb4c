/// Read access to a normalised config object. Values were validated, so the
/// accessors only fall back when a field is absent.
struct ConfigReader {
    let object: JSONObject
    init(_ object: JSONObject) { self.object = object }
    var json: JSON { .object(object) }
    func string(_ k: String) -> String? { object[k]?.stringValue }
    func int(_ k: String) -> Int? { object[k]?.intValue.flatMap { Int(exactly: $0) } }
    func double(_ k: String) -> Double? { object[k]?.doubleValue }
    func bool(_ k: String) -> Bool? { object[k]?.boolValue }
    func strings(_ k: String) -> [String] { object[k]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    func objectValue(_ k: String) -> JSONObject { object[k]?.objectValue ?? JSONObject() }
}
