import ScoreKitCore

/// How a parameter tensor starts before training.
public enum ParameterInit: Sendable, Hashable {
    /// Uniform on (−bound, bound): PyTorch's default for linear and convolution layers, with
    /// `bound = 1/√fanIn`.
    case uniform(bound: Double)
    /// All zeros (biases, output layers that should start silent).
    case zeros
    /// All ones (normalisation scales).
    case ones
}

/// Where one named parameter tensor lives inside a network's flat parameter vector.
public struct ParameterSlot: Sendable, Hashable {
    /// The tensor's name inside its network, e.g. `blocks.0.conv1.weight` (PyTorch's naming).
    public let name: String
    /// Its shape, in PyTorch's layout (`[out, in]` for linear, `[out, in, kh, kw]` for conv).
    public let shape: [Int]
    /// Its first index in the flat vector.
    public let offset: Int
    /// How it starts.
    public let initializer: ParameterInit

    /// The number of values.
    public var count: Int { shape.reduce(1, *) }
    /// Its indices in the flat vector.
    public var range: Range<Int> { offset..<(offset + count) }
}

/// The parameters of a network laid end to end in one Float32 vector.
///
/// Layers register their tensors while the network is built and keep the slots; the values
/// live in a plain `[Float]` that is passed to `forward` and `backward`. Gradients use the
/// same layout, so Adam, EMA and gradient clipping are single loops over contiguous memory,
/// and a checkpoint is the list of slots with their slices.
public struct ParameterLayout: Sendable {
    /// The tensors, in registration order.
    public private(set) var slots: [ParameterSlot] = []
    /// The total number of values.
    public private(set) var count = 0

    /// An empty layout.
    public init() {}

    /// Registers a tensor and returns its slot.
    public mutating func add(_ name: String, shape: [Int], initializer: ParameterInit) -> ParameterSlot {
        precondition(!slots.contains { $0.name == name }, "ParameterLayout: duplicate name \(name)")
        let slot = ParameterSlot(name: name, shape: shape, offset: count, initializer: initializer)
        slots.append(slot)
        count += slot.count
        return slot
    }

    /// The names and shapes, in order: what a checkpoint must hold for this network.
    public var shapes: [(name: String, shape: [Int])] { slots.map { ($0.name, $0.shape) } }

    /// Fresh values: each slot drawn by its initializer from Philox keyed by `seed`, stream
    /// `TrainingStream.initialisation`, with the slot's index as the sample index. The same seed
    /// gives the same network whatever else changes.
    public func initialValues(seed: UInt64) -> [Float] {
        var values = [Float](repeating: 0, count: count)
        let streams = RandomStreams(seed: seed)
        for (index, slot) in slots.enumerated() {
            switch slot.initializer {
            case .zeros: break
            case .ones: for i in slot.range { values[i] = 1 }
            case .uniform(let bound):
                for j in 0..<slot.count {
                    let u = streams.uniforms(stream: TrainingStream.initialisation, sample: index, block: j / 4)[j % 4]
                    values[slot.offset + j] = Float((2 * u - 1) * bound)
                }
            }
        }
        return values
    }

    /// The values of each slot as tensors of its shape.
    public func tensors(_ values: [Float]) -> [(name: String, tensor: Tensor)] {
        precondition(values.count == count, "ParameterLayout: \(values.count) values for \(count) parameters")
        return slots.map { ($0.name, Tensor(shape: $0.shape, scalars: Array(values[$0.range]))) }
    }

    /// The flat vector holding `tensors` (in slot order, shapes already checked).
    public func flatten(_ tensors: [Tensor]) -> [Float] {
        precondition(tensors.count == slots.count, "ParameterLayout: \(tensors.count) tensors for \(slots.count) slots")
        var values = [Float]()
        values.reserveCapacity(count)
        for t in tensors { values.append(contentsOf: t.scalars) }
        return values
    }
}

/// The random streams training uses (beyond Core's `RandomStreamID`), so that initial
/// weights, minibatches, noise levels and noise are independent of one another.
public enum TrainingStream {
    /// Initial weights (sample index: the parameter slot).
    public static let initialisation: UInt32 = 16
    /// Which data rows a minibatch holds, or fresh draws of generated data.
    public static let minibatch: UInt32 = 17
    /// The noise level of each training example.
    public static let noiseLevel: UInt32 = 18
    /// The Gaussian noise added to each training example.
    public static let noise: UInt32 = 19
    /// Data augmentation (shifts of the digit classifier's inputs).
    public static let augmentation: UInt32 = 20
    /// The noise-level classifier's minibatches.
    public static let classifierMinibatch: UInt32 = 21
    /// The noise-level classifier's levels.
    public static let classifierLevel: UInt32 = 22
    /// The noise-level classifier's noise.
    public static let classifierNoise: UInt32 = 23
    /// The label classifier's minibatches.
    public static let labelMinibatch: UInt32 = 24
    /// Label dropout of a class-conditional denoiser (which examples train the ∅ row).
    public static let labelDropout: UInt32 = 25
    /// The noise-aware label classifier's minibatches, noise levels and noise.
    public static let noisyLabelMinibatch: UInt32 = 26, noisyLabelLevel: UInt32 = 27, noisyLabelNoise: UInt32 = 28
}
