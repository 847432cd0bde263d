/// Shapes read from files and configs, checked before anything is sized from them: every
/// entry in range, and the number of values computed with overflow checks against a limit.
/// A hostile shape (negative entries, entries whose product wraps around) becomes a
/// `ShapeProblem`, never a trap.
public enum ShapeCheck {
    /// The number of values of `shape`: every entry at least `minimumEntry` and the product at
    /// most `limit` (a product that overflows `Int` is above every limit).
    public static func count(_ shape: [Int], minimumEntry: Int = 1, limit: Int = .max) throws -> Int {
        guard !shape.isEmpty else { throw ShapeProblem.empty }
        if let index = shape.firstIndex(where: { $0 < minimumEntry }) {
            throw ShapeProblem.entryTooSmall(shape: shape, index: index, minimum: minimumEntry)
        }
        guard let total = product(shape), total <= limit else { throw ShapeProblem.tooLarge(shape: shape, limit: limit) }
        return total
    }

    /// `values[0]·values[1]·…` (1 for none), or nil when the product overflows `Int`.
    public static func product(_ values: [Int]) -> Int? {
        var total = 1
        for v in values {
            let (next, overflow) = total.multipliedReportingOverflow(by: v)
            if overflow { return nil }
            total = next
        }
        return total
    }
}

/// What is wrong with a shape.
public enum ShapeProblem: Error, Equatable, CustomStringConvertible {
    /// No dimensions at all.
    case empty
    /// Entry `index` is below the smallest allowed value.
    case entryTooSmall(shape: [Int], index: Int, minimum: Int)
    /// The values it holds exceed `limit` (or do not fit in an `Int`).
    case tooLarge(shape: [Int], limit: Int)

    /// One line naming the shape and the problem.
    public var description: String {
        switch self {
        case .empty:
            return "shape [] has no dimensions"
        case let .entryTooSmall(shape, index, minimum):
            let value = shape[index]
            let kind = value < 0 ? "a negative dimension" : value == 0 ? "a zero dimension" : "a dimension below \(minimum)"
            let rule = minimum == 0 ? "non-negative" : "at least \(minimum)"
            return "shape \(shape) is invalid: entry \(index) is \(value) (\(kind)); every dimension must be \(rule)"
        case let .tooLarge(shape, limit):
            return ShapeCheck.product(shape) == nil
                ? "shape \(shape) is invalid: its number of values overflows 64-bit arithmetic (the limit is \(limit))"
                : "shape \(shape) holds \(ShapeCheck.product(shape)!) values, more than the limit of \(limit)"
        }
    }
}
