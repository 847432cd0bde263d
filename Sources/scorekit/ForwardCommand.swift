import ArgumentParser
import Foundation
import ScoreKit

/// `scorekit forward`: pictures of the forward (noising) process on a model's data.
struct ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Draw the forward process q(x_σ | x0) on a model's data at a schedule's noise levels.",
        discussion: """
            Takes --count data samples (exact draws for Gaussian mixtures, the data set for trained \
            models), adds one standard-normal z per sample at the --frames − 1 noise levels of \
            --schedule (the clean data first), and writes a strip (.png) or an animation (.apng). \
            Variance-preserving schedules (vp, discrete) show x = √ᾱ·x0 + √(1−ᾱ)·z with \
            ᾱ = 1/(1+σ²); the others x = x0 + σ·z, on the data's axes (large σ leaves the view; \
            --view scaled shows x/√(1+σ²) instead). 2-D models give scatter plots, image models \
            a column of samples per noise level.
            """)

    @Option(help: "A built-in model (see `scorekit models`) or a model file.")
    var model = "gmm2d"

    @Option(help: "Output picture: .png (a strip) or .apng (an animation).")
    var out: String

    @Option(parsing: .unconditional, help: "Pictures: the clean data, then frames − 1 noise levels (default 8; .apng 40).")
    var frames: Int?

    @Option(help: "The noise schedule as the samplers' schedule key: KIND[:key=value,…], e.g. discrete:betas=cosine, karras:rho=7, ve.")
    var schedule = "discrete"

    @Option(parsing: .unconditional, help: "Data samples drawn (default 1000 points, or 8 images).")
    var count: Int?

    @Option(parsing: .unconditional, help: "The seed of the data draw and the noise: 0…2⁶⁴−1.", transform: SeedArgument.parse)
    var seed: UInt64 = 0

    @Option(help: "scaled (x/√(1+σ²), the VP state) or raw (x0 + σ·z); default: scaled for vp and discrete, raw otherwise.")
    var view: String?

    @Option(parsing: .unconditional, help: "Frames per second of an .apng (default 10).")
    var fps: Double?

    func run() throws {
        do { try execute() } catch let error as CLIError { throw error } catch { throw CLIError(String(describing: error)) }
    }

    private func execute() throws {
        let url = URL(fileURLWithPath: out)
        let ext = url.pathExtension.lowercased()
        guard ["png", "apng"].contains(ext) else {
            throw CLIError("--out \(out): unknown extension '\(url.pathExtension)'; use .png (a strip) or .apng (an animation)")
        }
        let frames = self.frames ?? (ext == "apng" ? 40 : 8)
        guard (2...TrajectoryOptions.mostFrames).contains(frames) else {
            throw CLIError("--frames must be 2…\(TrajectoryOptions.mostFrames) (the clean data and one noise level at least), got \(frames)")
        }
        if let fps, !(0.01...100).contains(fps) { throw CLIError("--fps must be in 0.01…100, got \(fps)") }
        if fps != nil, ext != "apng" { throw CLIError("--fps sets an animation's speed; --out \(out) is a still .png (use .apng)") }
        let chosenView = try view.map { text in
            guard let v = TrajectoryFigure.View(rawValue: text) else { throw CLIError("--view must be scaled or raw, got '\(text)'") }
            return v
        }
        let parsed: NoiseSchedule
        do { parsed = try NoiseSchedule(parsing: schedule, steps: frames - 1) } catch let error as NoiseScheduleError {
            throw CLIError("--schedule \(schedule): \(error.reason)")
        }
        try ModelArgument.check(model)
        try AtomicFile.checkWritable(url)
        let loaded = try ModelLoader.load(model)
        let shape = loaded.denoiser.sampleShape
        guard shape.count >= 2 || shape == [2] else {
            throw CLIError("forward draws 2-D points or images; \(model) samples have shape \(shape)")
        }
        guard let data = loaded.referenceData else { throw CLIError("--model \(model) has no data to noise") }
        let n = count ?? (shape.count >= 2 ? 8 : 1000)
        let most = shape.count >= 2 ? TrajectoryOptions.mostImageRows : TrajectoryOptions.mostPoints
        guard (1...most).contains(n) else { throw CLIError("--count must be 1…\(most), got \(n)") }
        let x0 = try data.draw(count: n, seed: seed, firstIndex: 0)
        let z = try PhiloxNoise(seed: seed, stream: RandomStreamID.samplerNoise, sampleIndices: Array(0..<n))
            .normal(rows: nil, shape: shape)
        let resolved = parsed.resolved(modelRange: loaded.denoiser.sigmaRange)
        let sigmas = resolved.sampleSigmas(steps: frames - 1, modelRange: loaded.denoiser.sigmaRange).reversed()
        let recorded = ForwardProcess.frames(data: x0, noise: z, sigmas: Array(sigmas))
        let vp = resolved.isVariancePreserving
        let figure = TrajectoryFigure(kind: TrajectoryFigure.kind(sampleShape: shape, reference: x0)!,
                                      view: chosenView ?? (vp ? .scaled : .raw))
        let titles = recorded.map { Self.title(sigma: $0.sigma, vp: vp) }
        let formula = figure.view == .scaled ? "x = √ᾱ·x0 + √(1−ᾱ)·z, ᾱ = 1/(1+σ²)" : "x = x0 + σ·z"
        let caption = "q(x|x0) \(resolved.specText): \(formula)"
        let picture = ext == "apng"
            ? AnimatedPNG.data(frames: figure.animation(recorded, denoised: false, caption: caption, titles: titles), fps: fps ?? 10)
            : figure.strip(recorded, denoised: false, caption: caption, titles: titles).image().pngData(compressed: true)
        try AtomicFile.write(picture, to: url)
        print("forward     \(resolved.specText), \(recorded.count) frames (σ = 0 … \(String(format: "%.4g", sigmas.last ?? 0))), "
              + "\(n) samples of \(model) → \(url.path) (\(picture.count) bytes)")
    }

    /// `σ=…`, with `ᾱ=…` for a variance-preserving schedule.
    static func title(sigma: Double, vp: Bool) -> String {
        let s = "σ=" + String(format: "%.3g", sigma)
        return vp ? s + " ᾱ=" + String(format: "%.3g", ForwardProcess.alphaBar(sigma: sigma)) : s
    }
}
