import KernelCore
import KernelLoop

/// The config fields a type's schema marks `x-mcpk-template` (`ComponentConventions.templateHint`),
/// resolved by the engine against the step's inputs before any executor plugin sees the step: one
/// reference language, in Swift (`Template`).
///
/// An input a template reads may be a large value stored by reference (`BlobReference`, docs/ARCHITECTURE.md
/// "Large values by reference"). The template sees the value, never the reference's JSON: every stored
/// value on a reference's path, or inside the value it ends at, is loaded first — each up to
/// `ValueLimits.maxTemplateValueBytes`; a larger one fails the step naming the limit and the size.
@KernelActor
enum TemplateFields {
    /// Loads a stored value (the kernel's blob store: `ValueSpool`).
    typealias Loader = @KernelActor (BlobReference) async throws -> JSON

    struct Failure: Error { let message: String }

    /// The config with its template fields resolved, or the failure naming the field.
    static func resolve(_ config: JSON, fields: [String], inputs: JSON, limit: Int64 = ValueLimits.maxTemplateValueBytes,
                        load: Loader?) async -> Result<JSON, Failure> {
        guard !fields.isEmpty, case .object(var o) = config else { return .success(config) }
        var loaded: [String: JSON] = [:]
        for name in fields {
            guard let v = o[name] else { continue }
            let fieldPath = "config.\(name)"
            do {
                if inputs.containsBlobReference {
                    for (_, r) in Template.references(in: v, path: fieldPath).refs where r.root == .inputs {
                        try await loadStoredValues(read: r, in: inputs, into: &loaded, limit: limit, load: load)
                    }
                }
                let context = ReferenceContext(inputs: loaded.isEmpty ? inputs : replacingStoredValues(inputs, loaded))
                o[name] = try Template.resolveValue(v, in: context)
            } catch let f as Failure {
                return .failure(Failure(message: "\(fieldPath): \(f.message)"))
            } catch {
                return .failure(Failure(message: "\(fieldPath): \(error)"))
            }
        }
        return .success(.object(o))
    }

    /// Loads every stored value `ref` reads in `inputs` into `loaded` (by digest): on its path and
    /// inside the value it ends at. A path that does not exist stops the walk (`Template` reports it).
    static func loadStoredValues(read ref: Reference, in inputs: JSON, into loaded: inout [String: JSON],
                                 limit: Int64, load: Loader?) async throws {
        var current = inputs
        for (i, segment) in ref.path.enumerated() {
            let walked = Reference(root: .inputs, path: Array(ref.path.prefix(i))).description
            current = try await stored(current, at: walked, into: &loaded, limit: limit, load: load)
            guard let next = child(current, segment) else { return }
            current = next
        }
        try await loadAll(current, at: Reference(root: .inputs, path: ref.path).description, into: &loaded, limit: limit, load: load)
    }

    /// `v` itself, or the value it references (loaded once per digest, at most `limit` bytes).
    static func stored(_ v: JSON, at walked: String, into loaded: inout [String: JSON], limit: Int64, load: Loader?) async throws -> JSON {
        guard let ref = BlobReference(v) else { return v }
        if let known = loaded[ref.digest] { return known }
        let size = BlobReference.describe(bytes: ref.size)
        guard ref.size <= limit else {
            throw Failure(message: "${\(walked)} is a stored value of \(size), more than a template field loads "
                          + "(limit \(BlobReference.describe(bytes: limit)), ValueLimits.maxTemplateValueBytes)")
        }
        guard let load else { throw Failure(message: "${\(walked)} is a stored value of \(size) but this engine has no blob store to load it") }
        let value: JSON
        do { value = try await load(ref) } catch {
            throw Failure(message: "${\(walked)}: cannot load stored value sha256:\(ref.digest): \((error as? KernelError)?.message ?? "\(error)")")
        }
        loaded[ref.digest] = value
        return value
    }

    static func loadAll(_ v: JSON, at walked: String, into loaded: inout [String: JSON], limit: Int64, load: Loader?) async throws {
        if BlobReference(v) != nil {
            let value = try await stored(v, at: walked, into: &loaded, limit: limit, load: load)
            try await loadAll(value, at: walked, into: &loaded, limit: limit, load: load)
            return
        }
        switch v {
        case .array(let a):
            for (i, x) in a.enumerated() where x.containsBlobReference {
                try await loadAll(x, at: "\(walked)[\(i)]", into: &loaded, limit: limit, load: load)
            }
        case .object(let o):
            for (k, x) in o where x.containsBlobReference {
                try await loadAll(x, at: "\(walked).\(k)", into: &loaded, limit: limit, load: load)
            }
        default:
            break
        }
    }

    /// One step of a reference path (`Reference.resolve`'s rules), or nil when absent.
    static func child(_ v: JSON, _ segment: Reference.Segment) -> JSON? {
        switch (segment, v) {
        case (.key(let k), .object(let o)): return o[k]
        case (.key(let k), .array(let a)): return Int(k).flatMap { $0 >= 0 && $0 < a.count ? a[$0] : nil }
        case (.index(let i), .array(let a)): return i >= 0 && i < a.count ? a[i] : nil
        default: return nil
        }
    }

    /// `v` with every reference whose value was loaded replaced by that value.
    static func replacingStoredValues(_ v: JSON, _ loaded: [String: JSON]) -> JSON {
        if let ref = BlobReference(v), let value = loaded[ref.digest] { return replacingStoredValues(value, loaded) }
        switch v {
        case .array(let a): return .array(a.map { replacingStoredValues($0, loaded) })
        case .object(let o): return .object(JSONObject(o.map { ($0.key, replacingStoredValues($0.value, loaded)) }))
        default: return v
        }
    }
}
