import KernelCore
import KernelLoop

/// `run.result`: a step's result (or the run's outputs) as stored — inline, or a
/// `BlobReference` with its preview — and the whole value on request, inline when small,
/// else in chunks (the HTTP route streams it).
extension RunEngine {
    /// The stored value: the latest succeeded attempt's result of `step`, or the run's outputs.
    public func storedResult(_ id: EntityID, step: String?) async throws -> JSON {
        let run: WorkflowRun
        let attempts: [StepRun]
        if let a = active[id] {
            run = a.run
            attempts = a.orderedSteps.flatMap(\.attempts)
        } else {
            run = try await store.run(id)
            attempts = step == nil ? [] : try await store.stepRuns(runID: id)
        }
        guard let step else {
            guard run.status == .succeeded else { throw KernelError.conflict("run \(id) has no outputs (status \(run.status.rawValue))") }
            return run.outputs
        }
        let mine = attempts.filter { $0.stepID == step }
        guard !mine.isEmpty else { throw KernelError.notFound("run \(id) has no step '\(step)'") }
        guard let done = mine.filter({ $0.status.isSuccess }).max(by: { $0.attempt < $1.attempt }) else {
            throw KernelError.conflict("step '\(step)' of run \(id) has no result (status \(mine.last?.status.rawValue ?? "?"))")
        }
        return done.result
    }

    /// `run.result {id, step?, full?, offset?, length?}`.
    public func result(_ id: EntityID, step: String?, full: Bool, offset: Int64?, length: Int?) async throws -> JSON {
        let stored = try await storedResult(id, step: step)
        let ref = BlobReference(stored)
        var o = JSONObject()
        o["run_id"] = .string(id)
        o["step"] = JSON(step)
        o["by_reference"] = .bool(ref != nil)
        o["content_type"] = "application/json"
        if let ref {
            o["size"] = .int(ref.size)
            o["blob"] = ["digest": .string(ref.digest), "size": .int(ref.size)]
        }
        if let offset {
            // A chunk of the value's JSON text, base64 (a cut may split a character).
            let want = max(1, min(length ?? ValueLimits.maxChunkBytes, ValueLimits.maxChunkBytes))
            let bytes: [UInt8]
            let size: Int64
            if let ref {
                guard let values else { throw KernelError.unavailable("this engine has no blob store") }
                size = ref.size
                bytes = offset >= size ? [] : try await values.chunk(ref.digest, offset: offset, length: want)
            } else {
                let text = stored.serializedBytes()
                size = Int64(text.count)
                let start = Int(min(max(0, offset), size))
                bytes = Array(text[start..<min(text.count, start + want)])
            }
            let next = offset + Int64(bytes.count)
            o["size"] = .int(size)
            o["offset"] = .int(offset)
            o["length"] = JSON(bytes.count)
            o["encoding"] = "base64"
            o["data"] = .string(Base64.encode(bytes))
            o["next_offset"] = next < size ? .int(next) : .null
            return .object(o)
        }
        guard full, let ref else {
            o["value"] = stored
            return .object(o)
        }
        guard ref.size <= ValueLimits.maxInlineReplyBytes else {
            let route = step.map { "GET /api/v1/workflow-runs/\(id)/steps/\($0)/result" } ?? "run.result {offset, length}"
            throw KernelError.invalidParams("result is \(BlobReference.describe(bytes: ref.size)) > limit \(BlobReference.describe(bytes: ValueLimits.maxInlineReplyBytes)) "
                                            + "for one reply (ValueLimits.maxInlineReplyBytes): download it with \(route), "
                                            + "`mcpk runs result`, or run.result {offset, length} chunks")
        }
        guard let values else { throw KernelError.unavailable("this engine has no blob store") }
        o["value"] = try await values.load(ref.digest)
        return .object(o)
    }
}
