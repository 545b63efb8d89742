extension Tensor {
    /// `relu()` followed by `maxPool2d(kernelSize: 2)` as one op (a CNN stage without
    /// batch-norm): each 2×2 window's maximum of `max(x, 0)` is taken straight from `x`, so the
    /// rectified tensor is never stored. The backward sends each pooled gradient to its window's
    /// winner where the pooled output is positive (where the ReLU passed it).
    /// - Returns: `[N, C, H/2, W/2]` for this `[N, C, H, W]` (odd last rows and columns dropped).
    public func reluMaxPool2x2() -> Tensor {
        precondition(shape.rank == 4, "reluMaxPool2x2: input \(shape) must be [N, C, H, W]")
        guard let g = ConvolutionGeometry(input: shape, kernelHeight: 2, kernelWidth: 2, stride: 2, padding: 0) else {
            preconditionFailure("reluMaxPool2x2: input \(shape) is smaller than the 2×2 window")
        }
        let output = Tensor(uninitializedShape: [g.batch, g.channels, g.outputHeight, g.outputWidth])
        let argmax: TensorStorage? =
            Autograd.needsGradient(self) ? TensorStorage(uninitializedCount: output.count) : nil
        let x = data, out = output.data
        let winners = argmax.map { UnsafeMutableRawPointer($0.pointer).assumingMemoryBound(to: Int32.self) }
        let rectify = Pool.AffineReLU(scale: 1, shift: 0)
        Parallel.forChunks(g.batch * g.channels, grain: 4) { planes in
            for planeIndex in planes {
                Pool.maxPlane2x2(
                    x + planeIndex * g.inputPlane, g, output: out + planeIndex * g.outputPlane,
                    argmax: winners.map { $0 + planeIndex * g.outputPlane }, transform: rectify)
            }
        }
        let outputStorage = output.storage
        return output.recorded("reluMaxPool2x2", inputs: [self]) { [self] dout in
            guard let argmax else { return }  // the closure keeps the storage alive
            let winners = UnsafeMutableRawPointer(argmax.pointer).assumingMemoryBound(to: Int32.self)
            let (dx, overwrite) = gradientForWriting()
            let dy = dout.data, pooled = outputStorage.pointer
            Parallel.forChunks(g.batch * g.channels, grain: 4) { planes in
                for planeIndex in planes {
                    let target = dx + planeIndex * g.inputPlane
                    if overwrite { target.update(repeating: 0, count: g.inputPlane) }
                    let first = planeIndex * g.outputPlane
                    for o in first..<(first + g.outputPlane) where pooled[o] > 0 {
                        target[Int(winners[o])] += dy[o]
                    }
                }
            }
        }
    }
}
