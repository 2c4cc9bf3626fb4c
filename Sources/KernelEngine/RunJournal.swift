import KernelCore
import KernelLoop
import KernelStore
import Logging

/// The ordered write path of the engine, group-committed: every run row, step row and event
/// produced while the previous commit was in flight (or during one loop turn, when none was)
/// goes to the store in ONE transaction (`RunStore.commit`), whatever run it belongs to. Rows
/// are merged (the latest state of a run row and of an attempt's row wins), events keep their
/// production order and the engine's contiguous per-run seqs, and an event is published to
/// subscribers only after the commit that stored it. One commit is in flight at a time, so
/// commits land in production order.
@KernelActor
public final class RunJournal {
    /// Identity of one attempt's row.
    struct StepKey: Hashable {
        let run: EntityID
        let step: String
        let attempt: Int
    }

    /// The writes of one commit, merged. A segment is a prefix-closed slice of production
    /// order: a new one starts only when the last is full (`EngineLimits.maxEventBatch` events
    /// or `maxStepRowBatch` rows), so rows never get ahead of the events committed with them.
    struct Segment {
        var runs: [EntityID: WorkflowRun] = [:]
        var stepIndex: [StepKey: Int] = [:]
        var steps: [StepRun] = []
        var events: [RunEvent] = []

        var isEmpty: Bool { runs.isEmpty && steps.isEmpty && events.isEmpty }
        var isFull: Bool { events.count >= EngineLimits.maxEventBatch || steps.count >= EngineLimits.maxStepRowBatch }

        mutating func add(_ run: WorkflowRun) { runs[run.id] = run }

        mutating func add(_ step: StepRun) {
            let key = StepKey(run: step.runID, step: step.stepID, attempt: step.attempt)
            if let i = stepIndex[key] { steps[i] = step } else {
                stepIndex[key] = steps.count
                steps.append(step)
            }
        }

        mutating func add(_ event: RunEvent) { events.append(event) }

        func batch(owner: String) -> JournalBatch {
            JournalBatch(owner: owner, runs: runs.keys.sorted().compactMap { runs[$0] }, steps: steps, events: events)
        }

        /// The same writes as one segment per run (to isolate a run the store refuses).
        func splitPerRun() -> [Segment] {
            var parts: [EntityID: Segment] = [:]
            var order: [EntityID] = []
            func part(_ id: EntityID, _ body: (inout Segment) -> Void) {
                if parts[id] == nil { order.append(id) }
                body(&parts[id, default: Segment()])
            }
            for e in events { part(e.runID) { $0.add(e) } }
            for s in steps { part(s.runID) { $0.add(s) } }
            for id in runs.keys.sorted() { if let r = runs[id] { part(id) { $0.add(r) } } }
            return order.compactMap { parts[$0] }
        }
    }

    /// Explicit state of the commit loop.
    enum DrainState { case idle, scheduled, committing }

    public static let retryDelayMilliseconds: UInt64 = 200

    let store: RunStore
    /// This kernel's owner id: rows and events are written only while it holds the run.
    let owner: String
    let logger: Logger
    /// Writes not yet handed to the store, oldest first; new writes go into the last one.
    private var segments: [Segment] = []
    private var state: DrainState = .idle
    private var nextSeq: [EntityID: Int64] = [:]
    private var listeners: [EntityID: [RunSubscription]] = [:]
    private var feeds: [ObjectIdentifier: (RunEvent) -> Void] = [:]
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    /// Events persisted so far (for `kernel.status`).
    public private(set) var persistedEvents = 0
    /// Store transactions (group commits) that succeeded.
    public private(set) var persistedBatches = 0
    /// Commits that failed and were retried.
    public private(set) var failedCommits = 0
    /// After each commit, the events it stored (this kernel's own): the Redis fan-out.
    var onCommitted: (([RunEvent]) -> Void)?
    /// A run got its first subscriber here (true) or lost its last (false).
    var onFollowChanged: ((EntityID, Bool) -> Void)?

    init(store: RunStore, owner: String, logger: Logger) {
        self.store = store
        self.owner = owner
        self.logger = logger
    }

    /// Sets the last seq a run already has (creation: 0; recovery: from the store).
    func setLastSeq(_ runID: EntityID, _ seq: Int64) { nextSeq[runID] = seq + 1 }

    func forget(_ runID: EntityID) { nextSeq[runID] = nil }

    /// Assigns the next seq and queues the event; committed then published by the next commit.
    @discardableResult
    func emit(_ runID: EntityID, _ type: RunEvent.Kind, step: String? = nil, _ payload: JSON) -> RunEvent {
        let seq = nextSeq[runID] ?? 1
        nextSeq[runID] = seq + 1
        let e = RunEvent(runID: runID, seq: seq, type: type, stepID: step, payload: payload, at: .now())
        withOpenSegment { $0.add(e) }
        return e
    }

    func save(_ run: WorkflowRun) {
        withOpenSegment { $0.add(run) }
    }

    func save(_ step: StepRun) {
        withOpenSegment { $0.add(step) }
    }

    private func withOpenSegment(_ body: (inout Segment) -> Void) {
        if segments.isEmpty || segments[segments.count - 1].isFull { segments.append(Segment()) }
        body(&segments[segments.count - 1])
        schedule()
    }

    private func schedule() {
        guard state == .idle else { return }
        state = .scheduled
        // Runs after the jobs of this loop turn: everything they produce joins this commit.
        Task { @KernelActor in await self.drain() }
    }

    private func drain() async {
        state = .committing
        while !segments.isEmpty {
            let segment = segments.removeFirst()
            if segment.isEmpty { continue }
            let batch = segment.batch(owner: owner)
            do {
                let outcome = try await store.commit(batch)
                var stored = batch.events
                if !outcome.refused.isEmpty {
                    // Refused for good (another kernel took the run over; a seq already written
                    // by it): retrying cannot succeed, so that run's writes are dropped.
                    for id in outcome.refused.keys.sorted() {
                        logger.error("run journal writes refused; dropped",
                                     metadata: ["run": "\(id)", "error": "\(outcome.refused[id]?.message ?? "")"])
                    }
                    stored = stored.filter { outcome.refused[$0.runID] == nil }
                }
                persistedEvents += stored.count
                persistedBatches += 1
                publish(stored)
                if !stored.isEmpty { onCommitted?(stored) }
            } catch let e as KernelError where e.kind == .conflict {
                // The store refused the whole transaction: isolate the run it objects to by
                // committing run by run (in order, before anything newer); a single run's
                // writes are dropped.
                let parts = segment.splitPerRun()
                if parts.count > 1 {
                    segments.insert(contentsOf: parts, at: 0)
                } else {
                    logger.error("run journal write refused; dropped", metadata: ["error": "\(e.message)"])
                }
            } catch {
                failedCommits += 1
                logger.error("run journal commit failed; retrying", metadata: ["error": "\(error)"])
                segments.insert(segment, at: 0)
                await sleep(ms: RunJournal.retryDelayMilliseconds)
            }
        }
        state = .idle
        let ws = idleWaiters
        idleWaiters = []
        for w in ws { w.resume() }
    }

    private func sleep(ms: UInt64) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            do { try Timer.after(loop: KernelRuntime.loop, ms: ms) { c.resume() } } catch { c.resume() }
        }
    }

    /// Returns when everything queued so far is persisted and published.
    public func flushed() async {
        if state == .idle && segments.allSatisfy(\.isEmpty) { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    private func publish(_ batch: [RunEvent]) {
        for e in batch {
            if let subs = listeners[e.runID] {
                for s in subs { s.live(e) }
                if e.type == .end { unfollow(e.runID) }
            }
            // The dashboard-wide feed: status changes of runs and steps, not of forEach items
            // (`<step>[i]`: thousands per step; the run's own stream carries them).
            if e.type == .end || (e.type == .statusChange && e.stepID?.hasSuffix("]") != true) {
                for f in feeds.values { f(e) }
            }
        }
    }

    func attach(_ s: RunSubscription) {
        let first = listeners[s.runID] == nil
        listeners[s.runID, default: []].append(s)
        if first { onFollowChanged?(s.runID, true) }
    }

    private func unfollow(_ runID: EntityID) {
        guard listeners.removeValue(forKey: runID) != nil else { return }
        onFollowChanged?(runID, false)
    }

    /// Runs that have subscribers here.
    var subscribedRunIDs: [EntityID] { Array(listeners.keys) }

    /// The lowest seq every subscriber of a run has seen (nil: no subscriber).
    func lowestDeliveredSeq(_ runID: EntityID) -> Int64? { listeners[runID]?.map(\.lastSeq).min() }

    /// Events of a run another kernel executes, read back from the store after its NOTIFY:
    /// handed to this kernel's subscribers like local ones (each drops what it already has).
    func publishStored(_ batch: [RunEvent]) {
        for e in batch {
            guard let subs = listeners[e.runID] else { continue }
            for s in subs { s.live(e) }
            if e.type == .end { unfollow(e.runID) }
        }
    }

    func detach(_ s: RunSubscription) {
        listeners[s.runID]?.removeAll { $0 === s }
        if listeners[s.runID]?.isEmpty == true { unfollow(s.runID) }
    }

    /// Dashboard-wide feed of run status changes and ends. Returns a token for `removeFeed`.
    func addFeed(_ f: @escaping (RunEvent) -> Void) -> ObjectIdentifier {
        final class Token {}
        let id = ObjectIdentifier(Token())
        feeds[id] = f
        return id
    }

    func removeFeed(_ id: ObjectIdentifier) { feeds[id] = nil }

    public var subscriberCount: Int { listeners.values.reduce(0) { $0 + $1.count } }
}
