// The umbrella module: `import ScoreKit` gives the tensors, noise processes and protocols of
// ScoreKitCore, every sampler of ScoreKitSamplers, the models of ScoreKitModels, the quality
// metrics of ScoreKitMetrics and the NFE-versus-quality comparisons of ScoreKitCompare.
@_exported import ScoreKitCore
@_exported import ScoreKitMetrics
@_exported import ScoreKitModels
@_exported import ScoreKitSamplers
@_exported import ScoreKitCompare
