import Testing
@testable import ScoreKitCore

@Suite("Labelled reference data: class draws, and the same bootstrap as unlabelled data")
struct LabelledReferenceTests {
    /// Ten rows whose single value is 10·label + j, labels 0,1,2,0,1,2,…
    private let data = FiniteLabelledReferenceData(Tensor(shape: [10, 1], scalars: (0..<10).map { Float(10 * ($0 % 3) + $0) }),
                                                   labels: (0..<10).map { $0 % 3 }, labelCount: 3)
    private var labelOf: [Float: Int] { Dictionary(uniqueKeysWithValues: zip(data.data.scalars, data.labels)) }

    @Test("Unlabelled draws pick the rows FiniteReferenceData picks")
    func sameBootstrap() throws {
        let plain = FiniteReferenceData(data.data)
        #expect(try data.draw(count: 50, seed: 4, firstIndex: 7).scalars == plain.draw(count: 50, seed: 4, firstIndex: 7).scalars)
        let (rows, labels) = try data.drawLabelled(count: 50, seed: 4, firstIndex: 7)
        #expect(rows.scalars == (try plain.draw(count: 50, seed: 4, firstIndex: 7)).scalars)
        #expect(zip(rows.scalars, labels).allSatisfy { labelOf[$0.0] == $0.1 })
    }

    @Test("A class draw returns rows of that class, every row of it in time, and depends only on its index")
    func classDraws() throws {
        let wanted = (0..<300).map { $0 % 3 }
        let x = try data.draw(labels: wanted, seed: 1, firstIndex: 0)
        #expect(x.scalars.map { labelOf[$0] } == wanted)
        let class1 = Set(x.scalars.enumerated().filter { wanted[$0.offset] == 1 }.map(\.element))
        #expect(class1 == Set(data.data.scalars.enumerated().filter { data.labels[$0.offset] == 1 }.map(\.element)))
        let tail = try data.draw(labels: Array(wanted[100...]), seed: 1, firstIndex: 100)
        #expect(tail.scalars == Array(x.scalars[100...]))
        #expect(throws: SamplingError.self) { try data.draw(labels: [3], seed: 1, firstIndex: 0) }
    }
}
