import ArgumentParser
import Foundation
import ScoreKit

/// `scorekit sample --trajectory FILE …`: a picture of the states the sampler passes through.
struct TrajectoryOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Also draw the trajectory of the first samples: .png (a strip of --frames states) or .apng (an animation).",
                               valueName: "file"))
    var trajectory: String?

    @Option(parsing: .unconditional, help: "States shown, evenly spaced over the steps, first and last included (default 10; .apng 40).")
    var frames: Int?

    @Flag(name: .customLong("trajectory-denoised"), help: "Add the sampler's estimate of the clean data at each state.")
    var denoised = false

    @Option(parsing: .unconditional, help: "Frames per second of an .apng (default 10).")
    var fps: Double?

    @Option(name: .customLong("trajectory-rows"), parsing: .unconditional,
            help: "Samples drawn: images (default 8) or 2-D points (default 1000); the first of the run.")
    var rows: Int?

    /// The most frames and rows a picture takes.
    static let mostFrames = 500, mostImageRows = 64, mostPoints = 100_000

    /// What the options ask for, checked against the model and the run's sample count.
    struct Plan {
        let url: URL
        let isAnimation: Bool
        let frames: Int
        let rows: Int
        let fps: Double
        let denoised: Bool
    }

    /// The checked plan, nil without --trajectory; one-line errors name the option.
    func validated(sampleShape: [Int], model: String, count: Int) throws -> Plan? {
        guard let trajectory else {
            let stray = [frames.map { _ in "--frames" }, fps.map { _ in "--fps" }, rows.map { _ in "--trajectory-rows" },
                         denoised ? "--trajectory-denoised" : nil].compactMap { $0 }
            if let first = stray.first { throw CLIError("\(first) needs --trajectory FILE (.png or .apng)") }
            return nil
        }
        let url = URL(fileURLWithPath: trajectory)
        let ext = url.pathExtension.lowercased()
        guard ["png", "apng"].contains(ext) else {
            throw CLIError("--trajectory \(trajectory): unknown extension '\(url.pathExtension)'; use .png (a strip) or .apng (an animation)")
        }
        let isImages = sampleShape.count >= 2
        guard isImages || sampleShape == [2] else {
            throw CLIError("--trajectory draws 2-D points or images; \(model) samples have shape \(sampleShape)")
        }
        let frames = self.frames ?? (ext == "apng" ? 40 : 10)
        guard (2...Self.mostFrames).contains(frames) else {
            throw CLIError("--frames must be 2…\(Self.mostFrames) (the first and last states at least), got \(frames)")
        }
        if let fps, !(AnimatedPNG.fpsRange.contains(fps)) || fps > 100 {
            throw CLIError("--fps must be in 0.01…100, got \(fps)")
        }
        if fps != nil, ext != "apng" { throw CLIError("--fps sets an animation's speed; --trajectory \(trajectory) is a still .png (use .apng)") }
        let most = isImages ? Self.mostImageRows : Self.mostPoints
        let rows = self.rows ?? min(count, isImages ? 8 : 1000)
        guard (1...most).contains(rows) else { throw CLIError("--trajectory-rows must be 1…\(most), got \(rows)") }
        guard rows <= count else { throw CLIError("--trajectory-rows \(rows) exceeds the \(count) samples drawn") }
        try AtomicFile.checkWritable(url)
        return Plan(url: url, isAnimation: ext == "apng", frames: frames, rows: rows, fps: fps ?? 10, denoised: denoised)
    }
}

extension TrajectoryOptions.Plan {
    /// Records the trajectory of samples `indices` and writes the picture; returns a note when
    /// fewer states exist than --frames asked for.
    func write(capture: TrajectoryCapture, indices: [Int], initialNoise: Tensor?, reference: Tensor?) throws -> String? {
        let recorded = try capture.record(indices: indices, initialNoise: initialNoise, frames: frames)
        let note = recorded.count < frames
            ? "note: --frames \(frames): the run has only \(recorded.count) states (steps + 1); the trajectory shows them all" : nil
        guard let kind = TrajectoryFigure.kind(sampleShape: capture.model.sampleShape, reference: reference,
                                               fallback: recorded.last?.x) else { return note }
        let figure = TrajectoryFigure(kind: kind)
        let caption = "\(capture.sampler.name): x/√(1+σ²)"
        let data = isAnimation
            ? AnimatedPNG.data(frames: figure.animation(recorded, denoised: denoised, caption: caption), fps: fps)
            : figure.strip(recorded, denoised: denoised, caption: caption).image().pngData(compressed: true)
        try AtomicFile.write(data, to: url)
        return note
    }
}
