/// The one builder of work-directory paths: `$MCPK_HOME/work/<run>/<step>/<attempt>`, each id made
/// a safe path component (`safeName`). The engine (which writes the inputs file there), the
/// sandbox (which mounts it), warm runners and retention all take their paths from here.
public enum WorkDirectory {
    /// Longest path component made from an id.
    public static let maxComponentLength = 128

    /// Host work dir of a step attempt.
    public static func attempt(home: String, runID: String, stepID: String, attempt: Int) -> String {
        run(home: home, runID: runID) + "/" + safeName(stepID) + "/" + String(attempt)
    }

    /// Host work dir of a run (the parent of its attempts').
    public static func run(home: String, runID: String) -> String {
        home + "/work/" + safeName(runID)
    }

    /// ASCII letters, digits, `-` and `_` kept, anything else `_`; never empty, at most
    /// `maxComponentLength` characters.
    public static func safeName(_ s: String) -> String {
        let cleaned = String(s.map { ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") && $0.isASCII ? $0 : "_" })
        return cleaned.isEmpty ? "_" : String(cleaned.prefix(maxComponentLength))
    }
}
