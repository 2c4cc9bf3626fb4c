import KernelCore
import KernelLoop
import Logging

/// The ordered write path of the engine: run rows, step rows and events are persisted in the
/// order they were produced, events of one drain coalesced into ONE store transaction, and an
/// event is published to subscribers only after it is stored.
@KernelActor
public final class RunJournal {
    /// One pending write.
    enum Write {
        case run(WorkflowRun)
        case step(StepRun)
        case events([RunEvent])
    }

    /// Explicit state of the drain.
    enum DrainState { case idle, scheduled, draining }

    public static let retryDelayMilliseconds: UInt64 = 200

    let store: RunStore
    /// This kernel's owner id: step rows are written only while it holds the run.
    let owner: String
    let logger: Logger
    private var queue: [Write] = []
    private var state: DrainState = .idle
    private var nextSeq: [EntityID: Int64] = [:]
    private var listeners: [EntityID: [RunSubscription]] = [:]
    private var feeds: [ObjectIdentifier: (RunEvent) -> Void] = [:]
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    /// Events persisted so far (for `kernel.status`).
    public private(set) var persistedEvents = 0
    public private(set) var persistedBatches = 0

    init(store: RunStore, owner: String, logger: Logger) {
        self.store = store
        self.owner = owner
        self.logger = logger
    }

    /// Sets the last seq a run already has (creation: 0; recovery: from the store).
    func setLastSeq(_ runID: EntityID, _ seq: Int64) { nextSeq[runID] = seq + 1 }

    func forget(_ runID: EntityID) { nextSeq[runID] = nil }

    /// Assigns the next seq and queues the event; persisted then published on the next tick.
    @discardableResult
    func emit(_ runID: EntityID, _ type: RunEvent.Kind, step: String? = nil, _ payload: JSON) -> RunEvent {
        let seq = nextSeq[runID] ?? 1
        nextSeq[runID] = seq + 1
        let e = RunEvent(runID: runID, seq: seq, type: type, stepID: step, payload: payload, at: .now())
        if case .events(var batch)? = queue.last {
            batch.append(e)
            queue[queue.count - 1] = .events(batch)
        } else {
            queue.append(.events([e]))
        }
        schedule()
        return e
    }

    func save(_ run: WorkflowRun) {
        queue.append(.run(run))
        schedule()
    }

    func save(_ step: StepRun) {
        queue.append(.step(step))
        schedule()
    }

    private func schedule() {
        guard state == .idle else { return }
        state = .scheduled
        Task { @KernelActor in await self.drain() }
    }

    private func drain() async {
        state = .draining
        while !queue.isEmpty {
            var write = queue.removeFirst()
            // Coalesce every queued event write up to the next row write... and beyond rows
            // only when nothing in between depends on order: keep it simple and safe.
            if case .events(var batch) = write {
                while case .events(let more)? = queue.first, batch.count + more.count <= EngineLimits.maxEventBatch {
                    batch += more
                    queue.removeFirst()
                }
                write = .events(batch)
            }
            do {
                switch write {
                case .run(let r): try await store.saveRun(r)
                case .step(let s): try await store.saveStepRun(s, heldBy: owner)
                case .events(let batch):
                    try await store.appendEvents(batch)
                    persistedEvents += batch.count
                    persistedBatches += 1
                    publish(batch)
                }
            } catch let e as KernelError where e.kind == .conflict {
                // Refused for good (another kernel took the run over; a seq already written by
                // it): retrying cannot succeed. A batch of several runs is split so the other
                // runs' events are still written; a single run's write is dropped.
                if case .events(let batch) = write, Set(batch.map(\.runID)).count > 1 {
                    var perRun: [EntityID: [RunEvent]] = [:]
                    var order: [EntityID] = []
                    for ev in batch {
                        if perRun[ev.runID] == nil { order.append(ev.runID) }
                        perRun[ev.runID, default: []].append(ev)
                    }
                    queue.insert(contentsOf: order.map { .events(perRun[$0] ?? []) }, at: 0)
                } else {
                    logger.error("run journal write refused; dropped", metadata: ["error": "\(e.message)"])
                }
            } catch {
                logger.error("run journal write failed; retrying", metadata: ["error": "\(error)"])
                queue.insert(write, at: 0)
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
        if state == .idle && queue.isEmpty { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    private func publish(_ batch: [RunEvent]) {
        for e in batch {
            if let subs = listeners[e.runID] {
                for s in subs { s.live(e) }
                if e.type == .end { listeners[e.runID] = nil }
            }
            if e.type == .statusChange || e.type == .end {
                for f in feeds.values { f(e) }
            }
        }
    }

    func attach(_ s: RunSubscription) { listeners[s.runID, default: []].append(s) }

    func detach(_ s: RunSubscription) {
        listeners[s.runID]?.removeAll { $0 === s }
        if listeners[s.runID]?.isEmpty == true { listeners[s.runID] = nil }
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
