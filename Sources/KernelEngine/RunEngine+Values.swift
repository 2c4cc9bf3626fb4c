import Glibc
import KernelCore
import KernelLoop

/// Large values in the engine (issue 16): results and inputs above the inline limit travel as
/// `BlobReference`s; dependants get the real value in their `inputs.json`; path expressions
/// into a referenced value load its blob (off the loop) and resolve again.
extension RunEngine {
    /// What a resolution that stopped at an unloaded blob should do.
    enum BlobNeed {
        /// Being loaded; the engine pumps again when it is there.
        case loading
        /// Cannot be loaded: fail with this message.
        case failed(String)
    }

    /// The blob digest an expression error waits for, if any.
    static func neededBlob(_ error: Error) -> String? { (error as? ExpressionError)?.blob }

    /// Starts loading `digest` into the run's loaded values (once); `step` (queued) goes back
    /// to the ready list when it is there.
    func needBlob(_ run: ActiveRun, _ digest: String, requeue step: String? = nil) -> BlobNeed {
        guard let values else { return .failed("a stored value is referenced but this engine has no blob store") }
        if let why = run.blobFailures[digest] { return .failed(why) }
        if run.blobs[digest] != nil { return .failed("internal: blob sha256:\(digest) loaded but not used") }
        if run.loadingBlobs[digest] != nil {
            if let step { run.loadingBlobs[digest]?.append(step) }
            return .loading
        }
        run.loadingBlobs[digest] = step.map { [$0] } ?? []
        let runID = run.run.id
        Task { @KernelActor in
            let loaded: Result<JSON, Error>
            do { loaded = .success(try await values.load(digest)) } catch { loaded = .failure(error) }
            guard let run = self.active[runID] else { return }
            let waiting = run.loadingBlobs.removeValue(forKey: digest) ?? []
            switch loaded {
            case .success(let v): run.blobs[digest] = v
            case .failure(let e): run.blobFailures[digest] = "stored value sha256:\(digest): \(RunEngine.describe(e))"
            }
            for id in waiting where run.state(id)?.status == .queued { self.ready.append((runID, id)) }
            self.pump()
        }
        return .loading
    }

    /// The hard result limit of a step: its component's `maxResultBytes`, else the spool's.
    func resultLimit(_ s: StepState) -> Int64? {
        s.config["maxResultBytes"]?.intValue
    }

    /// An executor's outcome with its value settled: large → blob reference, a result file →
    /// blob (or inline when small), over the limit → failed naming it. The step's secrets are
    /// masked first, so no copy of one reaches the blob store.
    func settle(_ outcome: AttemptOutcome, limit: Int64?, redactor: SecretRedactor) async -> AttemptOutcome {
        switch outcome {
        case .succeeded(let v):
            let v = redactor.redact(v)
            guard let values else { return .succeeded(v) }
            do { return .succeeded(try await values.spool(v, limit: limit)) } catch { return .failed(redactor.redact(RunEngine.describe(error))) }
        case .succeededWithFile(let path):
            guard let values else { return .failed("the step sent its result as a file but this engine has no blob store") }
            do { return .succeeded(try await values.spool(file: path, limit: limit, redactor: redactor)) } catch {
                return .failed(redactor.redact(RunEngine.describe(error)))
            }
        case .failed(let m): return .failed(redactor.redact(m))
        case .timedOut(let m): return .timedOut(redactor.redact(m))
        }
    }

    /// Writes the inputs file (references resolved, streamed off the loop) when `inputs` holds
    /// references; nil when it holds none.
    func writeInputsFile(_ inputs: JSON, workDirectory: String) async throws -> String? {
        guard let values, inputs.containsBlobReference else { return nil }
        let path = workDirectory + ".inputs.json"
        var parent = workDirectory
        while let last = parent.last, last != "/" { parent.removeLast() }
        try RunEngine.makeDirectories(String(parent.dropLast()))
        try await values.writeResolved(inputs, to: path)
        return path
    }

    /// Outputs as the run row and `end` event carry them: spooled when large (async), then
    /// `finish`. Returns false when it finished synchronously is not possible (spooling started).
    func finishSucceeded(_ run: ActiveRun, outputs: JSON) {
        guard let values, outputs.serializedSizeExceeds(ValueLimits.inlineBytes) else {
            finish(run, status: .succeeded, outputs: outputs, error: nil)
            return
        }
        run.spoolingOutputs = true
        let runID = run.run.id
        Task { @KernelActor in
            let spooled: Result<JSON, Error>
            do { spooled = .success(try await values.spool(outputs, limit: .max)) } catch { spooled = .failure(error) }
            guard let run = self.active[runID] else { return }
            run.spoolingOutputs = false
            switch spooled {
            case .success(let v): self.finish(run, status: .succeeded, outputs: v, error: nil)
            case .failure(let e): self.finish(run, status: .failed, outputs: .null, error: "outputs: \(RunEngine.describe(e))")
            }
        }
    }
}
