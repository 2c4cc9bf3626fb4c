import KernelCore
import KernelStore

/// The step result cache key (issue 14): hex SHA-256 of the canonical JSON of
/// `{v, component, version, inputs, key}` — the component id and exact version the attempt
/// runs, its resolved inputs (after every `${…}` reference, workspace variables and secrets
/// included, so a changed secret is a different key; large inputs by their content-addressed blob
/// reference), and the step's optional `cache.key`. Only the hash is stored or sent anywhere:
/// secrets are never in a key in clear. Not part of the key: the run, the step id, the workflow,
/// attempt numbers, time — two steps of different workflows running the same component version
/// on the same inputs share entries.
public enum StepCacheKey {
    /// Bumped if what goes into the key changes (old entries then simply miss).
    static let version = 1

    public static func make(componentID: EntityID, componentVersion: Int, inputs: JSON, key: String?) -> String {
        let keyed: JSON = ["v": .int(Int64(version)), "component": .string(componentID), "version": .int(Int64(componentVersion)),
                           "inputs": inputs, "key": key.map { .string($0) } ?? .null]
        return keyed.contentChecksum
    }
}
