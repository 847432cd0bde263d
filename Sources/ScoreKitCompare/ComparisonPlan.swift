import Foundation
import ScoreKitCore
import ScoreKitModels
import ScoreKitSamplers

/// What a comparison runs: one model, several samplers, several NFE budgets, `count` samples
/// per (sampler, budget) cell from the same seed and initial noise, written to one folder.
/// `scorekit compare` builds one from its options; library users fill it in directly.
public struct ComparisonPlan: Sendable {
    /// The NFE budgets when none are given.
    public static let defaultBudgets = [10, 20, 50, 100]
    /// Samples per cell when not given.
    public static let defaultCount = 2000
    /// The tight-tolerance ODE solver whose output from the same noise is the reference
    /// solution for deterministic samplers (used when the catalog has it).
    public static let defaultReferenceSolver = "rk45:rtol=1e-7,atol=1e-7"

    /// A built-in model name or a model file (see `ModelLoader`).
    public var model: String
    /// Sampler specs, in the order of the report's rows.
    public var samplers: [String]
    /// NFE budgets, ascending (the report's columns).
    public var budgets: [Int]
    /// Samples per cell.
    public var count: Int
    /// The run seed: initial noise, sampler noise, reference draws and metric projections.
    public var seed: UInt64
    /// The output folder (created if missing; reused to resume).
    public var output: URL
    /// The reference solver spec, or nil for no reference-solution distance.
    public var referenceSolver: String?
    /// Samples per batch (does not change results).
    public var batchSize: Int
    /// Worker threads per sampling job (does not change results); every active core by default.
    public var threads: Int
    /// Run only this shard's cells (cell j belongs to shard `j mod N + 1`) and write no report:
    /// shards share one output folder, and a run without a shard assembles the report.
    public var shard: Shard?
    /// States per sampler in the side-by-side trajectory figures (one per budget, 2-D and image
    /// models); 0 for none.
    public var trajectoryFrames: Int
    /// What each cell does: generate (class-conditional on a class-conditional model), or
    /// inpaint held-out data.
    public var task: ComparisonTask = .generate
    /// Classifier-free guidance weight for a class-conditional model (`D(x|c) + w·(D(x|c) −
    /// D(x|∅))`; nil or 0: the conditional estimate alone).
    public var guidance: Double? = nil
    /// Sample a class-conditional model without labels (its ∅ estimate).
    public var unconditional = false

    /// The states per row of the trajectory figures when not given.
    public static let defaultTrajectoryFrames = 6

    /// A plan; empty `samplers` and `budgets` mean the defaults.
    public init(model: String, samplers: [String] = [], budgets: [Int] = [], count: Int = ComparisonPlan.defaultCount,
                seed: UInt64 = 0, output: URL, referenceSolver: String? = ComparisonPlan.defaultReferenceSolver,
                batchSize: Int = 10_000, threads: Int = ActiveCores.count, shard: Shard? = nil,
                trajectoryFrames: Int = ComparisonPlan.defaultTrajectoryFrames) {
        self.model = model
        self.samplers = samplers
        self.budgets = budgets
        self.count = count
        self.seed = seed
        self.output = output
        self.referenceSolver = referenceSolver
        self.batchSize = batchSize
        self.threads = threads
        self.shard = shard
        self.trajectoryFrames = trajectoryFrames
    }

    /// The samplers compared when none are given: every one `catalog` registers, in its order.
    public static func defaultSamplers(in catalog: SamplerCatalog) -> [String] { catalog.names }

    /// Splits `"SPEC;SPEC;…"` (specs contain commas, so `;` separates them). Blank entries are
    /// ignored; a list with none left is an error.
    public static func parseSamplerList(_ text: String) throws -> [String] {
        let specs = text.split(separator: ";", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !specs.isEmpty else { throw ComparisonError.noSamplers }
        return specs
    }

    /// Parses `"10,20,50"` into positive budgets, ascending, each at most once.
    public static func parseBudgets(_ text: String) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !(parts.count == 1 && parts[0].isEmpty) else { throw ComparisonError.noBudgets }
        let budgets = try parts.map { part -> Int in
            guard !part.isEmpty else { throw ComparisonError.badBudget(text, reason: "an empty entry") }
            guard let n = Int(part) else { throw ComparisonError.badBudget(text, reason: "'\(part)' is not a whole number") }
            return n
        }
        return try validatedBudgets(budgets)
    }

    /// The budgets sorted ascending; throws for an empty list, a non-positive or repeated budget.
    static func validatedBudgets(_ budgets: [Int]) throws -> [Int] {
        guard !budgets.isEmpty else { throw ComparisonError.noBudgets }
        if let bad = budgets.first(where: { $0 <= 0 }) {
            throw ComparisonError.badBudget(budgets.map(String.init).joined(separator: ","), reason: "\(bad) is not positive")
        }
        var seen = Set<Int>()
        for b in budgets where !seen.insert(b).inserted {
            throw ComparisonError.badBudget(budgets.map(String.init).joined(separator: ","), reason: "\(b) is given twice")
        }
        return budgets.sorted()
    }
}

/// Bad input to a comparison, found before any work starts.
public enum ComparisonError: Error, Equatable, CustomStringConvertible {
    /// No sampler specs.
    case noSamplers
    /// A spec that does not resolve (unknown name or key, bad value).
    case badSampler(String, reason: String)
    /// A spec resolving to the same sampler as an earlier one.
    case duplicateSampler(String, resolved: String)
    /// No budgets.
    case noBudgets
    /// A budget list with a bad entry.
    case badBudget(String, reason: String)
    /// Fewer than two samples per cell.
    case badCount(Int)
    /// A non-positive batch size.
    case badBatch(Int)
    /// A worker count below 1.
    case badThreads(Int)
    /// A trajectory-figure state count other than 0 or 2…50.
    case badTrajectoryFrames(Int)
    /// A guidance weight the model or the weight itself rules out.
    case badGuidance(Double, reason: String)
    /// A task the model cannot do.
    case taskUnavailable(String, model: String, reason: String)
    /// A reference solver spec the catalog rejects.
    case badReferenceSolver(String, reason: String)
    /// `--out` names an existing file.
    case outputNotFolder(String)
    /// `--out` cannot be created or written.
    case outputNotWritable(String, reason: String)
    /// The model could not be loaded.
    case model(String)

    public var description: String {
        switch self {
        case .noSamplers:
            "--samplers is empty; give specs separated by ';', e.g. \"ddim;ddpm:variance=large\""
        case let .badSampler(spec, reason):
            "--samplers: '\(spec)': \(reason)"
        case let .duplicateSampler(spec, resolved):
            "--samplers: '\(spec)' repeats an earlier sampler (both are \(resolved))"
        case .noBudgets:
            "--nfe is empty; give positive budgets separated by ',', e.g. 10,20,50,100"
        case let .badBudget(text, reason):
            "--nfe \(text): \(reason); give positive whole numbers separated by ',', e.g. 10,20,50,100"
        case let .badCount(n):
            "--count must be at least 2 (the metrics need two samples), got \(n)"
        case let .badBatch(n):
            "--batch must be positive, got \(n)"
        case let .badThreads(n):
            "--threads must be at least 1, got \(n)"
        case let .badTrajectoryFrames(n):
            "--trajectory-frames must be 0 (no figures) or 2…50, got \(n)"
        case let .badGuidance(weight, reason):
            "--guidance \(weight): \(reason)"
        case let .taskUnavailable(task, model, reason):
            "--task \(task) is not available for \(model): \(reason)"
        case let .badReferenceSolver(spec, reason):
            "--reference '\(spec)': \(reason) (or --reference none)"
        case let .outputNotFolder(path):
            "--out \(path) exists and is not a folder; give a folder (new or from an earlier run to resume)"
        case let .outputNotWritable(path, reason):
            "--out \(path): \(reason)"
        case let .model(message):
            "--model: \(message)"
        }
    }
}
