import ScoreKitCore

extension SamplerCatalog {
    /// Every sampler ScoreKit ships, in the order `scorekit samplers` lists them.
    public static let standard = SamplerCatalog([
        DDPM.self,
        DDIM.self,
        AnnealedLangevin.self,
        EulerMaruyama.self,
        ReverseDiffusion.self,
        AncestralSampling.self,
        PredictorCorrector.self,
    ])
}
