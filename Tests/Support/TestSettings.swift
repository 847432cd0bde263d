import Foundation
import Testing

/// The environment variables that change what the test suites do, read in one place.
///
/// One convention: every variable is `SCOREKIT_TEST_<NAME>`.
///
/// | variable | effect |
/// |---|---|
/// | `SCOREKIT_TEST_QUICK=1` | skips the suites marked `.statistical` (the quick tier, `make test-quick`) |
/// | `SCOREKIT_TEST_FULL=1` | widens the statistical and fuzzing suites to the sizes the docs quote |
/// | `SCOREKIT_TEST_SEED=N` | another seed for the fuzzing mutants |
/// | `SCOREKIT_TEST_COUNT=N` | samples drawn by the trained-model quality tests |
/// | `SCOREKIT_TEST_SAMPLER=SPEC`, `SCOREKIT_TEST_NFE=N` | the sampler and budget of the trained-digits quality test |
/// | `SCOREKIT_TEST_MODEL_DIR=DIR` | evaluate the checkpoints in `DIR` instead of the shipped ones |
///
/// (`SCOREKIT_RESOURCES` is not a test setting: the library reads it to find its resource bundle.)
public enum TestSettings {
    /// The value of `SCOREKIT_TEST_<name>`, if set and not empty.
    public static func value(_ name: String) -> String? {
        let value = ProcessInfo.processInfo.environment["SCOREKIT_TEST_" + name]
        return value?.isEmpty == false ? value : nil
    }

    /// `SCOREKIT_TEST_QUICK=1`: only the quick tier runs.
    public static var quick: Bool { value("QUICK") == "1" }
    /// `SCOREKIT_TEST_FULL=1`: statistical and fuzzing suites at their documented sizes.
    public static var full: Bool { value("FULL") == "1" }
    /// `SCOREKIT_TEST_SEED`, else `fallback`.
    public static func seed(default fallback: UInt64) -> UInt64 { value("SEED").flatMap { UInt64($0) } ?? fallback }
    /// `SCOREKIT_TEST_COUNT`, else `fallback`.
    public static func count(default fallback: Int) -> Int { value("COUNT").flatMap { Int($0) } ?? fallback }
    /// `SCOREKIT_TEST_SAMPLER`, else `fallback`.
    public static func sampler(default fallback: String) -> String { value("SAMPLER") ?? fallback }
    /// `SCOREKIT_TEST_NFE`, else `fallback`.
    public static func nfe(default fallback: Int) -> Int { value("NFE").flatMap { Int($0) } ?? fallback }
    /// `SCOREKIT_TEST_MODEL_DIR`: a folder of checkpoints to evaluate instead of the shipped ones.
    public static var modelDirectory: String? { value("MODEL_DIR") }
}

extension Tag {
    /// Suites that draw thousands of samples to test a distribution, or train: minutes, not
    /// seconds. The quick tier (`SCOREKIT_TEST_QUICK=1`) skips them.
    @Tag public static var statistical: Self
}

extension Trait where Self == ConditionTrait {
    /// Marks a statistical suite: skipped in the quick tier. Use with `.tags(.statistical)`.
    public static var statistical: Self {
        .disabled(if: TestSettings.quick, "statistical suite; the quick tier (SCOREKIT_TEST_QUICK=1) skips it")
    }
}
