import KernelCore
import KernelLoop
import KernelStore

/// Run events through the optional Redis (issue 14). Events are persisted first, as always; after
/// the commit that stored them, the executing kernel PUBLISHes each run's new events (a JSON array,
/// seq order) on `mcpk:run:<id>`. A kernel whose clients follow a run it does not execute
/// SUBSCRIBEs to that channel and hands the events to its subscribers when they continue its
/// seqs exactly (the first seq is at most the lowest delivered + 1, so no subscriber sees a gap;
/// each subscriber drops seqs it already has, so no duplicate). A message with a gap, or one never
/// delivered, is covered by the store: the NOTIFY of the same commit (PostgreSQL, always sent)
/// makes the kernel read the events from the store if Redis has not delivered them within
/// `EngineLimits.redisGraceMilliseconds`. While Redis is away, NOTIFY alone carries the wake-ups
/// (the fallback) and every followed run is re-read once when Redis goes and comes back.
extension RunEngine {
    static let redisRunChannelPrefix = "mcpk:run:"

    /// Wires `redis` into the engine (before `start`).
    public func attachRedis(_ redis: RedisService) {
        self.redis = redis
        journal.onCommitted = { [weak self] events in self?.publishToRedis(events) }
        journal.onFollowChanged = { [weak self] id, following in self?.followOnRedis(id, following) }
        redis.onMessage = { [weak self] channel, payload in self?.redisMessage(channel, payload) }
        // Lost: NOTIFY carries on; what Redis had in flight is read from the store.
        redis.onLost = { [weak self] in self?.readAllRemoteRuns() }
        redis.onConnected = { [weak self] in self?.readAllRemoteRuns() }
    }

    func followOnRedis(_ id: EntityID, _ following: Bool) {
        guard let redis else { return }
        if following {
            guard active[id] == nil, redisFollowed.insert(id).inserted else { return }
            redis.subscribe(RunEngine.redisRunChannelPrefix + id)
        } else if redisFollowed.remove(id) != nil {
            redis.unsubscribe(RunEngine.redisRunChannelPrefix + id)
        }
    }

    func publishToRedis(_ events: [RunEvent]) {
        // No shared queue (SQLite): no other kernel can follow these runs.
        guard queue != nil, let redis, redis.isConnected else { return }
        var order: [EntityID] = []
        var perRun: [EntityID: [JSON]] = [:]
        for e in events {
            if perRun[e.runID] == nil { order.append(e.runID) }
            perRun[e.runID, default: []].append(RunEngine.redisEventJSON(e))
        }
        for id in order {
            let bytes = JSON.array(perRun[id] ?? []).serializedBytes()
            // Too big for one message: subscribers read these from the store (NOTIFY).
            guard bytes.count <= EngineLimits.maxRedisEventMessageBytes else { continue }
            redis.publish(RunEngine.redisRunChannelPrefix + id, bytes)
        }
    }

    static func redisEventJSON(_ e: RunEvent) -> JSON {
        ["seq": .int(e.seq), "type": .string(e.type.rawValue), "step_id": JSON(e.stepID), "payload": e.payload,
         "at_ms": .int(e.at.milliseconds)]
    }

    func redisMessage(_ channel: String, _ payload: [UInt8]) {
        guard channel.hasPrefix(RunEngine.redisRunChannelPrefix) else { return }
        let id = String(channel.dropFirst(RunEngine.redisRunChannelPrefix.count))
        guard active[id] == nil, let lowest = journal.lowestDeliveredSeq(id) else { return }
        guard case .array(let items)? = try? JSONParser.parse(payload) else {
            logger.warning("unreadable Redis event message; reading the store", metadata: ["run": "\(id)"])
            readRemoteRun(id)
            return
        }
        var events: [RunEvent] = []
        events.reserveCapacity(items.count)
        for item in items {
            guard let seq = item["seq"]?.intValue, let type = item["type"]?.stringValue.flatMap(RunEvent.Kind.init(rawValue:)),
                  let at = item["at_ms"]?.intValue, let body = item["payload"] else {
                readRemoteRun(id)
                return
            }
            events.append(RunEvent(runID: id, seq: seq, type: type, stepID: item["step_id"]?.stringValue, payload: body,
                                   at: Timestamp(milliseconds: at)))
        }
        guard let first = events.first, let last = events.last, last.seq > lowest else { return }
        if first.seq > lowest + 1 {
            // A message was missed (Redis reconnected, a too-big batch): the store has them.
            redisGapReads += 1
            readRemoteRun(id)
            return
        }
        redisEventsDelivered += events.count
        journal.publishStored(events)
    }

    /// A NOTIFY (`run_id:last_seq`) while Redis carries the events: checked after the grace period,
    /// read from the store only if Redis did not deliver up to that seq meanwhile.
    func notifiedWhileRedis(_ id: EntityID, _ seq: Int64) {
        redisPendingChecks[id] = max(redisPendingChecks[id] ?? 0, seq)
        guard !redisCheckArmed else { return }
        redisCheckArmed = true
        do {
            try Timer.after(loop: KernelRuntime.loop, ms: EngineLimits.redisGraceMilliseconds) { [weak self] in
                // libuv runs due timers BEFORE polling I/O: on a busy loop, Redis messages that
                // arrived meanwhile are still unread now. A 0 ms timer fires after this turn's poll
                // phase has read them, so the store is read only for what Redis really missed.
                do {
                    try Timer.after(loop: KernelRuntime.loop, ms: 0) { [weak self] in
                        KernelActor.assumeIsolated { self?.runRedisChecks() }
                    }
                } catch {
                    KernelActor.assumeIsolated { self?.runRedisChecks() }
                }
            }
        } catch {
            runRedisChecks()
        }
    }

    private func runRedisChecks() {
        redisCheckArmed = false
        let checks = redisPendingChecks
        redisPendingChecks = [:]
        for (id, seq) in checks where active[id] == nil {
            if let seen = journal.lowestDeliveredSeq(id), seen < seq { readRemoteRun(id) }
        }
    }

    /// The `redis` entry's event counters (`kernel.status`).
    public var redisEventsJSON: JSON {
        ["followed_runs": JSON(redisFollowed.count), "events_delivered": JSON(redisEventsDelivered), "gap_reads": JSON(redisGapReads)]
    }
}
