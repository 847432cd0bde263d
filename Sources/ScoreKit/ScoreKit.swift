// The umbrella module: `import ScoreKit` gives the tensors, noise processes and protocols of
// ScoreKitCore, every sampler of ScoreKitSamplers and the models of ScoreKitModels.
@_exported import ScoreKitCore
@_exported import ScoreKitModels
@_exported import ScoreKitSamplers
