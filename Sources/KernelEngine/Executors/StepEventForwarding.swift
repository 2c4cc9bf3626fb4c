import KernelCore
import KernelLoop
import KernelSandbox

/// Sandbox step events → run events, for every process-based executor.
@KernelActor
public enum StepEventForwarding {
    /// Artifacts are copied from the work dir into the run's artifact dir.
    public static func forward(_ e: StepEvent, to sink: StepEventSink, artifactDirectory: String) {
        switch e {
        case .log(let stream, let line): sink.log(line, stream: stream)
        case .progress(let f, let m): sink.progress(f, message: m)
        case .resultPreview(let v): sink.resultPreview(v)
        case .result: break  // the final result comes with the outcome
        case .artifact(let a): keepArtifact(name: a.name, path: a.path, mime: a.mime, to: sink, artifactDirectory: artifactDirectory)
        case .truncated(let stream):
            if stream == "channel" {
                sink.log("channel truncated after \(SandboxLimits.maxChannelBytes) bytes (SandboxLimits.maxChannelBytes); later messages were dropped",
                         stream: "kernel")
            } else {
                sink.log("\(stream) log truncated after \(SandboxLimits.maxLogBytes) bytes (stdout+stderr cap, SandboxLimits.maxLogBytes); "
                         + "the rest was dropped", stream: "kernel")
            }
        case .error: break  // carried by the outcome
        }
    }

    /// Copies `path` into `<artifactDirectory>/<name>` (streamed, at most
    /// `EngineLimits.maxArtifactBytes`) and reports it, or logs why not and returns false.
    @discardableResult
    public static func keepArtifact(name: String, path: String, mime: String, to sink: StepEventSink, artifactDirectory: String) -> Bool {
        guard ArtifactNames.isValid(name) else {
            sink.log("artifact '\(name)' could not be kept: not a plain file name", stream: "kernel")
            return false
        }
        if let problem = FileCopy.copy(path, to: artifactDirectory + "/" + name, limit: EngineLimits.maxArtifactBytes) {
            sink.log("artifact '\(name)' could not be kept: \(problem)", stream: "kernel")
            return false
        }
        sink.artifact(name: name, path: artifactDirectory + "/" + name, mime: mime)
        return true
    }
}
