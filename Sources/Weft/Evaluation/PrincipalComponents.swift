import Foundation

/// Principal component analysis, as scikit-learn's `PCA(n_components=k)`: the data is centred,
/// and the components are the leading eigenvectors of its covariance (denominator `n − 1`), each
/// a unit vector whose largest entry (in absolute value) is positive.
///
/// The eigenvectors come from block subspace iteration with Rayleigh–Ritz on the covariance
/// (`features × features`), or on the Gram matrix (`rows × rows`) when there are more features
/// than rows; it runs in Double and stops when every wanted eigenpair's residual is below
/// `1e-10` times the largest eigenvalue.
public struct PrincipalComponents: Sendable {
    /// The mean of each column, `[columns]`.
    public let mean: [Double]
    /// `[k][columns]` unit vectors, the direction of largest variance first.
    public let components: [[Double]]
    /// The variance along each component (an eigenvalue of the covariance), `[k]`.
    public let explainedVariance: [Double]
    /// The total variance: the trace of the covariance.
    public let totalVariance: Double
    /// Subspace iterations run.
    public let iterations: Int

    /// Each component's share of the total variance.
    public var explainedVarianceRatio: [Double] {
        explainedVariance.map { totalVariance > 0 ? $0 / totalVariance : 0 }
    }

    /// Fits `count` components to `values`, a `[rows, columns]` row-major matrix (rows ≥ 2).
    public init<Value: BinaryFloatingPoint>(values: [Value], rows: Int, columns: Int, count: Int = 2) {
        precondition(
            rows >= 2 && columns >= 1 && values.count == rows * columns,
            "PrincipalComponents: \(values.count) values do not make \(rows) rows (at least 2) of \(columns)")
        let wanted = min(count, rows, columns)
        precondition(wanted >= 1, "PrincipalComponents: count must be positive")
        var mean = [Double](repeating: 0, count: columns)
        for row in 0..<rows {
            for column in 0..<columns { mean[column] += Double(values[row * columns + column]) }
        }
        mean = mean.map { $0 / Double(rows) }
        let scale = 1 / Double(rows - 1)
        let useGram = columns > rows
        let size = useGram ? rows : columns
        var matrix = [Double](repeating: 0, count: size * size)  // [size, size], upper triangle filled first
        if useGram {
            var centred = [Double](repeating: 0, count: rows * columns)
            for index in 0..<centred.count { centred[index] = Double(values[index]) - mean[index % columns] }
            centred.withUnsafeBufferPointer { x in
                for i in 0..<rows {
                    for j in i..<rows {
                        var dot = 0.0
                        for column in 0..<columns { dot += x[i * columns + column] * x[j * columns + column] }
                        matrix[i * size + j] = dot * scale
                    }
                }
            }
        } else {
            // Σ x xᵀ over the rows (zeros, common after ReLU, are skipped), then − n·μμᵀ.
            var row = [Double](repeating: 0, count: columns)
            matrix.withUnsafeMutableBufferPointer { m in
                for index in 0..<rows {
                    for column in 0..<columns { row[column] = Double(values[index * columns + column]) }
                    row.withUnsafeBufferPointer { x in
                        for i in 0..<columns where x[i] != 0 {
                            let xi = x[i], base = i * columns
                            for j in i..<columns { m[base + j] += xi * x[j] }
                        }
                    }
                }
                for i in 0..<columns {
                    for j in i..<columns {
                        m[i * columns + j] = (m[i * columns + j] - Double(rows) * mean[i] * mean[j]) * scale
                    }
                }
            }
        }
        for i in 0..<size {
            for j in 0..<i { matrix[i * size + j] = matrix[j * size + i] }
        }
        totalVariance = (0..<size).reduce(0) { $0 + matrix[$1 * size + $1] }
        let (eigenvalues, eigenvectors, iterations) = PrincipalComponents.leadingEigenpairs(
            of: matrix, size: size, count: wanted)
        var components: [[Double]] = []
        for vector in eigenvectors {
            var component: [Double]
            if useGram {
                // v = Xᵀu / ‖Xᵀu‖ turns an eigenvector of X Xᵀ into one of XᵀX.
                component = [Double](repeating: 0, count: columns)
                for row in 0..<rows where vector[row] != 0 {
                    for column in 0..<columns {
                        component[column] += (Double(values[row * columns + column]) - mean[column]) * vector[row]
                    }
                }
                let norm = component.reduce(0) { $0 + $1 * $1 }.squareRoot()
                component = component.map { norm > 0 ? $0 / norm : 0 }
            } else {
                component = vector
            }
            if let largest = component.indices.max(by: { abs(component[$0]) < abs(component[$1]) }),
                component[largest] < 0
            {
                component = component.map { -$0 }
            }
            components.append(component)
        }
        self.mean = mean
        self.components = components
        self.explainedVariance = eigenvalues.map { max($0, 0) }
        self.iterations = iterations
    }

    /// `values` (`[rows, columns]`) projected on the components: `[rows, k]` row-major.
    public func project<Value: BinaryFloatingPoint>(_ values: [Value], rows: Int) -> [Double] {
        let columns = mean.count
        precondition(
            values.count == rows * columns,
            "PrincipalComponents.project: \(values.count) values do not make \(rows) rows of \(columns)")
        var result = [Double](repeating: 0, count: rows * components.count)
        for row in 0..<rows {
            for (index, component) in components.enumerated() {
                var dot = 0.0
                for column in 0..<columns {
                    dot += (Double(values[row * columns + column]) - mean[column]) * component[column]
                }
                result[row * components.count + index] = dot
            }
        }
        return result
    }

    /// The `count` largest eigenvalues of the symmetric `[size, size]` matrix and their unit
    /// eigenvectors, by block subspace iteration with Rayleigh–Ritz.
    static func leadingEigenpairs(
        of matrix: [Double], size: Int, count: Int,
        maximumIterations: Int = 500
    ) -> (values: [Double], vectors: [[Double]], iterations: Int) {
        let block = min(size, count + 6)
        var generator = RandomGenerator(seed: 0x5eed)
        var basis = (0..<block).map { _ in (0..<size).map { _ in generator.nextDouble() - 0.5 } }
        orthonormalize(&basis, generator: &generator)
        let scale = max((0..<size).map { abs(matrix[$0 * size + $0]) }.max() ?? 0, Double.leastNormalMagnitude)
        var values: [Double] = [], vectors: [[Double]] = []
        var iteration = 0
        while true {
            iteration += 1
            let products = basis.map { multiply(matrix, $0, size: size) }
            // The Rayleigh quotient T = Qᵀ M Q and its eigenpairs.
            var small = [Double](repeating: 0, count: block * block)
            for i in 0..<block {
                for j in 0..<block { small[i * block + j] = dot(basis[i], products[j]) }
            }
            for i in 0..<block {
                for j in 0..<i {
                    small[i * block + j] = (small[i * block + j] + small[j * block + i]) / 2;
                    small[j * block + i] = small[i * block + j]
                }
            }
            let (ritzValues, ritzVectors) = jacobiEigen(small, size: block)
            var nextBasis: [[Double]] = []
            var converged = true
            values = []
            vectors = []
            for (position, weights) in ritzVectors.enumerated() {
                var vector = [Double](repeating: 0, count: size), product = [Double](repeating: 0, count: size)
                for (index, weight) in weights.enumerated() where weight != 0 {
                    for element in 0..<size {
                        vector[element] += weight * basis[index][element]
                        product[element] += weight * products[index][element]
                    }
                }
                if position < count {
                    let residual = zip(product, vector).reduce(0) { $0 + pow($1.0 - ritzValues[position] * $1.1, 2) }
                        .squareRoot()
                    if residual > 1e-10 * scale { converged = false }
                    values.append(ritzValues[position])
                    vectors.append(vector)
                }
                nextBasis.append(product)
            }
            if converged || iteration >= maximumIterations { break }
            orthonormalize(&nextBasis, generator: &generator)
            basis = nextBasis
        }
        return (values, vectors, iteration)
    }

    /// Modified Gram–Schmidt; a vector that vanishes (the matrix's rank is below the block) is
    /// replaced by a fresh random one.
    private static func orthonormalize(_ vectors: inout [[Double]], generator: inout RandomGenerator) {
        for index in vectors.indices {
            for attempt in 0..<4 {
                let original = vectors[index].reduce(0) { $0 + $1 * $1 }.squareRoot()
                for previous in 0..<index {
                    let projection = dot(vectors[index], vectors[previous])
                    for element in vectors[index].indices {
                        vectors[index][element] -= projection * vectors[previous][element]
                    }
                }
                let norm = vectors[index].reduce(0) { $0 + $1 * $1 }.squareRoot()
                if norm > 1e-10 * max(original, 1e-300) || attempt == 3 {
                    vectors[index] = vectors[index].map { norm > 0 ? $0 / norm : 0 }
                    break
                }
                vectors[index] = vectors[index].map { _ in generator.nextDouble() - 0.5 }
            }
        }
    }

    private static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var sum = 0.0
        for index in a.indices { sum += a[index] * b[index] }
        return sum
    }

    private static func multiply(_ matrix: [Double], _ vector: [Double], size: Int) -> [Double] {
        var result = [Double](repeating: 0, count: size)
        matrix.withUnsafeBufferPointer { m in
            vector.withUnsafeBufferPointer { v in
                for row in 0..<size {
                    var sum = 0.0
                    let base = row * size
                    for column in 0..<size { sum += m[base + column] * v[column] }
                    result[row] = sum
                }
            }
        }
        return result
    }

    /// Eigenvalues (largest first) and unit eigenvectors of a small symmetric matrix, by cyclic
    /// Jacobi rotations.
    static func jacobiEigen(_ input: [Double], size: Int) -> (values: [Double], vectors: [[Double]]) {
        var a = input
        var v = [Double](repeating: 0, count: size * size)
        for i in 0..<size { v[i * size + i] = 1 }
        for _ in 0..<100 {
            var off = 0.0, total = 0.0
            for i in 0..<size {
                for j in 0..<size {
                    total += a[i * size + j] * a[i * size + j]
                    if i != j { off += a[i * size + j] * a[i * size + j] }
                }
            }
            if off <= 1e-30 * max(total, 1e-300) { break }
            for p in 0..<size {
                for q in (p + 1)..<max(size, p + 1) where a[p * size + q] != 0 {
                    let theta = (a[q * size + q] - a[p * size + p]) / (2 * a[p * size + q])
                    let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<size {
                        let akp = a[k * size + p], akq = a[k * size + q]
                        a[k * size + p] = c * akp - s * akq
                        a[k * size + q] = s * akp + c * akq
                    }
                    for k in 0..<size {
                        let apk = a[p * size + k], aqk = a[q * size + k]
                        a[p * size + k] = c * apk - s * aqk
                        a[q * size + k] = s * apk + c * aqk
                    }
                    for k in 0..<size {
                        let vkp = v[k * size + p], vkq = v[k * size + q]
                        v[k * size + p] = c * vkp - s * vkq
                        v[k * size + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let order = (0..<size).sorted { a[$0 * size + $0] > a[$1 * size + $1] }
        return (order.map { a[$0 * size + $0] }, order.map { column in (0..<size).map { v[$0 * size + column] } })
    }
}
