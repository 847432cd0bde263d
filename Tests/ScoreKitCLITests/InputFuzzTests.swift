import Foundation
import ScoreKitTestSupport
import Testing

/// Mutated model files through the real `scorekit` binary, each run a separate process so a
/// trap shows as a signal: config-field mutants of every shipped checkpoint and mutants of
/// mixture specs, each sampled with an ODE sampler (euler) and with DLG (which reads the
/// classifier). No run may trap or time out; each ends with rc 0, or with rc ≠ 0 and one
/// `Error:` line on stderr.
///
/// `make test` runs a sample (300 + 100 inputs, about 40 s on two cores). The full run, 5,000 config-field and 1,000
/// mixture-spec mutants: `SCOREKIT_TEST_FULL=1 swift test -c release -Xswiftc -enable-testing
/// --filter InputFuzzTests` (or `make fuzz`); `SCOREKIT_TEST_SEED` changes the mutants.
@Suite("scorekit input fuzzing", .serialized, .tags(.statistical), .statistical)
struct InputFuzzTests {
    static let full = TestSettings.full
    static let seed = TestSettings.seed(default: 20_251_130)
    static let runner = FuzzRunner(runs: [
        ["--sampler", "euler", "--count", "2", "--nfe", "12", "--threads", "1"],
        ["--sampler", "dlg:skip=4", "--count", "2", "--nfe", "12", "--threads", "1"],
    ])

    static func check(_ report: FuzzRunner.Report, _ what: String) {
        print("\(what): \(report)")
        #expect(report.traps.isEmpty, "traps: \(report.traps.prefix(5))")
        #expect(report.timeouts.isEmpty, "timeouts: \(report.timeouts.prefix(5))")
        #expect(report.badMessages.isEmpty, "messages: \(report.badMessages.prefix(5))")
        #expect(report.succeeded > 0 && report.refused > 0)
    }

    @Test("config-field mutants of every shipped checkpoint: no trap, no timeout, one-line errors")
    func configFields() throws {
        let files = try ModelFiles.shippedNames.map { try ModelFiles.shipped($0) }
        let configs = try files.map { try ModelFiles.config(of: $0) }
        let folder = try CLI.temporaryFolder()
        let count = Self.full ? 5000 : 300, seed = Self.seed
        let report = Self.runner.run(count: count, in: folder) { i in
            let which = i % files.count
            let config = try JSONSerialization.jsonObject(with: Data(configs[which].utf8))
            let (text, note) = FieldMutator.mutant(of: config, seed: seed, index: i, shapeKeys: ["sample_shape", "channels"])
            return .init(name: "c\(i).safetensors", data: try ModelFiles.replacingConfig(files[which], with: text),
                         note: "\(ModelFiles.shippedNames[which]): \(note)")
        }
        Self.check(report, "config-field fuzz")
    }

    /// Specs to mutate: 2-D, a ring, a shaped 3-D one, per-dimension stds in 4-D, and 100
    /// components sharing one variance (the posterior's radial path).
    static let mixtureSpecs: [String] = [
        ModelFiles.mixture(),
        #"{"kind":"gaussian-mixture","weights":[1,1,1,1,1,1,1,1],"means":[[5,0],[3.5,3.5],[0,5],[-3.5,3.5],[-5,0],[-3.5,-3.5],[0,-5],[3.5,-3.5]],"stds":[[0.5,0.5],[0.5,0.5],[0.5,0.5],[0.5,0.5],[0.5,0.5],[0.5,0.5],[0.5,0.5],[0.5,0.5]]}"#,
        #"{"kind":"gaussian-mixture","weights":[2,1],"means":[[0,1,2],[2,1,0]],"stds":[[1,1,1],[0.3,0.3,0.3]],"shape":[1,3]}"#,
        #"{"kind":"gaussian-mixture","weights":[1,2,3],"means":[[0,0,0,0],[1,2,3,4],[-4,0,4,1]],"stds":[[0.5,1,1.5,2],[1,1,1,1],[2,0.1,0.2,0.3]]}"#,
        #"{"kind":"gaussian-mixture","weights":[\#((0..<100).map { "\(1 + $0 % 4)" }.joined(separator: ","))],"means":[\#((0..<100).map { "[\(Double($0 % 10) - 4.5),\(Double($0 / 10) - 4.5)]" }.joined(separator: ","))],"stds":[\#(Array(repeating: "[0.4,0.4]", count: 100).joined(separator: ","))]}"#,
    ]

    @Test("mixture-spec mutants: no trap, no timeout, one-line errors")
    func mixtureSpecs() throws {
        let specs = Self.mixtureSpecs
        let folder = try CLI.temporaryFolder()
        let count = Self.full ? 1000 : 100, seed = Self.seed &+ 1
        let report = Self.runner.run(count: count, in: folder) { i in
            let which = i % specs.count
            let spec = try JSONSerialization.jsonObject(with: Data(specs[which].utf8))
            let (text, note) = FieldMutator.mutant(of: spec, seed: seed, index: i, shapeKeys: ["shape", "weights"])
            return .init(name: "m\(i).json", data: Data(text.utf8), note: "spec \(which): \(note)")
        }
        Self.check(report, "mixture-spec fuzz")
    }
}
