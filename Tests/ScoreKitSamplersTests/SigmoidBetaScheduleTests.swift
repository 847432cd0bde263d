import Foundation
import Testing
import ScoreKit

/// `betas=sigmoid` with `beta_start`/`beta_end`: the table against numpy's closed form
/// (`scripts/fixtures_sigmoid_betas.py`) and the formula, the keys on every discrete table
/// (DDPM, DDIM, `schedule=discrete`), and the one-line errors for ranges that make no table.
@Suite("Sigmoid β schedule")
struct SigmoidBetaScheduleTests {
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let T: Int, beta_start: Double, beta_end: Double
        let betas: [Double], alphas_cumprod: [Double], sigmas: [Double]
        var testDescription: String { "T=\(T), \(beta_start)…\(beta_end)" }
    }
    struct File: Decodable, Sendable { let cases: [Case] }

    static let file = try! Fixtures.load("sigmoid_betas.json", as: File.self)

    static func worstRelative(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count)
        return zip(a, b).map { abs($0 - $1) / abs($1) }.max()!
    }

    @Test("β, ᾱ and σ match numpy's float64 closed form to 1e-12", arguments: file.cases)
    func matchesNumpy(_ c: Case) {
        let table = DiscreteVPSchedule(betas: .sigmoid, trainSteps: c.T, betaStart: c.beta_start, betaEnd: c.beta_end)
        #expect(Self.worstRelative(table.betas, c.betas) < 1e-12)
        #expect(Self.worstRelative(table.alphasCumprod, c.alphas_cumprod) < 1e-12)
        #expect(Self.worstRelative(table.sigmas, c.sigmas) < 1e-12)
    }

    /// The definition, written out here: β_t = σ(−6 + 12t/(T−1))·(end − start) + start.
    @Test("β follows the formula for any T", arguments: [2, 3, 37, 1000, 4096])
    func followsTheFormula(_ T: Int) {
        let (start, end) = (3e-4, 0.04)
        let table = DiscreteVPSchedule(betas: .sigmoid, trainSteps: T, betaStart: start, betaEnd: end)
        let expected = (0..<T).map { t in
            let x = -6 + 12 * Double(t) / Double(T - 1)
            return (end - start) / (1 + exp(-x)) + start
        }
        #expect(table.betas.count == T)
        #expect(Self.worstRelative(table.betas, expected) < 1e-12)
        // Symmetric about the middle: β_t + β_{T−1−t} = start + end.
        #expect(zip(table.betas, table.betas.reversed()).allSatisfy { abs($0 + $1 - start - end) < 1e-15 })
    }

    @Test("the tutorials' DDPM spec builds the numpy table and prints its keys")
    func tutorialSpec() throws {
        let spec = "ddpm:T=100,betas=sigmoid,beta_start=1e-5,beta_end=0.005"
        let ddpm = try #require(try SamplerCatalog.standard.sampler(spec) as? DDPM)
        let reference = try #require(Self.file.cases.first { $0.T == 100 })
        #expect(Self.worstRelative(ddpm.timesteps.schedule.betas, reference.betas) < 1e-12)
        #expect(ddpm.visited == Array((0..<100).reversed()), "auto steps walk the whole chain of T = 100")
        #expect(ddpm.spec == "ddpm:steps=auto,variance=small,clip=false,spacing=leading,betas=sigmoid,beta_start=1e-05,beta_end=0.005,T=100")
        #expect(try SamplerCatalog.standard.sampler(ddpm.spec) as? DDPM == ddpm)
    }

    @Test("beta_start/beta_end shape every discrete table", arguments: [
        "ddim:steps=10,betas=sigmoid,beta_start=0.001,beta_end=0.03",
        "dpm-solver++:steps=10,schedule=discrete,betas=sigmoid,beta_start=0.001,beta_end=0.03",
        "ddpm:betas=linear,beta_start=0.001,beta_end=0.03,T=200",
    ])
    func everyDiscreteTable(_ spec: String) throws {
        let sampler = try SamplerCatalog.standard.sampler(spec)
        let table: DiscreteTimesteps = try #require((sampler as? DDIM)?.timesteps ?? (sampler as? DDPM)?.timesteps
            ?? (sampler as? DPMSolverPlusPlus)?.schedule.table)
        #expect(table.betaStart == 0.001 && table.betaEnd == 0.03)
        #expect(table.schedule == DiscreteVPSchedule(betas: table.betas, trainSteps: table.trainSteps, betaStart: 0.001, betaEnd: 0.03))
        // Linear runs from start to end exactly; sigmoid from start + 0.25 % of the range to end − 0.25 %.
        let betas = table.schedule.betas, slack = 0.0025 * (0.03 - 0.001) * (1 + 1e-9)
        #expect(betas.first! >= 0.001 && betas.first! <= 0.001 + slack && betas.last! <= 0.03 && betas.last! >= 0.03 - slack)
        #expect(sampler.spec.contains("beta_start=0.001,beta_end=0.03"))
    }

    @Test("DDPM's own range stays out of linear specs, which read as before")
    func defaultLinearSpecUnchanged() throws {
        #expect(try SamplerCatalog.standard.sampler("ddim").spec == "ddim:steps=auto,eta=0,spacing=leading,betas=linear,T=1000")
        let explicit = try SamplerCatalog.standard.sampler("ddim:beta_start=0.0001,beta_end=0.02")
        #expect(explicit.spec == "ddim:steps=auto,eta=0,spacing=leading,betas=linear,T=1000")
        let table = try #require((explicit as? DDIM)?.timesteps.schedule)
        #expect(table == DiscreteVPSchedule())
    }

    @Test("ranges that make no table are one-line errors naming the valid range", arguments: [
        ("ddpm:T=100,betas=sigmoid,beta_start=0.005,beta_end=1e-5",
         "sampler 'ddpm': beta_start=0.005 must be below beta_end=1e-05 (0 < beta_start < beta_end < 1)"),
        ("ddim:betas=sigmoid,beta_start=0.02",
         "sampler 'ddim': beta_start=0.02 must be below beta_end=0.02 (0 < beta_start < beta_end < 1)"),
        ("ddpm:betas=sigmoid,beta_start=0", "sampler 'ddpm': beta_start=0 is invalid; expected a number in (0, 1)"),
        ("ddim:betas=sigmoid,beta_start=-1e-4", "sampler 'ddim': beta_start=-1e-4 is invalid; expected a number in (0, 1)"),
        ("ddpm:betas=linear,beta_end=1", "sampler 'ddpm': beta_end=1 is invalid; expected a number in (0, 1)"),
        ("ddpm:betas=sigmoid,beta_end=1.5", "sampler 'ddpm': beta_end=1.5 is invalid; expected a number in (0, 1)"),
        ("ddpm:betas=sigmoid,beta_end=nan", "sampler 'ddpm': beta_end=nan is invalid; expected a number in (0, 1)"),
        ("ddim:betas=cosine,beta_start=0.001",
         "sampler 'ddim': betas=cosine takes no beta_start/beta_end (linear and sigmoid do)"),
        ("heun:schedule=discrete,betas=sigmoid,beta_start=0.1,beta_end=0.01",
         "sampler 'heun': beta_start=0.1 must be below beta_end=0.01 (0 < beta_start < beta_end < 1)"),
    ])
    func invalidRanges(_ spec: String, _ message: String) {
        #expect(throws: (any Error).self) { try SamplerCatalog.standard.sampler(spec) }
        do {
            _ = try SamplerCatalog.standard.sampler(spec)
        } catch {
            #expect("\(error)" == message)
            #expect(!"\(error)".contains("\n"))
        }
    }

    /// `scorekit samplers` lists the keys for DDPM, DDIM and the σ-stepping samplers, with the
    /// valid range and DDPM's default range, marked where the default table (linear at
    /// 1e-4…0.02) does not print it.
    @Test("scorekit samplers lists beta_start/beta_end with their range", arguments: ["ddpm", "ddim", "heun", "dpm-solver++"])
    func listed(_ name: String) throws {
        let d = try #require(SamplerCatalog.standard.descriptions.first { $0.name == name })
        let keys = d.options.map(\.key)
        let betas = try #require(keys.firstIndex(of: "betas"))
        #expect(Array(keys[betas...].prefix(3)) == ["betas", "beta_start", "beta_end"])
        let start = try #require(d.options.first { $0.key == "beta_start" })
        let end = try #require(d.options.first { $0.key == "beta_end" })
        #expect(start.values == "a number in (0, 1)" && end.values == "a number in (0, 1)")
        #expect(start.defaultValue == "0.0001 (where it applies)" && end.defaultValue == "0.02 (where it applies)")
        #expect(d.options.first { $0.key == "betas" }?.values == "linear|cosine|sigmoid")
    }
}
