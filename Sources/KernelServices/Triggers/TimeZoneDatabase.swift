import KernelCore
import KernelEngine
import KernelLoop

/// Time zones by IANA name from the system tz database (`/usr/share/zoneinfo`, Debian's
/// tzdata), parsed once per name. `UTC` needs no file.
@KernelActor
package final class TimeZoneDatabase {
    static let directory = "/usr/share/zoneinfo"
    private var cache: [String: TimeZoneRules] = ["UTC": .utc]

    /// The zone, or `invalid_params` at `path` for a malformed, unknown or unreadable name.
    package func zone(_ name: String, path: String = "timezone") throws -> TimeZoneRules {
        if let z = cache[name] { return z }
        func fail(_ m: String) -> KernelError { .invalidParams("invalid time zone '\(name)'", errors: [FieldError(path, m)]) }
        guard !name.isEmpty, name.utf8.count <= ScheduleLimits.maxTimezoneLength else {
            throw fail("must be an IANA zone name such as Europe/Berlin, at most \(ScheduleLimits.maxTimezoneLength) bytes (ScheduleLimits.maxTimezoneLength)")
        }
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        let okChars = name.unicodeScalars.allSatisfy { $0.properties.isAlphabetic && $0.isASCII || ("0"..."9").contains($0) || "_+-/".unicodeScalars.contains($0) }
        guard okChars, !name.hasPrefix("/"), !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
            throw fail("must be an IANA zone name such as Europe/Berlin (letters, digits, _ + - and /)")
        }
        guard let bytes = try? WholeFile.bytes(TimeZoneDatabase.directory + "/" + name, limit: TimeZoneRules.maxFileBytes, regularFileOnly: true) else {
            throw fail("unknown time zone (not in \(TimeZoneDatabase.directory))")
        }
        let z = try TimeZoneRules(name: name, tzif: bytes)
        cache[name] = z
        return z
    }
}
