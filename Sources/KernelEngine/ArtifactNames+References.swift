import KernelCore

extension ArtifactNames {
    /// Most artifact references staged into one step's work dir.
    public static let maxStagedArtifacts = 64
    /// Where staged artifacts appear, relative to the dependant's work dir.
    public static let stagedDirectory = "artifacts"

    /// The artifact names that `value` references: every object with a `"$artifact": "<name>"`
    /// member (what a Data step with `resultFormat: "arrow"` returns), valid names only, each
    /// once, in first-seen order. Blob references are not opened (a reference lives in a small
    /// result, not inside a large one).
    public static func referenced(in value: JSON) -> [String] {
        var out: [String] = []
        var seen = Set<String>()
        var stack = [value]
        while let v = stack.popLast() {
            switch v {
            case .object(let o):
                if let name = o["$artifact"]?.stringValue, isValid(name), !seen.contains(name) {
                    seen.insert(name)
                    out.append(name)
                }
                for e in o.entries.reversed() { stack.append(e.value) }
            case .array(let a):
                stack.append(contentsOf: a.reversed())
            default:
                break
            }
        }
        return out
    }
}
