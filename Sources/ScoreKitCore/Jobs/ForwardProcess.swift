/// The forward (noising) process `q(x_σ | x0)`: data with Gaussian noise of growing σ, as
/// frames for `TrajectoryFigure` (`scorekit forward`).
///
/// In VE coordinates `x_σ = x0 + σ·z`; the variance-preserving state is the same point scaled,
/// `x_VP = √ᾱ·x0 + √(1−ᾱ)·z = x_σ/√(1+σ²)` with `ᾱ = 1/(1+σ²)` (a figure's `.scaled` view).
/// One z per sample serves every σ, so each point moves continuously from frame to frame.
public enum ForwardProcess {
    /// The frames of `data` noised with `noise` (standard normal, the shape of `data`): the
    /// clean data first (state 0, σ = 0), then each σ of `sigmas` in the order given.
    public static func frames(data: Tensor, noise z: Tensor, sigmas: [Double]) -> [TrajectoryCapture.Frame] {
        precondition(data.shape == z.shape, "ForwardProcess: data \(data.shape) and noise \(z.shape) differ")
        let noised = sigmas.enumerated().map { k, sigma in
            TrajectoryCapture.Frame(state: k + 1, sigma: sigma, x: data + sigma * z)
        }
        return [TrajectoryCapture.Frame(state: 0, sigma: 0, x: data)] + noised
    }

    /// `ᾱ = 1/(1+σ²)`, the VP signal fraction at VE noise level σ.
    public static func alphaBar(sigma: Double) -> Double { 1 / (1 + sigma * sigma) }
}
