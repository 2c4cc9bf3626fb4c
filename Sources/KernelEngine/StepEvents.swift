import KernelCore
import KernelLoop

/// The engine's `StepEventSink`: every report of a running attempt becomes a run event.
@KernelActor
final class StepEvents: StepEventSink {
    let journal: RunJournal
    let runID: EntityID
    let stepID: String
    /// The secrets the attempt uses: masked in every report.
    let redactor: SecretRedactor
    private var open = true

    init(journal: RunJournal, runID: EntityID, stepID: String, redactor: SecretRedactor = SecretRedactor([])) {
        self.journal = journal
        self.runID = runID
        self.stepID = stepID
        self.redactor = redactor
    }

    /// After the attempt returned, late reports are dropped.
    func close() { open = false }

    func log(_ line: String, stream: String) {
        guard open else { return }
        journal.emit(runID, .log, step: stepID, ["stream": .string(stream), "line": .string(redactor.redact(line))])
    }

    func progress(_ fraction: Double?, message: String?) {
        guard open else { return }
        var o = JSONObject()
        if let fraction { o["fraction"] = .double(max(0, min(1, fraction))) }
        if let message { o["message"] = .string(redactor.redact(message)) }
        journal.emit(runID, .progress, step: stepID, .object(o))
    }

    func resultPreview(_ value: JSON) {
        guard open else { return }
        // Events never embed a large value: a preview above the inline limit is replaced by a
        // visible note (the final result itself is stored by reference).
        guard !value.serializedSizeExceeds(ValueLimits.inlineBytes) else {
            journal.emit(runID, .log, step: stepID, ["stream": "kernel", "line": .string(
                "result preview over \(ValueLimits.inlineBytes) bytes (ValueLimits.inlineBytes) not kept as an event; "
                    + "the result is stored by reference")])
            return
        }
        journal.emit(runID, .resultPreview, step: stepID, ["value": redactor.redact(value)])
    }

    func artifact(name: String, path: String, mime: String) {
        guard open else { return }
        journal.emit(runID, .artifact, step: stepID, ["name": .string(name), "path": .string(path), "mime": .string(mime)])
    }
}
