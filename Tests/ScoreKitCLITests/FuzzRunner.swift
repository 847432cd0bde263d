import Foundation

/// Runs `scorekit` on many mutated inputs, a few processes at a time, each as a separate
/// process with a timeout, and sorts how each run ended: success, a clean refusal (rc ≠ 0
/// and one `Error:` line on stderr, warnings aside), a trap (ended by a signal), a timeout,
/// or a refusal whose message is not one line.
struct FuzzRunner {
    /// One input: its file name, contents and how it was made.
    struct Input { let name: String; let data: Data; let note: String }

    /// The tally of a run.
    struct Report: CustomStringConvertible {
        var inputs = 0, runs = 0, succeeded = 0, refused = 0, seconds = 0.0
        var traps: [String] = [], timeouts: [String] = [], badMessages: [String] = []

        var description: String {
            "\(inputs) inputs, \(runs) runs in \(String(format: "%.1f", seconds)) s: \(succeeded) succeeded, \(refused) refused "
                + "with one line, \(traps.count) traps, \(timeouts.count) timeouts, \(badMessages.count) other messages"
        }
    }

    /// The sampler runs each input goes through.
    let runs: [[String]]
    /// Processes at a time, and the seconds each may take.
    var workers = 2, timeout = 60.0

    /// Runs every input `make(i)`, i < count, through every entry of `runs`.
    func run(count: Int, in folder: URL, _ make: @Sendable (Int) throws -> Input) -> Report {
        let state = State()
        let start = Date()
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let errorFile = folder.appendingPathComponent("stderr-\(worker).txt")
            while true {
                let i = state.take()
                guard i < count else { return }
                var outcomes: [(String, Outcome)] = []
                do {
                    let input = try make(i)
                    let file = folder.appendingPathComponent("w\(worker)-\(input.name)")
                    try input.data.write(to: file)
                    for arguments in runs {
                        let outcome = execute(["sample", "--model", file.path] + arguments, errorFile: errorFile)
                        outcomes.append(("#\(i) \(input.note) [\(arguments.joined(separator: " "))]", outcome))
                    }
                    try? FileManager.default.removeItem(at: file)
                } catch {
                    outcomes.append(("#\(i)", .badMessage("could not make the input: \(error)")))
                }
                state.add(outcomes)
            }
        }
        var report = state.report
        report.seconds = Date().timeIntervalSince(start)
        return report
    }

    /// The next input to take and the tally so far, shared by the workers.
    private final class State: @unchecked Sendable {
        private let lock = NSLock()
        private var next = 0
        private(set) var report = Report()

        func take() -> Int {
            lock.lock()
            defer { lock.unlock() }
            next += 1
            return next - 1
        }

        func add(_ outcomes: [(String, Outcome)]) {
            lock.lock()
            defer { lock.unlock() }
            report.inputs += 1
            for (label, outcome) in outcomes { report.record(outcome, label) }
        }
    }

    enum Outcome { case succeeded, refused, trap(Int32), timeout, badMessage(String) }

    /// One process: stdout discarded, stderr to `errorFile`.
    func execute(_ arguments: [String], errorFile: URL) -> Outcome {
        FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        guard let errors = try? FileHandle(forWritingTo: errorFile) else { return .badMessage("no stderr file") }
        defer { try? errors.close() }
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        do { try process.run() } catch { return .badMessage("could not start: \(error)") }
        if done.wait(timeout: .now() + timeout) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            done.wait()
            return .timeout
        }
        if process.terminationReason == .uncaughtSignal { return .trap(process.terminationStatus) }
        if process.terminationStatus == 0 { return .succeeded }
        let text = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).filter { !$0.hasPrefix("warning: ") }
        guard lines.count == 1, lines[0].hasPrefix("Error: "), text.hasSuffix("\n") else {
            return .badMessage("rc \(process.terminationStatus): \(text.prefix(400))")
        }
        return .refused
    }
}

extension FuzzRunner.Report {
    mutating func record(_ outcome: FuzzRunner.Outcome, _ label: String) {
        runs += 1
        switch outcome {
        case .succeeded: succeeded += 1
        case .refused: refused += 1
        case .trap(let signal): traps.append("\(label): signal \(signal)")
        case .timeout: timeouts.append(label)
        case .badMessage(let text): badMessages.append("\(label): \(text)")
        }
    }
}
