import KernelCore
import KernelLoop

/// Live events of runs executing on another kernel (shared queue): the executing kernel's
/// journal NOTIFYs `run_id:last_seq` at commit; this kernel reads the new events from the store
/// and hands them to its subscribers, which keep strictly increasing seqs (no gap, no duplicate).
extension RunEngine {
    /// A NOTIFY on the events channel (`run_id:last_seq`, comma-separated).
    public func eventsNotified(_ payload: String) {
        for entry in payload.split(separator: ",") {
            guard let colon = entry.lastIndex(of: ":"), let seq = Int64(entry[entry.index(after: colon)...]) else { continue }
            let id = String(entry[..<colon])
            guard active[id] == nil, let seen = journal.lowestDeliveredSeq(id), seen < seq else { continue }
            if redis?.isConnected == true && redisFollowed.contains(id) {
                notifiedWhileRedis(id, seq)
            } else {
                readRemoteRun(id)
            }
        }
    }

    /// The slow re-check and a listener reconnect: every followed run not executing here is read again.
    public func readAllRemoteRuns() {
        for id in journal.subscribedRunIDs where active[id] == nil { readRemoteRun(id) }
    }

    /// Reads a remote run's events after the lowest seq its subscribers have, page by page, and
    /// publishes them. One read per run at a time; a NOTIFY meanwhile reads again afterwards.
    func readRemoteRun(_ id: EntityID) {
        guard !remoteReads.contains(id) else { remoteReadsAgain.insert(id); return }
        remoteReads.insert(id)
        Task { @KernelActor in
            defer { self.remoteReads.remove(id) }
            repeat {
                self.remoteReadsAgain.remove(id)
                while let after = self.journal.lowestDeliveredSeq(id) {
                    let page: [RunEvent]
                    do { page = try await self.store.events(runID: id, after: after, limit: EngineLimits.replayPageSize) } catch {
                        // The next NOTIFY or the slow re-check reads again.
                        self.logger.warning("reading a remote run's events failed", metadata: ["run": "\(id)", "error": "\(error)"])
                        return
                    }
                    self.journal.publishStored(page)
                    if page.count < EngineLimits.replayPageSize { break }
                }
            } while self.remoteReadsAgain.contains(id)
        }
    }

    /// `waitUntilFinished` for a run this kernel does not hold (queued, or on another kernel):
    /// follows it like a subscriber until its `end` event.
    func waitForRemoteRun(_ id: EntityID) async {
        guard let last = try? await store.lastEventSeq(runID: id) else { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            var resumed = false
            let resume = { if !resumed { resumed = true; c.resume() } }
            Task { @KernelActor in
                do {
                    let (reply, sub) = try await self.subscribe(id, after: last) { _ in true }
                    let status = reply["run"]?["status"]?.stringValue.flatMap(RunStatus.init(rawValue:))
                    if sub.phase == .closed || status?.isTerminal == true {
                        sub.close()
                        resume()
                    } else {
                        sub.onClose = { resume() }
                    }
                } catch {
                    resume()
                }
            }
        }
    }
}
