import Glibc
import KernelLoop

/// What `StepProcess` drives: a cold step's own `Process` (the full sandbox chain
/// spawned for this attempt) or a `WarmProcess` (a fork of a warm runner). Both
/// deliver output per child fd, report exit, and finish only after exit AND EOF
/// on every output pipe.
@KernelActor
protocol StepProcessBackend: AnyObject {
    var pid: Int32 { get }
    var onOutput: ((Int, UnsafeRawBufferPointer) -> Void)? { get set }
    var onExit: ((Process.Exit) -> Void)? { get set }
    var onFinish: ((Process.Exit) -> Void)? { get set }
    /// Starts delivering output (callbacks are set first).
    func start()
    /// Signals the attempt's whole process group.
    @discardableResult func killGroup(_ signal: Int32) -> Bool
    /// Signals the attempt's main process.
    @discardableResult func kill(_ signal: Int32) -> Bool
    /// Writes to the step's answer descriptor (fd 4).
    func writeAnswer(_ text: String)
    /// The attempt hit its memory limit (a cold step's leaf is checked by `StepProcess` itself).
    func attemptMemoryLimitHit() -> Bool
    /// Where the attempt's files are once it finished (nil: the work dir it ran in).
    var keptWorkDirectory: String? { get }
    /// Why the attempt ended outside the step's control (its warm runner died), if it did.
    var failureNote: String? { get }
}

extension Process: StepProcessBackend {
    func writeAnswer(_ text: String) {
        _ = inputs[Int(SandboxLimits.answerFd)]?.write(text)
    }
    func attemptMemoryLimitHit() -> Bool { false }
    var keptWorkDirectory: String? { nil }
    var failureNote: String? { nil }
}
