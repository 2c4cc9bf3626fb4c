/// What the kernel knows about every component config whatever its type: the keys and limits
/// that are the kernel's, not a type's. Everything per type (fields, defaults, rules, secret
/// inputs, how it runs) comes from the executor plugin that declares it (`ComponentTypes`).
public enum ComponentConventions {
    /// The JSON Schema dialect of the config schemas the kernel exports (and of its own schemas).
    public static let schemaDialect = "https://json-schema.org/draft/2020-12/schema"

    /// The discriminator present in every config: the type's name.
    public static let typeField = "type"

    /// The schema hint (`"x-mcpk-template": true`) of a config field whose `${inputs…}` references
    /// the engine resolves against the step's inputs before any executor plugin sees the step.
    public static let templateHint = "x-mcpk-template"

    /// Longest wall-clock limit one step may ask for (a step's `timeoutSeconds`, a service's TTL).
    public static let maxStepTimeoutSeconds = 7.0 * 24 * 3600

    /// A service step's lifetime when its config sets no `ttlSeconds` (Plugins/streamlit uses the same value).
    public static let defaultServiceTTLSeconds = 3600
}
