import ArgumentParser
import Foundation
import ScoreKit

/// `scorekit train`: train a denoiser and its noise-level classifier into one checkpoint.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a denoiser and its noise-level classifier on a data set into one checkpoint.",
        discussion: """
            The checkpoint (safetensors, config JSON in __metadata__) is rewritten atomically every \
            --checkpoint-every seconds and at the end, with the optimiser state, so a killed run \
            continues with --resume FILE. Training is deterministic for a seed. digits also trains \
            the digit classifier; digits-cond (class-conditional, label dropout 0.1) trains it and a \
            noise-aware label classifier for classifier guidance. Use the file with `scorekit sample --model FILE`.
            """)

    @Option(help: "The data set: \(TrainingData.names.joined(separator: ", ")).")
    var data: String?

    @Option(parsing: .unconditional, help: "Denoiser training steps (default: the data set's recipe).")
    var steps: Int?

    @Option(name: .customLong("classifier-steps"), parsing: .unconditional, help: "Noise-level classifier steps.")
    var classifierSteps: Int?

    @Option(name: .customLong("label-steps"), parsing: .unconditional, help: "Digit classifier steps (digits only).")
    var labelSteps: Int?

    @Option(name: .customLong("noisy-label-steps"), parsing: .unconditional,
            help: "Noise-aware label classifier steps (digits-cond only).")
    var noisyLabelSteps: Int?

    @Option(parsing: .unconditional, help: "The training seed: 0…2⁶⁴−1.", transform: SeedArgument.parse)
    var seed: UInt64 = 0

    @Option(help: "Continue the run saved in this checkpoint.")
    var resume: String?

    @Option(help: "The checkpoint to write (.safetensors; default with --resume: the same file).")
    var out: String?

    @Option(name: .customLong("checkpoint-every"), parsing: .unconditional, help: "Seconds between checkpoints.")
    var checkpointEvery: Double = 60

    @Flag(name: .customLong("weights-only"), help: "Write only the sampling weights at the end (smaller; cannot be resumed).")
    var weightsOnly = false

    @Flag(help: "Write the final weights as float16: half the size (implies --weights-only; how the shipped models are stored).")
    var half = false

    func run() throws {
        ProcessTuning.apply()
        do { try execute() } catch let error as CLIError { throw error } catch { throw CLIError(String(describing: error)) }
    }

    private func execute() throws {
        guard let path = out ?? resume else { throw CLIError("--out FILE is required (a .safetensors checkpoint)") }
        let url = URL(fileURLWithPath: path)
        guard url.pathExtension.lowercased() == "safetensors" else { throw CLIError("--out \(path): a checkpoint is a .safetensors file") }
        try AtomicFile.checkWritable(url)
        for (name, value) in [("--steps", steps), ("--classifier-steps", classifierSteps), ("--label-steps", labelSteps),
                              ("--noisy-label-steps", noisyLabelSteps)] {
            if let value, value < 1 {
                throw CLIError("\(name) must be at least 1, got \(value): a network trained for no steps is left at its random start")
            }
        }
        guard checkpointEvery > 0 else { throw CLIError("--checkpoint-every must be positive, got \(checkpointEvery)") }

        var run: TrainingRun
        if let resume {
            if data != nil { throw CLIError("--data comes from the checkpoint when resuming; leave it out") }
            run = try TrainingRun(resuming: try Checkpoint.read(URL(fileURLWithPath: resume)))
        } else {
            guard let data else { throw CLIError("--data is required: one of \(TrainingData.names.joined(separator: ", "))") }
            run = try TrainingRun(recipe: try TrainingRecipe.named(data, seed: seed))
        }
        try apply(to: &run, writing: url)
        try train(&run, to: url)
    }

    /// Sets the step counts given, refusing requests that would do nothing: --label-steps for
    /// a data set without a label classifier, fewer steps than a resumed checkpoint has done,
    /// or resuming a finished run into the same file in the same form.
    private func apply(to run: inout TrainingRun, writing url: URL) throws {
        if labelSteps != nil, run.config.labelClassifier == nil {
            throw CLIError("--label-steps applies only to data sets with a label classifier (digits); \(run.data.name) has none")
        }
        if noisyLabelSteps != nil, run.config.noisyLabelClassifier == nil {
            throw CLIError("--noisy-label-steps applies only to data sets with a noise-aware label classifier (digits-cond); \(run.data.name) has none")
        }
        let record = run.config.training!
        for (name, value, done, part) in [("--steps", steps, record.denoiserSteps, "denoiser"),
                                          ("--classifier-steps", classifierSteps, record.classifierSteps, "classifier"),
                                          ("--label-steps", labelSteps, record.labelSteps, "label-classifier"),
                                          ("--noisy-label-steps", noisyLabelSteps, record.noisyLabelSteps ?? 0, "noisy-label-classifier")] {
            if let value, value < done {
                throw CLIError("\(name) \(value) is below the \(done) \(part) steps \(resume ?? "the checkpoint") has done; give more to train further")
            }
        }
        if let steps { run.settings.steps = steps }
        if let classifierSteps { run.settings.classifierSteps = classifierSteps }
        if let labelSteps { run.settings.labelSteps = labelSteps }
        if let noisyLabelSteps { run.settings.noisyLabelSteps = noisyLabelSteps }
        if let resume, run.isFinished, !(weightsOnly || half), URL(fileURLWithPath: resume).standardizedFileURL == url.standardizedFileURL {
            throw CLIError("--resume \(resume) has finished all \(run.stepsDone) of its steps; nothing to train: "
                           + "raise --steps or --classifier-steps (or write a --half/--weights-only copy to another --out)")
        }
    }

    private func train(_ run: inout TrainingRun, to url: URL) throws {
        let bar = TerminalProgress(label: "train \(run.data.name)")
        let start = Date(), startSteps = run.stepsDone
        var lastSave = Date(), segmentStart = Date()
        var smoothed: [String: Double] = [:]
        while !run.isFinished {
            let (phase, loss) = run.step()
            smoothed[phase] = smoothed[phase].map { 0.98 * $0 + 0.02 * loss } ?? loss
            let elapsed = Date().timeIntervalSince(start)
            let rate = Double(run.stepsDone - startSteps) / max(elapsed, 1e-9)
            let eta = Double(run.totalSteps - run.stepsDone) / max(rate, 1e-9)
            bar.update(Double(run.stepsDone) / Double(run.totalSteps),
                       detail: String(format: "%@ loss %.4f  %.0f steps/s", phase, smoothed[phase]!, rate), secondsRemaining: eta)
            if Date().timeIntervalSince(lastSave) >= checkpointEvery {
                run.addSeconds(Date().timeIntervalSince(segmentStart))
                segmentStart = Date()
                try run.checkpoint().write(to: url)
                lastSave = Date()
            }
        }
        run.addSeconds(Date().timeIntervalSince(segmentStart))
        try run.checkpoint(weightsOnly: weightsOnly || half).write(to: url, dtype: half ? .F16 : .F32)
        bar.finish()
        let record = run.config.training!
        print("trained \(run.data.name): \(record.denoiserSteps) denoiser, \(record.classifierSteps) classifier"
              + (record.labelSteps > 0 ? ", \(record.labelSteps) label-classifier" : "")
              + ((record.noisyLabelSteps ?? 0) > 0 ? ", \(record.noisyLabelSteps!) noisy-label-classifier" : "") + " steps")
        print(String(format: "losses      %@", smoothed.sorted { $0.key < $1.key }.map { String(format: "%@ %.4f", $0.key, $0.value) }.joined(separator: ", ")))
        print(String(format: "time        %.1f s this run, %.1f s in total", Date().timeIntervalSince(start), record.seconds))
        print("checkpoint  \(url.path)" + (half ? " (float16 weights only)" : weightsOnly ? " (weights only)" : " (resumable)"))
    }
}
