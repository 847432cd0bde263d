import ScoreKitCore

/// The hidden part of an MLP: Linear layers each followed by SiLU, `h ← SiLU(Linear_i(h))`.
/// Shared by the MLP denoiser and the MLP classifier.
public struct SiLUStack: Sendable {
    /// The layers, in order.
    public let layers: [Linear]

    /// What `backward` needs: each layer's input and pre-activation.
    public struct Tape: Sendable { let inputs: [Tensor], preActivations: [Tensor] }

    /// A stack of `layers`.
    public init(_ layers: [Linear]) { self.layers = layers }

    /// The last hidden activation `[N, hidden]` for input `h` `[N, inputs]`.
    public func forward(_ h: Tensor, _ w: [Float]) -> (Tensor, Tape) {
        var h = h, inputs: [Tensor] = [], pre: [Tensor] = []
        for layer in layers {
            inputs.append(h)
            let z = layer.forward(h, w)
            pre.append(z)
            h = SiLU.forward(z)
        }
        return (h, Tape(inputs: inputs, preActivations: pre))
    }

    /// The gradient with respect to the input, given the gradient `dh` of the output;
    /// the layers' parameter gradients are added to `g`.
    public func backward(_ dh: Tensor, _ tape: Tape, _ w: [Float], _ g: inout [Float]) -> Tensor {
        var dh = dh
        for i in layers.indices.reversed() {
            dh = layers[i].backward(SiLU.backward(dh, input: tape.preActivations[i]), input: tape.inputs[i], w, &g)
        }
        return dh
    }
}
