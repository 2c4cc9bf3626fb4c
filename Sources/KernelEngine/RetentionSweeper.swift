import Glibc
import KernelCore
import KernelLoop
import KernelSandbox
import KernelStore
import Logging

/// Applies a `RetentionPolicy` (issue 16): deletes old finished, unpinned runs with their step
/// rows and events, the events of old runs, their artifact and work directories, and blobs no
/// row references — in batches of `batchRuns`, every database write a store transaction with
/// its audit entry, every file and blob deletion on a worker thread. `mcpk gc` / `kernel.gc`
/// run it by hand (optionally as a dry run); with a policy set it also runs every
/// `intervalMilliseconds`.
@KernelActor
public final class RetentionSweeper {
    /// Runs handled per store transaction.
    public static let batchRuns = 100
    /// Batches per sweep at most (the rest waits for the next sweep).
    public static let maxBatchesPerSweep = 100
    /// Time between automatic sweeps (10 min) and before the first (1 min).
    public static let intervalMilliseconds: UInt64 = 600_000
    public static let firstSweepDelayMilliseconds: UInt64 = 60_000
    /// Ids and digests listed in a summary at most.
    public static let maxListed = 100

    /// Explicit state: one sweep at a time.
    public enum State { case idle, sweeping }

    public let policy: RetentionPolicy
    let store: SQLStore
    let values: ValueSpool?
    let home: String
    let actor: String
    let logger: Logger
    let files = WorkerThread(name: "mcpk-retention")
    private var timer: Timer?
    public private(set) var state: State = .idle
    public private(set) var lastSummary: JSON = .null

    public init(policy: RetentionPolicy, store: SQLStore, values: ValueSpool?, home: String, actor: String, logger: Logger) {
        self.policy = policy
        self.store = store
        self.values = values
        self.home = home
        self.actor = actor
        self.logger = logger
    }

    /// Arms the periodic sweep when the policy deletes anything.
    public func start() {
        guard !policy.keepsEverything, timer == nil, let t = try? Timer(loop: KernelRuntime.loop) else { return }
        timer = t
        t.start(timeoutMs: RetentionSweeper.firstSweepDelayMilliseconds, repeatMs: RetentionSweeper.intervalMilliseconds) { [weak self] in
            KernelActor.assumeIsolated {
                guard let self, self.state == .idle else { return }
                Task { @KernelActor in
                    do { _ = try await self.sweep(dryRun: false) } catch {
                        self.logger.error("retention sweep failed", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
    }

    public func stop() {
        timer?.close()
        timer = nil
        files.stop()
    }

    private func audit(_ action: String, _ details: JSON = [:]) -> ActionLog {
        ActionLog.entry(actor: actor, action: action, entityType: "workflow_run", entityID: "retention", details: details)
    }

    /// One sweep; the summary says what was (or, with `dryRun`, would be) deleted.
    public func sweep(dryRun: Bool) async throws -> JSON {
        guard state == .idle else { throw KernelError.conflict("a retention sweep is already running") }
        state = .sweeping
        defer { state = .idle }
        let started = Timestamp.now().milliseconds
        let now = started
        var runIDs: [EntityID] = [], steps: Int64 = 0, events: Int64 = 0, eventRuns = 0, dirs = 0
        var blobDigests: [String] = [], blobBytes: Int64 = 0

        if let age = policy.runsMilliseconds {
            var after: EntityID?
            for _ in 0..<RetentionSweeper.maxBatchesPerSweep {
                let ids = try await store.retentionRuns(finishedBefore: now - age, limit: RetentionSweeper.batchRuns, after: after)
                if ids.isEmpty { break }
                let counts = try await store.retentionCounts(ids)
                if dryRun {
                    runIDs += ids; steps += counts.steps; events += counts.events
                    after = ids.last
                    continue
                }
                let deleted = try await store.deleteRuns(ids, audit: audit("retention.delete_runs"))
                if deleted.isEmpty { after = ids.last; continue }
                runIDs += deleted; steps += counts.steps; events += counts.events
                dirs += try await removeDirectories(of: deleted)
            }
        }
        if let age = policy.eventsMilliseconds {
            var after: EntityID?
            for _ in 0..<RetentionSweeper.maxBatchesPerSweep {
                let ids = try await store.retentionRuns(finishedBefore: now - age, limit: RetentionSweeper.batchRuns, withEvents: true,
                                                        after: after)
                if ids.isEmpty { break }
                after = ids.last
                let doomed = Set(runIDs)
                let mine = ids.filter { !doomed.contains($0) }
                eventRuns += mine.count
                if dryRun {
                    events += try await store.retentionCounts(mine).events
                } else if !mine.isEmpty {
                    events += try await store.deleteEvents(ofRuns: mine, audit: audit("retention.delete_events"))
                }
            }
        }
        if let age = policy.artifactsMilliseconds {
            var after: EntityID?
            for _ in 0..<RetentionSweeper.maxBatchesPerSweep {
                let ids = try await store.retentionRuns(finishedBefore: now - age, limit: RetentionSweeper.batchRuns, after: after)
                if ids.isEmpty { break }
                after = ids.last
                dirs += dryRun ? try await countDirectories(of: ids) : try await removeDirectories(of: ids)
            }
        }
        // Blobs: a run that still exists keeps what its rows reference; unreferenced blobs older
        // than the grace (a value being stored for a running step has no row yet) are deleted.
        if let values, !policy.keepsEverything {
            let referenced = try await store.referencedBlobDigests()
            let blobs = values.blobs
            let grace = policy.blobGraceMilliseconds
            let found = try await files.run { () -> [(String, Int64)] in
                try blobs.list().filter { !referenced.contains($0.digest) && $0.storedAt <= now - grace }.map { ($0.digest, $0.size) }
            }
            if !dryRun {
                try await files.run { for (d, _) in found { try blobs.delete(d) } }
            }
            blobDigests = found.map(\.0)
            blobBytes = found.reduce(0) { $0 + $1.1 }
        }
        var summary = JSONObject()
        summary["dry_run"] = .bool(dryRun)
        summary["policy"] = policy.json
        summary["runs"] = ["count": JSON(runIDs.count), "ids": .array(runIDs.prefix(RetentionSweeper.maxListed).map(JSON.string))]
        summary["step_rows"] = .int(steps)
        summary["events"] = ["count": .int(events), "runs_trimmed": JSON(eventRuns)]
        summary["directories"] = JSON(dirs)
        summary["blobs"] = ["count": JSON(blobDigests.count), "bytes": .int(blobBytes),
                            "digests": .array(blobDigests.prefix(RetentionSweeper.maxListed).map(JSON.string))]
        summary["duration_ms"] = .int(Timestamp.now().milliseconds - started)
        let result = JSON.object(summary)
        if !dryRun {
            try await store.appendAudit(audit("retention.sweep", result))
            lastSummary = result
            if !runIDs.isEmpty || events > 0 || !blobDigests.isEmpty {
                logger.info("retention sweep", metadata: ["runs": "\(runIDs.count)", "events": "\(events)", "blobs": "\(blobDigests.count)"])
            }
        }
        return result
    }

    /// `$MCPK_HOME/artifacts/<run>` and `$MCPK_HOME/work/<run>` of each run, removed off the loop.
    private func removeDirectories(of ids: [EntityID]) async throws -> Int {
        let home = self.home
        return try await files.run {
            var n = 0
            for id in ids where RetentionSweeper.isPlainID(id) {
                for dir in ["\(home)/artifacts/\(id)", WorkDirectory.run(home: home, runID: id)] where RetentionSweeper.exists(dir) {
                    removeTree(dir)
                    n += 1
                }
            }
            return n
        }
    }

    private func countDirectories(of ids: [EntityID]) async throws -> Int {
        let home = self.home
        return try await files.run {
            ids.filter(RetentionSweeper.isPlainID).reduce(0) { n, id in
                n + ["\(home)/artifacts/\(id)", WorkDirectory.run(home: home, runID: id)].filter(RetentionSweeper.exists).count
            }
        }
    }

    /// A run id usable as one path component (ids are UUIDs; anything else is skipped).
    nonisolated static func isPlainID(_ id: String) -> Bool {
        !id.isEmpty && !id.contains("/") && id != "." && id != ".."
    }

    nonisolated static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }
}
