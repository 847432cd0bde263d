import Foundation

/// Animated PNG (APNG, Mozilla's extension of PNG): several same-sized frames in one file that
/// viewers without APNG support show as a still of the first frame.
///
/// The file is a PNG whose IHDR is followed by `acTL` (frame count, plays: 0 = loop forever);
/// each frame has an `fcTL` (its size, offset, delay, dispose and blend operations) and then
/// its pixels — the first frame in `IDAT`, the others in `fdAT` chunks, whose data starts with
/// a sequence number. `fcTL` and `fdAT` chunks share one sequence, 0, 1, 2, … in file order.
/// Pixels are compressed by the PNG encoder's own deflate (`RGBImage.pngData(compressed:)`).
public enum AnimatedPNG {
    /// The largest frame rate a file can say: delays are whole milliseconds.
    public static let fpsRange: ClosedRange<Double> = 0.01...1000

    /// The APNG bytes of `frames` (at least one, all the size of the first) shown at `fps`
    /// frames per second, looping forever; pixels deflated as `RGBImage.pngData(compressed:)`
    /// does unless `compressed` is false.
    public static func data(frames: [RGBImage], fps: Double, compressed: Bool = true) -> Data {
        precondition(!frames.isEmpty, "AnimatedPNG: no frames")
        let (width, height) = (frames[0].width, frames[0].height)
        precondition(frames.allSatisfy { $0.width == width && $0.height == height }, "AnimatedPNG: frames differ in size")
        var png = frames[0].pngHeader()
        png.append(chunk("acTL", bigEndian(UInt32(frames.count)) + bigEndian(0)))
        let delay = UInt16(max(1, min(65_535, (1000 / min(max(fps, fpsRange.lowerBound), fpsRange.upperBound)).rounded())))
        var sequence: UInt32 = 0
        for (index, frame) in frames.enumerated() {
            png.append(chunk("fcTL", frameControl(sequence: sequence, width: width, height: height, delayMilliseconds: delay)))
            sequence += 1
            let pixels = frame.pixelStream(compressed: compressed)
            if index == 0 {
                png.append(chunk("IDAT", pixels))
            } else {
                png.append(chunk("fdAT", bigEndian(sequence) + pixels))
                sequence += 1
            }
        }
        png.append(chunk("IEND", []))
        return png
    }

    /// An `fcTL` body: a full-size frame at (0, 0), shown for `delayMilliseconds`, then left
    /// in place (dispose: none) and drawn over the canvas without blending (blend: source).
    private static func frameControl(sequence: UInt32, width: Int, height: Int, delayMilliseconds: UInt16) -> [UInt8] {
        var body = bigEndian(sequence) + bigEndian(UInt32(width)) + bigEndian(UInt32(height))
        body += bigEndian(0) + bigEndian(0)                                  // x, y offset
        body += [UInt8(delayMilliseconds >> 8), UInt8(delayMilliseconds & 0xFF), 0x03, 0xE8]   // delay / 1000 s
        body += [0, 0]                                                      // dispose none, blend source
        return body
    }
}
