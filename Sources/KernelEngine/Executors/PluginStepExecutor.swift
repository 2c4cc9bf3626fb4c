import Glibc
import KernelCore
import KernelLoop
import KernelPlugins
import KernelSandbox

/// Runs one component type through whichever executor plugin serves it when the
/// attempt starts, holding an `ExecutorLease` until the attempt is over.
///
/// * A table with `plan` runs as a sandboxed process (`ProcessStepRuntime`:
///   requirements venv, esbuild cache, service health, sandbox, `finish`).
/// * Otherwise `invoke` runs on a plugin thread of its own for the attempt (`InvokeThreads`, reused), with a
///   `StepInvocationBridge` for events, cancellation, queries and op calls. A plugin
///   that does not return within `abandonGraceMilliseconds` of a stop is abandoned:
///   the step ends (failed), its later events are dropped, and the thread keeps its
///   lease (the library stays loaded) until it finally returns.
@KernelActor
public final class PluginStepExecutor: StepExecutor {
    /// How long a stopped `invoke` may take to return before the step ends without it.
    public static let abandonGraceMilliseconds: UInt64 = 5_000

    public let types: [ComponentType]
    let host: PluginHost
    let runtime: ProcessStepRuntime
    let services: @KernelActor () -> PluginStepServices
    let threads: InvokeThreads

    init(type: ComponentType, host: PluginHost, runtime: ProcessStepRuntime, threads: InvokeThreads,
         services: @escaping @KernelActor () -> PluginStepServices) {
        types = [type]
        self.host = host
        self.runtime = runtime
        self.threads = threads
        self.services = services
    }

    public func run(_ invocation: StepInvocation, events: StepEventSink, cancellation: StepCancellation) async -> AttemptOutcome {
        guard let lease = host.executor(forType: invocation.type.rawValue) else {
            return .failed("no executor plugin serves component type '\(invocation.type.rawValue)'")
        }
        var inv = invocation
        // A template reading a value stored by reference sees the value (loaded up to its limit).
        let materialize = services().materialize
        let load: TemplateFields.Loader? = materialize.map { m in { ref in try await m(ref.json) } }
        switch await TemplateFields.resolve(inv.config, fields: lease.declaredTemplateFields, inputs: inv.inputs, load: load) {
        case .success(let config): inv.config = config
        case .failure(let f):
            lease.release()
            return .failed(f.message)
        }
        if lease.declaredExecution == .inProcess, lease.canInvoke {
            return await runInvoke(inv, lease: lease, events: events, cancellation: cancellation)
        }
        if lease.canPlan {
            defer { lease.release() }
            return await runProcess(inv, lease: lease, events: events, cancellation: cancellation)
        }
        if lease.canInvoke { return await runInvoke(inv, lease: lease, events: events, cancellation: cancellation) }
        lease.release()
        return .failed("executor plugin \(lease.plugin) can neither plan nor invoke here")
    }

    // MARK: plan / finish

    private func runProcess(_ inv: StepInvocation, lease: ExecutorLease, events: StepEventSink,
                            cancellation: StepCancellation) async -> AttemptOutcome {
        let artifactDir = inv.artifactDirectory
        let query = services().processQuery
        let onEvent: @KernelActor (StepEvent) -> Void = { e in
            if case .result(let v) = e { events.resultPreview(v); return }  // a service's {url}
            StepEventForwarding.forward(e, to: events, artifactDirectory: artifactDir)
        }
        var onQuery: (@KernelActor (StepQuery) async throws -> JSON)?
        if let query { onQuery = { request in try await query(inv, request) } }
        let step = runtime.start(executor: ExecutorPlanner(lease: lease), componentType: inv.type.rawValue, config: inv.config, inputs: inv.inputs,
                                 runId: inv.runID, stepId: inv.stepID, attempt: inv.attempt, inputsFile: inv.inputsFile,
                                 stagedFiles: inv.stagedFiles,
                                 owner: RunnerPool.Owner(componentID: inv.componentID, version: inv.componentVersion),
                                 onEvent: onEvent, onQuery: onQuery)
        var revoked: String?
        cancellation.onStop { [weak step] _ in step?.cancel() }
        lease.onRevoke { [weak step] why in
            revoked = why
            step?.cancel()
        }
        let c = await step.completed()
        if let revoked { return .failed(revoked) }
        switch c.result {
        case .success(let v):
            // A large result the step wrote to a file: the engine moves it into the blob store.
            // Named relative to the attempt's work dir: a warm runner's slot is moved there when the
            // attempt ends (`keepSlot`), so the file is read from `inv.workDirectory`.
            if v == .null, let rel = c.outcome?.resultFile { return .succeededWithFile(inv.workDirectory + "/" + rel) }
            return .succeeded(v)
        case .failure(let e):
            if c.outcome?.termination == .timedOut { return .timedOut("timed out (sandbox wall-clock limit)") }
            return .failed(e.message)
        }
    }

    // MARK: invoke

    private func runInvoke(_ inv: StepInvocation, lease: ExecutorLease, events: StepEventSink,
                           cancellation: StepCancellation) async -> AttemptOutcome {
        // A type declared MCPK_TYPE_NO_WORK_DIR gets none (its inputs are only in inputs_json).
        let needsWorkDirectory = lease.needsWorkDirectory
        if !needsWorkDirectory && !inv.stagedFiles.isEmpty {
            lease.release()
            return .failed("the step references artifacts (\(inv.stagedFiles.keys.sorted().joined(separator: ", "))) but its type '\(inv.type.rawValue)' "
                           + "declares no work directory (MCPK_TYPE_NO_WORK_DIR) to stage them in")
        }
        let services = self.services()
        // A value stored by reference reaches the plugin whole (its inputs.json is the resolved file).
        var inputs = inv.inputs
        if inputs.containsBlobReference, let materialize = services.materialize {
            do { inputs = try await materialize(inputs) } catch {
                lease.release()
                return .failed("inputs: " + ((error as? KernelError)?.message ?? "\(error)"))
            }
        }
        var secrets: JSON?
        if let resolve = services.secrets {
            do { secrets = try await resolve(inv) } catch {
                lease.release()
                return .failed("secrets: " + ((error as? KernelError)?.message ?? "\(error)"))
            }
        }
        var config = inv.config
        if let context = services.context {
            do {
                if let extra = try await context(inv), var o = config.objectValue {
                    for (k, v) in extra { o[k] = v }
                    config = .object(o)
                }
            } catch {
                lease.release()
                return .failed("context: " + ((error as? KernelError)?.message ?? "\(error)"))
            }
        }
        let step = ExecutorStep(componentType: inv.type.rawValue, config: config, inputs: inputs,
                              workDirectory: needsWorkDirectory ? inv.workDirectory : "", runId: inv.runID, stepId: inv.stepID, attempt: inv.attempt,
                              secrets: secrets, runtimeDirectory: runtime.sandbox.configuration.runtimeDirectory)
        let bridge = StepInvocationBridge(invocation: inv, events: events, services: services)
        let race = AttemptRace()
        let threads = self.threads
        let thread = threads.take()
        let plugin = lease.plugin
        var revoked: String?
        func stopped() {
            bridge.cancel()
            Task { @KernelActor in
                try? await Task.sleep(nanoseconds: PluginStepExecutor.abandonGraceMilliseconds * 1_000_000)
                guard !race.isFinished else { return }
                bridge.abandon()
                race.finish(.failed(revoked ?? "executor plugin \(plugin) did not stop within \(PluginStepExecutor.abandonGraceMilliseconds) ms of cancellation; the step was abandoned"))
            }
        }
        cancellation.onStop { _ in stopped() }
        lease.onRevoke { why in
            revoked = why
            stopped()
        }
        Task { @KernelActor in
            let result: Result<JSON, Error>
            // The work dir and its inputs.json are made on the invoke thread too (file system
            // work off the loop), before the plugin sees the step.
            let workDirectory = inv.workDirectory
            let inputsFile = inv.inputsFile
            let stagedFiles = inv.stagedFiles
            let inputsJSON = inputsFile == nil && needsWorkDirectory ? Array(inv.inputs.serialized().utf8) : []
            do {
                result = .success(try await thread.run {
                    if needsWorkDirectory {
                        try PluginStepExecutor.prepareWorkDirectory(workDirectory, inputs: inputsJSON, inputsFile: inputsFile,
                                                                    stagedFiles: stagedFiles)
                    }
                    return try lease.invoke(step, callbacks: bridge)
                })
            } catch { result = .failure(error) }
            threads.give(thread)
            lease.release()
            if let revoked { race.finish(.failed(revoked)); return }
            switch result {
            case .success(let v):
                race.finish(.succeeded(v))
            case .failure(let f as WorkDirectoryFailure):
                race.finish(.failed(f.message))
            case .failure(let f as PluginFailure):
                race.finish(f.status == .timeout ? .timedOut(f.message) : .failed(f.message))
            case .failure(let e as KernelError):
                race.finish(.failed("\(e)"))  // "unavailable: plugin host process was killed by signal 11 …"
            case .failure(let e):
                race.finish(.failed("\(e)"))
            }
        }
        return await race.outcome()
    }
}

extension PluginStepExecutor {
    /// The attempt's work dir and its `inputs.json` could not be made (the step fails with this).
    struct WorkDirectoryFailure: Error {
        let message: String
    }

    /// Makes the work dir (`mkdir -p`) and writes `inputs.json` into it — or moves the engine's
    /// resolved inputs file there (inputs holding stored values). Any thread.
    nonisolated static func prepareWorkDirectory(_ path: String, inputs: [UInt8], inputsFile: String? = nil,
                                                 stagedFiles: [String: String] = [:]) throws {
        do { try RunEngine.makeDirectories(path) } catch {
            throw WorkDirectoryFailure(message: "cannot prepare the work directory: \(error)")
        }
        if let problem = FileCopy.stage(stagedFiles, into: path, limit: EngineLimits.maxArtifactBytes) {
            throw WorkDirectoryFailure(message: "cannot stage a referenced artifact: \(problem)")
        }
        if let inputsFile {
            guard rename(inputsFile, path + "/inputs.json") == 0 else {
                throw WorkDirectoryFailure(message: "cannot move \(inputsFile) to \(path)/inputs.json: \(String(cString: strerror(errno)))")
            }
            return
        }
        guard ArtifactNames.writeFile(path + "/inputs.json", inputs) else {
            throw WorkDirectoryFailure(message: "cannot write \(path)/inputs.json")
        }
    }
}

/// The first of "the plugin returned" and "the grace after a stop ran out".
@KernelActor
final class AttemptRace {
    private var result: AttemptOutcome?
    private var waiter: CheckedContinuation<AttemptOutcome, Never>?

    var isFinished: Bool { result != nil }

    func finish(_ r: AttemptOutcome) {
        guard result == nil else { return }
        result = r
        waiter?.resume(returning: r)
        waiter = nil
    }

    func outcome() async -> AttemptOutcome {
        if let result { return result }
        return await withCheckedContinuation { waiter = $0 }
    }
}
