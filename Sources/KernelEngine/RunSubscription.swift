import KernelCore
import KernelLoop

/// One subscriber of one run: stored events after `after` first, then live ones, with no gap
/// and no duplicate (events are delivered strictly by increasing seq).
@KernelActor
public final class RunSubscription {
    /// Explicit lifecycle: live events are buffered while history is replayed.
    public enum Phase: Equatable { case replaying, live, closed }

    public let id: String
    public let runID: EntityID
    public private(set) var phase: Phase = .replaying
    /// Highest seq handed to the client.
    public private(set) var lastSeq: Int64
    private var buffer: [RunEvent] = []
    private let deliver: (RunEvent) -> Bool
    private weak var journal: RunJournal?
    /// Called once when the subscription ends (end event, client gone, overflow, unsubscribe).
    public var onClose: (() -> Void)?

    init(id: String, runID: EntityID, after: Int64, journal: RunJournal, deliver: @escaping (RunEvent) -> Bool) {
        self.id = id
        self.runID = runID
        self.lastSeq = after
        self.journal = journal
        self.deliver = deliver
    }

    /// A live event from the journal.
    func live(_ e: RunEvent) {
        switch phase {
        case .closed: return
        case .replaying:
            buffer.append(e)
            if buffer.count > EngineLimits.maxSubscriberBuffer { close() }
        case .live:
            send(e)
        }
    }

    /// Marks events handed over in the subscribe reply.
    func markDelivered(_ events: [RunEvent]) {
        if let last = events.last?.seq, last > lastSeq { lastSeq = last }
        if events.last?.type == .end { close() }
    }

    /// Sends the rest of the history from the store, then the buffer, then goes live.
    func catchUp(store: RunStore) async {
        while phase == .replaying {
            let page: [RunEvent]
            do { page = try await store.events(runID: runID, after: lastSeq, limit: EngineLimits.replayPageSize) } catch {
                close(); return
            }
            if page.isEmpty { break }
            for e in page { send(e); if phase == .closed { return } }
        }
        guard phase == .replaying else { return }
        let pending = buffer
        buffer = []
        phase = .live
        for e in pending { send(e); if phase == .closed { return } }
    }

    private func send(_ e: RunEvent) {
        guard phase != .closed, e.seq > lastSeq else { return }
        lastSeq = e.seq
        if !deliver(e) { close(); return }
        if e.type == .end { close() }
    }

    public func close() {
        guard phase != .closed else { return }
        phase = .closed
        buffer = []
        journal?.detach(self)
        let cb = onClose
        onClose = nil
        cb?()
    }
}
