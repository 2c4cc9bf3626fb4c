/// A cron expression: 5 fields (`minute hour day-of-month month day-of-week`) or 6 with
/// leading seconds, or a macro (`@yearly`/`@annually`, `@monthly`, `@weekly`, `@daily`/
/// `@midnight`, `@hourly`). Fields take `*`, `?` (same as `*`), numbers, ranges `a-b`, steps
/// `*/n` and `a-b/n` and `a/n`, lists `a,b`; months `JAN`–`DEC`, weekdays `SUN`–`SAT` (0 and 7
/// are Sunday). As in Vixie cron, when both day fields are restricted a day matching either
/// fires. Parsing is pure and bounded (`maxLength`); `nextFire` is in `CronExpression+Next.swift`.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    /// Longest expression accepted.
    public static let maxLength = 256

    public let source: String
    public let hasSeconds: Bool
    let seconds: UInt64
    let minutes: UInt64
    let hours: UInt64
    let daysOfMonth: UInt64
    let months: UInt64
    let weekdays: UInt64
    let dayOfMonthRestricted: Bool
    let weekdayRestricted: Bool
    /// The hour field starts with `*`: during a DST change every real hour fires (else once).
    let everyHour: Bool

    public var description: String { source }

    static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]
    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let weekdayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    /// Parses `text`; errors are `invalid_params` with the field path (`cron` by default) and
    /// say which field is wrong.
    public init(_ text: String, path: String = "cron") throws {
        func fail(_ message: String) -> KernelError {
            .invalidParams("invalid cron expression '\(text.count > 64 ? String(text.prefix(64)) + "…" : text)'",
                           errors: [FieldError(path, message)])
        }
        guard text.utf8.count <= CronExpression.maxLength else {
            throw fail("is \(text.utf8.count) bytes; the limit (CronExpression.maxLength) is \(CronExpression.maxLength)")
        }
        let trimmed = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        var fields = trimmed
        if fields.count == 1, fields[0].hasPrefix("@") {
            guard let expanded = CronExpression.macros[fields[0].lowercased()] else {
                throw fail("unknown macro \(fields[0]) (use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)")
            }
            fields = expanded.split(separator: " ").map(String.init)
        }
        guard fields.count == 5 || fields.count == 6 else {
            throw fail("has \(fields.count) fields; expected 5 (minute hour day-of-month month day-of-week) or 6 (with leading seconds)")
        }
        source = text
        hasSeconds = fields.count == 6
        if !hasSeconds { fields.insert("0", at: 0) }
        let names = ["second", "minute", "hour", "day-of-month", "month", "day-of-week"]
        let ranges: [ClosedRange<Int>] = [0...59, 0...59, 0...23, 1...31, 1...12, 0...7]
        var sets: [UInt64] = []
        for i in 0..<6 {
            do {
                sets.append(try CronExpression.field(fields[i], range: ranges[i],
                                                     names: i == 4 ? CronExpression.monthNames : i == 5 ? CronExpression.weekdayNames : [],
                                                     nameBase: i == 4 ? 1 : 0))
            } catch let e as FieldMessage {
                throw fail("\(names[i]) field '\(fields[i])': \(e.text)")
            }
        }
        seconds = sets[0]; minutes = sets[1]; hours = sets[2]; daysOfMonth = sets[3]; months = sets[4]
        // 7 is Sunday too.
        weekdays = (sets[5] & ~(1 << 7)) | (sets[5] & (1 << 7) != 0 ? 1 : 0)
        dayOfMonthRestricted = !(fields[3].hasPrefix("*") || fields[3] == "?")
        weekdayRestricted = !(fields[5].hasPrefix("*") || fields[5] == "?")
        everyHour = fields[2].hasPrefix("*")
        // A day-of-month that no selected month has (30 February) can never fire.
        if dayOfMonthRestricted && !weekdayRestricted {
            let possible = (1...12).contains { m in months & (1 << m) != 0 && (1...CronExpression.maxDays[m - 1]).contains { daysOfMonth & (1 << $0) != 0 } }
            if !possible { throw fail("never fires: no selected month has the selected day of the month") }
        }
    }

    static let maxDays = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

    struct FieldMessage: Error { let text: String }

    static func field(_ text: String, range: ClosedRange<Int>, names: [String], nameBase: Int) throws -> UInt64 {
        guard !text.isEmpty else { throw FieldMessage(text: "is empty") }
        var set: UInt64 = 0
        func value(_ s: Substring) throws -> Int {
            if let n = Int(s) {
                guard range.contains(n) else { throw FieldMessage(text: "\(n) is outside \(range.lowerBound)-\(range.upperBound)") }
                return n
            }
            if let i = names.firstIndex(of: s.uppercased()) { return i + nameBase }
            throw FieldMessage(text: "'\(s)' is not a number\(names.isEmpty ? "" : " or a name (\(names.joined(separator: ", ")))")")
        }
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !part.isEmpty else { throw FieldMessage(text: "has an empty list item") }
            var base = part
            var step = 1
            if let slash = part.firstIndex(of: "/") {
                base = part[..<slash]
                let stepText = part[part.index(after: slash)...]
                guard let s = Int(stepText), s >= 1, s <= range.upperBound + 1 else {
                    throw FieldMessage(text: "step '\(stepText)' must be a number from 1 to \(range.upperBound + 1)")
                }
                step = s
            }
            var lo: Int, hi: Int
            if base == "*" || base == "?" {
                guard base == "*" || step == 1 else { throw FieldMessage(text: "'?' takes no step") }
                lo = range.lowerBound; hi = range.upperBound
                if range.upperBound == 7 { hi = 6 }  // */n over weekdays: 0-6
            } else if let dash = base.firstIndex(of: "-") {
                lo = try value(base[..<dash]); hi = try value(base[base.index(after: dash)...])
                guard lo <= hi else { throw FieldMessage(text: "range \(base) runs backwards") }
            } else {
                lo = try value(base)
                hi = part.contains("/") ? (range.upperBound == 7 ? 6 : range.upperBound) : lo
            }
            var v = lo
            while v <= hi { set |= 1 << UInt64(v); v += step }
        }
        return set
    }
}
