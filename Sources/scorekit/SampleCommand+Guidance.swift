import ArgumentParser
import Foundation
import ScoreKit

/// `scorekit sample`'s class labels and guidance: `--label`, `--labels`, `--guidance`,
/// `--guidance-interval`, `--classifier-guidance`.
struct ConditioningOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Draw every sample of this class (a conditional model's label, 0…labels−1; see `scorekit models`).")
    var label: String?

    @Option(help: "Labels cycled over the samples (0,1,2,…), or a file with one label per sample (.npy, or text: one per line).")
    var labels: String?

    @Option(parsing: .unconditional, help: "Classifier-free guidance weight w ≥ 0: D(x|c) + w·(D(x|c) − D(x|∅)); w = 0 is conditional only (diffusers' guidance_scale is 1 + w).")
    var guidance: String?

    @Option(name: .customLong("guidance-interval"), parsing: .unconditional, help: "Apply --guidance only for σ in LO:HI (elsewhere w = 0).")
    var guidanceInterval: String?

    @Option(name: .customLong("classifier-guidance"), parsing: .unconditional, help: "Classifier guidance weight w ≥ 0 with the model's noisy classifier: D(x) + w·σ²·∇log p(c|x,σ).")
    var classifierGuidance: String?

    /// What the options resolve to: the denoiser to sample (the model, or a guidance wrapper
    /// around it), the labels, and a record of both for the output.
    struct Resolved {
        let denoiser: any Denoiser
        let labels: SampleLabels?
        /// For `--json` and the file metadata (empty when unconditional).
        let record: [String: Any]
        /// One line for the text summary and the file metadata, nil when unconditional.
        let summary: String?
    }

    /// The options checked against `model` for a run of `total` samples: every refusal is one
    /// line naming the option and what it expects.
    func resolved(for model: LoadedModel, name: String, total: Int) throws -> Resolved {
        let asked = [label.map { _ in "--label" }, labels.map { _ in "--labels" }, guidance.map { _ in "--guidance" },
                     guidanceInterval.map { _ in "--guidance-interval" }, classifierGuidance.map { _ in "--classifier-guidance" }]
            .compactMap { $0 }
        guard let first = asked.first else { return Resolved(denoiser: model.denoiser, labels: nil, record: [:], summary: nil) }
        guard let base = model.denoiser as? any ConditionalDenoiser else {
            let conditional = BuiltinModels.all.filter { $0.kind == "exact" }.map(\.name)
            throw CLIError("\(first): model \(name) is not conditional (it takes no class labels); conditional models: "
                           + "\(conditional.joined(separator: ", ")), any Gaussian-mixture file (see `scorekit models`)")
        }
        if label != nil, labels != nil { throw CLIError("--label and --labels: give one of them") }
        let chosen = try label.map { SampleLabels.all(try Self.integer($0, option: "--label")) }
            ?? labels.map { try Self.labelList($0, total: total) }
        try check(chosen, for: base, name: name)
        let weight = try guidance.map { try Self.weight($0, option: "--guidance") }
        let interval = try guidanceInterval.map { try Self.interval($0) }
        let classifierWeight = try classifierGuidance.map { try Self.weight($0, option: "--classifier-guidance") }
        if chosen == nil, let flag = weight != nil ? "--guidance" : classifierWeight != nil ? "--classifier-guidance" : nil {
            throw CLIError("\(flag) needs labels (--label N or --labels …): guidance steers each sample towards its class")
        }
        if interval != nil, weight == nil { throw CLIError("--guidance-interval needs --guidance W") }
        if weight != nil, classifierWeight != nil { throw CLIError("--guidance and --classifier-guidance: give one of them") }
        var record: [String: Any] = ["labels": chosen!.description]
        var denoiser: any Denoiser = base
        if let weight {
            denoiser = try ClassifierFreeGuidance(base: base, weight: weight, interval: interval)
            record["guidance"] = weight
            if let interval { record["guidance_interval"] = [interval.lowerBound, interval.upperBound] }
        }
        if let classifierWeight {
            guard let classifier = model.noisyClassifier else {
                throw CLIError("--classifier-guidance: model \(name) has no noisy classifier; use --guidance (classifier-free) instead")
            }
            denoiser = try ClassifierGuidance(base: base, classifier: classifier, weight: classifierWeight)
            record["classifier_guidance"] = classifierWeight
        }
        return Resolved(denoiser: denoiser, labels: chosen, record: record, summary: Self.summary(record))
    }

    /// Refuses labels outside the model's range, naming the option.
    private func check(_ chosen: SampleLabels?, for model: any ConditionalDenoiser, name: String) throws {
        guard let chosen, let bad = chosen.values.first(where: { !(0..<model.labelCount).contains($0) }) else { return }
        let option = label != nil ? "--label" : "--labels"
        throw CLIError("\(option): label \(bad) is out of range for \(name): its labels are 0…\(model.labelCount - 1)")
    }

    /// "labels 0,1 (cycled), guidance w = 2 for σ in 0.5…5".
    private static func summary(_ record: [String: Any]) -> String {
        var text = "labels \(record["labels"]!)"
        if let w = record["guidance"] as? Double { text += ", classifier-free guidance w = \(w)" }
        if let i = record["guidance_interval"] as? [Double] { text += " for σ in \(i[0])…\(i[1])" }
        if let w = record["classifier_guidance"] as? Double { text += ", classifier guidance w = \(w)" }
        return text
    }

    /// A whole number, or a one-line refusal naming the option.
    static func integer(_ text: String, option: String) throws -> Int {
        guard let n = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw CLIError("\(option) '\(text)' is not a whole number; expected a class label such as 0")
        }
        return n
    }

    /// A finite weight ≥ 0.
    static func weight(_ text: String, option: String) throws -> Double {
        guard let w = Double(text), w.isFinite, w >= 0 else {
            throw CLIError("\(option) '\(text)': the weight must be a finite number ≥ 0 (0: no guidance)")
        }
        return w
    }

    /// `LO:HI` with 0 ≤ LO ≤ HI < ∞.
    static func interval(_ text: String) throws -> ClosedRange<Double> {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { Double($0) }
        guard parts.count == 2, let lo = parts[0], let hi = parts[1], lo.isFinite, hi.isFinite, lo >= 0 else {
            throw CLIError("--guidance-interval '\(text)': expected LO:HI, two noise levels 0 ≤ LO ≤ HI, e.g. 0.5:5")
        }
        guard lo <= hi else { throw CLIError("--guidance-interval \(text): LO must not exceed HI (give \(parts[1]!):\(parts[0]!)?)") }
        return lo...hi
    }

    /// `--labels`: a file of one label per sample (when a file of that name exists, or the
    /// text names a .npy/.txt/.csv file), else a comma-separated list cycled over the samples.
    static func labelList(_ text: String, total: Int) throws -> SampleLabels {
        let ext = URL(fileURLWithPath: text).pathExtension.lowercased()
        if FileManager.default.fileExists(atPath: text) || ["npy", "txt", "csv"].contains(ext) {
            let values = try labelFile(text)
            guard values.count == total else {
                throw CLIError("--labels \(text) has \(values.count) labels; --count is \(total) (one label per sample)")
            }
            return .perSample(values)
        }
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
        let values = items.map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !items.isEmpty, values.allSatisfy({ $0 != nil }) else {
            throw CLIError("--labels '\(text)': expected a comma-separated list of class labels (e.g. 0,1,2) or a file of labels")
        }
        return .cycled(values.map { $0! })
    }

    /// The labels in a .npy file (whole numbers stored as floats or ints) or a text file (one per line).
    private static func labelFile(_ path: String) throws -> [Int] {
        let url = URL(fileURLWithPath: path)
        if url.pathExtension.lowercased() == "npy" {
            let t: Tensor
            do { t = try ArrayFile.read(url) } catch { throw CLIError("--labels: \(error)") }
            return try t.scalars.enumerated().map { i, v in
                guard let n = Int(exactly: v) else { throw CLIError("--labels \(path): value \(i) is \(v), not a whole number") }
                return n
            }
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("--labels \(path): cannot read the file") }
        let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return try lines.enumerated().map { i, line in
            guard let n = Int(line) else { throw CLIError("--labels \(path): line \(i + 1) is '\(line.prefix(40))', not a whole number") }
            return n
        }
    }
}
