import Foundation

/// When to try a failed job again: exponential (30 s, 1 min, 2 min… up to 6 h) with "equal jitter",
/// so many jobs failing together do not all come back at the same second.
public enum Backoff {
    public static let base: TimeInterval = 30
    public static let cap: TimeInterval = 6 * 3600

    /// `attempt` is the number of the attempt that just failed (1 for the first).
    public static func delay(afterAttempt attempt: Int, random: Double = Double.random(in: 0...1)) -> TimeInterval {
        let exponential = min(cap, base * pow(2, Double(max(0, attempt - 1))))
        return exponential / 2 + exponential / 2 * random
    }
}
