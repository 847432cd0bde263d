import Foundation

/// Progress on stderr with elapsed time and an estimate of the time left (ETA). On a terminal:
/// a one-line bar redrawn at most ten times a second. Elsewhere (a pipe, a log file): nothing,
/// unless the work is large (`sparseLines`), then a plain line at every tenth of the work.
final class TerminalProgress {
    private let label: String
    private let isTerminal: Bool
    private let sparseLines: Bool
    private let write: (String) -> Void
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var nextTenth = 1
    private let estimatesETA: Bool

    /// A bar labelled `label`. With `estimatesETA` false, the ETA shows only when `update`
    /// is given one (for work that starts part-way, like a resumed sweep). With `sparseLines`,
    /// a stderr that is not a terminal gets a line at every 10 % (for long runs, so a log
    /// shows they are alive and when they will end). `isTerminal` and `write` default to
    /// stderr's; tests pass their own.
    init(label: String, estimatesETA: Bool = true, sparseLines: Bool = false,
         isTerminal: Bool = isatty(STDERR_FILENO) != 0,
         write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.label = label
        self.estimatesETA = estimatesETA
        self.sparseLines = sparseLines
        self.isTerminal = isTerminal
        self.write = write
    }

    /// Shows `fraction` (0…1) done, with elapsed time and an estimate of the rest — computed
    /// from the fraction, or `secondsRemaining` when the caller knows better (a resumed sweep
    /// starts part-way, so elapsed/fraction would understate the rest).
    func update(_ fraction: Double, detail: String = "", secondsRemaining: Double? = nil) {
        let done = max(0, min(1, fraction)), now = Date()
        let elapsed = now.timeIntervalSince(start)
        let remaining = secondsRemaining ?? (estimatesETA && done > 0.01 ? elapsed / done - elapsed : nil)
        let eta = remaining.map { ", ETA \(Self.duration($0))" } ?? ""
        if isTerminal {
            guard now.timeIntervalSince(lastDraw) >= 0.1 else { return }
            lastDraw = now
            let width = 30, filled = Int((done * Double(width)).rounded(.down))
            let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
            write(String(format: "\r%@ [%@] %3.0f%%  %@%@  %@", label, bar, 100 * done, Self.duration(elapsed), eta, detail) + "\u{1B}[K")
        } else if sparseLines, Int((done * 10).rounded(.down)) >= nextTenth, nextTenth <= 10 {
            let tenth = Int((done * 10).rounded(.down))
            nextTenth = tenth + 1
            write("\(label): \(tenth * 10)% done, \(Self.duration(elapsed)) elapsed\(eta)\n")
        }
    }

    /// Clears the bar's line (a terminal) or does nothing.
    func finish() {
        guard isTerminal else { return }
        write("\r\u{1B}[K")
    }

    /// A duration for people: "4.2 s", "3m05s", "2h07m", "3d04h" (rounded down to the unit shown).
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = max(0, seconds)
        if s < 60 { return String(format: "%.1f s", s) }
        let whole = Int(min(s, 1e15))
        if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        if whole < 86_400 { return String(format: "%dh%02dm", whole / 3600, whole % 3600 / 60) }
        return String(format: "%dd%02dh", whole / 86_400, whole % 86_400 / 3600)
    }
}
