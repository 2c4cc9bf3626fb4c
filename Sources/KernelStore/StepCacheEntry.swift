import KernelCore

/// One step result cache entry (issue 14): the result of a successful attempt, reusable by an
/// identical attempt until `expiresAt`. `key` is a hex SHA-256 (never the inputs in clear).
public struct StepCacheEntry: Sendable, Equatable {
    public var key: String
    public var result: JSON
    public var componentID: EntityID
    public var componentVersion: Int
    /// The attempt that produced the result.
    public var runID: EntityID
    public var stepID: String
    public var attempt: Int
    public var createdAt: Timestamp
    public var expiresAt: Timestamp

    public init(key: String, result: JSON, componentID: EntityID, componentVersion: Int, runID: EntityID, stepID: String,
                attempt: Int, createdAt: Timestamp, expiresAt: Timestamp) {
        self.key = key; self.result = result; self.componentID = componentID; self.componentVersion = componentVersion
        self.runID = runID; self.stepID = stepID; self.attempt = attempt; self.createdAt = createdAt; self.expiresAt = expiresAt
    }

    /// The entry as JSON (the Redis value; `cached_from` of a cached step without `key`/`result`).
    public var json: JSON {
        ["key": .string(key), "result": result, "component_id": .string(componentID), "component_version": .int(Int64(componentVersion)),
         "run_id": .string(runID), "step_id": .string(stepID), "attempt": .int(Int64(attempt)),
         "created_at_ms": .int(createdAt.milliseconds), "expires_at_ms": .int(expiresAt.milliseconds)]
    }

    public init(json: JSON) throws {
        guard let key = json["key"]?.stringValue, let result = json["result"], let component = json["component_id"]?.stringValue,
              let version = json["component_version"]?.intValue, let run = json["run_id"]?.stringValue,
              let step = json["step_id"]?.stringValue, let attempt = json["attempt"]?.intValue,
              let created = json["created_at_ms"]?.intValue, let expires = json["expires_at_ms"]?.intValue else {
            throw KernelError.internal("malformed step cache entry")
        }
        self.init(key: key, result: result, componentID: component, componentVersion: Int(version), runID: run, stepID: step,
                  attempt: Int(attempt), createdAt: Timestamp(milliseconds: created), expiresAt: Timestamp(milliseconds: expires))
    }
}
