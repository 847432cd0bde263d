import ScoreKitCore

/// A learned table of class-label embeddings: row `c` for label `c ∈ 0..<classes`, and one
/// more row, `classes`, for ∅ ("no condition", what label dropout trains). A class-conditional
/// U-Net adds the row of each sample's label to its noise embedding (`UNetNetwork`).
///
/// The table is `name.weight`, `[classes + 1, width]` (PyTorch's `nn.Embedding` layout); it
/// starts at zero, so an untrained conditional network is its unconditional self. Each row of
/// the output reads only its own label, so results do not depend on the batch.
public struct LabelEmbedding: Sendable {
    /// The number of class labels (the table has one row more, for ∅).
    public let classes: Int
    /// The embedding width.
    public let width: Int
    /// `[classes + 1, width]`.
    public let weight: ParameterSlot

    /// Registers `name.weight` in `layout`.
    public init(_ name: String, classes: Int, width: Int, layout: inout ParameterLayout) {
        self.classes = classes
        self.width = width
        weight = layout.add("\(name).weight", shape: [classes + 1, width], initializer: .zeros)
    }

    /// The table row of a label: the label itself, or `classes` for ∅ (nil).
    @inline(__always)
    public func row(_ label: Int?) -> Int {
        guard let label else { return classes }
        precondition((0..<classes).contains(label), "LabelEmbedding: label \(label) outside 0..<\(classes)")
        return label
    }

    /// Adds the embedding of `labels[r]` to row r of the `[labels.count, width]` values at `e`.
    public func add(_ labels: [Int?], _ w: UnsafeBufferPointer<Float>, to e: UnsafeMutablePointer<Float>) {
        for (r, label) in labels.enumerated() {
            let source = w.baseAddress! + weight.offset + row(label) * width, target = e + r * width
            for j in 0..<width { target[j] += source[j] }
        }
    }

    /// `e + table[labels]` for a `[N, width]` tensor `e`.
    public func forward(_ e: Tensor, labels: [Int?], _ w: [Float]) -> Tensor {
        precondition(e.shape == [labels.count, width], "LabelEmbedding: embedding \(e.shape) for \(labels.count) labels of width \(width)")
        var out = e
        out.scalars.withUnsafeMutableBufferPointer { po in
            w.withUnsafeBufferPointer { add(labels, $0, to: po.baseAddress!) }
        }
        return out
    }

    /// Accumulates the table's gradient: row r of `dy` into the row of `labels[r]`.
    public func backward(_ dy: Tensor, labels: [Int?], _ g: inout [Float]) {
        precondition(dy.shape == [labels.count, width], "LabelEmbedding.backward: gradient \(dy.shape) for \(labels.count) labels")
        g.withUnsafeMutableBufferPointer { pg in
            dy.scalars.withUnsafeBufferPointer { pd in
                for (r, label) in labels.enumerated() {
                    let target = pg.baseAddress! + weight.offset + row(label) * width
                    for j in 0..<width { target[j] += pd[r * width + j] }
                }
            }
        }
    }
}
