import Foundation
import KernelCore
import Testing

/// Cron parsing and next-fire times against a reference table (expected instants worked out by
/// hand; the local → UTC conversions checked with Python's zoneinfo), including DST gaps and
/// overlaps read from the system tz database and dates past its explicit transitions (footer rule).
@Suite struct CronExpressionTests {
    static func zone(_ name: String) throws -> TimeZoneRules {
        if name == "UTC" { return .utc }
        let data = try #require(FileManager.default.contents(atPath: "/usr/share/zoneinfo/" + name), "tzdata has \(name)")
        return try TimeZoneRules(name: name, tzif: Array(data))
    }

    /// `2026-10-25T01:00:00Z` → seconds since the epoch.
    static func t(_ s: String) -> Int64 {
        let p = s.split(whereSeparator: { "-T:Z".contains($0) }).compactMap { Int64($0) }
        return CivilTime.days(year: p[0], month: Int(p[1]), day: Int(p[2])) * 86_400 + p[3] * 3600 + p[4] * 60 + p[5]
    }

    static let table: [(cron: String, zone: String, after: String, next: String)] = [
        ("*/15 * * * *", "UTC", "2026-01-01T00:07:00Z", "2026-01-01T00:15:00Z"),
        ("0 0 1 1 *", "UTC", "2026-06-01T00:00:00Z", "2027-01-01T00:00:00Z"),
        ("@hourly", "UTC", "2026-03-04T05:00:00Z", "2026-03-04T06:00:00Z"),
        ("@weekly", "UTC", "2026-01-03T12:00:00Z", "2026-01-04T00:00:00Z"),
        ("@yearly", "UTC", "2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z"),
        ("0 0 29 2 *", "UTC", "2026-01-01T00:00:00Z", "2028-02-29T00:00:00Z"),
        ("0 12 * * MON-FRI", "UTC", "2026-12-04T13:00:00Z", "2026-12-07T12:00:00Z"),
        ("0 0 13 * 5", "UTC", "2026-02-01T00:00:00Z", "2026-02-06T00:00:00Z"),
        ("0 0 * * 7", "UTC", "2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z"),
        ("0 0 1 */3 *", "UTC", "2026-02-15T00:00:00Z", "2026-04-01T00:00:00Z"),
        ("5-10/2 * * * *", "UTC", "2026-01-01T00:06:00Z", "2026-01-01T00:07:00Z"),
        ("0 9-17/4 * * *", "UTC", "2026-01-01T13:00:00Z", "2026-01-01T17:00:00Z"),
        ("0 0 1 jan,jul *", "UTC", "2026-02-01T00:00:00Z", "2026-07-01T00:00:00Z"),
        ("*/10 * * * * *", "UTC", "2026-01-01T00:00:05Z", "2026-01-01T00:00:10Z"),
        ("* * * * * *", "UTC", "2026-01-01T00:00:05Z", "2026-01-01T00:00:06Z"),
        ("30 0 0 * * *", "UTC", "2026-01-01T00:00:30Z", "2026-01-02T00:00:30Z"),
        // Berlin spring forward (2026-03-29 02:00 CET → 03:00 CEST): 02:30 does not exist, fires at 03:30 CEST.
        ("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", "2026-03-29T01:30:00Z"),
        ("30 2 * * *", "Europe/Berlin", "2026-03-29T01:30:00Z", "2026-03-30T00:30:00Z"),
        // Berlin fall back (2026-10-25 03:00 CEST → 02:00 CET): a fixed 02:30 fires once, the first time.
        ("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", "2026-10-25T00:30:00Z"),
        ("30 2 * * *", "Europe/Berlin", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"),
        ("0 2 * * *", "Europe/Berlin", "2026-10-25T00:00:00Z", "2026-10-26T01:00:00Z"),
        // … a `*` hour fires in both passes of the repeated hour.
        ("*/30 * * * *", "Europe/Berlin", "2026-10-25T00:50:00Z", "2026-10-25T01:00:00Z"),
        ("*/30 * * * *", "Europe/Berlin", "2026-10-25T01:00:00Z", "2026-10-25T01:30:00Z"),
        ("0 * * * *", "Europe/Berlin", "2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z"),
        ("55,5 * * * *", "Europe/Berlin", "2026-10-25T00:50:00Z", "2026-10-25T00:55:00Z"),
        // New York spring forward on 2026-03-08: 09:00 EDT.
        ("0 9 * * *", "America/New_York", "2026-03-07T15:00:00Z", "2026-03-08T13:00:00Z"),
        // Sydney (southern hemisphere) falls back on 2026-04-05 at 03:00 AEDT → 02:00 AEST.
        ("0 3 * * *", "Australia/Sydney", "2026-04-04T12:00:00Z", "2026-04-04T17:00:00Z"),
        // Past the explicit transitions of the tz file (2037): the footer rule (CEST in July).
        ("0 12 1 7 *", "Europe/Berlin", "2040-01-01T00:00:00Z", "2040-07-01T10:00:00Z"),
        ("0 12 1 1 *", "Europe/Berlin", "2040-01-01T00:00:00Z", "2040-01-01T11:00:00Z"),
    ]

    @Test func referenceTable() throws {
        for row in Self.table {
            let c = try CronExpression(row.cron)
            let next = c.nextFire(after: Self.t(row.after), in: try Self.zone(row.zone))
            #expect(next == Self.t(row.next), "\(row.cron) in \(row.zone) after \(row.after): got \(next.map { Timestamp(milliseconds: $0 * 1000).rfc3339 } ?? "nil"), want \(row.next)")
        }
    }

    @Test func firesListsEveryTickInAWindow() throws {
        let c = try CronExpression("*/20 * * * * *")
        let f = c.fires(after: Self.t("2026-01-01T00:00:00Z"), through: Self.t("2026-01-01T00:01:00Z"), in: .utc, limit: 10)
        #expect(f == [Self.t("2026-01-01T00:00:20Z"), Self.t("2026-01-01T00:00:40Z"), Self.t("2026-01-01T00:01:00Z")])
        #expect(c.fires(after: Self.t("2026-01-01T00:00:00Z"), through: Self.t("2026-01-02T00:00:00Z"), in: .utc, limit: 5).count == 5)
    }

    @Test func badExpressionsNameTheField() throws {
        let cases: [(String, String)] = [
            ("* * * *", "has 4 fields"),
            ("61 * * * *", "minute field '61': 61 is outside 0-59"),
            ("0 0 L * *", "day-of-month field 'L'"),
            ("0 0 30 2 *", "never fires"),
            ("*/0 * * * *", "step '0'"),
            ("0 0 * FOO *", "month field 'FOO'"),
            ("5-1 * * * *", "runs backwards"),
            ("@often", "unknown macro"),
            ("0 0 1,,2 * *", "empty list item"),
            (String(repeating: "1 ", count: 200), "CronExpression.maxLength"),
        ]
        for (text, fragment) in cases {
            do {
                _ = try CronExpression(text)
                Issue.record("\(text) was accepted")
            } catch let e as KernelError {
                #expect(e.kind == .invalidParams)
                #expect(e.errors.first?.path == "cron")
                #expect(e.errors.first?.message.contains(fragment) == true, "\(text): \(e)")
            }
        }
    }

    @Test func tzifFilesParseAndMalformedOnesAreRefused() throws {
        let berlin = try Self.zone("Europe/Berlin")
        #expect(berlin.offset(at: Self.t("2026-07-01T00:00:00Z")).utc == 7200)
        #expect(berlin.offset(at: Self.t("2026-01-01T00:00:00Z")).abbreviation == "CET")
        #expect(berlin.instants(ofWall: Self.t("2026-10-25T02:30:00Z")).count == 2)
        #expect(berlin.instants(ofWall: Self.t("2026-03-29T02:30:00Z")).isEmpty)
        #expect(throws: KernelError.self) { try TimeZoneRules(name: "x", tzif: Array("not a tz file".utf8)) }
        #expect(throws: KernelError.self) { try TimeZoneRules(name: "x", tzif: Array("TZif2".utf8)) }
    }
}
