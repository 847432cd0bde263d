import Foundation
import Testing
@testable import ScoreKitCore
@testable import ScoreKitCompare
import ScoreKit

/// Every public error type of the package: `localizedDescription` is its one-line message, not
/// Foundation's "The operation could not be completed". (This suite sits here because
/// ScoreKitCompare's tests see every module.)
@Suite("Errors read as sentences through localizedDescription")
struct LocalizedErrorTests {
    /// One instance of each case of each public error type whose message is its `description`.
    static let plain: [any Error] = [
        FileFormatError.cannotRead("a.npy", reason: "no such file"),
        FileFormatError.cannotWrite("a.npy", reason: "read-only"),
        FileFormatError.malformed("a.npy", reason: "bad header"),
        FileFormatError.unsupportedExtension("a.txt", valid: ["npy", "csv"]),
        ShapeProblem.entryTooSmall(shape: [-1, 2], index: 0, minimum: 1),
        ShapeProblem.tooLarge(shape: [65536, 65536, 65536, 65536], limit: 1 << 24),
        ShapeProblem.empty,
        JSONProblem(reason: "duplicate key 'a' at byte 7"),
        ReplayNoiseError.exhausted(after: 3),
        ReplayNoiseError.uniformNotRecorded,
        ReplayNoiseError.noDerivedStreams,
        BLASConfigurationError("unknown OpenBLAS kernel Foo"),
        SamplingError.nonFinite(sampler: "ddim", step: 3, sigma: 1.5, what: "state"),
        SamplingError.budgetExceeded(sampler: "rk45", budget: 20),
        SamplingError.invalidInput("noise has 3 rows, expected 4"),
        ShardMergeError("gap: samples 4..<8 are in no shard"),
        LabelError.unconditionalModel,
        LabelError.outOfRange(3, labelCount: 2),
        LabelError.wrongLength(2, needed: 4),
        LabelError.emptyList,
        GuidanceError.badWeight(-1, what: "classifier-free guidance"),
        GuidanceError.badInterval(-1, 2),
        GuidanceError.shapeMismatch(classifier: [64], model: [2]),
        SamplerSpecError.malformed("ddim:", reason: "empty key list"),
        SamplerSpecError.unknownSampler("hen", valid: ["ddim", "heun"]),
        SamplerSpecError.unknownKey(sampler: "ddim", key: "etaa", valid: ["eta", "steps"]),
        SamplerSpecError.duplicateKey(sampler: "ddim", key: "eta"),
        SamplerSpecError.badValue(sampler: "ddim", key: "eta", value: "x", expected: "a number"),
        SamplerSpecError.invalidCombination(sampler: "pc", reason: "snr needs correctors"),
        ModelLoadError.unknown("foo", builtins: ["gmm2d"]),
        ModelLoadError.unreadable("m.json"),
        ModelLoadError.malformed("m.json", reason: "no weights"),
        ModelLoadError.invalidFile("m.safetensors", reason: "is malformed: config version 0 is not a valid version"),
        ModelLoadError.unsupportedFile("m.txt", kinds: ["json"]),
        MissingResourceError(file: "digits.safetensors", bundle: ModelResources.bundleName, searched: ["/opt/x"]),
        MissingResourceError(file: "digits.csv", bundle: ModelResources.bundleName, searched: ["/opt/x"], bundleFound: true),
        TrainingError.unknownDataset("foo", valid: ["moons"]),
        TrainingError.cannotResume("different architecture"),
        DigitsDataError.missingResource,
        SamplerSpecError.overBudget(sampler: "ddim", detail: "steps=100 needs 100 NFE per sample", budget: 50),
        InvalidOptionValue(expected: "an integer in 1…10"),
        DigitsDataError.malformed("line 3"),
        Tutorial2DDataError.missingResource("scurve"),
        Tutorial2DDataError.malformed("circles", "line 3"),
        GaussianMixtureError.invalid("weights do not sum to 1"),
        NetworkConfigError.unknownArchitecture("foo", valid: ["mlp"]),
        LikelihoodError.invalidSetting("probes must be at least 1"),
        LikelihoodError.shapeMismatch(data: [3], model: [2]),
        LikelihoodError.nonFinite(row: 4, sigma: 2.5),
        LikelihoodError.stalled(row: 1, sigma: 0.01),
        NetworkConfigError.missing(architecture: "mlp", field: "width"),
        NetworkConfigError.invalid(architecture: "mlp", field: "width", value: "-1"),
        MetricError.labelCount(3, 4),
        MetricError.shapeMismatch(expected: [3, 2], samples: [4, 2]),
        ConditioningError.labelOutOfRange(11, labelCount: 10),
        { () -> any Error in
            do { _ = try NoiseSchedule(parsing: "karras:foo=1", steps: 2) } catch { return error }
            fatalError("the schedule 'karras:foo=1' was accepted")
        }(),
    ]

    /// Errors whose `description` names a flag of the tool, with the API sentence expected.
    static let worded: [(any Error, String)] = [
        (ShardError.bad("0/3", reason: "the shard number must be between 1 and 3"),
         "shard 0/3: the shard number must be between 1 and 3"),
        (ComparisonError.noSamplers, "no sampler specs; give at least one, e.g. \"ddim\" or \"ddpm:variance=large\""),
        (ComparisonError.badSampler("hen", reason: "unknown sampler 'hen'"), "sampler spec 'hen': unknown sampler 'hen'"),
        (ComparisonError.duplicateSampler("ddim:eta=0", resolved: "ddim"),
         "sampler spec 'ddim:eta=0' repeats an earlier sampler (both are ddim)"),
        (ComparisonError.noBudgets, "no NFE budgets; give positive budgets, e.g. 10, 20, 50, 100"),
        (ComparisonError.badBudget("10,x", reason: "'x' is not a whole number"),
         "NFE budgets 10,x: 'x' is not a whole number; give positive whole numbers, e.g. 10, 20, 50, 100"),
        (ComparisonError.badCount(1), "the sample count must be at least 2 (the metrics need two samples), got 1"),
        (ComparisonError.badBatch(0), "the batch size must be positive, got 0"),
        (ComparisonError.badThreads(0), "the thread count must be at least 1, got 0"),
        (ComparisonError.badTrajectoryFrames(1), "the trajectory figures' state count must be 0 (no figures) or 2…50, got 1"),
        (ComparisonError.badGuidance(2, reason: "gmm2d is not class-conditional"), "guidance weight 2.0: gmm2d is not class-conditional"),
        (ComparisonError.taskUnavailable("inpaint", model: "gmm2d", reason: "no images"), "task inpaint is not available for gmm2d: no images"),
        (ComparisonError.badReferenceSolver("rk4", reason: "unknown sampler 'rk4'"),
         "reference solver 'rk4': unknown sampler 'rk4' (or no reference solver)"),
        (ComparisonError.outputNotFolder("/tmp/f"),
         "output /tmp/f exists and is not a folder; give a folder (new or from an earlier run to resume)"),
        (ComparisonError.outputNotWritable("/tmp/f", reason: "permission denied"), "output /tmp/f: permission denied"),
        (ComparisonError.model("unknown model 'x'"), "model: unknown model 'x'"),
    ]

    @Test("localizedDescription is the description, word for word")
    func plainErrors() {
        for error in Self.plain {
            #expect(error.localizedDescription == String(describing: error), "\(type(of: error))")
            #expect(!error.localizedDescription.contains("operation could not be completed"))
        }
    }

    @Test("Errors whose description names a tool flag say the same thing without it")
    func wordedForTheAPI() {
        for (error, expected) in Self.worded {
            #expect(error.localizedDescription == expected)
            #expect(!error.localizedDescription.contains("--"), "\(error.localizedDescription)")
            #expect(String(describing: error).contains("--"), "the tool's description keeps its flag: \(error)")
        }
    }

    @Test("Every public error type declared in the package is covered above")
    func everyErrorTypeCovered() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let declaration = try Regex(#"public\s+(?:final\s+)?(?:enum|struct|class)\s+(\w+)\s*:[^{]*\bError\b"#)
        var declared = Set<String>()
        for folder in ["Sources", "Models", "Samplers"] {
            let files = FileManager.default.enumerator(at: root.appendingPathComponent(folder), includingPropertiesForKeys: nil)
            while let url = files?.nextObject() as? URL {
                guard url.pathExtension == "swift", let text = try? String(contentsOf: url, encoding: .utf8) else { continue }
                for match in text.matches(of: declaration) {
                    if let name = match.output[1].substring { declared.insert(String(name)) }
                }
            }
        }
        #expect(declared.count >= 14, "the scan found \(declared.sorted())")
        let covered = Set((Self.plain + Self.worded.map(\.0)).map { String(describing: type(of: $0)) })
        #expect(declared.subtracting(covered).isEmpty, "not covered: \(declared.subtracting(covered).sorted())")
    }
}
