import Dispatch
import Testing
@testable import VialApp

/// Issue 16, item 11: with the database host's packets dropped, `/health/ready` did not answer
/// for the whole 26.7 s outage: the timeout raced the check inside a task group, which waits for
/// a check stuck in I/O that does not heed cancellation.
@Suite struct ReadinessChecksTests {
    /// A check that ignores cancellation and would answer only after ten minutes: the run still
    /// ends at its budget (the time limit fails the test on the old implementation).
    @Test(.timeLimit(.minutes(1))) func aCheckThatNeverAnswersTimesOutWithinTheBudget() async {
        let checks = ReadinessChecks()
        checks.add("database") {
            await withCheckedContinuation { continuation in
                DispatchQueue.global().asyncAfter(deadline: .now() + 600) { continuation.resume() }
            }
        }
        checks.add("cache") {}
        checks.add("rate_limits") { throw CancellationError() }
        let results = await checks.run(timeout: .milliseconds(200))
        #expect(results.map(\.name) == ["database", "cache", "rate_limits"])
        #expect(results.map(\.state) == [.timedOut, .ok, .unavailable])
    }

    @Test func quickChecksAnswerWithoutWaitingForTheBudget() async {
        let checks = ReadinessChecks()
        checks.add("a") {}
        // A budget far past the test's time limit: only the checks' own answers can end the run.
        let results = await checks.run(timeout: .seconds(3600))
        #expect(results.map(\.state) == [.ok])
    }
}
