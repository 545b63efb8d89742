/// A collective of a data-parallel job that did not complete within the rank timeout
/// (`weft train --rank-timeout`): a rank hangs, or the network between the machines is cut,
/// without any process dying. The rank that waited throws it; `TrainingRun` adds where the run
/// stands, and the command line prints `message` and ends the whole job (`MPI_Abort`).
public struct RankTimeout: Error, Equatable, Sendable {
    /// The rank that waited and the job's rank count.
    public var rank: Int
    public var size: Int
    /// The ranks that did not answer a probe after the collective timed out, each with its host;
    /// empty when every rank answered but the collective still did not complete.
    public var silentRanks: [Int]
    /// Every rank's host name, in rank order (empty where unknown).
    public var hosts: [String]
    /// The timeout, in seconds.
    public var seconds: Double
    /// The MPI call (`MPI_Allreduce`), and what the job was doing (`the gradient allreduce`).
    public var operation: String
    public var during: String?
    /// Where the run stands: `step 57 of epoch 2`; nil until `TrainingRun` adds it.
    public var position: String?
    /// The newest checkpoint on disk and the command that continues from it (nil: none yet).
    public var lastCheckpoint: String?
    public var resumeCommand: String?
    /// Whether `lastCheckpoint` has been filled in (false where the timeout ends the job from
    /// inside a forward pass, which knows no run).
    public var knowsCheckpoints = false

    public init(rank: Int, size: Int, silentRanks: [Int], hosts: [String], seconds: Double, operation: String) {
        self.rank = rank
        self.size = size
        self.silentRanks = silentRanks
        self.hosts = hosts
        self.seconds = seconds
        self.operation = operation
    }

    /// One sentence: `rank 1 of 2 (host b) did not answer within 20 s during the gradient
    /// allreduce (MPI_Allreduce) at step 57 of epoch 2; the last checkpoint is X; resume with: Y`.
    public var message: String {
        func host(_ rank: Int) -> String { rank < hosts.count && !hosts[rank].isEmpty ? hosts[rank] : "unknown" }
        let who: String
        switch silentRanks.count {
        case 0:
            who =
                "every rank answered the probes of rank \(rank) of \(size) (host \(host(rank))), but a collective did not complete"
        case 1:
            who = "rank \(silentRanks[0]) of \(size) (host \(host(silentRanks[0]))) did not answer"
        default:
            let hosts = silentRanks.map(host).joined(separator: ", ")
            who =
                "ranks \(silentRanks.map(String.init).joined(separator: ", ")) of \(size) (hosts \(hosts)) did not answer"
        }
        let what = (during.map { "\($0) (\(operation))" } ?? operation) + (position.map { " at \($0)" } ?? "")
        let seconds = seconds == seconds.rounded() ? "\(Int(seconds))" : "\(self.seconds)"
        let next =
            !knowsCheckpoints
            ? "the checkpoints written so far are intact: resume from the newest with mpirun -np \(size) weft resume"
            : lastCheckpoint.map {
                "the last checkpoint is \($0)" + (resumeCommand.map { "; resume with: \($0)" } ?? "")
            } ?? "no checkpoint was written yet; start the run again"
        return "\(who) within \(seconds) s during \(what); \(next)"
    }
}
