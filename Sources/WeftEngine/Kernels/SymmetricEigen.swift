import COpenBLAS

/// The eigendecomposition of a real symmetric matrix, through LAPACK's `dsyev` in OpenBLAS (as
/// NumPy's `eigh` uses LAPACK's `syevd`): eigenvalues in descending order, each eigenvector of
/// unit length with its largest-magnitude component positive (the first such, on a tie), so the
/// answer does not depend on the solver's choice of sign.
public struct SymmetricEigen: Equatable, Sendable {
    /// `[n]`, largest first.
    public let values: [Double]
    /// `[n, n]` row-major: row `i` is the eigenvector of `values[i]`.
    public let vectors: [Double]

    /// - Parameters:
    ///   - matrix: `[n, n]` row-major and symmetric (only its upper triangle is read).
    ///   - n: the matrix's order, at least 1.
    /// - Returns: nil when LAPACK reports that the iteration did not converge.
    public init?(matrix: [Double], n: Int) {
        precondition(n >= 1 && matrix.count == n * n, "SymmetricEigen: matrix must be [n, n]")
        // Row-major upper = column-major lower: ask for "L" on the row-major array.
        var a = matrix, w = [Double](repeating: 0, count: n)
        var order = Int32(n), leading = Int32(n), info: Int32 = 0
        var jobz = CChar(UInt8(ascii: "V")), uplo = CChar(UInt8(ascii: "L"))
        var size = Int32(-1), query = 0.0
        dsyev_(&jobz, &uplo, &order, &a, &leading, &w, &query, &size, &info)
        guard info == 0 else { return nil }
        size = Int32(max(Double(3 * n), query))
        var work = [Double](repeating: 0, count: Int(size))
        dsyev_(&jobz, &uplo, &order, &a, &leading, &w, &work, &size, &info)
        guard info == 0 else { return nil }
        // Column-major: eigenvector j (ascending) is a[j*n ..< (j+1)*n].
        var vectors = [Double](repeating: 0, count: n * n)
        for row in 0..<n {
            let column = n - 1 - row
            var vector = Array(a[column * n..<(column + 1) * n])
            var largest = 0
            for index in 1..<n where abs(vector[index]) > abs(vector[largest]) { largest = index }
            if vector[largest] < 0 { vector = vector.map { -$0 } }
            vectors.replaceSubrange(row * n..<(row + 1) * n, with: vector)
        }
        values = w.reversed()
        self.vectors = vectors
    }
}
